"""Render a :class:`briefgen.document.Document` as pandoc Markdown.

The Markdown carries the same content as the DOCX, so that ``pandoc pack.md -o pack.docx``
can be compared fairly with briefgen's own DOCX: a YAML metadata block (title, subtitle,
author, date, language, subject, keywords), headings with their ``{#anchor}`` identifiers,
paragraphs (quotes as block quotes, the other roles as ``::: role`` fenced divs), lists,
pipe tables whose dashes give the columns' relative widths, emphasis, links, real footnotes
and page breaks as raw OpenXML page breaks. The classification marking, which the DOCX
prints in every header and footer, stands at the top and the bottom of the text. The
contents block writes nothing: pandoc's ``--toc`` makes one.

All text is escaped, so nothing a statement holds is read as Markdown: ``*``, ``[``,
``<html>``, ``@citations``, ``$math$`` and the like stay literal, and straight quotes,
``--`` and ``...`` are kept from pandoc's typographic replacements.

The output depends only on the document: the same document gives the same bytes.
"""

from __future__ import annotations

import json
import re

from briefgen.document import (
    Block,
    Contents,
    Cover,
    Document,
    Footnote,
    Heading,
    Inline,
    LineBreak,
    Link,
    ListBlock,
    PageBreak,
    Paragraph,
    Table,
    Text,
    plain_text,
)

__all__ = ["render_markdown"]

#: Heading levels the DOCX has styles for; deeper headings are set at this level there too.
_MAX_LEVEL = 3

# A page break pandoc's DOCX writer passes through as is (``\newpage`` is LaTeX only).
_PAGE_BREAK = '```{=openxml}\n<w:p><w:r><w:br w:type="page"/></w:r></w:p>\n```'
# A line break inside a one-line construct (table cell, heading): a raw Word break. The space
# before it keeps the words apart in formats that drop raw OpenXML.
_RAW_LINE_BREAK = ' `<w:r><w:br/></w:r>`{=openxml}'
# Keeps two adjacent lists from being read as one.
_LIST_SEPARATOR = "<!-- end of list -->"
# Pandoc reads a pipe table's dashes as relative column widths only when a line of the
# table is wider than its 72 columns; a separator this long always is, so the widths hold.
_TABLE_DASHES = 100

# ASCII punctuation pandoc Markdown gives a meaning to anywhere in a line; ' and " because
# pandoc's "smart" extension would curl them.
_ALWAYS_ESCAPED = re.compile(r"([\\`*_{}\[\]<>#|~^$@&\"'])")
# Runs pandoc's "smart" extension would turn into dashes or an ellipsis.
_DASH_OR_DOTS = re.compile(r"-{2,}|\.{2,}")
# What starts a block at the beginning of a line: list markers (1. a) (iv) A.), rules,
# fences, headings, quotes, definition lists, fenced divs, line blocks, setext underlines.
_LIST_MARKER = re.compile(r"(\(?)([0-9]+|[A-Za-z]|[ivxlcdmIVXLCDM]+)([.)])(?=\s|$)")
_BLOCK_STARTERS = "-+*:=%>#|~`"
# Abbreviations after which pandoc's "smart" extension turns the space into a no-break space
# (pandoc's data/abbreviations); an escaped full stop keeps the space as written.
_ABBREVIATION = re.compile(
    r"(?<![\w.])(Mr|Mrs|Ms|Capt|Dr|Prof|Gen|Gov|e\.g|i\.e|Sgt|St|vol|vs|Sen|Rep|Pres|Hon|Rev|Ph\.D|M\.D|M\.A|p|pp|ch|sec|cf|cp)\.(?=\s)"
)
_NEWLINES = re.compile(r"\r\n|\r|\n")
# Characters a link destination cannot hold as they are.
_NOT_IN_DESTINATION = re.compile(r'[\x00-\x20"<>\\^`{|}\x7f]|%(?![0-9A-Fa-f]{2})')
_NOT_IN_IDENTIFIER = re.compile(r"[^\w\-.:]")


def render_markdown(document: Document) -> bytes:
    """Return the UTF-8 bytes of pandoc Markdown holding the same content as ``document``'s DOCX."""
    return _MarkdownWriter(document).write().encode("utf-8")


class _MarkdownWriter:
    """Writes the blocks of one document as Markdown, collecting its footnotes for the end."""

    def __init__(self, document: Document):
        self._document = document
        self._footnotes: list[str] = []
        self._identifiers: dict[str, str] = {}
        self._chunks: list[str] = []
        self._page_break_pending = False
        self._previous: Block | None = None

    def write(self) -> str:
        """Return the whole document as Markdown text ending in one newline."""
        blocks = list(self._document.blocks)
        title_block = self._title_block(blocks)
        classification = self._document.metadata.classification
        if classification:
            self._add(_div("classification", "**" + _escape(classification, line_start=False) + "**"))
        for block in blocks:
            if isinstance(block, PageBreak):
                # A trailing page break would only add a blank page, so it waits for content.
                self._page_break_pending = True
                continue
            text = self._block(block)
            if text is None:
                if isinstance(block, Cover):
                    self._page_break_pending = True  # the cover is a page of its own
                continue
            if self._page_break_pending:
                self._add(_PAGE_BREAK)
                self._page_break_pending = False
            if isinstance(block, ListBlock) and isinstance(self._previous, ListBlock):
                self._add(_LIST_SEPARATOR)
            self._add(text)
            self._previous = block
            if isinstance(block, Cover):
                self._page_break_pending = True  # the cover is a page of its own
        if classification:
            self._add(_div("classification", "**" + _escape(classification, line_start=False) + "**"))
        notes = [_hanging(f"[^{n}]: ", text, "    ") for n, text in enumerate(self._footnotes, start=1)]
        return "\n\n".join([title_block, *self._chunks, *notes]) + "\n"

    def _add(self, text: str) -> None:
        self._chunks.append(text)

    # --- metadata and title -----------------------------------------------------------

    def _title_block(self, blocks: list[Block]) -> str:
        """Return the YAML metadata block; a leading cover or title with the document's title joins it.

        Pandoc prints the metadata title (and subtitle) as the first lines of the document,
        so a leading cover title or level-0 heading that says the same is not repeated.
        """
        metadata = self._document.metadata
        fields: dict[str, object] = {"title": _escape(metadata.title, line_start=True)}
        first = blocks[0] if blocks else None
        if isinstance(first, Cover) and plain_text(first.title) == metadata.title:
            if first.subtitle:
                fields["subtitle"] = self._inline(first.subtitle, _RAW_LINE_BREAK)
            blocks[0] = Cover((), (), first.details)
        elif isinstance(first, Heading) and first.level <= 0 and plain_text(first.children) == metadata.title:
            del blocks[0]
        if metadata.author:
            fields["author"] = _escape(metadata.author, line_start=True)
        if metadata.created:
            fields["date"] = metadata.created.date().isoformat()
        if metadata.language:
            fields["lang"] = metadata.language
        if metadata.subject:
            fields["subject"] = _escape(metadata.subject, line_start=True)
        if metadata.keywords:
            fields["keywords"] = [_escape(keyword, line_start=True) for keyword in metadata.keywords]
        # JSON strings are YAML double-quoted scalars; pandoc then reads each one as Markdown.
        lines = [f"{key}: {json.dumps(value, ensure_ascii=False)}" for key, value in fields.items()]
        return "\n".join(["---", *lines, "---"])

    # --- blocks -----------------------------------------------------------------------

    def _block(self, block: Block) -> str | None:
        if isinstance(block, Heading):
            return self._heading(block)
        if isinstance(block, Paragraph):
            return self._paragraph(block)
        if isinstance(block, ListBlock):
            return self._list(block)
        if isinstance(block, Table):
            return self._table(block)
        if isinstance(block, Cover):
            return self._cover(block)
        if isinstance(block, Contents):
            return None
        raise TypeError(f"not a block of the document model: {block!r}")

    def _heading(self, heading: Heading) -> str:
        text = self._inline(heading.children, _RAW_LINE_BREAK) or "\u00a0"  # pandoc drops an empty heading
        if heading.level <= 0:
            # A title that is not the document's own: Word's Title style, as in the DOCX.
            return _div('{custom-style="Title"}', text)
        attributes = f" {{#{self._identifier(heading.anchor)}}}" if heading.anchor else ""
        return "#" * min(heading.level, _MAX_LEVEL) + " " + text + attributes

    def _paragraph(self, paragraph: Paragraph) -> str | None:
        text = self._inline(paragraph.children, "\\\n")
        if not text:
            return None
        if paragraph.role == "quote":
            return "\n".join("> " + line for line in text.split("\n"))
        if paragraph.role == "body":
            return text
        return _div(paragraph.role, text)

    def _list(self, block: ListBlock) -> str | None:
        items = []
        for number, item in enumerate(block.items, start=1):
            marker = f"{number}. " if block.ordered else "- "
            items.append(_hanging(marker, self._inline(item, "\\\n"), " " * len(marker)))
        return "\n".join(items) or None

    def _table(self, table: Table) -> str | None:
        if not table.header and not table.rows:
            return None
        columns = max([len(table.header), *(len(row) for row in table.rows), 1])
        relative = table.widths if table.widths and len(table.widths) == columns and all(w > 0 for w in table.widths) else (1.0,) * columns
        dashes = [max(3, round(width / sum(relative) * _TABLE_DASHES)) for width in relative]
        lines = [self._row(table.header, columns), "|" + "|".join("-" * count for count in dashes) + "|"]
        lines += [self._row(row, columns) for row in table.rows]
        return "\n".join(lines)

    def _row(self, cells, columns: int) -> str:
        padded = tuple(cells) + ((),) * (columns - len(cells))
        return "| " + " | ".join(self._inline(cell, _RAW_LINE_BREAK) for cell in padded) + " |"

    def _cover(self, cover: Cover) -> str | None:
        parts = []
        if cover.title:
            parts.append(_div('{custom-style="Title"}', self._inline(cover.title, _RAW_LINE_BREAK)))
        if cover.subtitle:
            parts.append(_div('{custom-style="Subtitle"}', self._inline(cover.subtitle, _RAW_LINE_BREAK)))
        if cover.details:
            # The DOCX sets the details as a two-column table without a header; so does this.
            parts.append(self._table(Table(((), ()), tuple((label, value) for label, value in cover.details), (28, 72))))
        return "\n\n".join(parts) or None

    # --- inline content ---------------------------------------------------------------

    def _inline(self, children: tuple[Inline, ...], line_break: str) -> str:
        """Return ``children`` as one Markdown string; ``line_break`` is the markup of a forced break."""
        writer = _InlineWriter(line_break, self._footnote, self._identifier)
        writer.write(children)
        return writer.text()

    def _footnote(self, children: tuple[Inline, ...]) -> str:
        writer = _InlineWriter("\\\n", None, self._identifier)
        writer.write(children)
        self._footnotes.append(writer.text())
        return f"[^{len(self._footnotes)}]"

    def _identifier(self, anchor: str) -> str:
        """Return the Markdown identifier of ``anchor``, the same on every call and unique."""
        if anchor not in self._identifiers:
            base = _NOT_IN_IDENTIFIER.sub("-", anchor) or "section"
            if not base[0].isalpha():
                base = "s-" + base
            candidate, counter = base, 1
            taken = set(self._identifiers.values())
            while candidate in taken:
                counter += 1
                candidate = f"{base}-{counter}"
            self._identifiers[anchor] = candidate
        return self._identifiers[anchor]


class _InlineWriter:
    """Accumulates inline content as Markdown, knowing whether the next text starts a line."""

    def __init__(self, line_break: str, footnote, identifier):
        self._line_break = line_break
        self._footnote = footnote  # None inside a footnote: notes do not nest
        self._identifier = identifier
        self._parts: list[str] = []
        self._line_start = True
        self._previous_emphasis = False

    def text(self) -> str:
        """Return the Markdown written so far, without whitespace or line breaks at either end."""
        parts = list(self._parts)
        # A break at either end shows nothing, and "\\" ending a paragraph would print a backslash.
        while parts and (parts[0] == self._line_break or not parts[0].strip()):
            parts.pop(0)
        while parts and (parts[-1] == self._line_break or not parts[-1].strip()):
            parts.pop()
        return "".join(parts).strip()

    def write(self, children: tuple[Inline, ...]) -> None:
        """Append ``children``, runs of the same emphasis merged so their markers do not touch."""
        for child in _merge_runs(children):
            if isinstance(child, Text):
                self._text(child)
            elif isinstance(child, Link):
                self._link(child)
            elif isinstance(child, Footnote):
                if self._footnote is None:
                    # Footnotes do not nest; a note inside a note keeps its words in the text.
                    self.write(child.children)
                else:
                    self._emit(self._footnote(child.children))
            elif isinstance(child, LineBreak):
                self._break()
            else:
                raise TypeError(f"not inline content of the document model: {child!r}")

    def _emit(self, markup: str, *, emphasis: bool = False) -> None:
        self._parts.append(markup)
        self._line_start = False
        self._previous_emphasis = emphasis

    def _break(self) -> None:
        # Spaces before a break would be a break of their own in Markdown; they show nothing.
        if self._parts:
            self._parts[-1] = self._parts[-1].rstrip(" \t")
        self._parts.append(self._line_break)
        self._line_start = self._line_break.endswith("\n")
        self._previous_emphasis = False

    def _text(self, run: Text) -> None:
        for index, piece in enumerate(_NEWLINES.split(run.text)):
            if index:
                self._break()
            if piece:
                self._piece(piece, run.bold, run.italic)

    def _piece(self, text: str, bold: bool, italic: bool) -> None:
        if self._line_start:
            text = text.lstrip(" \t")
            if not text:
                return
        marker = "*" * (2 * bold + italic)
        if not marker:
            self._emit(_escape(text, line_start=self._line_start))
            return
        # Emphasis markers must touch the words they enclose, so spaces go outside them.
        core = text.strip(" \t")
        leading, trailing = text[: len(text) - len(text.lstrip(" \t"))], text[len(text.rstrip(" \t")) :]
        if not core:
            self._emit(text)
            return
        if self._previous_emphasis and not leading:
            self._parts.append("[]{}")  # an empty span keeps "**a**" and "*b*" from fusing
        self._emit(leading + marker + _escape(core, line_start=False) + marker, emphasis=True)
        if trailing:
            self._emit(trailing)

    def _link(self, link: Link) -> None:
        inner = _InlineWriter(_RAW_LINE_BREAK, self._footnote, self._identifier)
        inner._line_start = False
        inner.write(link.children)
        href = link.href
        if href.startswith("#"):
            destination = "#" + self._identifier(href[1:])
        else:
            destination = _destination(href)
        self._emit(f"[{inner.text()}]({destination})")


def _merge_runs(children: tuple[Inline, ...]) -> list[Inline]:
    merged: list[Inline] = []
    for child in children:
        previous = merged[-1] if merged else None
        if isinstance(child, Text) and isinstance(previous, Text) and (previous.bold, previous.italic) == (child.bold, child.italic):
            merged[-1] = Text(previous.text + child.text, child.bold, child.italic)
        else:
            merged.append(child)
    return merged


def _escape(text: str, *, line_start: bool) -> str:
    """Return ``text`` with every character pandoc Markdown would interpret backslash-escaped."""
    escaped = _ALWAYS_ESCAPED.sub(r"\\\1", text)
    escaped = _DASH_OR_DOTS.sub(lambda match: "".join("\\" + char for char in match.group()), escaped)
    escaped = _ABBREVIATION.sub(r"\1\\.", escaped)
    if line_start and escaped:
        marker = _LIST_MARKER.match(escaped)
        if marker:
            opening, label, closing = marker.groups()
            escaped = ("\\" + opening if opening else "") + label + "\\" + closing + escaped[marker.end() :]
        elif escaped[0] in _BLOCK_STARTERS:
            escaped = "\\" + escaped
    return escaped


def _destination(href: str) -> str:
    """Return ``href`` as a link destination: characters URIs cannot hold percent-encoded, parentheses escaped."""
    encoded = _NOT_IN_DESTINATION.sub(lambda match: "".join(f"%{byte:02X}" for byte in match.group().encode()), href)
    return encoded.replace("(", "\\(").replace(")", "\\)")


def _div(attributes: str, text: str) -> str:
    return f"::: {attributes}\n{text}\n:::"


def _hanging(first: str, text: str, indent: str) -> str:
    """Return ``text`` after ``first`` with its later lines indented by ``indent``."""
    lines = text.split("\n")
    return "\n".join([first + lines[0], *(indent + line for line in lines[1:])]).rstrip()
