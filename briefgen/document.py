"""The format-neutral document model: what composers produce and renderers consume.

This module imports nothing of briefgen's. Renderers (DOCX, PDF, ...) see only these
types, never YAML, validated models or Jinja2, so a new output format is one module that
walks a :class:`Document`.

All containers are tuples and all classes are frozen, so a document can be shared between
renderers running side by side without one disturbing another.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Union

# --- inline content -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Text:
    """A run of literal text, optionally bold and/or italic."""

    text: str
    bold: bool = False
    italic: bool = False


@dataclass(frozen=True, slots=True)
class Link:
    """A hyperlink to an external ``href`` whose visible content is ``children``."""

    href: str
    children: tuple[Inline, ...]


@dataclass(frozen=True, slots=True)
class Footnote:
    """A note whose marker stands where it occurs and whose ``children`` go to the page foot.

    Renderers number footnotes themselves, 1, 2, 3 … in order of appearance in the whole
    document. A footnote's children are :class:`Text`, :class:`Link` and
    :class:`LineBreak` only; footnotes do not nest.
    """

    children: tuple[Inline, ...]


@dataclass(frozen=True, slots=True)
class LineBreak:
    """A forced line break inside a paragraph."""


Inline = Union[Text, Link, Footnote, LineBreak]


# --- blocks -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Heading:
    """A heading; ``level`` 0 is the document title, 1–3 are section levels."""

    level: int
    children: tuple[Inline, ...]
    anchor: str | None = None


#: The roles a paragraph can play; each maps to a named style in every renderer.
PARAGRAPH_ROLES = (
    "body",  # running text
    "lead",  # the bottom line / summary, set larger
    "meta",  # the line under a title: who, where, when (Word: Subtitle)
    "quote",  # a quotation set apart (Word: Quote)
    "aside",  # the analyst's own assessment, visibly apart from what was said
    "small",  # fine print: source lists, notes on method
)


@dataclass(frozen=True, slots=True)
class Paragraph:
    """A paragraph of inline content playing one of :data:`PARAGRAPH_ROLES`."""

    children: tuple[Inline, ...]
    role: str = "body"


@dataclass(frozen=True, slots=True)
class ListBlock:
    """A bulleted (or, with ``ordered``, numbered) list whose items are inline runs."""

    items: tuple[tuple[Inline, ...], ...]
    ordered: bool = False


@dataclass(frozen=True, slots=True)
class Table:
    """A table with one header row and body rows of inline-content cells.

    ``widths`` are relative column widths (any positive numbers; renderers scale them to
    the text width); ``None`` means equal columns.
    """

    header: tuple[tuple[Inline, ...], ...]
    rows: tuple[tuple[tuple[Inline, ...], ...], ...]
    widths: tuple[float, ...] | None = None


@dataclass(frozen=True, slots=True)
class PageBreak:
    """Start the following content on a new page."""


@dataclass(frozen=True, slots=True)
class Cover:
    """A title page on its own: title, subtitle and labelled details (meeting, date, …)."""

    title: tuple[Inline, ...]
    subtitle: tuple[Inline, ...] = ()
    details: tuple[tuple[tuple[Inline, ...], tuple[Inline, ...]], ...] = ()  # (label, value) pairs


@dataclass(frozen=True, slots=True)
class Contents:
    """A table of contents listing the headings of levels 1..``depth`` with their page numbers.

    Renderers collect the entries from the document's headings themselves, link each entry
    to its heading, and give headings without an ``anchor`` one of their own.
    """

    title: tuple[Inline, ...]
    depth: int = 2


Block = Union[Heading, Paragraph, ListBlock, Table, PageBreak, Cover, Contents]


# --- document -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Metadata:
    """Document properties written to DOCX core properties and the PDF info dictionary."""

    title: str
    subject: str = ""
    author: str = ""
    keywords: tuple[str, ...] = ()
    language: str = "en"
    created: dt.datetime | None = None
    classification: str = ""
    """Marking printed at the top and bottom of every page (e.g. OFFICIAL); empty for none."""
    page_label: str = "{page} / {pages}"
    """Wording of the page number in the footer, with ``{page}`` and ``{pages}`` placeholders."""


@dataclass(frozen=True, slots=True)
class CalendarEvent:
    """A dated event for calendar outputs: an all-day event on ``date``."""

    uid: str  # stable across rebuilds, derived from the event's content
    date: dt.date
    summary: str
    location: str = ""
    description: str = ""
    url: str = ""


@dataclass(frozen=True, slots=True)
class FontFamily:
    """One typeface: its family name and the file of each of its four styles."""

    name: str
    regular: str
    bold: str
    italic: str
    bold_italic: str


@dataclass(frozen=True, slots=True)
class Style:
    """The house style: page, type and colour, shared by every renderer.

    Lengths are in points (1/72 inch), colours are ``RRGGBB`` hex strings.
    """

    page_width: float = 595.28  # A4
    page_height: float = 841.89
    margin_top: float = 72.0
    margin_right: float = 68.0
    margin_bottom: float = 72.0
    margin_left: float = 68.0
    body_font: FontFamily | None = None
    heading_font: FontFamily | None = None
    body_size: float = 10.5
    leading: float = 1.35  # line height as a multiple of the font size
    title_size: float = 22.0
    heading_sizes: tuple[float, float, float] = (15.0, 12.5, 11.0)
    footnote_size: float = 8.5
    text_colour: str = "1A1A1A"
    accent_colour: str = "1F3A5F"
    muted_colour: str = "5F6B7A"
    rule_colour: str = "B8C2CC"
    table_header_fill: str = "E8EDF2"
    aside_fill: str = "F3F5F7"
    classification_colour: str = "9B1C1C"
    logo: bytes | None = None  # PNG or JPEG shown on the cover
    logo_width: float = 110.0  # points; the height follows the image's proportions


@dataclass(frozen=True, slots=True)
class Document:
    """A complete document: metadata, house style and a sequence of blocks."""

    metadata: Metadata
    blocks: tuple[Block, ...]
    style: Style = field(default_factory=Style)
    events: tuple[CalendarEvent, ...] = ()


@dataclass(frozen=True, slots=True)
class EmailDraft:
    """The text of an email that carries a pack: subject and plain-text and HTML bodies."""

    subject: str
    text: str
    html: str
    date: dt.date | None = None


def plain_text(children: tuple[Inline, ...]) -> str:
    """Return the visible text of inline content, footnotes left out."""
    parts: list[str] = []
    for child in children:
        if isinstance(child, Text):
            parts.append(child.text)
        elif isinstance(child, Link):
            parts.append(plain_text(child.children))
        elif isinstance(child, LineBreak):
            parts.append("\n")
    return "".join(parts)
