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

from briefgen.document import Block, Contents, Document, Heading, plain_text

from .docx_xml import clean_text, element_xml, empty_xml, field_end_xml, field_start_xml, field_xml, text_xml

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


def contents_field_xml(
    entries: list[ContentsEntry],
    depth: int,
    entry_style_ids: tuple[str, ...],
    page_numbers: Mapping[str, int] | None,
) -> str:
    """Return the paragraphs of a ``TOC`` field whose result lists ``entries``, one paragraph each, as XML text.

    ``entry_style_ids`` are the paragraph styles of levels 1, 2, …; an entry whose key has
    no page number in ``page_numbers`` shows no leader and no number.
    """
    instruction = f'TOC \\o "1-{depth}" \\h \\z \\u'
    if not entries:
        return _entry_paragraph(entry_style_ids[0], field_start_xml(instruction) + field_end_xml())
    paragraphs = []
    last = len(entries) - 1
    for number, entry in enumerate(entries):
        content = _entry_link(entry, (page_numbers or {}).get(entry.key))
        if number == 0:
            content = field_start_xml(instruction) + content
        if number == last:
            content += field_end_xml()
        paragraphs.append(_entry_paragraph(entry_style_ids[entry.level - 1], content))
    return "".join(paragraphs)


def _entry_paragraph(style_id: str, content: str) -> str:
    return f"<w:p><w:pPr>{empty_xml('pStyle', val=style_id)}</w:pPr>{content}</w:p>"


_WEB_HIDDEN = "<w:rPr><w:webHidden/></w:rPr>"


def _entry_link(entry: ContentsEntry, page: int | None) -> str:
    content = f"<w:r>{text_xml(entry.text)}</w:r>"
    if page is not None:
        # Word marks the leader and number "web hidden": a web view shows the link alone.
        content += f"<w:r>{_WEB_HIDDEN}<w:tab/></w:r>"
        content += field_xml(f"PAGEREF {entry.bookmark} \\h", str(page), _WEB_HIDDEN)
    return element_xml("hyperlink", content, anchor=entry.bookmark, history=True)
