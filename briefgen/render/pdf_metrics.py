"""Font metrics measured once per font, size and text: reportlab measures the same words and sizes over and over.

Line breaking measures every word of every paragraph, and a text's words repeat (a few
hundred make half of any text); a word's width in a font at a size is the same each
time. Measured at 100 statements, a tenth of the layout's time went on measuring the same
widths again. :func:`string_width` and :func:`ascent_descent` answer exactly what
reportlab's ``stringWidth`` and ``getAscentDescent`` answer, from what they answered
before where they can; :func:`forget` is for when a font name is given a different font.
"""

from __future__ import annotations

from reportlab.pdfbase import pdfmetrics

__all__ = ["RememberedWidths", "ascent_descent", "forget", "string_width"]

# Forgotten all at once past this many, so that a long pack's widths stay a few MB.
_WIDTHS_KEPT = 65_536
_widths: dict[tuple, float] = {}
_ascents_descents: dict[tuple, tuple[float, float]] = {}


def string_width(text: str, fontName: str, fontSize: float, encoding: str = "utf8") -> float:  # noqa: N803 (reportlab's names)
    """Return the width of ``text`` in points, as reportlab's ``pdfmetrics.stringWidth`` does."""
    key = (text, fontName, fontSize, encoding)
    width = _widths.get(key)
    if width is None:
        if len(_widths) >= _WIDTHS_KEPT:
            _widths.clear()
        width = _widths[key] = pdfmetrics.stringWidth(text, fontName, fontSize, encoding)
    return width


def ascent_descent(fontName: str, fontSize: float | None = None) -> tuple[float, float]:  # noqa: N803 (reportlab's names)
    """Return a font's ascent and descent, at ``fontSize`` if given, as reportlab's ``pdfmetrics.getAscentDescent`` does."""
    key = (fontName, fontSize)
    found = _ascents_descents.get(key)
    if found is None:
        found = _ascents_descents[key] = pdfmetrics.getAscentDescent(fontName, fontSize)
    return found


def forget() -> None:
    """Forget every measurement: call before a font name is given a different font."""
    _widths.clear()
    _ascents_descents.clear()


class RememberedWidths:
    """A mixin for reportlab canvases whose ``stringWidth`` answers from :func:`string_width`."""

    def stringWidth(self, text, fontName=None, fontSize=None):  # noqa: N802, N803 (reportlab's names)
        """Return the width of ``text`` in the given or current font, as reportlab's canvas does."""
        return string_width(text, fontName or self._fontname, self._fontsize if fontSize is None else fontSize)
