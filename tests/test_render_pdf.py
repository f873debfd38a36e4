"""The PDF renderer, read back with pypdf and pdfminer.six as a reader of the PDF would see it."""

from __future__ import annotations

import collections
import datetime as dt
import hashlib
import io
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from pdfminer.high_level import extract_pages
from pdfminer.layout import LTChar, LTTextContainer, LTTextLine
from pypdf import PdfReader

from briefgen.document import (
    Document,
    Footnote,
    Heading,
    Link,
    ListBlock,
    Metadata,
    Paragraph,
    Style,
    Table,
    Text,
)
from briefgen.render.pdf import render_pdf
from briefgen.resources import shipped_family
from conftest import make_sample_document

KAZAKH_LINE = "«Мы предлагаем создать комиссию» — Қазақ әліпбиі: Ә Ғ Қ Ң Ө Ұ Ү Һ І."

# --- helpers ---------------------------------------------------------------------------


def page_texts(data: bytes) -> list[str]:
    """Return each page's extracted text with runs of whitespace collapsed to one space."""
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(data)).pages]


def link_uris(data: bytes) -> list[str]:
    """Return the URI of every link annotation in the document, page by page."""
    uris = []
    for page in PdfReader(io.BytesIO(data)).pages:
        for annotation in page.get("/Annots", []):
            action = annotation.get_object().get("/A")
            if action is not None and action.get("/S") == "/URI":
                uris.append(str(action["/URI"]))
    return uris


def internal_link_count(data: bytes) -> int:
    """Return how many link annotations jump to a place inside the document."""
    return sum(
        1
        for page in PdfReader(io.BytesIO(data)).pages
        for annotation in page.get("/Annots", [])
        if "/Dest" in annotation.get_object()
    )


def text_lines(data: bytes) -> list[list[LTTextLine]]:
    """Return each page's text lines as laid out by pdfminer."""
    pages = []
    for layout in extract_pages(io.BytesIO(data)):
        lines = []
        for element in layout:
            if isinstance(element, LTTextContainer):
                lines.extend(line for line in element if isinstance(line, LTTextLine))
        pages.append(lines)
    return pages


def line_size(line: LTTextLine) -> float:
    """Return the most common font size of a line's visible characters."""
    sizes = collections.Counter(round(c.size, 1) for c in line if isinstance(c, LTChar) and c.get_text().strip())
    return sizes.most_common(1)[0][0]


def stress_document(sections: int = 3) -> Document:
    """A document whose footnotes sit in long split paragraphs, lists, table cells, asides and quotes."""
    vocabulary = (
        "the commission shall meet twice a year and report to both governments on the state of the "
        "river its tributaries and the fisheries that depend on them while observers may attend"
    ).split()
    numbers = iter(range(1, 100_000))

    def words(count: int, seed: int) -> str:
        return " ".join(vocabulary[(seed * 7 + i) % len(vocabulary)] for i in range(count))

    def cite(lines: int = 1) -> tuple:
        n = next(numbers)
        note = Footnote(
            (
                Text(f"Source {n}: {words(14 * lines, n)} "),
                Link(f"https://example.org/s?id={n}", (Text(f"example.org/s/{n}"),)),
                Text("."),
            )
        )
        return (Text(" §"), note)

    blocks: list = [Heading(0, (Text("Stress test of footnotes"),))]
    for s in range(sections):
        blocks.append(Heading(1, (Text(f"Section {s}"),)))
        long_paragraph: list = []
        for k in range(12):
            long_paragraph += [Text(" " + words(25, s * 13 + k)), *cite(lines=3 if k % 3 == 0 else 1)]
        blocks.append(Paragraph(tuple(long_paragraph)))
        blocks.append(ListBlock(tuple((Text(words(30, i)), *cite()) for i in range(5)), ordered=bool(s % 2)))
        blocks.append(Heading(2, (Text(f"Table {s}"),)))
        rows = tuple(((Text(f"Row {r}"),), (Text(words(12, r)), *cite()), (Text(words(5, r + 1)),)) for r in range(14))
        blocks.append(Table(((Text("Name"),), (Text("Detail"),), (Text("Other"),)), rows, widths=(1, 3, 1.5)))
        blocks.append(Paragraph((Text("Assessment: ", bold=True), Text(words(160, s)), *cite(2), Text(" " + words(40, s))), role="aside"))
        blocks.append(Paragraph((Text(words(60, s)), *cite(), Text(" " + words(20, s))), role="quote"))
    style = Style(body_font=shipped_family("PT Serif"), heading_font=shipped_family("PT Sans"))
    return Document(Metadata(title="Stress test of footnotes"), tuple(blocks), style)


def styled_document(*blocks, **metadata) -> Document:
    """A document of ``blocks`` in the shipped fonts."""
    style = Style(body_font=shipped_family("PT Serif"), heading_font=shipped_family("PT Sans"))
    return Document(Metadata(title=metadata.pop("title", "Test"), **metadata), tuple(blocks), style)


@pytest.fixture(scope="module")
def sample_pdf() -> bytes:
    return render_pdf(make_sample_document())


@pytest.fixture(scope="module")
def forty_notes_pdf() -> bytes:
    return render_pdf(make_sample_document(footnotes=40))


@pytest.fixture(scope="module")
def stress_pdf() -> bytes:
    return render_pdf(stress_document())


# --- content ---------------------------------------------------------------------------


def test_output_is_a_complete_pdf(sample_pdf):
    assert sample_pdf.startswith(b"%PDF-1.")
    assert sample_pdf.rstrip().endswith(b"%%EOF")


def test_title_headings_and_every_list_item_are_in_the_text(forty_notes_pdf):
    text = " ".join(page_texts(forty_notes_pdf))
    for heading in ("Veloria proposes a river commission", "Key points", "Attendees", "Comment"):
        assert heading in text
    for i in range(1, 41):
        assert f"Point {i}: the minister said the commission is urgent{i}" in text


def test_cyrillic_and_kazakh_letters_come_out_as_themselves(sample_pdf):
    text = " ".join(page_texts(sample_pdf))
    assert KAZAKH_LINE in text
    assert "Тарас Вельский" in text and "Посол" in text


def test_roles_table_and_aside_text_are_present(sample_pdf):
    text = " ".join(page_texts(sample_pdf))
    assert "Ilsa Marrow, Foreign Minister of Veloria · Port Ardent · 3 March 2031" in text
    assert "Veloria wants a joint commission on the Arden river by autumn." in text
    assert "Name Role Country" in text
    assert "Assessment: likely to stall. Second line." in text


def test_page_break_starts_a_new_page(sample_pdf):
    pages = page_texts(sample_pdf)
    assert "See the <source> & notes." in pages[-1]
    assert "Comment" not in pages[-1]
    assert "Comment" in pages[-2]


def test_markup_looking_text_appears_literally():
    hostile = [
        "<font color=red>red</font>",
        "<img src=x>",
        '<a href="javascript:alert(1)">click</a>',
        "AT&T &amp; &lt;co&gt; &nbsp;",
        "<b>not bold</b> <br/> <super>1</super>",
    ]
    document = styled_document(
        Heading(0, (Text("<i>Title</i> & co"),)),
        *(Paragraph((Text(s),)) for s in hostile),
        ListBlock(((Text("<li>item</li>"),),)),
        Table(((Text("<th>"),),), (((Text("<td>&"),),),)),
        Paragraph((Text("note"), Footnote((Text("<u>under</u> & over"),)))),
    )
    text = " ".join(page_texts(render_pdf(document)))
    for expected in ["<i>Title</i> & co", *hostile, "<li>item</li>", "<th>", "<td>&", "<u>under</u> & over"]:
        assert expected in text


def test_control_characters_do_not_break_rendering():
    document = styled_document(Paragraph((Text("bell\x07 null\x00 tab\tend"),)))
    assert "bell null tab end" in " ".join(page_texts(render_pdf(document)))


# --- links -----------------------------------------------------------------------------


def test_link_href_is_escaped_and_clickable(sample_pdf):
    assert "https://example.org/a?b=1&c=<2>" in link_uris(sample_pdf)


def test_only_web_and_mail_links_become_clickable():
    def link(href: str, label: str) -> Paragraph:
        return Paragraph((Link(href, (Text(label),)),))

    document = styled_document(
        link("https://example.org/ok", "web"),
        link("http://example.org/plain", "plain web"),
        link("mailto:desk@example.org", "mail"),
        link("javascript:alert(1)", "script"),
        link(" JavaScript:alert(2)", "script again"),
        link("file:///etc/passwd", "file"),
        link('https://example.org/"quoted"', "quoted"),
    )
    data = render_pdf(document)
    assert sorted(link_uris(data)) == sorted(
        ["https://example.org/ok", "http://example.org/plain", "mailto:desk@example.org", 'https://example.org/"quoted"']
    )
    text = " ".join(page_texts(data))
    assert "script" in text and "script again" in text and "file" in text


def test_links_inside_footnotes_are_clickable(forty_notes_pdf):
    assert link_uris(forty_notes_pdf).count("https://example.org/veloria/statement") == 40


def test_each_footnote_marker_links_to_its_note(forty_notes_pdf):
    assert internal_link_count(forty_notes_pdf) == 40


def test_link_to_a_heading_anchor_jumps_inside_the_document():
    document = styled_document(
        Heading(1, (Text("Background"),), anchor="background"),
        Paragraph((Text("See "), Link("#background", (Text("background"),)), Text(" and "), Link("#nowhere", (Text("nowhere"),)))),
    )
    data = render_pdf(document)
    assert internal_link_count(data) == 1
    assert link_uris(data) == []


# --- footnotes -------------------------------------------------------------------------


def markers_and_notes_by_page(data: bytes, marker: str, note: str) -> list[tuple[set[int], set[int]]]:
    """Return, for each page, the footnote numbers of its markers and of its notes."""
    return [
        ({int(n) for n in re.findall(marker, text)}, {int(n) for n in re.findall(note, text)})
        for text in page_texts(data)
    ]


def test_forty_footnotes_sit_on_the_pages_of_their_markers(forty_notes_pdf):
    pages = markers_and_notes_by_page(forty_notes_pdf, r"urgent(\d+)", r"“Statement (\d+)”")
    assert len([p for p in pages if p[0]]) >= 3  # the notes really spread over several pages
    for markers, notes in pages:
        assert markers == notes
    assert set().union(*(markers for markers, _ in pages)) == set(range(1, 41))


def test_footnotes_are_numbered_in_order_of_appearance(forty_notes_pdf):
    text = " ".join(page_texts(forty_notes_pdf))
    numbered = re.findall(r"(\d+) Ministry of Fictional Affairs of Veloria, “Statement (\d+)”", text)
    assert [int(number) for number, _ in numbered] == list(range(1, 41))
    assert all(number == statement for number, statement in numbered)


def test_footnotes_follow_markers_through_split_paragraphs_lists_tables_and_asides(stress_pdf):
    pages = markers_and_notes_by_page(stress_pdf, r"§\s*(\d+)", r"Source (\d+):")
    cited = set()
    for index, (markers, notes) in enumerate(pages, start=1):
        assert markers == notes, f"page {index}"
        cited |= markers
    assert cited == set(range(1, 3 * 33 + 1))


def test_body_text_never_overlaps_the_footnotes(stress_pdf):
    footnote_size = Style().footnote_size
    for index, lines in enumerate(text_lines(stress_pdf), start=1):
        bottom_margin = Style().margin_bottom
        notes = [line for line in lines if line_size(line) == footnote_size]
        body = [line for line in lines if line_size(line) > footnote_size and line.y0 > bottom_margin - 1]
        if notes and body:
            assert min(line.y0 for line in body) > max(line.y1 for line in notes), f"page {index}"


def test_no_text_runs_into_the_margins(stress_pdf):
    style = Style()
    for lines in text_lines(stress_pdf):
        for line in lines:
            assert line.x0 >= style.margin_left - 0.5
            assert line.x1 <= style.page_width - style.margin_right + 0.5


def test_a_long_unbroken_url_wraps_inside_the_margins():
    url = "https://example.org/" + "very-long-path-segment/" * 20
    document = styled_document(Paragraph((Text("x"), Footnote((Link(url, (Text(url),)),)))), Paragraph((Text(url),)))
    style = Style()
    for lines in text_lines(render_pdf(document)):
        for line in lines:
            assert line.x1 <= style.page_width - style.margin_right + 0.5


def test_table_header_repeats_on_each_page_it_spans(stress_pdf):
    pages = page_texts(stress_pdf)
    continued = [i for i, text in enumerate(pages) if re.search(r"Name Detail Other Row ([1-9]|1[0-3]) ", text)]
    assert continued, "a table should continue on a later page under a repeated header"


def test_footnotes_in_a_heading_and_a_repeated_table_header_are_placed_once():
    rows = tuple(((Text(f"row {i}"),),) for i in range(80))
    document = styled_document(
        Heading(1, (Text("Heading"), Footnote((Text("Heading note."),)))),
        Table(((Text("Head"), Footnote((Text("Header note."),))),), rows),
    )
    pages = page_texts(render_pdf(document))
    assert len(pages) >= 2
    assert "1 Heading note. 2 Header note." in pages[0]
    assert all("note." not in text for text in pages[1:])


def test_a_footnote_taller_than_a_page_is_reported_by_number():
    document = styled_document(Paragraph((Text("x"), Footnote((Text("word " * 3000),)))))
    with pytest.raises(ValueError, match="footnote 1 .* taller than a page"):
        render_pdf(document)


def test_an_empty_document_still_has_one_page():
    assert len(page_texts(render_pdf(styled_document()))) == 1


def test_empty_tables_and_lists_are_left_out():
    document = styled_document(Table((), ()), ListBlock(()), Paragraph((Text("Only this."),)))
    assert page_texts(render_pdf(document))[0].startswith("Only this.")


def test_a_document_without_footnotes_or_headings_renders():
    data = render_pdf(styled_document(Paragraph((Text("Just a line."),))))
    assert "Just a line." in page_texts(data)[0]
    assert PdfReader(io.BytesIO(data)).outline == []


# --- outline, metadata, fonts, pages ---------------------------------------------------------


def flatten_outline(items, depth=0):
    """Yield (depth, title) for every entry of a pypdf outline."""
    for item in items:
        if isinstance(item, list):
            yield from flatten_outline(item, depth + 1)
        else:
            yield depth, item.title


def test_headings_become_nested_outline_entries(sample_pdf):
    reader = PdfReader(io.BytesIO(sample_pdf))
    assert list(flatten_outline(reader.outline)) == [
        (0, "Veloria proposes a river commission"),
        (1, "Key points"),
        (2, "Attendees"),
        (3, "Comment"),
    ]
    assert reader.trailer["/Root"]["/PageMode"] == "/UseOutlines"


def test_outline_entries_point_at_the_pages_of_their_headings(forty_notes_pdf):
    reader = PdfReader(io.BytesIO(forty_notes_pdf))
    texts = page_texts(forty_notes_pdf)
    entries = [e for e in reader.outline if not isinstance(e, list)]
    nested = reader.outline[1]
    while isinstance(nested, list):
        entries += [e for e in nested if not isinstance(e, list)]
        nested = next((e for e in nested if isinstance(e, list)), None)
    for entry in entries:
        assert entry.title in texts[reader.get_destination_page_number(entry)]


def test_outline_levels_never_skip_a_level():
    document = styled_document(Heading(2, (Text("Deep first"),)), Heading(3, (Text("Deeper"),)), Heading(1, (Text("Up"),)))
    reader = PdfReader(io.BytesIO(render_pdf(document)))
    assert list(flatten_outline(reader.outline)) == [(0, "Deep first"), (1, "Deeper"), (0, "Up")]


def test_headings_of_one_level_are_siblings_in_the_outline():
    document = styled_document(
        Heading(1, (Text("One"),)), Heading(3, (Text("Deep"),)), Heading(3, (Text("Deep too"),)), Heading(1, (Text("Two"),))
    )
    reader = PdfReader(io.BytesIO(render_pdf(document)))
    assert list(flatten_outline(reader.outline)) == [(0, "One"), (1, "Deep"), (1, "Deep too"), (0, "Two")]


def test_metadata_is_written(sample_pdf):
    reader = PdfReader(io.BytesIO(sample_pdf))
    info = reader.metadata
    assert info["/Title"] == "Veloria proposes a river commission"
    assert info["/Author"] == "Desk officer"
    assert info["/Subject"] == "Statement by Ilsa Marrow, 3 March 2031"
    assert info["/Keywords"] == "Veloria, river"
    assert info["/Creator"] == "briefgen"
    assert info["/CreationDate"] == "D:20310303000000"
    assert reader.trailer["/Root"]["/Lang"] == "en"


def test_creation_date_keeps_its_utc_offset():
    created = dt.datetime(2031, 3, 3, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    data = render_pdf(styled_document(Paragraph((Text("x"),)), created=created, language="kk"))
    reader = PdfReader(io.BytesIO(data))
    assert reader.metadata["/CreationDate"] == "D:20310303093000-05'00'"
    assert reader.trailer["/Root"]["/Lang"] == "kk"


def all_fonts(data: bytes) -> dict[str, object]:
    """Return every font dictionary used by pages and their form XObjects, by base name."""
    fonts = {}
    for page in PdfReader(io.BytesIO(data)).pages:
        resources = [page["/Resources"]]
        for xobject in page["/Resources"].get("/XObject", {}).values():
            if "/Resources" in xobject.get_object():
                resources.append(xobject.get_object()["/Resources"])
        for resource in resources:
            for font in resource.get("/Font", {}).values():
                font = font.get_object()
                fonts[str(font["/BaseFont"])] = font
    return fonts


def test_fonts_are_embedded_subsets(sample_pdf):
    fonts = all_fonts(sample_pdf)
    families = {name.split("+", 1)[-1] for name in fonts}
    assert {"PTSerif-Regular", "PTSerif-Italic", "PTSerif-Bold", "PTSans-Regular", "PTSans-Bold"} <= families
    for name, font in fonts.items():
        assert re.fullmatch(r"/[A-Z]{6}\+[A-Za-z-]+", name), name
        assert "/FontFile2" in font["/FontDescriptor"], name


def test_title_and_body_use_the_house_fonts_and_sizes(sample_pdf):
    style = Style()
    chars = [c for line in text_lines(sample_pdf)[0] for c in line if isinstance(c, LTChar)]
    title = [c for c in chars if c.get_text() == "V" and round(c.size, 1) == style.title_size]
    body = [c for c in chars if round(c.size, 1) == style.body_size]
    assert title and all(c.fontname.endswith("PTSans-Bold") for c in title)
    assert body and any(c.fontname.endswith("PTSerif-Regular") for c in body)


def test_every_page_is_numbered_n_of_m(forty_notes_pdf):
    pages = page_texts(forty_notes_pdf)
    for number, text in enumerate(pages, start=1):
        assert f"{number} / {len(pages)}" in text


def test_page_size_and_margins_follow_the_style():
    style = Style(page_width=612, page_height=792, margin_left=90, body_font=shipped_family("PT Serif"))
    data = render_pdf(Document(Metadata(title="Letter"), (Paragraph((Text("Letter paper."),)),), style))
    page = PdfReader(io.BytesIO(data)).pages[0]
    assert [float(v) for v in page.mediabox] == [0, 0, 612, 792]
    first = text_lines(data)[0][0]
    assert abs(first.x0 - 90) < 1


# --- determinism -------------------------------------------------------------------------


def test_the_same_document_gives_identical_bytes(sample_pdf):
    assert render_pdf(make_sample_document()) == sample_pdf


def test_concurrent_renders_give_identical_bytes(sample_pdf):
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible to expose races
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(lambda _: render_pdf(make_sample_document()), range(16)))
    finally:
        sys.setswitchinterval(interval)
    assert all(result == sample_pdf for result in results)


def test_a_fresh_process_gives_identical_bytes_whatever_it_rendered_before(sample_pdf, tmp_path):
    # A different file that claims PT Serif's PostScript name is registered first there.
    impostor = tmp_path / "PTSerif-Regular-edited.ttf"
    impostor.write_bytes(Path(shipped_family("PT Serif").regular).read_bytes() + b"\0\0\0\0")
    script = (
        "import dataclasses, hashlib, sys; sys.path.insert(0, sys.argv[1]);"
        "from conftest import make_sample_document; from briefgen.render.pdf import render_pdf;"
        "from briefgen.document import Style; from briefgen.resources import shipped_family;"
        "edited = dataclasses.replace(shipped_family('PT Serif'), regular=sys.argv[2]);"
        "render_pdf(dataclasses.replace(make_sample_document(), style=Style(body_font=edited)));"
        "print(hashlib.sha256(render_pdf(make_sample_document())).hexdigest())"
    )
    tests_dir = str(Path(__file__).resolve().parent)
    command = [sys.executable, "-c", script, tests_dir, str(impostor)]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == hashlib.sha256(sample_pdf).hexdigest()


def test_a_long_table_splits_page_by_page_as_reportlab_would_with_each_note_beside_its_row(monkeypatch):
    """A table of hundreds of rows is split a page-sized window at a time: same pages as a whole-table split."""
    from briefgen.render import pdf as pdf_module

    def long_table_document() -> Document:
        rows = tuple(
            ((Text(f"Row {r:03d}"),), (Text("remarks " * (1 + r % 7)), Footnote((Text(f"Note for row {r:03d}."),))))
            for r in range(400)
        )
        return styled_document(Paragraph((Text("Before the table."),)), Table(((Text("Name"),), (Text("Detail"),)), rows, widths=(1, 3)))

    windowed = page_texts(render_pdf(long_table_document()))
    monkeypatch.setattr(pdf_module._RemainingRows, "_LONG", 10**9)  # every table splits the reportlab way
    whole = page_texts(render_pdf(long_table_document()))
    assert windowed == whole
    seen = [int(number) for text in windowed for number in re.findall(r"Row (\d{3})", text)]
    assert seen == list(range(400))
    for text in windowed[1:]:
        assert text.startswith("Name Detail Row "), text[:60]
    for text in windowed:
        for number in re.findall(r"Row (\d{3})", text):
            assert f"Note for row {number}." in text


def with_content_identifier(data: bytes) -> bytes:
    """Return reportlab's file with its trailer's identifier replaced by the MD5 of the file with a zero identifier, as the document canvas writes it."""
    found = list(re.finditer(rb"/ID \n\[<([0-9a-f]{32})><\1>\]", data))[-1]
    zero = b"/ID \n[<" + b"0" * 32 + b"><" + b"0" * 32 + b">]"
    identifier = hashlib.md5(data[: found.start()] + zero + data[found.end() :]).hexdigest().encode()
    return data[: found.start()] + b"/ID \n[<" + identifier + b"><" + identifier + b">]" + data[found.end() :]


@pytest.mark.parametrize("ascii85", [True, False], ids=["ASCII85 and Flate", "Flate"])
def test_the_document_canvas_writes_the_bytes_reportlab_writes(monkeypatch, ascii85):
    """Pages compressed as they finish, links formatted directly and the file written object by object come out as reportlab's own canvas writes them, but for the identifier."""
    from reportlab import rl_config
    from reportlab.pdfgen.canvas import Canvas

    from briefgen.render import pdf

    monkeypatch.setattr(rl_config, "useA85", int(ascii85))
    document = make_sample_document(footnotes=40)  # several pages, a link to a URL and links to notes
    by_document_canvas = render_pdf(document)
    assert by_document_canvas.count(b"/Subtype /Link") > 40
    assert b"/S /URI /Type /Action /URI (https://example.org/a?b=1&c=<2>)" in by_document_canvas
    monkeypatch.setattr(pdf, "DocumentCanvas", Canvas)
    assert by_document_canvas == with_content_identifier(render_pdf(document))
    assert (b"/ASCII85Decode" in by_document_canvas) == ascii85


def test_links_are_left_to_reportlab_where_it_writes_dictionaries_one_entry_per_line(monkeypatch):
    from reportlab import rl_config
    from reportlab.pdfgen.canvas import Canvas

    from briefgen.render import pdf

    monkeypatch.setattr(rl_config, "pdfMultiLine", 1)
    document = make_sample_document(footnotes=3)
    multiline = render_pdf(document)
    assert b"/Border [ 0\n 0\n 0 ]" in multiline
    monkeypatch.setattr(pdf, "DocumentCanvas", Canvas)
    assert multiline == with_content_identifier(render_pdf(document))


@pytest.mark.parametrize(
    "value",
    ["Annot", "0 0 612 792", "(Vardania \\(East\\))", "", "Ostrelia é ü", "\u02d8 breve", "tab\there", "unit\x1fsep", b"bytes", 12],
)
def test_names_and_strings_are_encoded_as_reportlab_encodes_them(value):
    """The quick PDFDocEncoding and the remembered names answer what reportlab's own functions answer, errors included."""
    from briefgen.render import pdf_canvas

    def outcome(function, *args):
        try:
            return function(*args)
        except Exception as error:  # noqa: BLE001 - the error is part of the answer
            return type(error)

    assert outcome(pdf_canvas._pdfdoc_encoded, value) == outcome(pdf_canvas._reportlab_pdfdoc_encoded, value)
    if isinstance(value, str):
        for _ in range(2):  # computed, then remembered
            assert pdf_canvas._pdf_name(value) == pdf_canvas._reportlab_pdf_name(value)
        assert pdf_canvas._pdf_name(value, "A", "z") == pdf_canvas._reportlab_pdf_name(value, "A", "z")


@pytest.mark.parametrize("multiline", [0, 1], ids=["six entries a line", "one entry a line"])
def test_values_and_dictionaries_are_formatted_as_reportlab_formats_them(monkeypatch, multiline):
    """The quick formatting of plain values and dictionaries writes the file reportlab's own functions write."""
    from collections import OrderedDict

    from reportlab import rl_config
    from reportlab.pdfbase import pdfdoc

    from briefgen.render import pdf_canvas

    monkeypatch.setattr(rl_config, "pdfMultiLine", multiline)
    document = make_sample_document(footnotes=40)
    quick = render_pdf(document)
    values = [0, -3, 12.5, 1e-7, 2**40, True, None, b"raw", "Ostrelia é", "tab\there", pdfdoc.PDFName("Annot")]
    dictionaries = [
        pdfdoc.PDFDictionary({"Type": "/Annot", "Rect": pdfdoc.PDFArray([0, 1.5, 2, 3]), "N": 7, "S": b"x"}),
        pdfdoc.PDFDictionary(OrderedDict([("Z", 1), ("A", 2)])),
        pdfdoc.PDFDictionary({f"K{n}": n for n in range(14)}),
    ]
    pdf_document = pdfdoc.PDFDocument()
    mine = [pdfdoc.format(value, pdf_document) for value in values + dictionaries]
    monkeypatch.setattr(pdfdoc, "format", pdf_canvas._reportlab_format)
    monkeypatch.setattr(pdfdoc.PDFDictionary, "format", pdf_canvas._reportlab_format_dictionary)
    assert mine == [pdfdoc.format(value, pdf_document) for value in values + dictionaries]
    assert quick == render_pdf(document)


def test_paragraph_fragments_copy_as_the_reduce_protocol_copies_them():
    import copy

    from reportlab.platypus.paraparser import ParaFrag

    class Subclassed(ParaFrag):
        pass

    for kind in (ParaFrag, Subclassed):
        fragment = kind(fontName="Times-Roman", fontSize=10.5, link=[(0, "#note-1")], us_lines=[])
        copied = copy.copy(fragment)
        by_protocol = copy._reconstruct(fragment, None, *fragment.__reduce_ex__(4))
        assert type(copied) is type(by_protocol) is kind and copied is not fragment
        assert copied.__dict__ == by_protocol.__dict__ == fragment.__dict__
        assert copied.link is fragment.link  # shallow, as reportlab's parser expects
    assert "__copy__" in vars(ParaFrag)  # the quick copy is the one in use


def test_paragraph_bags_clone_as_reportlabs_abag_clones_them():
    from reportlab.lib.abag import ABag
    from reportlab.platypus.paragraph import FragLine, ParaLines
    from reportlab.platypus.paraparser import ParaFrag

    for kind in (ParaFrag, FragLine, ParaLines):
        assert kind.__init__ is ABag.__init__  # what makes the quick clone the same
        bag = kind(kind=1, lines=[], fontSize=10.5)
        for extra in ({}, {"kind": 0, "lines": ["one"], "ascent": 8.2}):
            cloned, by_reportlab = bag.clone(**extra), ABag.clone(bag, **extra)
            assert type(cloned) is type(by_reportlab) is kind and cloned is not bag
            assert list(cloned.__dict__.items()) == list(by_reportlab.__dict__.items())
        assert kind.clone is not ABag.clone


def test_the_shipped_fonts_registered_ahead_are_the_ones_a_document_uses(monkeypatch):
    from briefgen.render import pdf

    pdf.register_shipped_fonts()  # as a worker does while it waits for its first document
    monkeypatch.setattr(pdf, "TrueTypeFont", None)  # reading a font file again would fail now
    style = make_sample_document().style
    sheet = pdf._sheet(style)
    assert all(name.startswith("briefgen-") for name in sheet.font_names)  # PT Serif and PT Sans, not built-in fonts
    assert set(sheet.font_names) <= set(pdf.pdfmetrics.getRegisteredFontNames())
