"""Render a :class:`~briefgen.document.Document` as a typeset PDF with reportlab platypus.

The PDF has the house style's fonts embedded as subsets, footnotes at the foot of the page
that cites them (see :mod:`briefgen.render.pdf_footnotes`), clickable links, an outline
of the headings, document metadata and "N / M" page numbers. Output is byte-identical for
identical input: reportlab runs in invariant mode and the creation date comes from the
document's metadata.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

from reportlab.lib.colors import Color, HexColor
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import BaseDocTemplate, PageTemplate, Paragraph, Spacer, Table, TableStyle
from reportlab.platypus.flowables import Flowable, PageBreakIfNotEmpty

from briefgen.document import (
    Document,
    FontFamily,
    Footnote,
    Heading,
    Inline,
    LineBreak,
    Link,
    ListBlock,
    Metadata,
    PageBreak,
    Paragraph as ParagraphBlock,
    Style,
    Table as TableBlock,
    Text,
    plain_text,
)

from .pdf_footnotes import (
    FootnoteFrame,
    FootnoteLedger,
    KeepWithNext,
    marker_anchor,
    note_anchor,
)

__all__ = ["render_pdf"]


def render_pdf(document: Document) -> bytes:
    """Return the bytes of ``document`` typeset as a PDF."""
    style = document.style
    # A style naming one family uses it throughout rather than a Latin-only built-in font.
    body = _register_family(style.body_font or style.heading_font, _TIMES)
    heading = _register_family(style.heading_font or style.body_font, _HELVETICA)
    sheet = _StyleSheet(style, body, heading)
    story = _StoryBuilder(sheet, document.blocks)
    flowables = story.build()
    ledger = FootnoteLedger(
        story.footnotes,
        sheet.text_width,
        space_above_rule=sheet.body_leading * 0.9,
        space_below_rule=style.footnote_size * 0.7,
        space_between_notes=style.footnote_size * 0.25,
        rule_length=min(sheet.text_width * 0.3, 144.0),
        rule_width=0.5,
        rule_colour=sheet.rule_colour,
    )
    # A footnote never breaks across pages, so each must fit under one line of text.
    ledger.check_notes_fit(style.page_height - style.margin_top - style.margin_bottom - sheet.body_leading)
    buffer = io.BytesIO()
    template = _BriefDocTemplate(buffer, document.metadata, style, sheet, ledger, story.outline)
    template.build(flowables or [Spacer(0, 0)])  # a PDF needs at least one page
    return template.finish(buffer)


# --- fonts -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Faces:
    """The reportlab names of one family's four styles."""

    regular: str
    bold: str
    italic: str
    bold_italic: str


# reportlab's built-in (unembedded, Latin-only) families, used when a style names no font.
_TIMES = _Faces("Times-Roman", "Times-Bold", "Times-Italic", "Times-BoldItalic")
_HELVETICA = _Faces("Helvetica", "Helvetica-Bold", "Helvetica-Oblique", "Helvetica-BoldOblique")

# reportlab keeps registered fonts in process-wide tables, so registration is guarded
# and keyed by the files' content: equal files share names, different files never do.
_FONT_LOCK = threading.Lock()
_FILE_DIGESTS: dict[tuple[str, int, int], str] = {}
# Saving cuts the font subsets, which reads glyphs through a cursor kept on the shared
# font face; two documents saving at once in different threads would corrupt each other.
_SUBSETTING_LOCK = threading.Lock()
_REGISTERED_FAMILIES: dict[tuple[str, ...], _Faces] = {}


def _register_family(family: FontFamily | None, fallback: _Faces) -> _Faces:
    """Register ``family``'s four TrueType files with reportlab once and return their names."""
    if family is None:
        return fallback
    paths = (family.regular, family.bold, family.italic, family.bold_italic)
    with _FONT_LOCK:
        digests = tuple(_file_digest(path) for path in paths)
        faces = _REGISTERED_FAMILIES.get(digests)
        if faces is None:
            family_id = hashlib.sha256("".join(digests).encode()).hexdigest()[:12]
            names = [f"briefgen-{family_id}-{variant}" for variant in ("r", "b", "i", "bi")]
            registered = set(pdfmetrics.getRegisteredFontNames())
            for name, path, digest in zip(names, paths, digests):
                if name not in registered:
                    _register_face(name, path, digest)
            faces = _Faces(*names)
            pdfmetrics.registerFontFamily(
                f"briefgen-{family_id}", normal=faces.regular, bold=faces.bold, italic=faces.italic, boldItalic=faces.bold_italic
            )
            _REGISTERED_FAMILIES[digests] = faces
    return faces


def _register_face(name: str, path: str, digest: str) -> None:
    """Register one TrueType file under ``name``, never borrowing another file's glyphs."""
    font = TTFont(name, path)
    font.briefgen_digest = digest
    pdfmetrics.registerFont(font)
    # reportlab hands the font first registered under a PostScript name to every later font
    # of that name; that is only right when the files are the same bytes.
    if getattr(pdfmetrics.getFont(name), "briefgen_digest", None) != digest:
        pdfmetrics._fonts[name] = font


def _file_digest(path: str) -> str:
    """Return the SHA-256 of a file's bytes, read once per path, size and modification time."""
    stat = os.stat(path)
    key = (os.path.abspath(path), stat.st_mtime_ns, stat.st_size)
    digest = _FILE_DIGESTS.get(key)
    if digest is None:
        digest = _FILE_DIGESTS[key] = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    return digest


# --- styles ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Box:
    """Decoration drawn behind a boxed paragraph: optional fill and left rule, and padding."""

    fill: Color | None = None
    rule_colour: Color | None = None
    rule_width: float = 0.0
    rule_x: float = 0.0
    pad_top: float = 0.0
    pad_bottom: float = 0.0


class _StyleSheet:
    """The reportlab paragraph and table styles derived from the house :class:`Style`."""

    def __init__(self, style: Style, body: _Faces, heading: _Faces) -> None:
        self.style = style
        self.body_faces = body
        self.heading_faces = heading
        self.text_width = style.page_width - style.margin_left - style.margin_right
        self.body_leading = style.body_size * style.leading
        self.text_colour = _colour(style.text_colour)
        self.accent_colour = _colour(style.accent_colour)
        self.muted_colour = _colour(style.muted_colour)
        self.rule_colour = _colour(style.rule_colour)
        self.accent_hex = _hex(style.accent_colour)
        self.table_header_fill = _colour(style.table_header_fill)
        self.aside_fill = _colour(style.aside_fill)
        self.body = self._paragraph("body", spaceAfter=self.body_leading * 0.55)
        self.roles = self._role_styles()
        self.headings = self._heading_styles()
        self.bullet_item, self.bullet_item_last = self._list_item_styles(ordered=False)
        self.number_item, self.number_item_last = self._list_item_styles(ordered=True)
        self.cell = self._paragraph("cell", fontSize=style.body_size * 0.92, leading=style.body_size * 0.92 * 1.3, allowWidows=1)
        self.header_cell = self._paragraph(
            "header-cell", fontName=heading.bold, fontSize=style.body_size * 0.88, leading=style.body_size * 0.88 * 1.3
        )
        self.footnote = self._paragraph(
            "footnote",
            fontSize=style.footnote_size,
            leading=style.footnote_size * 1.3,
            bulletFontName=body.regular,
            bulletFontSize=style.footnote_size,
            bulletAnchor="end",
            allowWidows=1,
        )

    def _paragraph(self, name: str, **overrides: object) -> ParagraphStyle:
        size = self.style.body_size
        settings: dict[str, object] = dict(
            fontName=self.body_faces.regular,
            fontSize=size,
            leading=self.body_leading,
            textColor=self.text_colour,
            alignment=TA_LEFT,
            allowWidows=0,  # never strand a paragraph's last line at the top of a page
            allowOrphans=0,
            splitLongWords=1,  # long URLs break instead of running into the margin
            bulletFontName=self.body_faces.regular,
        )
        settings.update(overrides)
        return ParagraphStyle(name, **settings)

    def _role_styles(self) -> dict[str, ParagraphStyle]:
        size, leading = self.style.body_size, self.body_leading
        lead_size = size * 1.2
        small_size = size * 0.86
        quote = self._paragraph(
            "quote", fontName=self.body_faces.italic, leftIndent=20, rightIndent=14, spaceBefore=leading * 0.3, spaceAfter=leading * 0.85
        )
        quote.briefgen_box = _Box(rule_colour=self.accent_colour, rule_width=1.6, rule_x=7)
        pad = size * 0.8
        aside = self._paragraph("aside", leftIndent=pad + 4, rightIndent=pad, spaceBefore=leading * 0.5, spaceAfter=leading * 0.95)
        aside.briefgen_box = _Box(fill=self.aside_fill, rule_colour=self.accent_colour, rule_width=2.5, rule_x=1.25, pad_top=pad, pad_bottom=pad)
        return {
            "body": self.body,
            "lead": self._paragraph("lead", fontSize=lead_size, leading=lead_size * 1.32, spaceAfter=leading * 0.9),
            "meta": self._paragraph(
                "meta",
                fontName=self.heading_faces.regular,
                fontSize=size * 0.9,
                leading=size * 0.9 * 1.35,
                textColor=self.muted_colour,
                spaceAfter=leading * 1.0,
            ),
            "quote": quote,
            "aside": aside,
            "small": self._paragraph("small", fontSize=small_size, leading=small_size * 1.35, spaceAfter=leading * 0.4),
        }

    def _heading_styles(self) -> tuple[ParagraphStyle, ...]:
        style, faces = self.style, self.heading_faces
        title = self._paragraph(
            "title",
            fontName=faces.bold,
            fontSize=style.title_size,
            leading=style.title_size * 1.18,
            textColor=self.accent_colour,
            spaceAfter=style.title_size * 0.35,
            keepWithNext=1,
        )
        levels = []
        for level, (size, colour, before) in enumerate(
            zip(style.heading_sizes, (self.accent_colour, self.accent_colour, self.text_colour), (1.45, 1.25, 1.1)), start=1
        ):
            levels.append(
                self._paragraph(
                    f"heading{level}",
                    fontName=faces.bold,
                    fontSize=size,
                    leading=size * 1.22,
                    textColor=colour,
                    spaceBefore=self.body_leading * before,
                    spaceAfter=size * 0.4,
                    keepWithNext=1,
                )
            )
        return (title, *levels)

    def _list_item_styles(self, *, ordered: bool) -> tuple[ParagraphStyle, ParagraphStyle]:
        indent = self.style.body_size * 1.7
        item = self._paragraph(
            "number-item" if ordered else "bullet-item",
            leftIndent=indent,
            # Numbers align on their right edge just before the text; bullets hang from a fixed point.
            bulletIndent=indent - self.style.body_size * 0.45 if ordered else self.style.body_size * 0.35,
            bulletAnchor="end" if ordered else "start",
            bulletColor=self.accent_colour,
            spaceAfter=self.body_leading * 0.22,
        )
        last = ParagraphStyle(f"{item.name}-last", parent=item, spaceAfter=self.body.spaceAfter + self.body_leading * 0.1)
        return item, last


def _colour(hex_value: str) -> Color:
    """Return the reportlab colour of an ``RRGGBB`` style value."""
    return HexColor(f"#{_hex(hex_value)}")


def _hex(hex_value: str) -> str:
    """Return a validated ``RRGGBB``; style values also end up inside paragraph markup."""
    value = hex_value.strip().lstrip("#")
    if not re.fullmatch(r"[0-9A-Fa-f]{6}", value):
        raise ValueError(f"invalid colour {hex_value!r}: expected RRGGBB hex")
    return value.upper()


# --- inline content → reportlab paragraph markup -----------------------------------------------

_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CLICKABLE_SCHEMES = frozenset({"http", "https", "mailto"})


def _escape(text: str) -> str:
    """Return ``text`` safe inside reportlab markup, in element content or a double-quoted attribute."""
    return escape(_CONTROL_CHARACTERS.sub(" ", text), {'"': "&quot;"})


class _InlineWriter:
    """Turns inline content into escaped paragraph markup, numbering footnotes as it meets them."""

    def __init__(self, sheet: _StyleSheet, heading_anchors: dict[str, str]) -> None:
        self._sheet = sheet
        self._heading_anchors = heading_anchors
        self.footnotes: dict[int, str] = {}  # number → markup of the note's text

    def markup(self, children: tuple[Inline, ...], *, in_note: bool = False) -> str:
        """Return the markup for ``children``."""
        return "".join(self._inline(child, in_note, in_link=False) for child in children)

    def _inline(self, child: Inline, in_note: bool, in_link: bool) -> str:
        if isinstance(child, Text):
            return self._text(child)
        if isinstance(child, Link):
            return self._link(child, in_note, in_link)
        if isinstance(child, LineBreak):
            return "<br/>"
        if isinstance(child, Footnote):
            if in_note:  # the model forbids nested notes; keep their words rather than lose them
                return "".join(self._inline(c, in_note, in_link) for c in child.children)
            return self._footnote(child)
        raise TypeError(f"unknown inline content: {type(child).__name__}")

    @staticmethod
    def _text(text: Text) -> str:
        markup = _escape(text.text)
        if text.bold:
            markup = f"<b>{markup}</b>"
        if text.italic:
            markup = f"<i>{markup}</i>"
        return markup

    def _link(self, link: Link, in_note: bool, in_link: bool) -> str:
        inner = "".join(self._inline(c, in_note, in_link=True) for c in link.children)
        target = None if in_link else self._link_target(link.href)
        if target is None:
            return inner
        return f'<a href="{_escape(target)}" color="#{self._sheet.accent_hex}">{inner}</a>'

    def _link_target(self, href: str) -> str | None:
        """Return where a link may point in the PDF, or None if it must stay plain text."""
        href = href.strip()
        if href.startswith("#"):
            key = self._heading_anchors.get(href[1:])
            return f"#{key}" if key else None
        try:
            scheme = urlsplit(href).scheme.lower()
        except ValueError:
            return None
        return href if scheme in _CLICKABLE_SCHEMES else None

    def _footnote(self, note: Footnote) -> str:
        number = len(self.footnotes) + 1
        self.footnotes[number] = self.markup(note.children, in_note=True)
        # The invisible anchor lets the layout find the marker; it goes last because
        # reportlab will not break an over-long word that starts with an anchor.
        return (
            f'<a href="#{note_anchor(number)}" color="#{self._sheet.accent_hex}">'
            f'<super size="66%" rise="36%">{number}</super></a>'
            f'<a name="{marker_anchor(number)}"/>'
        )


# --- blocks → flowables -----------------------------------------------------------------


class _Paragraph(Paragraph):
    """A paragraph that breaks its lines again only when its width changes.

    platypus re-wraps a paragraph on every placement attempt, and a table re-wraps every
    cell on every split attempt; line breaks depend on the width alone, so keep them.
    """

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803
        cached = self.__dict__.get("_wrapped")
        if cached is not None and cached[0] == availWidth and cached[1] is self.__dict__.get("blPara"):
            self.width, self.height = availWidth, cached[2]
            return availWidth, cached[2]
        width, height = super().wrap(availWidth, availHeight)
        self._wrapped = (availWidth, self.blPara, height)  # split() replaces or drops blPara
        return width, height


class _HeadingParagraph(_Paragraph):
    """A heading that marks its top as the destination named by its style's ``briefgen_bookmark``."""

    def split(self, availWidth: float, availHeight: float) -> list:  # noqa: N803
        parts = super().split(availWidth, availHeight)
        if len(parts) > 1:
            parts[1]._continued = True  # the destination belongs to the first part only
        return parts

    def draw(self) -> None:
        if not getattr(self, "_continued", False):
            self.canv.bookmarkHorizontal(self.style.briefgen_bookmark, 0, self.height)
        super().draw()


class _BoxedParagraph(_Paragraph):
    """A paragraph drawn over its style's :class:`_Box`: a shaded panel and/or a rule at its left."""

    def _box(self) -> _Box:
        return self.style.briefgen_box

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803
        box = self._box()
        width, height = super().wrap(availWidth, availHeight - box.pad_top - box.pad_bottom)
        return width, height + box.pad_top + box.pad_bottom

    def split(self, availWidth: float, availHeight: float) -> list:  # noqa: N803
        box = self._box()
        return super().split(availWidth, availHeight - box.pad_top - box.pad_bottom)

    def draw(self) -> None:
        box, canv = self._box(), self.canv
        total = self.height + box.pad_top + box.pad_bottom
        canv.saveState()
        if box.fill is not None:
            canv.setFillColor(box.fill)
            canv.rect(0, 0, self.width, total, stroke=0, fill=1)
        if box.rule_colour is not None and box.rule_width:
            canv.setStrokeColor(box.rule_colour)
            canv.setLineWidth(box.rule_width)
            canv.line(box.rule_x, 0, box.rule_x, total)
        canv.translate(0, box.pad_bottom)
        super().draw()
        canv.restoreState()


@dataclass(frozen=True)
class _OutlineEntry:
    """One heading's entry in the PDF outline."""

    title: str
    level: int


class _StoryBuilder:
    """Turns the document's blocks into platypus flowables, collecting footnotes and outline."""

    def __init__(self, sheet: _StyleSheet, blocks: tuple) -> None:
        self._sheet = sheet
        self._blocks = blocks
        anchors: dict[str, str] = {}
        for index, block in enumerate(blocks):
            if isinstance(block, Heading) and block.anchor:
                anchors.setdefault(block.anchor, _heading_key(index))
        self._inline = _InlineWriter(sheet, anchors)
        #: Outline entries by the destination name of each heading.
        self.outline: dict[str, _OutlineEntry] = {}
        #: Footnote paragraphs by number, filled by :meth:`build`.
        self.footnotes: dict[int, Paragraph] = {}

    def build(self) -> list[Flowable]:
        """Return the story's flowables."""
        flowables: list[Flowable] = []
        previous_level = -1
        for index, block in enumerate(self._blocks):
            if isinstance(block, Heading):
                key = _heading_key(index)
                flowables.append(self._heading(block, key, previous_level))
                previous_level = self.outline[key].level
            elif isinstance(block, ParagraphBlock):
                flowables.append(self._paragraph(block))
            elif isinstance(block, ListBlock):
                flowables.extend(self._list(block))
            elif isinstance(block, TableBlock):
                if block.header or any(block.rows):
                    flowables.append(self._table(block))
            elif isinstance(block, PageBreak):
                flowables.append(PageBreakIfNotEmpty())
            else:
                raise TypeError(f"unknown block: {type(block).__name__}")
        self.footnotes = self._footnote_paragraphs()
        return flowables

    def _heading(self, heading: Heading, key: str, previous_level: int) -> Paragraph:
        level = min(max(heading.level, 0), 3)
        # Outline levels may only step one deeper at a time.
        title = " ".join(plain_text(heading.children).split()) or "—"
        self.outline[key] = _OutlineEntry(title, min(level, previous_level + 1))
        style = ParagraphStyle(key, parent=self._sheet.headings[level])
        style.briefgen_bookmark = key
        return _HeadingParagraph(self._inline.markup(heading.children), style)

    def _paragraph(self, paragraph: ParagraphBlock) -> Paragraph:
        style = self._sheet.roles.get(paragraph.role, self._sheet.body)
        kind = _BoxedParagraph if hasattr(style, "briefgen_box") else _Paragraph
        return kind(self._inline.markup(paragraph.children), style)

    def _list(self, block: ListBlock) -> list[Paragraph]:
        sheet = self._sheet
        item, last = (sheet.number_item, sheet.number_item_last) if block.ordered else (sheet.bullet_item, sheet.bullet_item_last)
        paragraphs = []
        for index, children in enumerate(block.items, start=1):
            bullet = f"{index}." if block.ordered else "•"
            style = last if index == len(block.items) else item
            paragraphs.append(_Paragraph(self._inline.markup(children), style, bulletText=bullet))
        return paragraphs

    def _table(self, block: TableBlock) -> Table:
        sheet = self._sheet
        columns = max([len(block.header)] + [len(row) for row in block.rows])
        header = [_Paragraph(self._inline.markup(cell), sheet.header_cell) for cell in block.header]
        rows = [[_Paragraph(self._inline.markup(cell), sheet.cell) for cell in row] for row in block.rows]
        data = [_padded(header, columns)] + [_padded(row, columns) for row in rows]
        table = Table(
            data,
            colWidths=_column_widths(block.widths, columns, sheet.text_width),
            repeatRows=1,
            hAlign="LEFT",
            spaceBefore=sheet.body_leading * 0.35,
            spaceAfter=sheet.body_leading * 0.9,
        )
        table.setStyle(_table_style(sheet))
        return table

    def _footnote_paragraphs(self) -> dict[int, Paragraph]:
        sheet = self._sheet
        notes = self._inline.footnotes
        if not notes:
            return {}
        widest = max(pdfmetrics.stringWidth(str(n), sheet.body_faces.regular, sheet.style.footnote_size) for n in notes)
        gap = sheet.style.footnote_size * 0.6
        style = ParagraphStyle("footnote-hung", parent=sheet.footnote, leftIndent=widest + gap, bulletIndent=widest)
        return {
            number: _Paragraph(markup, style, bulletText=str(number))
            for number, markup in notes.items()
        }


def _heading_key(index: int) -> str:
    """Return the anchor name of the heading that is block ``index``."""
    return f"bghead{index}"


def _padded(cells: list[Paragraph], columns: int) -> list[Paragraph | str]:
    """Return a row with empty cells added so it spans ``columns``."""
    return cells + [""] * (columns - len(cells))


def _column_widths(widths: tuple[float, ...] | None, columns: int, text_width: float) -> list[float]:
    """Scale relative ``widths`` to the text width; equal columns when absent or unusable."""
    if not widths or len(widths) != columns or any(w <= 0 for w in widths):
        widths = (1.0,) * columns
    total = float(sum(widths))
    return [text_width * w / total for w in widths]


def _table_style(sheet: _StyleSheet) -> TableStyle:
    padding = sheet.style.body_size * 0.5
    return TableStyle(
        [
            ("BACKGROUND", (0, 0), (-1, 0), sheet.table_header_fill),
            ("LINEABOVE", (0, 0), (-1, 0), 0.8, sheet.rule_colour),
            ("LINEBELOW", (0, 0), (-1, 0), 0.8, sheet.rule_colour),
            ("LINEBELOW", (0, 1), (-1, -1), 0.4, sheet.rule_colour),
            # Cells hold paragraphs, but tables still select a cell font; keep it ours, not Helvetica.
            ("FONTNAME", (0, 0), (-1, -1), sheet.body_faces.regular),
            ("FONTSIZE", (0, 0), (-1, -1), sheet.cell.fontSize),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (-1, -1), padding),
            ("RIGHTPADDING", (0, 0), (-1, -1), padding),
            ("TOPPADDING", (0, 0), (-1, -1), padding * 0.7),
            ("BOTTOMPADDING", (0, 0), (-1, -1), padding * 0.9),
        ]
    )


# --- the document template -------------------------------------------------------------


class _BriefDocTemplate(BaseDocTemplate):
    """One page template whose body frame yields room at its foot to the page's footnotes."""

    def __init__(
        self,
        buffer: io.BytesIO,
        metadata: Metadata,
        style: Style,
        sheet: _StyleSheet,
        ledger: FootnoteLedger,
        outline: dict[str, _OutlineEntry],
    ) -> None:
        self.footnote_ledger = ledger  # read by FootnoteFrame through the canvas
        self._outline = outline
        self._outlined: set[str] = set()
        self._created = metadata.created
        self._footer = _Footer(metadata.title, style, sheet)
        super().__init__(
            buffer,
            pagesize=(style.page_width, style.page_height),
            leftMargin=style.margin_left,
            rightMargin=style.margin_right,
            topMargin=style.margin_top,
            bottomMargin=style.margin_bottom,
            title=metadata.title,
            author=metadata.author,
            subject=metadata.subject,
            keywords=", ".join(metadata.keywords),
            creator="briefgen",
            lang=metadata.language or None,
            invariant=1,
            # reportlab's default initial font is an unembedded Helvetica in every page preamble.
            initialFontName=sheet.body_faces.regular,
            initialFontSize=style.body_size,
            displayDocTitle=1,
            keepTogetherClass=KeepWithNext,
        )
        self._doSave = 0  # finish() adds the page-number forms before saving
        body = FootnoteFrame(
            self.leftMargin, self.bottomMargin, self.width, self.height,
            leftPadding=0, bottomPadding=0, rightPadding=0, topPadding=0, id="body",
        )  # fmt: skip
        self.addPageTemplates([PageTemplate(id="page", frames=[body], onPageEnd=self._end_page)])

    def beforeDocument(self) -> None:
        """Stamp the creation date from the metadata instead of reportlab's fixed invariant date."""
        if self._created is not None:
            self.canv.setDateFormatter(_pdf_date_formatter(self._created))

    def beforePage(self) -> None:
        """Start the page with an empty footnote block."""
        self.footnote_ledger.start_page()

    def afterFlowable(self, flowable: Flowable) -> None:
        """Add a heading's outline entry once the heading has been drawn."""
        key = getattr(getattr(flowable, "style", None), "briefgen_bookmark", None)
        if key is not None and key not in self._outlined:
            self._outlined.add(key)
            entry = self._outline[key]
            self.canv.addOutlineEntry(entry.title, key, level=entry.level, closed=entry.level >= 2)

    def _end_page(self, canv, doc) -> None:
        self.footnote_ledger.draw(canv, self.leftMargin, self.bottomMargin)
        self._footer.draw(canv, self.page)

    def finish(self, buffer: io.BytesIO) -> bytes:
        """Write page numbers now that the page count is known, save, and return the PDF bytes."""
        self._footer.write_page_numbers(self.canv, self.page)
        if self._outlined:
            self.canv.showOutline()
        with _SUBSETTING_LOCK:
            self.canv.save()
        return buffer.getvalue()


def _pdf_date_formatter(created: dt.datetime | dt.date):
    """Return a reportlab date formatter that always answers ``created`` as a PDF date."""
    if not isinstance(created, dt.datetime):
        created = dt.datetime(created.year, created.month, created.day)
    stamp = created.strftime("D:%Y%m%d%H%M%S")
    offset = created.utcoffset()
    if offset is not None:
        minutes = int(offset.total_seconds() // 60)
        sign = "+" if minutes >= 0 else "-"
        stamp += f"{sign}{abs(minutes) // 60:02d}'{abs(minutes) % 60:02d}'"
    return lambda *_: stamp


class _Footer:
    """The running foot: the document title at the left, "N / M" at the right."""

    def __init__(self, title: str, style: Style, sheet: _StyleSheet) -> None:
        self._font = sheet.heading_faces.regular
        self._size = max(style.footnote_size - 0.5, 6.0)
        self._colour = sheet.muted_colour
        self._left = style.margin_left
        self._right = style.page_width - style.margin_right
        self._baseline = style.margin_bottom * 0.45
        self._title = _fit(" ".join(title.split()), self._font, self._size, sheet.text_width * 0.7)

    def draw(self, canv, page: int) -> None:
        """Draw this page's foot; its number is a form filled in once the total is known."""
        canv.saveState()
        canv.setFont(self._font, self._size)
        canv.setFillColor(self._colour)
        canv.drawString(self._left, self._baseline, self._title)
        canv.restoreState()
        canv.doForm(self._form_name(page))

    def write_page_numbers(self, canv, total: int) -> None:
        """Define every page's number form as "N / total"."""
        for page in range(1, total + 1):
            canv.beginForm(self._form_name(page))
            canv.setFont(self._font, self._size)
            canv.setFillColor(self._colour)
            canv.drawRightString(self._right, self._baseline, f"{page} / {total}")
            canv.endForm()

    @staticmethod
    def _form_name(page: int) -> str:
        return f"briefgenPageNumber{page}"


def _fit(text: str, font: str, size: float, width: float) -> str:
    """Return ``text``, shortened with an ellipsis if it is wider than ``width``."""
    if pdfmetrics.stringWidth(text, font, size) <= width:
        return text
    while text and pdfmetrics.stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text.rstrip() + "…"
