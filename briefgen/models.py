"""Typed models of the statement file (``sources/<id>.yaml``), validated with pydantic.

Each field's docstring becomes its description in ``briefgen schema`` (see
:mod:`briefgen.schema`), which an editor with the YAML language server shows on hover. The field types refuse what YAML would
silently turn into something else; see :mod:`briefgen.yamlload`.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import unicodedata
from dataclasses import dataclass
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema
from pydantic_core import PydanticCustomError

from .yamlload import PlainScalar

_YAML_KIND = {"bool": "true/false value", "int": "number", "float": "number"}


def describe_value(value: Any) -> str:
    """Return how a wrong value is named in messages: 'a list', 'nothing', "'abc'"."""
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    return f"'{value}'"


def _visible(text: str) -> bool:
    """Whether ``text`` has anything a reader would see: not only spaces, soft hyphens, BOMs …"""
    first = text.lstrip()[:1]
    if first and first.isprintable():  # printable and not a space: seen (the usual case, decided by one character)
        return True
    return any(not char.isspace() and unicodedata.category(char) not in ("Cf", "Cc") for char in text)


def _text(value: Any) -> str:
    if isinstance(value, PlainScalar) and value.yaml_type in _YAML_KIND:
        kind = _YAML_KIND[value.yaml_type]
        raise PydanticCustomError(
            "implicit-type",
            "YAML reads {text} as a {kind}, not text; put it in quotes: \"{text}\"",
            {"text": str(value), "kind": kind},
        )
    if value is None or (isinstance(value, str) and not _visible(value)):
        raise PydanticCustomError("empty-value", "has no value; fill it in", {})
    if not isinstance(value, str):
        raise PydanticCustomError("wrong-type", "expected text, found {found}", {"found": describe_value(value)})
    return str(value).strip()


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise PydanticCustomError("invalid-url", "expected a web address starting with https:// or http://, found '{url}'", {"url": value})
    return value


def _full_date(value: Any) -> dt.date:
    if isinstance(value, dt.date):
        return value
    if value is None:
        raise PydanticCustomError("empty-value", "has no value; fill in a date as YYYY-MM-DD", {})
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise PydanticCustomError("invalid-date", "expected a date as YYYY-MM-DD, found {found}", {"found": describe_value(value)})
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise PydanticCustomError("invalid-date", "{text} is not a real date ({reason})", {"text": value, "reason": str(exc)}) from None


def _paragraph_number(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and value.strip().isdigit():
        number = int(value)
    else:
        raise PydanticCustomError("invalid-para", "expected a paragraph number (1, 2, 3 …), found {found}", {"found": describe_value(value)})
    if number < 1:
        raise PydanticCustomError("invalid-para", "paragraphs are numbered from 1", {})
    return number


@dataclass(frozen=True, order=True)
class PartialDate:
    """A date known to the year, the month or the day; sorts before more precise dates within it."""

    year: int
    month: int = 0  # 0: unknown
    day: int = 0  # 0: unknown

    @property
    def precision(self) -> str:
        """'day', 'month' or 'year': how much of the date is known."""
        return "day" if self.day else "month" if self.month else "year"

    def as_date(self) -> dt.date | None:
        """Return the full date, or None where only the month or year is known."""
        return dt.date(self.year, self.month, self.day) if self.day else None

    def __str__(self) -> str:
        if self.day:
            return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"
        if self.month:
            return f"{self.year:04d}-{self.month:02d}"
        return f"{self.year:04d}"


def _partial_date(value: Any) -> PartialDate:
    if isinstance(value, PartialDate):
        return value
    text = str(value) if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    match = re.fullmatch(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", text)
    if not match:
        raise PydanticCustomError(
            "invalid-date", "expected a date as YYYY-MM-DD, YYYY-MM or YYYY, found {found}", {"found": describe_value(value)}
        )
    year, month, day = (int(part) if part else 0 for part in match.groups())
    try:
        dt.date(year, month or 1, day or 1)
    except ValueError as exc:
        raise PydanticCustomError("invalid-date", "{text} is not a real date ({reason})", {"text": text, "reason": str(exc)}) from None
    return PartialDate(year, month, day)


def _language_code(value: str) -> str:
    if not re.fullmatch(r"[a-z]{2,3}", value):
        raise PydanticCustomError("invalid-language", "expected a two- or three-letter language code such as en, ru or kk, found '{value}'", {"value": value})
    return value


Text = Annotated[str, BeforeValidator(_text)]
Language = Annotated[str, BeforeValidator(_text), AfterValidator(_language_code)]
Url = Annotated[str, BeforeValidator(_text), AfterValidator(_http_url), WithJsonSchema({"type": "string", "format": "uri"})]
IsoDate = Annotated[dt.date, BeforeValidator(_full_date), WithJsonSchema({"type": "string", "format": "date"})]
FlexibleDate = Annotated[
    PartialDate,
    BeforeValidator(_partial_date),
    WithJsonSchema({"type": "string", "pattern": r"^\d{4}(-\d{2}(-\d{2})?)?$", "description": "YYYY-MM-DD, YYYY-MM or YYYY"}),
]
ParaNumber = Annotated[int, BeforeValidator(_paragraph_number), WithJsonSchema({"type": "integer", "minimum": 1})]

PROPOSAL_STATUSES = ("proposed", "under-discussion", "agreed", "implemented", "rejected")


def _status(value: Any) -> Any:
    if isinstance(value, str) and value not in PROPOSAL_STATUSES:
        close = difflib.get_close_matches(value, PROPOSAL_STATUSES, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        raise PydanticCustomError(
            "invalid-status", "status '{value}' is not one of {allowed}{hint}", {"value": value, "allowed": ", ".join(PROPOSAL_STATUSES), "hint": hint}
        )
    return value


Status = Annotated[Literal["proposed", "under-discussion", "agreed", "implemented", "rejected"], BeforeValidator(_status)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)


class Speaker(_Model):
    """The person who made the statement."""

    name: Text
    """Full name as it should appear in the note, e.g. Kassym-Jomart Tokayev."""
    role: Text | None = None
    """Office held at the time, e.g. President of Kazakhstan."""
    country: Text | None = None
    """Country or organisation the speaker represents."""


class Event(_Model):
    """The occasion at which the statement was made."""

    name: Text
    """Name of the meeting, summit or visit."""
    location: Text | None = None
    """City (and country) where it took place."""
    date: IsoDate | None = None
    """Date of the event, if different from the statement's date (YYYY-MM-DD)."""


class Source(_Model):
    """Where the statement was published."""

    publisher: Text
    """Who published it, e.g. Akorda (official website of the President of Kazakhstan)."""
    title: Text | None = None
    """Headline of the published item."""
    url: Url | None = None
    """Web address of the published item."""
    published: IsoDate | None = None
    """Publication date (YYYY-MM-DD)."""
    accessed: IsoDate | None = None
    """When the analyst retrieved it (YYYY-MM-DD)."""
    language: Language | None = None
    """Language of the statement and of its note, as an ISO 639 code: en, ru, kk …"""
    text: Text | None = None
    """Path of the full text, relative to this file (e.g. texts/<id>.txt); quotes are checked against it."""


class KeyPoint(_Model):
    """One point the analyst draws from the statement."""

    point: Text
    """The point, in the analyst's words."""
    quote: Text | None = None
    """Exact words from the source text that support it."""
    para: ParaNumber | None = None
    """Paragraph of the source text holding the quote (1-based); found automatically when omitted."""


class Attendee(_Model):
    """A person present at the event."""

    name: Text
    """Full name."""
    role: Text | None = None
    """Office held."""
    country: Text | None = None
    """Country represented."""
    organisation: Text | None = None
    """Organisation represented."""


class Upcoming(_Model):
    """A date ahead named in the statement."""

    date: FlexibleDate
    """When: YYYY-MM-DD, or YYYY-MM or YYYY where the day is not known."""
    event: Text
    """What happens then."""
    location: Text | None = None
    """Where."""
    quote: Text | None = None
    """Exact words from the source text that announce it."""
    para: ParaNumber | None = None
    """Paragraph of the source text holding the quote (1-based)."""


class Proposal(_Model):
    """A proposal made or reported in the statement."""

    proposal: Text
    """What is proposed, in the analyst's words."""
    by: Text | None = None
    """Who proposes it."""
    status: Status | None = None
    """One of proposed, under-discussion, agreed, implemented, rejected."""
    quote: Text | None = None
    """Exact words from the source text that make the proposal."""
    para: ParaNumber | None = None
    """Paragraph of the source text holding the quote (1-based)."""


class Statement(_Model):
    """A curated summary of one public statement: the contents of sources/<id>.yaml."""

    title: Text
    """Headline of the briefing note."""
    date: IsoDate
    """When the statement was made (YYYY-MM-DD)."""
    speaker: Speaker
    """Who made it."""
    event: Event | None = None
    """Where it was made."""
    source: Source
    """Where it was published."""
    summary: Text
    """The bottom line in one to three sentences."""
    key_points: list[KeyPoint] = Field(min_length=1)
    """The analyst's points, each ideally with a supporting quote."""
    attendees: list[Attendee] = []
    """Who was there."""
    upcoming: list[Upcoming] = []
    """Dates ahead that the statement names."""
    proposals: list[Proposal] = []
    """Proposals made or reported."""
    tags: list[Text] = []
    """Keywords for filtering and the index."""
    comment: Text | None = None
    """The analyst's own assessment, shown apart from what was said."""


#: Items of a statement that can carry a citation (``quote`` and/or ``para``).
CitedItem = KeyPoint | Upcoming | Proposal


class Meeting(_Model):
    """The meeting the pack prepares for."""

    name: Text
    """Name of the meeting."""
    date: IsoDate | None = None
    """When it takes place (YYYY-MM-DD)."""
    location: Text | None = None
    """Where it takes place."""


PACK_FORMATS = ("docx", "pdf", "ics", "eml", "md")
PackFormat = Annotated[Literal["docx", "pdf", "ics", "eml", "md"], BeforeValidator(_text)]


class Briefing(_Model):
    """A briefing pack: the contents of briefing.yaml."""

    title: Text
    """Title of the pack, printed on the cover and used in the file names."""
    subtitle: Text | None = None
    """A line under the title."""
    meeting: Meeting | None = None
    """The meeting the pack prepares for."""
    date: IsoDate | None = None
    """Date of the pack (YYYY-MM-DD); defaults to the meeting's date."""
    prepared_by: Text | None = None
    """Who prepared the pack; also written as the documents' author."""
    prepared_for: Text | None = None
    """Whom the pack is for."""
    classification: Text | None = None
    """Marking printed at the top and bottom of every page, e.g. OFFICIAL."""
    statements: list[Text] = ["sources/*.yaml"]
    """Statement files or glob patterns, relative to briefing.yaml."""
    order: Literal["date", "listed"] = "date"
    """Order of the statements: by date, or as listed."""
    template: Text = "default"
    """Template folder: a name under templates/ or shipped with briefgen, or a path."""
    formats: list[PackFormat] = ["docx", "pdf", "ics"]
    """Outputs to write: docx, pdf, ics, eml, md (Markdown that pandoc reads)."""
    language: Language = "en"
    """Language of the pack's own wording (headings, dates): en, ru."""
    aliases: dict[str, list[Text]] = {}
    """Other spellings of a person's name, merged into one entry of the people index: name → spellings."""
