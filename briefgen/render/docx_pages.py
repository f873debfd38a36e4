"""Headers and footers of a rendered .docx: the classification marking and the page numbers.

The classification (e.g. OFFICIAL-SENSITIVE) is printed centred at the top and bottom of
every page, the cover included; the footer also carries the document's title and its page
label ("Page 3 of 12") built from ``PAGE`` and ``NUMPAGES`` fields. A cover is a distinct
first page (``w:titlePg``) whose footer holds the marking but no page number.

A reference document keeps its own headers and footers; the marking is added to each of
them (top of headers, foot of footers) and the page label to footers that number no pages.
"""

from __future__ import annotations

import re

from docx.oxml.ns import qn
from lxml import etree

from briefgen.document import Metadata

from . import docx_styles as styles
from .docx_xml import clean_text, field, tab_stop, text_element, w

_PLACEHOLDER = re.compile(r"(\{page\}|\{pages\})")
_FIELD_OF = {"{page}": "PAGE", "{pages}": "NUMPAGES"}
_NUMBERS_PAGES = re.compile(r"\b(PAGE|NUMPAGES|SECTIONPAGES)\b")


def install_headers_footers(
    word, sheet: styles.StyleSheet, metadata: Metadata, *, cover: bool, text_width: int
) -> None:
    """Add the classification and page label to every header and footer of ``word``'s sections.

    With ``cover`` (the document opens with one), the first page gets a header and footer of
    its own holding the classification only, unless a reference document brings headers or
    footers of its own: those stay on every page, as designed.
    """
    done: set[int] = set()  # a reference may share one part between several pages' kinds
    for index, section in enumerate(word.sections):
        if cover and index == 0 and not _has_own_headers_footers(section):
            section.different_first_page_header_footer = True
        for header, kind in _kinds(word, section, "header"):
            _add(header, _marking(sheet, metadata), kind, at_top=True, done=done)
        for footer, kind in _kinds(word, section, "footer"):
            content = _marking(sheet, metadata)
            if kind != "first" and not _numbers_pages(footer):
                content += _page_line(sheet, metadata, text_width)
            _add(footer, content, kind, at_top=False, done=done)


def _has_own_headers_footers(section) -> bool:
    stories = (section.header, section.footer, section.first_page_header, section.first_page_footer)
    return any(not story.is_linked_to_previous for story in stories)


def _kinds(word, section, which: str) -> list[tuple[object, str]]:
    """Return the headers (or footers) of ``section`` that Word shows, with their kinds."""
    kinds = [(getattr(section, which), "default")]
    if section.different_first_page_header_footer:
        kinds.append((getattr(section, f"first_page_{which}"), "first"))
    if word.settings.odd_and_even_pages_header_footer:
        kinds.append((getattr(section, f"even_page_{which}"), "even"))
    return kinds


def _add(story, content: list[etree._Element], kind: str, *, at_top: bool, done: set[int]) -> None:
    """Add ``content`` to a header or footer, creating its part if the section has none."""
    if story.is_linked_to_previous:
        # A first page gets a part even with nothing to show: an explicit empty footer keeps
        # the cover blank in every reader instead of leaving each to its own fallback.
        if content or kind == "first":
            done.add(id(_create(story, content or [w("p")])))
        return
    element = story.part.element
    if content and id(element) not in done:
        done.add(id(element))
        _extend(element, content, at_top=at_top)


def _create(story, content: list[etree._Element]) -> etree._Element:
    story.is_linked_to_previous = False
    element = story.part.element
    for child in list(element):
        element.remove(child)  # python-docx's new part holds one empty paragraph
    element.extend(content)
    return element


def _extend(element: etree._Element, content: list[etree._Element], *, at_top: bool) -> None:
    if at_top:
        for offset, paragraph in enumerate(content):
            element.insert(offset, paragraph)
    else:
        element.extend(content)


def _numbers_pages(story) -> bool:
    """Return whether a header or footer (of a reference document) already shows page numbers."""
    if story.is_linked_to_previous:
        return False
    element = story.part.element
    instructions = [text.text or "" for text in element.iter(qn("w:instrText"))]
    instructions += [simple.get(qn("w:instr"), "") for simple in element.iter(qn("w:fldSimple"))]
    return any(_NUMBERS_PAGES.search(instruction) for instruction in instructions)


def _marking(sheet: styles.StyleSheet, metadata: Metadata) -> list[etree._Element]:
    """Return the classification paragraph, or nothing when the document is not marked."""
    marking = " ".join(clean_text(metadata.classification).split())
    if not marking:
        return []
    paragraph = w("p", w("pPr", w("pStyle", val=sheet.id(styles.CLASSIFICATION))))
    paragraph.append(w("r", text_element(marking)))
    return [paragraph]


def _page_line(sheet: styles.StyleSheet, metadata: Metadata, text_width: int) -> list[etree._Element]:
    """Return the footer line "title ⇥ page label", or nothing when both are empty."""
    title = " ".join(clean_text(metadata.title).split())
    if not title and not metadata.page_label:
        return []
    # The label stops at a right tab on the right margin; the style's other stops (Word's
    # centre tab) are cleared so that a short title cannot send the label to the middle.
    cleared = sorted(position for position in sheet.tab_stops(styles.FOOTER) if position != text_width)
    tabs = w("tabs", *(tab_stop("clear", position) for position in cleared), tab_stop("right", text_width))
    paragraph = w("p", w("pPr", w("pStyle", val=sheet.id(styles.FOOTER)), tabs))
    if title:
        paragraph.append(w("r", text_element(title)))
    if metadata.page_label:
        paragraph.append(w("r", w("tab")))
        paragraph.extend(page_label_runs(metadata.page_label))
    return [paragraph]


def page_label_runs(label: str) -> list[etree._Element]:
    """Return runs showing ``label`` with ``{page}`` and ``{pages}`` as ``PAGE`` and ``NUMPAGES`` fields."""
    runs: list[etree._Element] = []
    for piece in _PLACEHOLDER.split(label):
        if piece in _FIELD_OF:
            # Readers compute page fields in headers and footers as they lay out each page;
            # the cached "1" only shows in tools that read the XML without laying it out.
            runs.extend(field(_FIELD_OF[piece], "1"))
        elif piece:
            runs.append(w("r", text_element(clean_text(piece))))
    return runs
