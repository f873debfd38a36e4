"""The reportlab canvas a briefing PDF is drawn on: the same file as reportlab's own canvas, made in less time and memory.

A long pack has thousands of pages and tens of thousands of links (every footnote marker
links to its note). reportlab keeps each page's operators as text and each link as a
general-purpose annotation object until the document is saved, then formats them all
through generic code. :class:`DocumentCanvas` compresses each page as it finishes and
keeps each plain link as a small object that formats itself directly
(:class:`PlainLink`, :class:`PlainURILink`), and writes the file object by object,
letting go of each page's stream once written. The bytes are the ones reportlab writes
(tests compare the two canvases), except the file identifier, which is a digest of the
file's content.
"""

from __future__ import annotations

import hashlib
import re
from collections import OrderedDict
from collections.abc import Callable

from reportlab import rl_config
from reportlab.lib.rl_accel import fp_str
from reportlab.pdfbase import pdfdoc, pdfmetrics
from reportlab.pdfbase.pdfdoc import PDFArray, PDFBase85Encode, PDFDictionary, PDFName, PDFStream, PDFZCompress
from reportlab.pdfgen.canvas import Canvas

from .pdf_metrics import RememberedWidths
from .pdf_text import QuickStateCanvas

__all__ = ["DocumentCanvas", "PlainLink", "PlainURILink"]


# --- reportlab's encoding of names and strings --------------------------------------------

# Writing a document encodes every name and number as PDFDocEncoding through reportlab's
# codec, a Python wrapper called tens of thousands of times (a third of writing a long
# pack). PDFDocEncoding is ASCII except that it has no characters 24-31, so ASCII without
# them is encoded by the ASCII codec, with the same bytes; anything else goes to reportlab.
_NOT_IN_PDF_DOC_ENCODING = re.compile("[\x18-\x1f]")
_reportlab_pdfdoc_encoded = pdfdoc.pdfdocEnc


def _pdfdoc_encoded(text: object) -> object:
    """Return ``text`` in PDFDocEncoding if it is a string, else as it is, exactly as reportlab's ``pdfdocEnc`` does."""
    if type(text) is str and text.isascii() and _NOT_IN_PDF_DOC_ENCODING.search(text) is None:
        return text.encode("ascii")
    return _reportlab_pdfdoc_encoded(text)


# A document has a few dozen distinct names (/Type, /Annot, /Rect...) written thousands of times.
_NAMES_KEPT = 4096
_names: dict[str, str] = {}
_reportlab_pdf_name = pdfdoc.PDFName


def _pdf_name(data: str, lo: str = "!", hi: str = "~") -> str:
    """Return ``data`` written as a PDF name, as reportlab's ``PDFName`` does, from what it answered before where it can."""
    if lo != "!" or hi != "~" or type(data) is not str:
        return _reportlab_pdf_name(data, lo, hi)
    name = _names.get(data)
    if name is None:
        if len(_names) >= _NAMES_KEPT:
            _names.clear()
        name = _names[data] = _reportlab_pdf_name(data)
    return name


# --- reportlab's formatting of values ------------------------------------------------------

# Every value in every dictionary and array of the file goes through reportlab's format(),
# which tests for a PDF object, a number, bytes and text in turn, each through a function
# call: some 60,000 calls at 100 statements, a fifth of writing the file. The plain types
# are answered first, with the same bytes; objects and anything else go to reportlab.
_reportlab_format = pdfdoc.format


def _format(element: object, document: pdfdoc.PDFDocument, toplevel: int = 0) -> bytes:
    """Return ``element`` formatted for ``document``, exactly as reportlab's ``pdfdoc.format`` does."""
    kind = type(element)
    if kind is bytes:
        return element
    if kind is str:
        return _pdfdoc_encoded(element)
    if kind is int or kind is float:
        return fp_str(element).encode("ascii")  # digits, point and sign: ASCII is PDFDocEncoding
    return _reportlab_format(element, document, toplevel)


# A dictionary formats each key as a name; the few dozen keys of a document, formatted once.
_key_bytes: dict[str, bytes] = {}
_reportlab_format_dictionary = PDFDictionary.format


def _format_dictionary(self: PDFDictionary, document: pdfdoc.PDFDocument, IND: bytes = b"\n ") -> bytes:  # noqa: N803 (reportlab's name)
    """Return the dictionary formatted for ``document``, exactly as reportlab's ``PDFDictionary.format`` does."""
    entries = self.dict
    keys = list(entries.keys())
    if not isinstance(entries, OrderedDict):
        keys.sort()
    formatted = []
    for key in keys:
        name = _key_bytes.get(key) if type(key) is str else None
        if name is None:
            name = _format(_pdf_name(key), document)
            if type(key) is str and len(_key_bytes) < _NAMES_KEPT:
                _key_bytes[key] = name
        formatted.append(name + b" " + _format(entries[key], document))
    if (self.multiline and rl_config.pdfMultiLine) or self.multiline == "forced":
        return b"<<\n" + IND.join(formatted) + b"\n>>"
    for index in reversed(range(6, len(formatted), 6)):
        formatted.insert(index, b"\n ")  # reportlab breaks the line every six entries
    return b"<<\n" + b" ".join(formatted) + b"\n>>"


# reportlab's formatting looks these up in its module on every call; the answers are the same.
pdfdoc.pdfdocEnc = _pdfdoc_encoded
pdfdoc.PDFName = _pdf_name
pdfdoc.format = _format
PDFDictionary.format = _format_dictionary


class _PageContents(PDFStream):
    """A page's content stream, compressed and given its filters when the page ends, which gives up its bytes once they are written to the file."""

    def formatted_parts(self, document: pdfdoc.PDFDocument) -> tuple[bytes, bytes, bytes]:
        """Return the stream as ``PDFStream.format`` writes it, in three parts: dictionary and keyword, the content itself (not copied), closing keyword."""
        # The filters are in the dictionary already, so PDFStream.format applies none.
        dictionary = PDFDictionary(self.dictionary.dict.copy())
        content = document.encrypt.encode(self.content)
        dictionary["Length"] = len(content)
        return pdfdoc.format(dictionary, document) + b"\nstream\n", content, b"endstream\n"


class PlainLink(pdfdoc.PDFObject):
    """A borderless link from a rectangle to a named destination: the annotation reportlab's ``linkRect`` makes with no options, formatted directly."""

    def __init__(self, rect: tuple[float, float, float, float], destination: pdfdoc.Destination) -> None:
        self.rect = rect
        self.destination = destination

    def format(self, document: pdfdoc.PDFDocument) -> bytes:
        """Return the annotation's dictionary as reportlab formats it."""
        # LinkAnnotation's keys sorted, six to a line; an empty Contents string; the
        # rectangle's numbers as reportlab writes numbers.
        return b"".join(
            (
                b"<<\n/Border [ 0 0 0 ] /Contents () /Dest ",
                _destination_bytes(self.destination, document),
                b" /Rect [ ",
                fp_str(*self.rect).encode("ascii"),
                b" ] /Subtype /Link /Type /Annot\n>>",
            )
        )


class PlainURILink(pdfdoc.PDFObject):
    """A borderless link from a rectangle to a URL: the annotation reportlab's ``linkURL`` makes with no options, formatted directly."""

    def __init__(self, rect: tuple[float, float, float, float], url: str) -> None:
        self.rect = rect
        self.url = url

    def format(self, document: pdfdoc.PDFDocument) -> bytes:
        """Return the annotation's dictionary, with its action dictionary inside, as reportlab formats them."""
        return b"".join(
            (
                b"<<\n/A <<\n/S /URI /Type /Action /URI ",
                pdfdoc.PDFString(self.url).format(document),
                b"\n>> /Border [ 0 0 0 ] /Rect [ ",
                fp_str(*self.rect).encode("ascii"),
                b" ] /Subtype /Link /Type /Annot\n>>",
            )
        )


def _destination_bytes(destination: pdfdoc.Destination, document: pdfdoc.PDFDocument) -> bytes:
    """Return a bound destination as reportlab formats it, directly for the usual kind: a point on a page."""
    target, page = destination.fmt, destination.page
    if type(target) is not pdfdoc.PDFDestinationXYZ or page is None or any(type(v) not in (int, float) for v in (target.left, target.top, target.zoom)):
        return pdfdoc.format(destination, document)
    number, version = document.idToObjectNumberAndVersion[document.Reference(page).name]
    return b"[ %s %s R /XYZ %s ]" % (str(number).encode(), str(version).encode(), fp_str(target.left, target.top, target.zoom).encode("ascii"))


class DocumentCanvas(RememberedWidths, QuickStateCanvas):
    """A canvas that compresses each page's content stream when the page is finished, makes plain links compactly, and writes the file object by object to a file object.

    reportlab keeps every page's operators as text until it saves: at 1000 statements,
    some 80 MB. Compressed as each page ends, they take a sixth of that, and the file's
    bytes are the same: the stream is what reportlab would write, deflated the same way.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        #: The internal names (``/F3``) of the fonts whose subsets pages or forms have drawn with.
        self.fonts_drawn: set[str] = set()

    def linkRect(self, contents, destinationname, Rect=None, addtopage=1, name=None, relative=1, thickness=0, color=None, dashArray=None, **kw):  # noqa: N802, N803 (reportlab's names)
        """Make a link to a named destination as reportlab does; one without options (every link a paragraph makes) as a :class:`PlainLink`."""
        rect = self._absRect(Rect, relative)
        if contents or thickness or color or dashArray or kw or not self._formats_plainly(rect):
            return super().linkRect(contents, destinationname, rect, addtopage, name, 0, thickness, color, dashArray, **kw)
        return self._addAnnotation(PlainLink(rect, self._bookmarkReference(destinationname)), name, addtopage)

    def linkURL(self, url, rect, relative=0, thickness=0, color=None, dashArray=None, kind="URI", **kw):  # noqa: N802 (reportlab's name)
        """Make a link to a URL as reportlab does; one without options (every link a paragraph makes) as a :class:`PlainURILink`."""
        rect = self._absRect(rect, relative)
        if thickness or color or dashArray or kw or kind != "URI" or not self._formats_plainly(rect):
            return super().linkURL(url, rect, 0, thickness, color, dashArray, kind, **kw)
        return self._addAnnotation(PlainURILink(rect, url))

    def _formats_plainly(self, rect: tuple) -> bool:
        # The plain links' bytes are reportlab's for its usual settings: no encryption, one
        # line per dictionary rather than one per entry, numbers as int or float.
        return not rl_config.pdfMultiLine and type(self._doc.encrypt) is pdfdoc.NoEncryption and all(type(v) in (int, float) for v in rect)

    def showPage(self) -> None:  # noqa: N802 (reportlab's name)
        """Finish the page, then replace its text stream with the compressed stream reportlab would write."""
        super().showPage()
        page = self._doc.Pages.pages[-1]
        self._note_fonts(page.stream or "")
        if not (page.compression and page.stream):
            return  # left to reportlab: an empty page gets its placeholder stream at save
        # As PDFPage.check_format and PDFStream.format do it, filters applied last first.
        filters = [PDFBase85Encode, PDFZCompress] if rl_config.useA85 else [PDFZCompress]
        content = page.stream
        for stream_filter in reversed(filters):
            content = stream_filter.encode(content)
        contents = _PageContents(PDFDictionary({"Filter": PDFArray([PDFName(f.pdfname) for f in filters])}), content)
        contents.__Comment__ = "page stream"
        page.Contents = contents
        page.stream = None

    def save(self) -> None:
        """Write the document to the canvas's file, as reportlab's ``save`` would but object by object, with a file identifier that is a digest of the file's content.

        reportlab seeds the identifier with ``SOURCE_DATE_EPOCH`` (or a fixed date in
        invariant mode) and the metadata only, so a dated document's bytes changed with the
        environment while two different documents with the same title and date shared an
        identifier. The digest has the same length, so no offset in the file moves.
        """
        if self._code:
            self.showPage()
        document = self._doc
        if type(document.encrypt) is not pdfdoc.NoEncryption or getattr(document, "_digiSigs", None):
            raise NotImplementedError("a document canvas writes neither encrypted nor signed files")
        write = getattr(self._filename, "write", None)
        if write is None:
            raise TypeError("a document canvas saves to a file object, not to a file name")
        _prepare(document, self)
        _write(document, write)

    def endForm(self, **extra_attributes) -> None:  # noqa: N802 (reportlab's name)
        """Finish a form, noting the fonts it draws with."""
        self._note_fonts("\n".join(self._code))
        super().endForm(**extra_attributes)

    def drop_unused_fonts(self, font_names: tuple[str, ...]) -> None:
        """Leave out of the file those of ``font_names`` (TrueType fonts numbered in advance) that nothing drew with."""
        document = self._doc
        for name in font_names:
            font = pdfmetrics.getFont(name)
            if font._dynamicFont and document.fontMapping.get(name) not in self.fonts_drawn:
                document.fontMapping.pop(name, None)
                document.delayedFonts.remove(font)

    def _note_fonts(self, code: str) -> None:
        # A TrueType subset is selected as "/F3+0 9 Tf"; names seen once need no more looking.
        for internal_name in set(self._doc.fontMapping.values()) - self.fonts_drawn:
            if internal_name + "+" in code:
                self.fonts_drawn.add(internal_name)


def _prepare(document: pdfdoc.PDFDocument, canvas: Canvas) -> None:
    """Make the objects reportlab makes only when a document is saved (font subsets, outline), as its ``GetPDFData`` does."""
    for font in document.delayedFonts:
        font.addObjects(document)
    document.info.invariant = document.invariant
    document.info.digest(document.signature)
    document.Reference(document.Catalog)
    document.Reference(document.info)
    document.Outlines.prepare(document, canvas)
    if document.Outlines.ready < 0:
        document.Catalog.Outlines = None


#: reportlab's trailer file identifier: the same 16 bytes twice, as lower-case hex strings.
_TRAILER_ID = re.compile(rb"/ID \n\[<([0-9a-f]{32})><\1>\]")
_ID_PLACEHOLDER = b"/ID \n[<" + b"0" * 32 + b"><" + b"0" * 32 + b">]"


def _write(document: pdfdoc.PDFDocument, write: Callable[[bytes], object]) -> None:
    """Write a prepared document's objects, cross-reference table and trailer as reportlab's ``PDFDocument.format`` lays them out, each as soon as it is formatted."""
    digest = hashlib.md5(usedforsecurity=False)
    offset = 0

    def emit(chunk: bytes | str) -> None:
        nonlocal offset
        chunk = pdfdoc.pdfdocEnc(chunk)
        write(chunk)
        digest.update(chunk)
        offset += len(chunk)

    root, info = document.Reference(document.Catalog), document.Reference(document.info)
    emit(pdfdoc.PDFFile(document._pdfVersion).strings[0])  # reportlab's header
    comments = not rl_config.invariant and rl_config.pdfComments
    names: list[str] = []
    # Formatting an object may register new ones, numbered after the last: go until none is left.
    while (number := len(names) + 1) in document.numberToId:
        name = document.numberToId[number]
        content = document.idToObject[name]
        if comments:
            emit("%% %s: class %s \n" % (ascii(name), type(content).__name__[:50]))  # noqa: UP031 (reportlab's wording)
        document.idToOffset[name] = offset
        if type(content) is _PageContents and not comments:
            # As PDFIndirectObject.format wraps it, but the page's bytes are written as they
            # are and then let go: at 1000 statements the page streams are 20 MB.
            head, stream, tail = content.formatted_parts(document)
            emit(b"%d %d obj\n%s" % (*document.idToObjectNumberAndVersion[name], head))
            emit(stream)
            emit(tail + b"endobj\n")
            content.content = None
        elif isinstance(content, pdfdoc.PDFObject) and not comments:
            # As PDFIndirectObject.format wraps an object (the document is unencrypted,
            # which save checked), without making a wrapper and dispatching on its content.
            body = content.format(document)
            emit(b"%d %d obj\n%s%sendobj\n" % (*document.idToObjectNumberAndVersion[name], body, b"" if body.endswith(b"\n") else b"\n"))
        else:
            emit(pdfdoc.PDFIndirectObject(name, content).format(document))
        names.append(name)
    cross_references = pdfdoc.PDFCrossReferenceTable()
    cross_references.addsection(0, names)
    start = offset
    emit(cross_references.format(document))
    trailer = pdfdoc.PDFTrailer(startxref=start, Size=len(names) + 1, Root=root, Info=info, ID=document.ID()).format(document)
    found = _TRAILER_ID.search(trailer)
    if found is None:  # no identifier to replace
        emit(trailer)
        return
    before, after = trailer[: found.start()], trailer[found.end() :]
    digest.update(before + _ID_PLACEHOLDER + after)
    identifier = digest.hexdigest().encode()
    write(before + b"/ID \n[<" + identifier + b"><" + identifier + b">]" + after)
