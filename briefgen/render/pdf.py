"""Render a :class:`~briefgen.document.Document` as a typeset PDF with reportlab platypus.

The PDF has the house style's fonts embedded as subsets, footnotes at the foot of the page
that cites them (see :mod:`briefgen.render.pdf_footnotes`), clickable links, an outline
of the headings, document metadata, page numbers worded by the metadata's page label, a
classification marking at the top and bottom of every page, and for packs a cover page and
a contents page whose page numbers link to their headings (see
:mod:`briefgen.render.pdf_pack`). Everything is laid out in one pass. Output is
byte-identical for identical input: reportlab runs in invariant mode, the creation date
comes from the document's metadata and the file identifier is a digest of the file.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import gc
import hashlib
import math
import os
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

from reportlab.lib.colors import Color, HexColor
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfdoc import PDFError
from reportlab.platypus import BaseDocTemplate, PageTemplate, Paragraph, Spacer, Table, TableStyle
from reportlab.platypus import paragraph as reportlab_paragraph
from reportlab.platypus.flowables import Flowable, HRFlowable, PageBreakIfNotEmpty
from reportlab.platypus.paragraph import FragLine, ParaLines, textTransformFrags
from reportlab.platypus.paraparser import ParaFrag, ParaParser

from briefgen.document import (
    Contents,
    Cover,
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

from briefgen.forked import ForkedCall
from briefgen.resources import SHIPPED_FAMILIES, shipped_family

from . import pdf_lines, pdf_markup, pdf_metrics
from .pdf_canvas import DocumentCanvas
from .pdf_fonts import TrueTypeFont
from .pdf_footnotes import (
    FootnoteFrame,
    FootnoteLedger,
    KeepWithNext,
    marker_anchor,
    note_anchor,
    share_row_anchor_names,
    table_row_anchor_names,
)
from .pdf_pack import (
    ContentsEntry,
    ContentsNumbers,
    CoverPage,
    Leaders,
    PageFurniture,
    TextFace,
    logo_image,
)
from .pdf_split import LaidOutPages, NotReplayable, RecordingCanvas, SectionClaims, check_fonts, frozen_font_error, replay_page, seed_fonts

__all__ = ["LaidOutPdf", "heading_keys", "lay_out_pdf", "register_shipped_fonts", "render_pdf", "render_pdf_with_pages"]


def render_pdf(document: Document) -> bytes:
    """Return the bytes of ``document`` typeset as a PDF."""
    return render_pdf_with_pages(document)[0]


def render_pdf_with_pages(document: Document) -> tuple[bytes, dict[str, int]]:
    """Return ``document`` typeset as PDF bytes and the 1-based page of each heading by its :func:`heading_keys` key.

    Where two headings share a key, the first one's page is given.
    """
    laid_out = lay_out_pdf(document)
    return b"".join(laid_out.write()), laid_out.heading_pages


def lay_out_pdf(document: Document) -> LaidOutPdf:
    """Typeset ``document`` as a PDF up to writing the file, which :meth:`LaidOutPdf.write` does: a caller that lets go of the document in between does not hold it and the file at once."""
    with _infrequent_garbage_collection():
        try:
            template = _lay_out(document)
            return _laid_out(document, template)
        except BaseException:
            gc.unfreeze()
            raise


def _laid_out(document: Document, template: _BriefDocTemplate) -> LaidOutPdf:
    """Return the laid-out PDF, the objects alive now frozen (left out of garbage collections) until it is written.

    The layout leaves hundreds of thousands of objects alive that it made since the last
    collection, and a collection walks them all and frees none (at 100 statements some
    85,000 objects in 0.15 s, just before the file is written). Freezing them, once a
    document's own pages are laid out, resets the count that triggers the next; what
    follows (the separate part's pages received and replayed, the file written) makes
    little garbage and no cycles.
    """
    gc.freeze()
    return LaidOutPdf(_heading_pages(document, template), template)


class LaidOutPdf:
    """A document laid out as a PDF: the page of each heading (see :func:`render_pdf_with_pages`) and the file, still to be written."""

    def __init__(self, heading_pages: dict[str, int], template: _BriefDocTemplate) -> None:
        #: The 1-based page of each heading by its :func:`heading_keys` key.
        self.heading_pages = heading_pages
        self._template: _BriefDocTemplate | None = template

    def write(self) -> list[bytes]:
        """Write the file, once, and return it as the consecutive parts it was written in (a long pack's file is tens of MB: joining them holds it twice)."""
        if self._template is None:
            raise RuntimeError("the PDF has been written already")
        template, self._template = self._template, None
        try:
            with _infrequent_garbage_collection():
                return template.finish()
        finally:
            gc.unfreeze()  # frozen by _laid_out


def _lay_out(document: Document) -> _BriefDocTemplate:
    measures = _measure(document.blocks)
    sections = _sections(document.blocks, measures.weights)
    if sections is not None:
        try:
            return _lay_out_in_parts(document, sections, measures.characters, footnote_counts=measures.footnotes)
        except NotReplayable:
            pass  # the seed did not foresee something; lay everything out on one canvas
    return _lay_out_in_one_part(document)


def _lay_out_in_one_part(document: Document, *, seed_characters: str | None = None) -> _BriefDocTemplate:
    """Lay the whole document out on one canvas; with ``seed_characters``, its fonts seeded as for a layout in parts."""
    sheet, story, flowables = _story(document)
    seed = None if seed_characters is None else _FontSeed(sheet.font_names, seed_characters)
    template = _BriefDocTemplate(document.metadata, sheet, _ledger(story, sheet), story, seed=seed)
    template.build(flowables or [Spacer(0, 0)], canvasmaker=DocumentCanvas)  # a PDF needs at least one page
    return template


def _lay_out_in_parts(document: Document, sections: _Sections, seed_characters: str, *, footnote_counts: list[int] | None = None) -> _BriefDocTemplate:
    """Lay the document's last ``sections`` out in a child process where one can run, and replay them after the rest, which is laid out here meanwhile.

    The child takes the sections from ``sections.first`` on, then more from the back of
    those this process has not reached, a share at a time, while this process takes them
    from the front one by one, until the two meet: both end about together however the
    machine shares its cores between them. Both canvases are seeded with
    ``seed_characters``, which must hold every character the document's text is drawn
    with. Each part's flowables are built where it is laid out. ``footnote_counts``, the
    footnotes each block numbers, saves counting them again.
    """
    sheet = _sheet(document.style)
    seed = _FontSeed(sheet.font_names, seed_characters)
    if footnote_counts is None:
        footnote_counts = [_footnote_count(block) for block in document.blocks]
    section_of = {page_break: number for number, page_break in enumerate(sections.breaks)}
    with SectionClaims(len(sections.breaks)) as claims:
        first = claims.take_back(lambda front, back: sections.first)  # before the child starts, so that this process never takes it
        tail = _TailLayout(document, sheet, seed, sections, claims, first, footnote_counts=footnote_counts)
        job = ForkedCall.start(tail.run)
        with job or contextlib.nullcontext():
            story = _StoryBuilder(sheet, document.blocks, footnote_count=sum(footnote_counts))
            head = story.build(goes_on=lambda index: index not in section_of or claims.take_front(section_of[index]))
            template = _BriefDocTemplate(document.metadata, sheet, _ledger(story, sheet), story, seed=seed)
            template.build(head, canvasmaker=DocumentCanvas)
            gc.freeze()  # see _laid_out
            parts = job.result() if job is not None else tail.run()
            taken_here = claims.front
    for part in _in_order(parts, taken_here, len(sections.breaks)):
        template.append_pages(part)
    return template


def _in_order(parts: list[tuple[int, int, LaidOutPages]], start: int, end: int) -> list[LaidOutPages]:
    """Return the pages of ``parts`` (each with the range of sections it holds) in order, checking that they hold sections ``start … end - 1``, each once."""
    ordered = sorted(parts, key=lambda part: part[0])
    if [first for first, _, _ in ordered] != [start, *(last for _, last, _ in ordered[:-1])] or (ordered[-1][1] if ordered else start) != end:
        raise NotReplayable("the separately laid-out sections do not follow on from those laid out here")
    return [pages for _, _, pages in ordered]


class _TailLayout:
    """The sections a child process takes from the back of a document, each share built and laid out on a recording canvas of its own."""

    def __init__(
        self,
        document: Document,
        sheet: _StyleSheet,
        seed: _FontSeed,
        sections: _Sections,
        claims: SectionClaims,
        first: tuple[int, int] | None,
        *,
        footnote_counts: list[int],
    ) -> None:
        self._document = document
        self._sheet = sheet
        self._seed = seed
        self._sections = sections
        self._claims = claims
        self._first = first
        self._footnote_counts = footnote_counts

    def run(self) -> list[tuple[int, int, LaidOutPages]]:
        """Lay out the first share, then take and lay out more until none is left; return each share's range of sections and its recorded pages."""
        parts = []
        taken = self._first
        while taken is not None:
            parts.append((*taken, self._lay_out(*taken)))
            taken = self._claims.take_back(self._sections.further_share)
        return parts

    def _lay_out(self, first: int, end: int) -> LaidOutPages:
        """Lay out sections ``first … end - 1`` on a recording canvas of their own and return its pages."""
        breaks = self._sections.breaks
        stop = breaks[end] if end < len(breaks) else None
        sheet = self._sheet
        story = _StoryBuilder(sheet, self._document.blocks, footnote_count=sum(self._footnote_counts))
        flowables = story.build(stop, keep_from=breaks[first] + 1, footnote_counts=self._footnote_counts)
        template = _BriefDocTemplate(self._document.metadata, sheet, _ledger(story, sheet), story, seed=self._seed, recording=True)
        try:
            template.build(flowables, canvasmaker=RecordingCanvas)
        except PDFError as error:
            raise frozen_font_error(error) or error
        if story.footnotes_numbered != sum(self._footnote_counts[:stop]):
            raise NotReplayable("the footnotes were counted differently from how they were numbered")
        check_fonts(template.canv, self._seed.font_names)
        return LaidOutPages(template.canv.pages, template.destination_pages, template.cover_pages)


@dataclass(frozen=True)
class _FontSeed:
    """The fonts, in order, and the characters that both canvases of a two-part layout number alike before drawing."""

    font_names: tuple[str, ...]
    characters: str


def _story(document: Document) -> tuple[_StyleSheet, _StoryBuilder, _LazyStory]:
    """Return the house style's sheet, the story builder and the document's flowables."""
    sheet = _sheet(document.style)
    story = _StoryBuilder(sheet, document.blocks, footnote_count=_footnote_count(document.blocks))
    return sheet, story, story.build()


def _sheet(style: Style) -> _StyleSheet:
    """Return the style sheet of the house style, its fonts registered."""
    # A style naming one family uses it throughout rather than a Latin-only built-in font.
    body = _register_family(style.body_font or style.heading_font, _TIMES)
    heading = _register_family(style.heading_font or style.body_font, _HELVETICA)
    return _StyleSheet(style, body, heading)


def _ledger(story: _StoryBuilder, sheet: _StyleSheet) -> FootnoteLedger:
    """Return a footnote ledger for the story's footnotes."""
    style = sheet.style
    return FootnoteLedger(
        story.footnotes,
        sheet.text_width,
        # A footnote never breaks across pages, so each must fit under one line of text.
        max_block_height=style.page_height - style.margin_top - style.margin_bottom - sheet.body_leading,
        space_above_rule=sheet.body_leading * 0.9,
        space_below_rule=style.footnote_size * 0.7,
        space_between_notes=style.footnote_size * 0.25,
        rule_length=min(sheet.text_width * 0.3, 144.0),
        rule_width=0.5,
        rule_colour=sheet.rule_colour,
    )


def _heading_pages(document: Document, template: _BriefDocTemplate) -> dict[str, int]:
    """Return the page of each heading by its :func:`heading_keys` key, the first one's where keys repeat."""
    pages: dict[str, int] = {}
    for key, (index, _) in zip(heading_keys(document), _headings(document.blocks)):
        page = template.destination_pages.get(_heading_destination(index))
        if page is not None:
            pages.setdefault(key, page)
    return pages


# --- choosing where a document splits -------------------------------------------------

# Below this many characters of text a second process costs more than it saves (a
# one-statement note has about 6,000; a ten-statement pack about 60,000).
_TWO_PART_MINIMUM = 40_000
# The share of the text the child takes first: less than half, since the first part's
# tables and contents take longer per character, and less than would end both parts
# together (0.53 at 100 statements), since it takes more later, a share at a time, from
# the back of what this process has not reached.
_TAIL_SHARE = 0.40
# Each further share the child takes: this part of the text neither process has taken
# (at least one section), so that the shares shrink as the two processes near each other.
_FURTHER_SHARE = 0.3
# Characters the renderer draws beyond the document's own text: list numbers, bullets and
# footnote numbers.
_RENDERER_CHARACTERS = "0123456789.•"


class _Sections(NamedTuple):
    """The sections of a document that either process of a layout in parts may lay out: each follows a page break and runs to the next."""

    #: The index of the page break before each section, in order.
    breaks: list[int]
    #: The length of each section's text.
    weights: list[int]
    #: The section the child starts with, where about ``_TAIL_SHARE`` of the text is left.
    first: int

    def further_share(self, front: int, back: int) -> int:
        """Return the first section of the child's next share when this process has taken the sections before ``front`` and the child those from ``back`` on."""
        target = max(self.weights[back - 1], _FURTHER_SHARE * sum(self.weights[front:back]))
        taken = 0
        for section in range(back - 1, front - 1, -1):
            taken += self.weights[section]
            if taken >= target:
                return section
        return front


def _sections(blocks: tuple, weights: list[int]) -> _Sections | None:
    """Return the sections where ``blocks`` of ``weights`` can be split for layout in parts, or None if they should not be."""
    total = sum(weights)
    if total < _TWO_PART_MINIMUM:
        return None
    # The contents' page numbers are written by the part that holds them, so a cover or
    # contents never goes to the separate part.
    first = max((index for index, block in enumerate(blocks) if isinstance(block, (Cover, Contents))), default=-1) + 1
    breaks: list[int] = []
    before_each: list[int] = []
    before = 0
    for index, block in enumerate(blocks):
        # Only between two runs of ordinary content, so each part starts and ends as the whole would.
        if (
            isinstance(block, PageBreak)
            and first < index < len(blocks) - 1
            and isinstance(blocks[index - 1], _PLAIN_BLOCKS)
            and isinstance(blocks[index + 1], _PLAIN_BLOCKS)
        ):
            breaks.append(index)
            before_each.append(before)
        before += weights[index]
    if not breaks:
        return None
    target = total * (1 - _TAIL_SHARE)
    # The break nearest the target; the earlier one where two are as near.
    start = min(range(len(breaks)), key=lambda section: abs(before_each[section] - target))
    section_weights = [after - before for before, after in zip(before_each, [*before_each[1:], total])]
    return _Sections(breaks, section_weights, start)


_PLAIN_BLOCKS = (Heading, ParagraphBlock, ListBlock, TableBlock)


def _footnote_count(value: object) -> int:
    """Return how many footnotes the renderer numbers in ``value``: those not inside another footnote."""
    if type(value) is Footnote:
        return 1
    return sum(_footnote_count(part) for part in _parts(value))


class _Measures(NamedTuple):
    """What the layout needs to know of a document's blocks before it starts."""

    #: The length of each block's text, its footnotes' included.
    weights: list[int]
    #: Sorted, every character the blocks can be drawn with: as written, in capitals, and the renderer's own.
    characters: str
    #: How many footnotes each block numbers (see :func:`_footnote_count`).
    footnotes: list[int]


def _measure(blocks: tuple) -> _Measures:
    """Return the :class:`_Measures` of ``blocks``, in one pass over them."""
    # Block by block: a long pack's text, joined, would be tens of MB.
    weights: list[int] = []
    footnotes: list[int] = []
    characters = set(_RENDERER_CHARACTERS)
    for block in blocks:
        texts: list[str] = []
        footnotes.append(_collect_text(block, texts))
        text = "".join(texts)
        weights.append(len(text))
        characters.update(text)
    # Capitals character by character are the capitals of the whole text: str.upper() maps each alone.
    characters.update("".join(character.upper() for character in characters))
    return _Measures(weights, "".join(sorted(characters)), footnotes)


def _collect_text(value: object, texts: list[str]) -> int:
    """Add the text in ``value`` to ``texts``, its footnotes' included; return how many footnotes it numbers, as :func:`_footnote_count`."""
    kind = type(value)
    if kind is Text:
        texts.append(value.text)
        return 0
    count = 0
    for part in _parts(value):
        count += _collect_text(part, texts)
    return 1 if kind is Footnote else count


def _parts(value: object) -> tuple:
    """Return the blocks or inline content directly inside ``value``, as the renderer reads them."""
    kind = type(value)
    if kind is tuple:
        return value
    if kind in (Link, Footnote, Heading, ParagraphBlock):
        return value.children
    if kind is ListBlock:
        return value.items
    if kind is TableBlock:
        return (value.header, value.rows)
    if kind is Cover:
        return (value.title, value.subtitle, value.details)
    if kind is Contents:
        return value.title
    return ()


# Layout allocates millions of small containers that live until their page is drawn, and
# Python's collector, run after every 700 of them by default, keeps walking all the live
# ones: a tenth of the PDF's time at 100 and at 1000 statements (measured 0.7 of 6.6 s and
# 10 of 92 s). Collecting after every 100,000 allocations while a PDF is rendered cuts that
# to a fraction; garbage is still collected, only in larger batches.
_LAYOUT_COLLECTION_THRESHOLD = 100_000
_COLLECTION_LOCK = threading.Lock()
_renders_in_progress = 0
_saved_collection_threshold: tuple[int, ...] = ()


@contextmanager
def _infrequent_garbage_collection() -> Iterator[None]:
    """Raise the garbage collector's first threshold while any PDF is being rendered, then restore it."""
    global _renders_in_progress, _saved_collection_threshold
    with _COLLECTION_LOCK:
        if _renders_in_progress == 0:
            _saved_collection_threshold = gc.get_threshold()
            first, *rest = _saved_collection_threshold
            gc.set_threshold(max(first, _LAYOUT_COLLECTION_THRESHOLD), *rest)
        _renders_in_progress += 1
    try:
        yield
    finally:
        with _COLLECTION_LOCK:
            _renders_in_progress -= 1
            if _renders_in_progress == 0:
                gc.set_threshold(*_saved_collection_threshold)


def heading_keys(document: Document) -> list[str]:
    """Return the key of every heading in document order: its ``anchor`` if set, else ``f"h{n}"`` for the n-th heading (0-based)."""
    return [heading.anchor or f"h{n}" for n, (_, heading) in enumerate(_headings(document.blocks))]


def _headings(blocks: tuple) -> list[tuple[int, Heading]]:
    """Return each heading among ``blocks`` with its block index."""
    return [(index, block) for index, block in enumerate(blocks) if isinstance(block, Heading)]


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


def register_shipped_fonts() -> None:
    """Register the font families that ship with briefgen, as a document styled with them would (a worker does it before its first document arrives)."""
    for name in SHIPPED_FAMILIES:
        _register_family(shipped_family(name), _TIMES)


def _register_face(name: str, path: str, digest: str) -> None:
    """Register one TrueType file under ``name``, never borrowing another file's glyphs."""
    font = TrueTypeFont(name, path)
    font.briefgen_digest = digest
    pdf_metrics.forget()  # what was measured with a font this one may replace under its name
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
        #: Every font the styles draw with, body faces first.
        self.font_names = tuple(dict.fromkeys((*dataclasses.astuple(body), *dataclasses.astuple(heading))))
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
        self._cover_styles()
        self._contents_styles()

    def _cover_styles(self) -> None:
        style, faces = self.style, self.heading_faces
        size = style.title_size * 1.45
        self.cover_title = self._paragraph(
            "cover-title", fontName=faces.bold, fontSize=size, leading=size * 1.12, textColor=self.accent_colour
        )
        size = style.title_size * 0.68
        self.cover_subtitle = self._paragraph(
            "cover-subtitle", fontName=faces.regular, fontSize=size, leading=size * 1.3, textColor=self.muted_colour
        )
        value = style.body_size * 1.05
        # Label and value share a leading, so their first baselines line up across the row.
        self.cover_value = self._paragraph("cover-value", fontSize=value, leading=value * 1.35, allowWidows=1)
        self.cover_label = self._paragraph(
            "cover-label", fontName=faces.bold, fontSize=value * 0.74, leading=value * 1.35, textColor=self.muted_colour, allowWidows=1
        )

    def _contents_styles(self) -> None:
        style = self.style
        size, leading = style.body_size, self.body_leading
        self.contents_title = ParagraphStyle("contents-title", parent=self.headings[1], spaceAfter=leading * 1.1)
        self.contents_faces = (
            TextFace(self.heading_faces.bold, size, self.text_colour),
            TextFace(self.body_faces.regular, size, self.text_colour),
            TextFace(self.body_faces.regular, size * 0.92, self.muted_colour),
        )
        self.contents_leadings = (leading * 1.05, leading, leading * 0.95)
        self.contents_space_before = (leading * 0.7, leading * 0.1, 0.0)
        self.contents_indent = size * 1.6
        # Room for three digits in the widest face: numbers are right-aligned in it.
        self.contents_number_width = pdfmetrics.stringWidth("000", self.heading_faces.bold, size)
        self.contents_leaders = Leaders(pitch=size * 0.42, dot=size * 0.09, colour=self.muted_colour, gap=size * 0.5)

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


# --- reportlab's fragment comparison ---------------------------------------------------

# Line breaking asks, for each pair of neighbouring words, whether their fragments share a
# style. rl_accel's C version of that test asks for attributes that fragments usually lack,
# and every miss raises and clears an AttributeError, which made it slower than a lookup in
# the fragments' dictionaries; this is the same test answered from them.
_STYLE_ATTRIBUTES = ("fontName", "fontSize", "textColor", "rise", "us_lines", "link", "backColor", "nobr")
_BREAKING_ATTRIBUTES = ("cbDefn", "lineBreak")
_MISSING = object()


def _same_frag(first: object, second: object) -> bool:
    """Return whether two paragraph fragments have the same style, exactly as rl_accel's ``sameFrag`` does."""
    if type(first) not in _PLAIN_FRAGMENTS or type(second) not in _PLAIN_FRAGMENTS:
        return _accelerated_same_frag(first, second)
    mine, theirs = first.__dict__, second.__dict__
    for name in _BREAKING_ATTRIBUTES:
        if name in mine or name in theirs:
            return False
    for name in _STYLE_ATTRIBUTES:
        a, b = mine.get(name, _MISSING), theirs.get(name, _MISSING)
        # As the C version: equal when the same object or both absent, else compared with !=.
        if a is not b and (a is _MISSING or b is _MISSING or a != b):
            return False
    return True


_PLAIN_FRAGMENTS = (ParaFrag, FragLine)  # classes that define none of the attributes above
_accelerated_same_frag = reportlab_paragraph.sameFrag
# reportlab's line breaking looks the test up in its module on every call; the answers are
# the same, so every paragraph in the process gets the faster one.
reportlab_paragraph.sameFrag = _same_frag


# --- reportlab's fragment copies ----------------------------------------------------------


# reportlab's paragraph parser copies the current fragment (a plain bag of attributes) for
# every tag and run of text with copy.copy, which went through the generic reduce protocol:
# a sixth of the time spent parsing paragraphs. Line breaking clones fragments and lines
# through keyword arguments. These bags' classes add nothing to ABag's __init__, which
# only stores the attributes.
ParaFrag.__copy__ = ParaFrag.clone = FragLine.clone = ParaLines.clone = pdf_markup.copied_bag


# --- reportlab's font metrics ------------------------------------------------------------

# reportlab's paragraphs look these up in their module on every call; the answers are the
# same, from what was measured before (see pdf_metrics).
reportlab_paragraph.stringWidth = pdf_metrics.string_width
reportlab_paragraph.getAscentDescent = pdf_metrics.ascent_descent


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
        #: How many footnotes have been numbered so far.
        self.footnotes_numbered = 0
        #: Number → markup of each note's text, for the notes numbered since :meth:`take_footnotes`.
        self.footnotes: dict[int, str] = {}

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

    def take_footnotes(self) -> dict[int, str]:
        """Return the notes numbered since the last call, and forget them."""
        notes, self.footnotes = self.footnotes, {}
        return notes

    def _footnote(self, note: Footnote) -> str:
        number = self.footnotes_numbered = self.footnotes_numbered + 1
        self.footnotes[number] = self.markup(note.children, in_note=True)
        # The invisible anchor lets the layout find the marker; it goes last because
        # reportlab will not break an over-long word that starts with an anchor.
        return (
            f'<a href="#{note_anchor(number)}" color="#{self._sheet.accent_hex}">'
            f'<super size="66%" rise="36%">{number}</super></a>'
            f'<a name="{marker_anchor(number)}"/>'
        )


# --- blocks → flowables -----------------------------------------------------------------


_UNPARSED: list = []  # the fragments of a paragraph whose markup is not parsed yet


class _Paragraph(Paragraph):
    """A paragraph that parses its markup quickly, only when first needed, and breaks its lines again only when its width changes.

    The story holds every paragraph from the start, and parsed fragments take many times the
    room of their markup, so parsing waits until the layout reaches the paragraph; platypus
    frees each paragraph once drawn. platypus re-wraps a paragraph on every placement
    attempt, and a table re-wraps every cell on every split attempt; line breaks depend on
    the width alone, so keep them.
    """

    def _setup(self, text, style, bulletText, frags, cleaner) -> None:  # noqa: N803 (reportlab's names)
        if frags is None:
            text, frags = cleaner(text), _UNPARSED
        super()._setup(text, style, bulletText, frags, cleaner)

    @property
    def frags(self) -> list:
        """The paragraph's fragments, parsed from its markup on first use."""
        frags = self.__dict__["_frags"]
        if frags is _UNPARSED:
            frags = self.__dict__["_frags"] = self._parse()
        return frags

    @frags.setter
    def frags(self, value: list) -> None:
        self.__dict__["_frags"] = value

    def _parse(self) -> list:
        frags = pdf_markup.fragments(self.text, self.style)
        if frags is None:  # not markup _InlineWriter writes: reportlab parses it, and reports errors
            parser = ParaParser()
            parser.caseSensitive = self.caseSensitive
            _, frags, bullet_frags = parser.parse(self.text, self.style)
            if frags is None:
                raise ValueError(f"xml parser error ({parser.errors[0]}) in paragraph beginning\n{self.text[:30]!r}")
            if bullet_frags:  # only from a <bullet> tag, which _InlineWriter never writes
                self.bulletText = bullet_frags
        textTransformFrags(frags, self.style)
        return frags

    def breakLines(self, width: float | list[float]) -> ParaLines:  # noqa: N802 (reportlab's name)
        lines = pdf_lines.break_lines(self, width)
        return super().breakLines(width) if lines is None else lines

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803
        cached = self.__dict__.get("_wrapped")
        if cached is not None and cached[0] == availWidth and cached[1] is self.__dict__.get("blPara"):
            self.width, self.height = availWidth, cached[2]
            return availWidth, cached[2]
        width, height = super().wrap(availWidth, availHeight)
        self._wrapped = (availWidth, self.blPara, height)  # split() replaces or drops blPara
        return width, height


class _CellParagraph(_Paragraph):
    """A table cell's paragraph, which tables may draw many times (see ``_StoryBuilder._cell``): drawn again at the same line breaks, it writes the operators it wrote before.

    A paragraph's operators are relative to where it is drawn (its ``drawOn`` moves the
    canvas there first), so they are the same each time; only links and anchors do more
    than write operators, and a paragraph with either is drawn afresh every time.
    """

    def draw(self) -> None:
        canvas, lines = self.canv, self.blPara
        drawn = self.__dict__.get("_drawn")
        if drawn is not None and drawn[0] is canvas and drawn[1] is lines:
            canvas._code.extend(drawn[2])
            return
        start = len(canvas._code)
        super().draw()
        if _only_writes_operators(lines):
            self._drawn = (canvas, lines, canvas._code[start:])


def _only_writes_operators(lines: ParaLines) -> bool:
    """Return whether drawing ``lines`` does nothing but write operators: no link, no anchor."""
    if lines.kind == 0:
        return not (getattr(lines, "link", None) or hasattr(lines, "cbDefn"))
    return not any(getattr(fragment, "link", None) or hasattr(fragment, "cbDefn") for line in lines.lines for fragment in line.words)


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


class _Table(Table):
    """A table that measures its rows once and keeps them whole, except a row taller than a whole page, which it splits."""

    def _calc_height(self, availHeight, availWidth, H=None, W=None) -> None:  # noqa: N803 (reportlab's names)
        # A row's height depends on its cells and the fixed column widths alone, yet
        # reportlab measures the rows again on every wrap and split attempt, and each part a
        # split makes measures its rows once more. Measure them all once and hand the
        # heights on as if given, which the parts of a split inherit.
        if self._spanCmds or None not in self._argH:
            super()._calc_height(availHeight, availWidth, H, W)
            return
        super()._calc_height(math.inf, availWidth, H, W)
        self._argH = list(self._rowHeights)

    def split(self, availWidth: float, availHeight: float) -> list:  # noqa: N803
        if _RemainingRows.applies_to(self):
            return _RemainingRows(self, 1, getattr(self, "spaceBefore", None)).split(availWidth, availHeight)
        parts = self._split(availWidth, availHeight)
        share_row_anchor_names(self, parts)
        return parts

    def _split(self, availWidth: float, availHeight: float) -> list:  # noqa: N803
        parts = super().split(availWidth, availHeight)
        if parts:
            return parts
        # Nothing fitted: a fresh page usually helps. Failing again with at least as much room
        # means a row is taller than a page (a person met in dozens of statements): split
        # inside the row rather than stop the build.
        failed_before = getattr(self, "_failed_height", None)
        self._failed_height = max(availHeight, failed_before or 0.0)
        if failed_before is not None and availHeight >= failed_before:
            self.splitInRow = 1
            try:
                return super().split(availWidth, availHeight)
            finally:
                self.splitInRow = 0
        return parts


class _RemainingRows(Flowable):
    """The rows of a long table from ``start`` on (under its header), split a page-sized window at a time.

    reportlab splits a table by building a new table of all its remaining rows, page after
    page, and the footnote-aware split tries again one row shorter when a page's notes do
    not fit: a table of thousands of rows (a large pack's timeline or people index) cost
    time growing with the square of its length. A window of the rows a page can hold splits
    exactly as the whole remainder would; the rest stays this light object until its last
    page, when it becomes a real table again.
    """

    _LONG = 120  # rows from which a table is split this way; shorter ones split as reportlab does

    def __init__(self, table: _Table, start: int, space_before: float | None) -> None:
        super().__init__()
        self._table = table
        self._start = start
        self._space_before = space_before
        self._failed_height: float | None = None
        self.hAlign = table.hAlign
        self.vAlign = table.vAlign
        if getattr(table, "spaceAfter", None) is not None:
            self.spaceAfter = table.spaceAfter
        if space_before is not None:
            self.spaceBefore = space_before

    @classmethod
    def applies_to(cls, table: _Table) -> bool:
        """Whether ``table`` is long, one of ours with its style as set (no spans), measured, and repeats one header row."""
        return (
            len(table._cellvalues) > cls._LONG
            and getattr(table, "_briefgen_uniform", False)
            and not table._spanCmds
            and table.repeatRows == 1
            and None not in table._argH
            and getattr(table, "_failed_height", None) is None
        )

    def _rows(self, end: int) -> _Table:
        """Return a table of the header and rows ``start`` to ``end``, styled as reportlab's split would make it."""
        table = self._table
        rows = table._cellvalues[:1] + table._cellvalues[self._start : end]
        part = _Table(
            rows,
            colWidths=table._colWidths,
            rowHeights=table._argH[:1] + table._argH[self._start : end],
            repeatRows=1,
            normalizedData=1,
            cellStyles=table._cellStyles[:1] + table._cellStyles[self._start : end],
            spaceBefore=self._space_before,
            spaceAfter=getattr(table, "spaceAfter", None),
        )
        part.hAlign, part.vAlign = table.hAlign, table.vAlign
        # Line and background commands keep their (negative) row numbers, which mean the
        # same rows in any part; the cell styles came with the cells.
        part._linecmds = list(table._linecmds)
        part._bkgrndcmds = list(table._bkgrndcmds)
        anchors = table_row_anchor_names(table)
        part._briefgen_row_anchor_names = (part._cellvalues, anchors[:1] + anchors[self._start : end])
        return part

    def footnote_anchor_names(self) -> list[str]:
        """Return the anchors these rows draw, header included, from the whole table's rows."""
        rows = table_row_anchor_names(self._table)
        return [name for row in rows[:1] + rows[self._start :] for name in row]

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803
        heights = self._table._argH
        self.width = sum(self._table._colWidths)
        self.height = heights[0] + math.fsum(heights[self._start :])
        self._wrapped_in = (availWidth, availHeight)
        return self.width, self.height

    def drawOn(self, canvas, x: float, y: float, _sW: float = 0) -> None:  # noqa: N802, N803 (reportlab's names)
        # The rest fits on this page: draw it as the table reportlab's split would have left.
        whole = self._rows(len(self._table._cellvalues))
        whole.wrap(*self._wrapped_in)
        whole.drawOn(canvas, x, y, _sW)

    def split(self, availWidth: float, availHeight: float) -> list:  # noqa: N803
        table, heights = self._table, self._table._argH
        end, height = self._start, heights[0]
        while end < len(heights) and height <= availHeight:
            height += heights[end]
            end += 1
        end = min(end + 1, len(heights))  # a row more than fits, so the window must split
        window = self._rows(end)
        window._failed_height = self._failed_height  # a row taller than a page splits inside itself
        parts = window._split(availWidth, availHeight)
        self._failed_height = window._failed_height
        if not parts:
            return []
        share_row_anchor_names(window, parts)
        taken = len(parts[0]._cellvalues) - 1  # rows on this page, without the header
        split_inside_a_row = parts[0]._cellvalues[-1] is not window._cellvalues[taken]
        if end < len(heights) and (split_inside_a_row or len(parts) == 1):
            # Rare: a row taller than a page, split inside itself; the rest as reportlab leaves it.
            whole = self._rows(len(heights))
            whole._failed_height = self._failed_height
            parts = whole._split(availWidth, availHeight)
            share_row_anchor_names(whole, parts)
            return parts
        if end == len(heights):
            return parts
        return [parts[0], _RemainingRows(table, self._start + taken, None)]


class _StoryBuilder:
    """Turns the document's blocks into platypus flowables, collecting footnotes, outline and contents."""

    def __init__(self, sheet: _StyleSheet, blocks: tuple, *, footnote_count: int) -> None:
        self._sheet = sheet
        self._blocks = blocks
        self._headings = _headings(blocks)
        anchors: dict[str, str] = {}
        for index, heading in self._headings:
            if heading.anchor:
                anchors.setdefault(heading.anchor, _heading_destination(index))
        self._inline = _InlineWriter(sheet, anchors)
        self._open_levels: list[int] = []  # heading levels of the outline entries still open
        # Table cells with the same markup and style share one paragraph (see _cell).
        self._cells: dict[tuple[str, str], Paragraph] = {}
        # The footnotes' numbers hang by the widest of all of them, built or not.
        self._footnote_style = _hung_footnote_style(sheet, footnote_count)
        #: Outline entries by the destination name of each heading.
        self.outline: dict[str, _OutlineEntry] = {}
        #: Footnote paragraphs by number, each added when the block that cites it is built
        #: (shared with the footnote ledger, which drops each note once drawn).
        self.footnotes: dict[int, Paragraph] = {}
        #: The page-number forms of the contents entries.
        self.contents_numbers = ContentsNumbers()

    @property
    def footnotes_numbered(self) -> int:
        """How many footnotes the blocks built so far number, those left out by ``keep_from`` included."""
        return self._inline.footnotes_numbered

    def build(
        self,
        stop: int | None = None,
        *,
        keep_from: int = 0,
        footnote_counts: list[int] | None = None,
        goes_on: Callable[[int], bool] | None = None,
    ) -> _LazyStory:
        """Return the flowables of the blocks before ``stop`` (all by default) from block ``keep_from`` on, built as platypus reaches them.

        The blocks before ``keep_from`` are counted or built and dropped, so that footnote
        numbers and outline levels run on as in the whole document; only the footnotes from
        there on join :attr:`footnotes`. ``footnote_counts``, the footnotes each block
        numbers, saves counting them. ``goes_on`` is asked, with its index, about each page
        break the story reaches before it is built: where it says no, the story ends there.
        """
        return _LazyStory(self._built_blocks(stop, keep_from, footnote_counts, goes_on))

    def _built_blocks(self, stop: int | None, keep_from: int, footnote_counts: list[int] | None, goes_on: Callable[[int], bool] | None) -> Iterator[list[Flowable]]:
        for index, block in enumerate(self._blocks[:stop]):
            if goes_on is not None and type(block) is PageBreak and not goes_on(index):
                return
            if index < keep_from and type(block) in _COUNTED_BLOCKS:
                self._pass_over(block, None if footnote_counts is None else footnote_counts[index])
                continue
            flowables = self._block(block, index)
            # Cells are shared within a block: shared across a long pack, every cell would live to its end.
            self._cells.clear()
            notes = self._inline.take_footnotes()
            if index >= keep_from:
                style = self._footnote_style
                self.footnotes.update((number, _Paragraph(markup, style, bulletText=str(number))) for number, markup in notes.items())
                yield flowables

    def _pass_over(self, block: object, footnotes: int | None) -> None:
        """Number the footnotes (``footnotes`` of them, counted here if None) and open the outline level of a block that is not built, as building it would."""
        # Building the first part's blocks only to drop them took the second part's process
        # a twentieth of its layout at 100 statements.
        self._inline.footnotes_numbered += _footnote_count(block) if footnotes is None else footnotes
        if type(block) is Heading:
            self._outline_level(_heading_level(block))

    def _block(self, block: object, index: int) -> list[Flowable]:
        if isinstance(block, Heading):
            return [self._heading(block, _heading_destination(index))]
        if isinstance(block, ParagraphBlock):
            return [self._paragraph(block)]
        if isinstance(block, ListBlock):
            return self._list(block)
        if isinstance(block, TableBlock):
            return [self._table(block)] if block.header or any(block.rows) else []
        if isinstance(block, PageBreak):
            return [PageBreakIfNotEmpty()]
        if isinstance(block, Cover):
            return self._cover(block)
        if isinstance(block, Contents):
            return self._contents(block, index)
        raise TypeError(f"unknown block: {type(block).__name__}")

    def _heading(self, heading: Heading, key: str) -> Paragraph:
        level = _heading_level(heading)
        markup = self._inline.markup(heading.children)
        return self._bookmarked(markup, self._sheet.headings[level], key, _outline_title(heading.children), level)

    def _bookmarked(self, markup: str, parent: ParagraphStyle, key: str, title: str, level: int) -> Paragraph:
        """Return a heading paragraph that is the destination ``key`` and has an outline entry."""
        self.outline[key] = _OutlineEntry(title, self._outline_level(level))
        style = ParagraphStyle(key, parent=parent)
        style.briefgen_bookmark = key
        return _HeadingParagraph(markup, style)

    def _outline_level(self, level: int) -> int:
        """Return the outline depth of a heading of ``level``: under the nearest preceding higher-ranked heading."""
        # Outline depth counts the open headings of higher rank, so levels never skip a step
        # and a heading of any level closes those of its own level and below.
        while self._open_levels and self._open_levels[-1] >= level:
            self._open_levels.pop()
        self._open_levels.append(level)
        return len(self._open_levels) - 1

    def _cover(self, cover: Cover) -> list[Flowable]:
        sheet, style = self._sheet, self._sheet.style
        parts: list[tuple[float, Flowable]] = [(0.0, _Paragraph(self._inline.markup(cover.title), sheet.cover_title))]
        if cover.subtitle:
            subtitle = _Paragraph(self._inline.markup(cover.subtitle), sheet.cover_subtitle)
            parts.append((sheet.cover_title.fontSize * 0.45, subtitle))
        gap = sheet.cover_title.fontSize * 0.8
        parts.append((gap, HRFlowable(width="100%", thickness=1.2, color=sheet.accent_colour, spaceBefore=0, spaceAfter=0)))
        if cover.details:
            parts.append((gap, self._cover_details(cover.details)))
        logo = logo_image(style.logo, min(style.logo_width, sheet.text_width)) if style.logo else None
        # The title's top a little above a third of the way down the page, as on a printed report.
        title_top = max(style.page_height * 0.3 - style.margin_top, 0.0)
        page = CoverPage(logo, parts, title_top=title_top, logo_gap=sheet.cover_title.fontSize * 1.5)
        return [PageBreakIfNotEmpty(), page, PageBreakIfNotEmpty()]

    def _cover_details(self, details: tuple) -> Table:
        sheet = self._sheet
        # Label then value, row by row: footnotes are numbered in reading order.
        rows = [
            [_Paragraph(self._inline.markup(_upper(label)), sheet.cover_label), _Paragraph(self._inline.markup(value), sheet.cover_value)]
            for label, value in details
        ]
        gutter = sheet.style.body_size * 1.5
        label_font = sheet.cover_label.fontName, sheet.cover_label.fontSize
        widest = max(pdfmetrics.stringWidth(_outline_title(_upper(label)), *label_font) for label, _ in details)
        label_width = min(widest + gutter, sheet.text_width * 0.35)
        table = Table(rows, colWidths=[label_width, sheet.text_width - label_width], hAlign="LEFT")
        padding = sheet.style.body_size * 0.38
        table.setStyle(
            TableStyle(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                    ("RIGHTPADDING", (0, 0), (0, -1), gutter),
                    ("RIGHTPADDING", (1, 0), (1, -1), 0),
                    ("TOPPADDING", (1, 0), (1, -1), padding),
                    # A paragraph's first baseline lies its font size below its top: drop the
                    # smaller labels by the difference so they share the values' baselines.
                    ("TOPPADDING", (0, 0), (0, -1), padding + sheet.cover_value.fontSize - sheet.cover_label.fontSize),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), padding),
                ]
            )
        )
        return table

    def _contents(self, contents: Contents, index: int) -> list[Flowable]:
        sheet = self._sheet
        key = f"bgcontents{index}"
        # The contents are a section of their own in the outline, beside the headings they list.
        title = self._bookmarked(self._inline.markup(contents.title), sheet.contents_title, key, _outline_title(contents.title), 1)
        listed = [(i, h) for i, h in self._headings if i > index and 1 <= h.level <= contents.depth]
        entries: list[Flowable] = []
        for position, (heading_index, heading) in enumerate(listed):
            level = min(heading.level, 3)
            face = sheet.contents_faces[level - 1]
            destination = _heading_destination(heading_index)
            entry = ContentsEntry(
                _outline_title(heading.children),
                destination,
                self.contents_numbers.form_for(destination, face),
                face,
                leading=sheet.contents_leadings[level - 1],
                indent=sheet.contents_indent * (level - 1),
                number_width=sheet.contents_number_width,
                leaders=sheet.contents_leaders,
                space_before=sheet.contents_space_before[level - 1] if position else 0.0,
            )
            # A section's entry stays with the first of its subsections' entries.
            if position + 1 < len(listed) and listed[position + 1][1].level > heading.level:
                entry.keepWithNext = 1
            entries.append(entry)
        return [PageBreakIfNotEmpty(), title, *entries, PageBreakIfNotEmpty()]

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
        header = [self._cell(cell, sheet.header_cell) for cell in block.header]
        rows = [[self._cell(cell, sheet.cell) for cell in row] for row in block.rows]
        data = [_padded(header, columns)] + [_padded(row, columns) for row in rows]
        table = _Table(
            data,
            colWidths=_column_widths(block.widths, columns, sheet.text_width),
            repeatRows=1,
            hAlign="LEFT",
            spaceBefore=sheet.body_leading * 0.35,
            spaceAfter=sheet.body_leading * 0.9,
        )
        table.setStyle(_table_style(sheet))
        # Its style commands still hold their negative row numbers (a split part's are
        # rewritten), so windows of its rows may share them (see _RemainingRows).
        table._briefgen_uniform = True
        return table

    def _cell(self, children: tuple[Inline, ...], style: ParagraphStyle) -> Paragraph:
        """Return the paragraph of a table cell, the same one for cells with the same markup and style."""
        # Tables repeat short cells (a status, a country, a header) hundreds of times. A
        # paragraph may be drawn any number of times, and a table wraps each cell before it
        # draws it, so one paragraph is parsed and broken into lines once for all of them.
        # Markup with a footnote marker is never repeated: each marker has its own number.
        markup = self._inline.markup(children)
        key = (markup, style.name)
        paragraph = self._cells.get(key)
        if paragraph is None:
            paragraph = self._cells[key] = _CellParagraph(markup, style)
        return paragraph


# Blocks whose only effects on the blocks after them are the footnotes they number and the
# outline level a heading opens (a cover or the contents also add contents entries).
_COUNTED_BLOCKS = frozenset({Heading, ParagraphBlock, ListBlock, TableBlock, PageBreak})


def _heading_level(heading: Heading) -> int:
    """Return the level a heading is styled and outlined at: 0 to 3."""
    return min(max(heading.level, 0), 3)


def _hung_footnote_style(sheet: _StyleSheet, count: int) -> ParagraphStyle:
    """Return the style of footnotes hung by the width of the widest of ``count`` note numbers."""
    widest = max((pdfmetrics.stringWidth(str(n), sheet.body_faces.regular, sheet.style.footnote_size) for n in range(1, count + 1)), default=0.0)
    gap = sheet.style.footnote_size * 0.6
    return ParagraphStyle("footnote-hung", parent=sheet.footnote, leftIndent=widest + gap, bulletIndent=widest)


class _LazyStory(list):
    """The flowables platypus lays out, built a block at a time shortly before it reaches them.

    platypus takes its story from the front: it reads the first flowable, deletes it, puts
    split-off remainders back in front, and looks ahead along a keep-with-next chain.
    Built all at once, a long pack's flowables took tens of MB before the first was drawn.
    """

    # Flowables kept built ahead of the layout; a keep-with-next chain is built to its end.
    _AHEAD = 32

    def __init__(self, blocks: Iterator[list[Flowable]]) -> None:
        super().__init__()
        self._blocks: Iterator[list[Flowable]] | None = blocks

    def _fill(self) -> None:
        while self._blocks is not None:
            size = list.__len__(self)
            if size >= self._AHEAD and not list.__getitem__(self, -1).getKeepWithNext():
                return
            built = next(self._blocks, None)
            if built is None:
                self._blocks = None
            else:
                self.extend(built)

    def __len__(self) -> int:
        self._fill()
        return list.__len__(self)

    def __bool__(self) -> bool:
        return len(self) > 0

    def __getitem__(self, index):
        self._fill()
        return list.__getitem__(self, index)


def _heading_destination(index: int) -> str:
    """Return the PDF destination name of the heading that is block ``index``."""
    return f"bghead{index}"


def _outline_title(children: tuple[Inline, ...]) -> str:
    """Return inline content as one line of plain text for the outline and the contents."""
    return " ".join(plain_text(children).split()) or "—"


def _upper(children: tuple[Inline, ...]) -> tuple[Inline, ...]:
    """Return inline content with its text in capitals, for labels set as small capitals."""
    return tuple(
        Text(child.text.upper(), child.bold, child.italic)
        if isinstance(child, Text)
        else Link(child.href, _upper(child.children))
        if isinstance(child, Link)
        else child
        for child in children
    )


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
        metadata: Metadata,
        sheet: _StyleSheet,
        ledger: FootnoteLedger,
        story: _StoryBuilder,
        *,
        seed: _FontSeed | None = None,
        recording: bool = False,
    ) -> None:
        style = sheet.style
        self.footnote_ledger = ledger  # read by FootnoteFrame through the canvas
        self._outline = story.outline
        self._contents_numbers = story.contents_numbers
        self._seed = seed
        # A recording template lays out part of a document: its pages get their furniture
        # when replayed, once their numbers in the whole document are known.
        self._recording = recording
        #: The page each heading (by destination name) starts on, filled in as they are drawn.
        self.destination_pages: dict[str, int] = {}
        #: The pages that are covers, which carry no running foot.
        self.cover_pages: set[int] = set()
        self._created = metadata.created
        self._furniture = _furniture(metadata, style, sheet)
        self._output = _Output()
        super().__init__(
            self._output,
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
            pageCompression=1,  # whatever RL_pageCompression in the environment says
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
        """Stamp the creation date from the metadata instead of reportlab's fixed invariant date, and seed the fonts of a two-part layout."""
        if self._created is not None:
            self.canv.setDateFormatter(_pdf_date_formatter(self._created))
        if self._seed is not None:
            seed_fonts(self.canv, self._seed.font_names, self._seed.characters, freeze=self._recording)

    def beforePage(self) -> None:
        """Start the page with an empty footnote block."""
        self.footnote_ledger.start_page()

    def afterFlowable(self, flowable: Flowable) -> None:
        """Note the page of a heading and add its outline entry once it has been drawn."""
        if getattr(flowable, "briefgen_cover", False):
            self.cover_pages.add(self.page)
        key = getattr(getattr(flowable, "style", None), "briefgen_bookmark", None)
        if key is not None and key not in self.destination_pages:
            self.destination_pages[key] = self.page
            entry = self._outline[key]
            self.canv.addOutlineEntry(entry.title, key, level=entry.level, closed=entry.level >= 2)

    def _end_page(self, canv, doc) -> None:
        self.footnote_ledger.draw(canv, self.leftMargin, self.bottomMargin)
        if not self._recording:
            self._furniture.draw(canv, self.page, cover=self.page in self.cover_pages)

    def append_pages(self, part: LaidOutPages) -> None:
        """Add the recorded pages of a separately laid-out part after the pages laid out so far."""
        offset = self.page
        for page, record in enumerate(part.pages, start=offset + 1):
            cover = page - offset in part.cover_pages
            replay_page(self.canv, record, lambda canv: self._furniture.draw(canv, page, cover=cover))  # noqa: B023 (called at once)
        for key, page in part.destination_pages.items():
            self.destination_pages.setdefault(key, offset + page)
        self.cover_pages.update(offset + page for page in part.cover_pages)
        self.page = offset + len(part.pages)

    def finish(self) -> list[bytes]:
        """Write the page numbers now that every page is known, save, and return the PDF bytes in the parts they were written in."""
        self._furniture.write_page_numbers(self.canv, self.page)
        self._contents_numbers.write(self.canv, self.destination_pages)
        if self.destination_pages:
            self.canv.showOutline()
        if self._seed is not None:
            # Seeding numbered every face of the style; a face nothing drew with stays out.
            self.canv.drop_unused_fonts(self._seed.font_names)
        with _SUBSETTING_LOCK:
            self.canv.save()
        return self._output.parts()


class _Output:
    """The file the canvas saves to: the bytes written, large pieces kept as they are and small ones gathered.

    A long pack's PDF is tens of MB written as tens of thousands of pieces, most of them a
    link or a page's dictionary; kept one by one, they would take a third more than the file.
    """

    _LARGE = 512  # a page's stream, a font: kept as written, not copied
    _GATHERED = 65536  # small pieces are gathered into parts of this size

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self._small = bytearray()

    def write(self, data: bytes) -> None:
        """Keep ``data``."""
        if len(data) < self._LARGE:
            self._small += data
            if len(self._small) >= self._GATHERED:
                self._gather()
            return
        self._gather()
        self._parts.append(data)

    def parts(self) -> list[bytes]:
        """Return everything written, in order, and forget it."""
        self._gather()
        parts, self._parts = self._parts, []
        return parts

    def _gather(self) -> None:
        if self._small:
            self._parts.append(bytes(self._small))
            self._small.clear()


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


def _furniture(metadata: Metadata, style: Style, sheet: _StyleSheet) -> PageFurniture:
    """Return the page furniture of ``metadata`` in the house style."""
    return PageFurniture(
        title=metadata.title,
        page_label=metadata.page_label,
        classification=metadata.classification,
        footer=TextFace(sheet.heading_faces.regular, max(style.footnote_size - 0.5, 6.0), sheet.muted_colour),
        marking=TextFace(sheet.heading_faces.bold, max(style.footnote_size + 0.5, 7.0), _colour(style.classification_colour)),
        page_size=(style.page_width, style.page_height),
        margins=(style.margin_top, style.margin_right, style.margin_bottom, style.margin_left),
    )
