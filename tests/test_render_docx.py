"""Tests of the DOCX renderer: read the .docx back as Word and LibreOffice would and check it."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import posixpath
import re
import shutil
import struct
import subprocess
import zipfile
from pathlib import Path
from urllib.parse import unquote

import docx
import pypdf
from helpers import convert_with_libreoffice
import pytest
from conftest import make_sample_document
from lxml import etree

from briefgen.document import Document, Link, ListBlock, Metadata, PageBreak, Paragraph, Table, Text
from briefgen.render.docx import render_docx
from briefgen.render.docx_fonts import embedding_allowed, obfuscate
from briefgen.render.docx_xml import clean_text, escape_attribute, escape_text

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
NS = {"w": W, "r": R, "rel": PKG_REL}
HYPERLINK = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink"
NOTE_TEXTS = [
    f"Ministry of Fictional Affairs of Veloria, “Statement {n}”, 3 March 2031, para. {n}, "
    "https://example.org/veloria/statement (accessed 4 March 2031)."
    for n in (1, 2, 3)
]
CYRILLIC_LINE = "«Мы предлагаем создать комиссию» — Қазақ әліпбиі: Ә Ғ Қ Ң Ө Ұ Ү Һ І."


# --- fixtures and helpers -----------------------------------------------------------


@pytest.fixture(scope="module")
def docx_bytes() -> bytes:
    return render_docx(make_sample_document())


@pytest.fixture(scope="module")
def word(docx_bytes):
    return docx.Document(io.BytesIO(docx_bytes))


@pytest.fixture(scope="module")
def package(docx_bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(docx_bytes)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def xml(package: dict[str, bytes], name: str) -> etree._Element:
    return etree.fromstring(package[name])


def attr(element: etree._Element, name: str) -> str | None:
    prefix, local = name.split(":")
    return element.get(f"{{{NS[prefix]}}}{local}")


def relationships(package: dict[str, bytes], part: str) -> dict[str, etree._Element]:
    """The relationships of ``part`` by id."""
    folder, name = posixpath.split(part)
    rels = xml(package, posixpath.join(folder, "_rels", name + ".rels"))
    return {rel.get("Id"): rel for rel in rels.iterfind("rel:Relationship", NS)}


def paragraph_text(paragraph: etree._Element) -> str:
    return "".join(paragraph.itertext())


def styles_by_name(word) -> dict[str, object]:
    return {style.name: style for style in word.styles}


def render_package(document: Document, reference: bytes | None = None) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(render_docx(document, reference))) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


# --- structure and styles -----------------------------------------------------------


def test_blocks_use_named_word_styles(word):
    styled = [(p.style.name, p.text) for p in word.paragraphs]
    assert styled == [
        ("Title", "Veloria proposes a river commission"),
        ("Subtitle", "Ilsa Marrow, Foreign Minister of Veloria · Port Ardent · 3 March 2031"),
        ("Lead", "Veloria wants a joint commission on the Arden river by autumn."),
        ("Heading 1", "Key points"),
        ("List Bullet", "Point 1: the minister said the commission is urgent"),
        ("List Bullet", "Point 2: the minister said the commission is urgent"),
        ("List Bullet", "Point 3: the minister said the commission is urgent"),
        ("Quote", CYRILLIC_LINE),
        ("Heading 2", "Attendees"),
        ("Heading 3", "Comment"),
        ("Analyst Comment", "Assessment: likely to stall.\nSecond line."),
        ("Small Print", "See the <source> & notes."),
    ]


def test_headings_carry_outline_levels_and_keep_with_next(word):
    styles = styles_by_name(word)
    for level in (1, 2, 3):
        heading = styles[f"Heading {level}"]
        outline = heading.element.find("w:pPr/w:outlineLvl", NS)
        assert attr(outline, "w:val") == str(level - 1)
        assert heading.paragraph_format.keep_with_next is True


def test_custom_styles_are_based_on_normal(word):
    styles = styles_by_name(word)
    for name in ("Lead", "Analyst Comment", "Small Print", "Table Text"):
        assert styles[name].base_style.name == "Normal"


def test_house_fonts_are_named_for_every_script(word):
    styles = styles_by_name(word)
    for style_name, font in (("Normal", "PT Serif"), ("Heading 1", "PT Sans"), ("Title", "PT Sans")):
        fonts = styles[style_name].element.find("w:rPr/w:rFonts", NS)
        assert {attr(fonts, f"w:{slot}") for slot in ("ascii", "hAnsi", "cs", "eastAsia")} == {font}
    normal = styles["Normal"]
    assert normal.font.size.pt == 10.5
    assert str(normal.font.color.rgb) == "1A1A1A"
    assert str(styles["Heading 1"].font.color.rgb) == "1F3A5F"
    assert normal.paragraph_format.space_after.pt == 6


def test_no_theme_fonts_or_colours_override_the_house_style(package):
    styles_xml = package["word/styles.xml"].decode()
    assert "asciiTheme" not in styles_xml
    assert "themeColor" not in styles_xml


def test_page_size_and_margins_follow_the_style(word):
    section = word.sections[0]
    style = make_sample_document().style
    assert section.page_width.pt == pytest.approx(style.page_width, abs=0.05)
    assert section.page_height.pt == pytest.approx(style.page_height, abs=0.05)
    assert section.left_margin.pt == pytest.approx(style.margin_left, abs=0.05)
    assert section.top_margin.pt == pytest.approx(style.margin_top, abs=0.05)


def test_inline_emphasis_and_line_breaks(word):
    aside = next(p for p in word.paragraphs if p.style.name == "Analyst Comment")
    assert [(run.text, run.bold) for run in aside.runs][:2] == [("Assessment: ", True), ("likely to stall.", None)]
    assert aside._p.findall(".//w:br", NS)
    point = next(p for p in word.paragraphs if p.style.name == "List Bullet")
    assert [run.text for run in point.runs if run.italic] == ["urgent"]


def test_page_break_starts_the_next_paragraph_on_a_new_page(word):
    small = next(p for p in word.paragraphs if p.style.name == "Small Print")
    assert small.paragraph_format.page_break_before is True
    breaking = [p.text for p in word.paragraphs if p.paragraph_format.page_break_before]
    assert breaking == [small.text]


def test_trailing_page_break_adds_no_blank_page():
    document = make_sample_document()
    document = dataclasses.replace(document, blocks=document.blocks + (PageBreak(),))
    body = xml(render_package(document), "word/document.xml")
    assert not body.findall(".//w:br[@w:type='page']", NS)


# --- tables -------------------------------------------------------------------------


def test_table_has_header_row_cells_and_named_style(word):
    (table,) = word.tables
    assert table.style.name == "Briefing Table"
    cells = [[cell.text for cell in row.cells] for row in table.rows]
    assert cells == [
        ["Name", "Role", "Country"],
        ["Ilsa Marrow", "Foreign Minister", "Veloria"],
        ["Тарас Вельский", "Посол", "Остерland"],
    ]
    header = table.rows[0]._tr
    assert header.find("w:trPr/w:tblHeader", NS) is not None
    assert {p.style.name for p in table.rows[0].cells[0].paragraphs} == {"Table Heading"}


def test_table_spans_the_text_width_in_the_given_proportions(word):
    (table,) = word.tables
    section = word.sections[0]
    text_width = section.page_width.twips - section.left_margin.twips - section.right_margin.twips
    grid = [int(attr(col, "w:w")) for col in table._tbl.findall("w:tblGrid/w:gridCol", NS)]
    assert sum(grid) == text_width
    assert grid[0] == grid[1]
    assert grid[0] / grid[2] == pytest.approx(3 / 2, rel=0.01)
    assert attr(table._tbl.find("w:tblPr/w:tblW", NS), "w:w") == str(text_width)


def test_table_style_shades_the_header_and_rules_rows(word):
    style = styles_by_name(word)["Briefing Table"].element
    first_row = style.find("w:tblStylePr[@w:type='firstRow']", NS)
    assert attr(first_row.find("w:tcPr/w:shd", NS), "w:fill") == "E8EDF2"
    assert attr(style.find("w:tblPr/w:tblBorders/w:insideH", NS), "w:color") == "B8C2CC"
    assert style.find("w:tblPr/w:tblCellMar/w:left", NS) is not None


# --- footnotes ----------------------------------------------------------------------


def test_one_word_footnote_per_footnote_with_its_text(package):
    footnotes = xml(package, "word/footnotes.xml")
    notes = footnotes.findall("w:footnote", NS)
    separators = [(attr(n, "w:id"), attr(n, "w:type")) for n in notes if attr(n, "w:type")]
    assert separators == [("-1", "separator"), ("0", "continuationSeparator")]
    numbered = [n for n in notes if not attr(n, "w:type")]
    assert [attr(n, "w:id") for n in numbered] == ["1", "2", "3"]
    assert [paragraph_text(n).strip() for n in numbered] == NOTE_TEXTS
    for note in numbered:
        (paragraph,) = note.findall("w:p", NS)
        assert attr(paragraph.find("w:pPr/w:pStyle", NS), "w:val") == "FootnoteText"
        first_run = paragraph.find("w:r", NS)
        assert first_run.find("w:footnoteRef", NS) is not None
        assert attr(first_run.find("w:rPr/w:rStyle", NS), "w:val") == "FootnoteReference"


def test_body_references_every_footnote_in_order(package):
    body = xml(package, "word/document.xml")
    references = body.findall(".//w:footnoteReference", NS)
    assert [attr(ref, "w:id") for ref in references] == ["1", "2", "3"]
    for reference in references:
        assert attr(reference.getparent().find("w:rPr/w:rStyle", NS), "w:val") == "FootnoteReference"
    defined = {attr(n, "w:id") for n in xml(package, "word/footnotes.xml").findall("w:footnote", NS)}
    assert {attr(ref, "w:id") for ref in references} <= defined


def test_footnote_styles_and_settings(word, package):
    styles = styles_by_name(word)
    assert styles["footnote text"].font.size.pt == 8.5
    assert styles["footnote reference"].font.superscript is True
    settings = xml(package, "word/settings.xml")
    assert [attr(n, "w:id") for n in settings.findall("w:footnotePr/w:footnote", NS)] == ["-1", "0"]


def test_links_in_footnotes_are_relationships_of_the_footnotes_part(package):
    footnotes = xml(package, "word/footnotes.xml")
    rels = relationships(package, "word/footnotes.xml")
    links = footnotes.findall(".//w:hyperlink", NS)
    assert len(links) == 3
    for link in links:
        rel = rels[attr(link, "r:id")]
        assert (rel.get("Type"), rel.get("Target"), rel.get("TargetMode")) == (
            HYPERLINK,
            "https://example.org/veloria/statement",
            "External",
        )
        assert attr(link.find("w:r/w:rPr/w:rStyle", NS), "w:val") == "Hyperlink"


def test_no_footnotes_part_without_footnotes():
    document = make_sample_document(footnotes=0)
    package = render_package(document)
    assert "word/footnotes.xml" not in package
    assert b"footnotePr" not in package["word/settings.xml"]


# --- hyperlinks and package integrity -----------------------------------------------


def test_body_hyperlink_is_external_and_keeps_the_url(package):
    body = xml(package, "word/document.xml")
    (link,) = body.findall(".//w:hyperlink", NS)
    assert paragraph_text(link) == "the <source> & notes"
    rel = relationships(package, "word/document.xml")[attr(link, "r:id")]
    assert rel.get("Type") == HYPERLINK and rel.get("TargetMode") == "External"
    # "<" and ">" may not stand in a URI, so they are percent-encoded; "&" stays.
    assert rel.get("Target") == "https://example.org/a?b=1&c=%3C2%3E"
    assert unquote(rel.get("Target")) == "https://example.org/a?b=1&c=<2>"


def test_internal_link_points_at_the_heading_bookmark():
    document = make_sample_document()
    link = Paragraph((Link("#attendees", (Text("see attendees"),)),))
    document = dataclasses.replace(document, blocks=document.blocks + (link,))
    body = xml(render_package(document), "word/document.xml")
    (bookmark,) = [b for b in body.findall(".//w:bookmarkStart", NS) if "Attendees" in paragraph_text(b.getparent())]
    internal = [h for h in body.findall(".//w:hyperlink", NS) if attr(h, "w:anchor")]
    assert [attr(h, "w:anchor") for h in internal] == [attr(bookmark, "w:name")]


def test_every_relationship_target_exists_and_has_a_content_type(package):
    types = xml(package, "[Content_Types].xml")
    ct = "{http://schemas.openxmlformats.org/package/2006/content-types}"
    defaults = {d.get("Extension").lower() for d in types.iter(ct + "Default")}
    overrides = {o.get("PartName") for o in types.iter(ct + "Override")}
    for rels_name in [name for name in package if name.endswith(".rels")]:
        source_folder = posixpath.dirname(posixpath.dirname(rels_name))
        for rel in xml(package, rels_name).iterfind("rel:Relationship", NS):
            if rel.get("TargetMode") == "External":
                continue
            target = posixpath.normpath(posixpath.join(source_folder, rel.get("Target"))).lstrip("/")
            assert target in package, f"{rels_name} points at missing {target}"
    for name in package:
        if not name.endswith(".rels") and name != "[Content_Types].xml":
            assert "/" + name in overrides or name.rsplit(".", 1)[-1].lower() in defaults, name


def test_template_leftovers_are_gone(package):
    assert not [name for name in package if "thumbnail" in name or "stylesWithEffects" in name]
    assert not [name for name in package if name.startswith("customXml/")]
    assert b"rsid" not in package["word/settings.xml"] + package["word/document.xml"]
    assert b"<Application>briefgen</Application>" in package["docProps/app.xml"]


def test_every_xml_part_is_well_formed(package):
    for name, data in package.items():
        if name.endswith((".xml", ".rels")):
            etree.fromstring(data)


# --- document properties and determinism --------------------------------------------


def test_core_properties(word):
    properties = word.core_properties
    assert properties.title == "Veloria proposes a river commission"
    assert properties.subject == "Statement by Ilsa Marrow, 3 March 2031"
    assert properties.author == "Desk officer"
    assert properties.last_modified_by == "Desk officer"
    assert properties.keywords == "Veloria; river"
    assert properties.language == "en"
    assert properties.created == properties.modified == dt.datetime(2031, 3, 3, tzinfo=dt.UTC)
    assert properties.revision == 1
    assert properties.comments == ""


def test_same_document_gives_identical_bytes(docx_bytes):
    assert render_docx(make_sample_document()) == docx_bytes
    with zipfile.ZipFile(io.BytesIO(docx_bytes)) as archive:
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_without_a_date_no_date_is_invented():
    document = make_sample_document(footnotes=1)
    document = dataclasses.replace(document, metadata=dataclasses.replace(document.metadata, created=None))
    first = render_docx(document)
    core = docx.Document(io.BytesIO(first)).core_properties
    assert core.created is None and core.modified is None
    assert render_docx(document) == first


def test_aware_creation_time_is_written_in_utc():
    document = make_sample_document(footnotes=0)
    created = dt.datetime(2031, 3, 3, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=5)))
    document = dataclasses.replace(document, metadata=dataclasses.replace(document.metadata, created=created))
    core = docx.Document(io.BytesIO(render_docx(document))).core_properties
    assert core.created == dt.datetime(2031, 3, 3, 7, 0, tzinfo=dt.UTC)


# --- lists --------------------------------------------------------------------------


def test_each_ordered_list_counts_from_one():
    first = ListBlock(((Text("a"),), (Text("b"),)), ordered=True)
    second = ListBlock(((Text("c"),),), ordered=True)
    document = Document(Metadata("Lists"), (first, Paragraph((Text("between"),)), second))
    package = render_package(document)
    word = docx.Document(io.BytesIO(render_docx(document)))
    items = [p for p in word.paragraphs if p.style.name == "List Number"]
    assert [p.text for p in items] == ["a", "b", "c"]
    own_numbering = [p._p.find("w:pPr/w:numPr/w:numId", NS) for p in items]
    assert own_numbering[0] is None and own_numbering[1] is None
    restart_id = attr(own_numbering[2], "w:val")
    numbering = xml(package, "word/numbering.xml")
    num = numbering.find(f"w:num[@w:numId='{restart_id}']", NS)
    assert attr(num.find("w:lvlOverride/w:startOverride", NS), "w:val") == "1"


def test_page_break_before_a_table_moves_the_table():
    document = make_sample_document()
    table = next(block for block in document.blocks if isinstance(block, Table))
    document = Document(document.metadata, (Paragraph((Text("before"),)), PageBreak(), table, Table((), ())))
    word = docx.Document(io.BytesIO(render_docx(document)))
    (rendered,) = word.tables  # the table without rows is left out: Word rejects one
    assert rendered.rows[0].cells[0].paragraphs[0].paragraph_format.page_break_before is True


def test_unknown_paragraph_role_is_an_error():
    document = Document(Metadata("Roles"), (Paragraph((Text("x"),), role="shout"),))
    with pytest.raises(ValueError, match="shout"):
        render_docx(document)


# --- reference document -------------------------------------------------------------


def _reference_with_red_headings() -> bytes:
    reference = docx.Document()
    reference.styles["Heading 1"].font.color.rgb = docx.shared.RGBColor(0xCC, 0x00, 0x00)
    reference.add_paragraph("Letterhead body text that must not survive")
    buffer = io.BytesIO()
    reference.save(buffer)
    return buffer.getvalue()


def test_reference_docx_styles_win_and_missing_ones_are_added():
    reference = _reference_with_red_headings()
    output = render_docx(make_sample_document(), reference)
    assert output == render_docx(make_sample_document(), reference)
    word = docx.Document(io.BytesIO(output))
    styles = styles_by_name(word)
    assert str(styles["Heading 1"].font.color.rgb) == "CC0000"
    assert {"Lead", "Analyst Comment", "Small Print", "Briefing Table", "footnote text"} <= set(styles)
    assert "Letterhead body text" not in "\n".join(p.text for p in word.paragraphs)
    assert word.paragraphs[0].style.name == "Title"
    with zipfile.ZipFile(io.BytesIO(output)) as archive:
        assert len(etree.fromstring(archive.read("word/footnotes.xml")).findall("w:footnote", NS)) == 5
        # A stale Word 2010 copy of the styles would make Word report unreadable content.
        assert "word/stylesWithEffects.xml" not in archive.namelist()
        assert "word/fonts/font1.odttf" not in archive.namelist()


def test_xml_text_is_escaped_as_lxml_writes_it():
    # The body is written as text and must read byte for byte as if lxml had written it.
    legal = "".join(chr(code) for code in range(0x110000) if clean_text(chr(code)) == chr(code))
    root = etree.fromstring(f'<w:body xmlns:w="{W}"/>')
    etree.SubElement(root, f"{{{W}}}t").text = legal
    etree.SubElement(root, f"{{{W}}}a", {f"{{{W}}}v": legal})
    written = etree.tostring(root, encoding="UTF-8").decode()
    assert f"<w:t>{escape_text(legal)}</w:t>" in written
    assert f'<w:a w:v="{escape_attribute(legal)}"/>' in written


def _with_document_prefixes_renamed(reference: bytes) -> bytes:
    """Return ``reference`` with its document.xml writing "wx:" and "rx:" for the usual "w:" and "r:"."""
    output = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(reference)) as source, zipfile.ZipFile(output, "w") as target:
        for entry in source.infolist():
            data = source.read(entry)
            if entry.filename == "word/document.xml":
                data = re.sub(rb"(</?|\s)([wr]):", rb"\1\2x:", data)
                data = re.sub(rb"xmlns:([wr])=", rb"xmlns:\1x=", data)
            target.writestr(entry, data)
    return output.getvalue()


def _elements(docx_data: bytes, name: str) -> list[tuple]:
    with zipfile.ZipFile(io.BytesIO(docx_data)) as archive:
        root = etree.fromstring(archive.read(name))
    return [(element.tag, dict(element.attrib), element.text) for element in root.iter()]


def test_reference_with_other_namespace_prefixes_gets_the_same_body():
    reference = _reference_with_red_headings()
    renamed = _with_document_prefixes_renamed(reference)
    with zipfile.ZipFile(io.BytesIO(renamed)) as archive:
        assert b"<wx:body>" in archive.read("word/document.xml")
    output = render_docx(make_sample_document(), renamed)
    with zipfile.ZipFile(io.BytesIO(output)) as archive:
        assert b"<wx:body>" in archive.read("word/document.xml")
    expected = render_docx(make_sample_document(), reference)
    assert _elements(output, "word/document.xml") == _elements(expected, "word/document.xml")


# --- embedded fonts -----------------------------------------------------------------


def test_house_fonts_are_embedded_as_word_does(package):
    font_table = xml(package, "word/fontTable.xml")
    rels = relationships(package, "word/fontTable.xml")
    style = make_sample_document().style
    for family in (style.body_font, style.heading_font):
        (entry,) = font_table.findall(f"w:font[@w:name='{family.name}']", NS)
        for element, path in (
            ("embedRegular", family.regular),
            ("embedBold", family.bold),
            ("embedItalic", family.italic),
            ("embedBoldItalic", family.bold_italic),
        ):
            embed = entry.find(f"w:{element}", NS)
            key = attr(embed, "w:fontKey")
            assert re.fullmatch(r"\{[0-9A-F]{8}-([0-9A-F]{4}-){3}[0-9A-F]{12}\}", key)
            stored = package["word/" + rels[attr(embed, "r:id")].get("Target")]
            assert stored != Path(path).read_bytes()  # obfuscated, and
            assert obfuscate(stored, key) == Path(path).read_bytes()  # reversibly so
    assert xml(package, "word/settings.xml").find("w:embedTrueTypeFonts", NS) is not None


def test_obfuscation_follows_ecma_376():
    # The GUID's bytes, last hex pair first, XORed over the first 32 bytes of the font.
    key = "{00112233-4455-6677-8899-AABBCCDDEEFF}"
    expected_key = bytes.fromhex("FFEEDDCCBBAA99887766554433221100")
    obfuscated = obfuscate(bytes(40), key)
    assert obfuscated[:16] == expected_key and obfuscated[16:32] == expected_key
    assert obfuscated[32:] == bytes(8)


def _font_with_fs_type(fs_type: int, version: bytes = b"\x00\x01\x00\x00") -> bytes:
    """A minimal sfnt file holding only an OS/2 table with the given embedding bits."""
    header = version + struct.pack(">HHHH", 1, 16, 0, 0)
    record = struct.pack(">4sIII", b"OS/2", 0, 28, 10)
    return header + record + bytes(8) + struct.pack(">H", fs_type)


def test_embedding_respects_the_font_licence_bits():
    assert embedding_allowed(Path(make_sample_document().style.body_font.regular).read_bytes())
    assert embedding_allowed(_font_with_fs_type(0x0000))  # installable
    assert embedding_allowed(_font_with_fs_type(0x0004))  # preview & print
    assert not embedding_allowed(_font_with_fs_type(0x0002))  # restricted licence
    assert not embedding_allowed(_font_with_fs_type(0x0200))  # bitmap embedding only
    assert not embedding_allowed(_font_with_fs_type(0x0000, version=b"OTTO"))  # CFF outlines


# --- LibreOffice --------------------------------------------------------------------


def _font_config_without(families: set[str], folder: Path) -> Path | None:
    """A fontconfig file listing the system's font folders that hold none of ``families``."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return None
    listing = subprocess.run([fc_list, ":", "file", "family"], capture_output=True, text=True, check=False).stdout
    folders: dict[str, bool] = {}
    for line in listing.splitlines():
        path, _, names = line.partition(": ")
        holds_family = any(name.strip() in families for name in names.split(","))
        folder_name = str(Path(path).parent)
        folders[folder_name] = folders.get(folder_name, False) or holds_family
    kept = sorted(name for name, holds in folders.items() if not holds)
    if not kept:
        return None
    config = folder / "fonts.conf"
    dirs = "".join(f"<dir>{name}</dir>" for name in kept)
    config.write_text(f'<?xml version="1.0"?><fontconfig>{dirs}<cachedir>{folder / "cache"}</cachedir></fontconfig>')
    return config


@pytest.fixture(scope="module")
def libreoffice_pdf(docx_bytes, tmp_path_factory) -> tuple[pypdf.PdfReader, bool]:
    """The sample converted by LibreOffice, with the house fonts hidden from it where possible."""
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("soffice not installed: cannot check that LibreOffice opens the .docx")
    work = tmp_path_factory.mktemp("soffice")
    source = work / "note.docx"
    source.write_bytes(docx_bytes)
    style = make_sample_document().style
    config = _font_config_without({style.body_font.name, style.heading_font.name}, work)
    env = {"FONTCONFIG_FILE": str(config)} if config else {}
    result = convert_with_libreoffice(soffice, work, [source], timeout=180, env=env)
    pdf = work / "note.pdf"
    assert pdf.exists(), f"LibreOffice could not convert the .docx:\n{result.stdout}\n{result.stderr}"
    return pypdf.PdfReader(pdf), config is not None


def _words(text: str) -> str:
    return " ".join(text.split())


def test_libreoffice_renders_text_footnotes_and_cyrillic(libreoffice_pdf):
    reader, _ = libreoffice_pdf
    text = _words(" ".join(page.extract_text() for page in reader.pages))
    assert "Veloria proposes a river commission" in text
    assert _words(CYRILLIC_LINE) in text
    assert "Тарас Вельский" in text
    for note in NOTE_TEXTS:
        assert note in text
    assert len(reader.pages) == 2


def test_libreoffice_keeps_links_clickable(libreoffice_pdf):
    reader, _ = libreoffice_pdf
    uris = {
        annotation.get_object()["/A"]["/URI"]
        for page in reader.pages
        for annotation in page.get("/Annots", [])
        if "/A" in annotation.get_object()
    }
    assert "https://example.org/veloria/statement" in uris
    assert any(unquote(uri) == "https://example.org/a?b=1&c=<2>" for uri in uris)


def test_libreoffice_uses_the_embedded_fonts(libreoffice_pdf):
    reader, fonts_hidden = libreoffice_pdf
    if not fonts_hidden:
        pytest.skip("fc-list unavailable: cannot hide the installed PT fonts from LibreOffice")
    used = {
        str(font.get_object()["/BaseFont"]).split("+")[-1]
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()
    }
    assert {"PTSerif-Regular", "PTSerif-Bold", "PTSerif-Italic", "PTSans-Bold"} <= used
