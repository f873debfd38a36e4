"""Determinism: the same inputs (and ``SOURCE_DATE_EPOCH``) give byte-identical outputs.

Each workspace — the fictional Veloria pack and the repository's sample pack — is copied
to two folders at different absolute paths and built there by two separate processes
started more than two seconds apart, with different hash seeds (so set and dict-of-set
orders differ), different time zones, different locale encodings (UTF-8, ASCII) and
different working directories, and with the PDF rendered in a forked child (first) or in
the same process (second). Every output —
the pack's DOCX, PDF, ICS and EML and each statement's DOCX and PDF note — must come out
byte for byte the same. A third build in this test process (after whatever other tests
rendered before it) with ``SOURCE_DATE_EPOCH`` unset must agree too: a pack with a date
and a statement note never read the clock. An undated pack is dated today, or by
``SOURCE_DATE_EPOCH``, as documented, and is otherwise just as reproducible.

Causes this guards against, each pinned by a test below: zip entry timestamps and host
OS in the DOCX, the PDF's ``/CreationDate`` and trailer ``/ID``, the ICS ``DTSTAMP``, the
email's ``Date`` and MIME boundaries, font subset names, and iteration order.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
import yaml
from icalendar import Calendar

from briefgen.cli import main

REPO = Path(__file__).resolve().parent.parent
FICTION = Path(__file__).resolve().parent / "data" / "veloria"
EPOCH = "1780000000"  # 2026-05-28T20:26:40Z: any fixed value; dated outputs must not depend on it
WORKSPACES = ("fiction", "sample")
PACK_EXTENSIONS = {"docx", "pdf", "ics", "eml"}


def _copy_workspace(kind: str, target: Path) -> Path:
    """Copy the fictional or the sample workspace (pack file, statements, texts) to ``target``."""
    if kind == "fiction":
        shutil.copytree(FICTION, target)
    else:
        shutil.copytree(REPO / "sources", target / "sources")
        shutil.copy(REPO / "briefing.yaml", target / "briefing.yaml")
    return target


def _build_arguments(workspace: Path) -> list[str]:
    """Return ``build`` arguments for the pack with its email and a note for every statement."""
    statements = sorted(str(p.relative_to(workspace)) for p in (workspace / "sources").glob("*.yaml"))
    return ["build", "--quiet", "--email", "briefing.yaml", *statements]


def _clean_environment(**overrides: str) -> dict[str, str]:
    """Return this process's environment without variables that legitimately change outputs."""
    env = {k: v for k, v in os.environ.items() if k not in ("BRIEFGEN_AUTHOR", "SOURCE_DATE_EPOCH")}
    env.update(overrides)
    return env


def _build_in_subprocess(workspace: Path, **env: str) -> Path:
    """Run ``python -m briefgen build …`` in ``workspace`` with ``env`` added; return the output folder."""
    completed = subprocess.run(
        [sys.executable, "-m", "briefgen", *_build_arguments(workspace)],
        cwd=workspace,
        env=_clean_environment(**env),
        check=False,  # the exit code is asserted with stderr as the message
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr
    return workspace / "output"


def _outputs(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def _explain_difference(name: str, first: bytes, second: bytes) -> str:
    """Describe where two versions of an output differ: the zip member, or the bytes around the first change."""
    if name.endswith(".docx"):
        with zipfile.ZipFile(io.BytesIO(first)) as a, zipfile.ZipFile(io.BytesIO(second)) as b:
            members = [i.filename for i in a.infolist()], [i.filename for i in b.infolist()]
            if members[0] != members[1]:
                return f"{name}: zip members differ: {members}"
            for info_a, info_b in zip(a.infolist(), b.infolist()):
                if (info_a.date_time, info_a.create_system, info_a.external_attr) != (
                    info_b.date_time,
                    info_b.create_system,
                    info_b.external_attr,
                ):
                    return f"{name}: zip entry {info_a.filename} header differs: {info_a!r} vs {info_b!r}"
                data_a, data_b = a.read(info_a), b.read(info_b)
                if data_a != data_b:
                    return f"{name}: member {info_a.filename} differs: " + _explain_difference("", data_a, data_b)
    at = next((i for i, (x, y) in enumerate(zip(first, second)) if x != y), min(len(first), len(second)))
    return f"{name} at byte {at} of {len(first)}/{len(second)}: {first[max(at - 80, 0) : at + 80]!r} vs {second[max(at - 80, 0) : at + 80]!r}"


def _assert_identical(first: dict[str, bytes], second: dict[str, bytes]) -> None:
    assert sorted(first) == sorted(second)
    differences = [_explain_difference(name, first[name], second[name]) for name in first if first[name] != second[name]]
    assert not differences, "\n".join(differences)


@pytest.fixture(scope="module")
def two_builds(tmp_path_factory) -> dict[str, tuple[dict[str, bytes], dict[str, bytes]]]:
    """Build both workspaces twice in separate processes more than two seconds apart.

    The first builds run with hash seed 0 in UTC under a UTF-8 locale, the second with
    another seed in UTC+05:45 under an ASCII locale, from copies at different absolute
    paths; ``SOURCE_DATE_EPOCH`` is set for both.
    """
    root = tmp_path_factory.mktemp("determinism")
    firsts, seconds = {}, {}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", EPOCH)
        for kind in WORKSPACES:
            workspace = _copy_workspace(kind, root / "first" / kind)
            firsts[kind] = _outputs(
                _build_in_subprocess(workspace, SOURCE_DATE_EPOCH=EPOCH, PYTHONHASHSEED="0", TZ="UTC", LC_ALL="C.UTF-8", PYTHONUTF8="1")
            )
        time.sleep(2.1)  # the clock's seconds (and zip's two-second resolution) move on
        for kind in WORKSPACES:
            workspace = _copy_workspace(kind, root / "second" / "a" / "longer" / "path" / kind)
            seconds[kind] = _outputs(
                _build_in_subprocess(
                    workspace,
                    SOURCE_DATE_EPOCH=EPOCH,
                    PYTHONHASHSEED="4242",
                    TZ="Asia/Kathmandu",
                    # An ASCII locale with Python's UTF-8 mode and locale coercion off: any file
                    # read or written without an explicit encoding would fail or differ.
                    LC_ALL="C",
                    PYTHONCOERCECLOCALE="0",
                    PYTHONUTF8="0",
                    # The first build lays the PDF out in a forked child beside the DOCX; this
                    # one renders both in one process, so the two ways must agree too.
                    BRIEFGEN_NO_FORK="1",
                )
            )
    return {kind: (firsts[kind], seconds[kind]) for kind in WORKSPACES}


@pytest.mark.parametrize("kind", WORKSPACES)
def test_two_builds_seconds_apart_in_different_processes_are_byte_identical(two_builds, kind):
    """Every output — pack DOCX, PDF, ICS, EML and each note's DOCX and PDF — is the same bytes when rebuilt later elsewhere."""
    first, second = two_builds[kind]
    extensions = {name.rsplit(".", 1)[1] for name in first}
    assert extensions == PACK_EXTENSIONS
    notes = [name for name in first if not name[:4].isdigit()]
    assert len(notes) == 2 * len(list((FICTION if kind == "fiction" else REPO).glob("sources/*.yaml")))
    _assert_identical(first, second)


@pytest.mark.parametrize("kind", WORKSPACES)
def test_a_later_build_in_this_process_without_source_date_epoch_is_identical(two_builds, kind, tmp_path, monkeypatch):
    """Dated packs and notes read neither the clock nor SOURCE_DATE_EPOCH, nor what earlier renders left in the process.

    This build runs after the two above, in the test process (where other tests have
    registered fonts and filled caches), with SOURCE_DATE_EPOCH unset: the pack has a meeting
    date and each note its statement's date, so the bytes must equal the first build's.
    """
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    monkeypatch.delenv("BRIEFGEN_AUTHOR", raising=False)
    workspace = _copy_workspace(kind, tmp_path / "ws")
    monkeypatch.chdir(workspace)
    assert main(_build_arguments(workspace)) == 0
    _assert_identical(two_builds[kind][0], _outputs(workspace / "output"))


def _undated_fiction_pack(target: Path) -> Path:
    """The fictional workspace with neither ``date`` nor ``meeting.date`` in its pack file."""
    workspace = _copy_workspace("fiction", target)
    pack = yaml.safe_load((workspace / "briefing.yaml").read_text(encoding="utf-8"))
    del pack["meeting"]["date"]
    assert "date" not in pack
    (workspace / "briefing.yaml").write_text(yaml.safe_dump(pack, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return workspace


def _pack_dates(outputs: dict[str, bytes], base: str) -> dict[str, object]:
    """Return the date each pack output carries: PDF /CreationDate, DOCX dcterms:created, ICS DTSTAMP, EML Date."""
    import docx

    pdf = re.search(rb"/CreationDate \(D:(\d{8})", outputs[f"{base}.pdf"]).group(1).decode()
    created = docx.Document(io.BytesIO(outputs[f"{base}.docx"])).core_properties.created
    calendar = Calendar.from_ical(outputs[f"{base}.ics"])
    stamps = {event.decoded("dtstamp").date() for event in calendar.walk("VEVENT")}
    message = email.message_from_bytes(outputs[f"{base}.eml"], policy=email.policy.default)
    return {
        "pdf": dt.datetime.strptime(pdf, "%Y%m%d").date(),
        "docx": created.date(),
        "ics": stamps,
        "eml": message["Date"].datetime.date(),
    }


def test_an_undated_pack_is_dated_by_source_date_epoch(tmp_path, monkeypatch):
    """Without date or meeting.date the pack takes SOURCE_DATE_EPOCH's day: in its name and in every format's date."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    workspace = _undated_fiction_pack(tmp_path / "ws")
    monkeypatch.chdir(workspace)
    assert main(["build", "--quiet", "--email"]) == 0
    day = dt.datetime.fromtimestamp(int(EPOCH), dt.UTC).date()
    base = f"{day.isoformat()}_arden-river-talks"
    outputs = _outputs(workspace / "output")
    assert sorted(outputs) == sorted(f"{base}.{ext}" for ext in PACK_EXTENSIONS)
    assert _pack_dates(outputs, base) == {"pdf": day, "docx": day, "ics": {day}, "eml": day}


def test_an_undated_pack_without_source_date_epoch_is_dated_today_and_still_reproducible(tmp_path, monkeypatch):
    """Unset SOURCE_DATE_EPOCH: today's date (the documented default) and nothing finer — two builds seconds apart agree."""
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    monkeypatch.delenv("BRIEFGEN_AUTHOR", raising=False)
    workspace = _undated_fiction_pack(tmp_path / "ws")
    monkeypatch.chdir(workspace)
    today = dt.date.today()
    assert main(["build", "--quiet", "--email", "--out", "first"]) == 0
    time.sleep(2.1)
    assert main(["build", "--quiet", "--email", "--out", "second"]) == 0
    if dt.date.today() != today:  # pragma: no cover - midnight passed between the builds
        pytest.skip("the date changed during the test")
    base = f"{today.isoformat()}_arden-river-talks"
    first, second = _outputs(workspace / "first"), _outputs(workspace / "second")
    assert sorted(first) == sorted(f"{base}.{ext}" for ext in PACK_EXTENSIONS)
    assert _pack_dates(first, base) == {"pdf": today, "docx": today, "ics": {today}, "eml": today}
    _assert_identical(first, second)


# --- the mechanisms, one by one --------------------------------------------------------


def test_docx_zip_entries_carry_a_fixed_timestamp_and_no_host_system(two_builds):
    """python-docx stamps zip entries with the current time and the host OS; briefgen rewrites both."""
    first, _ = two_builds["fiction"]
    for name in (n for n in first if n.endswith(".docx")):
        with zipfile.ZipFile(io.BytesIO(first[name])) as archive:
            for info in archive.infolist():
                assert info.date_time == (1980, 1, 1, 0, 0, 0), (name, info.filename)
                assert info.create_system == 0, (name, info.filename)  # not the building machine's OS
                # zipfile gives an entry without attributes read-write permissions: fixed, not the file's.
                assert info.external_attr in (0, 0o600 << 16), (name, info.filename)


def test_pdf_dates_come_from_the_document_and_its_id_from_its_content(two_builds):
    """A PDF's /CreationDate is the note's or pack's date; its trailer /ID is a digest of the file, not of the clock."""
    first, _ = two_builds["fiction"]
    expected_dates = {
        "2031-06-02_arden-river-talks.pdf": "20310602",
        "veloria-2031-03-03-river-commission.pdf": "20310303",
        "osterland-2031-03-05-waterways-reply.pdf": "20310305",
    }
    identifiers = set()
    for name, date in expected_dates.items():
        data = first[name]
        assert re.findall(rb"/CreationDate \(D:(\d+)", data) == [f"{date}000000".encode()], name
        assert re.findall(rb"/ModDate \(D:(\d+)", data) == [f"{date}000000".encode()], name
        match = re.search(rb"/ID \n\[<([0-9a-f]{32})><\1>\]", data)
        assert match, name
        blank = data[: match.start(1)] + b"0" * 32 + b"><" + b"0" * 32 + data[match.end(1) + 34 :]
        assert match.group(1).decode() == hashlib.md5(blank, usedforsecurity=False).hexdigest(), name
        identifiers.add(match.group(1))
    assert len(identifiers) == len(expected_dates)  # different documents, different identifiers


def test_pdf_font_subsets_are_named_by_position_not_at_random(two_builds):
    """Subset font names (ABCDEF+PTSerif…) are reportlab's counters, the same in every build."""
    first, _ = two_builds["sample"]
    for name in (n for n in first if n.endswith(".pdf")):
        prefixes = re.findall(rb"/BaseFont /([A-Z]{6})\+", first[name])
        assert prefixes and all(re.fullmatch(rb"AAAA[A-K]{2}", p) for p in prefixes), name


def test_calendar_stamp_and_email_date_and_boundaries_are_derived_not_drawn(two_builds):
    """ICS DTSTAMP and the email's Date are the pack's date; MIME boundaries are digests of the parts."""
    first, _ = two_builds["fiction"]
    base = "2031-06-02_arden-river-talks"
    calendar = Calendar.from_ical(first[f"{base}.ics"])
    assert {str(event.decoded("dtstamp")) for event in calendar.walk("VEVENT")} == {"2031-06-02 00:00:00+00:00"}
    message = email.message_from_bytes(first[f"{base}.eml"], policy=email.policy.default)
    assert message["Date"] == "Mon, 02 Jun 2031 08:00:00 +0000"
    boundaries = [part.get_boundary() for part in message.walk() if part.is_multipart()]
    assert boundaries and all(re.fullmatch(r"=_briefgen_\d+_[0-9a-f]{24}", b) for b in boundaries)
    assert "Message-ID" not in message  # a generated one would hold the time and the host name
