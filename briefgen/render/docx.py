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

import functools
import io
import re
from collections.abc import Callable, Iterator, Mapping

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
from .docx_contents import HeadingIndex, contents_depth, contents_field_xml, heading_keys, heading_level
from .docx_fonts import embed_fonts
from .docx_package import Footnotes, PackageWriter, prepare_settings, prune_template_parts, set_core_properties
from .docx_pages import install_headers_footers
from .docx_xml import (
    TEXT_NAMESPACES,
    attributes_xml,
    clean_text,
    element_xml,
    empty_xml,
    escape_attribute,
    markup,
    parse_fragment,
    run_properties,
    spacing,
    text_xml,
    twips,
    w,
)

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
    texts = {word.part: writer.document_xml}
    if writer.footnotes is not None:
        texts[writer.footnotes.part] = writer.footnotes.xml
    # Only the document part, which holds the contents, waits for the page numbers: the
    # rest (the fonts above all) is compressed while a layout may still be running.
    package = PackageWriter(word.part.package, texts, late={word.part})
    writer.add_contents_page_numbers(page_numbers() if callable(page_numbers) else page_numbers)
    return package.archive()


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
    """Writes the blocks of a document into the body of a python-docx document, as XML text.

    The text waits beside the element tree, at comment markers in the body, until
    :meth:`document_xml` puts it in place of the markers while the part is written out.
    """

    def __init__(
        self,
        word,
        sheet: styles.StyleSheet,
        numbering: styles.ListNumbering,
        text_width: int,
        document: Document,
    ):
        self._document_element = word.element
        self._body = word.element.body
        self._sheet = sheet
        self._numbering = numbering
        self._text_width = text_width
        self._style = document.style
        self._headings = HeadingIndex(document.blocks)
        self._headings_written = 0
        self._footnotes: Footnotes | None = None
        self._document_part = word.part
        self._bookmarks = _Bookmarks()
        self._inline = _InlineWriter(_LinkTargets(word.part), sheet, self._bookmarks, self._write_footnote)
        self._note_inline: _InlineWriter | None = None
        self._note_start = _footnote_start(sheet)
        self._out: list[str] = []  # the pieces of the block being written
        self._segments: list[list[bytes]] = []  # the body's text, one list per marker
        self._markers: list[etree._Element] = []
        self._contents: list[tuple[list[bytes], int, Contents]] = []  # where each contents goes
        self._page_break_pending = False
        self._previous: Block | None = None
        self._ordered_lists = 0

    @property
    def has_footnotes(self) -> bool:
        """Whether any footnote was written, so the document carries a footnotes part."""
        return self._footnotes is not None

    @property
    def footnotes(self) -> Footnotes | None:
        """The footnotes part's writer, if any footnote was written."""
        return self._footnotes

    def write(self, blocks: tuple[Block, ...]) -> None:
        """Write ``blocks`` in order; a page break applies to the block after it."""
        # The last section's properties (page, margins, headers) must end the body.
        section_properties = self._body.find(qn("w:sectPr"))
        self._new_segment()
        for block in blocks:
            if isinstance(block, PageBreak):
                # A trailing page break would only add a blank page, so it waits for content.
                self._page_break_pending = True
                continue
            self._write_block(block)
            self._end_block()
            self._previous = block
            if isinstance(block, Cover):
                self._page_break_pending = True  # the cover is a page of its own
        if section_properties is not None:
            self._body.append(section_properties)

    def add_contents_page_numbers(self, page_numbers: Mapping[str, int] | None) -> None:
        """Write the contents' entries with the page numbers ``page_numbers`` gives their keys."""
        entry_styles = tuple(self._sheet.id(name) for name in styles.TOC_LEVELS)
        for segment, position, contents in self._contents:
            depth = contents_depth(contents)
            entries = self._headings.entries(depth)
            segment[position] = contents_field_xml(entries, depth, entry_styles, page_numbers).encode()

    def document_xml(self) -> Iterator[bytes]:
        """Yield the document part's XML in pieces, the body's text in place of its markers."""
        namespaces = self._document_element.nsmap
        if any(namespaces.get(prefix) != uri for prefix, uri in TEXT_NAMESPACES.items()):
            # A reference document writing w: or r: for other namespaces (or not at all)
            # needs the text read into its tree, which lxml then writes with its prefixes.
            for marker, segment in zip(self._markers, self._segments, strict=True):
                for element in parse_fragment(b"".join(segment)):
                    marker.addprevious(element)
                self._body.remove(marker)
            yield self._document_part.blob
            return
        blob = self._document_part.blob
        start = 0
        for marker, segment in zip(self._markers, self._segments, strict=True):
            marker_xml = etree.tostring(marker)
            end = blob.index(marker_xml, start)
            yield blob[start:end]
            yield from segment
            start = end + len(marker_xml)
        yield blob[start:]

    def _new_segment(self) -> None:
        marker = etree.Comment(f" briefgen body text {len(self._markers)} ")
        self._body.append(marker)
        self._markers.append(marker)
        self._segments.append([])

    def _end_block(self) -> None:
        if self._out:
            self._segments[-1].append("".join(self._out).encode())
            self._out.clear()

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
            self._contents_block(block)
        else:
            raise TypeError(f"not a block of the document model: {block!r}")

    def _heading(self, heading: Heading) -> None:
        level = heading_level(heading)
        name = styles.TITLE if level == 0 else styles.HEADINGS[level - 1]
        self._open_paragraph(name)
        self._headings_written += 1
        # The anchor's bookmark serves "#anchor" links, the "_Toc" one the contents.
        names = [self._bookmarks.name(heading.anchor)] if heading.anchor else []
        toc_name = self._headings.bookmark(self._headings_written)
        if toc_name:
            names.append(toc_name)
        ids = [self._bookmarks.new_id() for _ in names]
        for bookmark_id, bookmark_name in zip(ids, names, strict=True):
            self._out.append(empty_xml("bookmarkStart", id=bookmark_id, name=bookmark_name))
        self._inline.write(self._out, heading.children)
        for bookmark_id in reversed(ids):
            self._out.append(empty_xml("bookmarkEnd", id=bookmark_id))
        self._out.append("</w:p>")

    def _cover(self, cover: Cover) -> None:
        if self._style.logo:
            self._logo()
        self._open_paragraph(styles.COVER_TITLE)
        self._inline.write(self._out, cover.title)
        self._out.append("</w:p>")
        # The subtitle paragraph carries the rule under the title block, so it stays even when empty.
        self._open_paragraph(styles.COVER_SUBTITLE)
        self._inline.write(self._out, cover.subtitle)
        self._out.append("</w:p>")
        if cover.details:
            self._cover_details(cover.details)

    def _logo(self) -> None:
        # python-docx builds the picture as elements, so the logo's paragraph joins the tree.
        self._end_block()
        properties = w("pPr", w("pStyle", val=self._sheet.id(styles.COVER_LOGO)))
        if self._take_page_break():
            properties.append(w("pageBreakBefore"))
        paragraph = w("p", properties)
        try:
            image = io.BytesIO(self._style.logo)
            inline = self._document_part.new_pic_inline(image, width=Pt(self._style.logo_width))
        except UnrecognizedImageError as error:
            raise ValueError("the house style's logo is not a PNG or JPEG image") from error
        paragraph.append(w("r", w("drawing", inline)))
        self._body.append(paragraph)
        self._new_segment()

    def _cover_details(self, details) -> None:
        """Write the cover's labelled details as a two-column table without rules."""
        label_width = round(self._text_width * _COVER_LABEL_SHARE)
        widths = [label_width, self._text_width - label_width]
        self._out += ["<w:tbl>", _borderless_table_properties_xml(self._text_width), _grid_xml(widths)]
        names = (styles.COVER_LABEL, styles.COVER_DETAIL)
        for label, value in details:
            self._out.append("<w:tr><w:trPr><w:cantSplit/></w:trPr>")
            for content, width, name in zip((label, value), widths, names, strict=True):
                self._cell(content, width, name, page_break=False)
            self._out.append("</w:tr>")
        self._out.append("</w:tbl>")

    def _contents_block(self, contents: Contents) -> None:
        self._open_paragraph(styles.TOC_HEADING)
        self._inline.write(self._out, contents.title)
        self._out.append("</w:p>")
        # The entries are written last: their page numbers may come from a layout still running.
        self._end_block()
        segment = self._segments[-1]
        self._contents.append((segment, len(segment), contents))
        segment.append(b"")

    def _paragraph(self, block: Paragraph) -> None:
        if block.role not in styles.ROLE_STYLES:
            raise ValueError(f"unknown paragraph role {block.role!r}; expected one of {sorted(styles.ROLE_STYLES)}")
        # The analyst's comment box brings more space of its own than a table needs.
        self._open_paragraph(styles.ROLE_STYLES[block.role], space_after_table=block.role != "aside")
        self._inline.write(self._out, block.children)
        self._out.append("</w:p>")

    def _list(self, block: ListBlock) -> None:
        name = styles.LIST_NUMBER if block.ordered else styles.LIST_BULLET
        num_id = self._list_numbering(block)
        for index, item in enumerate(block.items):
            self._open_paragraph(name, num_id=num_id, space_after_table=index == 0)
            self._inline.write(self._out, item)
            self._out.append("</w:p>")

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

    def _open_paragraph(
        self, name: styles.StyleName, *, num_id: str | None = None, space_after_table: bool = False
    ) -> None:
        """Write the start of a paragraph of style ``name``, up to its first run."""
        out = self._out
        out.append(f"<w:p><w:pPr>{empty_xml('pStyle', val=self._sheet.id(name))}")
        if self._take_page_break():
            out.append("<w:pageBreakBefore/>")
        if num_id is not None:
            out.append(f'<w:numPr><w:ilvl w:val="0"/>{empty_xml("numId", val=num_id)}</w:numPr>')
        if space_after_table and isinstance(self._previous, Table):
            # A table has no space below; body text directly under it would touch its rule.
            out.append(_SPACE_AFTER_TABLE)
        out.append("</w:pPr>")

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
            self._open_paragraph(styles.NORMAL)
            self._out.append("</w:p>")
        has_header = bool(table.header)
        self._out += [
            "<w:tbl><w:tblPr>",
            empty_xml("tblStyle", val=self._sheet.id(styles.TABLE)),
            empty_xml("tblW", w=sum(widths), type="dxa"),
            '<w:tblLayout w:type="fixed"/>',  # keep the given proportions, whatever the text
            _table_look_xml(has_header),
            "</w:tblPr>",
            _grid_xml(widths),
        ]
        page_break = self._take_page_break()
        if has_header:
            self._row(table.header, widths, header=True, page_break=page_break)
            page_break = False
        for row in table.rows:
            self._row(row, widths, header=False, page_break=page_break)
            page_break = False
        self._out.append("</w:tbl>")

    def _row(self, cells, widths: list[int], *, header: bool, page_break: bool) -> None:
        # A header row is repeated at the top of every page.
        self._out.append("<w:tr><w:trPr><w:cantSplit/><w:tblHeader/></w:trPr>" if header else _ROW_START)
        name = styles.TABLE_HEADING if header else styles.TABLE_TEXT
        padded = tuple(cells) + ((),) * (len(widths) - len(cells))
        for index, (content, width) in enumerate(zip(padded, widths, strict=True)):
            self._cell(content, width, name, page_break=page_break and index == 0)  # Word moves the whole table
        self._out.append("</w:tr>")

    def _cell(self, content: tuple[Inline, ...], width: int, name: styles.StyleName, *, page_break: bool) -> None:
        self._out.append(
            f'<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/></w:tcPr>'
            f"<w:p><w:pPr>{empty_xml('pStyle', val=self._sheet.id(name))}"
            + ("<w:pageBreakBefore/></w:pPr>" if page_break else "</w:pPr>")
        )
        self._inline.write(self._out, content)
        self._out.append("</w:p></w:tc>")

    def _write_footnote(self, children: tuple[Inline, ...]) -> int:
        if self._footnotes is None:
            self._footnotes = Footnotes(self._document_part)
            # Links in a note are relationships of the footnotes part, not of the document.
            self._note_inline = _InlineWriter(_LinkTargets(self._footnotes.part), self._sheet, self._bookmarks, None)
        paragraph = [self._note_start]
        self._note_inline.write(paragraph, children)
        paragraph.append("</w:p>")
        return self._footnotes.add_note("".join(paragraph))


_ROW_START = "<w:tr><w:trPr><w:cantSplit/></w:trPr>"
_SPACE_AFTER_TABLE = markup(spacing(before=9))


def _footnote_start(sheet: styles.StyleSheet) -> str:
    """Return the start of every footnote's paragraph: its style, the note's number and a tab."""
    reference_style = markup(run_properties(style_id=sheet.id(styles.FOOTNOTE_REFERENCE)))
    return (
        f"<w:p><w:pPr>{empty_xml('pStyle', val=sheet.id(styles.FOOTNOTE_TEXT))}</w:pPr>"
        f"<w:r>{reference_style}<w:footnoteRef/></w:r><w:r><w:tab/></w:r>"
    )


def _grid_xml(widths: list[int]) -> str:
    return "<w:tblGrid>" + "".join(empty_xml("gridCol", w=width) for width in widths) + "</w:tblGrid>"


_TABLE_SIDES = ("top", "left", "bottom", "right", "insideH", "insideV")
_COVER_LABEL_SHARE = 0.28  # of the text width: room for "Prepared for" with a gap


def _borderless_table_properties_xml(width: int) -> str:
    return markup(_borderless_table_properties(width))


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


@functools.cache
def _table_look_xml(has_header: bool) -> str:
    return markup(_table_look(has_header))


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
    """Writes inline content as the XML text of runs, hyperlinks and footnote references."""

    def __init__(self, links: _LinkTargets, sheet: styles.StyleSheet, bookmarks: _Bookmarks, write_footnote):
        self._links = links
        self._bookmarks = bookmarks
        self._write_footnote = write_footnote
        self._link_style = sheet.id(styles.HYPERLINK)
        self._reference_start = "<w:r>" + markup(run_properties(style_id=sheet.id(styles.FOOTNOTE_REFERENCE)))
        self._run_properties: dict[tuple[str | None, bool, bool], str] = {}

    def write(self, out: list[str], children: tuple[Inline, ...], run_style: str | None = None) -> None:
        """Append the XML of ``children`` to ``out``; ``run_style`` is the character style of their text."""
        for child in children:
            if isinstance(child, Text):
                self._text_run(out, child, run_style)
            elif isinstance(child, Link):
                start = len(out)
                out.append(self._hyperlink_start(child.href))
                self.write(out, child.children, self._link_style)
                if len(out) == start + 1:
                    out[start] = out[start][:-1] + "/>"  # a link without content is an empty element
                else:
                    out.append("</w:hyperlink>")
            elif isinstance(child, Footnote):
                self._footnote(out, child, run_style)
            elif isinstance(child, LineBreak):
                out.append("<w:r><w:br/></w:r>")
            else:
                raise TypeError(f"not inline content of the document model: {child!r}")

    def _text_run(self, out: list[str], text: Text, style_id: str | None) -> None:
        content = [self._properties(style_id, text.bold, text.italic)]
        for piece in _LINE_BREAKS.split(clean_text(text.text)):
            if piece == "\t":
                content.append("<w:tab/>")
            elif piece in ("\r\n", "\r", "\n"):
                content.append("<w:br/>")
            elif piece:
                content.append(text_xml(piece))
        out.append(element_xml("r", "".join(content)))

    def _properties(self, style_id: str | None, bold: bool, italic: bool) -> str:
        key = (style_id, bold, italic)
        if key not in self._run_properties:
            properties = run_properties(style_id=style_id, bold=bold, italic=italic)
            self._run_properties[key] = markup(properties) if len(properties) else ""
        return self._run_properties[key]

    def _hyperlink_start(self, href: str) -> str:
        if href.startswith("#"):
            return f"<w:hyperlink{attributes_xml(anchor=self._bookmarks.name(href[1:]), history=True)}>"
        relationship_id = escape_attribute(self._links.relationship_id(_uri(href)))
        return f'<w:hyperlink w:history="1" r:id="{relationship_id}">'

    def _footnote(self, out: list[str], footnote: Footnote, run_style: str | None) -> None:
        if self._write_footnote is None:
            # Footnotes do not nest; a note inside a note keeps its words in the text.
            self.write(out, footnote.children, run_style)
            return
        note_id = self._write_footnote(footnote.children)
        out.append(f'{self._reference_start}<w:footnoteReference w:id="{note_id}"/></w:r>')


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
