"""Font metrics remembered between measurements answer what reportlab measures, and are forgotten when a font name changes font."""

from __future__ import annotations

import pytest
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from briefgen.render import pdf, pdf_metrics
from briefgen.resources import FONTS_DIR


@pytest.fixture
def font_name():
    pdf._register_face("BriefgenMetricsTest", str(sorted(FONTS_DIR.glob("*.ttf"))[0]), "digest-a")
    return "BriefgenMetricsTest"


@pytest.mark.parametrize("text", ["the", "Ильмора", "Straße — “quoted”", "", " "])
@pytest.mark.parametrize("size", [9, 9.0, 10.5])
def test_widths_and_ascents_are_reportlabs(font_name, text, size):
    for _ in range(2):  # measured, then remembered
        assert pdf_metrics.string_width(text, font_name, size) == pdfmetrics.stringWidth(text, font_name, size)
        assert pdf_metrics.ascent_descent(font_name, size) == pdfmetrics.getAscentDescent(font_name, size)
    assert pdf_metrics.ascent_descent(font_name) == pdfmetrics.getAscentDescent(font_name)


def test_a_name_given_another_font_is_measured_afresh(font_name):
    by_width = sorted(FONTS_DIR.glob("*.ttf"), key=lambda path: TTFont("probe", str(path)).stringWidth("mmmm", 10))
    narrow, wide = by_width[0], by_width[-1]
    pdf._register_face(font_name, str(narrow), "digest-narrow")
    before = pdf_metrics.string_width("mmmm", font_name, 10)
    pdf._register_face(font_name, str(wide), "digest-wide")
    after = pdf_metrics.string_width("mmmm", font_name, 10)
    assert before != after
    assert after == pdfmetrics.stringWidth("mmmm", font_name, 10)


def test_paragraphs_and_canvases_measure_through_the_remembered_metrics():
    from reportlab.platypus import paragraph

    from briefgen.render.pdf_canvas import DocumentCanvas
    from briefgen.render.pdf_split import RecordingCanvas

    assert paragraph.stringWidth is pdf_metrics.string_width
    assert paragraph.getAscentDescent is pdf_metrics.ascent_descent
    assert DocumentCanvas.stringWidth is RecordingCanvas.stringWidth is pdf_metrics.RememberedWidths.stringWidth
