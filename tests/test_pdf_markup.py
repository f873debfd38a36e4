"""Paragraph markup read by briefgen's own pass gives exactly the fragments reportlab's parser gives, and anything else is left to reportlab."""

from __future__ import annotations

import pytest
from reportlab.lib.abag import ABag
from reportlab.lib.colors import HexColor
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus.paraparser import ParaParser

from briefgen.render.pdf_markup import fragments

_STYLE = ParagraphStyle("body", fontName="Times-Roman", fontSize=10.5, textColor=HexColor("#1A1A1A"))
_MARKER = '<a href="#note-{n}" color="#1F3A5F"><super size="66%" rise="36%">{n}</super></a><a name="marker-{n}"/>'


def _described(value: object) -> object:
    """Return ``value`` in a form that compares by content: reportlab's bags compare by identity, its percentages by float value only."""
    if isinstance(value, ABag):
        return ("bag", [(key, _described(item)) for key, item in value.__dict__.items()])
    if isinstance(value, float):
        return (type(value).__name__, float(value), getattr(value, "_value", None), getattr(value, "_normalizer", None))
    if isinstance(value, (list, tuple)):
        return type(value)(_described(item) for item in value)
    return value


def _by_reportlab(markup: str, style: ParagraphStyle = _STYLE) -> list:
    parser = ParaParser()
    parser.caseSensitive = 1  # as reportlab's Paragraph parses
    _, made, _ = parser.parse(markup, style)
    return made


def _attributes(made: list) -> list:
    """Every fragment's type and attributes, in the order they were set."""
    return [(type(fragment), [(key, _described(value)) for key, value in fragment.__dict__.items()]) for fragment in made]


@pytest.mark.parametrize(
    "markup",
    [
        "The Ostrelian delegation arrived.",
        "",
        "<b>Minister Arvel Tomasz</b> said <i>nothing</i> at <b><i>all</i></b>.",
        "Rivers &amp; canals &lt;shared&gt; &quot;equally&quot;",
        "First line<br/>second line<br/>",
        "Вельория и Остерланд" + _MARKER.format(n=7) + " согласились.",
        '<a href="https://example.org/a?b=1&amp;c=2" color="#1F3A5F">the treaty</a> and '
        + _MARKER.format(n=12)
        + ' then <a href="#bghead5" color="#1F3A5F"><b>Section 5</b></a>'
        + _MARKER.format(n=13),
        '<a href="#x" color="#1F3A5F">one</a><a href="#y" color="#1F3A5F">two</a><a href="#z">three</a>',
        "<b>bold with a" + _MARKER.format(n=3) + "</b>",
    ],
)
def test_markup_briefgen_writes_gives_reportlabs_fragments(markup):
    made = fragments(markup, _STYLE)
    assert made is not None
    assert _attributes(made) == _attributes(_by_reportlab(markup))


def test_a_style_of_another_size_and_colour_starts_its_fragments_from_it():
    style = ParagraphStyle("note", fontName="Helvetica-Bold", fontSize=8.5, textColor=HexColor("#5F6B7A"))
    markup = "Ministry of Fictional Affairs" + _MARKER.format(n=101)
    assert _attributes(fragments(markup, style)) == _attributes(_by_reportlab(markup, style))


@pytest.mark.parametrize(
    "markup",
    [
        "<para>explicit wrapper</para>",
        '<font color="red">a font tag</font>',
        "a numeric &#1046; reference",
        "an &unknown; entity",
        '<a href="#x" target="_blank">link</a>',
        "<br>inside</br>",
        '<super rise="high">1</super>',
        "<b>unclosed",
        "closed</b>",
        "<b>crossed <i>tags</b></i>",
        "a < b",
        '<a name=""/>',
    ],
)
def test_other_markup_is_left_to_reportlab(markup):
    assert fragments(markup, _STYLE) is None


def test_a_style_that_underlines_links_is_left_to_reportlab():
    style = ParagraphStyle("underlined", parent=_STYLE, linkUnderline=1)
    assert fragments('<a href="#x">link</a>', style) is None
