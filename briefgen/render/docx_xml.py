"""Small builders for WordprocessingML elements shared by the DOCX renderer's modules.

The builders take lengths in points and emit Word's units (twips for spacing and
indents, half-points for type sizes, eighths of a point for borders), so the rest of the
renderer reads in the same unit as :class:`briefgen.document.Style`.

Children are always appended in the order the OOXML schema requires; Word reports a
document as damaged when they are not, even where LibreOffice would not mind.

Large parts (the body, the footnotes) are written as XML text rather than element trees: a
1000-statement pack holds a million and a half elements, which lxml builds slowly and
holds in hundreds of megabytes. The text builders escape exactly as lxml serialises, so
either way of writing gives the same bytes.
"""

from __future__ import annotations

import re

from docx.oxml.parser import element_class_lookup, oxml_parser
from lxml import etree

#: Characters XML 1.0 cannot hold at all; lxml refuses them, so they are dropped.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

#: The WordprocessingML namespace in lxml's "{namespace}" form, ready to prefix a local name.
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
#: The namespaces XML text written here uses, by the prefixes it writes them with.
TEXT_NAMESPACES = {"w": W[1:-1], "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships"}
_W_NSMAP = {"w": W[1:-1]}
_PRESERVE_SPACE = {"{http://www.w3.org/XML/1998/namespace}space": "preserve"}

# python-docx's parser, so elements get its element classes as if python-docx made them.
_make_element = oxml_parser.makeelement


def w(tag: str, *children: etree._Element | None, **attrs: object) -> etree._Element:
    """Return a new ``w:tag`` element with ``w:``-prefixed ``attrs`` and the given children."""
    element = _make_element(W + tag, _attributes(attrs), _W_NSMAP)
    for child in children:
        if child is not None:
            element.append(child)
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


def field_start_xml(instruction: str, rpr_xml: str = "") -> str:
    """Return the runs that open a complex field, as text: its begin mark, ``instruction`` and separator."""
    return (
        f'<w:r>{rpr_xml}<w:fldChar w:fldCharType="begin"/></w:r>'
        f'<w:r>{rpr_xml}<w:instrText xml:space="preserve"> {escape_text(instruction)} </w:instrText></w:r>'
        f'<w:r>{rpr_xml}<w:fldChar w:fldCharType="separate"/></w:r>'
    )


def field_end_xml(rpr_xml: str = "") -> str:
    """Return the run that closes a complex field, as text."""
    return f'<w:r>{rpr_xml}<w:fldChar w:fldCharType="end"/></w:r>'


def field_xml(instruction: str, result: str, rpr_xml: str = "") -> str:
    """Return the runs of a complex field computing ``instruction``, showing ``result`` until updated, as text."""
    shown = f"<w:r>{rpr_xml}{text_xml(result)}</w:r>" if result else ""
    return field_start_xml(instruction, rpr_xml) + shown + field_end_xml(rpr_xml)


def field(instruction: str, result: str, rpr: etree._Element | None = None) -> list[etree._Element]:
    """Return the runs of a complex field computing ``instruction``, showing ``result`` until updated."""
    return parse_fragment(field_xml(instruction, result, "" if rpr is None else markup(rpr)), prefixes=("w",))


# --- XML as text --------------------------------------------------------------------


def escape_text(text: str) -> str:
    """Return ``text`` escaped for element content, as lxml writes it."""
    # Chained replacements run at C speed; a body holds tens of megabytes of text.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


def escape_attribute(value: str) -> str:
    """Return ``value`` escaped for a double-quoted attribute, as lxml writes it."""
    return (
        escape_text(value)
        .replace('"', "&quot;")
        .replace("\n", "&#10;")
        .replace("\t", "&#9;")
    )


def attributes_xml(**attrs: object) -> str:
    """Return ``attrs`` as ``w:``-prefixed attribute text, each with its leading space."""
    return "".join(f' w:{name}="{escape_attribute(_attr_value(value))}"' for name, value in attrs.items())


def empty_xml(tag: str, **attrs: object) -> str:
    """Return an empty ``w:tag`` element with ``w:``-prefixed ``attrs``, as text."""
    return f"<w:{tag}{attributes_xml(**attrs)}/>"


def element_xml(tag: str, content: str, **attrs: object) -> str:
    """Return a ``w:tag`` element with ``w:``-prefixed ``attrs`` around the XML text ``content``."""
    if not content:
        return empty_xml(tag, **attrs)
    return f"<w:{tag}{attributes_xml(**attrs)}>{content}</w:{tag}>"


def text_xml(text: str) -> str:
    """Return a ``w:t`` holding ``text`` with its leading and trailing spaces kept, as text."""
    return f'<w:t xml:space="preserve">{escape_text(text)}</w:t>'


def markup(element: etree._Element) -> str:
    """Return the XML text of ``element`` (built with :func:`w`) as it reads inside a part."""
    # A detached element declares the w prefix itself; inside a part its root does.
    return etree.tostring(element, encoding="unicode").replace(_W_DECLARATION, "", 1)


_W_DECLARATION = f' xmlns:w="{TEXT_NAMESPACES["w"]}"'


def parse_fragment(xml: str | bytes, prefixes: tuple[str, ...] = ("w", "r")) -> list[etree._Element]:
    """Return the elements of the XML text ``xml``, which uses ``prefixes`` of :data:`TEXT_NAMESPACES`."""
    # Only the prefixes used are declared: a declaration the part lacks would stay on each element.
    if isinstance(xml, str):
        xml = xml.encode()
    declarations = "".join(f' xmlns:{prefix}="{TEXT_NAMESPACES[prefix]}"' for prefix in prefixes)
    holder = etree.fromstring(b"<w:holder%s>%s</w:holder>" % (declarations.encode(), xml), _FRAGMENT_PARSER)
    return list(holder)


# With python-docx's element classes; huge_tree, since a whole body may be one fragment.
_FRAGMENT_PARSER = etree.XMLParser(resolve_entities=False, huge_tree=True)
_FRAGMENT_PARSER.set_element_class_lookup(element_class_lookup)


def tab_stop(kind: str, position: int, leader: str | None = None) -> etree._Element:
    """Return a ``w:tab`` stop of ``kind`` (left, center, right, clear) at ``position`` twips."""
    attrs: dict[str, object] = {"val": kind}
    if leader:
        attrs["leader"] = leader
    attrs["pos"] = position
    return w("tab", **attrs)
