"""Render a :class:`briefgen.document.Document` as a Word .docx file.

The note is written with named Word styles (Title, Heading 1–3, List Bullet, Quote, …)
rather than direct formatting, with real Word footnotes and clickable hyperlinks, so an
analyst can restyle or edit it in Word before it goes to the reader. A pack's cover is a
title page of its own, its contents a real Word TOC field whose entries are already filled
in, and its classification marking stands at the top and bottom of every page.

Without a reference .docx, page, styles, numbering and fonts follow ``document.style`` (the
house style) and the house fonts are embedded. With one, as with pandoc's
``--reference-doc``, the reference's page setup, headers, footers and styles win and only
the styles it lacks are added in the house style.

The output depends only on the document, the font files its style names and the reference:
the same inputs give byte-identical bytes.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Mapping

import docx
from docx.enum.section import WD_ORIENT
from docx.image.exceptions import UnrecognizedImageError
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml.ns import qn
from docx.shared import Pt
from lxml import etree

from briefgen.document import (
    Block,
    Contents,
    Cover,
    Document,
    Footnote,
    Heading,
    Inline,
    LineBreak,
    Link,
    ListBlock,
    PageBreak,
    Paragraph,
    Style,
    Table,
    Text,
)

from . import docx_styles as styles
from .docx_contents import (
    HeadingIndex,
    PendingPage,
    add_contents_field,
    add_page_numbers,
    contents_depth,
    heading_keys,
    heading_level,
)
from .docx_fonts import embed_fonts
from .docx_package import Footnotes, prepare_settings, prune_template_parts, set_core_properties, write_package
from .docx_pages import install_headers_footers
from .docx_xml import W, append_copy, clean_text, run_properties, spacing, sub, sub_text, twips, w

__all__ = ["heading_keys", "render_docx"]

#: Page numbers by heading key (see :func:`heading_keys`), or None when there are none.
PageNumbers = Mapping[str, int] | None


def render_docx(
    document: Document,
    reference_docx: bytes | None = None,
    *,
    page_numbers: PageNumbers | Callable[[], PageNumbers] = None,
) -> bytes:
    """Return the bytes of a .docx presenting ``document``, in the house style or ``reference_docx``'s styles.

    ``page_numbers`` maps the keys of :func:`heading_keys` to the page numbers the contents
    show until Word updates them; without them the contents list the headings unnumbered.
    It may also be a function without arguments returning that mapping (or None), called
    exactly once, after everything else in the document is built, so that the page numbers
    can come from a layout running at the same time.
    """
    house = reference_docx is None
    word = docx.Document(None if house else io.BytesIO(reference_docx))
    prune_template_parts(word, house)
    _clear_body(word)
    if house:
        _set_page(word.sections[0], document.style)
        _strip_revision_ids(word)
    text_width = _text_width_twips(word.sections[-1], document.style)
    numbering = styles.ListNumbering(word.part.numbering_part.element, document.style, house)
    sheet = styles.install_styles(
        word.styles.element, document.style, document.metadata.language, house, numbering, text_width
    )
    writer = _BodyWriter(word, sheet, numbering, text_width, document)
    writer.write(document.blocks)
    cover = bool(document.blocks) and isinstance(document.blocks[0], Cover)
    install_headers_footers(word, sheet, document.metadata, cover=cover, text_width=text_width)
    set_core_properties(word, document.metadata)
    embedded = house and embed_fonts(word, document)
    prepare_settings(word.settings.element, house=house, footnotes=writer.has_footnotes, embedded_fonts=embedded)
    writer.add_contents_page_numbers(page_numbers() if callable(page_numbers) else page_numbers)
    return write_package(word.part.package)


def _clear_body(word) -> None:
    # The last section's properties (page, margins, headers) live at the end of the body.
    body = word.element.body
    for child in list(body):
        if child.tag != qn("w:sectPr"):
            body.remove(child)


def _set_page(section, style: Style) -> None:
    section.orientation = WD_ORIENT.LANDSCAPE if style.page_width > style.page_height else WD_ORIENT.PORTRAIT
    section.page_width = Pt(style.page_width)
    section.page_height = Pt(style.page_height)
    section.top_margin = Pt(style.margin_top)
    section.right_margin = Pt(style.margin_right)
    section.bottom_margin = Pt(style.margin_bottom)
    section.left_margin = Pt(style.margin_left)
    section.header_distance = Pt(min(36, style.margin_top / 2))
    section.footer_distance = Pt(min(36, style.margin_bottom / 2))
    section.gutter = 0


def _strip_revision_ids(word) -> None:
    # Revision-session ids in the template describe edits nobody made to this note.
    for element in word.element.body.iter():
        for name in [name for name in element.attrib if name.startswith(qn("w:rsid"))]:
            del element.attrib[name]


def _text_width_twips(section, style: Style) -> int:
    # A reference document may leave page size or margins unset; the house style fills in.
    page = section.page_width.twips if section.page_width is not None else twips(style.page_width)
    left = section.left_margin.twips if section.left_margin is not None else twips(style.margin_left)
    right = section.right_margin.twips if section.right_margin is not None else twips(style.margin_right)
    return page - left - right


# --- blocks -------------------------------------------------------------------------


class _BodyWriter:
    """Writes the blocks of a document into the body of a python-docx document."""

    def __init__(
        self,
        word,
        sheet: styles.StyleSheet,
        numbering: styles.ListNumbering,
        text_width: int,
        document: Document,
    ):
        self._body = word.element.body
        self._sheet = sheet
        self._numbering = numbering
        self._text_width = text_width
        self._style = document.style
        self._headings = HeadingIndex(document.blocks)
        self._headings_written = 0
        self._contents_links: list[PendingPage] = []
        self._footnotes: Footnotes | None = None
        self._document_part = word.part
        self._bookmarks = _Bookmarks()
        self._inline = _InlineWriter(_LinkTargets(word.part), sheet, self._bookmarks, self._write_footnote)
        self._note_inline: _InlineWriter | None = None
        self._note_template = _footnote_paragraph(sheet)
        self._cell_templates: dict[tuple[int, str], etree._Element] = {}
        self._page_break_pending = False
        self._previous: Block | None = None
        self._ordered_lists = 0

    @property
    def has_footnotes(self) -> bool:
        """Whether any footnote was written, so the document carries a footnotes part."""
        return self._footnotes is not None

    def write(self, blocks: tuple[Block, ...]) -> None:
        """Write ``blocks`` in order; a page break applies to the block after it."""
        # The last section's properties (page, margins, headers) must end the body. Blocks are
        # appended after them, the cheapest way to add an element, and they move back last.
        section_properties = self._body.find(qn("w:sectPr"))
        for block in blocks:
            if isinstance(block, PageBreak):
                # A trailing page break would only add a blank page, so it waits for content.
                self._page_break_pending = True
                continue
            self._write_block(block)
            self._previous = block
            if isinstance(block, Cover):
                self._page_break_pending = True  # the cover is a page of its own
        if section_properties is not None:
            self._body.append(section_properties)

    def add_contents_page_numbers(self, page_numbers: Mapping[str, int] | None) -> None:
        """Add the page numbers of ``page_numbers`` to the contents' entries (see :func:`add_page_numbers`)."""
        add_page_numbers(self._contents_links, page_numbers)

    def _write_block(self, block: Block) -> None:
        if isinstance(block, Heading):
            self._heading(block)
        elif isinstance(block, Paragraph):
            self._paragraph(block)
        elif isinstance(block, ListBlock):
            self._list(block)
        elif isinstance(block, Table):
            self._table(block)
        elif isinstance(block, Cover):
            self._cover(block)
        elif isinstance(block, Contents):
            self._contents(block)
        else:
            raise TypeError(f"not a block of the document model: {block!r}")

    def _heading(self, heading: Heading) -> None:
        level = heading_level(heading)
        name = styles.TITLE if level == 0 else styles.HEADINGS[level - 1]
        paragraph = self._new_paragraph(name)
        self._headings_written += 1
        # The anchor's bookmark serves "#anchor" links, the "_Toc" one the contents.
        names = [self._bookmarks.name(heading.anchor)] if heading.anchor else []
        toc_name = self._headings.bookmark(self._headings_written)
        if toc_name:
            names.append(toc_name)
        ids = [self._bookmarks.new_id() for _ in names]
        for bookmark_id, bookmark_name in zip(ids, names, strict=True):
            sub(paragraph, "bookmarkStart", id=bookmark_id, name=bookmark_name)
        self._inline.write(paragraph, heading.children)
        for bookmark_id in reversed(ids):
            sub(paragraph, "bookmarkEnd", id=bookmark_id)

    def _cover(self, cover: Cover) -> None:
        if self._style.logo:
            self._logo()
        title = self._new_paragraph(styles.COVER_TITLE)
        self._inline.write(title, cover.title)
        # The subtitle paragraph carries the rule under the title block, so it stays even when empty.
        subtitle = self._new_paragraph(styles.COVER_SUBTITLE)
        self._inline.write(subtitle, cover.subtitle)
        if cover.details:
            self._cover_details(cover.details)

    def _logo(self) -> None:
        paragraph = self._new_paragraph(styles.COVER_LOGO)
        try:
            image = io.BytesIO(self._style.logo)
            inline = self._document_part.new_pic_inline(image, width=Pt(self._style.logo_width))
        except UnrecognizedImageError as error:
            raise ValueError("the house style's logo is not a PNG or JPEG image") from error
        sub(sub(paragraph, "r"), "drawing").append(inline)

    def _cover_details(self, details) -> None:
        """Write the cover's labelled details as a two-column table without rules."""
        label_width = round(self._text_width * _COVER_LABEL_SHARE)
        widths = [label_width, self._text_width - label_width]
        table = sub(self._body, "tbl")
        table.append(_borderless_table_properties(self._text_width))
        _add_grid(table, widths)
        names = (styles.COVER_LABEL, styles.COVER_DETAIL)
        for label, value in details:
            row = sub(table, "tr")
            sub(sub(row, "trPr"), "cantSplit")
            for content, width, name in zip((label, value), widths, names, strict=True):
                self._inline.write(self._new_cell(row, width, name), content)

    def _contents(self, contents: Contents) -> None:
        title = self._new_paragraph(styles.TOC_HEADING)
        self._inline.write(title, contents.title)
        depth = contents_depth(contents)
        entry_styles = tuple(self._sheet.id(name) for name in styles.TOC_LEVELS)
        # The page numbers are added last: the caller's layout may still be running.
        self._contents_links += add_contents_field(self._body, self._headings.entries(depth), depth, entry_styles)

    def _paragraph(self, block: Paragraph) -> None:
        if block.role not in styles.ROLE_STYLES:
            raise ValueError(f"unknown paragraph role {block.role!r}; expected one of {sorted(styles.ROLE_STYLES)}")
        # The analyst's comment box brings more space of its own than a table needs.
        paragraph = self._new_paragraph(styles.ROLE_STYLES[block.role], space_after_table=block.role != "aside")
        self._inline.write(paragraph, block.children)

    def _list(self, block: ListBlock) -> None:
        name = styles.LIST_NUMBER if block.ordered else styles.LIST_BULLET
        num_id = self._list_numbering(block)
        for index, item in enumerate(block.items):
            paragraph = self._new_paragraph(name, num_id=num_id, space_after_table=index == 0)
            self._inline.write(paragraph, item)

    def _list_numbering(self, block: ListBlock) -> str | None:
        """Return the numbering an ordered list needs to count from 1 again, if any."""
        if not block.ordered:
            return None
        self._ordered_lists += 1
        style_num_id = self._sheet.numbering_id(styles.LIST_NUMBER)
        if self._ordered_lists == 1:
            # The first list can count with the style's own numbering, if it has one.
            return None if style_num_id else self._numbering.decimal_id
        # Later lists would continue the count of the first one, so each gets a restart.
        return self._numbering.restart(style_num_id or self._numbering.decimal_id)

    def _new_paragraph(
        self, name: styles.StyleName, *, num_id: str | None = None, space_after_table: bool = False
    ) -> etree._Element:
        """Append a paragraph of style ``name`` to the body and return it."""
        paragraph = sub(self._body, "p")
        properties = sub(paragraph, "pPr")
        sub(properties, "pStyle", val=self._sheet.id(name))
        if self._take_page_break():
            sub(properties, "pageBreakBefore")
        if num_id is not None:
            numbering = sub(properties, "numPr")
            sub(numbering, "ilvl", val=0)
            sub(numbering, "numId", val=num_id)
        if space_after_table and isinstance(self._previous, Table):
            # A table has no space below; body text directly under it would touch its rule.
            properties.append(spacing(before=9))
        return paragraph

    def _take_page_break(self) -> bool:
        pending, self._page_break_pending = self._page_break_pending, False
        return pending

    def _table(self, table: Table) -> None:
        if not table.header and not table.rows:
            return  # Word rejects a table without rows
        columns = max([len(table.header), *(len(row) for row in table.rows), 1])
        widths = _column_widths(table.widths, columns, self._text_width)
        if isinstance(self._previous, Table):
            # Word and LibreOffice merge tables that touch; an empty paragraph keeps them apart.
            self._new_paragraph(styles.NORMAL)
        has_header = bool(table.header)
        element = sub(self._body, "tbl")
        properties = sub(element, "tblPr")
        sub(properties, "tblStyle", val=self._sheet.id(styles.TABLE))
        sub(properties, "tblW", w=sum(widths), type="dxa")
        sub(properties, "tblLayout", type="fixed")  # keep the given proportions, whatever the text
        properties.append(_table_look(has_header))
        _add_grid(element, widths)
        page_break = self._take_page_break()
        if has_header:
            self._row(element, table.header, widths, header=True, page_break=page_break)
            page_break = False
        for row in table.rows:
            self._row(element, row, widths, header=False, page_break=page_break)
            page_break = False

    def _row(self, table: etree._Element, cells, widths: list[int], *, header: bool, page_break: bool) -> None:
        row = sub(table, "tr")
        row_properties = sub(row, "trPr")
        sub(row_properties, "cantSplit")
        if header:
            sub(row_properties, "tblHeader")  # repeated at the top of every page
        name = styles.TABLE_HEADING if header else styles.TABLE_TEXT
        padded = tuple(cells) + ((),) * (len(widths) - len(cells))
        for index, (content, width) in enumerate(zip(padded, widths, strict=True)):
            paragraph = self._new_cell(row, width, name)
            if page_break and index == 0:
                sub(paragraph[0], "pageBreakBefore")  # Word moves the whole table
            self._inline.write(paragraph, content)

    def _new_cell(self, row: etree._Element, width: int, name: styles.StyleName) -> etree._Element:
        """Append a cell of ``width`` twips holding one paragraph of style ``name`` to ``row``; return the paragraph."""
        style_id = self._sheet.id(name)
        template = self._cell_templates.get((width, style_id))
        if template is None:
            template = w(
                "tc",
                w("tcPr", w("tcW", w=width, type="dxa")),
                w("p", w("pPr", w("pStyle", val=style_id))),
            )
            self._cell_templates[width, style_id] = template
        return append_copy(row, template)[1]

    def _write_footnote(self, children: tuple[Inline, ...]) -> int:
        if self._footnotes is None:
            self._footnotes = Footnotes(self._document_part)
            # Links in a note are relationships of the footnotes part, not of the document.
            self._note_inline = _InlineWriter(_LinkTargets(self._footnotes.part), self._sheet, self._bookmarks, None)
        note_id, note = self._footnotes.new_note()
        paragraph = append_copy(note, self._note_template)
        self._note_inline.write(paragraph, children)
        return note_id


def _footnote_paragraph(sheet: styles.StyleSheet) -> etree._Element:
    """Return the start of every footnote's paragraph: its style, the note's number and a tab."""
    return w(
        "p",
        w("pPr", w("pStyle", val=sheet.id(styles.FOOTNOTE_TEXT))),
        w("r", run_properties(style_id=sheet.id(styles.FOOTNOTE_REFERENCE)), w("footnoteRef")),
        w("r", w("tab")),
    )


def _add_grid(table: etree._Element, widths: list[int]) -> None:
    grid = sub(table, "tblGrid")
    for width in widths:
        sub(grid, "gridCol", w=width)


_TABLE_SIDES = ("top", "left", "bottom", "right", "insideH", "insideV")
_COVER_LABEL_SHARE = 0.28  # of the text width: room for "Prepared for" with a gap


def _borderless_table_properties(width: int) -> etree._Element:
    # Explicit "nil" borders: a reference document's default table style may draw rules.
    return w(
        "tblPr",
        w("tblW", w=width, type="dxa"),
        w("tblBorders", *(w(side, val="nil") for side in _TABLE_SIDES)),
        w("tblLayout", type="fixed"),
        # No left padding: the labels line up with the title above them.
        w("tblCellMar", w("left", w=0, type="dxa"), w("right", w=twips(8), type="dxa")),
        _table_look(has_header=False),
    )


def _table_look(has_header: bool) -> etree._Element:
    # Only the header row gets the table style's special formatting: no banding, no first column.
    return w(
        "tblLook",
        val="0620" if has_header else "0600",
        firstRow=has_header,
        lastRow=False,
        firstColumn=False,
        lastColumn=False,
        noHBand=True,
        noVBand=True,
    )


def _column_widths(relative: tuple[float, ...] | None, columns: int, total: int) -> list[int]:
    """Scale ``relative`` widths (or equal ones) to integers summing exactly to ``total``."""
    if not relative or len(relative) != columns or any(width <= 0 for width in relative):
        relative = (1.0,) * columns
    scale = total / sum(relative)
    widths = [int(width * scale) for width in relative]
    widths[-1] += total - sum(widths)
    return widths


# --- inline content -----------------------------------------------------------------

_LINE_BREAKS = re.compile(r"(\t|\r\n|\r|\n)")
_RELATIONSHIP_ID = qn("r:id")
# Characters RFC 3986 never allows in a URI, and "%" not starting an escape; Word may
# reject a relationship whose target holds them.
_NOT_IN_URI = re.compile(r'[\x00-\x20"<>\\^`{|}\x7f]|%(?![0-9A-Fa-f]{2})')


class _InlineWriter:
    """Appends inline content as runs, hyperlinks and footnote references to a paragraph."""

    def __init__(self, links: _LinkTargets, sheet: styles.StyleSheet, bookmarks: _Bookmarks, write_footnote):
        self._links = links
        self._bookmarks = bookmarks
        self._write_footnote = write_footnote
        self._link_style = sheet.id(styles.HYPERLINK)
        reference_style = run_properties(style_id=sheet.id(styles.FOOTNOTE_REFERENCE))
        self._reference_run = w("r", reference_style, w("footnoteReference"))
        # Copying a run's properties is cheaper than building them; there are a few kinds.
        self._run_properties: dict[tuple[str | None, bool, bool], etree._Element | None] = {}

    def write(self, parent: etree._Element, children: tuple[Inline, ...], run_style: str | None = None) -> None:
        """Append ``children`` to ``parent``; ``run_style`` is the character style of their text."""
        for child in children:
            if isinstance(child, Text):
                self._text_run(parent, child, run_style)
            elif isinstance(child, Link):
                self.write(self._hyperlink(parent, child.href), child.children, self._link_style)
            elif isinstance(child, Footnote):
                self._footnote(parent, child, run_style)
            elif isinstance(child, LineBreak):
                sub(sub(parent, "r"), "br")
            else:
                raise TypeError(f"not inline content of the document model: {child!r}")

    def _text_run(self, parent: etree._Element, text: Text, style_id: str | None) -> None:
        run = sub(parent, "r")
        properties = self._properties(style_id, text.bold, text.italic)
        if properties is not None:
            append_copy(run, properties)
        for piece in _LINE_BREAKS.split(clean_text(text.text)):
            if piece == "\t":
                sub(run, "tab")
            elif piece in ("\r\n", "\r", "\n"):
                sub(run, "br")
            elif piece:
                sub_text(run, piece)

    def _properties(self, style_id: str | None, bold: bool, italic: bool) -> etree._Element | None:
        key = (style_id, bold, italic)
        if key not in self._run_properties:
            properties = run_properties(style_id=style_id, bold=bold, italic=italic)
            self._run_properties[key] = properties if len(properties) else None
        return self._run_properties[key]

    def _hyperlink(self, parent: etree._Element, href: str) -> etree._Element:
        if href.startswith("#"):
            return sub(parent, "hyperlink", anchor=self._bookmarks.name(href[1:]), history=True)
        relationship_id = self._links.relationship_id(_uri(href))
        hyperlink = sub(parent, "hyperlink", history=True)
        hyperlink.set(_RELATIONSHIP_ID, relationship_id)
        return hyperlink

    def _footnote(self, parent: etree._Element, footnote: Footnote, run_style: str | None) -> None:
        if self._write_footnote is None:
            # Footnotes do not nest; a note inside a note keeps its words in the text.
            self.write(parent, footnote.children, run_style)
            return
        note_id = self._write_footnote(footnote.children)
        run = append_copy(parent, self._reference_run)
        run[-1].set(W + "id", str(note_id))


def _uri(href: str) -> str:
    """Return ``href`` with the characters URIs cannot hold percent-encoded, all else as given."""
    return _NOT_IN_URI.sub(lambda match: "".join(f"%{byte:02X}" for byte in match.group().encode()), href)


class _LinkTargets:
    """The external hyperlink relationships of one part, one per address, as python-docx would number them."""

    def __init__(self, part):
        self._rels = part.rels
        self._ids: dict[str, str] = {}
        for rel_id, rel in self._rels.items():
            if rel.reltype == RT.HYPERLINK and rel.is_external:
                self._ids.setdefault(rel.target_ref, rel_id)
        self._next_number = 1

    def relationship_id(self, uri: str) -> str:
        """Return the id of the part's relationship to ``uri``, adding one if it has none."""
        if uri not in self._ids:
            # python-docx takes the lowest free "rIdN" but finds it (and any existing
            # relationship) by scanning them all; relationships are only ever added while
            # the body is written, so the lowest free number never goes down.
            while f"rId{self._next_number}" in self._rels:
                self._next_number += 1
            rel_id = f"rId{self._next_number}"
            self._rels.add_relationship(RT.HYPERLINK, uri, rel_id, is_external=True)
            self._ids[uri] = rel_id
        return self._ids[uri]


class _Bookmarks:
    """Word bookmark names and ids for heading anchors, so ``#anchor`` links can reach them."""

    _MAX_NAME = 40  # Word truncates longer bookmark names

    def __init__(self):
        self._names: dict[str, str] = {}
        self._taken: set[str] = set()
        self._next_id = 0

    def name(self, anchor: str) -> str:
        """Return the bookmark name of ``anchor``, the same on every call."""
        if anchor not in self._names:
            name = self._unique(_bookmark_name(anchor, self._MAX_NAME))
            self._names[anchor] = name
            self._taken.add(name)
        return self._names[anchor]

    def new_id(self) -> int:
        """Return a bookmark id no other bookmark of the document has."""
        self._next_id += 1
        return self._next_id

    def _unique(self, name: str) -> str:
        candidate, counter = name, 1
        while candidate in self._taken:
            counter += 1
            suffix = f"_{counter}"
            candidate = name[: self._MAX_NAME - len(suffix)] + suffix
        return candidate


def _bookmark_name(anchor: str, limit: int) -> str:
    # Word accepts letters, digits and underscores, starting with a letter.
    name = re.sub(r"\W", "_", anchor)
    if not name[:1].isalpha():
        name = "s_" + name
    return name[:limit]
