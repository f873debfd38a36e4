"""Paragraph text written onto a canvas with reportlab's operators, in less time: its text object and state stack, without the generality paragraphs never use.

Every run of a paragraph line is written through the text object's ``_formatText``
(which serves shaped text, Type 1 fonts and multi-byte fonts as well as TrueType subsets)
and every colour change through a chain of colour-type tests that formats the same few
colours again each time; every paragraph saves and restores the canvas's state. A long
pack does each of these hundreds of thousands of times. :class:`TextObject` answers a
plain string in a TrueType font and a plain RGB colour directly, with the same operators;
:class:`QuickStateCanvas` saves the canvas state in one step. Anything else goes to reportlab.
"""

from __future__ import annotations

from operator import itemgetter

from reportlab.lib.colors import Color
from reportlab.lib.rl_accel import fp_str
from reportlab.pdfbase.pdfmetrics import getFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.pdfgen.textobject import PDFTextObject

__all__ = ["QuickStateCanvas", "TextObject"]

# A document draws in a handful of colours and sizes: their operators, by (red, green,
# blue) and by (size, leading). Forgotten all at once past a few hundred.
_fill_operators: dict[tuple[float, float, float], str] = {}
_size_operators: dict[tuple[float, float], str] = {}
_OPERATORS_KEPT = 256


class TextObject(PDFTextObject):
    """reportlab's text object, writing runs of TrueType text and RGB fill colours without its general paths."""

    def _formatText(self, text: str) -> str:  # noqa: N802 (reportlab's name)
        """Return the operators that show ``text`` in the current font, as reportlab's ``_formatText`` does."""
        font = getFont(self._fontname)
        if not font._dynamicFont or type(text) is not str:
            return super()._formatText(text)  # a Type 1 font, or shaped text
        document = self._canvas._doc
        escape = self._canvas._escape
        operators = []
        for subset, codes in font.splitString(text, document):
            if subset != self._curSubset:
                key = (self._fontsize, self._leading)
                size_operator = _size_operators.get(key)
                if size_operator is None:
                    if len(_size_operators) >= _OPERATORS_KEPT:
                        _size_operators.clear()
                    size_operator = _size_operators[key] = f"{fp_str(key[0])} Tf {fp_str(key[1])} TL"
                operators.append(f"{font.getSubsetInternalName(subset, document)} {size_operator}")
                self._curSubset = subset
            operators.append(f"({escape(codes)}) Tj")
        return " ".join(operators)

    def setFillColor(self, aColor, alpha=None) -> None:  # noqa: N802, N803 (reportlab's names)
        """Set the fill colour, as reportlab's ``setFillColor`` does."""
        if type(aColor) is not Color or alpha is not None or self._enforceColorSpace:
            return super().setFillColor(aColor, alpha)
        key = (aColor.red, aColor.green, aColor.blue)
        operator = _fill_operators.get(key)
        if operator is None:
            if len(_fill_operators) >= _OPERATORS_KEPT:
                _fill_operators.clear()
            operator = _fill_operators[key] = f"{fp_str(key)} rg"
        self._fillColorObj = aColor
        self._code.append(operator)
        if aColor.alpha is not None:
            self.setFillAlpha(aColor.alpha)
        return None


_state_values = itemgetter(*Canvas.STATE_ATTRIBUTES)


class QuickStateCanvas(Canvas):
    """A reportlab canvas whose text objects are :class:`TextObject` and whose saved states are gathered in one step."""

    def beginText(self, x: float = 0, y: float = 0, direction: str | None = None) -> TextObject:  # noqa: N802 (reportlab's name)
        """Return a fresh text object at (x, y), as reportlab's ``beginText`` does."""
        return TextObject(self, x, y, direction=direction)

    def push_state_stack(self) -> None:
        """Save the canvas state, as reportlab's ``push_state_stack`` does."""
        self.state_stack.append(dict(zip(Canvas.STATE_ATTRIBUTES, _state_values(self.__dict__))))
        self._extgstate = self._extgstate.pushCopy()
