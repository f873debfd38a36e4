"""End-to-end: `briefgen build` on the repository's sample pack and on a fictional pack,
reading every output back (PDF text per page, DOCX parts, ICS, EML)."""

from __future__ import annotations

import email
import email.policy
import io
import re
import shutil
import zipfile
from pathlib import Path

import pytest
from icalendar import Calendar

from briefgen.cli import main
from helpers import pdf_pages_text

REPO = Path(__file__).resolve().parent.parent
FICTION = Path(__file__).resolve().parent / "data" / "veloria"
SAMPLE_BASE = "2026-12-01_central-asia-regional-cooperation"


@pytest.fixture(scope="module")
def sample_pack(tmp_path_factory) -> Path:
    """Build the repository's sample pack (with --email) in a copy; return the output folder."""
    workspace = tmp_path_factory.mktemp("pack")
    shutil.copytree(REPO / "sources", workspace / "sources")
    shutil.copy(REPO / "briefing.yaml", workspace / "briefing.yaml")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(workspace)
        assert main(["build", "--quiet", "--email"]) == 0
    return workspace / "output"


def test_build_without_arguments_writes_the_pack_in_every_format(sample_pack):
    assert sorted(p.name for p in sample_pack.iterdir()) == sorted(f"{SAMPLE_BASE}.{ext}" for ext in ("docx", "pdf", "ics", "eml"))


def test_pdf_has_cover_contents_with_true_page_numbers_and_sections_in_order(sample_pack):
    pages = pdf_pages_text((sample_pack / f"{SAMPLE_BASE}.pdf").read_bytes())
    assert "Central Asia regional cooperation" in pages[0] and "The Minister" in pages[0] and "Page 1 of" not in pages[0]
    assert pages[1].count("Contents") >= 1
    listed = dict(re.findall(r"(Overview|Timeline|Proposals tracker|People|Sources cited)[ .]*?(\d+)", pages[1]))
    assert set(listed) == {"Overview", "Timeline", "Proposals tracker", "People", "Sources cited"}
    for heading, page in listed.items():
        starts = [number for number, text in enumerate(pages, 1) if number > 2 and heading in text]
        assert int(page) == starts[0], heading
    for number, text in enumerate(pages, 1):
        assert text.count("OFFICIAL") >= 2, number  # top and bottom of every page
        if number > 1:
            assert f"Page {number} of {len(pages)}" in text


def test_pdf_tracker_and_people_index_list_each_person_once(sample_pack):
    pages = pdf_pages_text((sample_pack / f"{SAMPLE_BASE}.pdf").read_bytes())
    # The index runs from its heading to the first statement's section, over one or more pages.
    start = next(number for number, text in enumerate(pages) if number > 1 and "Appears in" in text)
    end = next(number for number, text in enumerate(pages) if number > start and "Bottom line" in text)
    index = " ".join(pages[start:end])
    index = index[index.index("Appears in") :]
    for name in ("Kassym-Jomart Tokayev", "Shavkat Mirziyoyev", "Gizat Nurdauletov", "Donald Trump"):
        assert re.search(re.escape(name) + r" (President|Secretary|Президент)", index), name
    # Tokayev speaks in two statements (once in Russian spelling) and attends a third: one row.
    assert len(re.findall(r"Kassym-Jomart Tokayev President of Kazakhstan", index)) == 1
    assert "Касым-Жомарт Токаев Президент" not in index
    tracker = next(text for text in pages[2:] if "Proposals tracker" in text and "Status" in text)
    assert "UN Regional Centre" in tracker and "Council of Elders" in tracker


def test_calendar_holds_one_event_per_dated_entry(sample_pack):
    calendar = Calendar.from_ical((sample_pack / f"{SAMPLE_BASE}.ics").read_bytes())
    events = [c for c in calendar.walk() if c.name == "VEVENT"]
    assert [(str(e["summary"]), e.decoded("dtstart").isoformat()) for e in events] == [
        ("Sixth Consultative Meeting of the Heads of State of Central Asia", "2024-08-09")
    ]


def test_email_parses_into_bodies_and_three_attachments(sample_pack):
    message = email.message_from_bytes((sample_pack / f"{SAMPLE_BASE}.eml").read_bytes(), policy=email.policy.default)
    assert message["Subject"] == "Central Asia regional cooperation"
    assert "Shavkat Mirziyoyev" in message.get_body(("plain",)).get_content()
    assert "<li>" in message.get_body(("html",)).get_content()
    attachments = {part.get_filename(): part.get_content_type() for part in message.iter_attachments()}
    assert attachments == {
        f"{SAMPLE_BASE}.docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        f"{SAMPLE_BASE}.pdf": "application/pdf",
        f"{SAMPLE_BASE}.ics": "text/calendar",
    }
    pdf = next(part for part in message.iter_attachments() if part.get_content_type() == "application/pdf")
    assert pdf.get_content() == (sample_pack / f"{SAMPLE_BASE}.pdf").read_bytes()


def test_docx_has_classification_in_every_header_and_footer_and_a_filled_toc(sample_pack):
    import docx

    data = (sample_pack / f"{SAMPLE_BASE}.docx").read_bytes()
    document = docx.Document(io.BytesIO(data))
    for section in document.sections:
        parts = [section.header, section.footer]
        if section.different_first_page_header_footer:
            parts += [section.first_page_header, section.first_page_footer]
        for part in parts:
            assert "OFFICIAL" in "".join(p.text for p in part.paragraphs), part
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        body = archive.read("word/document.xml").decode()
        settings = archive.read("word/settings.xml").decode()
    assert "TOC \\o" in body
    assert "updateFields" not in settings  # Word would ask to update fields on opening
    toc_entries = [p.text for p in document.paragraphs if p.style.name.startswith("TOC ") or p.style.name.startswith("toc ")]
    for heading in ("Overview", "Timeline", "Proposals tracker", "People", "Sources cited"):
        assert any(entry.startswith(heading) for entry in toc_entries), heading


def test_pack_named_on_the_command_line_and_format_override(tmp_path, monkeypatch):
    workspace = tmp_path / "ws"
    shutil.copytree(FICTION, workspace)
    monkeypatch.chdir(workspace)
    assert main(["build", "--quiet", "--format", "ics", "briefing.yaml"]) == 0
    assert [p.name for p in (workspace / "output").iterdir()] == ["2031-06-02_arden-river-talks.ics"]


def test_an_email_with_markdown_asked_for_attaches_only_the_readers_formats(tmp_path, monkeypatch):
    workspace = tmp_path / "ws"
    shutil.copytree(FICTION, workspace)
    monkeypatch.chdir(workspace)
    assert main(["build", "--quiet", "--format", "ics,md,eml", "briefing.yaml"]) == 0
    base = workspace / "output" / "2031-06-02_arden-river-talks"
    message = email.message_from_bytes(base.with_suffix(".eml").read_bytes(), policy=email.policy.default)
    assert [part.get_filename() for part in message.iter_attachments()] == [f"{base.name}.ics"]
    assert base.with_suffix(".md").is_file()


def test_a_broken_statement_in_the_pack_writes_nothing(tmp_path, monkeypatch, capsys):
    workspace = tmp_path / "ws"
    shutil.copytree(FICTION, workspace)
    statement = workspace / "sources" / "osterland-2031-03-05-waterways-reply.yaml"
    statement.write_text(statement.read_text().replace("ready to discuss a commission", "ready to sign a commission"))
    monkeypatch.chdir(workspace)
    assert main(["build", "--quiet"]) == 1
    assert not (workspace / "output").exists()
    assert "sources/osterland-2031-03-05-waterways-reply.yaml:16:12: error: quote not found" in capsys.readouterr().err


@pytest.mark.skipif(shutil.which("pandoc") is None, reason="pandoc not installed (apt-get install pandoc): its reference.docx is the test's input")
def test_a_template_with_pandocs_reference_docx_gives_the_docx_its_styles(tmp_path, monkeypatch):
    import subprocess

    import docx

    from briefgen.resources import TEMPLATES_DIR

    workspace = tmp_path / "ws"
    shutil.copytree(FICTION, workspace)
    template = workspace / "templates" / "pandoc"
    shutil.copytree(TEMPLATES_DIR / "default", template)
    subprocess.run(["pandoc", "-o", str(template / "reference.docx"), "--print-default-data-file", "reference.docx"], check=True)
    with (template / "style.yaml").open("a", encoding="utf-8") as style:
        style.write("reference_docx: reference.docx\n")
    monkeypatch.chdir(workspace)
    assert main(["build", "--quiet", "--format", "docx", "--template", "pandoc"]) == 0
    built = docx.Document(str(workspace / "output" / "2031-06-02_arden-river-talks.docx"))
    reference = docx.Document(str(template / "reference.docx"))
    style_ids = {style.style_id for style in built.styles}
    assert {"FirstParagraph", "BodyText", "Compact"} <= style_ids  # pandoc's own styles came along
    # pandoc writes the style name as "Heading 1", which python-docx's name lookup misses: use ids.
    heading = next(style for style in built.styles if style.style_id == "Heading1")
    pandoc_heading = next(style for style in reference.styles if style.style_id == "Heading1")
    assert heading.font.color.rgb == pandoc_heading.font.color.rgb is not None
    assert any(p.style.name == "Heading 1" for p in built.paragraphs)


def test_a_reference_docx_outside_the_template_folder_is_refused(tmp_path, monkeypatch, capsys):
    from briefgen.resources import TEMPLATES_DIR

    workspace = tmp_path / "ws"
    shutil.copytree(FICTION, workspace)
    template = workspace / "templates" / "house"
    shutil.copytree(TEMPLATES_DIR / "default", template)
    with (template / "style.yaml").open("a", encoding="utf-8") as style:
        style.write("reference_docx: ../../secret.docx\n")
    monkeypatch.chdir(workspace)
    assert main(["build", "--quiet", "--template", "house"]) == 1
    assert "style.yaml:21:17: error: reference_docx '../../secret.docx' contains '..'" in capsys.readouterr().err
    assert not (workspace / "output").exists()


def test_pdf_timeline_lists_dates_in_order_with_partial_dates_shown_as_such(tmp_path, monkeypatch):
    workspace = tmp_path / "ws"
    shutil.copytree(FICTION, workspace)
    monkeypatch.chdir(workspace)
    assert main(["build", "--quiet", "--format", "pdf"]) == 0
    pages = pdf_pages_text((workspace / "output" / "2031-06-02_arden-river-talks.pdf").read_bytes())
    timeline = next(text for number, text in enumerate(pages, 1) if number > 2 and "Timeline" in text and "Statement" in text)
    timeline = timeline[timeline.index("Timeline") :]
    positions = [timeline.index(label) for label in ("20 April 2031", "May 2031 Visit", "September 2031", "2032 Osterland summit")]
    assert positions == sorted(positions)


def test_a_person_met_in_dozens_of_statements_splits_their_index_row_across_pages(tmp_path, monkeypatch):
    """Regression: a people-index row taller than a page used to stop the PDF with a LayoutError."""
    workspace = tmp_path / "ws"
    shutil.copytree(FICTION, workspace)
    original = workspace / "sources" / "osterland-2031-03-05-waterways-reply.yaml"
    for number in range(60):
        shutil.copy(original, workspace / "sources" / f"osterland-copy-{number:02d}.yaml")
    monkeypatch.chdir(workspace)
    assert main(["build", "--quiet", "--format", "pdf"]) == 0
    pages = pdf_pages_text((workspace / "output" / "2031-06-02_arden-river-talks.pdf").read_bytes())
    index_pages = [text for text in pages if "Appears in" in text]
    assert len(index_pages) > 1  # the row ran over several pages, its header repeated
    assert sum(text.count("(attendee)") for text in pages) == 61 + 3  # Ilsa Marrow in every copy, and the original three
