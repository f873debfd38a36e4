"""Composition: statements + a template folder → the document model.

A template folder holds Jinja2 templates (``note.html.j2`` …) that write the HTML subset
of :mod:`briefgen.markup`, the wording of each language in ``strings/<lang>.yaml``, and
the house style in ``style.yaml``. Templates run in Jinja2's sandbox with autoescaping
and strict undefined variables, so YAML text can never become markup or code. Templates
are input too: they load only files inside their folder, see no Python internals, and
render under limits on time, output, memory and the size of values they build; any
failure is a TemplateError naming the template file and line.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Protocol

from jinja2 import pass_context
from jinja2.sandbox import SandboxedEnvironment
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from .document import Document, EmailDraft, Style
from .errors import Diagnostic, DiagnosticsError, Location, error, printable
from .citations import normalise
from .markup import read_markup
from .models import PartialDate, describe_value
from .resources import SHIPPED_FAMILIES, TEMPLATES_DIR, shipped_family
from .validate import validate_model
from .workspace import LoadedPack, LoadedStatement, check_relative_path, display_path, folder_name, path_refusal
from .yamlload import load_yaml_file
from .sandbox import format_wording, make_environment, render
from .template_cache import template_bytecode_cache

_MM = 72 / 25.4
_PAGE_SIZES = {"A4": (595.28, 841.89), "Letter": (612.0, 792.0)}


def _colour(value: Any) -> str:
    text = str(value).lstrip("#")
    if len(text) != 6 or any(c not in "0123456789abcdefABCDEF" for c in text):
        raise ValueError(f"expected a colour as RRGGBB, found {describe_value(value)}")
    return text.upper()


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ValueError(f"expected a number, found {describe_value(value)}") from None


Colour = Annotated[str, BeforeValidator(_colour)]
Number = Annotated[float, BeforeValidator(_number)]


class _StyleModel(BaseModel):
    # No use_attribute_docstrings: nothing shows these descriptions, and pydantic would read
    # and parse this file's source for each class at every start (about 20 ms).
    model_config = ConfigDict(extra="forbid")


class Margins(_StyleModel):
    """Page margins in millimetres."""

    top: Number = 24
    right: Number = 24
    bottom: Number = 24
    left: Number = 24


class Page(_StyleModel):
    """Paper size and margins."""

    size: str = Field(default="A4", pattern="^(A4|Letter)$")
    margins_mm: Margins = Margins()


class Fonts(_StyleModel):
    """Font families for body text and headings: names of families shipped with briefgen."""

    body: str = "PT Serif"
    headings: str = "PT Sans"


class Sizes(_StyleModel):
    """Type sizes in points."""

    body: Number = 10.5
    title: Number = 21
    headings: tuple[Number, Number, Number] = (14, 12, 10.5)
    footnotes: Number = 8


class Colours(_StyleModel):
    """Colours as RRGGBB."""

    text: Colour = "1A1A1A"
    accent: Colour = "1F3A5F"
    muted: Colour = "5F6B7A"
    rule: Colour = "B8C2CC"
    table_header: Colour = "E8EDF2"
    aside: Colour = "F1F4F7"


class HouseStyle(_StyleModel):
    """The contents of a template folder's style.yaml."""

    page: Page = Page()
    fonts: Fonts = Fonts()
    sizes_pt: Sizes = Sizes()
    leading: Number = 1.35
    colours: Colours = Colours()
    logo: str | None = None
    """Image (PNG or JPEG) shown on the pack's cover, relative to the template folder."""
    logo_width_mm: Number = 40
    """Width of the logo on the cover."""
    reference_docx: str | None = None
    """A Word document, relative to the template folder, whose styles, page setup and headers the DOCX takes."""

    def to_style(self) -> Style:
        """Return the renderer-facing :class:`Style` with lengths in points and fonts resolved."""
        width, height = _PAGE_SIZES[self.page.size]
        margins = self.page.margins_mm
        return Style(
            page_width=width,
            page_height=height,
            margin_top=margins.top * _MM,
            margin_right=margins.right * _MM,
            margin_bottom=margins.bottom * _MM,
            margin_left=margins.left * _MM,
            body_font=shipped_family(self.fonts.body),
            heading_font=shipped_family(self.fonts.headings),
            body_size=self.sizes_pt.body,
            leading=self.leading,
            title_size=self.sizes_pt.title,
            heading_sizes=tuple(self.sizes_pt.headings),
            footnote_size=self.sizes_pt.footnotes,
            text_colour=self.colours.text,
            accent_colour=self.colours.accent,
            muted_colour=self.colours.muted,
            rule_colour=self.colours.rule,
            table_header_fill=self.colours.table_header,
            aside_fill=self.colours.aside,
            logo_width=self.logo_width_mm * _MM,
        )


@dataclass
class TemplateSet:
    """A loaded template folder: its Jinja2 environment, house style and wording."""

    directory: Path
    environment: SandboxedEnvironment
    style: Style
    strings: dict[str, dict[str, Any]] = field(default_factory=dict)
    reference_docx: bytes | None = None

    def wording(self, language: str) -> dict[str, Any]:
        """Return the wording for ``language``, falling back to English."""
        return self.strings.get(language) or self.strings["en"]


def _holds_templates(candidate: Path) -> bool:
    """Whether ``candidate`` is a template folder; an unusable name (too long, say) is simply not one."""
    try:
        return (candidate / "note.html.j2").is_file()
    except (OSError, ValueError):
        return False


def resolve_template_dir(name_or_path: str, workspace: Path) -> Path:
    """Find a template folder: a name in ``templates/`` of ``workspace``, else a shipped one; or a relative path inside ``workspace``."""
    shown = printable(name_or_path)

    def refused(reason: str, code: str = "unsafe-path") -> DiagnosticsError:
        return DiagnosticsError([error(Location(shown), f"template folder '{shown}' {reason}", code)])

    where = f"name a folder under {folder_name(workspace / 'templates')} or give a path inside {folder_name(workspace)}"
    if not name_or_path.strip():
        raise refused(f"is empty; {where}", "template-missing")
    reason = path_refusal(name_or_path)
    if reason:
        raise refused(f"{reason}; {where}")
    if re.search(r"[\\/]", name_or_path.rstrip("\\/")):  # a trailing slash still names a folder
        candidates = [(workspace / name_or_path, workspace)]
    else:
        candidates = [(workspace / "templates" / name_or_path, workspace), (TEMPLATES_DIR / name_or_path, TEMPLATES_DIR)]
    for candidate, root in candidates:
        if not _holds_templates(candidate):
            continue
        # A symbolic link (the folder itself, or templates/) may point anywhere; only its target counts.
        try:
            inside = candidate.resolve().is_relative_to(root.resolve())
        except (OSError, RuntimeError):  # RuntimeError: a loop of symbolic links
            inside = False
        if not inside:
            raise refused(f"leads outside {folder_name(root)} through a symbolic link; {where}")
        return candidate
    raise refused(f"not found: {where} (a template folder holds note.html.j2)", "template-missing")


def load_template_set(directory: Path) -> TemplateSet:
    """Load the house style and wording of the template folder ``directory``."""
    diagnostics: list[Diagnostic] = []
    style = Style()
    reference_docx = None
    style_file = directory / "style.yaml"
    if style_file.is_file() and _inside(style_file, directory, diagnostics):
        loaded, problems = load_yaml_file(style_file, display_path(style_file))
        house, more = validate_model(HouseStyle, loaded) if not problems else (None, [])
        diagnostics += problems + more
        if house is not None:
            unknown = {house.fonts.body, house.fonts.headings} - set(SHIPPED_FAMILIES)
            if unknown:
                where = loaded.location_of(("fonts",))
                message = f"font family {', '.join(sorted(unknown))} is not shipped; use one of {', '.join(SHIPPED_FAMILIES)}"
                diagnostics.append(error(where, message, "unknown-font"))
            else:
                style = house.to_style()
            files, problems = _template_files(house, directory, loaded)
            diagnostics += problems
            if "logo" in files:
                style = dataclasses.replace(style, logo=files["logo"])
            reference_docx = files.get("reference_docx")
    strings: dict[str, dict[str, Any]] = {}
    for strings_file in sorted((directory / "strings").glob("*.yaml")):
        if not _inside(strings_file, directory, diagnostics):
            continue
        loaded, problems = load_yaml_file(strings_file, display_path(strings_file))
        diagnostics += problems
        if not problems and isinstance(loaded.data, dict):
            strings[strings_file.stem] = loaded.data
    if "en" not in strings:
        diagnostics.append(error(Location(display_path(directory / "strings" / "en.yaml")), "the template has no English wording", "template-missing"))
    if any(d.is_error for d in diagnostics):
        raise DiagnosticsError(diagnostics)
    filters = {"longdate": _long_date, "flexdate": _flexible_date}
    return TemplateSet(directory, make_environment(directory, filters, bytecode_cache=template_bytecode_cache()), style, strings, reference_docx)


def _inside(path: Path, directory: Path, diagnostics: list[Diagnostic]) -> bool:
    """Whether ``path`` really lies in the template folder; a symbolic link leading out is reported."""
    resolved, refusal = check_relative_path(path.relative_to(directory).as_posix(), directory, directory)
    if resolved is None:
        diagnostics.append(error(Location(display_path(path)), f"{path.name} {refusal}; template files must lie in the template folder", "unsafe-path"))
    return resolved is not None


def _template_files(house: HouseStyle, directory: Path, loaded) -> tuple[dict[str, bytes], list[Diagnostic]]:
    """Read the logo and reference document a style names, refusing paths outside its folder."""
    files: dict[str, bytes] = {}
    diagnostics: list[Diagnostic] = []
    for key in ("logo", "reference_docx"):
        raw = getattr(house, key)
        if raw is None:
            continue
        resolved, refusal = check_relative_path(raw, directory, directory)
        if resolved is not None and not resolved.is_file():
            refusal = "does not exist"
        if refusal:
            advice = "" if refusal == "does not exist" else "; give a path inside the template folder"
            diagnostics.append(error(loaded.location_of((key,)), f"{key} '{raw}' {refusal}{advice}", "template-file"))
        else:
            files[key] = resolved.read_bytes()
    return files, diagnostics


@pass_context
def _long_date(context: Any, value: dt.date) -> str:
    """Format a full date in the wording's language: 16 May 2024, 16 мая 2024 г."""
    return _format_date(context.environment, context["t"], PartialDate(value.year, value.month, value.day))


@pass_context
def _flexible_date(context: Any, value: PartialDate) -> str:
    """Format a date known to the day, month or year."""
    return _format_date(context.environment, context["t"], value)


def _format_date(environment: Any, wording: dict[str, Any], value: PartialDate) -> str:
    if value.day:
        fields = {"day": value.day, "month": wording["months"][value.month - 1], "year": value.year}
        return format_wording(environment, wording, "day_format", fields)
    if value.month:
        fields = {"month": wording["months_standalone"][value.month - 1], "year": value.year}
        return format_wording(environment, wording, "month_format", fields)
    return format_wording(environment, wording, "year_format", {"year": value.year})


def render_template(templates: TemplateSet, name: str, context: dict[str, Any], *, statements: int = 1, sink: MarkupSink | None = None) -> str:
    """Render template ``name`` with ``context`` (about ``statements`` statements) in the sandbox; any failure is a TemplateError naming file and line.

    ``sink``, if given, is told the markup's source and then given the markup in pieces as
    the template writes it.
    """
    if sink is None:
        return render(templates.environment, templates.directory, name, context, statements=statements)
    sink.begin(_source_name(templates, name), templates.style)
    return render(templates.environment, templates.directory, name, context, statements=statements, write=sink.write)


def _source_name(templates: TemplateSet, name: str) -> str:
    """Name template ``name`` of ``templates`` as errors in its markup do."""
    return f"{templates.directory.name}/{name}"


class MarkupSink(Protocol):
    """Takes a template's markup as it is written, to read it elsewhere before the template has finished (see :func:`briefgen.markup.read_markup`)."""

    def begin(self, source_name: str, style: Style) -> None:
        """Start a document of the house style ``style`` whose markup comes from the template ``source_name``."""

    def write(self, piece: str) -> None:
        """Take the next piece of the markup; never raise (the template is still running)."""


class ComposedMarkup:
    """A document as its template wrote it: the markup, the template it came from and the house style; :meth:`read` reads it, once.

    A long pack's markup is tens of MB, which nothing needs once it is read, so reading it
    lets go of it.
    """

    def __init__(self, html: str, source_name: str, style: Style) -> None:
        self._html: str | None = html
        #: The template the markup came from, named in errors.
        self.source_name = source_name
        #: The house style the document is rendered in.
        self.style = style

    @property
    def html(self) -> str:
        """The markup, until it is read."""
        if self._html is None:
            raise RuntimeError("the composed markup has been read already")
        return self._html

    def read(self) -> Document:
        """Return the document the markup describes, and let go of the markup."""
        html, self._html = self.html, None
        return read_markup((html,), self.source_name, self.style)


def compose_note(loaded: LoadedStatement, templates: TemplateSet, *, author: str = "") -> Document:
    """Compose the briefing note of one statement."""
    return compose_note_markup(loaded, templates, author=author).read()


def compose_note_markup(loaded: LoadedStatement, templates: TemplateSet, *, author: str = "", sink: MarkupSink | None = None) -> ComposedMarkup:
    """Compose the briefing note of one statement as its template's markup, given to ``sink`` too as it is written."""
    statement = loaded.statement
    language = statement.source.language or "en"
    context = {"s": statement, "id": loaded.id, "t": templates.wording(language), "language": language, "author": author}
    html = render_template(templates, "note.html.j2", context, sink=sink)
    return ComposedMarkup(html, _source_name(templates, "note.html.j2"), templates.style)


def _event_uid(statement_id: str, event: str) -> str:
    """A calendar UID that survives rebuilds and a changed date: the statement and the event's name."""
    digest = hashlib.sha256(f"{statement_id}\n{normalise(event).casefold()}".encode()).hexdigest()
    return f"{digest[:32]}@briefgen"


def _person_key(name: str) -> str:
    return normalise(name).casefold()


def _people_index(pack: LoadedPack) -> list[dict[str, Any]]:
    """Everyone who spoke or attended, one entry per person (aliases merged), sorted by name."""
    canonical = {}
    for name, spellings in pack.briefing.aliases.items():
        for spelling in [name, *spellings]:
            canonical[_person_key(spelling)] = name
    people: dict[str, dict[str, Any]] = {}
    listed: set[tuple[str, str, str]] = set()  # (person, statement id, role): someone met in every statement made a list's scan quadratic
    for loaded in pack.statements:
        statement = loaded.statement
        met = [(statement.speaker, "speaker")] + [(attendee, "attendee") for attendee in statement.attendees]
        for person, role in met:
            name = canonical.get(_person_key(person.name), person.name)
            key = _person_key(name)
            entry = people.setdefault(key, {"name": name, "details": "", "appearances": []})
            if not entry["details"]:
                entry["details"] = ", ".join(part for part in (person.role, person.country) if part)
            if (key, loaded.id, role) not in listed:
                listed.add((key, loaded.id, role))
                entry["appearances"].append({"s": statement, "id": loaded.id, "role": role})
    return sorted(people.values(), key=lambda p: _person_key(p["name"]))


def pack_context(pack: LoadedPack, templates: TemplateSet, *, author: str) -> dict[str, Any]:
    """Return the variables the pack templates see: the pack, its statements and derived tables."""
    entries = [{"s": loaded.statement, "id": loaded.id} for loaded in pack.statements]
    timeline = [
        {"date": item.date, "item": item, "s": loaded.statement, "id": loaded.id, "uid": _event_uid(loaded.id, item.event)}
        for loaded in pack.statements
        for item in loaded.statement.upcoming
    ]
    # Stable sort: within a date, statements keep pack order.
    timeline.sort(key=lambda row: row["date"])
    proposals = [{"item": item, "s": loaded.statement, "id": loaded.id} for loaded in pack.statements for item in loaded.statement.proposals]
    language = pack.briefing.language
    return {
        "b": pack.briefing,
        "entries": entries,
        "timeline": timeline,
        "proposals": proposals,
        "people": _people_index(pack),
        "pack_date": pack.date,
        "t": templates.wording(language),
        "language": language,
        "author": pack.briefing.prepared_by or author,
    }


def compose_pack(pack: LoadedPack, templates: TemplateSet, *, author: str = "") -> Document:
    """Compose the briefing pack: cover, contents, overview, timeline, tracker, people, statements, sources."""
    return compose_pack_markup(pack, templates, author=author).read()


def compose_pack_markup(pack: LoadedPack, templates: TemplateSet, *, author: str = "", sink: MarkupSink | None = None) -> ComposedMarkup:
    """Compose the briefing pack as its template's markup, given to ``sink`` too as it is written."""
    html = render_template(templates, "pack.html.j2", pack_context(pack, templates, author=author), statements=len(pack.statements), sink=sink)
    return ComposedMarkup(html, _source_name(templates, "pack.html.j2"), templates.style)


def compose_email(pack: LoadedPack, templates: TemplateSet, *, author: str = "") -> EmailDraft:
    """Compose the email that carries the pack: subject, plain-text and HTML bodies."""
    context = pack_context(pack, templates, author=author)
    text = render_template(templates, "email.txt.j2", context)
    html = render_template(templates, "email.html.j2", context)
    return EmailDraft(pack.briefing.title, text.strip() + "\n", html, pack.date)
