"""Paragraph markup as briefgen writes it → reportlab's paragraph fragments, the ones reportlab's own parser makes, in a fraction of its time.

reportlab parses paragraph markup with Python's ``html.parser`` and a handler per tag that
copies the current fragment, validates attributes through several layers and looks up
missing attributes through ``__getattr__``; parsing took an eighth of a long pack's
layout. :func:`fragments` reads the small markup language ``pdf._InlineWriter`` writes
(``b``, ``i``, ``a href``/``a name``, ``super``, ``br`` and the entities of
``xml.sax.saxutils.escape``) in one pass and builds the same fragments: the same
attributes, set in the same order, from the same reportlab functions where a value is
computed (font names, superscript sizes). Anything else returns None, and the caller
hands the markup to reportlab's parser, which also reports its errors.
"""

from __future__ import annotations

import html
import re

from reportlab import rl_config
from reportlab.lib.abag import ABag
from reportlab.lib.colors import Color, toColor
from reportlab.lib.fonts import ps2tt, tt2ps
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus.paraparser import ParaFrag, fontSizeNormalize, known_entities, sizeDelta, supFraction

__all__ = ["copied_bag", "fragments"]

# The markup, token by token: a tag, an entity or text. Attribute values hold no quote,
# since the writer escapes it as an entity.
_TOKEN = re.compile(
    r'<(?P<close>/)?(?P<tag>[a-z]+)(?P<attributes>(?: [a-z]+="[^"]*")*)(?P<empty>/)?>'
    r"|&(?P<entity>[a-z]+);"
    r"|(?P<text>[^<&]+)"
)
_ATTRIBUTE = re.compile(r' ([a-z]+)="([^"]*)"')
_PARA_TAG = re.compile(r"^\s*<\s*para(?:\s+|>|/>)")  # reportlab's test for an explicit <para> wrapper
_STYLE_TAGS = {"b": "bold", "strong": "bold", "i": "italic", "em": "italic"}

# Colours named in markup, converted once: reportlab's conversion of "#RRGGBB" is slow.
_colours: dict[str, Color] = {}
_postscript_names: dict[tuple[str, int, int], str] = {}
# (rise, size) attributes and the fragment's font size and rise → its raised rise and size.
_superscripts: dict[tuple, tuple] = {}


def fragments(markup: str, style: ParagraphStyle) -> list[ParaFrag] | None:
    """Return the fragments reportlab's parser makes of ``markup`` in ``style``, or None for markup outside the language briefgen writes."""
    if _PARA_TAG.match(markup) or getattr(style, "linkUnderline", rl_config.platypus_link_underline):
        return None
    top = _first_fragment(style)
    stack = [top]
    made: list[ParaFrag] = []
    links = 0
    position, end = 0, len(markup)
    while position < end:
        token = _TOKEN.match(markup, position)
        if token is None:
            return None
        position = token.end()
        text = token["text"]
        if text is None and token["entity"] is not None:
            text = known_entities.get(token["entity"])
            if text is None:
                return None
        if text is not None:
            if "cbDefn" in top.__dict__ or "_selfClosingTag" in top.__dict__:
                return None  # text inside an anchor or a line break
            made.append(_text_fragment(top, text))
            continue
        tag = token["tag"]
        if token["close"]:
            if token["attributes"] or token["empty"] or not _closes(stack, tag):
                return None
            stack.pop()
            top = stack[-1]
            continue
        attributes = dict(_ATTRIBUTE.findall(token["attributes"]))
        pushed = _pushed(top, tag, attributes, links)
        if pushed is None:
            return None
        if "href" in attributes:  # a link: reportlab numbers them
            links += 1
        if token["empty"]:
            # As reportlab's end handlers: an anchor or a line break is an empty fragment.
            if tag == "a" and "_selfClosingTag" in pushed.__dict__:
                definition = pushed.cbDefn = ABag()
                definition.label = definition.kind = "anchor"
                definition.name = pushed.name
                del pushed.name, pushed._selfClosingTag
            elif tag == "br":
                del pushed._selfClosingTag
            else:
                return None
            made.append(_text_fragment(pushed, ""))
            continue
        if tag == "br":
            return None  # <br> opened and closed separately: leave it to reportlab
        stack.append(pushed)
        top = pushed
    if len(stack) != 1:
        return None
    return made


def _first_fragment(style: ParagraphStyle) -> ParaFrag:
    """Return the fragment reportlab starts a paragraph of ``style`` with (``ParaParser._initial_frag`` and ``start_para``)."""
    fragment = ParaFrag()
    fragment.rise = 0
    fragment.greek = 0
    fragment.link = []
    fragment.fontName, fragment.bold, fragment.italic = ps2tt(style.fontName)
    fragment.fontSize = style.fontSize
    fragment.textColor = style.textColor
    fragment.us_lines = []
    fragment.__tag__ = "para"
    return fragment


def copied_bag(bag: ABag, **attributes: object) -> ABag:
    """Return a copy of a reportlab attribute bag (a fragment, a line) with ``attributes`` added: the copy ``copy.copy`` and ``ABag.clone`` make, without their generic machinery."""
    copied = object.__new__(type(bag))
    copied.__dict__.update(bag.__dict__)
    if attributes:
        copied.__dict__.update(attributes)
    return copied


def _text_fragment(top: ParaFrag, text: str) -> ParaFrag:
    """Return the fragment of ``text`` under ``top``, as reportlab's ``handle_data`` makes it."""
    fragment = copied_bag(top)
    key = (top.fontName, top.bold, top.italic)
    name = _postscript_names.get(key)
    if name is None:
        name = _postscript_names[key] = tt2ps(*key)
    fragment.fontName = name
    fragment.text = text
    return fragment


def _closes(stack: list[ParaFrag], tag: str) -> bool:
    return len(stack) > 1 and stack[-1].__tag__ == tag


def _pushed(top: ParaFrag, tag: str, attributes: dict[str, str], links: int) -> ParaFrag | None:
    """Return the fragment reportlab's start handler for ``tag`` pushes on ``top``, or None for a tag or attribute it is not written with."""
    fragment = copied_bag(top)
    fragment.__tag__ = tag
    if tag in _STYLE_TAGS:
        if attributes:
            return None
        setattr(fragment, _STYLE_TAGS[tag], 1)
    elif tag == "a" and set(attributes) == {"name"}:
        name = html.unescape(attributes["name"])
        if not name.strip():
            return None
        fragment.name = name  # kept as written; only checked stripped
        fragment._selfClosingTag = "anchor"
    elif tag == "a" and "href" in attributes and set(attributes) <= {"href", "color"}:
        # _handle_link: the attributes in the order written, then the link list.
        if "color" in attributes:
            colour = _colours.get(attributes["color"])
            if colour is None:
                colour = _colours[attributes["color"]] = toColor(html.unescape(attributes["color"]))
            fragment.textColor = colour
        fragment.link = top.link + [(links, html.unescape(attributes["href"]).strip())]
    elif tag == "super" and set(attributes) <= {"size", "rise"}:
        for name, value in attributes.items():
            setattr(fragment, "sups" if name == "size" else "supr", html.unescape(value))
        key = (attributes.get("rise"), attributes.get("size"), top.fontSize, top.rise)
        raised = _superscripts.get(key)
        if raised is None:
            try:
                rise = fragment.rise + fontSizeNormalize(fragment, "supr", fragment.fontSize * supFraction)
                fragment.rise = rise
                size = fontSizeNormalize(fragment, "sups", fragment.fontSize - min(sizeDelta, 0.2 * fragment.fontSize))
            except (ValueError, TypeError):
                return None  # reportlab reports the attribute
            raised = _superscripts[key] = (rise, size)
        fragment.rise, fragment.fontSize = raised
    elif tag == "br" and not attributes:
        fragment._selfClosingTag = "br"
        fragment.lineBreak = True
        fragment.text = ""
    else:
        return None
    return fragment
