"""The parts of a briefing pack's PDF beyond running text: cover page, contents entries, page furniture.

The contents are laid out in the single platypus pass that lays out everything else. Each
entry reserves a fixed-width column for its page number and draws the number from a form
XObject that :meth:`ContentsNumbers.write` defines once the pages of all headings are
known, the same way the footer's "N of M" is filled in. The contents therefore take the
same room whatever the numbers turn out to be, so the pages of the headings after them
are final as soon as they are drawn and no second layout pass is needed.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from reportlab.lib.colors import Color
from reportlab.lib.utils import ImageReader, simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.platypus import Flowable, Image

__all__ = [
    "ContentsEntry",
    "ContentsNumbers",
    "CoverPage",
    "Leaders",
    "PageFurniture",
    "TextFace",
    "logo_image",
]


@dataclass(frozen=True)
class TextFace:
    """A font, size and colour for text drawn straight on the canvas."""

    font: str
    size: float
    colour: Color

    def width(self, text: str) -> float:
        """Return the width of ``text`` set in this face."""
        return pdfmetrics.stringWidth(text, self.font, self.size)

    def apply(self, canv) -> None:
        """Make this face the canvas's current font and fill colour."""
        canv.setFont(self.font, self.size)
        canv.setFillColor(self.colour)


# --- cover ------------------------------------------------------------------------------


def logo_image(data: bytes, width: float) -> Image:
    """Return a flowable of the PNG or JPEG ``data`` scaled to ``width`` points, height in proportion."""
    try:
        pixel_width, pixel_height = ImageReader(io.BytesIO(data)).getSize()
    except Exception as error:  # reportlab reports unreadable images with assorted exceptions
        raise ValueError(f"the style's logo is not a readable PNG or JPEG image: {error}") from error
    if pixel_width <= 0 or pixel_height <= 0 or width <= 0:
        raise ValueError("the style's logo has no size")
    return Image(io.BytesIO(data), width=width, height=width * pixel_height / pixel_width)


class CoverPage(Flowable):
    """A title page laid out as one block: logo at the top, then title, subtitle, rule and details.

    The title's top sits ``title_top`` below the top of the frame (lower if the logo needs
    the room), which puts it in the upper third of the page whatever the margins. A cover
    too tall for the page gives up its layout and flows as its parts.
    """

    briefgen_cover = True  # read by the document template: no page number on this page

    def __init__(self, logo: Flowable | None, parts: list[tuple[float, Flowable]], *, title_top: float, logo_gap: float) -> None:
        super().__init__()
        self._logo = logo
        self._parts = parts  # (space above, flowable), the first one's space ignored
        self._title_top = title_top
        self._logo_gap = logo_gap
        # Lets the footnote machinery find markers in the cover's text.
        self._content = [flowable for _, flowable in parts]

    def _layout(self, width: float) -> tuple[float, float, list[float]]:
        """Return the logo's height, the parts' top offset and each part's height."""
        logo_height = self._logo.wrap(width, 1e9)[1] if self._logo is not None else 0.0
        top = max(self._title_top, logo_height + self._logo_gap if self._logo is not None else 0.0)
        heights = [flowable.wrap(width, 1e9)[1] for _, flowable in self._parts]
        return logo_height, top, heights

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803 (reportlab's names)
        _, top, heights = self._layout(availWidth)
        needed = top + sum(heights) + sum(space for space, _ in self._parts[1:])
        self.width = availWidth
        # Taking the whole frame keeps anything else off the cover page.
        self.height = max(needed, availHeight)
        return self.width, self.height

    def split(self, availWidth: float, availHeight: float) -> list[Flowable]:  # noqa: N803
        parts = ([self._logo] if self._logo is not None else []) + [flowable for _, flowable in self._parts]
        for part in parts:
            part.briefgen_cover = True
        return parts

    def draw(self) -> None:
        logo_height, top, heights = self._layout(self.width)
        if self._logo is not None:
            self._logo.drawOn(self.canv, 0, self.height - logo_height)
        y = self.height - top
        for index, ((space, flowable), height) in enumerate(zip(self._parts, heights)):
            if index:
                y -= space
            y -= height
            flowable.drawOn(self.canv, 0, y)


# --- contents -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Leaders:
    """How the dot leaders of the contents look: dot pitch and size, colour, gaps either side."""

    pitch: float
    dot: float
    colour: Color
    gap: float


class ContentsEntry(Flowable):
    """One heading's entry in the contents: its text, dot leaders and page number, all one link.

    Text that is too long wraps within the space left of the number column; the leaders
    and the number sit on the last line. Every entry's leaders end at the same point and
    their dots lie on one grid, so the dots line up down the page.
    """

    def __init__(
        self,
        text: str,
        destination: str,
        number_form: str,
        face: TextFace,
        *,
        leading: float,
        indent: float,
        number_width: float,
        leaders: Leaders,
        space_before: float = 0.0,
    ) -> None:
        super().__init__()
        self._text = text
        self._destination = destination
        self._number_form = number_form
        self._face = face
        self._leading = leading
        self._indent = indent
        self._number_width = number_width
        self._leaders = leaders
        self.spaceBefore = space_before
        self._lines: list[str] = []

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803
        room = availWidth - self._indent - self._number_width - 2 * self._leaders.gap
        self._lines = simpleSplit(self._text, self._face.font, self._face.size, room) or [""]
        self.width = availWidth
        self.height = self._leading * len(self._lines)
        return self.width, self.height

    def draw(self) -> None:
        canv, face = self.canv, self._face
        # Baselines sit a little above the middle of each line's box, as in a paragraph.
        drop = (self._leading + face.size * 0.7) / 2
        canv.saveState()
        face.apply(canv)
        for index, line in enumerate(self._lines):
            canv.drawString(self._indent, self.height - index * self._leading - drop, line)
        baseline = self.height - (len(self._lines) - 1) * self._leading - drop
        self._draw_leaders(baseline, self._indent + face.width(self._lines[-1]))
        canv.translate(self.width, baseline)
        canv.doForm(self._number_form)  # the number is right-aligned at the form's origin
        canv.restoreState()
        canv.linkRect("", self._destination, (self._indent, 0, self.width, self.height), relative=1, thickness=0)

    def _draw_leaders(self, baseline: float, text_end: float) -> None:
        leaders = self._leaders
        end = self.width - self._number_width - leaders.gap
        count = int((end - text_end - leaders.gap) // leaders.pitch)
        if count < 1:
            return
        canv = self.canv
        # A dash pattern of zero-length dashes with round caps draws a row of dots in one path.
        canv.setStrokeColor(leaders.colour)
        canv.setLineWidth(leaders.dot)
        canv.setLineCap(1)
        canv.setDash([0, leaders.pitch], 0)
        y = baseline + leaders.dot / 2
        # Half a pitch past the last dot, so rounding never drops the dot that ends the row.
        canv.line(end - count * leaders.pitch, y, end + leaders.pitch / 2, y)


class ContentsNumbers:
    """The page-number forms of the contents entries, defined once every heading's page is known."""

    def __init__(self) -> None:
        self._forms: dict[str, tuple[str, TextFace]] = {}  # form name → (destination, face)

    def form_for(self, destination: str, face: TextFace) -> str:
        """Return the name of the form that will show the page of ``destination`` in ``face``."""
        name = f"briefgenContents{len(self._forms)}"
        self._forms[name] = (destination, face)
        return name

    def write(self, canv, pages: dict[str, int]) -> None:
        """Define every form as its destination's page number, right-aligned at the form's origin."""
        for name, (destination, face) in self._forms.items():
            number = str(pages.get(destination, ""))
            width = face.width(number)
            # The bounding box is in the form's own space, where the number lies left of 0.
            canv.beginForm(name, -width - 1, -face.size, 1, face.size * 1.5)
            face.apply(canv)
            canv.drawRightString(0, 0, number)
            canv.endForm()


# --- page furniture ---------------------------------------------------------------------


class PageFurniture:
    """What every page carries in its margins: classification top and bottom, title and page number at the foot."""

    def __init__(
        self,
        *,
        title: str,
        page_label: str,
        classification: str,
        footer: TextFace,
        marking: TextFace,
        page_size: tuple[float, float],
        margins: tuple[float, float, float, float],  # top, right, bottom, left
    ) -> None:
        width, height = page_size
        top, right, bottom, left = margins
        self._footer = footer
        self._marking = marking
        self._label = page_label
        self._classification = " ".join(classification.split())
        self._left, self._right, self._centre = left, width - right, (left + width - right) / 2
        # With a marking at the foot, the running foot moves up to sit between it and the text.
        self._footer_baseline = bottom * (0.52 if self._classification else 0.45)
        self._marking_bottom = bottom * 0.24
        self._marking_top = height - top * 0.5 - marking.size * 0.35
        self._title = _fit(" ".join(title.split()), footer, (self._right - self._left) * 0.7)

    def draw(self, canv, page: int, *, cover: bool) -> None:
        """Draw page ``page``'s furniture; a cover gets its marking but no running foot."""
        canv.saveState()
        if self._classification:
            self._marking.apply(canv)
            for baseline in (self._marking_top, self._marking_bottom):
                canv.drawCentredString(self._centre, baseline, self._classification, charSpace=self._marking.size * 0.08)
        if not cover:
            self._footer.apply(canv)
            canv.drawString(self._left, self._footer_baseline, self._title)
        canv.restoreState()
        if not cover:
            canv.doForm(self._form_name(page))

    def write_page_numbers(self, canv, total: int) -> None:
        """Define every page's number form from the page label, now that the total is known."""
        for page in range(1, total + 1):
            canv.beginForm(self._form_name(page))
            self._footer.apply(canv)
            canv.drawRightString(self._right, self._footer_baseline, page_label(self._label, page, total))
            canv.endForm()

    @staticmethod
    def _form_name(page: int) -> str:
        return f"briefgenPageNumber{page}"


def page_label(label: str, page: int, pages: int) -> str:
    """Return ``label`` with its ``{page}`` and ``{pages}`` placeholders filled in."""
    # Plain replacement rather than str.format: other braces in the label stay as written.
    return (label or "{page} / {pages}").replace("{page}", str(page)).replace("{pages}", str(pages))


def _fit(text: str, face: TextFace, width: float) -> str:
    """Return ``text``, shortened with an ellipsis if it is wider than ``width``."""
    if face.width(text) <= width:
        return text
    while text and face.width(text + "…") > width:
        text = text[:-1]
    return text.rstrip() + "…"
