"""The HTML subset templates write, parsed into the document model.

Supported markup (anything else is a :class:`~briefgen.errors.TemplateError`)::

    <meta name="title|subject|author|keywords|language|created" content="…">
    <h1 class="title">  <h1> <h2> <h3> (optional id="…")
    <p> with class lead | meta | quote | aside | small
    <ul>/<ol> of <li>
    <table data-widths="3,2,1"> <thead><tr><th>…</thead> <tbody><tr><td>…</tbody>
    <strong>/<b>  <em>/<i>  <a href="…">  <br>  <fn>footnote</fn>
    <hr class="page-break">
    <section class="cover"> <h1>title</h1> <p>subtitle</p> <dl><dt>label</dt><dd>value</dd>…</dl> </section>
    <nav class="contents" data-depth="1">Contents</nav>
    <event uid="…" date="YYYY-MM-DD" location="…" url="…"><summary>…</summary><description>…</description></event>

Whitespace is collapsed as a browser would; whitespace just before ``<fn>`` is dropped,
since a footnote marker always sits against the word it annotates.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from html import unescape
from html.parser import HTMLParser

from .collector import collector_paused
from .document import (
    PARAGRAPH_ROLES,
    Block,
    CalendarEvent,
    Contents,
    Cover,
    Document,
    Footnote,
    Heading,
    Inline,
    LineBreak,
    Link,
    ListBlock,
    Metadata,
    PageBreak,
    Paragraph,
    Style,
    Table,
    Text,
)
from .errors import TemplateError

_WHITESPACE = re.compile(r"[ \t\n\r\f]+")  # as HTML does: a no-break space stays
_INLINE_STYLE = {"strong": "bold", "b": "bold", "em": "italic", "i": "italic"}
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3}


class _InlineCollector:
    """Gathers inline content for one paragraph, list item, cell or footnote."""

    def __init__(self) -> None:
        self.children: list[Inline] = []
        self.has_break = False

    def add_break(self) -> None:
        self.children.append(LineBreak())
        self.has_break = True

    def add_text(self, text: str, bold: bool, italic: bool) -> None:
        # What _WHITESPACE changes: any of these, or two spaces (a lone one stays as it is).
        if "\n" in text or "  " in text or "\t" in text or "\r" in text or "\f" in text:
            text = _WHITESPACE.sub(" ", text)
        if not text:
            return
        previous = self.children[-1] if self.children else None
        if isinstance(previous, Text) and (previous.bold, previous.italic) == (bold, italic):
            self.children[-1] = Text(previous.text + text, bold, italic)
        else:
            self.children.append(Text(text, bold, italic))

    def strip_trailing_space(self) -> None:
        if self.children and isinstance(self.children[-1], Text):
            last = self.children[-1]
            self.children[-1] = Text(last.text.rstrip(), last.bold, last.italic)
            if not self.children[-1].text:
                self.children.pop()

    def finish(self) -> tuple[Inline, ...]:
        """Return the content with leading and trailing spaces of the whole run removed."""
        children = list(self.children)
        for index in (0, -1):
            if children and isinstance(children[index], Text):
                piece = children[index]
                text = piece.text.lstrip() if index == 0 else piece.text.rstrip()
                if not text:
                    children.pop(index)
                elif len(text) != len(piece.text):
                    children[index] = Text(text, piece.bold, piece.italic)
        if not self.has_break:
            return tuple(children)  # no Text is empty: add_text adds none, and the loop above popped the ends
        # Spaces around a line break are never wanted.
        for index, child in enumerate(children):
            if isinstance(child, LineBreak):
                if index > 0 and isinstance(children[index - 1], Text):
                    before = children[index - 1]
                    children[index - 1] = Text(before.text.rstrip(), before.bold, before.italic)
                if index + 1 < len(children) and isinstance(children[index + 1], Text):
                    after = children[index + 1]
                    children[index + 1] = Text(after.text.lstrip(), after.bold, after.italic)
        return tuple(c for c in children if not (isinstance(c, Text) and not c.text))


class _SubsetParser(HTMLParser):
    """Streams the HTML subset into blocks and metadata."""

    def __init__(self, source_name: str) -> None:
        super().__init__(convert_charrefs=True)
        self.source_name = source_name
        self.blocks: list[Block] = []
        self.meta: dict[str, str] = {}
        self.open_tags: list[str] = []
        self.bold = 0
        self.italic = 0
        self.inline_stack: list[_InlineCollector] = []  # paragraph / item / cell, then footnote, link
        self.link_hrefs: list[str] = []
        self.block_start: tuple[str, dict[str, str]] | None = None
        self.list_items: list[tuple[Inline, ...]] | None = None
        self.list_ordered = False
        self.table: dict | None = None
        self.cover: dict | None = None  # title, subtitle, details while inside <section class="cover">
        self.section_kinds: list[str] = []
        self.event: dict | None = None
        self.events: list[CalendarEvent] = []

    # -- helpers ------------------------------------------------------------------

    def fail(self, message: str) -> None:
        line, column = self.getpos()
        raise TemplateError(f"{self.source_name}: output line {line}, column {column + 1}: {message}")

    @property
    def collecting(self) -> _InlineCollector | None:
        return self.inline_stack[-1] if self.inline_stack else None

    def start_inline(self, tag: str, attrs: dict[str, str]) -> None:
        self.block_start = (tag, attrs)
        self.inline_stack = [_InlineCollector()]

    # -- parser callbacks ---------------------------------------------------------

    def handle_starttag(self, tag: str, attr_list: list[tuple[str, str | None]]) -> None:
        attrs = {name: value or "" for name, value in attr_list}
        if tag in ("meta", "br", "hr"):
            self.handle_startendtag(tag, attr_list)
            return
        self.open_tags.append(tag)
        collector = self.collecting
        if tag in _INLINE_STYLE:
            if collector is None:
                self.fail(f"<{tag}> outside a paragraph")
            if _INLINE_STYLE[tag] == "bold":
                self.bold += 1
            else:
                self.italic += 1
        elif tag == "a":
            if collector is None:
                self.fail("<a> outside a paragraph")
            if not attrs.get("href"):
                self.fail("<a> without href")
            self.link_hrefs.append(attrs["href"])
            self.inline_stack.append(_InlineCollector())
        elif tag == "fn":
            if collector is None or len(self.inline_stack) > 1:
                self.fail("<fn> must stand directly in a paragraph, list item or cell")
            collector.strip_trailing_space()
            self.inline_stack.append(_InlineCollector())
        elif collector is not None:
            self.fail(f"<{tag}> cannot stand inside a paragraph")
        elif tag in _HEADINGS or tag == "p" or tag == "nav":
            self.start_inline(tag, attrs)
        elif tag in ("dt", "dd"):
            if self.cover is None:
                self.fail(f"<{tag}> outside the cover")
            self.start_inline(tag, attrs)
        elif tag == "event":
            self.start_event(attrs)
        elif tag in ("summary", "description"):
            if self.event is None:
                self.fail(f"<{tag}> outside <event>")
            self.start_inline(tag, attrs)
        elif tag == "section":
            kind = "cover" if attrs.get("class") == "cover" else "plain"
            if kind == "cover":
                self.cover = {"title": (), "subtitle": (), "details": [], "label": None}
            self.section_kinds.append(kind)
        elif tag in ("ul", "ol"):
            self.list_items = []
            self.list_ordered = tag == "ol"
        elif tag == "li":
            if self.list_items is None:
                self.fail("<li> outside <ul> or <ol>")
            self.start_inline(tag, attrs)
        elif tag == "table":
            widths = attrs.get("data-widths")
            self.table = {"header": [], "rows": [], "widths": _parse_widths(widths) if widths else None, "row": None}
        elif tag in ("thead", "tbody"):
            if self.table is None:
                self.fail(f"<{tag}> outside <table>")
        elif tag == "tr":
            if self.table is None:
                self.fail("<tr> outside <table>")
            self.table["row"] = []
        elif tag in ("th", "td"):
            if self.table is None or self.table["row"] is None:
                self.fail(f"<{tag}> outside <tr>")
            self.start_inline(tag, attrs)
        elif tag in ("html", "head", "body", "div", "header", "footer", "article", "dl"):
            pass  # structural wrappers are allowed and carry no meaning
        else:
            self.fail(f"<{tag}> is not in the supported HTML subset")

    def handle_startendtag(self, tag: str, attr_list: list[tuple[str, str | None]]) -> None:
        attrs = {name: value or "" for name, value in attr_list}
        if tag == "meta":
            if "name" not in attrs:
                self.fail("<meta> needs name and content")
            self.meta[attrs["name"]] = attrs.get("content", "")
        elif tag == "br":
            if self.collecting is None:
                self.fail("<br> outside a paragraph")
            self.collecting.add_break()
        elif tag == "hr":
            if attrs.get("class") != "page-break":
                self.fail('only <hr class="page-break"> is supported')
            self.blocks.append(PageBreak())
        else:
            self.handle_starttag(tag, attr_list)
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("meta", "br", "hr"):
            return
        if not self.open_tags or self.open_tags[-1] != tag:
            expected = f"</{self.open_tags[-1]}>" if self.open_tags else "nothing"
            self.fail(f"</{tag}> does not close the open element (expected {expected})")
        self.open_tags.pop()
        if tag in _INLINE_STYLE:
            if _INLINE_STYLE[tag] == "bold":
                self.bold -= 1
            else:
                self.italic -= 1
        elif tag == "a":
            children = self.inline_stack.pop().finish()
            self.collecting.children.append(Link(self.link_hrefs.pop(), children))
        elif tag == "fn":
            children = self.inline_stack.pop().finish()
            self.collecting.children.append(Footnote(children))
        elif tag in _HEADINGS or tag == "p":
            if self.cover is not None:
                self.end_cover_part(tag)
            else:
                self.end_block(tag)
        elif tag in ("dt", "dd"):
            self.end_cover_part(tag)
        elif tag == "nav":
            _, attrs = self.block_start
            children = self.inline_stack.pop().finish()
            self.inline_stack = []
            self.blocks.append(Contents(children, _parse_depth(attrs.get("data-depth", "2"))))
        elif tag in ("summary", "description"):
            self.event[tag] = _plain(self.inline_stack.pop().finish())
            self.inline_stack = []
        elif tag == "event":
            self.end_event()
        elif tag == "section":
            if self.section_kinds.pop() == "cover":
                cover = self.cover
                self.cover = None
                self.blocks.append(Cover(cover["title"], cover["subtitle"], tuple(cover["details"])))
        elif tag == "li":
            self.list_items.append(self.inline_stack.pop().finish())
            self.inline_stack = []
        elif tag in ("ul", "ol"):
            self.blocks.append(ListBlock(tuple(self.list_items), ordered=self.list_ordered))
            self.list_items = None
        elif tag in ("th", "td"):
            self.table["row"].append((tag, self.inline_stack.pop().finish()))
            self.inline_stack = []
        elif tag == "tr":
            self.end_row()
        elif tag == "table":
            table = self.table
            self.table = None
            self.blocks.append(Table(tuple(table["header"]), tuple(table["rows"]), table["widths"]))

    def end_block(self, tag: str) -> None:
        children = self.inline_stack.pop().finish()
        self.inline_stack = []
        _, attrs = self.block_start
        css_class = attrs.get("class", "")
        if tag in _HEADINGS:
            level = 0 if css_class == "title" else _HEADINGS[tag]
            self.blocks.append(Heading(level, children, attrs.get("id") or None))
            return
        role = css_class or "body"
        if role not in PARAGRAPH_ROLES:
            self.fail(f'<p class="{role}"> is not a paragraph role; use one of {", ".join(PARAGRAPH_ROLES)}')
        if children:
            self.blocks.append(Paragraph(children, role))

    def end_cover_part(self, tag: str) -> None:
        children = self.inline_stack.pop().finish()
        self.inline_stack = []
        cover = self.cover
        if tag in _HEADINGS:
            cover["title"] = children
        elif tag == "p":
            cover["subtitle"] = children
        elif tag == "dt":
            cover["label"] = children
        else:  # dd
            if cover["label"] is None:
                self.fail("<dd> without a <dt> before it")
            cover["details"].append((cover["label"], children))
            cover["label"] = None

    def start_event(self, attrs: dict[str, str]) -> None:
        if self.collecting is not None or self.event is not None:
            self.fail("<event> must stand on its own")
        try:
            date = dt.date.fromisoformat(attrs.get("date", ""))
        except ValueError:
            self.fail(f'<event date="…"> must be YYYY-MM-DD, not {attrs.get("date")!r}')
        if not attrs.get("uid"):
            self.fail("<event> needs a uid")
        self.event = {"uid": attrs["uid"], "date": date, "location": attrs.get("location", ""), "url": attrs.get("url", "")}

    def end_event(self) -> None:
        event = self.event
        self.event = None
        if not event.get("summary"):
            self.fail("<event> needs a <summary>")
        self.events.append(
            CalendarEvent(event["uid"], event["date"], event["summary"], event["location"], event.get("description", ""), event["url"])
        )

    def end_row(self) -> None:
        cells = self.table["row"]
        self.table["row"] = None
        kinds = {kind for kind, _ in cells}
        row = tuple(content for _, content in cells)
        if kinds == {"th"} and not self.table["header"] and not self.table["rows"]:
            self.table["header"] = row
        else:
            self.table["rows"].append(row)

    def handle_data(self, data: str) -> None:
        collector = self.collecting
        if collector is None:
            if data.strip():
                self.fail(f"text outside a paragraph: {data.strip()[:40]!r}")
            return
        collector.add_text(data, self.bold > 0, self.italic > 0)

    def handle_comment(self, data: str) -> None:
        pass

    def finish(self) -> None:
        self.close()
        if self.open_tags:
            self.fail(f"<{self.open_tags[-1]}> is never closed")


def _plain(children: tuple[Inline, ...]) -> str:
    """Return the text of inline content, line breaks kept as newlines."""
    return "".join(c.text if isinstance(c, Text) else "\n" if isinstance(c, LineBreak) else _plain(c.children) for c in children if not isinstance(c, Footnote))


def _parse_depth(text: str) -> int:
    if text not in ("1", "2", "3"):
        raise TemplateError(f"data-depth must be 1, 2 or 3, not {text!r}")
    return int(text)


def _parse_widths(text: str) -> tuple[float, ...]:
    try:
        widths = tuple(float(part) for part in text.split(","))
    except ValueError:
        raise TemplateError(f"data-widths must be numbers separated by commas, not {text!r}") from None
    if any(width <= 0 for width in widths):
        raise TemplateError(f"data-widths must be positive, not {text!r}")
    return widths


# Tags as templates write them: a name of letters and digits, attributes in double quotes
# holding no < or >. Within this grammar html.parser reads exactly these names and values.
_PLAIN_TAG = re.compile(
    r'<(?:([a-zA-Z][a-zA-Z0-9]*)((?:[ \t\n\r\f]+[a-zA-Z][a-zA-Z0-9-]*="[^"<>]*")*)[ \t\n\r\f]*(/?)|/([a-zA-Z][a-zA-Z0-9]*))>'
)
_PLAIN_ATTRIBUTE = re.compile(r'([a-zA-Z][a-zA-Z0-9-]*)="([^"<>]*)"')


def _feed_plain_tags(parser: _SubsetParser, html: str, end: int | None = None) -> bool:
    """Call ``parser``'s handlers as HTMLParser would for ``html`` (up to ``end``), if every ``<`` in it opens a plain tag; return whether it did.

    html.parser tokenises in pure Python, one regular expression and method call at a
    time, which took half of composing a pack; this reads the same tokens with one search
    per tag. Anything outside the plain grammar (comments, declarations, unquoted or
    single-quoted attributes, a stray ``<``, script or style) makes it return False at
    once, and the caller starts again with html.parser.
    """
    position = 0
    if end is None:
        end = len(html)
    while position < end:
        start = html.find("<", position, end)
        if start < 0:
            start = end
        if start > position:
            parser.handle_data(unescape(html[position:start]))
        if start == end:
            break
        match = _PLAIN_TAG.match(html, start, end)
        if match is None:
            return False
        name, attributes, self_closing, end_name = match.groups()
        if end_name is not None:
            parser.handle_endtag(end_name.lower())
        else:
            tag = name.lower()
            if tag in HTMLParser.CDATA_CONTENT_ELEMENTS:
                return False
            attrs = [(attr.lower(), unescape(value) if value else value) for attr, value in _PLAIN_ATTRIBUTE.findall(attributes)] if attributes else []
            if self_closing:
                parser.handle_startendtag(tag, attrs)
            else:
                parser.handle_starttag(tag, attrs)
        position = match.end()
    return True


def read_markup(pieces: Iterable[str], source_name: str, style: Style) -> Document:
    """Return the document of the house style ``style`` that the markup, in consecutive ``pieces`` from the template ``source_name``, describes, reading each piece as it comes."""
    reader = MarkupReader(source_name)
    with collector_paused():  # between pieces too: a collection there walks all that has been read
        for piece in pieces:
            reader.feed(piece)
    metadata, blocks, events = reader.close()
    return Document(metadata, blocks, style, events)


def parse_markup(html: str, source_name: str) -> tuple[Metadata, tuple[Block, ...], tuple[CalendarEvent, ...]]:
    """Parse rendered template output into document metadata, blocks and calendar events."""
    reader = MarkupReader(source_name)
    reader.feed(html)
    return reader.close()


class MarkupReader:
    """Reads template output given in consecutive pieces, as the template writes them, into what :func:`parse_markup` returns for the whole.

    Each piece is read as it comes, by the quick reading (:func:`_feed_plain_tags`) up to
    its last ``<``, from which on it is read with the next piece, so that no tag or text
    is cut in two; where the quick reading declines, :meth:`close` reads the whole with
    html.parser, as :func:`parse_markup` of the joined pieces would.
    """

    def __init__(self, source_name: str) -> None:
        self._source_name = source_name
        self._pieces: list[str] = []
        #: None once the quick reading has declined.
        self._parser: _SubsetParser | None = _SubsetParser(source_name)
        self._unread = ""

    def feed(self, piece: str) -> None:
        """Read ``piece``, the next part of the output, as far as can be read before the next one comes."""
        self._pieces.append(piece)
        if self._parser is None:
            return
        text = self._unread + piece if self._unread else piece
        cut = text.rfind("<")
        if cut <= 0:
            self._unread = text
            return
        self._unread = text[cut:]
        self._read_quickly(text, cut)  # not text[:cut]: a whole pack's markup in one piece would be copied

    def close(self) -> tuple[Metadata, tuple[Block, ...], tuple[CalendarEvent, ...]]:
        """Finish reading and return the document's metadata, blocks and calendar events; the pieces are let go of."""
        pieces, self._pieces = self._pieces, []
        if self._parser is not None:
            self._read_quickly(self._unread, len(self._unread), finish=True)
        self._unread = ""
        parser = self._parser
        if parser is None:
            parser = _SubsetParser(self._source_name)
            html = "".join(pieces)
            pieces.clear()
            with collector_paused():
                parser.feed(html)
                parser.finish()
        return _document_parts(parser, self._source_name)

    def _read_quickly(self, text: str, end: int, *, finish: bool = False) -> None:
        """Read ``text`` up to ``end`` by the quick reading, or give it up for html.parser's at :meth:`close`."""
        # Reading makes up to a million small objects and no garbage: at 1000 statements
        # the collections they triggered took a sixth of the reading (3.5 s -> 2.8 s).
        with collector_paused():
            try:
                read = _feed_plain_tags(self._parser, text, end)
                if read and finish:
                    self._parser.finish()
            except Exception:  # noqa: BLE001 - html.parser raises it again at close, with its line and column
                read = False
        if not read:
            self._parser = None


def _document_parts(parser: _SubsetParser, source_name: str) -> tuple[Metadata, tuple[Block, ...], tuple[CalendarEvent, ...]]:
    """Return the metadata, blocks and calendar events ``parser`` has read."""
    meta = parser.meta
    if not meta.get("title"):
        raise TemplateError(f'{source_name}: the template must set <meta name="title" content="…">')
    created = None
    if meta.get("created"):
        try:
            created = dt.datetime.fromisoformat(meta["created"])
        except ValueError:
            raise TemplateError(f'{source_name}: <meta name="created"> must be an ISO date, not {meta["created"]!r}') from None
    metadata = Metadata(
        title=meta["title"],
        subject=meta.get("subject", ""),
        author=meta.get("author", ""),
        keywords=tuple(k.strip() for k in meta.get("keywords", "").split(";") if k.strip()),
        language=meta.get("language", "en"),
        created=created,
        classification=meta.get("classification", ""),
        page_label=meta.get("page-label") or Metadata.page_label,
    )
    return metadata, tuple(parser.blocks), tuple(parser.events)
