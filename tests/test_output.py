"""Fault injection on the output edge: a failed write never damages the previous files, and a
build's files are replaced all together or not at all."""

from __future__ import annotations

import errno
import io
import os
import zipfile
from pathlib import Path

import pytest

from briefgen.errors import OutputError
from briefgen.output import check_output, write_atomically

OLD = {"pack.docx": None, "pack.pdf": b"%PDF-1.7 old\n%%EOF\n", "pack.ics": b"BEGIN:VCALENDAR old"}


def docx_bytes(text: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", f"<w:document>{text}</w:document>")
    return buffer.getvalue()


@pytest.fixture
def previous(tmp_path: Path) -> dict[Path, bytes]:
    """Last night's outputs, already on disk."""
    files = {tmp_path / "pack.docx": docx_bytes("old"), tmp_path / "pack.pdf": OLD["pack.pdf"], tmp_path / "pack.ics": OLD["pack.ics"]}
    for path, data in files.items():
        path.write_bytes(data)
    return files


def new_files(tmp_path: Path) -> dict[Path, bytes]:
    return {tmp_path / "pack.docx": docx_bytes("new"), tmp_path / "pack.pdf": b"%PDF-1.7 new\n%%EOF\n", tmp_path / "pack.ics": b"BEGIN:VCALENDAR new"}


def assert_unchanged(previous: dict[Path, bytes]) -> None:
    for path, data in previous.items():
        assert path.read_bytes() == data, path
    leftovers = [p.name for p in next(iter(previous)).parent.iterdir() if p.name.startswith(".")]
    assert leftovers == [], leftovers


def test_a_successful_write_replaces_every_file_and_leaves_no_temporaries(tmp_path, previous):
    write_atomically(new_files(tmp_path))
    assert (tmp_path / "pack.ics").read_bytes() == b"BEGIN:VCALENDAR new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pack.docx", "pack.ics", "pack.pdf"]
    assert oct((tmp_path / "pack.pdf").stat().st_mode & 0o777) != oct(0o600)  # not mkstemp's private mode


def test_a_full_disk_while_writing_leaves_the_previous_files_byte_for_byte(tmp_path, previous, monkeypatch):
    calls = {"n": 0}
    real_fsync = os.fsync

    def fsync_failing_on_second_file(fd):
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync_failing_on_second_file)
    with pytest.raises(OutputError, match="No space left on device; the previous file is unchanged"):
        write_atomically(new_files(tmp_path))
    assert_unchanged(previous)


def test_a_failure_after_some_files_were_replaced_puts_the_old_ones_back(tmp_path, previous, monkeypatch):
    real_replace = os.replace
    calls = {"n": 0}

    def replace_failing_on_the_last_move(source, destination):
        calls["n"] += 1
        # Six moves in all (old aside, new in, for three files): fail the sixth.
        if calls["n"] == 6:
            raise OSError(errno.EIO, "Input/output error")
        return real_replace(source, destination)

    monkeypatch.setattr(os, "replace", replace_failing_on_the_last_move)
    with pytest.raises(OutputError, match="Input/output error"):
        write_atomically(new_files(tmp_path))
    monkeypatch.setattr(os, "replace", real_replace)
    assert_unchanged(previous)


def test_an_exception_of_any_kind_mid_replacement_rolls_back(tmp_path, previous, monkeypatch):
    real_replace = os.replace
    calls = {"n": 0}

    def interrupted(source, destination):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return real_replace(source, destination)

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_atomically(new_files(tmp_path))
    monkeypatch.setattr(os, "replace", real_replace)
    assert_unchanged(previous)


def test_a_file_held_open_by_word_gives_a_message_saying_so(tmp_path, previous, monkeypatch):
    def locked(source, destination):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(os, "replace", locked)
    with pytest.raises(OutputError, match=r"pack.docx: cannot replace the file: is it open in another program \(Word"):
        write_atomically(new_files(tmp_path))


def test_incomplete_outputs_are_refused_before_anything_is_replaced(tmp_path, previous):
    broken = new_files(tmp_path)
    broken[tmp_path / "pack.pdf"] = b"%PDF-1.7 truncated"
    with pytest.raises(OutputError, match="the PDF came out incomplete"):
        write_atomically(broken)
    assert_unchanged(previous)
    broken = new_files(tmp_path)
    broken[tmp_path / "pack.docx"] = docx_bytes("new")[:-30]
    with pytest.raises(OutputError, match="the DOCX came out damaged"):
        write_atomically(broken)
    assert_unchanged(previous)


def test_check_output_accepts_complete_files():
    check_output("a.pdf", b"%PDF-1.7\n...\n%%EOF\n")
    check_output("a.docx", docx_bytes("x"))
    check_output("a.ics", b"anything")


def test_a_build_that_crashes_midway_leaves_last_nights_pack_intact(tmp_path, monkeypatch, capsys):
    """End to end: the first build succeeds; a second build whose DOCX renderer fails after the
    PDF was rendered replaces nothing, prints no traceback, and exits 1."""
    import shutil

    import briefgen.render.docx as docx_renderer
    from briefgen.cli import main

    workspace = tmp_path / "ws"
    shutil.copytree(Path(__file__).parent / "data" / "veloria", workspace)
    monkeypatch.chdir(workspace)
    assert main(["build", "--quiet"]) == 0
    before = {p.name: p.read_bytes() for p in (workspace / "output").iterdir()}
    (workspace / "sources" / "osterland-2031-03-05-waterways-reply.yaml").write_text(
        (workspace / "sources" / "osterland-2031-03-05-waterways-reply.yaml").read_text().replace("rotating secretariat", "rotating bureau")
    )

    def crash(*args, **kwargs):
        raise RuntimeError("simulated crash inside the DOCX renderer")

    monkeypatch.setattr(docx_renderer, "render_docx", crash)
    assert main(["build", "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "internal error: RuntimeError: simulated crash" in err and "Traceback" not in err
    after = {p.name: p.read_bytes() for p in (workspace / "output").iterdir()}
    assert after == before
