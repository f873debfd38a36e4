"""briefgen's line breaking gives exactly the lines reportlab's gives, on every paragraph of a laid-out pack and on awkward ones, and leaves the rest to reportlab."""

from __future__ import annotations

import copy

import pytest
from reportlab.lib.abag import ABag
from reportlab.lib.colors import HexColor
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus.paragraph import Paragraph

from briefgen.render import pdf, pdf_lines

_STYLE = ParagraphStyle("body", fontName="Times-Roman", fontSize=10.5, leading=14, textColor=HexColor("#1A1A1A"), spaceShrinkage=0.05)
_MARKER = '<a href="#note-{n}" color="#1F3A5F"><super size="66%" rise="36%">{n}</super></a><a name="marker-{n}"/>'


def _described(value: object) -> object:
    """Return ``value`` in a form that compares by content (reportlab's bags compare by identity)."""
    if isinstance(value, ABag):
        return ("bag", type(value).__name__, [(key, _described(item)) for key, item in value.__dict__.items()])
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [_described(item) for item in value])
    return value


def _outcome(paragraph: Paragraph, lines: object, widths: object) -> tuple:
    """Everything line breaking returns or sets: the lines, the fragment words (sources by identity), the paragraph's counters and the widths."""
    if lines.kind == 0:  # lines of words: the fragments stay as they were
        words = [(id(fragment), _described(fragment)) for fragment in paragraph.frags]
    else:
        words = [(type(word).__name__, word[0], [(id(source), text) for source, text in word[1:]]) for word in paragraph.frags]
    counters = (paragraph._width_max, paragraph.height, paragraph._splitLongWordCount, paragraph._hyphenations)
    return _described(lines), words, counters, widths


def _compare(paragraph: Paragraph, width: float | list[float]) -> bool:
    """Break ``paragraph``'s lines both ways on copies and assert the same outcome; return whether briefgen's way applied."""
    paragraph.frags  # parsed once, so that both copies share the source fragments  # noqa: B018
    mine, theirs = copy.copy(paragraph), copy.copy(paragraph)
    my_width, their_width = (list(width), list(width)) if isinstance(width, list) else (width, width)
    lines = pdf_lines.break_lines(mine, my_width)
    if lines is None:
        return False
    expected = Paragraph.breakLines(theirs, their_width)
    assert _outcome(mine, lines, my_width) == _outcome(theirs, expected, their_width)
    return True


def test_every_paragraph_of_a_pack_breaks_as_reportlab_breaks_it(sample_pack_document, monkeypatch):
    # Laid out in this process, in one part, so that every paragraph is compared here.
    counted = {"briefgen": 0, "reportlab": 0}

    def comparing(paragraph, width):
        counted["briefgen" if _compare(paragraph, width) else "reportlab"] += 1
        return Paragraph.breakLines(paragraph, width)

    monkeypatch.setattr(pdf._Paragraph, "breakLines", comparing)
    pdf._lay_out_in_one_part(sample_pack_document)
    assert counted["briefgen"] > 150  # plain and footnoted paragraphs, list items, cells


def _paragraph(markup: str, style: ParagraphStyle = _STYLE, **kwargs: object) -> Paragraph:
    return pdf._Paragraph(markup, style, **kwargs)


_WORDS = "Velorian and Osterlandic delegates met at Port Ardent to discuss the shared river "


@pytest.mark.parametrize(
    "markup",
    [
        _WORDS * 3 + _MARKER.format(n=1) + " and then " + _WORDS + _MARKER.format(n=22),
        "<b>" + _WORDS + "</b>" + _WORDS + "<i>" + _WORDS * 2 + "</i>",
        "Вельория и Остерланд" + _MARKER.format(n=7) + " согласились о " + _WORDS,
        "First line<br/>second line<br/><br/>" + _WORDS + "<br/>",
        "  leading spaces, " + _MARKER.format(n=3) + "   several   spaces   " + _MARKER.format(n=4) + "  ",
        "a\u00a0non-breaking\u00a0space " * 12 + _MARKER.format(n=5),
        _MARKER.format(n=6) + _MARKER.format(n=7) + " " + _MARKER.format(n=8),
        "word" + _MARKER.format(n=9) + " word " + _MARKER.format(n=10) + "word",
        '<a href="https://example.org/a" color="#1F3A5F">the treaty text</a> ' * 6,
        '<a name="start"/>' + _WORDS * 2,
        "<b></b>" + _WORDS + "<i></i>",
        "<b> </b> <i> </i>",
        _WORDS * 4,  # one fragment
        "   " + _WORDS + "  \t  " + _WORDS + "   ",
        "a\u00a0non-breaking\u00a0space " * 12,
        "Вельория и Остерланд " * 9,
    ],
)
@pytest.mark.parametrize("width", [90.0, 180.0, [150.0, 200.0], 460.0])
def test_awkward_paragraphs_break_as_reportlab_breaks_them(markup, width):
    assert _compare(_paragraph(markup), width)


@pytest.mark.parametrize("markup", [_WORDS * 2 + _MARKER.format(n=11), _WORDS * 2], ids=["fragments", "one fragment"])
def test_a_bullet_narrows_the_first_line_in_place_as_reportlab_does(markup):
    style = ParagraphStyle("item", parent=_STYLE, leftIndent=4, bulletIndent=0, bulletFontName="Times-Roman", bulletFontSize=10.5)
    paragraph = _paragraph(markup, style, bulletText="10.")
    widths = [200.0, 200.0]
    assert _compare(paragraph, widths)
    mine = copy.copy(paragraph)
    pdf_lines.break_lines(mine, widths)
    assert widths[0] < 200.0 and widths[1] == 200.0


@pytest.mark.parametrize("justify_breaks", [0, 1])
def test_kept_line_breaks_follow_the_style(justify_breaks):
    style = ParagraphStyle("justified", parent=_STYLE, justifyBreaks=justify_breaks)
    assert _compare(_paragraph("one<br/>two " + _MARKER.format(n=1), style), 300.0)


@pytest.mark.parametrize(
    ("markup", "style"),
    [
        ("https://example.org/" + "a-very-long-address" * 6 + _MARKER.format(n=1), _STYLE),  # split by reportlab
        ("https://example.org/" + "a-very-long-address" * 6, _STYLE),
        ("soft\u00adhyphen " + _MARKER.format(n=1), _STYLE),
        ("soft\u00adhyphen in one fragment", _STYLE),
        ("<b></b>", _STYLE),  # one fragment without text
        (" ", _STYLE),  # no fragment at all
        (_WORDS + _MARKER.format(n=1), ParagraphStyle("hyphenated", parent=_STYLE, hyphenationLang="en_GB")),
        (_WORDS + _MARKER.format(n=1), ParagraphStyle("rtl", parent=_STYLE, wordWrap="RTL")),
        (_WORDS + _MARKER.format(n=1), ParagraphStyle("leading", parent=_STYLE, autoLeading="max")),
    ],
)
def test_anything_else_is_left_to_reportlab(markup, style):
    paragraph = _paragraph(markup, style)
    widths = [200.0, 200.0]
    assert pdf_lines.break_lines(copy.copy(paragraph), widths) is None
    assert widths == [200.0, 200.0]  # nothing changed before it gave up


def test_fragments_already_broken_once_are_left_to_reportlab():
    paragraph = _paragraph(_WORDS * 4 + _MARKER.format(n=2))
    paragraph.wrap(150, 1000)
    _, rest = paragraph.split(150, 30)
    assert pdf_lines.break_lines(copy.copy(rest), [150.0, 150.0]) is None


@pytest.mark.parametrize("markup", [_WORDS * 3, _WORDS * 2 + _MARKER.format(n=5) + " " + _WORDS], ids=["one fragment", "fragments"])
def test_lines_that_fit_only_by_shrinking_their_spaces_break_as_reportlab_breaks_them(markup):
    # Every width from narrow to wide, a tenth of a point apart around each line's end:
    # some lines fit only because the style lets spaces shrink by 5 %.
    for tenths in range(600, 2400, 7):
        assert _compare(_paragraph(markup), tenths / 10)
