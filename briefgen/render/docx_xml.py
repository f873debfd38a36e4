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

from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from lxml import etree

#: Characters XML 1.0 cannot hold at all; lxml refuses them, so they are dropped.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def w(tag: str, *children: etree._Element | None, **attrs: object) -> etree._Element:
    """Return a new ``w:tag`` element with ``w:``-prefixed ``attrs`` and the given children."""
    element = OxmlElement(f"w:{tag}")
    for name, value in attrs.items():
        element.set(qn(f"w:{name}"), _attr_value(value))
    for child in children:
        if child is not None:
            element.append(child)
    return element


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
    element = w("t")
    element.text = text
    element.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
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


def field_start(instruction: str, rpr: etree._Element | None = None) -> list[etree._Element]:
    """Return the runs that open a complex field: its begin mark, ``instruction`` and separator."""
    instruction_text = w("instrText")
    instruction_text.text = f" {instruction} "
    instruction_text.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    return [
        _field_run(w("fldChar", fldCharType="begin"), rpr),
        _field_run(instruction_text, rpr),
        _field_run(w("fldChar", fldCharType="separate"), rpr),
    ]


def field_end(rpr: etree._Element | None = None) -> etree._Element:
    """Return the run that closes a complex field."""
    return _field_run(w("fldChar", fldCharType="end"), rpr)


def field(instruction: str, result: str, rpr: etree._Element | None = None) -> list[etree._Element]:
    """Return the runs of a complex field computing ``instruction``, showing ``result`` until updated."""
    runs = field_start(instruction, rpr)
    if result:
        runs.append(_field_run(text_element(result), rpr))
    runs.append(field_end(rpr))
    return runs


def _field_run(content: etree._Element, rpr: etree._Element | None) -> etree._Element:
    run = w("r")
    if rpr is not None and len(rpr):
        run.append(copy.deepcopy(rpr))
    run.append(content)
    return run


def tab_stop(kind: str, position: int, leader: str | None = None) -> etree._Element:
    """Return a ``w:tab`` stop of ``kind`` (left, center, right, clear) at ``position`` twips."""
    attrs: dict[str, object] = {"val": kind}
    if leader:
        attrs["leader"] = leader
    attrs["pos"] = position
    return w("tab", **attrs)
