"""A long document's PDF laid out in two parts, the second on a recording canvas (in a child process where one can run), is the PDF one canvas lays out.

The two-part layout seeds both canvases' fonts with every character of the document, so
its bytes are compared with one canvas seeded alike; its text, page by page, with the
ordinary one-canvas layout.
"""

from __future__ import annotations

import gc
import os
import re
from typing import ClassVar

import pytest

from briefgen.document import Contents, Footnote, Heading, Link, ListBlock, PageBreak, Paragraph, Table, Text
from briefgen.forked import ForkedCall, can_fork
from briefgen.render import pdf
from briefgen.render.pdf import render_pdf_with_pages
from briefgen.render.pdf_split import NotReplayable, SectionClaims
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
    return pdf._sections(document.blocks, measures.weights), measures.characters


class _ChildFirst:
    """Stands in for ForkedCall: runs the child's part at once, here, before this process lays out its own, and records the shares it took."""

    taken: ClassVar[list[tuple[int, int]]] = []

    def __init__(self, function):
        self._parts = function()
        _ChildFirst.taken = [(first, end) for first, end, _ in self._parts]

    @classmethod
    def start(cls, function):
        return cls(function)

    def result(self):
        return self._parts

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        pass


@pytest.mark.parametrize("fork", [True, False], ids=["child process", "in process"])
def test_parts_are_byte_for_byte_one_seeded_canvas(long_pack, monkeypatch, fork):
    if not fork:
        monkeypatch.setenv("BRIEFGEN_NO_FORK", "1")
    elif not can_fork():
        pytest.skip("no fork on this machine")
    sections, characters = _split(long_pack)
    assert sections is not None and sections.breaks[0] > 2  # after the cover and contents
    in_parts = _joined(long_pack, pdf._lay_out_in_parts(long_pack, sections, characters))
    one_canvas = _joined(long_pack, pdf._lay_out_in_one_part(long_pack, seed_characters=characters))
    assert in_parts == one_canvas


@pytest.mark.parametrize(
    "further_share, shares",
    [(0.0, "one section at a time"), (0.5, "half the rest at a time"), (1.0, "all the rest at once")],
)
def test_however_the_child_takes_its_shares_the_pages_are_one_seeded_canvas(long_pack, monkeypatch, further_share, shares):
    """The child takes the sections from the back in shares until it meets this process, which here takes none: any cut gives the same file."""
    monkeypatch.setattr(pdf, "_FURTHER_SHARE", further_share)
    monkeypatch.setattr(pdf, "ForkedCall", _ChildFirst)
    sections, characters = _split(long_pack)
    in_parts = _joined(long_pack, pdf._lay_out_in_parts(long_pack, sections, characters))
    taken = _ChildFirst.taken
    assert [end for _, end in taken] == [len(sections.breaks), *(first for first, _ in taken[:-1])] and taken[-1][0] == 0
    assert {0.0: len(taken) == sections.first + 1, 0.5: 2 < len(taken) < sections.first + 1, 1.0: len(taken) == 2}[further_share]
    assert in_parts == _joined(long_pack, pdf._lay_out_in_one_part(long_pack, seed_characters=characters))


def test_a_short_first_part_hangs_its_notes_by_the_widest_number_of_the_whole(long_pack, monkeypatch):
    # Most of the text goes to the second part: the first holds notes 1-9 only, the whole 36.
    monkeypatch.setattr(pdf, "_TAIL_SHARE", 0.85)
    sections, characters = _split(long_pack)
    assert pdf._footnote_count(long_pack.blocks[: sections.breaks[sections.first]]) < 10 <= pdf._footnote_count(long_pack.blocks)
    in_parts = _joined(long_pack, pdf._lay_out_in_parts(long_pack, sections, characters))
    assert in_parts == _joined(long_pack, pdf._lay_out_in_one_part(long_pack, seed_characters=characters))


def test_parts_read_as_the_ordinary_layout(long_pack, monkeypatch):
    calls = []
    in_parts = pdf._lay_out_in_parts
    monkeypatch.setattr(pdf, "_lay_out_in_parts", lambda *args, **kwargs: calls.append(args) or in_parts(*args, **kwargs))
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
    assert pdf._sections(note.blocks, weights) is None


def test_sections_follow_page_breaks_between_ordinary_blocks_and_the_child_starts_near_the_tail_share():
    blocks = []
    for _ in range(10):
        blocks += [PageBreak(), Paragraph((Text("x" * 10_000),))]
    weights = pdf._measure(tuple(blocks)).weights
    sections = pdf._sections(tuple(blocks), weights)
    assert sections.breaks == list(range(2, 20, 2))  # not the page break that opens the document
    assert sections.weights == [10_000] * 9
    head = sum(weights[: sections.breaks[sections.first]])
    assert abs(head - sum(weights) * (1 - pdf._TAIL_SHARE)) <= 10_000
    # A page break that follows another opens no section.
    assert pdf._sections((PageBreak(), PageBreak(), *blocks[1:]), [0, 0, *weights[1:]]).breaks[0] == 3
    # Nor one before contents, whose page numbers the first part writes.
    with_contents = (*blocks[:9], Contents((Text("Contents"),)), *blocks[9:])
    assert min(pdf._sections(with_contents, [*weights[:9], 0, *weights[9:]]).breaks) > 9


def test_the_childs_further_shares_shrink_as_the_two_processes_near_each_other_and_hold_a_section_at_least():
    sections = pdf._Sections(breaks=list(range(10)), weights=[10, 10, 10, 10, 10, 10, 10, 10, 10, 100], first=9)
    assert sections.further_share(0, 9) == 6  # 0.3 of the 90 left: three sections
    assert sections.further_share(3, 6) == 5  # 0.3 of 30 is less than a section: one
    assert sections.further_share(0, 10) == 9  # the last section alone is more than 0.3 of all


def test_section_claims_are_taken_from_the_front_and_the_back_until_they_meet():
    with SectionClaims(6) as claims:
        assert claims.take_back(lambda front, back: 4) == (4, 6)
        assert claims.take_front(0) and claims.take_front(1)
        assert claims.front == 2
        assert claims.take_back(lambda front, back: 0) == (2, 4)  # never below what the front has taken
        assert not claims.take_front(2)
        assert claims.take_back(lambda front, back: 0) is None
        assert claims.front == 2


def test_section_claims_shared_with_a_child_give_each_section_to_one_process():
    """The two processes race for 2,000 sections: every one is taken once, by one of them, the front's from the start and the back's from the end."""
    if not can_fork():
        pytest.skip("no fork on this machine")
    count = 2000
    with SectionClaims(count) as claims:

        def take_from_the_back() -> list[tuple[int, int]]:
            taken = []
            while (share := claims.take_back(lambda front, back: back - 1)) is not None:
                taken.append(share)
            return taken

        job = ForkedCall(take_from_the_back)
        front = [section for section in range(count) if claims.take_front(section)]
        back = [section for first, end in job.result() for section in range(first, end)]
    assert front == list(range(len(front)))
    assert sorted(front + back) == list(range(count))


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


def test_section_claims_held_too_long_by_the_other_process_stop_the_layout_in_parts(monkeypatch):
    """A process that holds the lock for longer than the patience has stopped (or been stopped): the claim fails as not replayable, which lays the document out on one canvas (as a character the seed missed does)."""
    monkeypatch.setattr(SectionClaims, "PATIENCE", 0.05)
    with SectionClaims(4) as claims:
        os.read(claims._lock_read, 1)  # as if the other process held it and never let go
        with pytest.raises(NotReplayable, match="stopped answering"):
            claims.take_front(0)
        with pytest.raises(NotReplayable, match="stopped answering"):
            claims.take_back(lambda front, back: 0)
