"""The Word style sheet and list numbering of a rendered briefing note.

Every block of a :class:`briefgen.document.Document` is written with a named Word style
(built-in where Word has one, so a reader can restyle the whole note from the Styles pane),
never with direct formatting. Without a reference document the style sheet is replaced by
the house style; with one, the reference's styles win and only the missing ones are added.
"""

from __future__ import annotations

from dataclasses import dataclass

from docx.oxml.ns import qn
from lxml import etree

from briefgen.document import Style

from .docx_xml import border, run_properties, shading, spacing, tab_stop, twips, w

# --- the styles the renderer uses ---------------------------------------------------


@dataclass(frozen=True)
class StyleName:
    """A style the renderer uses: its id in the house style sheet and its Word name."""

    house_id: str
    word_name: str  # what styles.xml holds; Word recognises its built-ins by this name


NORMAL = StyleName("Normal", "Normal")
TITLE = StyleName("Title", "Title")
SUBTITLE = StyleName("Subtitle", "Subtitle")
HEADINGS = (StyleName("Heading1", "heading 1"), StyleName("Heading2", "heading 2"), StyleName("Heading3", "heading 3"))
LEAD = StyleName("Lead", "Lead")
QUOTE = StyleName("Quote", "Quote")
ASIDE = StyleName("AnalystComment", "Analyst Comment")
SMALL = StyleName("SmallPrint", "Small Print")
LIST_BULLET = StyleName("ListBullet", "List Bullet")
LIST_NUMBER = StyleName("ListNumber", "List Number")
TABLE_TEXT = StyleName("TableText", "Table Text")
TABLE_HEADING = StyleName("TableHeading", "Table Heading")
FOOTNOTE_TEXT = StyleName("FootnoteText", "footnote text")
FOOTNOTE_REFERENCE = StyleName("FootnoteReference", "footnote reference")
HYPERLINK = StyleName("Hyperlink", "Hyperlink")
_FOLLOWED_HYPERLINK = StyleName("FollowedHyperlink", "FollowedHyperlink")  # Word's, once a link is clicked
TABLE = StyleName("BriefingTable", "Briefing Table")
HEADER = StyleName("Header", "header")
FOOTER = StyleName("Footer", "footer")
CLASSIFICATION = StyleName("Classification", "Classification")
TOC_HEADING = StyleName("TOCHeading", "TOC Heading")
TOC_LEVELS = (StyleName("TOC1", "toc 1"), StyleName("TOC2", "toc 2"), StyleName("TOC3", "toc 3"))
COVER_LOGO = StyleName("CoverLogo", "Cover Logo")
COVER_TITLE = StyleName("CoverTitle", "Cover Title")
COVER_SUBTITLE = StyleName("CoverSubtitle", "Cover Subtitle")
COVER_LABEL = StyleName("CoverLabel", "Cover Label")
COVER_DETAIL = StyleName("CoverDetail", "Cover Detail")
_DEFAULT_PARAGRAPH_FONT = StyleName("DefaultParagraphFont", "Default Paragraph Font")
_NORMAL_TABLE = StyleName("TableNormal", "Normal Table")
_NO_LIST = StyleName("NoList", "No List")

#: The style of each paragraph role of :data:`briefgen.document.PARAGRAPH_ROLES`.
ROLE_STYLES = {"body": NORMAL, "lead": LEAD, "meta": SUBTITLE, "quote": QUOTE, "aside": ASIDE, "small": SMALL}


class StyleSheet:
    """The styles of one document, mapping each :class:`StyleName` to its id in styles.xml."""

    def __init__(self, styles_element: etree._Element, ids_by_house_id: dict[str, str]):
        self.element = styles_element
        self._ids = ids_by_house_id

    def id(self, name: StyleName) -> str:
        """Return the id under which the document's styles.xml holds ``name``."""
        return self._ids[name.house_id]

    def numbering_id(self, name: StyleName) -> str | None:
        """Return the list numbering (``w:numId``) the paragraph style ``name`` carries, if any."""
        element = self.element.find(f"w:style[@w:styleId='{self.id(name)}']", _NS)
        num_id = None if element is None else element.find("w:pPr/w:numPr/w:numId", _NS)
        return None if num_id is None else num_id.get(qn("w:val"))

    def tab_stops(self, name: StyleName) -> list[int]:
        """Return the positions, in twips, of the tab stops the paragraph style ``name`` sets or inherits."""
        positions: list[int] = []
        style_id: str | None = self.id(name)
        seen: set[str] = set()
        while style_id and style_id not in seen:
            seen.add(style_id)
            element = self.element.find(f"w:style[@w:styleId='{style_id}']", _NS)
            if element is None:
                break
            for tab in element.iterfind("w:pPr/w:tabs/w:tab", _NS):
                position = int(tab.get(qn("w:pos"), "0"))
                if tab.get(qn("w:val")) != "clear" and position not in positions:
                    positions.append(position)
            based_on = element.find("w:basedOn", _NS)
            style_id = None if based_on is None else based_on.get(qn("w:val"))
        return positions


_NS = {"w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main"}


def install_styles(
    styles_element: etree._Element,
    style: Style,
    language: str,
    house: bool,
    numbering: ListNumbering,
    text_width: int,
) -> StyleSheet:
    """Install the renderer's styles into ``styles_element``, replacing all (``house``) or adding the missing.

    ``text_width`` (twips) places the right-aligned tab stops of headers, footers and contents.
    """
    # A reference document's styles are matched by name: localised Word writes other ids.
    definitions = _house_styles(style, numbering) + _pack_styles(style, text_width)
    if house:
        _replace_styles(styles_element, _doc_defaults(style, language), definitions)
        return StyleSheet(styles_element, {d.get(qn("w:styleId")): d.get(qn("w:styleId")) for d in definitions})
    _set_default_language(styles_element, language)
    return StyleSheet(styles_element, _merge_missing_styles(styles_element, definitions))


def _replace_styles(
    styles_element: etree._Element, doc_defaults: etree._Element, definitions: list[etree._Element]
) -> None:
    # The latent style list only tells Word which built-ins to offer; it stays.
    for child in list(styles_element):
        if child.tag in (qn("w:docDefaults"), qn("w:style")):
            styles_element.remove(child)
    styles_element.insert(0, doc_defaults)
    styles_element.extend(definitions)


def _merge_missing_styles(styles_element: etree._Element, definitions: list[etree._Element]) -> dict[str, str]:
    ids_by_name = {
        _style_name(existing).lower(): existing.get(qn("w:styleId"))
        for existing in styles_element.iterfind("w:style", _NS)
    }
    taken_ids = set(ids_by_name.values())
    house_to_document: dict[str, str] = {}
    missing: list[etree._Element] = []
    for definition in definitions:
        house_id = definition.get(qn("w:styleId"))
        existing_id = ids_by_name.get(_style_name(definition).lower())
        if existing_id is None:
            existing_id = _free_id(house_id, taken_ids)
            taken_ids.add(existing_id)
            definition.set(qn("w:styleId"), existing_id)
            missing.append(definition)
        house_to_document[house_id] = existing_id
    for definition in missing:
        _point_references_at(definition, house_to_document)
        styles_element.append(definition)
    return house_to_document


def _style_name(style_element: etree._Element) -> str:
    name = style_element.find("w:name", _NS)
    return "" if name is None else name.get(qn("w:val"), "")


def _free_id(wanted: str, taken: set[str]) -> str:
    candidate, counter = wanted, 1
    while candidate in taken:
        counter += 1
        candidate = f"{wanted}{counter}"
    return candidate


def _point_references_at(definition: etree._Element, ids: dict[str, str]) -> None:
    for reference in definition.iter(qn("w:basedOn"), qn("w:next"), qn("w:pStyle"), qn("w:rStyle")):
        value = reference.get(qn("w:val"))
        reference.set(qn("w:val"), ids.get(value, value))


def _set_default_language(styles_element: etree._Element, language: str) -> None:
    rpr_default = styles_element.find("w:docDefaults/w:rPrDefault/w:rPr", _NS)
    if rpr_default is None:
        return
    lang = rpr_default.find("w:lang", _NS)
    if lang is None:
        lang = w("lang")
        rpr_default.append(lang)  # w:lang is the last child of w:rPr that a default holds
    lang.set(qn("w:val"), language)


# --- the house style ----------------------------------------------------------------


def _doc_defaults(style: Style, language: str) -> etree._Element:
    body_font = style.body_font.name if style.body_font else None
    rpr = run_properties(font=body_font, colour=style.text_colour, points=style.body_size)
    if body_font is None:
        # Without a house font the theme's body font applies, as in a new Word document.
        rpr.insert(
            0,
            w(
                "rFonts",
                asciiTheme="minorHAnsi",
                hAnsiTheme="minorHAnsi",
                eastAsiaTheme="minorEastAsia",
                cstheme="minorBidi",
            ),
        )
    rpr.append(w("lang", val=language))
    return w(
        "docDefaults",
        w("rPrDefault", rpr),
        w("pPrDefault", w("pPr", spacing(after=0, leading=1.0))),
    )


def _house_styles(style: Style, numbering: ListNumbering) -> list[etree._Element]:
    body = style.body_font.name if style.body_font else None
    heading = style.heading_font.name if style.heading_font else body
    definitions = [
        _paragraph_style(
            NORMAL,
            None,
            _ppr(w("widowControl"), spacing(after=6, leading=style.leading)),
            run_properties(font=body, colour=style.text_colour, points=style.body_size),
            default=True,
            ui_priority=0,
            quick=True,
        ),
        _paragraph_style(
            TITLE,
            NORMAL,
            _ppr(w("keepNext"), w("keepLines"), spacing(before=0, after=6, leading=1.1)),
            _rpr_with_kerning(heading, True, style.accent_colour, style.title_size),
            ui_priority=10,
            quick=True,
            next_normal=True,
        ),
        _paragraph_style(
            SUBTITLE,
            NORMAL,
            _ppr(
                w("keepNext"),
                w("pBdr", border("bottom", style.rule_colour, 0.5, space=6)),
                spacing(after=18, leading=1.2),
            ),
            run_properties(font=heading, colour=style.muted_colour, points=style.body_size),
            ui_priority=11,
            quick=True,
            next_normal=True,
        ),
    ]
    heading_spacing = ((18, 6), (14, 4), (10, 3))
    heading_colours = (style.accent_colour, style.accent_colour, style.text_colour)
    for level, (name, points, (before, after), colour) in enumerate(
        zip(HEADINGS, style.heading_sizes, heading_spacing, heading_colours, strict=True)
    ):
        definitions.append(
            _paragraph_style(
                name,
                NORMAL,
                _ppr(
                    w("keepNext"),
                    w("keepLines"),
                    spacing(before=before, after=after, leading=1.15),
                    w("outlineLvl", val=level),
                ),
                _rpr_with_kerning(heading, True, colour, points),
                ui_priority=9,
                quick=True,
                next_normal=True,
            )
        )
    definitions += [
        _paragraph_style(
            LEAD,
            NORMAL,
            _ppr(spacing(after=12, leading=min(style.leading, 1.3))),
            run_properties(points=_round_half(style.body_size * 1.2)),
            custom=True,
            ui_priority=12,
            quick=True,
            next_normal=True,
        ),
        _paragraph_style(
            QUOTE,
            NORMAL,
            _ppr(
                w("pBdr", border("left", style.rule_colour, 2.25, space=10)),
                spacing(before=3, after=9),
                w("ind", left=twips(14), right=twips(28)),
            ),
            run_properties(italic=True),
            ui_priority=29,
            quick=True,
            next_normal=True,
        ),
        _paragraph_style(
            ASIDE,
            NORMAL,
            _ppr(
                w(
                    "pBdr",
                    # Same-coloured top/bottom/right rules pad the shaded box.
                    border("top", style.aside_fill, 0.5, space=5),
                    border("left", style.accent_colour, 2.25, space=8),
                    border("bottom", style.aside_fill, 0.5, space=5),
                    border("right", style.aside_fill, 0.5, space=8),
                ),
                shading(style.aside_fill),
                spacing(before=12, after=12),
                # Borders sit outside the indents: these put the box's edges on the margins.
                w("ind", left=twips(10.25), right=twips(8.5)),
            ),
            run_properties(),
            custom=True,
            ui_priority=30,
            quick=True,
        ),
        _paragraph_style(
            SMALL,
            NORMAL,
            _ppr(spacing(after=4, leading=1.25)),
            run_properties(colour=style.muted_colour, points=_round_half(style.footnote_size + 0.5)),
            custom=True,
            ui_priority=31,
            quick=True,
        ),
        _paragraph_style(
            LIST_BULLET,
            NORMAL,
            _ppr(w("numPr", w("numId", val=numbering.bullet_id)), spacing(after=4)),
            None,
            ui_priority=36,
        ),
        _paragraph_style(
            LIST_NUMBER,
            NORMAL,
            _ppr(w("numPr", w("numId", val=numbering.decimal_id)), spacing(after=4)),
            None,
            ui_priority=37,
        ),
        _paragraph_style(
            TABLE_TEXT,
            NORMAL,
            _ppr(spacing(after=0, leading=1.2)),
            run_properties(points=_round_half(style.body_size - 0.5)),
            custom=True,
            ui_priority=40,
        ),
        _paragraph_style(
            TABLE_HEADING,
            TABLE_TEXT,
            _ppr(w("keepNext"), spacing(after=0, leading=1.2)),
            run_properties(font=heading, bold=True, colour=style.text_colour, points=_round_half(style.body_size - 1)),
            custom=True,
            ui_priority=41,
        ),
        _paragraph_style(
            FOOTNOTE_TEXT,
            NORMAL,
            # A hanging indent lines the note's text up after its number; the tab after
            # the number stops at the indent.
            _ppr(spacing(after=2, leading=1.15), w("ind", left=twips(11), hanging=twips(11))),
            run_properties(points=style.footnote_size),
            ui_priority=99,
        ),
        _character_style(FOOTNOTE_REFERENCE, run_properties(superscript=True), ui_priority=99),
        _character_style(HYPERLINK, run_properties(colour=style.accent_colour, underline=True), ui_priority=99),
        _character_style(
            _FOLLOWED_HYPERLINK, run_properties(colour=style.accent_colour, underline=True), ui_priority=99
        ),
        _character_style(_DEFAULT_PARAGRAPH_FONT, None, default=True, ui_priority=1),
        _table_normal(),
        _briefing_table(style, heading),
        _style_element("numbering", _NO_LIST, None, default=True, ui_priority=99),
    ]
    return definitions


def _round_half(points: float) -> float:
    return round(points * 2) / 2


def _rpr_with_kerning(font: str | None, bold: bool, colour: str, points: float) -> etree._Element:
    rpr = run_properties(font=font, bold=bold, colour=colour, points=points)
    # Kerning pairs at display sizes; w:kern belongs before w:sz.
    rpr.find(qn("w:sz")).addprevious(w("kern", val=24))
    return rpr


def _ppr(*children: etree._Element) -> etree._Element:
    return w("pPr", *children)


def _style_element(
    kind: str,
    name: StyleName,
    based_on: StyleName | None,
    *,
    default: bool = False,
    custom: bool = False,
    ui_priority: int | None = None,
    quick: bool = False,
    next_normal: bool = False,
) -> etree._Element:
    attrs: dict[str, object] = {"type": kind}
    if default:
        attrs["default"] = True
    if custom:
        attrs["customStyle"] = True
    attrs["styleId"] = name.house_id
    element = w("style", w("name", val=name.word_name), **attrs)
    if based_on is not None:
        element.append(w("basedOn", val=based_on.house_id))
    if next_normal:
        element.append(w("next", val=NORMAL.house_id))  # Enter after a title or heading: body text
    if ui_priority is not None:
        element.append(w("uiPriority", val=ui_priority))
    if quick:
        element.append(w("qFormat"))  # offered in Word's style gallery
    return element


def _paragraph_style(
    name: StyleName,
    based_on: StyleName | None,
    ppr: etree._Element | None,
    rpr: etree._Element | None,
    **flags: object,
) -> etree._Element:
    element = _style_element("paragraph", name, based_on, **flags)
    for properties in (ppr, rpr):
        if properties is not None and len(properties):
            element.append(properties)
    return element


def _character_style(
    name: StyleName, rpr: etree._Element | None, *, default: bool = False, ui_priority: int | None = None
) -> etree._Element:
    element = _style_element(
        "character", name, None if default else _DEFAULT_PARAGRAPH_FONT, default=default, ui_priority=ui_priority
    )
    if rpr is not None and len(rpr):
        element.append(rpr)
    return element


def _table_normal() -> etree._Element:
    element = _style_element("table", _NORMAL_TABLE, None, default=True, ui_priority=99)
    element.append(w("tblPr", w("tblInd", w=0, type="dxa"), _cell_margins(0, 5.4)))
    return element


def _cell_margins(vertical: float, horizontal: float) -> etree._Element:
    return w(
        "tblCellMar",
        w("top", w=twips(vertical), type="dxa"),
        w("left", w=twips(horizontal), type="dxa"),
        w("bottom", w=twips(vertical), type="dxa"),
        w("right", w=twips(horizontal), type="dxa"),
    )


def _briefing_table(style: Style, heading_font: str | None) -> etree._Element:
    """Thin horizontal rules only, a shaded header row with a stronger rule under it."""
    element = _style_element("table", TABLE, _NORMAL_TABLE, custom=True, ui_priority=59)
    element.append(_ppr(spacing(before=0, after=0, leading=1.2)))
    element.append(
        w(
            "tblPr",
            w("tblInd", w=0, type="dxa"),
            w(
                "tblBorders",
                border("top", style.accent_colour, 1),
                border("bottom", style.accent_colour, 1),
                border("insideH", style.rule_colour, 0.5),
            ),
            _cell_margins(3, 5),
        )
    )
    first_row = w(
        "tblStylePr",
        run_properties(font=heading_font, bold=True),
        w("tcPr", w("tcBorders", border("bottom", style.accent_colour, 0.75)), shading(style.table_header_fill)),
        type="firstRow",
    )
    element.append(first_row)
    return element


# --- headers, footers, contents and cover -------------------------------------------


def _pack_styles(style: Style, text_width: int) -> list[etree._Element]:
    return _page_styles(style, text_width) + _contents_styles(style, text_width) + _cover_styles(style)


def _page_styles(style: Style, text_width: int) -> list[etree._Element]:
    heading = _heading_font(style)
    return [
        _paragraph_style(
            HEADER,
            NORMAL,
            _ppr(_header_tabs(text_width), spacing(before=0, after=0, leading=1.0)),
            None,
            ui_priority=99,
        ),
        _paragraph_style(
            FOOTER,
            NORMAL,
            _ppr(_header_tabs(text_width), spacing(before=0, after=0, leading=1.0)),
            run_properties(colour=style.muted_colour, points=_round_half(style.footnote_size - 0.5)),
            ui_priority=99,
        ),
        _paragraph_style(
            CLASSIFICATION,
            HEADER,
            _ppr(spacing(before=0, after=2, leading=1.0), w("jc", val="center")),
            run_properties(
                font=heading,
                bold=True,
                colour=style.classification_colour,
                points=_round_half(style.footnote_size + 0.5),
                tracking=0.6,
            ),
            custom=True,
            ui_priority=98,
        ),
    ]


def _contents_styles(style: Style, text_width: int) -> list[etree._Element]:
    heading = _heading_font(style)
    definitions = [
        _paragraph_style(
            TOC_HEADING,
            NORMAL,
            # Outline level 9 is body text: the contents' own title is not listed in it.
            _ppr(w("keepNext"), w("keepLines"), spacing(before=0, after=14, leading=1.15), w("outlineLvl", val=9)),
            _rpr_with_kerning(heading, True, style.accent_colour, style.heading_sizes[0]),
            ui_priority=39,
            quick=True,
            next_normal=True,
        )
    ]
    # Level 1 entries stand out in the heading font; deeper levels step in under them.
    entry_formats = (
        (0.0, 9.0, run_properties(font=heading, bold=True)),
        (14.0, 3.0, None),
        (28.0, 2.0, run_properties(colour=style.muted_colour)),
    )
    for name, (indent, before, rpr) in zip(TOC_LEVELS, entry_formats, strict=True):
        definitions.append(
            _paragraph_style(
                name,
                NORMAL,
                _ppr(
                    w("tabs", tab_stop("right", text_width, leader="dot")),
                    spacing(before=before, after=0, leading=1.2),
                    # No right indent: LibreOffice drops a page number whose tab stop lies beyond it.
                    w("ind", left=twips(indent)),
                ),
                rpr,
                ui_priority=39,
                next_normal=True,
            )
        )
    return definitions


def _cover_styles(style: Style) -> list[etree._Element]:
    heading = _heading_font(style)
    return [
        _paragraph_style(COVER_LOGO, NORMAL, _ppr(spacing(before=0, after=0, leading=1.0)), None, custom=True),
        _paragraph_style(
            COVER_TITLE,
            NORMAL,
            # The space above sets the title block a third of the way down the page.
            _ppr(w("keepNext"), w("keepLines"), spacing(before=150, after=10, leading=1.05)),
            _rpr_with_kerning(heading, True, style.accent_colour, _round_half(style.title_size * 1.45)),
            custom=True,
            ui_priority=10,
            quick=True,
        ),
        _paragraph_style(
            COVER_SUBTITLE,
            NORMAL,
            _ppr(
                w("keepNext"),
                w("pBdr", border("bottom", style.accent_colour, 1.5, space=14)),
                spacing(before=0, after=28, leading=1.2),
            ),
            run_properties(font=heading, colour=style.muted_colour, points=_round_half(style.body_size * 1.35)),
            custom=True,
            ui_priority=11,
            quick=True,
        ),
        _paragraph_style(
            COVER_LABEL,
            NORMAL,
            _ppr(spacing(before=3, after=5, leading=1.2)),
            run_properties(
                font=heading,
                bold=True,
                small_caps=True,
                colour=style.muted_colour,
                points=style.body_size,
                tracking=0.3,
            ),
            custom=True,
            ui_priority=12,
        ),
        _paragraph_style(
            COVER_DETAIL,
            NORMAL,
            _ppr(spacing(before=3, after=5, leading=1.2)),
            run_properties(points=_round_half(style.body_size + 0.5)),
            custom=True,
            ui_priority=12,
        ),
    ]


def _heading_font(style: Style) -> str | None:
    family = style.heading_font or style.body_font
    return family.name if family else None


def _header_tabs(text_width: int) -> etree._Element:
    # Word's own header and footer styles: centre and right tab stops across the text width.
    return w("tabs", tab_stop("center", text_width // 2), tab_stop("right", text_width))


# --- list numbering -------------------------------------------------------------------


class ListNumbering:
    """The numbering definitions of one document: a bullet list, a decimal list and restarts."""

    def __init__(self, numbering_element: etree._Element, style: Style, house: bool):
        self.element = numbering_element
        if house:
            for child in list(numbering_element):
                numbering_element.remove(child)
        body_font = style.body_font.name if style.body_font else None
        self.bullet_id = self._add_definition(_bullet_levels(body_font), "hybridMultilevel")
        self.decimal_id = self._add_definition(_decimal_levels(), "hybridMultilevel")

    def restart(self, num_id: str) -> str:
        """Return a new ``w:numId`` continuing ``num_id``'s definition but counting from 1 again."""
        num = self.element.find(f"w:num[@w:numId='{num_id}']", _NS)
        abstract_id = num.find("w:abstractNumId", _NS).get(qn("w:val"))
        override = w("lvlOverride", w("startOverride", val=1), ilvl=0)
        return self._add_num(abstract_id, override)

    def _add_definition(self, levels: list[etree._Element], kind: str) -> str:
        abstract_id = str(1 + max((int(e.get(qn("w:abstractNumId"))) for e in self._abstracts()), default=-1))
        abstract = w("abstractNum", w("multiLevelType", val=kind), *levels, abstractNumId=abstract_id)
        existing = self._abstracts()
        if existing:
            existing[-1].addnext(abstract)
        else:
            first_num = self.element.find("w:num", _NS)
            if first_num is not None:
                first_num.addprevious(abstract)
            else:
                self.element.append(abstract)
        return self._add_num(abstract_id)

    def _add_num(self, abstract_id: str, *overrides: etree._Element) -> str:
        num_id = str(1 + max((int(e.get(qn("w:numId"))) for e in self.element.iterfind("w:num", _NS)), default=0))
        num = w("num", w("abstractNumId", val=abstract_id), *overrides, numId=num_id)
        # w:num elements follow every w:abstractNum; numIdMacAtCleanup, if any, ends the list.
        cleanup = self.element.find("w:numIdMacAtCleanup", _NS)
        if cleanup is not None:
            cleanup.addprevious(num)
        else:
            self.element.append(num)
        return num_id

    def _abstracts(self) -> list[etree._Element]:
        return self.element.findall("w:abstractNum", _NS)


_LEVEL_INDENT = 18.0  # points per nesting level
_LEVEL_HANGING = 12.0  # points between the bullet and the text


def _bullet_levels(font: str | None) -> list[etree._Element]:
    glyphs = ("•", "–", "◦")
    return [
        _level(level, "bullet", glyphs[level % 3], run_properties(font=font) if font else None) for level in range(9)
    ]


def _decimal_levels() -> list[etree._Element]:
    formats = ("decimal", "lowerLetter", "lowerRoman")
    return [_level(level, formats[level % 3], f"%{level + 1}.", None) for level in range(9)]


def _level(level: int, number_format: str, text: str, rpr: etree._Element | None) -> etree._Element:
    indent = _LEVEL_INDENT * (level + 1)
    return w(
        "lvl",
        w("start", val=1),
        w("numFmt", val=number_format),
        w("lvlText", val=text),
        w("lvlJc", val="left"),
        w("pPr", w("ind", left=twips(indent), hanging=twips(_LEVEL_HANGING))),
        rpr,
        ilvl=level,
    )
