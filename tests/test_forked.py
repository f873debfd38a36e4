"""The forked child that renders the PDF beside the DOCX: its value, its errors, its end."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import sys
import threading
import time
from pathlib import Path

import pytest

from briefgen import build, pdf_worker
from briefgen.cli import main
from briefgen.errors import RenderStopped, UsageError
from briefgen.forked import ByteParts, ForkedCall, Worker, can_fork

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this system")


class _NeedsTwoArguments(Exception):
    def __init__(self, first: str, second: str):
        super().__init__(f"{first} and {second}")


def _raise_needs_two_arguments() -> None:
    raise _NeedsTwoArguments("one", "two")


def _refuse() -> None:
    raise UsageError("the renderer refused")


def _kill_myself() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _kill_myself_rendering(shell: object, blocks: list) -> None:
    _kill_myself()


def test_the_value_comes_back_from_the_child_which_saw_the_parents_memory():
    big = {"page": 7, "data": bytes(range(256)) * 4096}  # a megabyte: more than a pipe's buffer
    call = ForkedCall(lambda: (os.getpid(), big))
    child_pid, value = call.result()
    assert child_pid != os.getpid()
    assert value == big
    assert call.result()[1] == big  # asked twice, answered from what came back the first time


def test_an_error_in_the_child_is_raised_in_the_parent_with_the_childs_traceback_as_a_note():
    with pytest.raises(UsageError, match="the renderer refused") as raised:
        ForkedCall(_refuse).result()
    assert "in the child process" in raised.value.__notes__[0]


def test_an_error_that_cannot_be_rebuilt_from_its_arguments_arrives_as_text():
    with pytest.raises(ChildProcessError, match="_NeedsTwoArguments: one and two"):
        ForkedCall(_raise_needs_two_arguments).result()


def test_a_child_killed_before_answering_is_reported_not_waited_for_forever():
    with pytest.raises(RenderStopped, match=r"stopped by signal 9 \(SIGKILL\) \(out of memory\?\); nothing was written"):
        ForkedCall(_kill_myself).result()


def test_leaving_the_with_block_early_stops_a_child_still_running():
    with ForkedCall(time.sleep, 60) as call:
        pid = call._pid
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, 0)  # already reaped: no zombie left behind


def test_fork_is_not_used_when_turned_off(monkeypatch):
    monkeypatch.setenv("BRIEFGEN_NO_FORK", "1")
    assert not can_fork()


def test_a_value_that_cannot_travel_back_is_reported_as_the_childs_ending():
    with pytest.raises(RenderStopped, match="exit status 1"):
        ForkedCall(lambda: threading.Lock()).result()  # a lock cannot be pickled


def test_fork_is_not_used_beside_other_threads():
    if not can_fork():
        pytest.skip("no fork here anyway")
    release = threading.Event()
    waiting = threading.Thread(target=release.wait)
    waiting.start()
    try:
        assert not can_fork()
    finally:
        release.set()
        waiting.join()
    assert can_fork()


def test_a_build_whose_pdf_process_is_killed_says_so_and_keeps_the_previous_outputs(tmp_path, monkeypatch, capsys):
    if not can_fork():
        pytest.skip("one core here: the PDF is not rendered in a child")
    workspace = tmp_path / "ws"
    shutil.copytree(Path(__file__).resolve().parent / "data" / "veloria", workspace)
    monkeypatch.chdir(workspace)
    assert main(["build", "--quiet"]) == 0
    before = {path.name: path.read_bytes() for path in (workspace / "output").iterdir()}
    monkeypatch.setattr(pdf_worker, "render_pdf_from_blocks", _kill_myself_rendering)
    capsys.readouterr()
    assert main(["build", "--quiet"]) == 1
    message = capsys.readouterr().err
    assert "briefgen: error: the child process rendering the document was stopped by signal 9 (SIGKILL)" in message
    assert "internal error" not in message
    assert {path.name: path.read_bytes() for path in (workspace / "output").iterdir()} == before


# --- the worker forked before the workspace is loaded ---------------------------------

_loaded_after_the_worker_started: list[str] = []


def _what_the_worker_holds(extra: str, items: list) -> tuple[int, list[str], str, list]:
    return os.getpid(), list(_loaded_after_the_worker_started), extra, items


def _large_parts() -> ByteParts:
    return ByteParts([b"%PDF-", bytes(range(256)) * 4096, b"%%EOF"])  # more than a pipe's buffer


def test_a_worker_holds_only_what_it_is_sent():
    with Worker() as worker:
        _loaded_after_the_worker_started.append("a long pack")
        try:
            pid, loaded, extra, items = worker.submit(_what_the_worker_holds, "sent", items=[{"block": 1}, ("block", 2)]).result()
        finally:
            _loaded_after_the_worker_started.clear()
    assert pid != os.getpid()
    assert loaded == []  # forked before the parent loaded it
    assert (extra, items) == ("sent", [{"block": 1}, ("block", 2)])


def test_byte_parts_come_back_as_one_bytes_object_and_the_worker_takes_call_after_call():
    with Worker() as worker:
        first = worker.submit(_large_parts).result()
        second = worker.submit(_large_parts).result()
    assert type(first) is bytes
    assert first == second == b"%PDF-" + bytes(range(256)) * 4096 + b"%%EOF"


def test_an_error_in_a_call_is_raised_in_the_parent_and_the_worker_goes_on():
    with Worker() as worker:
        with pytest.raises(UsageError, match="the renderer refused") as raised:
            worker.submit(_refuse).result()
        assert "in the child process" in raised.value.__notes__[0]
        assert worker.alive
        assert worker.submit(_large_parts).result().startswith(b"%PDF-")


def test_a_worker_killed_during_a_call_is_reported_and_takes_no_more_calls():
    with Worker() as worker:
        with pytest.raises(RenderStopped, match=r"stopped by signal 9 \(SIGKILL\) \(out of memory\?\); nothing was written"):
            worker.submit(_kill_myself).result()
        assert not worker.alive
        with pytest.raises(RenderStopped, match="has stopped"):
            worker.submit(_large_parts)


def test_leaving_a_call_early_stops_the_worker_and_stopping_leaves_no_process_behind():
    with Worker() as worker:
        pid = worker._pid
        with worker.submit(time.sleep, 60):
            pass  # the caller gave up (an error elsewhere): the call cannot be interrupted, the worker goes
        assert not worker.alive
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, 0)  # already reaped: no zombie left behind


def test_the_worker_runs_its_warm_up_at_once():
    marker = Path(os.environ.get("TMPDIR", "/tmp")) / f"briefgen-warm-up-{os.getpid()}"
    marker.unlink(missing_ok=True)
    try:
        with Worker(warm_up=marker.touch) as worker:
            assert worker.submit(marker.exists).result()
    finally:
        marker.unlink(missing_ok=True)


def test_a_long_pack_rendered_by_the_worker_is_the_one_rendered_here(monkeypatch):
    from briefgen.compose import load_template_set, resolve_template_dir
    from briefgen.render import pdf
    from conftest import make_sample_pack_document

    monkeypatch.setattr(pdf, "_TWO_PART_MINIMUM", 0)  # split like a long pack, in the worker too
    document = make_sample_pack_document(sections=12)
    templates = load_template_set(resolve_template_dir("default", Path.cwd()))
    with Worker() as worker:
        by_worker = build.render_document(document, ["docx", "pdf"], templates, lambda step: None, worker=worker)
    monkeypatch.setenv("BRIEFGEN_NO_FORK", "1")
    here = build.render_document(document, ["docx", "pdf"], templates, lambda step: None)
    assert by_worker == here
    assert by_worker["pdf"].startswith(b"%PDF-")


def test_a_pack_the_worker_reads_from_its_markup_is_the_one_rendered_here_from_its_document():
    from briefgen.compose import ComposedMarkup, compose_pack_markup, load_template_set, resolve_template_dir
    from briefgen.workspace import load_pack

    fiction = Path(__file__).resolve().parent / "data" / "veloria"
    pack, _ = load_pack(fiction / "briefing.yaml")
    templates = load_template_set(resolve_template_dir("default", fiction))
    composed = compose_pack_markup(pack, templates)
    html = composed.html
    with Worker() as worker:
        by_worker = build.render_composed(composed, ["docx", "pdf", "ics"], templates, lambda step: None, worker=worker)
        assert worker.alive  # and ready for the next document
    with pytest.raises(RuntimeError, match="read already"):
        composed.read()  # rendering let go of the markup
    here = build.render_document(ComposedMarkup(html, composed.source_name, composed.style).read(), ["docx", "pdf", "ics"], templates, lambda step: None)
    assert by_worker == here
    assert by_worker["pdf"].startswith(b"%PDF-") and list(by_worker) == ["docx", "pdf", "ics"]


def test_markup_this_process_cannot_read_stops_the_worker_reading_it_and_is_reported(tmp_path):
    from briefgen.compose import ComposedMarkup, load_template_set, resolve_template_dir
    from briefgen.errors import TemplateError

    templates = load_template_set(resolve_template_dir("default", tmp_path))
    composed = ComposedMarkup("<p>Ostrelia <blink>agreed</blink></p>", "fiction/pack.html.j2", templates.style)
    with Worker() as worker:
        with pytest.raises(TemplateError, match=r"fiction/pack.html.j2: output line 1, column \d+: <blink> cannot stand inside a paragraph"):
            build.render_composed(composed, ["docx", "pdf"], templates, lambda step: None, worker=worker)
        assert not worker.alive  # its call was cancelled rather than left to answer later


def test_a_call_sent_before_the_last_one_was_collected_waits_for_it_and_keeps_its_outcome():
    with Worker() as worker:
        first = worker.submit(_refuse)
        second = worker.submit(_large_parts)  # reads the first call's answer before sending
        assert second.result().startswith(b"%PDF-")
        with pytest.raises(UsageError, match="the renderer refused"):
            first.result()


def test_where_fork_fails_the_pdf_is_laid_out_here_and_nothing_leaks(tmp_path, monkeypatch):
    """No memory or processes left for a child: the build goes on in one process, with the same files."""
    if not Path("/proc/self/fd").is_dir():
        pytest.skip("open files are counted through /proc")
    workspace = tmp_path / "ws"
    shutil.copytree(Path(__file__).resolve().parent / "data" / "veloria", workspace)
    monkeypatch.chdir(workspace)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1800000000")
    assert main(["build", "--quiet", "--out", "forked"]) == 0

    def refuse_to_fork() -> int:
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", refuse_to_fork)
    open_before = len(os.listdir("/proc/self/fd"))
    assert ForkedCall.start(time.sleep, 0) is None
    assert pdf_worker.start_pdf_worker() is None
    assert len(os.listdir("/proc/self/fd")) == open_before  # the pipes made for the children are closed
    assert main(["build", "--quiet", "--out", "here"]) == 0
    forked = {path.name: path.read_bytes() for path in (workspace / "forked").iterdir()}
    assert forked == {path.name: path.read_bytes() for path in (workspace / "here").iterdir()}
    assert any(name.endswith(".pdf") for name in forked)


def _start_a_long_child_then_die(pid_file: Path) -> None:
    child = ForkedCall(time.sleep, 60)
    pid_file.write_text(str(child._pid))
    _kill_myself()


def test_a_worker_killed_while_its_own_child_runs_is_reported_at_once(tmp_path):
    """The worker's child does not hold the worker's pipes open: the parent hears of the worker's end without waiting for the child."""
    if not can_fork():
        pytest.skip("one core here: no worker's child")
    pid_file = tmp_path / "child.pid"
    started = time.monotonic()
    try:
        with Worker() as worker, pytest.raises(RenderStopped, match="stopped by signal 9"):
            worker.submit(_start_a_long_child_then_die, pid_file).result()
        assert time.monotonic() - started < 30  # not the child's 60 s
    finally:
        if pid_file.exists():
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(pid_file.read_text()), signal.SIGKILL)


def _refuse_to_be_read() -> None:
    raise ValueError("not readable here")


class _ReadableOnlyInTheWorker:
    """A value that pickles, and fails when it is unpickled."""

    def __reduce__(self):
        return (_refuse_to_be_read, ())


def _answer_the_parent_cannot_read() -> _ReadableOnlyInTheWorker:
    return _ReadableOnlyInTheWorker()


def test_an_answer_the_parent_cannot_read_stops_the_worker_instead_of_waiting_for_it():
    with Worker() as worker:
        with pytest.raises(RenderStopped, match="sent an answer that could not be read"):
            worker.submit(_answer_the_parent_cannot_read).result()
        assert not worker.alive


def test_a_call_whose_arguments_cannot_be_sent_stops_the_worker_and_raises():
    with Worker() as worker:
        with pytest.raises(TypeError):
            worker.submit(_what_the_worker_holds, "sent", items=[1, threading.Lock()])  # a lock cannot be pickled
        assert not worker.alive


def _take_items(extra: str, stop_after: int | None, items) -> tuple[str, list]:
    taken = []
    for item in items:
        taken.append((item, time.monotonic()))
        if stop_after is not None and len(taken) == stop_after:
            break
    return extra, taken


def _refuse_after_one_item(items) -> None:
    next(iter(items))
    raise UsageError("refused after one item")


def test_a_streamed_call_takes_each_item_as_it_is_sent():
    """The worker has the first item before the second is sent: it works while the parent makes the rest."""
    with Worker() as worker:
        call = worker.stream(_take_items, "extra", None)
        call.send("first")
        time.sleep(0.5)
        sent_second = time.monotonic()
        call.send({"second": bytes(range(256)) * 1024})  # more than a pipe's buffer
        call.send(None)  # an item like any other, not the end
        extra, taken = call.result()  # ends the items first
    assert extra == "extra"
    assert [item for item, _ in taken] == ["first", {"second": bytes(range(256)) * 1024}, None]
    assert taken[0][1] < sent_second <= taken[1][1]


def test_items_a_streamed_call_leaves_unread_do_not_stop_the_worker_or_reach_the_next_call():
    with Worker() as worker:
        call = worker.stream(_take_items, "first call", 1)
        for number in range(200):
            call.send(bytes(1000) + str(number).encode())  # many more than the pipe holds
        call.end()
        assert [item for item, _ in call.result()[1]] == [bytes(1000) + b"0"]
        second = worker.stream(_take_items, "second call", None)
        second.send("only")
        assert [item for item, _ in second.result()[1]] == ["only"]


def test_an_error_in_a_streamed_call_is_raised_in_the_parent_after_the_last_item_and_the_worker_goes_on():
    with Worker() as worker:
        call = worker.stream(_refuse_after_one_item)
        for number in range(100):
            call.send(number)
        with pytest.raises(UsageError, match="refused after one item"):
            call.result()
        assert worker.alive
        assert worker.submit(_large_parts).result().startswith(b"%PDF-")


def test_leaving_a_streamed_call_before_its_end_stops_the_worker():
    """The items stopped halfway (the template failed): the worker would wait for the rest for ever."""
    with Worker() as worker:
        with worker.stream(_take_items, "extra", None) as call:
            call.send("first")
        assert not worker.alive
        call.send("second")  # nothing to send it to: nothing happens


def test_a_streamed_call_to_a_worker_that_died_says_how_it_ended():
    with Worker() as worker:
        call = worker.stream(_kill_myself_rendering, "shell")  # dies at once, before reading any item
        time.sleep(0.2)
        for number in range(100):
            call.send(bytes(1000))  # into a broken pipe: not an error here
        with pytest.raises(RenderStopped, match=r"stopped by signal 9"):
            call.result()
        assert not worker.alive


def test_a_pack_the_worker_reads_while_its_template_writes_it_is_the_one_rendered_here(monkeypatch):
    """The worker is sent the markup in pieces as the template writes them, and lays out the PDF this process would."""
    from briefgen import sandbox
    from briefgen.compose import compose_pack_markup, load_template_set, resolve_template_dir
    from briefgen.workspace import load_pack

    monkeypatch.setattr(sandbox, "WRITE_PIECE", 500)  # the fictional pack in many pieces
    fiction = Path(__file__).resolve().parent / "data" / "veloria"
    pack, _ = load_pack(fiction / "briefing.yaml")
    templates = load_template_set(resolve_template_dir("default", fiction))
    sent: list[str] = []
    with Worker() as worker:
        real_stream = worker.stream

        def stream(*args):
            call = real_stream(*args)
            real_send = call.send
            call.send = lambda piece: (sent.append(piece), real_send(piece))
            return call

        monkeypatch.setattr(worker, "stream", stream)
        by_worker = build.render_composing(lambda sink: compose_pack_markup(pack, templates, sink=sink), ["docx", "pdf", "ics"], templates, lambda step: None, worker=worker)
        assert worker.alive
    monkeypatch.setenv("BRIEFGEN_NO_FORK", "1")
    here = build.render_composed(compose_pack_markup(pack, templates), ["docx", "pdf", "ics"], templates, lambda step: None)
    assert len(sent) > 10 and "".join(sent) == compose_pack_markup(pack, templates).html
    assert by_worker == here


def test_a_template_that_fails_while_the_worker_reads_its_markup_is_reported_and_stops_the_worker(tmp_path, monkeypatch):
    from briefgen import sandbox
    from briefgen.compose import compose_pack_markup, load_template_set, resolve_template_dir
    from briefgen.errors import TemplateError
    from briefgen.workspace import load_pack

    monkeypatch.setattr(sandbox, "WRITE_PIECE", 100)
    fiction = tmp_path / "ws"
    shutil.copytree(Path(__file__).resolve().parent / "data" / "veloria", fiction)
    shutil.copytree(resolve_template_dir("default", fiction), fiction / "templates" / "broken")
    pack_template = fiction / "templates" / "broken" / "pack.html.j2"
    pack_template.write_text(pack_template.read_text(encoding="utf-8") + "\n{{ no_such_variable }}\n", encoding="utf-8")
    pack, _ = load_pack(fiction / "briefing.yaml")
    templates = load_template_set(fiction / "templates" / "broken")
    started = time.monotonic()
    with Worker() as worker:
        with pytest.raises(TemplateError, match=r"pack.html.j2:\d+: template error: 'no_such_variable' is undefined"):
            build.render_composing(lambda sink: compose_pack_markup(pack, templates, sink=sink), ["docx", "pdf"], templates, lambda step: None, worker=worker)
        assert not worker.alive  # stopped, not left waiting for the rest of the markup
    assert time.monotonic() - started < 30


def _own_niceness() -> tuple[int, int]:
    return threading.get_native_id(), os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


@pytest.mark.skipif(sys.platform != "linux", reason="a nice value per thread is Linux's")
def test_work_called_in_background_runs_at_a_lower_priority_and_this_thread_keeps_its_own():
    from briefgen.forked import BACKGROUND_NICENESS, call_in_background

    here, before = _own_niceness()
    there, niceness = call_in_background(_own_niceness)
    assert there != here
    assert niceness == min(19, before + BACKGROUND_NICENESS)
    assert _own_niceness() == (here, before)
    assert threading.active_count() == 1  # the thread has ended: a fork is possible again
    with pytest.raises(UsageError, match="the renderer refused"):
        call_in_background(_refuse)
