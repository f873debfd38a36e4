"""A long document's PDF laid out in two parts, the second on a recording canvas (in a child process where one can run), is the PDF one canvas lays out.

The two-part layout seeds both canvases' fonts with every character of the document, so
its bytes are compared with one canvas seeded alike; its text, page by page, with the
ordinary one-canvas layout.
"""

from __future__ import annotations

import gc
import re

import pytest

from briefgen.document import Contents, Footnote, Heading, Link, ListBlock, PageBreak, Paragraph, Table, Text
from briefgen.forked import can_fork
from briefgen.render import pdf
from briefgen.render.pdf import render_pdf_with_pages
from conftest import make_sample_document, make_sample_pack_document
from helpers import pdf_pages_text


@pytest.fixture
def long_pack(monkeypatch):
    """A twelve-section fictional pack, split like a long one (the size threshold lowered)."""
    monkeypatch.setattr(pdf, "_TWO_PART_MINIMUM", 0)
    return make_sample_pack_document(sections=12)


def _embedded_fonts(data: bytes) -> set[str]:
    """Return the names of the fonts a PDF embeds, without their subset tags."""
    return {name.split(b"+")[-1].decode() for name in re.findall(rb"/FontName /(\S+)", data)}


def _joined(document, template) -> tuple[bytes, dict[str, int]]:
    """Return the file and heading pages of ``document`` laid out by one of the renderer's layouts."""
    laid_out = pdf.LaidOutPdf(pdf._heading_pages(document, template), template)
    return b"".join(laid_out.write()), laid_out.heading_pages


def _split(document):
    measures = pdf._measure(document.blocks)
    return pdf._tail_block(document.blocks, measures.weights), measures.characters


@pytest.mark.parametrize("fork", [True, False], ids=["child process", "in process"])
def test_two_parts_are_byte_for_byte_one_seeded_canvas(long_pack, monkeypatch, fork):
    if not fork:
        monkeypatch.setenv("BRIEFGEN_NO_FORK", "1")
    elif not can_fork():
        pytest.skip("no fork on this machine")
    tail_block, characters = _split(long_pack)
    assert tail_block is not None and tail_block > 2  # after the cover and contents
    two_parts = _joined(long_pack, pdf._lay_out_in_two_parts(long_pack, tail_block, characters))
    one_canvas = _joined(long_pack, pdf._lay_out_in_one_part(long_pack, seed_characters=characters))
    assert two_parts == one_canvas


def test_a_short_first_part_hangs_its_notes_by_the_widest_number_of_the_whole(long_pack, monkeypatch):
    # Most of the text goes to the second part: the first holds notes 1-9 only, the whole 36.
    monkeypatch.setattr(pdf, "_TAIL_SHARE", 0.85)
    tail_block, characters = _split(long_pack)
    assert pdf._footnote_count(long_pack.blocks[:tail_block]) < 10 <= pdf._footnote_count(long_pack.blocks)
    two_parts = _joined(long_pack, pdf._lay_out_in_two_parts(long_pack, tail_block, characters))
    assert two_parts == _joined(long_pack, pdf._lay_out_in_one_part(long_pack, seed_characters=characters))


def test_two_parts_read_as_the_ordinary_layout(long_pack, monkeypatch):
    calls = []
    two_parts = pdf._lay_out_in_two_parts
    monkeypatch.setattr(pdf, "_lay_out_in_two_parts", lambda *args, **kwargs: calls.append(args) or two_parts(*args, **kwargs))
    data, pages = render_pdf_with_pages(long_pack)
    ordinary, ordinary_pages = _joined(long_pack, pdf._lay_out_in_one_part(long_pack))
    assert len(calls) == 1  # the split was taken
    assert pdf_pages_text(data) == pdf_pages_text(ordinary)
    assert pages == ordinary_pages
    # Seeding numbers every face of the style; those nothing drew with are not embedded.
    assert _embedded_fonts(data) == _embedded_fonts(ordinary)
    # Headings of both parts are in the page map, at increasing pages.
    sections = [pages[f"section-{n}"] for n in range(1, 13)]
    assert sections == sorted(sections) and len(set(sections)) == 12


def test_a_character_the_seed_missed_falls_back_to_one_canvas(long_pack, monkeypatch):
    # Without the bullet among the renderer's characters, the tail's lists meet a character
    # its frozen fonts refuse; the whole document is then laid out on one canvas.
    monkeypatch.setattr(pdf, "_RENDERER_CHARACTERS", "0123456789.")
    data, pages = render_pdf_with_pages(long_pack)
    assert (data, pages) == _joined(long_pack, pdf._lay_out_in_one_part(long_pack))


def test_the_seed_holds_every_character_of_the_text_as_written_and_in_capitals():
    blocks = (Paragraph((Text("Straße ŉ ﬁ Ильмора"), Footnote((Text("ǆ note"),)))), Paragraph((Text("äb"),)))
    weights, characters, footnotes = pdf._measure(blocks)
    text = "Straße ŉ ﬁ Ильмора" + "ǆ note" + "äb"
    assert weights == [len("Straße ŉ ﬁ Ильмора") + len("ǆ note"), 2]
    assert footnotes == [1, 0]
    assert characters == "".join(sorted(set(text) | set(text.upper()) | set(pdf._RENDERER_CHARACTERS)))
    assert "S" in characters and "Ǆ" in characters and "ʼ" in characters  # ß → SS, ǆ → Ǆ, ŉ → ʼN


def test_the_measures_count_each_blocks_footnotes_as_the_renderer_numbers_them(long_pack):
    counts = pdf._measure(long_pack.blocks).footnotes
    assert counts == [pdf._footnote_count(block) for block in long_pack.blocks]
    assert sum(counts) > 30


def test_a_note_is_laid_out_on_one_canvas():
    note = make_sample_document()
    weights = pdf._measure(note.blocks).weights
    assert pdf._tail_block(note.blocks, weights) is None


def test_the_split_falls_at_a_page_break_between_ordinary_blocks_near_the_tail_share():
    blocks = []
    for _ in range(10):
        blocks += [PageBreak(), Paragraph((Text("x" * 10_000),))]
    weights = pdf._measure(tuple(blocks)).weights
    index = pdf._tail_block(tuple(blocks), weights)
    assert isinstance(blocks[index], PageBreak)
    head = sum(weights[:index])
    assert abs(head - sum(weights) * (1 - pdf._TAIL_SHARE)) <= 10_000
    # A page break that opens the document, or follows another, is never chosen.
    assert pdf._tail_block((PageBreak(), PageBreak(), *blocks[1:]), [0, 0, *weights[1:]]) != 1
    # Nor one before contents, whose page numbers the first part writes.
    with_contents = (*blocks[:9], Contents((Text("Contents"),)), *blocks[9:])
    assert pdf._tail_block(with_contents, [*weights[:9], 0, *weights[9:]]) > 9


def test_blocks_passed_over_number_notes_and_open_outline_levels_as_built_blocks_do():
    note = Footnote((Text("Ministry of Fictional Affairs, 3 March 2031."),))
    cited = (Text("cited"), note)
    blocks = (
        Heading(1, (Text("Ostrelia"),)),
        Heading(3, (Text("Deep heading"), note)),
        Paragraph((Link("https://example.org/ostrelia", (Text("linked"), note)), Text(" and "), note)),
        ListBlock((cited, (Text("plain"),), cited), ordered=True),
        Table(header=(cited, (Text("Status"),)), rows=((cited, cited), ((Text("Agreed"),), cited))),
        Table(header=(), rows=((),)),  # empty: drawn as nothing
        Paragraph((Footnote((Text("outer"), Footnote((Text("nested, not numbered"),)))),)),
        PageBreak(),
        Heading(2, (Text("Vardania"),)),
        Paragraph(cited),
        Heading(3, (Text("Later"),)),
    )
    sheet = pdf._sheet(make_sample_document().style)

    def tail_of(keep_from):
        story = pdf._StoryBuilder(sheet, blocks, footnote_count=pdf._footnote_count(blocks))
        built = story.build(keep_from=keep_from)
        flowables = [built[index] for index in range(len(built))]  # as platypus reads the story
        return [flowable.text for flowable in flowables[-3:]], story.outline, story.footnotes_numbered

    whole_text, whole_outline, whole_count = tail_of(0)
    text, outline, count = tail_of(blocks.index(PageBreak()) + 1)
    assert text == whole_text and "super" in text[1]
    assert count == whole_count == 11
    assert [entry.level for entry in outline.values()] == [whole_outline[key].level for key in outline] == [1, 2]


def test_what_the_layout_leaves_alive_is_left_out_of_collections_until_the_file_is_written(long_pack):
    """A collection just after the layout would walk all it made and free nothing: those objects are frozen, and unfrozen once the file is written."""
    assert gc.get_freeze_count() == 0
    laid_out = pdf.lay_out_pdf(long_pack)
    assert gc.get_freeze_count() > 10_000
    assert b"".join(laid_out.write()).startswith(b"%PDF-")
    assert gc.get_freeze_count() == 0


def test_a_layout_or_a_file_that_fails_leaves_nothing_frozen(long_pack, monkeypatch):
    monkeypatch.setattr(pdf, "_heading_pages", lambda document, template: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        pdf.lay_out_pdf(long_pack)
    assert gc.get_freeze_count() == 0
    monkeypatch.undo()
    monkeypatch.setattr(pdf, "_TWO_PART_MINIMUM", 0)
    laid_out = pdf.lay_out_pdf(long_pack)
    monkeypatch.setattr(pdf._BriefDocTemplate, "finish", lambda self: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        laid_out.write()
    assert gc.get_freeze_count() == 0
