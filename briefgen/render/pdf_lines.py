"""Breaking a paragraph of several fragments into lines as reportlab does, for the paragraphs briefgen writes, in less time.

reportlab's ``Paragraph.breakLines`` serves every feature of its paragraphs (hyphenation,
soft hyphens, images, bidirectional text, shaping) on every word, and asks for each word
whether its fragment has the style of the one before through a general comparison; it
took a quarter of a long pack's layout. :func:`break_lines` follows the same algorithm for
a paragraph of several text fragments, anchors and line breaks, in left-to-right text
without hyphenation, and builds the same lines: the same fragments with the same texts,
the same widths and counts, computed with the same reportlab functions in the same order
(tests compare both on every paragraph of long packs). Anything else, and a word too long
for its line, returns None and the caller lets reportlab break the lines.
"""

from __future__ import annotations

from string import whitespace

from reportlab.platypus import paragraph as reportlab_paragraph
from reportlab.platypus.paragraph import (
    FragLine,
    ParaLines,
    _handleBulletWidth,
    _HSFrag,
)
from reportlab.platypus.paraparser import ParaFrag

__all__ = ["break_lines"]

_TEXT, _APPEND, _BREAK = reportlab_paragraph._FK_TEXT, reportlab_paragraph._FK_APPEND, reportlab_paragraph._FK_BREAK
_SOFT_HYPHEN = "\xad"
_split_at_breaking_spaces = reportlab_paragraph._wsc_re_split


def break_lines(paragraph: reportlab_paragraph.Paragraph, width: float | list[float]) -> ParaLines | None:
    """Return the lines reportlab's ``breakLines`` returns for ``paragraph`` at ``width`` (one width or one per line, the last repeated), setting the same attributes on it; None where this does not apply."""
    style = paragraph.style
    frags = paragraph.frags
    if (
        not frags
        or style.wordWrap
        or style.shaping
        or style.hyphenationLang
        or style.uriWasteReduce
        or style.embeddedHyphenation
        or getattr(paragraph, "autoLeading", getattr(style, "autoLeading", "")) not in ("", "off")
    ):
        return None
    if len(frags) == 1:
        return _break_one_fragment(paragraph, width)
    words = _fragment_words(frags)
    if words is None:
        return None
    widths = list(width) if isinstance(width, (tuple, list)) else [width]
    _handleBulletWidth(paragraph.bulletText, style, widths)
    broken = _Breaker(style, widths).run(words)
    if broken is None:
        return None
    if isinstance(width, list):
        width[0] = widths[0]  # reportlab narrows the caller's first width for a bullet in place
    lines, width_max = broken
    paragraph._width_max = width_max
    paragraph.height = 0
    paragraph._splitLongWordCount = paragraph._hyphenations = 0
    paragraph.frags = words
    return ParaLines(kind=1, lines=lines)


def _break_one_fragment(paragraph: reportlab_paragraph.Paragraph, width: float | list[float]) -> ParaLines | None:
    """Return reportlab's lines of a paragraph of one plain text fragment (its branch for one fragment, lines of words), setting the same attributes; None for anything else."""
    style = paragraph.style
    frag = paragraph.frags[0]
    if type(frag) is not ParaFrag or style.endDots:
        return None
    attributes = frag.__dict__
    text = attributes.get("text")
    if text is None or "cbDefn" in attributes or "backColor" in attributes or _SOFT_HYPHEN in text:
        return None  # another branch of reportlab's, or soft hyphenation
    widths = list(width) if isinstance(width, (tuple, list)) else [width]
    _handleBulletWidth(paragraph.bulletText, style, widths)
    string_width = reportlab_paragraph.stringWidth
    encoding = paragraph.encoding
    font_name, font_size = frag.fontName, frag.fontSize
    ascent, descent = reportlab_paragraph.getAscentDescent(font_name, font_size)
    text = reportlab_paragraph.strip(text)
    lines: list[tuple[float, list[str]]] = []
    width_max = 0
    if text:
        space_width = string_width(" ", font_name, font_size, encoding)
        space_shrink = style.spaceShrinkage * space_width
        last_line = len(widths) - 1
        line_number = 0
        max_width = widths[0]
        line: list[str] = []
        current_width = -space_width  # reportlab's: the first word adds no space
        for word in _split_at_breaking_spaces(text) if "\xa0" in text else text.split():
            word_width = string_width(word, font_name, font_size, encoding)
            new_width = current_width + space_width + word_width
            limit = max_width + space_shrink * len(line)
            if new_width > limit and style.splitLongWords:
                first = min(line_number, last_line)
                if word_width > max(widths[first : first + 1]):
                    return None  # reportlab splits the word
            if new_width <= limit or not line:
                line.append(word)
                current_width = new_width
            else:
                width_max = max(width_max, current_width)
                lines.append((max_width - current_width, line))
                line = [word]
                current_width = word_width
                line_number += 1
                max_width = widths[min(last_line, line_number)]
        if line:
            width_max = max(width_max, current_width)
            lines.append((max_width - current_width, line))
    if isinstance(width, list):
        width[0] = widths[0]
    paragraph._width_max = width_max
    paragraph.height = 0
    paragraph._splitLongWordCount = paragraph._hyphenations = 0
    return frag.clone(kind=0, lines=lines, ascent=ascent, descent=descent, fontSize=font_size)


def _fragment_words(frags: list) -> list[list] | None:
    """Return reportlab's ``_getFragWords`` of unprocessed fragments: ``[width, (fragment, text), ...]`` per word, an ``_HSFrag`` where a space follows; None for soft hyphens, images or already processed fragments."""
    string_width = reportlab_paragraph.stringWidth
    words: list[list] = []
    add_word = words.append
    word: list = []
    width = 0
    hanging_strip = True
    for frag in frags:
        if type(frag) is not ParaFrag:
            return None
        attributes = frag.__dict__
        text = attributes.get("text")
        if text is None:
            return None
        if text != "":
            if _SOFT_HYPHEN in text:
                return None
            frag._fkind = _TEXT
            if hanging_strip:
                text = reportlab_paragraph.lstrip(text)
                if not text:
                    continue
                hanging_strip = False
            # reportlab's split: at any white space, except that a no-break space joins.
            parts = _split_at_breaking_spaces(text) if "\xa0" in text else text.split()
            if text[0] in whitespace or not parts:
                if word:
                    word.insert(0, width)
                    add_word(word)
                    hanging_space = False
                    word = []
                    width = 0
                else:
                    hanging_space = bool(words) and isinstance(words[-1], _HSFrag)
                if not hanging_space:
                    parts.insert(0, "")
                elif not parts:
                    continue
            font_name, font_size = frag.fontName, frag.fontSize
            for part in parts[:-1]:
                if word:
                    word.append((frag, part))
                    width += string_width(part, font_name, font_size)
                    word.insert(0, width)
                    add_word(_HSFrag(word))
                    word = []
                    width = 0
                else:  # the usual word, made at once: 0 + its width is its width
                    add_word(_HSFrag((string_width(part, font_name, font_size), (frag, part))))
            part = parts[-1]
            word.append((frag, part))
            width += string_width(part, font_name, font_size)
            if text and text[-1] in whitespace:
                word.insert(0, width)
                add_word(_HSFrag(word))
                word = []
                width = 0
        elif "cbDefn" in attributes:
            if getattr(frag.cbDefn, "width", 0):
                return None  # an image or a sized callback
            frag._fkind = _APPEND
            if not word and words and isinstance(words[-1], _HSFrag):
                words[-1].append((frag, ""))
            else:
                word.append((frag, ""))
        elif "lineBreak" in attributes:
            if word:
                word.insert(0, width)
                add_word(word)
                word = []
                width = 0
            frag._fkind = _BREAK
            add_word([0, (frag, "")])
            hanging_strip = True
    if word:
        word.insert(0, width)
        add_word(word)
    if not words:
        first = frags[0]
        first._fkind = _TEXT
        words = [[0, (first, "")]]
    return words


class _Breaker:
    """The state of reportlab's line breaking of fragment words (the branch for several fragments), for one paragraph."""

    def __init__(self, style: object, widths: list[float]) -> None:
        self.widths = widths
        self.last_line = len(widths) - 1
        self.shrinkage = style.spaceShrinkage
        self.split_long_words = style.splitLongWords
        self.justify_breaks = style.justifyBreaks

    def run(self, fragment_words: list[list]) -> tuple[list[FragLine], float] | None:
        """Return the lines and the widest line's width, or None where a word is wider than its line (reportlab splits it)."""
        ascent_descent = reportlab_paragraph.getAscentDescent
        same_frag = reportlab_paragraph.sameFrag
        widths, last_line, shrinkage = self.widths, self.last_line, self.shrinkage
        not_justified_breaks = not self.justify_breaks
        lines: list[FragLine] = []
        width_max = 0
        line_number = 0
        max_width = widths[0]
        words: list = []
        # reportlab's names are kept for the state it carries from word to word.
        n = space_width = current_width = 0
        max_size = max_ascent = min_descent = 0
        g = g_source = None
        # The fragment whose font and size the line's extremes last took in: taking them in
        # again changes nothing, and most words come from the fragment before them.
        measured = None
        spaces: dict[tuple, float] = {}  # the width of a space by font and size
        sfw = 0
        index, total = -1, len(fragment_words)
        while index + 1 < total:
            index += 1
            w = fragment_words[index]
            f = w[-1][0]
            font_name = f.fontName
            font_size = f.fontSize
            if not words:
                n = space_width = current_width = 0
                max_size = font_size
                max_ascent, min_descent = ascent_descent(font_name, font_size)
                measured = w[-1][0]
            word_width = w[0]
            f = w[1][0]
            new_width = current_width + space_width + word_width if word_width > 0 else current_width
            line_break = f._fkind == _BREAK
            limit = max_width
            if shrinkage:
                limit += _plus_spaces(space_width, words, spaces) * shrinkage
            if not line_break and new_width > limit and "cbDefn" not in f.__dict__ and self.split_long_words:
                first = min(line_number, last_line)
                if word_width > max(widths[first : first + 1]):
                    return None  # reportlab splits the word
            if not ((new_width > limit and n > 0) or line_break):
                text = w[1][1]
                if text:
                    n += 1
                font_size = f.fontSize
                if f is not measured:
                    ascent, descent = ascent_descent(f.fontName, font_size)
                    max_size = max(max_size, font_size)
                    max_ascent = max(max_ascent, ascent)
                    min_descent = min(min_descent, descent)
                    measured = f
                if not words:
                    g = f.clone()
                    g_source = f
                    words = [g]
                    g.text = text
                elif not (f is g_source and f._fkind == _TEXT and "cbDefn" not in f.__dict__ and "lineBreak" not in f.__dict__) and not same_frag(g, f):
                    if space_width:
                        i = len(words) - 1
                        while i >= 0:
                            wi = words[i]
                            i -= 1
                            if wi._fkind == _TEXT:
                                if not wi.text.endswith(" "):
                                    wi.text += " "
                                break
                    g = f.clone()
                    g_source = f
                    words.append(g)
                    g.text = text
                elif space_width:
                    if not g.text.endswith(" "):
                        g.text += " " + text
                    else:
                        g.text += text
                else:
                    g.text += text
                # As reportlab: the font of the word's last fragment, the size of its first.
                space_width = _space_width(spaces, font_name, font_size) if isinstance(w, _HSFrag) else 0
                if len(w) > 2:
                    any_text = 0
                    for source, text in w[2:]:
                        g = source.clone()
                        g_source = source
                        g.text = text
                        if text:
                            any_text = 1
                        words.append(g)
                        font_size = g.fontSize
                        ascent, descent = ascent_descent(g.fontName, font_size)
                        max_size = max(max_size, font_size)
                        max_ascent = max(max_ascent, ascent)
                        min_descent = min(min_descent, descent)
                        measured = source
                    if not w[1][1] and any_text:
                        n += 1
                current_width = new_width
                if space_width and f is g_source and len(w) == 2 and type(w) is _HSFrag and words[-1] is g and not g.text.endswith(" "):
                    # The words that follow from the same text fragment, each followed by
                    # a space, while they fit: taken in a loop of their own, with the same
                    # arithmetic in the same order. Their fragment's metrics are in the
                    # line's extremes already, and the space after each is this one's.
                    prefix = last_space = last_spaces = 0
                    if shrinkage:
                        # The line's shrinkable space: what the space after the word adds,
                        # each earlier piece's spaces, then the last piece's (which grow).
                        prefix = _plus_spaces(space_width, words[:-1], spaces)
                        last_space = _space_width(spaces, g.fontName, g.fontSize)
                        last_spaces = g.text.count(" ")
                    texts = []
                    while index + 1 < total:
                        following = fragment_words[index + 1]
                        if type(following) is not _HSFrag or len(following) != 2 or following[1][0] is not f:
                            break
                        word_width = following[0]
                        if word_width <= 0:
                            break
                        new_width = current_width + space_width + word_width
                        if shrinkage:
                            shrink = prefix + last_spaces * last_space if last_spaces else prefix
                            limit = max_width + shrink * shrinkage
                        else:
                            limit = max_width
                        if new_width > limit:
                            break  # the end of the line, or a word too long: as any other word
                        index += 1
                        n += 1
                        texts.append(following[1][1])
                        last_spaces += 1
                        current_width = new_width
                    if texts:
                        g.text += " " + " ".join(texts)
                        measured = f
                continue
            if line_break:
                g = f.clone()
                g_source = f
                words.append(g)
                kept_break = not_justified_breaks
            else:
                kept_break = False
            if current_width > width_max:
                width_max = current_width
            lines.append(_line(max_width, current_width, n, kept_break, words, max_size, max_ascent, min_descent, sfw))
            sfw = index
            line_number += 1
            max_width = widths[min(last_line, line_number)]
            if line_break:
                words = []
                continue
            space_width = _space_width(spaces, font_name, font_size) if isinstance(w, _HSFrag) else 0
            current_width = word_width
            n = 1
            g = f.clone()
            g_source = f
            max_size = g.fontSize
            max_ascent, min_descent = ascent_descent(g.fontName, max_size)
            measured = f
            words = [g]
            g.text = w[1][1]
            for source, text in w[2:]:
                g = source.clone()
                g_source = source
                g.text = text
                words.append(g)
                font_size = g.fontSize
                ascent, descent = ascent_descent(g.fontName, font_size)
                max_size = max(max_size, font_size)
                max_ascent = max(max_ascent, ascent)
                min_descent = min(min_descent, descent)
                measured = source
        if words:
            if current_width > width_max:
                width_max = current_width
            lines.append(_line(max_width, current_width, n, False, words, max_size, max_ascent, min_descent, sfw))
        return lines, width_max


def _plus_spaces(width: float, pieces: list, spaces: dict[tuple, float]) -> float:
    """Return ``width`` plus the width of every space in the text ``pieces``, piece by piece in order, as reportlab sums a line's shrinkable space."""
    for piece in pieces:
        if piece._fkind == _TEXT:
            count = piece.text.count(" ")
            if count:
                width += count * _space_width(spaces, piece.fontName, piece.fontSize)
    return width


def _space_width(spaces: dict[tuple, float], font_name: str, font_size: float) -> float:
    """Return the width of a space in a font at a size, as reportlab measures it, from ``spaces`` (one paragraph's) where it was measured before."""
    key = (font_name, font_size)
    width = spaces.get(key)
    if width is None:
        width = spaces[key] = reportlab_paragraph.stringWidth(" ", font_name, font_size)
    return width


def _line(max_width: float, width: float, count: int, kept_break: bool, words: list, size: float, ascent: float, descent: float, first_word: int) -> FragLine:
    """Return a finished line as reportlab makes it: its attributes in reportlab's order (the unused width first)."""
    return FragLine(
        extraSpace=max_width - width,
        wordCount=count,
        lineBreak=kept_break,
        words=words,
        fontSize=size,
        ascent=ascent,
        descent=descent,
        maxWidth=max_width,
        sFW=first_word,
    )
