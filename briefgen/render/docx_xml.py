"""Small builders for WordprocessingML elements shared by the DOCX renderer's modules.

The builders take lengths in points and emit Word's units (twips for spacing and
indents, half-points for type sizes, eighths of a point for borders), so the rest of the
renderer reads in the same unit as :class:`briefgen.document.Style`.

Children are always appended in the order the OOXML schema requires; Word reports a
document as damaged when they are not, even where LibreOffice would not mind.
"""

from __future__ import annotations

import copy
import re

from docx.oxml.parser import oxml_parser
from lxml import etree

#: Characters XML 1.0 cannot hold at all; lxml refuses them, so they are dropped.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

#: The WordprocessingML namespace in lxml's "{namespace}" form, ready to prefix a local name.
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_W_NSMAP = {"w": W[1:-1]}
_PRESERVE_SPACE = {"{http://www.w3.org/XML/1998/namespace}space": "preserve"}

# python-docx's parser, so elements get its element classes as if python-docx made them.
_make_element = oxml_parser.makeelement
# Creating an element inside its parent is several times faster than appending a detached
# one, which lxml must move into the parent's document; the body is built this way.
_sub_element = etree.SubElement


def w(tag: str, *children: etree._Element | None, **attrs: object) -> etree._Element:
    """Return a new ``w:tag`` element with ``w:``-prefixed ``attrs`` and the given children."""
    element = _make_element(W + tag, _attributes(attrs), _W_NSMAP)
    for child in children:
        if child is not None:
            element.append(child)
    return element


def sub(parent: etree._Element, tag: str, **attrs: object) -> etree._Element:
    """Append a new ``w:tag`` element with ``w:``-prefixed ``attrs`` to ``parent`` and return it."""
    return _sub_element(parent, W + tag, _attributes(attrs))


def sub_text(parent: etree._Element, text: str) -> etree._Element:
    """Append a ``w:t`` holding ``text``, leading and trailing spaces kept, to ``parent`` and return it."""
    element = _sub_element(parent, W + "t", _PRESERVE_SPACE)
    element.text = text
    return element


def append_copy(parent: etree._Element, template: etree._Element) -> etree._Element:
    """Append a deep copy of ``template`` to ``parent`` and return it."""
    # One copy of a prebuilt subtree costs about as much as making two of its elements.
    element = copy.deepcopy(template)
    parent.append(element)
    return element


def _attributes(attrs: dict[str, object]) -> dict[str, str] | None:
    if not attrs:
        return None
    return {W + name: _attr_value(value) for name, value in attrs.items()}


def _attr_value(value: object) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def twips(points: float) -> int:
    """Return ``points`` in twentieths of a point, Word's unit for spacing and indents."""
    return round(points * 20)


def half_points(points: float) -> int:
    """Return ``points`` in half-points, Word's unit for type sizes."""
    return round(points * 2)


def clean_text(text: str) -> str:
    """Return ``text`` without the control characters that XML cannot represent."""
    return _XML_ILLEGAL.sub("", text)


def text_element(text: str) -> etree._Element:
    """Return a ``w:t`` holding ``text`` with its leading and trailing spaces kept."""
    element = _make_element(W + "t", _PRESERVE_SPACE, _W_NSMAP)
    element.text = text
    return element


def fonts(name: str) -> etree._Element:
    """Return ``w:rFonts`` naming ``name`` for every script, so Cyrillic uses it too."""
    # Word sets Cyrillic in the hAnsi slot, CJK-tagged text in eastAsia and complex scripts
    # in cs; naming only ascii would leave those to the theme's fonts.
    return w("rFonts", ascii=name, hAnsi=name, eastAsia=name, cs=name)


def size(points: float) -> list[etree._Element]:
    """Return the ``w:sz`` and ``w:szCs`` pair that sets the type size to ``points``."""
    return [w("sz", val=half_points(points)), w("szCs", val=half_points(points))]


def spacing(before: float | None = None, after: float | None = None, leading: float | None = None) -> etree._Element:
    """Return ``w:spacing`` with space before/after in points and line height as a multiple."""
    attrs: dict[str, object] = {}
    if before is not None:
        attrs["before"] = twips(before)
    if after is not None:
        attrs["after"] = twips(after)
    if leading is not None:
        attrs["line"] = round(240 * leading)  # "auto" lines are counted in 240ths
        attrs["lineRule"] = "auto"
    return w("spacing", **attrs)


def border(side: str, colour: str, width: float, space: float = 0) -> etree._Element:
    """Return a single-line border ``w:side`` of ``width`` points, ``space`` points from the text."""
    return w(side, val="single", sz=round(width * 8), space=round(space), color=colour)


def shading(fill: str) -> etree._Element:
    """Return ``w:shd`` that fills the background with the colour ``fill``."""
    return w("shd", val="clear", color="auto", fill=fill)


def run_properties(
    *,
    style_id: str | None = None,
    font: str | None = None,
    bold: bool = False,
    italic: bool = False,
    colour: str | None = None,
    points: float | None = None,
    underline: bool = False,
    superscript: bool = False,
    small_caps: bool = False,
    tracking: float | None = None,
) -> etree._Element:
    """Return ``w:rPr`` with the given properties, children in schema order."""
    rpr = w("rPr")
    if style_id:
        rpr.append(w("rStyle", val=style_id))
    if font:
        rpr.append(fonts(font))
    if bold:
        rpr.extend([w("b"), w("bCs")])
    if italic:
        rpr.extend([w("i"), w("iCs")])
    if small_caps:
        rpr.append(w("smallCaps"))
    if colour:
        rpr.append(w("color", val=colour))
    if tracking:
        rpr.append(w("spacing", val=twips(tracking)))  # letter spacing, in twips
    if points:
        rpr.extend(size(points))
    if underline:
        rpr.append(w("u", val="single"))
    if superscript:
        rpr.append(w("vertAlign", val="superscript"))
    return rpr


def add_field_start(parent: etree._Element, instruction: str, rpr: etree._Element | None = None) -> None:
    """Append the runs that open a complex field: its begin mark, ``instruction`` and separator."""
    sub(_add_field_run(parent, rpr), "fldChar", fldCharType="begin")
    instruction_text = _sub_element(_add_field_run(parent, rpr), W + "instrText", _PRESERVE_SPACE)
    instruction_text.text = f" {instruction} "
    sub(_add_field_run(parent, rpr), "fldChar", fldCharType="separate")


def add_field_end(parent: etree._Element, rpr: etree._Element | None = None) -> None:
    """Append the run that closes a complex field."""
    sub(_add_field_run(parent, rpr), "fldChar", fldCharType="end")


def add_field(parent: etree._Element, instruction: str, result: str, rpr: etree._Element | None = None) -> None:
    """Append the runs of a complex field computing ``instruction``, showing ``result`` until updated."""
    add_field_start(parent, instruction, rpr)
    if result:
        sub_text(_add_field_run(parent, rpr), result)
    add_field_end(parent, rpr)


def field(instruction: str, result: str, rpr: etree._Element | None = None) -> list[etree._Element]:
    """Return the runs of a complex field computing ``instruction``, showing ``result`` until updated."""
    holder = w("p")
    add_field(holder, instruction, result, rpr)
    return list(holder)


def _add_field_run(parent: etree._Element, rpr: etree._Element | None) -> etree._Element:
    run = sub(parent, "r")
    if rpr is not None and len(rpr):
        append_copy(run, rpr)
    return run


def tab_stop(kind: str, position: int, leader: str | None = None) -> etree._Element:
    """Return a ``w:tab`` stop of ``kind`` (left, center, right, clear) at ``position`` twips."""
    attrs: dict[str, object] = {"val": kind}
    if leader:
        attrs["leader"] = leader
    attrs["pos"] = position
    return w("tab", **attrs)
