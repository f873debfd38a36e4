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
from collections.abc import Mapping

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
from .docx_contents import HeadingIndex, contents_depth, contents_field, heading_keys, heading_level
from .docx_fonts import embed_fonts
from .docx_package import Footnotes, prepare_settings, prune_template_parts, set_core_properties, write_package
from .docx_pages import install_headers_footers
from .docx_xml import clean_text, run_properties, spacing, text_element, twips, w

__all__ = ["heading_keys", "render_docx"]


def render_docx(
    document: Document,
    reference_docx: bytes | None = None,
    *,
    page_numbers: Mapping[str, int] | None = None,
) -> bytes:
    """Return the bytes of a .docx presenting ``document``, in the house style or ``reference_docx``'s styles.

    ``page_numbers`` maps the keys of :func:`heading_keys` to the page numbers the contents
    show until Word updates them; without them the contents list the headings unnumbered.
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
    writer = _BodyWriter(word, sheet, numbering, text_width, document, page_numbers)
    writer.write(document.blocks)
    cover = bool(document.blocks) and isinstance(document.blocks[0], Cover)
    install_headers_footers(word, sheet, document.metadata, cover=cover, text_width=text_width)
    set_core_properties(word, document.metadata)
    embedded = house and embed_fonts(word, document)
    prepare_settings(word.settings.element, house=house, footnotes=writer.has_footnotes, embedded_fonts=embedded)
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
    """Appends the blocks of a document to the body of a python-docx document."""

    def __init__(
        self,
        word,
        sheet: styles.StyleSheet,
        numbering: styles.ListNumbering,
        text_width: int,
        document: Document,
        page_numbers: Mapping[str, int] | None,
    ):
        self._body = word.element.body
        # The body's last section properties stay its last child; blocks go before them.
        self._section_properties = self._body.find(qn("w:sectPr"))
        self._sheet = sheet
        self._numbering = numbering
        self._text_width = text_width
        self._style = document.style
        self._headings = HeadingIndex(document.blocks)
        self._headings_written = 0
        self._page_numbers = page_numbers
        self._footnotes: Footnotes | None = None
        self._document_part = word.part
        self._bookmarks = _Bookmarks()
        self._inline = _InlineWriter(_LinkTargets(word.part), sheet, self._bookmarks, self._write_footnote)
        self._note_inline: _InlineWriter | None = None
        self._page_break_pending = False
        self._previous: Block | None = None
        self._ordered_lists = 0

    @property
    def has_footnotes(self) -> bool:
        """Whether any footnote was written, so the document carries a footnotes part."""
        return self._footnotes is not None

    def write(self, blocks: tuple[Block, ...]) -> None:
        """Append ``blocks`` in order; a page break applies to the block after it."""
        for block in blocks:
            if isinstance(block, PageBreak):
                # A trailing page break would only add a blank page, so it waits for content.
                self._page_break_pending = True
                continue
            for element in self._elements(block):
                self._append(element)
            self._previous = block
            if isinstance(block, Cover):
                self._page_break_pending = True  # the cover is a page of its own

    def _append(self, element: etree._Element) -> None:
        if self._section_properties is None:
            self._body.append(element)
        else:
            self._section_properties.addprevious(element)

    def _elements(self, block: Block) -> list[etree._Element]:
        if isinstance(block, Heading):
            return [self._heading(block)]
        if isinstance(block, Paragraph):
            return [self._paragraph(block)]
        if isinstance(block, ListBlock):
            return self._list(block)
        if isinstance(block, Table):
            return self._table(block)
        if isinstance(block, Cover):
            return self._cover(block)
        if isinstance(block, Contents):
            return self._contents(block)
        raise TypeError(f"not a block of the document model: {block!r}")

    def _heading(self, heading: Heading) -> etree._Element:
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
        paragraph.extend(w("bookmarkStart", id=i, name=n) for i, n in zip(ids, names, strict=True))
        self._inline.write(paragraph, heading.children)
        paragraph.extend(w("bookmarkEnd", id=i) for i in reversed(ids))
        return paragraph

    def _cover(self, cover: Cover) -> list[etree._Element]:
        elements = []
        if self._style.logo:
            elements.append(self._logo())
        title = self._new_paragraph(styles.COVER_TITLE)
        self._inline.write(title, cover.title)
        # The subtitle paragraph carries the rule under the title block, so it stays even when empty.
        subtitle = self._new_paragraph(styles.COVER_SUBTITLE)
        self._inline.write(subtitle, cover.subtitle)
        elements += [title, subtitle]
        if cover.details:
            elements.append(self._cover_details(cover.details))
        return elements

    def _logo(self) -> etree._Element:
        paragraph = self._new_paragraph(styles.COVER_LOGO)
        try:
            image = io.BytesIO(self._style.logo)
            inline = self._document_part.new_pic_inline(image, width=Pt(self._style.logo_width))
        except UnrecognizedImageError as error:
            raise ValueError("the house style's logo is not a PNG or JPEG image") from error
        paragraph.append(w("r", w("drawing", inline)))
        return paragraph

    def _cover_details(self, details) -> etree._Element:
        """Return the cover's labelled details as a two-column table without rules."""
        label_width = round(self._text_width * _COVER_LABEL_SHARE)
        widths = [label_width, self._text_width - label_width]
        grid = w("tblGrid", *(w("gridCol", w=width) for width in widths))
        table = w("tbl", _borderless_table_properties(self._text_width), grid)
        names = (styles.COVER_LABEL, styles.COVER_DETAIL)
        for label, value in details:
            row = w("tr", w("trPr", w("cantSplit")))
            for content, width, name in zip((label, value), widths, names, strict=True):
                paragraph = w("p", w("pPr", w("pStyle", val=self._sheet.id(name))))
                self._inline.write(paragraph, content)
                row.append(w("tc", w("tcPr", w("tcW", w=width, type="dxa")), paragraph))
            table.append(row)
        return table

    def _contents(self, contents: Contents) -> list[etree._Element]:
        title = self._new_paragraph(styles.TOC_HEADING)
        self._inline.write(title, contents.title)
        depth = contents_depth(contents)
        entry_styles = tuple(self._sheet.id(name) for name in styles.TOC_LEVELS)
        return [title, *contents_field(self._headings.entries(depth), depth, entry_styles, self._page_numbers)]

    def _paragraph(self, block: Paragraph) -> etree._Element:
        if block.role not in styles.ROLE_STYLES:
            raise ValueError(f"unknown paragraph role {block.role!r}; expected one of {sorted(styles.ROLE_STYLES)}")
        # The analyst's comment box brings more space of its own than a table needs.
        paragraph = self._new_paragraph(styles.ROLE_STYLES[block.role], space_after_table=block.role != "aside")
        self._inline.write(paragraph, block.children)
        return paragraph

    def _list(self, block: ListBlock) -> list[etree._Element]:
        name = styles.LIST_NUMBER if block.ordered else styles.LIST_BULLET
        num_id = self._list_numbering(block)
        paragraphs = []
        for item in block.items:
            paragraph = self._new_paragraph(name, num_id=num_id, space_after_table=not paragraphs)
            self._inline.write(paragraph, item)
            paragraphs.append(paragraph)
        return paragraphs

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
        properties = w("pPr", w("pStyle", val=self._sheet.id(name)))
        if self._take_page_break():
            properties.append(w("pageBreakBefore"))
        if num_id is not None:
            properties.append(w("numPr", w("ilvl", val=0), w("numId", val=num_id)))
        if space_after_table and isinstance(self._previous, Table):
            # A table has no space below; body text directly under it would touch its rule.
            properties.append(spacing(before=9))
        return w("p", properties)

    def _take_page_break(self) -> bool:
        pending, self._page_break_pending = self._page_break_pending, False
        return pending

    def _table(self, table: Table) -> list[etree._Element]:
        if not table.header and not table.rows:
            return []  # Word rejects a table without rows
        columns = max([len(table.header), *(len(row) for row in table.rows), 1])
        widths = _column_widths(table.widths, columns, self._text_width)
        elements = []
        if isinstance(self._previous, Table):
            # Word and LibreOffice merge tables that touch; an empty paragraph keeps them apart.
            elements.append(self._new_paragraph(styles.NORMAL))
        has_header = bool(table.header)
        element = w(
            "tbl",
            w(
                "tblPr",
                w("tblStyle", val=self._sheet.id(styles.TABLE)),
                w("tblW", w=sum(widths), type="dxa"),
                w("tblLayout", type="fixed"),  # keep the given proportions, whatever the text
                _table_look(has_header),
            ),
            w("tblGrid", *(w("gridCol", w=width) for width in widths)),
        )
        page_break = self._take_page_break()
        if has_header:
            element.append(self._row(table.header, widths, header=True, page_break=page_break))
            page_break = False
        for row in table.rows:
            element.append(self._row(row, widths, header=False, page_break=page_break))
            page_break = False
        elements.append(element)
        return elements

    def _row(self, cells, widths: list[int], *, header: bool, page_break: bool) -> etree._Element:
        row_properties = w("trPr", w("cantSplit"))
        if header:
            row_properties.append(w("tblHeader"))  # repeated at the top of every page
        row = w("tr", row_properties)
        name = styles.TABLE_HEADING if header else styles.TABLE_TEXT
        padded = tuple(cells) + ((),) * (len(widths) - len(cells))
        for index, (content, width) in enumerate(zip(padded, widths, strict=True)):
            properties = w("pPr", w("pStyle", val=self._sheet.id(name)))
            if page_break and index == 0:
                properties.append(w("pageBreakBefore"))  # Word moves the whole table
            paragraph = w("p", properties)
            self._inline.write(paragraph, content)
            row.append(w("tc", w("tcPr", w("tcW", w=width, type="dxa")), paragraph))
        return row

    def _write_footnote(self, children: tuple[Inline, ...]) -> int:
        if self._footnotes is None:
            self._footnotes = Footnotes(self._document_part)
            # Links in a note are relationships of the footnotes part, not of the document.
            self._note_inline = _InlineWriter(_LinkTargets(self._footnotes.part), self._sheet, self._bookmarks, None)
        note_id, note = self._footnotes.new_note()
        paragraph = w(
            "p",
            w("pPr", w("pStyle", val=self._sheet.id(styles.FOOTNOTE_TEXT))),
            w("r", run_properties(style_id=self._sheet.id(styles.FOOTNOTE_REFERENCE)), w("footnoteRef")),
            w("r", w("tab")),
        )
        self._note_inline.write(paragraph, children)
        note.append(paragraph)
        return note_id


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
# Characters RFC 3986 never allows in a URI, and "%" not starting an escape; Word may
# reject a relationship whose target holds them.
_NOT_IN_URI = re.compile(r'[\x00-\x20"<>\\^`{|}\x7f]|%(?![0-9A-Fa-f]{2})')


class _InlineWriter:
    """Appends inline content as runs, hyperlinks and footnote references to a paragraph."""

    def __init__(self, links: _LinkTargets, sheet: styles.StyleSheet, bookmarks: _Bookmarks, write_footnote):
        self._links = links
        self._sheet = sheet
        self._bookmarks = bookmarks
        self._write_footnote = write_footnote

    def write(self, parent: etree._Element, children: tuple[Inline, ...], run_style: str | None = None) -> None:
        """Append ``children`` to ``parent``; ``run_style`` is the character style of their text."""
        for child in children:
            if isinstance(child, Text):
                parent.append(_text_run(child, run_style))
            elif isinstance(child, Link):
                hyperlink = self._hyperlink(child.href)
                self.write(hyperlink, child.children, self._sheet.id(styles.HYPERLINK))
                parent.append(hyperlink)
            elif isinstance(child, Footnote):
                self._footnote(parent, child, run_style)
            elif isinstance(child, LineBreak):
                parent.append(w("r", w("br")))
            else:
                raise TypeError(f"not inline content of the document model: {child!r}")

    def _hyperlink(self, href: str) -> etree._Element:
        if href.startswith("#"):
            return w("hyperlink", anchor=self._bookmarks.name(href[1:]), history=True)
        relationship_id = self._links.relationship_id(_uri(href))
        hyperlink = w("hyperlink", history=True)
        hyperlink.set(qn("r:id"), relationship_id)
        return hyperlink

    def _footnote(self, parent: etree._Element, footnote: Footnote, run_style: str | None) -> None:
        if self._write_footnote is None:
            # Footnotes do not nest; a note inside a note keeps its words in the text.
            self.write(parent, footnote.children, run_style)
            return
        note_id = self._write_footnote(footnote.children)
        reference_style = self._sheet.id(styles.FOOTNOTE_REFERENCE)
        parent.append(w("r", run_properties(style_id=reference_style), w("footnoteReference", id=note_id)))


def _text_run(text: Text, style_id: str | None) -> etree._Element:
    run = w("r")
    properties = run_properties(style_id=style_id, bold=text.bold, italic=text.italic)
    if len(properties):
        run.append(properties)
    for piece in _LINE_BREAKS.split(clean_text(text.text)):
        if piece == "\t":
            run.append(w("tab"))
        elif piece in ("\r\n", "\r", "\n"):
            run.append(w("br"))
        elif piece:
            run.append(text_element(piece))
    return run


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
