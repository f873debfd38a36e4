"""Tests of the DOCX renderer's pack features: cover, contents, classification and page numbers."""

from __future__ import annotations

import dataclasses
import functools
import io
import re
import shutil
import struct
import subprocess
import zipfile
import zlib

import docx
import pypdf
from helpers import convert_with_libreoffice
import pytest
from conftest import make_sample_document, make_sample_pack_document
from lxml import etree
from test_render_docx import test_every_relationship_target_exists_and_has_a_content_type as check_package_integrity

from briefgen.document import Contents, Document, Heading, Metadata, Paragraph, Text
from briefgen.render.docx import heading_keys, render_docx
from briefgen.render.docx_pages import page_label_runs

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NS = {
    "w": W,
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "wp": "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing",
}
MARKING = "OFFICIAL-SENSITIVE"
COVER_TITLE = "Arden river talks: briefing pack"


def attr(element: etree._Element, name: str) -> str | None:
    prefix, local = name.split(":")
    return element.get(f"{{{NS[prefix]}}}{local}")


def text_of(element: etree._Element) -> str:
    return "".join(t.text or "" for t in element.iter(f"{{{W}}}t"))


def style_of(paragraph: etree._Element) -> str | None:
    style = paragraph.find("w:pPr/w:pStyle", NS)
    return None if style is None else attr(style, "w:val")


def instructions(element: etree._Element) -> list[str]:
    return [" ".join((t.text or "").split()) for t in element.iter(f"{{{W}}}instrText")]


def page_numbers_for(document: Document) -> dict[str, int]:
    """Plausible page numbers: each level-1 heading starts a page after the cover and contents."""
    numbers, page = {}, 2
    for key, block in zip(heading_keys(document), [b for b in document.blocks if isinstance(b, Heading)]):
        page += block.level == 1
        numbers[key] = page
    return numbers


class Package:
    """A rendered .docx opened both as parts and as a python-docx document."""

    def __init__(self, data: bytes):
        self.data = data
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            self.parts = {name: archive.read(name) for name in archive.namelist()}
        self.word = docx.Document(io.BytesIO(data))

    def xml(self, name: str) -> etree._Element:
        return etree.fromstring(self.parts[name])

    @functools.cached_property
    def body(self) -> etree._Element:
        return self.xml("word/document.xml").find("w:body", NS)

    def stories(self, which: str) -> dict[str, etree._Element]:
        """The header (or footer) elements of the single section, by kind: default, first, even."""
        section = self.word.sections[0]
        kinds = {"default": getattr(section, which), "first": getattr(section, f"first_page_{which}")}
        return {kind: story.part.element for kind, story in kinds.items() if not story.is_linked_to_previous}


@pytest.fixture(scope="module")
def pack_document() -> Document:
    return make_sample_pack_document()


@pytest.fixture(scope="module")
def pack(pack_document) -> Package:
    return Package(render_docx(pack_document, page_numbers=page_numbers_for(pack_document)))


# --- cover --------------------------------------------------------------------------


def test_cover_texts_use_the_cover_styles(pack):
    paragraphs = pack.body.findall("w:p", NS)
    assert [(style_of(p), text_of(p)) for p in paragraphs[:2]] == [
        ("CoverTitle", COVER_TITLE),
        ("CoverSubtitle", "Statements ahead of the Veloria–Osterland meeting"),
    ]
    names = {style.style_id: style.name for style in pack.word.styles}
    assert {names[i] for i in ("CoverTitle", "CoverSubtitle", "CoverLabel", "CoverDetail")} == {
        "Cover Title",
        "Cover Subtitle",
        "Cover Label",
        "Cover Detail",
    }


def test_cover_details_are_a_borderless_two_column_table(pack):
    table = pack.body.find("w:tbl", NS)
    rows = [[(style_of(p), text_of(p)) for p in row.iterfind("w:tc/w:p", NS)] for row in table.iterfind("w:tr", NS)]
    assert rows[0] == [("CoverLabel", "Meeting"), ("CoverDetail", "Veloria–Osterland river talks, Port Ardent")]
    assert [row[0][1] for row in rows] == ["Meeting", "Date", "Prepared by", "Prepared for"]
    borders = table.find("w:tblPr/w:tblBorders", NS)
    assert {attr(side, "w:val") for side in borders} == {"nil"}


def test_cover_title_is_large_in_the_heading_font_and_accent_colour(pack):
    style = {s.name: s for s in pack.word.styles}["Cover Title"]
    document_style = make_sample_pack_document().style
    assert style.font.name == document_style.heading_font.name
    assert str(style.font.color.rgb) == document_style.accent_colour
    assert style.font.size.pt > document_style.title_size


def test_page_after_the_cover_starts_on_a_new_page(pack):
    contents_title = next(p for p in pack.body.iterfind("w:p", NS) if style_of(p) == "TOCHeading")
    assert text_of(contents_title) == "Contents"
    assert contents_title.find("w:pPr/w:pageBreakBefore", NS) is not None


def _png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\x1f\x3a\x5f" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def test_cover_logo_sits_above_the_title_at_the_given_width():
    document = make_sample_pack_document(sections=1)
    style = dataclasses.replace(document.style, logo=_png(200, 50), logo_width=120)
    document = dataclasses.replace(document, style=style)
    rendered = Package(render_docx(document))
    first = rendered.body.find("w:p", NS)
    assert style_of(first) == "CoverLogo"
    extent = first.find(".//wp:extent", NS)
    assert int(extent.get("cx")) == 120 * 12700  # EMU per point
    assert int(extent.get("cy")) == pytest.approx(30 * 12700, rel=0.01)
    assert any(name.startswith("word/media/") and name.endswith(".png") for name in rendered.parts)
    assert render_docx(document) == rendered.data


def test_pack_parts_are_all_declared_and_related():
    document = make_sample_pack_document(sections=1)
    document = dataclasses.replace(document, style=dataclasses.replace(document.style, logo=_png(20, 10)))
    rendered = Package(render_docx(document))
    check_package_integrity(rendered.parts)
    assert {"word/header1.xml", "word/header2.xml", "word/footer1.xml", "word/footer2.xml"} <= set(rendered.parts)


def test_a_logo_that_is_no_image_is_an_error():
    document = make_sample_pack_document(sections=1)
    document = dataclasses.replace(document, style=dataclasses.replace(document.style, logo=b"not an image"))
    with pytest.raises(ValueError, match="logo"):
        render_docx(document)


# --- contents -----------------------------------------------------------------------


def _contents_entries(body: etree._Element) -> list[etree._Element]:
    return [p for p in body.iterfind("w:p", NS) if style_of(p) in ("TOC1", "TOC2", "TOC3")]


def _expected_entries(document: Document, depth: int = 2) -> list[tuple[str, str, str]]:
    """(style id, text, key) of each heading the contents list."""
    headings = [b for b in document.blocks if isinstance(b, Heading)]
    return [
        (f"TOC{h.level}", "".join(t.text for t in h.children), key)
        for h, key in zip(headings, heading_keys(document), strict=True)
        if 1 <= h.level <= depth
    ]


def test_contents_is_a_word_toc_field(pack):
    begins = [
        paragraph
        for paragraph in pack.body.iterfind("w:p", NS)
        if any(i.startswith("TOC ") for i in instructions(paragraph))
    ]
    assert len(begins) == 1
    assert instructions(begins[0])[0] == 'TOC \\o "1-2" \\h \\z \\u'
    field_chars = [attr(c, "w:fldCharType") for c in begins[0].findall("w:r/w:fldChar", NS)]
    assert field_chars[:2] == ["begin", "separate"]  # the result follows: it is filled in
    entries = _contents_entries(pack.body)
    assert entries[0] is begins[0]
    assert [attr(c, "w:fldCharType") for c in entries[-1].findall("w:r/w:fldChar", NS)] == ["end"]


def test_contents_lists_each_level_1_and_2_heading_with_its_page(pack, pack_document):
    pages = page_numbers_for(pack_document)
    expected = _expected_entries(pack_document)
    entries = _contents_entries(pack.body)
    assert len(entries) == len(expected) == 12
    for entry, (style_id, text, key) in zip(entries, expected, strict=True):
        link = entry.find("w:hyperlink", NS)
        runs = link.findall("w:r", NS)
        assert style_of(entry) == style_id
        assert text_of(runs[0]) == text
        assert runs[1].find("w:tab", NS) is not None
        (pageref,) = instructions(link)
        assert pageref == f"PAGEREF {attr(link, 'w:anchor')} \\h"
        assert text_of(link) == text + str(pages[key])


def test_contents_entries_link_to_bookmarks_on_their_headings(pack):
    bookmarks = {
        attr(start, "w:name"): start.getparent()
        for start in pack.body.iter(f"{{{W}}}bookmarkStart")
    }
    for entry in _contents_entries(pack.body):
        link = entry.find("w:hyperlink", NS)
        anchor = attr(link, "w:anchor")
        assert re.fullmatch(r"_Toc\d+", anchor)
        heading = bookmarks[anchor]
        assert style_of(heading) in ("Heading1", "Heading2")
        assert text_of(heading) == text_of(link.find("w:r", NS))


def test_headings_keep_their_anchor_bookmarks_beside_the_contents_ones(pack):
    starts = pack.body.findall(".//w:bookmarkStart", NS)
    names = [attr(s, "w:name") for s in starts]
    assert "section_1" in names and len(names) == len(set(names))
    ids = [attr(s, "w:id") for s in starts]
    assert len(ids) == len(set(ids)) == len(pack.body.findall(".//w:bookmarkEnd", NS))


def test_without_page_numbers_entries_show_text_only(pack_document):
    body = Package(render_docx(pack_document)).body
    entries = _contents_entries(body)
    assert [text_of(e) for e in entries] == [text for _, text, _ in _expected_entries(pack_document)]
    assert not [i for e in entries for i in instructions(e) if i.startswith("PAGEREF")]
    assert not [e for e in entries if e.find(".//w:tab", NS) is not None]  # no leader to nowhere


def test_contents_styles_have_a_dot_leader_at_the_text_width(pack):
    section = pack.word.sections[0]
    text_width = section.page_width.twips - section.left_margin.twips - section.right_margin.twips
    styles = {s.name: s for s in pack.word.styles}
    for name in ("toc 1", "toc 2", "toc 3"):
        (tab,) = styles[name].element.findall("w:pPr/w:tabs/w:tab", NS)
        assert (attr(tab, "w:val"), attr(tab, "w:leader"), attr(tab, "w:pos")) == ("right", "dot", str(text_width))
    toc_heading = styles["TOC Heading"].element
    # Outline level 9 is body text: the contents do not list their own title.
    assert attr(toc_heading.find("w:pPr/w:outlineLvl", NS), "w:val") == "9"


def test_word_is_not_asked_to_update_fields(pack):
    assert pack.xml("word/settings.xml").find("w:updateFields", NS) is None
    assert not pack.body.findall(".//w:fldChar[@w:dirty]", NS)


def test_contents_depth_follows_the_block():
    document = make_sample_pack_document(sections=2)
    blocks = tuple(Contents(b.title, depth=3) if isinstance(b, Contents) else b for b in document.blocks)
    body = Package(render_docx(dataclasses.replace(document, blocks=blocks))).body
    assert [style_of(e) for e in _contents_entries(body)] == [
        style for style, _, _ in _expected_entries(document, depth=3)
    ]
    assert any(i.startswith('TOC \\o "1-3"') for i in instructions(body))


def test_contents_without_headings_is_an_empty_field():
    document = Document(Metadata("Empty"), (Contents((Text("Contents"),)), Paragraph((Text("Body"),))))
    body = Package(render_docx(document)).body
    (entry,) = _contents_entries(body)
    assert [attr(c, "w:fldCharType") for c in entry.iter(f"{{{W}}}fldChar")] == ["begin", "separate", "end"]


def test_heading_keys_are_anchors_or_generated_from_the_position():
    document = Document(
        Metadata("Keys"),
        (
            Heading(0, (Text("Title"),)),
            Paragraph((Text("Body"),)),
            Heading(1, (Text("A"),), anchor="intro"),
            Heading(2, (Text("B"),)),
        ),
    )
    assert heading_keys(document) == ["h0", "intro", "h2"]  # n counts headings only, from 0


def test_heading_keys_agree_with_the_pdf_renderer(pack_document):
    # The build passes the PDF's page numbers, keyed the PDF renderer's way, to the DOCX.
    from briefgen.render import pdf

    if not hasattr(pdf, "heading_keys"):
        pytest.skip("the PDF renderer reports no heading keys yet")
    assert heading_keys(pack_document) == pdf.heading_keys(pack_document)
    assert "h2" in heading_keys(pack_document)  # headings without anchors take part too


# --- classification and page numbers ------------------------------------------------


def _marking_paragraphs(story: etree._Element) -> list[etree._Element]:
    return [p for p in story.iterfind("w:p", NS) if style_of(p) == "Classification"]


def test_cover_is_a_distinct_first_page(pack):
    assert pack.word.sections[0].different_first_page_header_footer is True
    assert set(pack.stories("header")) == set(pack.stories("footer")) == {"default", "first"}


def test_classification_tops_every_header_and_ends_every_footer_but_the_page_line(pack):
    for section in pack.word.sections:
        assert section.different_first_page_header_footer
    for kind, header in pack.stories("header").items():
        (marking,) = _marking_paragraphs(header)
        assert header.find("w:p", NS) is marking, kind
        assert text_of(marking) == MARKING
    for kind, footer in pack.stories("footer").items():
        (marking,) = _marking_paragraphs(footer)
        assert text_of(marking) == MARKING, kind


def test_classification_style_is_bold_centred_in_the_marking_colour(pack):
    style = {s.name: s for s in pack.word.styles}["Classification"]
    document_style = make_sample_pack_document().style
    assert style.font.bold is True
    assert str(style.font.color.rgb) == document_style.classification_colour
    assert style.font.name == document_style.heading_font.name
    assert attr(style.element.find("w:pPr/w:jc", NS), "w:val") == "center"


def test_footer_shows_the_page_label_with_page_fields(pack):
    footers = pack.stories("footer")
    default = footers["default"]
    assert [style_of(p) for p in default.iterfind("w:p", NS)] == ["Classification", "Footer"]
    line = default.findall("w:p", NS)[-1]
    assert instructions(line) == ["PAGE", "NUMPAGES"]
    assert text_of(line) == f"{COVER_TITLE}Page 1 of 1"  # cached values, recomputed by every reader
    tabs = line.findall("w:pPr/w:tabs/w:tab", NS)
    assert [attr(t, "w:val") for t in tabs][-1] == "right"
    # The cover's own footer holds the marking and no page number.
    assert instructions(footers["first"]) == []


def test_page_label_placeholders_become_fields():
    runs = page_label_runs("{page} / {pages}")
    holder = etree.Element("holder")
    holder.extend(runs)
    assert instructions(holder) == ["PAGE", "NUMPAGES"]
    assert text_of(holder) == "1 / 1"
    holder = etree.Element("holder")
    holder.extend(page_label_runs("p. {page}"))
    assert (instructions(holder), text_of(holder)) == (["PAGE"], "p. 1")


def test_a_note_without_classification_has_a_footer_but_no_header():
    rendered = Package(render_docx(make_sample_document()))
    assert rendered.stories("header") == {}
    footer = rendered.stories("footer")
    assert set(footer) == {"default"}
    assert not _marking_paragraphs(footer["default"])
    assert instructions(footer["default"]) == ["PAGE", "NUMPAGES"]
    assert rendered.word.sections[0].different_first_page_header_footer is False


def test_classification_without_a_cover_marks_the_first_page_too():
    document = make_sample_document(footnotes=1)
    document = dataclasses.replace(
        document, metadata=dataclasses.replace(document.metadata, classification="OFFICIAL")
    )
    rendered = Package(render_docx(document))
    assert rendered.word.sections[0].different_first_page_header_footer is False
    assert [text_of(p) for p in _marking_paragraphs(rendered.stories("header")["default"])] == ["OFFICIAL"]
    assert [text_of(p) for p in _marking_paragraphs(rendered.stories("footer")["default"])] == ["OFFICIAL"]


def test_pack_output_is_deterministic(pack, pack_document):
    assert render_docx(pack_document, page_numbers=page_numbers_for(pack_document)) == pack.data


def test_page_numbers_given_late_by_a_function_give_the_same_bytes(pack, pack_document):
    calls = []

    def late_page_numbers():
        calls.append(True)
        return page_numbers_for(pack_document)

    assert render_docx(pack_document, page_numbers=late_page_numbers) == pack.data
    assert calls == [True]


def test_a_function_returning_no_page_numbers_is_like_none(pack_document):
    assert render_docx(pack_document, page_numbers=lambda: None) == render_docx(pack_document)


# --- reference documents ------------------------------------------------------------


@pytest.fixture(scope="module")
def pandoc_reference(tmp_path_factory) -> bytes:
    pandoc = shutil.which("pandoc")
    if pandoc is None:
        pytest.skip("pandoc not installed: cannot fetch its reference.docx")
    path = tmp_path_factory.mktemp("pandoc") / "reference.docx"
    subprocess.run([pandoc, "-o", str(path), "--print-default-data-file", "reference.docx"], check=True)
    return path.read_bytes()


@pytest.fixture(scope="module")
def pandoc_pack(pack_document, pandoc_reference) -> Package:
    return Package(render_docx(pack_document, pandoc_reference, page_numbers=page_numbers_for(pack_document)))


def test_pandoc_reference_styles_and_page_setup_win(pandoc_pack, pack_document, pandoc_reference):
    styles = {s.name: s for s in pandoc_pack.word.styles}
    assert str(styles["Heading 1"].font.color.rgb) == "4F81BD"  # pandoc's, not the house accent
    assert {"BodyText", "FirstParagraph", "Compact"} <= {s.style_id for s in pandoc_pack.word.styles}
    # pandoc's reference sets no page size; the house A4 must not be imposed on it.
    assert pandoc_pack.body.find("w:sectPr/w:pgSz", NS) is None
    # Its own contents title style (based on Heading 1, outline level 9) is used.
    contents_title = next(p for p in pandoc_pack.body.iterfind("w:p", NS) if text_of(p) == "Contents")
    assert style_of(contents_title) == "TOCHeading"
    assert styles["TOC Heading"].base_style.name == "Heading 1"
    assert len(_contents_entries(pandoc_pack.body)) == 12
    output = render_docx(pack_document, pandoc_reference, page_numbers=page_numbers_for(pack_document))
    assert output == pandoc_pack.data


def test_pandoc_reference_without_headers_gets_marking_and_page_numbers(pandoc_pack):
    headers, footers = pandoc_pack.stories("header"), pandoc_pack.stories("footer")
    assert set(headers) == set(footers) == {"default", "first"}
    for story in (*headers.values(), *footers.values()):
        assert [text_of(p) for p in _marking_paragraphs(story)] == [MARKING]
    assert instructions(footers["default"]) == ["PAGE", "NUMPAGES"]


def _letterhead_reference() -> bytes:
    """A reference whose header is a letterhead and whose footer already numbers pages."""
    reference = docx.Document()
    section = reference.sections[0]
    section.header.paragraphs[0].text = "Ministry of Fictional Affairs"
    footer = section.footer.paragraphs[0]
    footer.text = "Page "
    run = footer.add_run()
    for kind in ("begin", "separate", "end"):
        if kind == "separate":
            instruction = run._r.makeelement(f"{{{W}}}instrText")
            instruction.text = " PAGE "
            run._r.append(instruction)
        run._r.append(run._r.makeelement(f"{{{W}}}fldChar", {f"{{{W}}}fldCharType": kind}))
    buffer = io.BytesIO()
    reference.save(buffer)
    return buffer.getvalue()


def test_reference_headers_and_footers_keep_their_content_and_gain_the_marking(pack_document):
    rendered = Package(render_docx(pack_document, _letterhead_reference()))
    # Its letterhead stays on every page, the cover included, as the reference designs it.
    assert rendered.word.sections[0].different_first_page_header_footer is False
    header = rendered.stories("header")["default"]
    assert [text_of(p) for p in header.iterfind("w:p", NS)] == [MARKING, "Ministry of Fictional Affairs"]
    footer = rendered.stories("footer")["default"]
    assert text_of(footer.findall("w:p", NS)[-1]) == MARKING
    assert instructions(footer) == ["PAGE"]  # its own number, no second page line


# --- LibreOffice --------------------------------------------------------------------


@pytest.fixture(scope="module")
def libreoffice_pdfs(pack, tmp_path_factory, request) -> dict[str, pypdf.PdfReader]:
    """The pack, and the pack on pandoc's reference where pandoc exists, converted in one LibreOffice run."""
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("soffice not installed: cannot check that LibreOffice opens the pack")
    work = tmp_path_factory.mktemp("soffice-pack")
    sources = {"pack": pack.data}
    if shutil.which("pandoc"):
        sources["pandoc"] = request.getfixturevalue("pandoc_pack").data
    for name, data in sources.items():
        (work / f"{name}.docx").write_bytes(data)
    result = convert_with_libreoffice(soffice, work, [work / f"{name}.docx" for name in sources], timeout=240)
    readers = {}
    for name in sources:
        pdf = work / f"{name}.pdf"
        assert pdf.exists(), f"LibreOffice could not convert {name}.docx:\n{result.stdout}\n{result.stderr}"
        readers[name] = pypdf.PdfReader(pdf)
    return readers


def _page_texts(reader: pypdf.PdfReader) -> list[str]:
    return [" ".join((page.extract_text() or "").split()) for page in reader.pages]


def test_libreoffice_shows_cover_contents_marking_and_page_numbers(libreoffice_pdfs):
    pages = _page_texts(libreoffice_pdfs["pack"])
    total = len(pages)
    assert total == 8  # cover, contents, six sections
    assert COVER_TITLE in pages[0] and "PREPARED FOR" in pages[0].upper()  # set in small capitals
    assert "Page 1 of" not in pages[0]  # the cover's footer carries the marking only
    assert "Contents" in pages[1]
    assert "Section 1: Қазақ Ә and Осterland" in pages[1] and "Key points" in pages[1]
    for number, text in enumerate(pages, start=1):
        assert text.count(MARKING) == 2, f"page {number}: {text[:80]}"
        if number > 1:
            assert f"Page {number} of {total}" in text


def test_libreoffice_shows_the_cached_contents_page_numbers_as_links(libreoffice_pdfs):
    reader = libreoffice_pdfs["pack"]
    contents_page = _page_texts(reader)[1]
    # The level-1 entries' numbers follow their dot leaders: "…Осterland 3 Key points 3 …"
    found = re.findall(r"Осterland[ .…]*(\d+)", contents_page)
    assert found == ["3", "4", "5", "6", "7", "8"]
    links = [annotation.get_object() for annotation in reader.pages[1].get("/Annots", [])]
    assert len([link for link in links if "/Dest" in link]) == 12  # each entry jumps to its heading


def test_libreoffice_converts_the_pack_on_pandocs_reference(libreoffice_pdfs):
    if "pandoc" not in libreoffice_pdfs:
        pytest.skip("pandoc not installed: no reference pack to convert")
    pages = _page_texts(libreoffice_pdfs["pandoc"])
    assert COVER_TITLE in pages[0]
    assert all(MARKING in text for text in pages)
    assert "Page 2 of" in pages[1]
