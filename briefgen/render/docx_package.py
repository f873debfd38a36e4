"""Package-level parts of a rendered .docx: footnotes, properties, settings and the zip itself.

python-docx has no footnote API and stamps zip entries with the current time; this module
supplies the footnotes part and writes the archive itself so the same document always gives
the same bytes.
"""

from __future__ import annotations

import datetime as dt
import io
import struct
import zlib
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass

from docx.opc.constants import CONTENT_TYPE as CT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import CONTENT_TYPES_URI, PACKAGE_URI, PackURI
from docx.opc.pkgwriter import _ContentTypesItem  # python-docx's own [Content_Types].xml
from docx.opc.oxml import serialize_part_xml
from docx.opc.part import Part
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from lxml import etree

from briefgen.document import Metadata

from .docx_xml import w

_NS = {"w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main"}
_STYLES_WITH_EFFECTS = "http://schemas.microsoft.com/office/2007/relationships/stylesWithEffects"

#: The fixed timestamp of every zip entry: the earliest a zip file can record.
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


# --- parts the template brings that a rendered note must not carry ------------------


def prune_template_parts(word, house: bool) -> None:
    """Drop the template's parts that would misdescribe the rendered note or clash with its content."""
    # The thumbnail shows the template's first page and app.xml claims its application and
    # word counts. A Word 2010 copy of the styles (stylesWithEffects) that differs from
    # styles.xml makes Word report unreadable content. The house template's bibliography
    # item is empty.
    package = word.part.package
    _drop_rels(package.rels, RT.THUMBNAIL, RT.EXTENDED_PROPERTIES)
    package.relate_to(_app_properties_part(package), RT.EXTENDED_PROPERTIES)
    _drop_rels(word.part.rels, _STYLES_WITH_EFFECTS)
    if house:
        _drop_rels(word.part.rels, RT.CUSTOM_XML)
    # The note brings its own footnotes; a reference document's would clash, and its
    # comments would point into the body that the note replaces.
    _drop_rels(word.part.rels, RT.FOOTNOTES, RT.COMMENTS)


def _drop_rels(rels, *reltypes: str) -> None:
    for rel_id, rel in list(rels.items()):
        if rel.reltype in reltypes:
            del rels[rel_id]


def _app_properties_part(package) -> Part:
    xml = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
        "<Application>briefgen</Application><DocSecurity>0</DocSecurity>"
        "<LinksUpToDate>false</LinksUpToDate><SharedDoc>false</SharedDoc>"
        "<HyperlinksChanged>false</HyperlinksChanged></Properties>"
    )
    return Part(PackURI("/docProps/app.xml"), CT.OFC_EXTENDED_PROPERTIES, xml.encode(), package)


# --- footnotes ----------------------------------------------------------------------

#: The ids Word gives the footnote separator and continuation separator; notes count from 1.
SEPARATOR_IDS = (-1, 0)


class Footnotes:
    """The footnotes part of one document, holding the two separators and numbered notes written as XML text."""

    def __init__(self, document_part):
        self.part = Part(PackURI("/word/footnotes.xml"), CT.WML_FOOTNOTES, None, document_part.package)
        document_part.relate_to(self.part, RT.FOOTNOTES)
        self._notes: list[bytes] = []

    def add_note(self, paragraph_xml: str) -> int:
        """Add a footnote holding the paragraph ``paragraph_xml`` (XML text) and return its id."""
        note_id = len(self._notes) + 1
        self._notes.append(f'<w:footnote w:id="{note_id}">{paragraph_xml}</w:footnote>'.encode())
        return note_id

    def xml(self) -> Iterator[bytes]:
        """Yield the XML of the footnotes part in pieces."""
        root = parse_xml(f"<w:footnotes {nsdecls('w', 'r')}/>")
        for note_id, kind in zip(SEPARATOR_IDS, ("separator", "continuationSeparator"), strict=True):
            root.append(_separator_note(note_id, kind))
        blob = serialize_part_xml(root)
        end = blob.rindex(b"</w:footnotes>")
        yield blob[:end]
        yield from self._notes
        yield blob[end:]


def _separator_note(note_id: int, kind: str) -> etree._Element:
    paragraph = w(
        "p",
        w("pPr", w("spacing", after=0, line=240, lineRule="auto")),
        w("r", w(kind)),
    )
    return w("footnote", paragraph, type=kind, id=note_id)


# --- settings -----------------------------------------------------------------------

# Where the schema puts the settings this module writes: embedTrueTypeFonts comes after
# the first few children below, footnotePr before the last ones.
_BEFORE_EMBED_FONTS = (
    "w:writeProtection", "w:view", "w:zoom", "w:removePersonalInformation", "w:removeDateAndTime",
    "w:doNotDisplayPageBoundaries", "w:displayBackgroundShape", "w:printPostScriptOverText",
    "w:printFractionalCharacterWidth", "w:printFormsData",
)  # fmt: skip
_AFTER_FOOTNOTE_PR = (
    "w:endnotePr", "w:compat", "w:docVars", "w:rsids", "m:mathPr", "w:attachedSchema", "w:themeFontLang",
    "w:clrSchemeMapping", "w:doNotIncludeSubdocsInStats", "w:doNotAutoCompressPictures", "w:forceUpgrade",
    "w:captions", "w:readModeInkLockDown", "w:smartTagType", "sl:schemaLibrary", "w:shapeDefaults",
    "w:doNotEmbedSmartTags", "w:decimalSymbol", "w:listSeparator",
)  # fmt: skip


def prepare_settings(settings, *, house: bool, footnotes: bool, embedded_fonts: bool) -> None:
    """Adjust settings.xml: tidy the house template, declare footnotes and embedded fonts."""
    if house:
        # Revision ids and a "spelling checked" mark from the template are not true of the note.
        for stale in ("w:rsids", "w:proofState", "w:attachedTemplate"):
            _remove(settings, stale)
        _set_compatibility_mode(settings, "15")
    _remove(settings, "w:footnotePr")  # a reference's would name separators that are gone
    if footnotes:
        settings.insert_element_before(_footnote_properties(), *_AFTER_FOOTNOTE_PR)
    if embedded_fonts:
        _remove(settings, "w:embedTrueTypeFonts")
        predecessors = [child for child in settings if child.tag in {qn(tag) for tag in _BEFORE_EMBED_FONTS}]
        if predecessors:
            predecessors[-1].addnext(w("embedTrueTypeFonts"))
        else:
            settings.insert(0, w("embedTrueTypeFonts"))


def _footnote_properties() -> etree._Element:
    return w("footnotePr", *(w("footnote", id=note_id) for note_id in SEPARATOR_IDS))


def _remove(settings, tag: str) -> None:
    for old in settings.findall(qn(tag)):
        settings.remove(old)


def _set_compatibility_mode(settings, mode: str) -> None:
    # Mode 15 (Word 2013+) keeps Word from opening the note in "Compatibility Mode".
    compat = settings.find(qn("w:compat"))
    if compat is None:
        return
    for setting in compat.findall(qn("w:compatSetting")):
        if setting.get(qn("w:name")) == "compatibilityMode":
            setting.set(qn("w:val"), mode)


# --- core properties ----------------------------------------------------------------

_CORE_LIMIT = 255  # python-docx refuses longer core property strings


def set_core_properties(word, metadata: Metadata) -> None:
    """Write the note's title, subject, author, keywords, language and dates to core.xml."""
    properties = word.core_properties
    properties.title = metadata.title[:_CORE_LIMIT]
    properties.subject = metadata.subject[:_CORE_LIMIT]
    properties.author = metadata.author[:_CORE_LIMIT]
    properties.last_modified_by = metadata.author[:_CORE_LIMIT]
    properties.keywords = "; ".join(metadata.keywords)[:_CORE_LIMIT]
    properties.language = metadata.language
    properties.comments = ""
    properties.revision = 1
    core = _core_element(word)
    for stale in ("cp:lastPrinted", "dcterms:created", "dcterms:modified"):
        for element in core.findall(qn(stale)):
            core.remove(element)
    if metadata.created is not None:
        created = _as_utc(metadata.created)
        properties.created = created
        properties.modified = created
    # Without a date, none is written: the render time would break byte-identical output.


def _core_element(word) -> etree._Element:
    return word.part.package.part_related_by(RT.CORE_PROPERTIES).element


def _as_utc(moment: dt.datetime) -> dt.datetime:
    # python-docx writes the clock time with a "Z", so aware times must be UTC first.
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(dt.UTC).replace(tzinfo=None)


# --- the archive --------------------------------------------------------------------


class DeflatedPart(Part):
    """A part whose blob comes with its deflated form (see :func:`deflate`), which the archive stores instead of compressing the blob again."""

    def __init__(self, partname: PackURI, content_type: str, blob: bytes, package, deflated: bytes):
        super().__init__(partname, content_type, blob, package)
        self.deflated = deflated


class PackageWriter:
    """The .docx archive of a package as python-docx would save it, with fixed timestamps and attributes.

    The parts in ``texts`` are written from the pieces their function yields, not from their
    blob; a :class:`DeflatedPart` is stored as it comes. Every other part is compressed when
    the writer is made except the ``late`` ones, which are compressed when :meth:`archive` is
    called: until then they may still change.
    """

    def __init__(self, package, texts: Mapping[Part, Callable[[], Iterable[bytes]]], late: Collection[Part]):
        # Writing the archive here, rather than rewriting python-docx's, compresses each part
        # once: the embedded fonts alone take a quarter of a second to compress.
        parts = list(package.iter_parts())
        for part in parts:
            part.before_marshal()
        # python-docx's order: content types, package relationships, then each part
        # followed by its relationships.
        self._entries: list[_Entry | tuple[str, Callable[[], Iterable[bytes]]]] = [
            _Entry.compress(CONTENT_TYPES_URI.membername, [_ContentTypesItem.from_parts(parts).blob]),
            _Entry.compress(PACKAGE_URI.rels_uri.membername, [package.rels.xml]),
        ]
        for part in parts:
            pieces = texts[part] if part in texts else lambda part=part: [part.blob]
            if isinstance(part, DeflatedPart):
                self._entries.append(_Entry.deflated(part.partname.membername, part.blob, part.deflated))
            elif part in late:
                self._entries.append((part.partname.membername, pieces))
            else:
                self._entries.append(_Entry.compress(part.partname.membername, pieces()))
            if len(part.rels):
                self._entries.append(_Entry.compress(part.partname.rels_uri.membername, [part.rels.xml]))

    def archive(self) -> bytes:
        """Return the bytes of the archive, the late parts written now."""
        entries = [entry if isinstance(entry, _Entry) else _Entry.compress(entry[0], entry[1]()) for entry in self._entries]
        output = io.BytesIO()
        for entry in entries:
            entry.offset = output.tell()
            output.write(entry.header(_LOCAL_HEADER, b"PK\x03\x04") + entry.name + entry.data)
        directory_offset = output.tell()
        for entry in entries:
            output.write(entry.header(_DIRECTORY_HEADER, b"PK\x01\x02") + entry.name)
        directory_size = output.tell() - directory_offset
        output.write(_END.pack(b"PK\x05\x06", 0, 0, len(entries), len(entries), directory_size, directory_offset, 0))
        return output.getvalue()


# The records Python's zipfile writes for a deflated entry of a small archive (no zip64),
# so the archive is the same as zipfile would write: version 2.0, no flags, no extra
# fields, made on MS-DOS (otherwise the building machine's OS is recorded) with the
# permissions zipfile gives an entry that has none.
_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")
_DIRECTORY_HEADER = struct.Struct("<4s4B4HL2L5H2L")
_END = struct.Struct("<4s4H2LH")
_VERSION = 20
_DEFLATED = 8
_PERMISSIONS = 0o600 << 16  # rw-------
_DOS_TIME = 0  # 00:00:00
_DOS_DATE = (ZIP_EPOCH[0] - 1980) << 9 | ZIP_EPOCH[1] << 5 | ZIP_EPOCH[2]


def deflate(data: bytes) -> bytes:
    """Return ``data`` deflated as the archive stores a part."""
    return _Entry.compress("", [data]).data


@dataclass
class _Entry:
    """One compressed member of the archive."""

    name: bytes
    data: bytes
    crc: int
    size: int
    offset: int = 0

    @classmethod
    def compress(cls, name: str, pieces: Iterable[bytes]) -> _Entry:
        """Return the entry ``name`` holding the ``pieces`` one after another, deflated as zipfile does."""
        # Compressing piece by piece gives the same bytes as compressing the whole at once.
        compressor = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
        data, crc, size = [], 0, 0
        for piece in pieces:
            data.append(compressor.compress(piece))
            crc = zlib.crc32(piece, crc)
            size += len(piece)
        data.append(compressor.flush())
        return cls(name.encode("ascii"), b"".join(data), crc, size)

    @classmethod
    def deflated(cls, name: str, content: bytes, deflated: bytes) -> _Entry:
        """Return the entry ``name`` holding ``content``, stored as ``deflated``: ``content`` as :meth:`compress` deflates it."""
        return cls(name.encode("ascii"), deflated, zlib.crc32(content), len(content))

    def header(self, record: struct.Struct, signature: bytes) -> bytes:
        """Return the local (``_LOCAL_HEADER``) or central directory record of the entry, without its name."""
        common = (_DEFLATED, _DOS_TIME, _DOS_DATE, self.crc, len(self.data), self.size, len(self.name))
        if record is _LOCAL_HEADER:
            return record.pack(signature, _VERSION, 0, 0, *common, 0)
        return record.pack(signature, _VERSION, 0, _VERSION, 0, 0, *common, 0, 0, 0, 0, _PERMISSIONS, self.offset)
