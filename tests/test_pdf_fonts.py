"""Fonts that encode runs of already-coded characters a string at a time answer exactly what reportlab's character loop answers."""

from __future__ import annotations

import pytest
from reportlab.pdfbase.pdfdoc import PDFError
from reportlab.pdfbase.ttfonts import TTFont

from briefgen.render.pdf_fonts import TrueTypeFont
from briefgen.resources import FONTS_DIR

_FONT_FILE = str(FONTS_DIR / "PTSerif-Regular.ttf")

# Latin, typographic punctuation, a no-break space, Cyrillic enough to fill the first
# subset and open a second, a character the font lacks (drawn as code 0), and repeats.
_CYRILLIC = "".join(map(chr, range(0x410, 0x450))) + "ЁёЄєІіЇїЎў"
_RUNS = [
    "Minister Arvel Tomasz of Ostrelia",
    "“quoted” — and ‘again’…",
    "a\u00a0b",
    "",
    "Ильмора " * 3,
    _CYRILLIC,
    "ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÐÑÒÓÔÕÖ×ØÙÚÛÜÝÞßàáâãäåæçèéêëìíîïðñòóôõö÷øùúûüýþÿ",
    "∑∂∫≈≠≤≥" + _CYRILLIC[::-1],
    "".join(map(chr, range(0x100, 0x180))),  # Latin Extended-A: past the first 256 codes
    "\u4e00 missing",
    "Minister Arvel Tomasz of Ostrelia",
    "a\u00a0b",
    _CYRILLIC,
    "Ильмора, “quoted”",
]


class _Document:
    """Stands for a PDF document: fonts keep their codes per document, weakly."""


def test_runs_split_as_reportlab_splits_them_while_codes_are_given_and_after():
    reportlab_font, font = TTFont("probe", _FONT_FILE), TrueTypeFont("probe", _FONT_FILE)
    reportlab_document, document = _Document(), _Document()
    for _ in range(2):  # first giving codes to new characters, then only reusing them
        for text in _RUNS:
            assert font.splitString(text, document) == reportlab_font.splitString(text, reportlab_document), text
    assert any(subset > 0 for text in _RUNS for subset, _ in font.splitString(text, document))  # they reached a second subset
    assert font.state[document].assignments == reportlab_font.state[reportlab_document].assignments


def test_runs_of_coded_characters_are_answered_without_reportlabs_loop(monkeypatch):
    font, document = TrueTypeFont("probe", _FONT_FILE), _Document()
    expected = {text: font.splitString(text, document) for text in _RUNS}

    def loop(*_):
        raise AssertionError("reportlab's loop was asked")

    monkeypatch.setattr(TTFont, "splitString", loop)
    for text in ["Minister Arvel Tomasz of Ostrelia", "a\u00a0b", "Ильмора " * 3, _CYRILLIC]:
        assert font.splitString(text, document) == expected[text]


def test_a_frozen_font_refuses_a_new_character_as_reportlab_does():
    font, document = TrueTypeFont("probe", _FONT_FILE), _Document()
    font.splitString("known", document)
    font.state[document].frozen = 1
    assert font.splitString("known", document) == [(0, b"known")]
    with pytest.raises(PDFError, match="frozen"):
        font.splitString("known ж", document)


def test_codes_forgotten_when_the_subsets_are_written_are_given_afresh_as_reportlab_gives_them():
    from reportlab.pdfbase.pdfdoc import PDFDocument

    reportlab_font, font = TTFont("probe", _FONT_FILE), TrueTypeFont("probe", _FONT_FILE)
    reportlab_document, document = PDFDocument(), PDFDocument()
    for text in ("Вельория", "Ostrelia"):
        assert font.splitString(text, document) == reportlab_font.splitString(text, reportlab_document)
    for written_font, written_document in ((font, document), (reportlab_font, reportlab_document)):
        written_font.addObjects(written_document)  # reportlab drops the font's codes in the document here
    # Fresh codes follow this text's order, not the first one's.
    assert font.splitString("яирольеВ", document) == reportlab_font.splitString("яирольеВ", reportlab_document)
