"""Footnotes at the foot of the page they are cited on, for reportlab platypus layouts.

How it works, in one pass of the ordinary platypus layout:

* Every footnote marker is written into paragraph markup followed by an invisible anchor
  ``<a name="bgfnref7"/>``. The anchor survives paragraph splitting and table row
  splitting, so any flowable, or any part of one, can be asked which markers it will draw
  (:func:`footnote_numbers_in`).
* :class:`FootnoteFrame` is the page's body frame. Before it places a flowable it raises
  its own bottom edge by the height the page's footnote block would grow if that
  flowable's footnotes joined it; if the flowable then fits it is drawn and its footnotes
  are booked on the page (:class:`FootnoteLedger`), otherwise the bottom drops back. When
  a flowable must be split, the frame searches for the largest first part that fits
  together with *its own* footnotes, so a marker and its note always share a page.
* At the end of the page the ledger draws the booked notes, under a short rule, into the
  space the frame gave up.

Known limits: a footnote never breaks across pages, so a note taller than the text area
cannot be laid out (the ledger reports it when its marker is placed), nor can a table row
that is taller than a page together with its notes (platypus raises ``LayoutError``). A
marker repeated in a table header that recurs on later pages points back to the note on
the page where the header first appeared.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable

from reportlab.platypus import Flowable, Frame, KeepTogether, Paragraph, Table
from reportlab.platypus.doctemplate import ActionFlowable, FrameBreak

#: Prefix of the invisible anchor written beside each footnote marker.
MARKER_ANCHOR_PREFIX = "bgfnref"

#: Prefix of the destination at the top of each footnote's text (the marker links to it).
NOTE_ANCHOR_PREFIX = "bgfn"

_FUZZ = 1e-6

# split_leaving_room_for_notes gives back at most this many lines or rows before giving up,
# asking for this much less room each time (less than any line is tall).
_MAX_SPLIT_STEPS = 500
_ONE_LINE_LESS = 0.5


def marker_anchor(number: int) -> str:
    """Return the anchor name that marks where footnote ``number`` is cited."""
    return f"{MARKER_ANCHOR_PREFIX}{number}"


def note_anchor(number: int) -> str:
    """Return the destination name at the top of footnote ``number``'s own text."""
    return f"{NOTE_ANCHOR_PREFIX}{number}"


# --- finding markers in flowables ---------------------------------------------------


def anchor_names_in(flowable: object) -> list[str]:
    """Return the ``<a name>`` anchors a flowable, or a split part of one, draws, in order."""
    # An ordered set: split words may repeat a fragment.
    return list(dict.fromkeys(_anchor_names(flowable)))


def footnote_numbers_in(flowable: object) -> list[int]:
    """Return the numbers of the footnote markers a flowable will draw, in order."""
    names = _anchor_names(flowable)
    if not names:  # most flowables: skip the bookkeeping
        return []
    cut = len(MARKER_ANCHOR_PREFIX)
    return [
        int(name[cut:])
        for name in dict.fromkeys(names)
        if name.startswith(MARKER_ANCHOR_PREFIX) and name[cut:].isdigit()
    ]


def _anchor_names(item: object) -> list[str]:
    """Return the anchors ``item`` draws, in order, possibly repeated."""
    if isinstance(item, Paragraph):
        return _paragraph_anchor_names(item)
    if isinstance(item, Table):
        return _table_anchor_names(item)
    if isinstance(item, (list, tuple)):
        return [name for child in item for name in _anchor_names(child)]
    if hasattr(item, "footnote_anchor_names"):  # a flowable that knows its anchors without being walked
        return item.footnote_anchor_names()
    if isinstance(item, Flowable) and hasattr(item, "_content"):
        return _anchor_names(item._content)
    return []


def _table_anchor_names(table: Table) -> list[str]:
    # A long table is asked on every placement and split attempt; its cells never change
    # (a split makes new tables), though reportlab wraps each cell in a list as it measures.
    cached = table.__dict__.get("_briefgen_anchor_names")
    if cached is not None and cached[0] is table._cellvalues:
        return cached[1]
    names = [name for row in table_row_anchor_names(table) for name in row]
    table._briefgen_anchor_names = (table._cellvalues, names)
    return names


def table_row_anchor_names(table: Table) -> list[list[str]]:
    """Return the anchors of each row of ``table``."""
    cached = table.__dict__.get("_briefgen_row_anchor_names")
    if cached is not None and cached[0] is table._cellvalues:
        return cached[1]
    rows = [[name for cell in row for name in _anchor_names(cell)] for row in table._cellvalues]
    table._briefgen_row_anchor_names = (table._cellvalues, rows)
    return rows


def share_row_anchor_names(table: Table, parts: Iterable[object]) -> None:
    """Give each table among ``parts``, split from ``table``, the anchors of the rows it shares with ``table``."""
    # A split part holds the table's own row lists: its first rows, then (after repeated
    # header rows) its last rows. Without this every part of a table spanning a hundred
    # pages would look through all its remaining cells again, page after page.
    rows = table._cellvalues
    names = table_row_anchor_names(table)
    for part in parts:
        if not isinstance(part, Table) or part is table:
            continue
        part_rows = part._cellvalues
        leading = 0
        while leading < min(len(part_rows), len(rows)) and part_rows[leading] is rows[leading]:
            leading += 1
        trailing = len(part_rows) - leading
        if trailing > len(rows) - leading:
            continue
        tail = len(rows) - trailing
        if all(map(operator.is_, part_rows[leading:], rows[tail:])):
            part._briefgen_row_anchor_names = (part_rows, names[:leading] + names[tail:])


def _paragraph_anchor_names(paragraph: Paragraph) -> list[str]:
    # The same paragraph is asked on every placement attempt; its fragments never change.
    cached = paragraph.__dict__.get("_briefgen_anchor_names")
    if cached is not None and cached[0] is paragraph.frags:
        return cached[1]
    names = _fragment_anchor_names(paragraph.frags)
    paragraph._briefgen_anchor_names = (paragraph.frags, names)
    return names


def _fragment_anchor_names(frags: list) -> list[str]:
    # A fresh paragraph holds a flat list of fragments; a split part holds "frag words",
    # nested lists of [width, (fragment, text), ...]. Walk both shapes.
    names: list[str] = []
    pending = [iter(frags)]
    while pending:
        for item in pending[-1]:
            if isinstance(item, (list, tuple)):
                pending.append(iter(item))
                break
            callback = getattr(item, "cbDefn", None)
            if callback is not None and getattr(callback, "kind", None) == "anchor":
                names.append(callback.name)
        else:
            pending.pop()
    return names


# --- the per-page footnote block ------------------------------------------------------


class FootnoteLedger:
    """Which footnotes each page holds, how tall its footnote block is, and how to draw it."""

    def __init__(
        self,
        notes: dict[int, Flowable],
        width: float,
        *,
        max_block_height: float,
        space_above_rule: float,
        space_below_rule: float,
        space_between_notes: float,
        rule_length: float,
        rule_width: float,
        rule_colour: object,
    ) -> None:
        # Shared with whoever adds notes as their markers' flowables are built; each is
        # dropped once drawn, so only the pending ones stay in memory.
        self._notes = notes
        self._width = width
        self._max_block_height = max_block_height
        self._space_above_rule = space_above_rule
        self._space_below_rule = space_below_rule
        self._space_between_notes = space_between_notes
        self._rule_length = rule_length
        self._rule_width = rule_width
        self._rule_colour = rule_colour
        self._heights: dict[int, float] = {}
        self._placed: set[int] = set()
        self._page: list[int] = []

    def start_page(self) -> None:
        """Begin a page with an empty footnote block."""
        self._page = []

    def unplaced(self, numbers: Iterable[int]) -> list[int]:
        """Return those of ``numbers`` that are real footnotes not yet booked on any page."""
        return [n for n in numbers if n in self._notes and n not in self._placed]

    def extra_height(self, numbers: Iterable[int]) -> float:
        """Return how much taller this page's footnote block gets if ``numbers`` join it."""
        numbers = list(numbers)
        if not numbers:
            return 0.0
        return self._height_of(self._page + numbers) - self._height_of(self._page)

    def book(self, numbers: Iterable[int]) -> None:
        """Put ``numbers`` in this page's footnote block."""
        for number in numbers:
            self._placed.add(number)
            self._page.append(number)

    def block_height(self) -> float:
        """Return the height of this page's footnote block, separator included."""
        return self._height_of(self._page)

    def _height_of(self, numbers: list[int]) -> float:
        if not numbers:
            return 0.0
        notes = sum(self._note_height(n) for n in numbers)
        gaps = self._space_between_notes * (len(numbers) - 1)
        return self._space_above_rule + self._space_below_rule + notes + gaps

    def draw(self, canv, x: float, bottom: float) -> None:
        """Draw this page's separator rule and notes in the block whose foot is ``bottom``."""
        if not self._page:
            return
        rule_y = bottom + self.block_height() - self._space_above_rule
        canv.saveState()
        canv.setStrokeColor(self._rule_colour)
        canv.setLineWidth(self._rule_width)
        canv.line(x, rule_y, x + self._rule_length, rule_y)
        canv.restoreState()
        top = rule_y - self._space_below_rule
        for number in self._page:
            height = self._note_height(number)
            canv.bookmarkHorizontal(note_anchor(number), x, top)  # where the marker's link lands
            self._notes.pop(number).drawOn(canv, x, top - height)  # a note is drawn once
            top -= height + self._space_between_notes

    def _note_height(self, number: int) -> float:
        # Notes are measured when their markers are placed, not all up front, so that their
        # line breaks live only until the page that holds them is drawn.
        height = self._heights.get(number)
        if height is None:
            note = self._notes[number]
            _, height = note.wrap(self._width, 1e9)
            # A footnote never breaks across pages, so each must fit on a page by itself.
            if self._space_above_rule + self._space_below_rule + height > self._max_block_height:
                words = " ".join(note.getPlainText().split()[:8])
                raise ValueError(f"footnote {number} (“{words} …”) is taller than a page; shorten it")
            self._heights[number] = height
        return height


def ledger_of(canv) -> FootnoteLedger | None:
    """Return the footnote ledger of the document being built on ``canv``, if it has one."""
    return getattr(getattr(canv, "_doctemplate", None), "footnote_ledger", None)


def split_leaving_room_for_notes(flowable: Flowable, width: float, height: float, ledger: FootnoteLedger | None) -> list:
    """Split ``flowable`` so its first part is the largest that fits in ``height`` with its own footnotes."""
    # Both a part's height and its footnotes grow with the part, so the largest part that
    # fits is found by starting from the largest that fits without footnotes and giving
    # back one line (or table row) at a time.
    room = height
    for _ in range(_MAX_SPLIT_STEPS):
        if room <= _FUZZ:
            break
        parts = flowable.split(width, room)
        if not parts:
            break
        needed = _notes_extra(parts[0], ledger)
        if needed <= _FUZZ:
            return parts
        _, first_height = parts[0].wrap(width, room)
        if first_height + needed <= height + _FUZZ:
            return parts
        room = min(room, first_height) - _ONE_LINE_LESS
    return []


def _notes_extra(part: object, ledger: FootnoteLedger | None) -> float:
    if ledger is None or isinstance(part, ActionFlowable):
        return 0.0
    return ledger.extra_height(ledger.unplaced(footnote_numbers_in(part)))


# --- the frame and the keep-with-next group -------------------------------------------


class FootnoteFrame(Frame):
    """A body frame that gives up room at its foot for the footnotes of what it holds."""

    def _reset(self) -> None:
        super()._reset()
        self._geom()  # a new page: forget the previous page's footnote reservation

    def add(self, flowable: Flowable, canv, trySplit: int = 0) -> int:  # noqa: N803 (reportlab's name)
        """Place ``flowable`` if it fits together with its footnotes; return 1 if placed."""
        ledger = ledger_of(canv)
        numbers = ledger.unplaced(footnote_numbers_in(flowable)) if ledger else []
        if not numbers:
            return Frame._add(self, flowable, canv, trySplit)
        extra = ledger.extra_height(numbers)
        self._y1p += extra
        if Frame._add(self, flowable, canv, trySplit):
            ledger.book(numbers)
            return 1
        self._y1p -= extra
        return 0

    _add = add

    def split(self, flowable: Flowable, canv) -> list:
        """Split ``flowable`` to fill the frame, leaving room for the first part's footnotes."""
        space_before = 0.0
        if not self._atTop:
            space_before = flowable.getSpaceBefore()
            if self._oASpace:
                space_before = max(space_before - self._prevASpace, 0)
        height = self._y - self._y1p - space_before
        if height <= 0 and not getattr(flowable, "_ZEROSIZE", False):
            return []
        flowable._frame = self  # some flowables look at their frame while splitting
        flowable.canv = canv
        try:
            return split_leaving_room_for_notes(flowable, self._aW, height, ledger_of(canv))
        finally:
            for attribute in ("canv", "_frame"):
                if hasattr(flowable, attribute):
                    delattr(flowable, attribute)


class KeepWithNext(KeepTogether):
    """Keeps headings with the start of what follows, not with the whole of it.

    reportlab's own group moves a heading to the next page unless the entire following
    block fits, which leaves half-empty pages before long paragraphs; this group only asks
    that the following block can begin on the page, its footnotes included.
    """

    def split(self, aW: float, aH: float) -> list:  # noqa: N803 (reportlab's names)
        """Return the grouped flowables, after a frame break if they cannot start here."""
        content = list(self._content)
        frame = getattr(self, "_frame", None)
        at_top = bool(getattr(frame, "_atTop", False))
        if at_top or len(content) < 2 or self._can_start_here(content, aW, aH):
            return content
        return [FrameBreak()] + content

    def _can_start_here(self, content: list, width: float, height: float) -> bool:
        *leading, last = content
        used = last.getSpaceBefore()
        numbers: list[int] = []
        for index, flowable in enumerate(leading):
            _, h = flowable.wrapOn(self.canv, width, height)
            used += h + (flowable.getSpaceBefore() if index else 0.0) + flowable.getSpaceAfter()
            numbers += footnote_numbers_in(flowable)
        ledger = ledger_of(self.canv)
        if ledger is not None:
            used += ledger.extra_height(ledger.unplaced(numbers))
        room = height - used
        if room <= _FUZZ:
            return False
        # What the leading flowables would book is already paid for in ``used``.
        after_leading = _LedgerWithPending(ledger, numbers)
        _, last_height = last.wrapOn(self.canv, width, room)
        last_height += after_leading.extra_height(after_leading.unplaced(footnote_numbers_in(last)))
        if last_height <= room + _FUZZ:
            return True
        return bool(split_leaving_room_for_notes(last, width, room, after_leading))


class _LedgerWithPending:
    """A view of a ledger as if some footnotes were already booked on the page."""

    def __init__(self, ledger: FootnoteLedger | None, pending: list[int]) -> None:
        self._ledger = ledger
        self._pending = ledger.unplaced(pending) if ledger is not None else []

    def unplaced(self, numbers: Iterable[int]) -> list[int]:
        """Return those of ``numbers`` neither booked nor pending."""
        if self._ledger is None:
            return []
        return [n for n in self._ledger.unplaced(numbers) if n not in self._pending]

    def extra_height(self, numbers: Iterable[int]) -> float:
        """Return how much the block grows if ``numbers`` join it after the pending notes."""
        if self._ledger is None:
            return 0.0
        return self._ledger.extra_height(self._pending + list(numbers)) - self._ledger.extra_height(self._pending)
