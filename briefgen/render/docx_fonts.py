"""The house fonts of a rendered .docx: font table, theme fonts and embedded font files.

Word shows a note in its intended typeface on a machine without that typeface only if
the font files travel inside the .docx. Word stores them obfuscated (ECMA-376 Part 1,
§17.8.1): the first 32 bytes of the font are XORed with a key taken from a GUID that the
font table names. Deriving that GUID from the font file's hash keeps the output
byte-identical from run to run.

Deflating the eight shipped fonts (2.9 MB) took a fifth of a second of every build, so
each lies ready beside its font file in the package, obfuscated and deflated, in a
``.odttf.deflate`` file; ``python -m briefgen.render.docx_fonts`` writes them anew after
a shipped font changes. They serve whatever zlib Python links: another zlib might deflate
a font to other, equally valid bytes, so the fonts' bytes in a .docx no longer depend on it.
"""

from __future__ import annotations

import hashlib
import struct
import uuid
import zlib
from pathlib import Path

from docx.opc.constants import CONTENT_TYPE as CT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.opc.part import Part, XmlPart
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from lxml import etree

from briefgen.document import Document, FontFamily
from briefgen.resources import FONTS_DIR

from .docx_package import DeflatedPart, deflate
from .docx_xml import w

OBFUSCATED_FONT = "application/vnd.openxmlformats-officedocument.obfuscatedFont"
_THEME_NS = {"a": "http://schemas.openxmlformats.org/drawingml/2006/main"}

#: The font table's element for each style of a family, in the order the schema requires.
_EMBED_ELEMENTS = (
    ("embedRegular", "regular"),
    ("embedBold", "bold"),
    ("embedItalic", "italic"),
    ("embedBoldItalic", "bold_italic"),
)


def embed_fonts(word, document: Document) -> bool:
    """Replace the font table by the house fonts with their files embedded; return whether any were."""
    # The theme names them too, so a built-in style the reader adds later uses them.
    families = _house_families(document)
    if not families:
        return False
    _set_theme_fonts(word, document)
    font_table = XmlPart(
        PackURI("/word/fontTable.xml"),
        CT.WML_FONT_TABLE,
        parse_xml(f"<w:fonts {nsdecls('w', 'r')}/>"),
        word.part.package,
    )
    _replace_relationship(word.part, RT.FONT_TABLE, font_table)
    embedded = 0
    for family in families:
        entry = w("font", w("charset", val="00"), w("family", val="auto"), w("pitch", val="variable"), name=family.name)
        seen_paths: set[str] = set()
        for element_name, attribute in _EMBED_ELEMENTS:
            path = getattr(family, attribute)
            data = Path(path).read_bytes()
            # A style sharing another's file is left to Word to synthesise, not shown upright.
            if path in seen_paths or not embedding_allowed(data):
                continue
            seen_paths.add(path)
            embedded += 1
            entry.append(_embedded_font(font_table, Path(path), data, element_name, embedded))
        font_table.element.append(entry)
    return embedded > 0


def _house_families(document: Document) -> list[FontFamily]:
    families: dict[str, FontFamily] = {}
    for family in (document.style.body_font, document.style.heading_font):
        if family is not None and family.name not in families:
            families[family.name] = family
    return list(families.values())


def embedding_allowed(data: bytes) -> bool:
    """Return whether ``data`` is a TrueType font whose licence bits (OS/2 ``fsType``) permit embedding."""
    if data[:4] not in (b"\x00\x01\x00\x00", b"true"):
        return False  # Word embeds TrueType outlines only, not CFF ("OTTO") fonts
    (table_count,) = struct.unpack(">H", data[4:6])
    for index in range(table_count):
        tag, _checksum, offset, _length = struct.unpack(">4sIII", data[12 + 16 * index : 28 + 16 * index])
        if tag == b"OS/2":
            (fs_type,) = struct.unpack(">H", data[offset + 8 : offset + 10])
            restricted = fs_type & 0x000F == 0x0002
            bitmap_only = bool(fs_type & 0x0200)
            return not (restricted or bitmap_only)
    return True  # no OS/2 table: no restriction is declared


def _embedded_font(font_table: XmlPart, path: Path, data: bytes, element_name: str, number: int) -> etree._Element:
    key = font_key(data)
    blob = obfuscate(data, key)
    deflated = shipped_deflated_font(path, key) or deflate(blob)
    part = DeflatedPart(PackURI(f"/word/fonts/font{number}.odttf"), OBFUSCATED_FONT, blob, font_table.package, deflated)
    element = w(element_name, fontKey=key)
    element.set(qn("r:id"), font_table.relate_to(part, RT.FONT))
    return element


def font_key(data: bytes) -> str:
    """Return the GUID, in Word's ``{XXXXXXXX-…}`` form, that obfuscates the font ``data``."""
    return "{" + str(uuid.UUID(bytes=hashlib.sha256(data).digest()[:16])).upper() + "}"


def obfuscate(data: bytes, key: str) -> bytes:
    """Return font ``data`` obfuscated (or, applied again, restored) with the GUID ``key``, per ECMA-376 §17.8.1."""
    # The key is the GUID's 16 bytes, last hex pair first, XORed twice over the first 32 bytes.
    key_bytes = bytes.fromhex(key.strip("{}").replace("-", ""))[::-1]
    head = bytes(byte ^ key_bytes[index % 16] for index, byte in enumerate(data[:32]))
    return head + data[32:]


def deflated_font_path(font: Path) -> Path:
    """Return where the shipped font file ``font`` lies ready, obfuscated and deflated, for a .docx."""
    return font.with_name(font.stem + ".odttf.deflate")


def shipped_deflated_font(font: Path, key: str) -> bytes | None:
    """Return the shipped font ``font`` obfuscated with ``key`` and deflated, or None unless the package holds exactly that."""
    # The file starts with a line naming the key of the font it was made from, and so its
    # contents: a font changed without the file being written anew is deflated afresh.
    if font.parent != FONTS_DIR:
        return None  # only the package's own files are trusted to hold what they claim
    try:
        stored = deflated_font_path(font).read_bytes()
    except OSError:
        return None
    header, _, deflated = stored.partition(b"\n")
    return deflated if header.split(b" ")[0] == key.encode("ascii") else None


def write_deflated_fonts() -> list[Path]:
    """Write the ready .docx form of every shipped font (see :func:`shipped_deflated_font`); return the files written."""
    written = []
    for font in sorted(FONTS_DIR.glob("*.ttf")):
        data = font.read_bytes()
        key = font_key(data)
        # The zlib version is noted for the tests: another zlib may deflate the same font to other (equally valid) bytes.
        header = f"{key} zlib {zlib.ZLIB_RUNTIME_VERSION}\n".encode("ascii")
        target = deflated_font_path(font)
        target.write_bytes(header + deflate(obfuscate(data, key)))
        written.append(target)
    return written


def _set_theme_fonts(word, document: Document) -> None:
    try:
        theme = word.part.part_related_by(RT.THEME)
    except KeyError:
        return
    root = etree.fromstring(theme.blob)
    style = document.style
    for slot, family in (("majorFont", style.heading_font), ("minorFont", style.body_font)):
        latin = root.find(f".//a:fontScheme/a:{slot}/a:latin", _THEME_NS)
        if latin is not None and family is not None:
            latin.set("typeface", family.name)
    blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    _replace_relationship(word.part, RT.THEME, Part(theme.partname, theme.content_type, blob, theme.package))


def _replace_relationship(source: Part, reltype: str, target: Part) -> None:
    """Point ``source``'s relationship of ``reltype`` at ``target`` instead of the template's part."""
    for rel_id, rel in list(source.rels.items()):
        if rel.reltype == reltype:
            del source.rels[rel_id]
    source.relate_to(target, reltype)


if __name__ == "__main__":
    for written in write_deflated_fonts():
        print(f"wrote {written}")
