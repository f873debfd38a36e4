"""briefgen's text object and canvas state stack write exactly reportlab's operators and save exactly reportlab's state; a repeated table cell writes its operators again."""

from __future__ import annotations

import io

import pytest
from reportlab.lib.colors import CMYKColor, Color, HexColor
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus.paragraph import Paragraph

from briefgen.render import pdf
from briefgen.render.pdf_fonts import TrueTypeFont
from briefgen.render.pdf_text import QuickStateCanvas, TextObject
from briefgen.resources import FONTS_DIR

_CYRILLIC = "".join(map(chr, range(0x410, 0x450)))
_RUNS = [
    "Minister Arvel Tomasz of Ostrelia",
    "“quoted” — (parenthesised) \\ back‘slash’…",
    "",
    "a\u00a0b",
    _CYRILLIC,
    "".join(map(chr, range(0x100, 0x180))),  # past the first subset's 256 codes
    "Ильмора, “quoted”",
    "Minister Arvel Tomasz of Ostrelia",
]
_COLOURS = [HexColor("#1A1A1A"), HexColor("#1F3A5F"), Color(0.5, 0.25, 0.125, alpha=0.5), CMYKColor(0, 0.5, 1, 0), (0.1, 0.2, 0.3), "red", HexColor("#1A1A1A")]


@pytest.fixture(scope="module")
def font_name() -> str:
    name = "briefgen-text-probe"
    pdfmetrics.registerFont(TrueTypeFont(name, str(FONTS_DIR / "PTSerif-Regular.ttf")))
    return name


def _drawn(canvas_class: type[Canvas], font_name: str, text_class: type | None) -> list[str]:
    """Draw every run and colour in fonts at sizes and rises, and return the operators each text object wrote."""
    canvas = canvas_class(io.BytesIO())
    written = []
    for name in (font_name, "Helvetica"):
        for size, leading in ((10.5, 14), (7, 9.1)):
            text = canvas.beginText(72, 700) if text_class is None else text_class(canvas, 72, 700)
            text.setFont(name, size, leading)
            for run in _RUNS:
                text.textOut(run)
                text.setRise(3)
                text._textOut(run, 1)
                text.setRise(0)
            for colour in _COLOURS:
                text.setFillColor(colour)
                text.textLine("colour")
            text.setFillColor(HexColor("#5F6B7A"), alpha=0.8)
            written.append(text.getCode())
            canvas.drawText(text)
    return written


def test_text_objects_write_reportlabs_operators(font_name):
    assert _drawn(QuickStateCanvas, font_name, None) == _drawn(Canvas, font_name, None)
    assert _drawn(Canvas, font_name, TextObject) == _drawn(Canvas, font_name, None)


def _described(state: dict) -> dict:
    """A saved state with its graphics-state parameters by value (reportlab's holder compares by identity)."""
    return {key: (value._d if key == "_extgstate" else value) for key, value in state.items()}


def test_the_canvas_saves_and_restores_reportlabs_state(font_name):
    mine, theirs = QuickStateCanvas(io.BytesIO()), Canvas(io.BytesIO())
    for canvas in (mine, theirs):
        canvas.setFont(font_name, 9)
        canvas.setFillColor(HexColor("#1F3A5F"))
        canvas.saveState()
        canvas.setFont("Helvetica", 12)
        canvas.translate(10, 20)
        canvas.setLineWidth(3)
        canvas.saveState()
    assert [_described(state) for state in mine.state_stack] == [_described(state) for state in theirs.state_stack]
    for canvas in (mine, theirs):
        canvas.restoreState()
        canvas.restoreState()
    assert mine._fontname == theirs._fontname == font_name
    assert mine._currentMatrix == theirs._currentMatrix
    assert mine._code == theirs._code


def _cell_drawn_twice(markup: str, monkeypatch) -> tuple[list[str], list[str], int]:
    """Draw one table-cell paragraph twice at different places; return each draw's operators and how many times reportlab drew it."""
    draws = []
    reportlab_draw = Paragraph.drawPara
    monkeypatch.setattr(Paragraph, "drawPara", lambda self, debug=0: draws.append(1) or reportlab_draw(self, debug))
    canvas = QuickStateCanvas(io.BytesIO())
    cell = pdf._CellParagraph(markup, ParagraphStyle("cell", fontName="Helvetica", fontSize=9, leading=11))
    cell.wrap(120, 100)
    written = []
    for x, y in ((72, 700), (300, 500)):
        start = len(canvas._code)
        cell.drawOn(canvas, x, y)
        written.append(canvas._code[start:])
    return written[0], written[1], len(draws)


def test_a_repeated_cell_writes_the_operators_it_wrote_before(monkeypatch):
    first, second, draws = _cell_drawn_twice("Rejected by the Ostrelian delegation", monkeypatch)
    assert draws == 1
    assert first[0].startswith("q") and first[1].endswith(" cm")  # moved to each place, then the same text
    assert first[0] == second[0] and first[1] != second[1] and first[2:] == second[2:]


def test_a_repeated_cell_with_a_link_is_drawn_afresh(monkeypatch):
    first, second, draws = _cell_drawn_twice('<a href="#section-2">Section 2</a>', monkeypatch)
    assert draws == 2
    assert first[2:] == second[2:]
