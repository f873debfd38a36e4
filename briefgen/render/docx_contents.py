"""The table of contents of a rendered .docx: a real Word TOC field with its result filled in.

Word and LibreOffice show a field's last result until the field is updated, so writing the
result ourselves makes the contents visible on opening, without Word asking to update
fields, while Word can still rebuild it (right-click, Update Field). Each entry links to a
``_Toc`` bookmark on its heading, as Word's own entries do, and shows its page number
through a ``PAGEREF`` field whose cached value comes from the caller (the PDF's layout),
because only a layout engine knows where Word will break the pages.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from lxml import etree

from briefgen.document import Block, Contents, Document, Heading, plain_text

from .docx_xml import add_field, add_field_end, add_field_start, append_copy, clean_text, sub, sub_text, w

#: The heading levels a Word document has styles for; deeper levels are set as level 3.
MAX_LEVEL = 3


def heading_keys(document: Document) -> list[str]:
    """Return each heading's key in document order: its ``anchor``, else ``f"h{n}"`` for the n-th heading from 0.

    These are the keys of ``render_docx``'s ``page_numbers`` and the same as the PDF
    renderer's, so the pages it reports can fill the contents here.
    """
    return _keys([block for block in document.blocks if isinstance(block, Heading)])


def _keys(headings: list[Heading]) -> list[str]:
    return [heading.anchor or f"h{n}" for n, heading in enumerate(headings)]


def heading_level(heading: Heading) -> int:
    """Return the level ``heading`` is set at: 0 for the title, else 1 to :data:`MAX_LEVEL`."""
    return min(max(heading.level, 0), MAX_LEVEL)


def contents_depth(contents: Contents) -> int:
    """Return the deepest heading level ``contents`` lists, within the levels Word has styles for."""
    return min(max(contents.depth, 1), MAX_LEVEL)


@dataclass(frozen=True)
class ContentsEntry:
    """One line of the contents: the heading's text and level, its key and its bookmark."""

    level: int
    text: str
    key: str
    bookmark: str


class HeadingIndex:
    """The headings of a document in order, with the keys and bookmarks the contents refer to."""

    def __init__(self, blocks: tuple[Block, ...]):
        headings = [block for block in blocks if isinstance(block, Heading)]
        self._headings = headings
        self._keys = _keys(headings)
        # Only headings some contents block lists need a bookmark of their own.
        self._depth = max((contents_depth(b) for b in blocks if isinstance(b, Contents)), default=0)

    def bookmark(self, number: int) -> str | None:
        """Return the ``_Toc`` bookmark of the ``number``-th heading (from 1), or None if no contents lists it."""
        level = heading_level(self._headings[number - 1])
        return _bookmark_name(number) if 1 <= level <= self._depth else None

    def entries(self, depth: int) -> list[ContentsEntry]:
        """Return the contents entries of the headings of levels 1..``depth``, in order."""
        return [
            ContentsEntry(heading_level(heading), _entry_text(heading), key, _bookmark_name(number))
            for number, (heading, key) in enumerate(zip(self._headings, self._keys, strict=True), start=1)
            if 1 <= heading_level(heading) <= depth
        ]


def _entry_text(heading: Heading) -> str:
    # A line break in a heading becomes a space: an entry is one line of the contents.
    return " ".join(clean_text(plain_text(heading.children)).split())


def _bookmark_name(number: int) -> str:
    # Word names its contents bookmarks "_Toc" and digits; a leading underscore hides them.
    return f"_Toc{number:09d}"


#: An entry's hyperlink in the written contents, waiting for the entry's page number.
PendingPage = tuple[ContentsEntry, etree._Element]


def add_contents_field(
    parent: etree._Element,
    entries: list[ContentsEntry],
    depth: int,
    entry_style_ids: tuple[str, ...],
) -> list[PendingPage]:
    """Append the paragraphs of a ``TOC`` field whose result lists ``entries``, one paragraph each.

    ``entry_style_ids`` are the paragraph styles of levels 1, 2, …. The entries are written
    without page numbers; :func:`add_page_numbers` adds them to the returned links.
    """
    instruction = f'TOC \\o "1-{depth}" \\h \\z \\u'
    if not entries:
        paragraph = _entry_paragraph(parent, entry_style_ids[0])
        add_field_start(paragraph, instruction)
        add_field_end(paragraph)
        return []
    pending: list[PendingPage] = []
    for entry in entries:
        paragraph = _entry_paragraph(parent, entry_style_ids[entry.level - 1])
        if not pending:
            add_field_start(paragraph, instruction)
        link = sub(paragraph, "hyperlink", anchor=entry.bookmark, history=True)
        sub_text(sub(link, "r"), entry.text)
        pending.append((entry, link))
    add_field_end(paragraph)
    return pending


def _entry_paragraph(parent: etree._Element, style_id: str) -> etree._Element:
    paragraph = sub(parent, "p")
    sub(sub(paragraph, "pPr"), "pStyle", val=style_id)
    return paragraph


def add_page_numbers(pending: list[PendingPage], page_numbers: Mapping[str, int] | None) -> None:
    """Add to each link of ``pending`` a leader and the page number ``page_numbers`` has for its entry's key.

    An entry whose key has no page number keeps its text alone, without leader and number.
    """
    hidden = w("rPr", w("webHidden"))
    for entry, link in pending:
        page = (page_numbers or {}).get(entry.key)
        if page is None:
            continue
        # Word marks the leader and number "web hidden": a web view shows the link alone.
        leader = sub(link, "r")
        append_copy(leader, hidden)
        sub(leader, "tab")
        add_field(link, f"PAGEREF {entry.bookmark} \\h", str(page), hidden)
