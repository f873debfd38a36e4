"""The PDF renderer on briefing packs: cover, contents, classification, page labels and heading pages."""

from __future__ import annotations

import dataclasses
import io
import re
import struct
import zlib

import pytest
from pdfminer.high_level import extract_pages
from pdfminer.layout import LTChar, LTFigure, LTImage, LTLayoutContainer, LTTextLine
from pypdf import PdfReader

from briefgen.document import Contents, Cover, Footnote, Heading, Metadata, PageBreak, Paragraph, Text, plain_text
from briefgen.render.pdf import heading_keys, render_pdf, render_pdf_with_pages
from conftest import make_sample_pack_document
from test_render_pdf import flatten_outline, line_size, markers_and_notes_by_page, page_texts, styled_document, text_lines

MARKING = "OFFICIAL-SENSITIVE"
SECTION = "Section {}: Қазақ Ә and Осterland"

# --- helpers ---------------------------------------------------------------------------


def contents_entries(texts: list[str]) -> list[tuple[str, int]]:
    """Return the (heading text, page number) entries listed on the contents pages, in order."""
    entry = re.compile(r"(Section \d+: Қазақ Ә and Осterland|Key points) (\d+)")
    return [(title, int(page)) for text in texts[contents_pages(texts)] for title, page in entry.findall(text)]


def is_contents_page(text: str) -> bool:
    """Return whether a page's text is a page of the contents: it lists a subsection with a page number."""
    return re.search(r"Key points \d", text) is not None


def contents_pages(texts: list[str]) -> slice:
    """Return the slice of pages holding the contents."""
    indexes = [i for i, text in enumerate(texts) if is_contents_page(text)]
    assert indexes == list(range(indexes[0], indexes[-1] + 1))
    return slice(indexes[0], indexes[-1] + 1)


def section_page(texts: list[str], number: int) -> int:
    """Return the 1-based page that shows section ``number``'s heading, the contents not counted."""
    heading = SECTION.format(number)
    (page,) = [i for i, text in enumerate(texts, start=1) if heading in text and not is_contents_page(text)]
    return page


def destination_pages(data: bytes, page_slice: slice) -> list[int]:
    """Return the 1-based target page of every internal link on the pages in ``page_slice``, in order."""
    reader = PdfReader(io.BytesIO(data))
    numbers = {page.indirect_reference.idnum: n for n, page in enumerate(reader.pages, start=1)}
    targets = []
    for page in reader.pages[page_slice]:
        for annotation in page.get("/Annots", []):
            annotation = annotation.get_object()
            if "/Dest" in annotation:
                targets.append(numbers[annotation["/Dest"][0].idnum])
    return targets


def png(width: int, height: int) -> bytes:
    """Return a minimal RGB PNG of ``width`` × ``height`` pixels in a blue gradient."""
    row = b"\0" + b"".join(bytes((30, 58 + x * 150 // width, 95)) for x in range(width))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(row * height)) + chunk(b"IEND", b"")


def baseline(line: LTTextLine) -> float:
    """Return the baseline of a pdfminer text line's first character."""
    return next(c for c in line if isinstance(c, LTChar)).matrix[5]


def images(layout: LTLayoutContainer) -> list[LTImage]:
    """Return every image placed on a pdfminer page, however deeply nested."""
    found = []
    for element in layout:
        if isinstance(element, LTImage):
            found.append(element)
        elif isinstance(element, LTLayoutContainer):
            found.extend(images(element))
    return found


@pytest.fixture(scope="module")
def pack() -> tuple[bytes, dict[str, int]]:
    return render_pdf_with_pages(make_sample_pack_document())


@pytest.fixture(scope="module")
def pack_pdf(pack) -> bytes:
    return pack[0]


@pytest.fixture(scope="module")
def long_pack() -> tuple[bytes, dict[str, int]]:
    """A pack whose contents run over several pages."""
    return render_pdf_with_pages(make_sample_pack_document(sections=45))


@pytest.fixture(scope="module")
def long_pack_texts(long_pack) -> list[str]:
    return page_texts(long_pack[0])


# --- cover -----------------------------------------------------------------------------


def test_cover_page_holds_title_subtitle_and_details_but_no_page_number(pack_pdf):
    cover = page_texts(pack_pdf)[0]
    assert cover.startswith("Arden river talks: briefing pack Statements ahead of the Veloria–Osterland meeting")
    for label, value in [
        ("MEETING", "Veloria–Osterland river talks, Port Ardent"),
        ("DATE", "12 March 2031"),
        ("PREPARED BY", "Desk officer, Arden unit"),
        ("PREPARED FOR", "The Minister"),
    ]:
        assert f"{label} {value}" in cover
    assert "Page" not in cover and "of 8" not in cover
    assert "Contents" not in cover  # the contents start on a page of their own


def test_cover_title_sits_in_the_upper_third_in_large_type(pack_pdf):
    style = make_sample_pack_document().style
    lines = text_lines(pack_pdf)[0]
    title = next(line for line in lines if line.get_text().startswith("Arden river talks: briefing pack"))
    assert line_size(title) > style.title_size
    top = style.page_height - title.y1
    assert style.margin_top < top < style.page_height / 3


def test_cover_labels_share_baselines_with_their_values(pack_pdf):
    lines = text_lines(pack_pdf)[0]
    for label, value in [("MEETING", "Veloria–Osterland"), ("PREPARED FOR", "The Minister")]:
        label_line = next(line for line in lines if line.get_text().strip() == label)
        value_line = next(line for line in lines if line.get_text().startswith(value))
        assert abs(baseline(label_line) - baseline(value_line)) < 0.1
        assert label_line.x1 < value_line.x0


def test_cover_logo_is_drawn_at_the_style_width_in_proportion():
    document = make_sample_pack_document(sections=1)
    document = dataclasses.replace(document, style=dataclasses.replace(document.style, logo=png(300, 100), logo_width=120))
    data = render_pdf(document)
    pages = list(extract_pages(io.BytesIO(data)))
    (logo,) = images(pages[0])
    assert abs(logo.width - 120) < 0.5 and abs(logo.height - 40) < 0.5
    assert abs(logo.y1 - (document.style.page_height - document.style.margin_top)) < 0.5
    assert all(not images(page) for page in pages[1:])
    assert render_pdf(document) == data


def test_an_unreadable_logo_is_reported():
    document = make_sample_pack_document(sections=1)
    document = dataclasses.replace(document, style=dataclasses.replace(document.style, logo=b"not an image"))
    with pytest.raises(ValueError, match="logo"):
        render_pdf(document)


def test_a_cover_too_tall_for_one_page_flows_instead_of_failing():
    details = tuple(((Text(f"Label {i}"),), (Text(f"Value {i} " * 12),)) for i in range(60))
    document = styled_document(Cover((Text("Cover"),), details=details), Paragraph((Text("After the cover."),)))
    text = " ".join(page_texts(render_pdf(document)))
    assert "LABEL 59" in text and "After the cover." in text


# --- contents --------------------------------------------------------------------------


def test_contents_list_every_section_and_subsection_with_its_page(pack_pdf):
    texts = page_texts(pack_pdf)
    assert texts[1].startswith("Contents ")
    entries = contents_entries(texts)
    expected_titles = [title for n in range(1, 7) for title in (SECTION.format(n), "Key points")]
    assert [title for title, _ in entries] == expected_titles
    for n in range(1, 7):
        assert (SECTION.format(n), section_page(texts, n)) in entries
    for (title, page), (_, section_start) in zip(entries[1::2], entries[0::2]):
        assert title == "Key points" and page == section_start
    assert "Attendees" not in texts[1]  # level 3 lies deeper than the contents' depth of 2


def test_contents_over_several_pages_give_the_right_pages(long_pack_texts):
    texts = long_pack_texts
    pages = contents_pages(texts)
    assert pages.stop - pages.start >= 2
    entries = dict(entry for entry in contents_entries(texts) if entry[0].startswith("Section"))
    assert len(entries) == 45
    for n in range(1, 46):
        assert entries[SECTION.format(n)] == section_page(texts, n)


def test_contents_entries_link_to_the_pages_of_their_headings(long_pack, long_pack_texts):
    texts = long_pack_texts
    assert destination_pages(long_pack[0], contents_pages(texts)) == [page for _, page in contents_entries(texts)]


def test_contents_page_numbers_are_right_aligned_on_the_margin_beside_their_entries(pack_pdf):
    style = make_sample_pack_document().style
    right = style.page_width - style.margin_right
    page = list(extract_pages(io.BytesIO(pack_pdf)))[1]
    # The numbers are drawn from forms, which pdfminer reads as figures.
    numbers = [
        [c for c in figure if isinstance(c, LTChar)]
        for figure in page
        if isinstance(figure, LTFigure) and "Contents" in figure.name
    ]
    assert len(numbers) == 12
    entries = [line for line in text_lines(pack_pdf)[1] if re.match(r"Section|Key points", line.get_text())]
    entry_baselines = {round(baseline(line), 1) for line in entries}
    for chars in numbers:
        assert abs(chars[-1].x1 - right) < 0.1
        assert round(chars[-1].matrix[5], 1) in entry_baselines


def test_contents_list_only_headings_after_them_and_skip_the_title():
    document = styled_document(
        Heading(0, (Text("Title"),)),
        Heading(1, (Text("Before"),)),
        Contents((Text("Contents"),), depth=1),
        Heading(1, (Text("After"),)),
        Heading(2, (Text("Too deep"),)),
    )
    texts = page_texts(render_pdf(document))
    contents = next(text for text in texts if text.startswith("Contents"))
    assert "After 3" in contents
    assert "Before" not in contents and "Too deep" not in contents


def test_a_footnote_in_a_listed_heading_is_placed_once_on_the_heading_page():
    document = styled_document(
        Contents((Text("Contents"),)),
        Heading(1, (Text("Noted"), Footnote((Text("The heading's note."),))), anchor="noted"),
    )
    texts = page_texts(render_pdf(document))
    assert texts[0].startswith("Contents Noted 2")
    assert "note." not in texts[0]
    assert "Noted1" in texts[1] and "1 The heading's note." in texts[1]


def test_contents_and_headings_form_the_outline(pack_pdf):
    outline = list(flatten_outline(PdfReader(io.BytesIO(pack_pdf)).outline))
    assert outline[:6] == [
        (0, "Contents"),
        (0, SECTION.format(1)),
        (1, "Key points"),
        (2, "Attendees"),
        (2, "Comment"),
        (0, SECTION.format(2)),
    ]
    assert "Arden river talks: briefing pack" not in [title for _, title in outline]


# --- classification and page numbers -----------------------------------------------------


def test_classification_is_printed_top_and_bottom_of_every_page(pack_pdf):
    texts = page_texts(pack_pdf)
    assert len(texts) == 8
    for number, text in enumerate(texts, start=1):
        assert text.count(MARKING) == 2, f"page {number}"


def test_classification_sits_in_the_margins_clear_of_text_and_footer(pack_pdf):
    style = make_sample_pack_document().style
    for number, lines in enumerate(text_lines(pack_pdf), start=1):
        markings = sorted((line for line in lines if line.get_text().strip() == MARKING), key=lambda line: line.y0)
        assert len(markings) == 2, f"page {number}"
        bottom, top = markings
        others = [line for line in lines if line not in markings]
        assert top.y0 > style.page_height - style.margin_top
        assert bottom.y1 < min(line.y0 for line in others)  # below the footer too
        assert abs((top.x0 + top.x1) / 2 - style.page_width / 2) < 1
        chars = [c for c in top if c.get_text().strip()]
        assert all(c.fontname.endswith("PTSans-Bold") for c in chars)
        assert all(c.graphicstate.ncolor == pytest.approx((0x9B / 255, 0x1C / 255, 0x1C / 255), abs=0.01) for c in chars)


def test_every_page_but_the_cover_is_numbered_with_the_page_label(pack_pdf):
    texts = page_texts(pack_pdf)
    assert "Page 2 of 8" in texts[1]
    for number, text in enumerate(texts[1:], start=2):
        assert f"Page {number} of {len(texts)}" in text
        assert text.count(" of 8") == 1


def test_without_classification_no_marking_and_the_default_label_is_used():
    document = make_sample_pack_document(sections=1)
    metadata = dataclasses.replace(document.metadata, classification="", page_label="{page} / {pages}")
    document = dataclasses.replace(document, metadata=metadata)
    texts = page_texts(render_pdf(document))
    assert all(MARKING not in text for text in texts)
    assert [f"{n} / 3" in text for n, text in enumerate(texts, start=1)] == [False, True, True]


def test_page_label_braces_other_than_the_placeholders_are_kept():
    document = styled_document(Paragraph((Text("x"),)), page_label="{page} {of} {pages} {pages}")
    assert "1 {of} 1 1" in page_texts(render_pdf(document))[0]


# --- footnotes -------------------------------------------------------------------------


def test_footnotes_stay_on_the_pages_of_their_markers(long_pack):
    data, _ = long_pack
    pages = markers_and_notes_by_page(data, r"urgent(\d+)", r"(\d+) Ministry of Fictional Affairs")
    cited = set()
    for number, (markers, notes) in enumerate(pages, start=1):
        assert markers == notes, f"page {number}"
        cited |= markers
    assert cited == set(range(1, 3 * 45 + 1))


# --- heading pages ---------------------------------------------------------------------


def test_heading_keys_are_anchors_or_positions_among_headings(pack):
    document = make_sample_pack_document()
    keys = heading_keys(document)
    headings = [block for block in document.blocks if isinstance(block, Heading)]
    assert len(keys) == len(headings) == 24
    assert keys[:5] == ["section-1", "h1", "h2", "h3", "section-2"]
    for n, (key, heading) in enumerate(zip(keys, headings)):
        assert key == (heading.anchor or f"h{n}")


def test_heading_pages_match_the_pages_where_headings_are_drawn(pack):
    data, pages = pack
    texts = page_texts(data)
    document = make_sample_pack_document()
    assert list(pages) == heading_keys(document)
    for n in range(1, 7):
        assert pages[f"section-{n}"] == section_page(texts, n)
    headings = [block for block in document.blocks if isinstance(block, Heading)]
    for key, heading in zip(heading_keys(document), headings):
        assert plain_text(heading.children) in texts[pages[key] - 1]
    assert render_pdf(document) == data


def test_heading_pages_agree_with_the_contents(long_pack, long_pack_texts):
    pages = long_pack[1]
    listed = [page for title, page in contents_entries(long_pack_texts) if title.startswith("Section")]
    assert listed == [pages[f"section-{n}"] for n in range(1, 46)]


def test_the_first_of_headings_sharing_an_anchor_gives_its_page():
    document = styled_document(
        Heading(1, (Text("One"),), anchor="same"),
        PageBreak(),
        Heading(1, (Text("Two"),), anchor="same"),
        Heading(1, (Text("Three"),)),
    )
    assert heading_keys(document) == ["same", "same", "h2"]
    _, pages = render_pdf_with_pages(document)
    assert pages == {"same": 1, "h2": 2}


# --- determinism -------------------------------------------------------------------------


def test_the_same_pack_gives_identical_bytes(pack_pdf):
    assert render_pdf(make_sample_pack_document()) == pack_pdf


def test_the_running_foot_shows_the_metadata_title_and_the_cover_its_own():
    document = dataclasses.replace(make_sample_pack_document(sections=1), metadata=Metadata(title="Other"))
    texts = page_texts(render_pdf(document))
    assert texts[0].startswith("Arden river talks: briefing pack")
    assert "Other" in texts[1]
