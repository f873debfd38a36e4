"""Loading statements from a workspace: YAML, validation, source texts and their citations.

This is the input edge of the pipeline; everything after it works on the
:class:`LoadedStatement` values it returns and touches no files.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from .citations import SourceText
from .errors import Diagnostic, error, warning
from .glyphs import XML_INVALID, describe_character, unshowable
from .models import Briefing, Statement
from .validate import ModelT, validate_model
from .yamlload import LoadedYaml, PlainScalar, load_yaml_file

_DRIVE = re.compile(r"^[A-Za-z]:")


@dataclass(frozen=True)
class LoadedStatement:
    """A validated statement with its id, file, and verified source text (if any)."""

    id: str
    path: Path
    display_path: str
    statement: Statement
    source_text: SourceText | None


def display_path(path: Path) -> str:
    """Return ``path`` as messages show it: relative to the working folder where possible."""
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)


def folder_name(path: Path) -> str:
    """Name a folder in a message: ``templates/house/``, or ``the workspace`` for the working folder."""
    shown = display_path(path)
    return "the workspace" if shown == "." else f"{shown}/"


def path_refusal(raw: str) -> str:
    """Return why ``raw`` is not a safe relative path ("is absolute", "contains '..'" …), or ""."""
    if "\x00" in raw:
        return "contains a NUL character"
    if raw.startswith(("\\\\", "//")):
        return "is a UNC path"
    if _DRIVE.match(raw):
        return "starts with a drive letter"
    if raw.startswith(("/", "\\")):
        return "is absolute"
    if ".." in re.split(r"[\\/]", raw):
        return "contains '..'"
    return ""


def check_relative_path(raw: str, base_dir: Path, root: Path) -> tuple[Path | None, str]:
    """Resolve ``raw`` against ``base_dir``, refusing anything that leads outside ``root``.

    Returns the resolved path and an empty string, or None and why it was refused (see
    :func:`path_refusal`), for the caller to put in its message.
    """
    refusal = path_refusal(raw)
    if refusal:
        return None, refusal
    try:
        resolved = (base_dir / raw).resolve()
    except (OSError, RuntimeError):  # RuntimeError: a loop of symbolic links
        return None, "cannot be resolved (a loop of symbolic links?)"
    if not resolved.is_relative_to(root.resolve()):
        return None, f"leads outside {folder_name(root)} through a symbolic link"
    return resolved, ""


def check_characters(loaded: LoadedYaml, *, strip_invalid: bool = False) -> list[Diagnostic]:
    """Report characters no document can hold or no shipped font can show, normalising text to NFC.

    Characters XML cannot hold are errors, or with ``strip_invalid`` are removed from
    ``loaded.data`` in place with a warning; characters without a glyph are errors.
    """
    check = _CharacterCheck(loaded, strip_invalid)
    loaded.data = check.clean(loaded.data, ())
    return check.diagnostics


class _CharacterCheck:
    """One pass of :func:`check_characters` over the values of a file."""

    # A class, not a closure calling itself: such a closure is a reference cycle, which kept
    # each statement's raw values and positions alive until the next full garbage collection.

    def __init__(self, loaded: LoadedYaml, strip_invalid: bool) -> None:
        self.loaded = loaded
        self.strip_invalid = strip_invalid
        self.diagnostics: list[Diagnostic] = []

    def clean(self, value: object, data_path: tuple) -> object:
        """Return ``value`` with its text checked and normalised, recording what is wrong."""
        if isinstance(value, dict):
            return {key: self.clean(item, data_path + (key,)) for key, item in value.items()}
        if isinstance(value, list):
            return [self.clean(item, data_path + (index,)) for index, item in enumerate(value)]
        if not isinstance(value, str) or value.isascii() and value.isprintable():
            return value
        location = self.loaded.location_of(data_path)
        invalid = list(dict.fromkeys(XML_INVALID.findall(value)))
        if invalid:
            named = ", ".join(describe_character(char) for char in invalid)
            if self.strip_invalid:
                self.diagnostics.append(warning(location, f"removed {named}, which documents cannot hold", "invalid-character"))
                value = _rebuild(value, XML_INVALID.sub("", value))
            else:
                them = "them" if len(invalid) > 1 else "it"
                message = f"text contains {named}, which DOCX and PDF cannot hold; delete {them}, or build with --strip-invalid"
                self.diagnostics.append(error(location, message, "invalid-character"))
                return value
        normal = unicodedata.normalize("NFC", value)
        missing = unshowable(normal)
        if missing:
            named = ", ".join(describe_character(char) for char in missing[:5]) + (" …" if len(missing) > 5 else "")
            message = f"text contains {named}, which the shipped fonts cannot show; it would print as a box: remove or transliterate it"
            self.diagnostics.append(error(location, message, "unshowable-character"))
        return _rebuild(value, normal)


def _rebuild(original: str, text: str) -> str:
    """Return ``text`` keeping ``original``'s YAML type, if it was a :class:`PlainScalar`."""
    return PlainScalar(text, original.yaml_type) if isinstance(original, PlainScalar) else text


def _load_model(path: Path, model: type[ModelT], strip_invalid: bool) -> tuple[ModelT | None, LoadedYaml, list[Diagnostic]]:
    """Read the YAML file at ``path``, check its characters and validate it as ``model``."""
    loaded, diagnostics = load_yaml_file(path, display_path(path), strip_invalid=strip_invalid)
    if any(d.is_error for d in diagnostics):
        return None, loaded, diagnostics
    diagnostics += check_characters(loaded, strip_invalid=strip_invalid)
    if any(d.is_error for d in diagnostics):
        return None, loaded, diagnostics
    value, problems = validate_model(model, loaded)
    return value, loaded, diagnostics + problems


def load_statement(path: Path, *, strict: bool = False, strip_invalid: bool = False) -> tuple[LoadedStatement | None, list[Diagnostic]]:
    """Load, validate and verify the statement file at ``path``; return it and all diagnostics."""
    statement, loaded, diagnostics = _load_model(path, Statement, strip_invalid)
    if statement is None:
        return None, diagnostics
    source_text, problems = _read_source_text(statement, path, loaded)
    diagnostics += problems
    if not problems:  # a named but unreadable text was reported; its quotes cannot be judged
        diagnostics += verify_citations(statement, source_text, loaded, strict=strict)
    result = LoadedStatement(path.stem, path, loaded.path, statement, source_text)
    return (None if any(d.is_error for d in diagnostics) else result), diagnostics


def _read_source_text(statement: Statement, path: Path, loaded: LoadedYaml) -> tuple[SourceText | None, list[Diagnostic]]:
    raw = statement.source.text
    if raw is None:
        return None, []
    location = loaded.location_of(("source", "text"))
    # The statement's own folder is the workspace's sources/ folder.
    resolved, refusal = check_relative_path(raw, path.parent, path.parent)
    if resolved is None:
        message = f"source text path '{raw}' {refusal}; give a path relative to the statement file, inside {folder_name(path.parent)}"
        return None, [error(location, message, "unsafe-path")]
    try:
        text = resolved.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        return None, [error(location, f"source text '{raw}' not found (looked for {display_path(resolved)})", "source-missing")]
    except UnicodeDecodeError as exc:
        return None, [error(location, f"source text '{raw}' is not valid UTF-8 (byte {exc.start}); save it as UTF-8", "encoding")]
    except OSError as exc:
        return None, [error(location, f"cannot read source text '{raw}': {exc.strerror}", "unreadable")]
    return SourceText.from_text(text), []


def cited_items(statement: Statement) -> list[tuple[tuple, object]]:
    """Return each item that can carry a citation with its data path, in file order."""
    return [
        ((field, index), item)
        for field in ("key_points", "upcoming", "proposals")
        for index, item in enumerate(getattr(statement, field))
    ]


def verify_citations(statement: Statement, source: SourceText | None, loaded: LoadedYaml, *, strict: bool) -> list[Diagnostic]:
    """Check each quote and paragraph number against ``source``, filling in missing ``para``."""
    diagnostics: list[Diagnostic] = []
    for data_path, item in cited_items(statement):
        if item.quote is None and item.para is None:
            continue
        if source is None:
            location = loaded.location_of(data_path + ("quote" if item.quote else "para",))
            message = "citation is unverified: the statement has no source.text to check it against"
            diagnostics.append(error(location, message, "unverified") if strict else warning(location, message, "unverified"))
            continue
        diagnostics += _verify_item(item, data_path, source, loaded)
    return diagnostics


def _verify_item(item, data_path: tuple, source: SourceText, loaded: LoadedYaml) -> list[Diagnostic]:
    count = len(source.paragraphs)
    if item.para is not None and item.para > count:
        location = loaded.location_of(data_path + ("para",))
        return [error(location, f"para {item.para} does not exist: the source text has {count} paragraphs", "wrong-para")]
    if item.quote is None:
        return []
    holding = source.paragraphs_holding(item.quote)
    if not holding:
        number, similarity, passage = source.closest_paragraph(item.quote)
        message = "quote not found in the source text"
        if number:
            message += f"; closest is paragraph {number} ({similarity:.0%} similar): “{_shorten(passage)}”"
        return [error(loaded.location_of(data_path + ("quote",)), message, "quote-not-found")]
    if item.para is None:
        item.para = holding[0]
    elif item.para not in holding:
        where = ", ".join(str(n) for n in holding)
        location = loaded.location_of(data_path + ("para",))
        return [error(location, f"para {item.para} does not hold the quote; paragraph {where} does", "wrong-para")]
    return []


def _shorten(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def find_statements(paths: list[Path]) -> list[Path]:
    """Expand folders in ``paths`` to the statement files they hold, sorted by name."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.glob("*.yaml") if p.is_file())
        else:
            found.append(path)
    return found


@dataclass(frozen=True)
class LoadedPack:
    """A validated pack file with its statements loaded in pack order and its date settled."""

    path: Path
    briefing: Briefing
    statements: tuple[LoadedStatement, ...]
    date: dt.date


def build_date() -> dt.date:
    """Return today's date, or the date of ``SOURCE_DATE_EPOCH`` when it is set (reproducible builds)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc).date()
    return dt.date.today()


def load_pack(path: Path, *, strict: bool = False, strip_invalid: bool = False) -> tuple[LoadedPack | None, list[Diagnostic]]:
    """Load the pack file at ``path`` and every statement it names; return it and all diagnostics."""
    briefing, loaded, diagnostics = _load_model(path, Briefing, strip_invalid)
    if briefing is None:
        return None, diagnostics
    statement_paths, problems = _pack_statement_paths(briefing, path, loaded)
    diagnostics += problems
    statements = []
    for statement_path in statement_paths:
        statement, problems = load_statement(statement_path, strict=strict, strip_invalid=strip_invalid)
        diagnostics += problems
        if statement is not None:
            statements.append(statement)
    if any(d.is_error for d in diagnostics):
        return None, diagnostics
    if briefing.order == "date":
        statements.sort(key=lambda s: (s.statement.date, s.id))
    date = briefing.date or (briefing.meeting.date if briefing.meeting else None) or build_date()
    return LoadedPack(path, briefing, tuple(statements), date), diagnostics


def _pack_statement_paths(briefing: Briefing, pack_path: Path, loaded: LoadedYaml) -> tuple[list[Path], list[Diagnostic]]:
    """Expand the pack's statement paths and globs, refusing any that leave the pack's folder."""
    root = pack_path.parent
    resolved_root = root.resolve()
    found: list[Path] = []
    seen: set[Path] = set()  # a list's `in` made a thousand-statement glob quadratic
    diagnostics: list[Diagnostic] = []
    for index, pattern in enumerate(briefing.statements):
        location = loaded.location_of(("statements", index))
        if any(char in pattern for char in "*?["):
            _, refusal = check_relative_path(pattern.replace("*", "x").replace("?", "x").replace("[", "x"), root, root)
            matches = [] if refusal else sorted(p for p in root.glob(pattern) if p.is_file())
            if not refusal and not matches:
                refusal = "matches no statement file"
        else:
            resolved, refusal = check_relative_path(pattern, root, root)
            matches = [resolved] if resolved else []
            if resolved and not resolved.is_file():
                refusal, matches = "does not exist", []
        for match in matches:
            if not match.resolve().is_relative_to(resolved_root):
                diagnostics.append(error(location, f"statement '{display_path(match)}' leads outside the pack's folder", "unsafe-path"))
            elif match not in seen:
                seen.add(match)
                found.append(match)
        if refusal:
            missing = refusal in ("does not exist", "matches no statement file")
            advice = "" if missing else f"; give a path relative to {display_path(pack_path)}, inside its folder"
            diagnostics.append(error(location, f"statement path '{pattern}' {refusal}{advice}", "statement-missing" if missing else "unsafe-path"))
    return found, diagnostics
