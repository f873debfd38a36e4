"""End-to-end runs of the command line on the sample workspace and a fictional statement,
reading the DOCX back with python-docx and the PDF back with pypdf."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from briefgen.cli import main
from helpers import collapse, docx_footnotes, pdf_text

REPO = Path(__file__).resolve().parent.parent
FICTION = Path(__file__).resolve().parent / "data" / "veloria"
AKORDA = "akorda-2024-05-16-security-council-secretaries"
KOMMERSANT = "kommersant-2026-02-19-board-of-peace"
QAZINFORM = "qazinform-2025-11-16-community-of-central-asia"
VELORIA = "veloria-2031-03-03-river-commission"
OSTERLAND = "osterland-2031-03-05-waterways-reply"


@pytest.fixture(scope="module")
def sample_build(tmp_path_factory) -> Path:
    """Build the repository's sample workspace once, in a copy; return the output folder."""
    workspace = tmp_path_factory.mktemp("workspace")
    shutil.copytree(REPO / "sources", workspace / "sources")
    shutil.copytree(FICTION / "sources", workspace / "sources", dirs_exist_ok=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(workspace)
        assert main(["build", "--quiet"]) == 0
    return workspace / "output"


def load_statement_yaml(statement_id: str) -> dict:
    import yaml

    folder = FICTION / "sources" if statement_id == VELORIA else REPO / "sources"
    return yaml.safe_load((folder / f"{statement_id}.yaml").read_text(encoding="utf-8"))


def test_build_writes_a_docx_and_a_pdf_per_statement(sample_build):
    names = sorted(p.name for p in sample_build.iterdir())
    assert names == sorted(f"{i}.{ext}" for i in (AKORDA, KOMMERSANT, QAZINFORM, VELORIA, OSTERLAND) for ext in ("docx", "pdf"))


@pytest.mark.parametrize("statement_id", [AKORDA, KOMMERSANT, QAZINFORM, VELORIA])
def test_pdf_holds_every_key_point_attendee_date_and_proposal(sample_build, statement_id):
    text = pdf_text((sample_build / f"{statement_id}.pdf").read_bytes())
    data = load_statement_yaml(statement_id)
    assert collapse(data["title"]) in text
    assert collapse(data["summary"]) in text
    for point in data["key_points"]:
        assert collapse(point["point"]) in text
    for attendee in data.get("attendees", []):
        assert attendee["name"] in text
    for proposal in data.get("proposals", []):
        assert collapse(proposal["proposal"]) in text
    for upcoming in data.get("upcoming", []):
        assert collapse(upcoming["event"]) in text


def test_pdf_dates_are_written_out_in_the_notes_language(sample_build):
    assert "9 August 2024" in pdf_text((sample_build / f"{AKORDA}.pdf").read_bytes())
    russian = pdf_text((sample_build / f"{KOMMERSANT}.pdf").read_bytes())
    assert "19 февраля 2026 г." in russian
    assert "Основные тезисы" in russian and "Касым-Жомарт Токаев" in russian
    fiction = pdf_text((sample_build / f"{VELORIA}.pdf").read_bytes())
    assert "September 2031" in fiction and "2032" in fiction


def test_pdf_footnotes_name_publisher_date_paragraph_and_url(sample_build):
    text = pdf_text((sample_build / f"{AKORDA}.pdf").read_bytes())
    assert "Akorda (official website of the President of Kazakhstan), 16 May 2024, para. 6, https://www.akorda.kz/en" in text


def test_kazakh_letters_come_out_as_themselves(sample_build):
    text = pdf_text((sample_build / f"{VELORIA}.pdf").read_bytes())
    assert "Әлия Қасымова" in text and "Ұлытау" in text


@pytest.mark.skipif(shutil.which("pdffonts") is None, reason="pdffonts (poppler-utils) not installed")
def test_pdf_fonts_are_embedded_subsets(sample_build):
    listing = subprocess.run(["pdffonts", str(sample_build / f"{KOMMERSANT}.pdf")], capture_output=True, text=True, check=True).stdout
    rows = listing.splitlines()[2:]
    assert rows, listing
    for row in rows:
        name, *_, emb, sub, uni, _obj, _gen = row.split()
        assert (emb, sub) == ("yes", "yes"), row
        assert name[6] == "+", row  # ABCDEF+PTSerif…: a subset


def test_docx_has_word_headings_attendee_table_and_one_footnote_per_citation(sample_build):
    import docx

    data = (sample_build / f"{AKORDA}.docx").read_bytes()
    document = docx.Document(io.BytesIO(data))
    styles = {p.style.name for p in document.paragraphs}
    assert {"Title", "Heading 1", "List Bullet"} <= styles
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert "Key points" in headings and "Attendees" in headings
    attendee_table = next(t for t in document.tables if t.rows[0].cells[0].text == "Name")
    names = [row.cells[0].text for row in attendee_table.rows[1:]]
    assert names == [a["name"] for a in load_statement_yaml(AKORDA)["attendees"]]
    cited = load_statement_yaml(AKORDA)
    citations = sum(1 for key in ("key_points", "upcoming", "proposals") for item in cited.get(key, []) if "quote" in item or "para" in item)
    notes = docx_footnotes(data)
    assert len(notes) == citations == 10
    assert all(note.startswith("Akorda") or "Akorda" in note for note in notes.values())
    assert document.core_properties.title == cited["title"]
    assert document.core_properties.created.date().isoformat() == "2024-05-16"


def test_sources_schema_is_current(capsys):
    assert main(["schema"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == json.loads((REPO / "sources" / "statement.schema.json").read_text(encoding="utf-8"))
    assert "key_points" in printed["required"]


def test_new_writes_a_skeleton_that_checks_once_filled(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["new", "veloria-talks"]) == 0
    skeleton = tmp_path / "sources" / "veloria-talks.yaml"
    assert skeleton.read_text().startswith("# yaml-language-server: $schema=statement.schema.json")
    assert (tmp_path / "sources" / "statement.schema.json").is_file()
    assert main(["check"]) == 1  # empty values are located errors
    assert ":4:" in capsys.readouterr().err
    (tmp_path / "sources" / "texts" / "veloria-talks.txt").write_text("We will build the bridge by 2033.\n")
    filled = (
        skeleton.read_text()
        .replace("title:   ", "title: Veloria will build a bridge", 1)
        .replace("date:    ", "date: 2031-04-01", 1)
        .replace("  name:                     # full name", "  name: Ilsa Marrow", 1)
        .replace("  name:\n", "  name: Bridge talks\n", 1)
        .replace("  publisher:", "  publisher: Veloria MFA", 1)
        .replace("  title:          ", "  title: Bridge", 1)
        .replace("  url:   ", "  url: https://example.org/b", 1)
        .replace("  published:   ", "  published: 2031-04-01", 1)
        .replace("  accessed:   ", "  accessed: 2031-04-02", 1)
        .replace("summary: >", "summary: Veloria commits to a bridge.", 1)
        .replace("  - point:  ", "  - point: A bridge by 2033", 1)
        .replace("    quote:   ", "    quote: We will build the bridge by 2033.", 1)
    )
    skeleton.write_text(filled)
    code = main(["check"])
    assert code == 0, capsys.readouterr().err
    assert main(["new", "veloria-talks"]) == 2  # refuses to overwrite


@pytest.mark.parametrize("command", [[], ["check"], ["build"], ["new"], ["schema"]])
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(command + ["--help"])
    assert exit_info.value.code == 0
    assert "usage: briefgen" in capsys.readouterr().out


def test_usage_errors_exit_with_code_two(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["build", "nowhere.yaml"]) == 2
    assert main(["check"]) == 2  # no sources/ folder
    assert main(["build", str(FICTION / "sources")]) == 2  # absolute: outside the workspace
    assert "is absolute" in capsys.readouterr().err
    monkeypatch.chdir(FICTION)
    assert main(["build", "--format", "odt", "sources"]) == 2
    assert "unknown format odt" in capsys.readouterr().err


def test_a_build_leaves_what_it_imported_out_of_collections_while_it_runs_and_nothing_frozen_after(tmp_path, monkeypatch):
    """The modules a build imports live as long as the process: collections during the build skip them, and the caller's heap is as it was afterwards."""
    import gc

    from briefgen import cli

    workspace = tmp_path / "ws"
    shutil.copytree(Path(__file__).resolve().parent / "data" / "veloria", workspace)
    monkeypatch.chdir(workspace)
    frozen_during: list[int] = []
    check_and_build = cli._check_and_build
    monkeypatch.setattr(cli, "_check_and_build", lambda args, worker: frozen_during.append(gc.get_freeze_count()) or check_and_build(args, worker))
    assert gc.get_freeze_count() == 0
    assert main(["build", "--quiet"]) == 0
    assert frozen_during[0] > 10_000
    assert gc.get_freeze_count() == 0
