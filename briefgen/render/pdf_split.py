"""Laying a document's closing part out separately, so that two cores share a long PDF.

A pack is a run of sections that each start on a new page. Its last sections can be laid
out on a canvas of their own, in another process, while the first ones are laid out on
the document's canvas; the pages of the separate part are recorded
(:class:`RecordingCanvas`) and then replayed onto the document's canvas after its own
pages (:func:`replay_page`). Replayed pages are byte for byte the pages the document's
canvas would have drawn itself, provided both canvases number their fonts and encode
their characters alike: both are seeded with every font and character the document can
use before anything is drawn (:func:`seed_fonts`), and the separate canvas is frozen
after seeding, so that anything unforeseen stops it (:class:`NotReplayable`) instead of
encoding text differently. The page furniture (page numbers, running foot, markings) is
drawn at replay, when the page's number in the whole document is known.

Which sections go to which process is settled as they go (:class:`SectionClaims`): the
document's own process takes them from the front, one at a time as its layout reaches
them, and the other from the back, a share at a time, each share on a recording canvas
of its own, until they meet; since replayed pages are the pages the document's canvas
would have drawn, the file is the same wherever they meet.
"""

from __future__ import annotations

import contextlib
import mmap
import os
import select
import struct
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Self

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfdoc import PDFError
from reportlab.pdfgen.canvas import Canvas

from .pdf_metrics import RememberedWidths
from .pdf_text import QuickStateCanvas

__all__ = ["LaidOutPages", "NotReplayable", "PageRecord", "RecordingCanvas", "SectionClaims", "check_fonts", "replay_page", "seed_fonts"]


class NotReplayable(Exception):
    """The separately laid-out part used something that cannot be replayed onto another canvas."""


@dataclass
class PageRecord:
    """One recorded page: its content operators, the resources they name, and its link and bookmark calls in order."""

    #: The page's operators so far, joined into one string and deflated (None for an empty page).
    code: bytes | None
    forms: list[str]
    colours: dict
    shadings: dict
    #: ``(canvas method, positional arguments, keyword arguments)``, in the order they were made.
    calls: list[tuple[str, tuple, dict[str, Any]]] = field(default_factory=list)


@dataclass
class LaidOutPages:
    """The recorded pages of a separately laid-out part, with the part's own page numbers (1-based) of its headings and covers."""

    pages: list[PageRecord]
    destination_pages: dict[str, int]
    cover_pages: set[int]


class RecordingCanvas(RememberedWidths, QuickStateCanvas):
    """A canvas that keeps each finished page as a :class:`PageRecord` in :attr:`pages` instead of adding it to its own document."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.pages: list[PageRecord] = []
        self._calls: list[tuple[str, tuple, dict[str, Any]]] = []
        super().__init__(*args, **kwargs)

    # Link annotations are recorded with their rectangle already in page space, because
    # the replaying canvas has its own transformation in force when it makes them; this
    # canvas's document is never saved, so they are not made here.
    def linkRect(self, contents, destinationname, Rect=None, addtopage=1, name=None, relative=1, **kw):  # noqa: N802, N803 (reportlab's names)
        """Record a link to a named destination, made when the page is replayed."""
        rect = self._absRect(Rect, relative)
        self._calls.append(("linkRect", (contents, destinationname, rect), {"addtopage": addtopage, "name": name, "relative": 0, **kw}))

    def linkURL(self, url, rect, relative=0, thickness=0, color=None, dashArray=None, kind="URI", **kw):  # noqa: N802, N803
        """Record a link to a URL, made when the page is replayed."""
        rect = self._absRect(rect, relative)
        options = {"relative": 0, "thickness": thickness, "color": color, "dashArray": dashArray, "kind": kind, **kw}
        self._calls.append(("linkURL", (url, rect), options))

    def bookmarkPage(self, key, fit="Fit", left=None, top=None, bottom=None, right=None, zoom=None):  # noqa: N802
        """Record a destination on this page, then make it here too."""
        options = {"fit": fit, "left": left, "top": top, "bottom": bottom, "right": right, "zoom": zoom}
        self._calls.append(("bookmarkPage", (key,), options))
        return super().bookmarkPage(key, **options)

    def addOutlineEntry(self, title, key, level=0, closed=None):  # noqa: N802
        """Record an outline entry, made when the page it belongs to is replayed."""
        self._calls.append(("addOutlineEntry", (title, key), {"level": level, "closed": closed}))

    def drawImage(self, *args: Any, **kwargs: Any):  # noqa: N802
        """Refuse: an image is a resource of the document that records it, not of the one replaying."""
        raise NotReplayable("an image on a separately laid-out page")

    drawInlineImage = drawImage

    def beginForm(self, *args: Any, **kwargs: Any) -> None:  # noqa: N802
        """Refuse: a form defined here would be missing from the document that replays the page."""
        raise NotReplayable("a form defined on a separately laid-out page")

    def showPage(self) -> None:  # noqa: N802
        """Record the finished page and start the next one."""
        if self._extgstate._c or self._psCommandsBeforePage or self._psCommandsAfterPage:
            raise NotReplayable("page state that is not recorded (transparency or PostScript)")
        # Joined as reportlab joins a page's operators, and compressed: a long part's pages
        # wait here and in the pipe until the whole part is laid out.
        code = zlib.compress("\n".join(self._code).encode(), 1) if self._code else None
        self.pages.append(PageRecord(code, self._formsinuse, self._colorsUsed, self._shadingUsed, self._calls))
        self._calls = []
        # The accumulators are replaced, not cleared, when the next page starts, so the
        # record keeps this page's lists; nothing is added to this canvas's document.
        self._startPage()


def replay_page(canvas: Canvas, page: PageRecord, furniture: Callable[[Canvas], None]) -> None:
    """Draw a recorded page on ``canvas`` as its next page, with ``furniture`` drawn last, and finish the page."""
    canvas._code = [] if page.code is None else [zlib.decompress(page.code).decode()]
    canvas._formsinuse = page.forms
    canvas._colorsUsed = page.colours
    canvas._shadingUsed = page.shadings
    for method, args, kwargs in page.calls:
        getattr(canvas, method)(*args, **kwargs)
    furniture(canvas)
    canvas.showPage()


def seed_fonts(canvas: Canvas, font_names: Iterable[str], characters: str, *, freeze: bool) -> None:
    """Number ``font_names`` in the canvas's document in the order given and encode ``characters`` in each, before anything is drawn.

    With ``freeze``, drawing a character the seed did not foresee fails (see
    :func:`frozen_font_error`) instead of numbering it differently from the canvas the
    pages will be replayed on; a font it did not foresee is caught by :func:`check_fonts`.
    """
    document = canvas._doc
    for name in dict.fromkeys(font_names):
        font = pdfmetrics.getFont(name)
        if font._dynamicFont:
            font.splitString(characters, document)
            font.getSubsetInternalName(0, document)
            if freeze:
                font.state[document].frozen = 1
        else:
            document.getInternalFontName(name)


def check_fonts(canvas: Canvas, font_names: Iterable[str]) -> None:
    """Raise :class:`NotReplayable` if the canvas's document uses a font beyond ``font_names`` (the seeded ones)."""
    extra = set(canvas._doc.fontMapping) - set(font_names)
    if extra:
        raise NotReplayable(f"fonts not seeded: {', '.join(sorted(extra))}")


def frozen_font_error(error: PDFError) -> NotReplayable | None:
    """Return the :class:`NotReplayable` that a frozen seeded font's refusal of a new character means, or None for other PDF errors."""
    if "is already frozen" in str(error):
        return NotReplayable(str(error))
    return None


class SectionClaims:
    """Which of a document's last sections each of two processes lays out: one takes them from the front, the other from the back, until they meet.

    A process and the child it forks share it (an anonymous shared mapping holds the two
    counts); each change is made holding a lock, a pipe with one byte in it.
    """

    #: Seconds a process waits for the lock before it takes the other for lost (each holds it for microseconds).
    PATIENCE = 10.0

    def __init__(self, sections: int) -> None:
        self._counts = mmap.mmap(-1, _COUNTS.size)
        self._lock_read, self._lock_write = os.pipe()
        # Both processes may see the byte at once; the one that does not get it waits again.
        os.set_blocking(self._lock_read, False)
        os.write(self._lock_write, b"\0")
        _COUNTS.pack_into(self._counts, 0, 0, sections)

    @property
    def front(self) -> int:
        """How many sections the front's process has taken (sections ``0 … front - 1``)."""
        with self._locked():
            return _COUNTS.unpack_from(self._counts)[0]

    def take_front(self, section: int) -> bool:
        """Take ``section`` for the front's process, unless the back's has it; return whether it was taken."""
        with self._locked():
            front, back = _COUNTS.unpack_from(self._counts)
            if section >= back:
                return False
            _COUNTS.pack_into(self._counts, 0, max(front, section + 1), back)
            return True

    def take_back(self, start: Callable[[int, int], int]) -> tuple[int, int] | None:
        """Take sections for the back's process, from ``start(front, back)`` up to the first it has already taken, and return their range; None once the front's has all the rest."""
        with self._locked():
            front, back = _COUNTS.unpack_from(self._counts)
            if back <= front:
                return None
            first = min(max(front, start(front, back)), back - 1)
            _COUNTS.pack_into(self._counts, 0, front, first)
            return first, back

    def close(self) -> None:
        """Let go of the shared counts and the lock, in this process."""
        self._counts.close()
        os.close(self._lock_read)
        os.close(self._lock_write)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        deadline = time.monotonic() + self.PATIENCE
        while True:
            try:
                os.read(self._lock_read, 1)
                break
            except BlockingIOError:  # the other process holds it
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([self._lock_read], [], [], left)[0]:
                    raise NotReplayable("the other process laying out the document stopped answering") from None
        try:
            yield
        finally:
            os.write(self._lock_write, b"\0")

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


#: The shared counts: sections taken from the front, first section taken from the back.
_COUNTS = struct.Struct("<qq")
