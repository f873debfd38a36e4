"""The quick reading of template output gives html.parser's tokens exactly, or declines.

:func:`briefgen.markup._feed_plain_tags` replaces html.parser for output made only of
plain tags. These tests feed the same text to both and compare every handler call, for
generated markup (hypothesis) and for the awkward cases written out; where the quick
reading declines, parse_markup still gives html.parser's result and messages. Markup read
in pieces (:class:`briefgen.markup.MarkupReader`), cut anywhere, gives what the whole gives.
"""

from __future__ import annotations

import gc
import itertools
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from briefgen.document import Text
from briefgen.errors import TemplateError
from briefgen.markup import _WHITESPACE, MarkupReader, _feed_plain_tags, _InlineCollector, parse_markup


class Recorder(HTMLParser):
    """Records each handler call, as _SubsetParser would receive it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.calls: list[tuple] = []

    def handle_starttag(self, tag, attrs):
        self.calls.append(("start", tag, attrs))

    def handle_startendtag(self, tag, attrs):
        self.calls.append(("startend", tag, attrs))

    def handle_endtag(self, tag):
        self.calls.append(("end", tag))

    def handle_data(self, data):
        self.calls.append(("data", data))

    def handle_comment(self, data):
        self.calls.append(("comment", data))


def html_parser_calls(html: str) -> list[tuple]:
    recorder = Recorder()
    recorder.feed(html)
    recorder.close()
    return recorder.calls


def quick_calls(html: str) -> list[tuple] | None:
    recorder = Recorder()
    return recorder.calls if _feed_plain_tags(recorder, html) else None


def assert_same_or_declined(html: str) -> bool:
    calls = quick_calls(html)
    if calls is not None:
        assert calls == html_parser_calls(html)
    return calls is not None


NAMES = st.sampled_from(["p", "P", "br", "em", "strong", "a", "td", "Fn", "h1", "script", "style", "x1"])
ATTRIBUTE_NAMES = st.sampled_from(["class", "href", "data-widths", "ID", "x-y"])
FRAGMENTS = ["a", "b", " ", "&amp;", "&#39;", "&#x3C;", "&lt", "&", ";", "<", ">", '"', "'", "/", "=", "!", "-", "?", "\n", "\u00a0", "\u2003", "é"]
VALUES = st.lists(st.sampled_from(FRAGMENTS), max_size=8).map("".join)
SPACE = st.sampled_from([" ", "  ", "\n", "\t", "\r\n", "\f", "\v", "\u00a0", ""])
TEXT = st.lists(st.sampled_from(FRAGMENTS), max_size=10).map("".join)


@st.composite
def tags(draw) -> str:
    name = draw(NAMES)
    if draw(st.booleans()):
        return f"</{name}{draw(SPACE)}>"
    attributes = ""
    for _ in range(draw(st.integers(0, 3))):
        quote = draw(st.sampled_from(['"', "'", ""]))
        attributes += f"{draw(SPACE) or ' '}{draw(ATTRIBUTE_NAMES)}={quote}{draw(VALUES)}{quote}"
    return f"<{name}{attributes}{draw(SPACE)}{draw(st.sampled_from(['', '/']))}>"


@given(st.lists(st.one_of(tags(), TEXT), max_size=12))
@settings(max_examples=400, deadline=None)
def test_quick_reading_matches_html_parser_or_declines(pieces):
    assert_same_or_declined("".join(pieces))


@pytest.mark.parametrize(
    "html",
    [
        '<p class="lead">Tom &amp; Jerry &#39;x&#39;</p>',
        '<p class="a" id="">x<br/>y<br />z<BR>w</P>',
        '<a href="https://example.org/?a=1&amp;b=2">link</a> tail &amp',
        "text only, &amp; an entity at the end &amp;",
        '<td data-widths="3,2,1"\n  class="x" >a</td>',
        '<hr class="page-break"/>',
    ],
)
def test_plain_markup_is_read_quickly_and_identically(html):
    assert assert_same_or_declined(html)


@pytest.mark.parametrize(
    "html",
    [
        "<!-- a comment --><p>x</p>",
        "<p class=lead>x</p>",
        "<p class='lead'>x</p>",
        "a < b",
        "<p>x</p><",
        "<script>if (a<b) {}</script>",
        "</p class=\"x\">",
        '<p\u00a0class="x">',
        '<p class="a"class="b">',
        "<!DOCTYPE html>",
        "<?pi?>",
    ],
)
def test_anything_else_is_left_to_html_parser(html):
    assert not assert_same_or_declined(html)


HEAD = '<meta name="title" content="T">'


@pytest.mark.parametrize(
    "html, message",
    [
        (HEAD + "\n<p>one</p>\n  <li>two</li>", "x: output line 3, column 3: <li> outside <ul> or <ol>"),
        (HEAD + "\n<p>one <b>x</p>", "x: output line 2, column 12: </p> does not close the open element (expected </b>)"),
        (HEAD + "\n stray", "x: output line 1, column 32: text outside a paragraph: 'stray'"),
    ],
)
def test_errors_name_html_parsers_line_and_column(html, message):
    """A failure met by the quick reading is reported as html.parser reports it, with line and column."""
    with pytest.raises(TemplateError) as raised:
        parse_markup(html, "x")
    assert str(raised.value) == message


@pytest.mark.parametrize("enabled", [True, False])
def test_the_garbage_collector_is_left_as_it_was(enabled):
    """parse_markup pauses the collector while it builds the document, and restores it even when the markup fails."""
    was_enabled = gc.isenabled()
    set_collector(enabled)
    try:
        parse_markup(HEAD + "<p>x</p>", "x")
        assert gc.isenabled() is enabled
        with pytest.raises(TemplateError):
            parse_markup(HEAD + "<li>x</li>", "x")
        assert gc.isenabled() is enabled
    finally:
        set_collector(was_enabled)


def set_collector(enabled: bool) -> None:
    if enabled:
        gc.enable()
    else:
        gc.disable()


@given(st.lists(st.sampled_from([" ", "  ", "\t", "\n", "\r", "\f", "\v", "\u00a0", "\u2003", "a", "bc"]), max_size=12).map("".join))
@settings(max_examples=300, deadline=None)
def test_runs_of_html_whitespace_collapse_to_one_space_and_others_stay(text):
    collector = _InlineCollector()
    collector.add_text(text, bold=False, italic=False)
    collapsed = _WHITESPACE.sub(" ", text)
    assert collector.children == ([Text(collapsed)] if collapsed else [])


def read_in_pieces(html: str, cuts: list[int], source_name: str = "x"):
    """Return what a MarkupReader gives for ``html`` fed in pieces cut at ``cuts``, or the TemplateError it raises."""
    reader = MarkupReader(source_name)
    bounds = [0, *sorted(cuts), len(html)]
    for start, end in itertools.pairwise(bounds):
        reader.feed(html[start:end])
    try:
        return reader.close()
    except TemplateError as error:
        return str(error)


def read_whole(html: str, source_name: str = "x"):
    try:
        return parse_markup(html, source_name)
    except TemplateError as error:
        return str(error)


BODY = st.sampled_from(
    [
        "<p>one</p>",
        '<p class="lead">Tom &amp; Jerry</p>',
        "<p>a  <b>bold\n text</b> and <i>more</i><fn>a note</fn></p>",
        '<ul><li>first</li><li>second<br/>line</li></ul>',
        '<table data-widths="2,1"><thead><tr><th>A</th><th>B</th></tr></thead><tbody><tr><td>1</td><td>2</td></tr></tbody></table>',
        '<hr class="page-break">',
        "<h2 id=\"s\">Heading &#39;x&#39;</h2>",
        "<!-- a comment -->",
        "<p class=lead>unquoted</p>",
        "<li>stray</li>",
        "  \n  ",
        "text outside",
    ]
)


@given(st.lists(BODY, min_size=1, max_size=8).map(lambda body: HEAD + "".join(body)), st.data())
@settings(max_examples=300, deadline=None)
def test_markup_read_in_pieces_is_the_markup_read_whole(html, data):
    """Cut anywhere (inside a tag, an entity, a run of spaces), the pieces give the whole's document or the whole's error."""
    cuts = data.draw(st.lists(st.integers(0, len(html)), max_size=6))
    assert read_in_pieces(html, cuts) == read_whole(html)


def test_a_pack_read_in_pieces_as_its_template_writes_them_is_the_pack_read_whole(monkeypatch):
    """Every piece is read by the quick reading as it comes, wherever the pieces are cut: none is left to html.parser."""
    from briefgen import markup
    from briefgen.compose import compose_pack_markup, load_template_set, resolve_template_dir
    from briefgen.workspace import load_pack

    fiction = Path(__file__).resolve().parent / "data" / "veloria"
    pack, _ = load_pack(fiction / "briefing.yaml")
    html = compose_pack_markup(pack, load_template_set(resolve_template_dir("default", fiction))).html
    whole = parse_markup(html, "x")
    assert whole[1]  # blocks
    monkeypatch.setattr(markup._SubsetParser, "feed", lambda self, data: pytest.fail("html.parser was asked to read the pack"))
    for size in (1, 7, 100, 4096):
        assert read_in_pieces(html, list(range(size, len(html), size))) == whole


def test_markup_the_quick_reading_declines_in_a_later_piece_is_read_by_html_parser_from_the_start():
    html = HEAD + "<p>one</p>" * 50 + "<!-- a comment --><p>two</p>"
    assert read_in_pieces(html, [40, 200, len(html) - 5]) == parse_markup(html, "x")
