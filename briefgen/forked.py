"""Running calls in forked child processes, so two renderers use two cores.

A :class:`ForkedCall` child starts with the parent's memory as it is, so its arguments
need no pickling on the way in; only the call's result crosses a pipe on the way back. A
:class:`Worker` is forked early, while the parent is still small, and is sent its calls
later, pickled: it never holds what the parent loads in between. Where ``fork`` is
missing or unsafe, callers run the call in-process.
"""

from __future__ import annotations

import gc
import io
import os
import pickle
import signal
import struct
import sys
import threading
import traceback
from collections.abc import Callable, Iterable, Iterator
from typing import Any, BinaryIO, Self, TypeVar

from .errors import RenderStopped

__all__ = ["ByteParts", "ForkedCall", "StreamingCall", "Worker", "WorkerCall", "call_in_background", "can_fork"]

T = TypeVar("T")


def can_fork() -> bool:
    """Whether a call may run in a forked child here: Linux, one thread, and more than one core to run it on."""
    # macOS offers fork but its system frameworks are not fork-safe; Windows has none. A
    # child forked beside other threads inherits whatever locks they held at that moment
    # (a program rendering in a thread pool), and may wait on them for ever.
    if sys.platform != "linux" or os.environ.get("BRIEFGEN_NO_FORK") or threading.active_count() > 1:
        return False
    return len(os.sched_getaffinity(0)) > 1


#: How much less of a core the work of :func:`call_in_background` is given than the
#: processes laying out a PDF beside it, as a nice value: at 10, a tenth of the core it
#: shares with one of them, so that most of it runs once the layout is done, while the
#: PDF's file is written on one core. At 100 statements (the DOCX's ~0.7 s), 10 rounds
#: each, against no lowering: 5 gave 1.03 of the time, 10 gave 0.94, 19 gave 0.96.
BACKGROUND_NICENESS = 10


def call_in_background(function: Callable[[], T]) -> T:
    """Return ``function()``, run in a thread scheduled at a lower priority (Linux), so that the processes laying out a PDF take the cores first; elsewhere, run here."""
    if sys.platform != "linux" or not hasattr(os, "setpriority"):
        return function()
    outcome: list[tuple[bool, Any]] = []

    def run() -> None:
        try:
            # On Linux a nice value belongs to a thread: this process's other threads keep theirs.
            thread = threading.get_native_id()
            os.setpriority(os.PRIO_PROCESS, thread, min(19, os.getpriority(os.PRIO_PROCESS, thread) + BACKGROUND_NICENESS))
        except OSError:
            pass  # not allowed here: it runs at the usual priority
        try:
            outcome.append((True, function()))
        except BaseException as error:  # noqa: BLE001 (raised again in the calling thread)
            outcome.append((False, error))

    worker = threading.Thread(target=run, name="briefgen-background", daemon=True)
    worker.start()
    worker.join()
    succeeded, value = outcome[0]
    if not succeeded:
        raise value
    return value


class ForkedCall:
    """``function(*args)`` running in a forked child; :meth:`result` waits for its value or exception."""

    def __init__(self, function: Callable[..., Any], *args: Any):
        read_end, write_end = os.pipe()
        _release_free_heap()
        # The child shares the parent's memory until either writes to a page. The cyclic
        # garbage collector writes to every object it examines, which would copy the whole
        # parent heap into the child; frozen objects are left out of its collections.
        gc.freeze()
        try:
            pid = _fork(read_end, write_end)
        finally:
            gc.unfreeze()
        if pid == 0:
            os.close(read_end)
            for inherited in _serving_pipes:
                # A worker's child holding the worker's pipes would keep its parent from
                # seeing the worker end until this child ended too.
                os.close(inherited)
            _run_in_child(write_end, function, args)  # never returns
        os.close(write_end)
        self._pid = pid
        self._pipe = os.fdopen(read_end, "rb")
        self._outcome: tuple[bool, Any] | None = None

    @classmethod
    def start(cls, function: Callable[..., Any], *args: Any) -> ForkedCall | None:
        """Start ``function(*args)`` in a forked child, or return None where that is not possible here or the fork fails (no memory or processes left): the caller then runs it itself."""
        if not can_fork():
            return None
        try:
            return cls(function, *args)
        except OSError:
            return None

    def result(self) -> Any:
        """Return the call's value, or raise the exception it raised, waiting for the child if needed."""
        if self._outcome is None:
            with self._pipe:
                try:
                    # Straight from the pipe: a long PDF is never held twice, as bytes read and as the value.
                    outcome = pickle.load(self._pipe)
                except (EOFError, pickle.UnpicklingError):
                    outcome = None
            _, status = os.waitpid(self._pid, 0)
            self._pid = 0
            if outcome is None:
                outcome = (False, RenderStopped(f"the child process rendering the document {_ending(status)}; nothing was written"))
            self._outcome = outcome
        succeeded, value = self._outcome
        if not succeeded:
            raise value
        return value

    def cancel(self) -> None:
        """Stop the child if it still runs, and reap it; nothing happens after :meth:`result`."""
        if self._pid:
            try:
                os.kill(self._pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            os.waitpid(self._pid, 0)
            self._pid = 0
            self._pipe.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.cancel()


def _fork(*pipe_ends: int) -> int:
    """Fork; if that fails, close ``pipe_ends`` (made for the child) and raise."""
    try:
        return os.fork()
    except OSError:
        for end in pipe_ends:
            os.close(end)
        raise


class ByteParts(list):
    """A list of bytes objects that a :class:`Worker` sends back as one bytes object, so that neither process ever holds the parts and their join at once."""


class Worker:
    """A child process, forked when created, that runs the calls sent to it one at a time and sends back their outcomes.

    A child forked when a call is made starts with all the parent has loaded by then (a
    long pack's statements and document model: hundreds of MB counted against it). This
    one is forked first and sent each call's function and arguments pickled; ``warm_up``
    runs in it at once (imports, say) while the parent goes on.
    """

    def __init__(self, warm_up: Callable[[], object] | None = None) -> None:
        request_read, request_write = os.pipe()
        reply_read, reply_write = os.pipe()
        pid = _fork(request_read, request_write, reply_read, reply_write)
        if pid == 0:
            os.close(request_write)
            os.close(reply_read)
            _serve(request_read, reply_write, warm_up)  # never returns
        os.close(request_read)
        os.close(reply_write)
        self._pid = pid
        self._requests = os.fdopen(request_write, "wb")
        self._replies = os.fdopen(reply_read, "rb")
        self._pending: WorkerCall | None = None

    @classmethod
    def start(cls, warm_up: Callable[[], object] | None = None) -> Worker | None:
        """Start a worker, or return None where that is not possible here or the fork fails (no memory or processes left): the caller then runs its calls itself."""
        if not can_fork():
            return None
        try:
            return cls(warm_up)
        except OSError:
            return None

    @property
    def alive(self) -> bool:
        """Whether the worker can take a call: started, not stopped, and not lost."""
        return self._pid != 0

    def submit(self, function: Callable[..., Any], *args: Any, items: Iterable[Any] = ()) -> WorkerCall:
        """Send ``function(*args, list(items))`` to the worker (without ``items``, ``function(*args)``) and return the call, whose result comes later.

        ``items`` are pickled one by one: a pickler remembers every object it has written,
        which for a long sequence in one piece would cost as much memory as the objects.
        """
        items = list(items) if items else None
        self._send_request(function, args, None if items is None else len(items), items or ())
        self._pending = WorkerCall(self)
        return self._pending

    def stream(self, function: Callable[..., Any], *args: Any) -> StreamingCall:
        """Send ``function(*args, items)`` to the worker, where ``items`` iterates over what :meth:`StreamingCall.send` sends it afterwards, and return the call.

        The worker starts the call at once and takes each item as it comes, while this
        process is still making the next one.
        """
        self._send_request(function, args, _STREAMED, ())
        self._pending = StreamingCall(self)
        return self._pending

    def _send_request(self, function: Callable[..., Any], args: tuple[Any, ...], count: int | None, items: Iterable[Any]) -> None:
        """Send a call's function, arguments and item count, then ``items`` one by one, once the call before it has answered."""
        if not self.alive:
            raise RenderStopped("the child process rendering documents has stopped; nothing was written")
        if self._pending is not None:
            self._pending.collect()  # one call at a time: its answer is read, and kept for it, first
        try:
            pickle.dump((function, args, count), self._requests, protocol=pickle.HIGHEST_PROTOCOL)
            for item in items:
                pickle.dump(item, self._requests, protocol=pickle.HIGHEST_PROTOCOL)
            self._requests.flush()
        except BrokenPipeError:
            raise RenderStopped(f"the child process rendering the document {self._lose()}; nothing was written") from None
        except BaseException:
            self.stop()  # a request cut short (an argument that cannot be pickled) would leave it reading garbage
            raise

    def _receive(self) -> tuple[bool, Any]:
        """Read the outcome of the call in progress."""
        self._pending = None
        try:
            return _read_outcome(self._replies)
        except EOFError:  # the worker has ended: its pipe closes only then
            return False, RenderStopped(f"the child process rendering the document {self._lose()}; nothing was written")
        except Exception as error:  # noqa: BLE001 (an answer this process cannot read: the worker may still run, so it is stopped)
            self.stop()
            return False, RenderStopped(f"the child process rendering the document sent an answer that could not be read ({error}); nothing was written")

    def _lose(self) -> str:
        """Reap a worker that stopped answering and describe how it ended."""
        _, status = os.waitpid(self._pid, 0)
        self._pid = 0
        self._close_pipes()
        return _ending(status)

    def stop(self) -> None:
        """End the worker at once, whether a call is running or not, and reap it."""
        if not self._pid:
            return
        try:
            os.kill(self._pid, signal.SIGKILL)  # idle, it has nothing to finish; busy, its call is abandoned
        except ProcessLookupError:
            pass
        self._close_pipes()
        os.waitpid(self._pid, 0)
        self._pid = 0

    def _close_pipes(self) -> None:
        for pipe in (self._requests, self._replies):
            try:
                pipe.close()
            except BrokenPipeError:
                pass

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


class WorkerCall:
    """A call sent to a :class:`Worker`; :meth:`result` waits for its value or exception."""

    def __init__(self, worker: Worker) -> None:
        self._worker = worker
        self._outcome: tuple[bool, Any] | None = None

    def collect(self) -> None:
        """Wait for the call's outcome and keep it for :meth:`result`."""
        if self._outcome is None:
            self._outcome = self._worker._receive()

    def result(self) -> Any:
        """Return the call's value, or raise the exception it raised, waiting for the worker if needed."""
        self.collect()
        succeeded, value = self._outcome
        if not succeeded:
            raise value
        return value

    def cancel(self) -> None:
        """Stop the worker if the call is still running (it cannot be interrupted otherwise); nothing happens after :meth:`result`."""
        if self._outcome is None and self._worker._pending is self:
            self._worker.stop()
            self._outcome = (False, RenderStopped("the call was cancelled"))

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.cancel()


class StreamingCall(WorkerCall):
    """A call sent to a :class:`Worker` by :meth:`Worker.stream`, whose items follow it one by one until :meth:`end`."""

    def __init__(self, worker: Worker) -> None:
        super().__init__(worker)
        self._open = True

    def send(self, item: Any) -> None:
        """Send ``item`` to the call; where the worker has gone, nothing is sent, and :meth:`result` says how it ended."""
        self._write(item)

    def end(self) -> None:
        """Tell the call that no more items come; :meth:`result` does it first where it has not been done."""
        self._write(_EndOfItems)
        self._open = False

    def _write(self, item: Any) -> None:
        if not self._open:
            return
        try:
            pickle.dump(item, self._worker._requests, protocol=pickle.HIGHEST_PROTOCOL)
            self._worker._requests.flush()
        except (BrokenPipeError, ValueError):  # ValueError: the pipe was closed when the worker was stopped
            self._open = False

    def collect(self) -> None:
        """End the items, then wait for the call's outcome and keep it for :meth:`result`."""
        self.end()
        super().collect()


class _EndOfItems:
    """Sent, as the class itself, after the last item of a streamed call."""


# The item count in a request whose items are streamed (see Worker.stream).
_STREAMED = -1


def _streamed_items(requests: BinaryIO) -> Iterator[Any]:
    """Yield the items of a streamed call from the request pipe, as they come, until its end."""
    while (item := pickle.load(requests)) is not _EndOfItems:
        yield item


# In a worker: the pipes it serves on, which the children it forks close.
_serving_pipes: tuple[int, ...] = ()


def _serve(request_fd: int, reply_fd: int, warm_up: Callable[[], object] | None) -> None:
    """Run calls from the request pipe until it closes, answering each on the reply pipe; leave without the parent's exit handlers."""
    global _serving_pipes
    _serving_pipes = (request_fd, reply_fd)
    try:
        if warm_up is not None:
            try:
                warm_up()
            except Exception:  # noqa: BLE001, S110 (the call that needs what failed reports it)
                pass
        with os.fdopen(request_fd, "rb") as requests, os.fdopen(reply_fd, "wb") as replies:
            while True:
                try:
                    function, args, count = pickle.load(requests)
                except EOFError:
                    break
                items = None
                if count == _STREAMED:
                    items = _streamed_items(requests)
                    args = (*args, items)
                elif count is not None:
                    args = (*args, [pickle.load(requests) for _ in range(count)])
                try:
                    outcome: tuple[bool, Any] = (True, function(*args))
                except Exception as error:  # noqa: BLE001 (the parent decides what an error means)
                    outcome = (False, _error_for_parent(error))
                if items is not None:
                    # Items the call left unread come off the pipe before the answer goes:
                    # the parent may be blocked sending them, and would never read it.
                    for _ in items:
                        pass
                try:
                    _write_outcome(replies, outcome)
                    replies.flush()
                except BrokenPipeError:  # the parent has gone
                    os._exit(1)
                except Exception:  # noqa: BLE001 (part of it may be in the pipe: the parent reports the ending)
                    traceback.print_exc()
                    os._exit(1)
                del outcome, args  # the document goes before the next call comes
    finally:
        os._exit(0)


# An outcome on the reply pipe: the number of byte strings sent apart, their lengths
# (8 bytes each), the byte strings, then the outcome pickled with each ByteParts in it
# replaced by its index.
_COUNT = struct.Struct("<Q")


def _write_outcome(pipe: BinaryIO, outcome: tuple[bool, Any]) -> None:
    """Write ``outcome`` to ``pipe``, the parts of each :class:`ByteParts` in it as they are, one after another."""
    sent_apart: list[ByteParts] = []

    class _Pickler(pickle.Pickler):
        def persistent_id(self, value: object) -> int | None:
            if type(value) is ByteParts:
                sent_apart.append(value)
                return len(sent_apart) - 1
            return None

    pickled = io.BytesIO()
    _Pickler(pickled, protocol=pickle.HIGHEST_PROTOCOL).dump(outcome)
    pipe.write(_COUNT.pack(len(sent_apart)))
    for parts in sent_apart:
        pipe.write(_COUNT.pack(sum(len(part) for part in parts)))
    for parts in sent_apart:
        for part in parts:
            pipe.write(part)
    pipe.write(pickled.getbuffer())


def _read_outcome(pipe: BinaryIO) -> tuple[bool, Any]:
    """Read an outcome written by :func:`_write_outcome`, each :class:`ByteParts` in it as one bytes object."""
    (count,) = _COUNT.unpack(_read_exactly(pipe, _COUNT.size))
    lengths = [_COUNT.unpack(_read_exactly(pipe, _COUNT.size))[0] for _ in range(count)]
    received = [_read_exactly(pipe, length) for length in lengths]

    class _Unpickler(pickle.Unpickler):
        def persistent_load(self, index: int) -> bytes:
            return received[index]

    return _Unpickler(pipe).load()


def _read_exactly(pipe: BinaryIO, size: int) -> bytes:
    data = pipe.read(size)
    if len(data) != size:
        raise EOFError("the pipe closed early")
    return data


# Below this peak resident size the few milliseconds of trimming are not worth it.
_TRIM_ABOVE_KIB = 100 * 1024


def _release_free_heap() -> None:
    """Hand the C heap's free pages back to the system (glibc only), so that a forked child does not start out holding them.

    Composing a long pack frees tens of MB of transient text that the allocator keeps; a
    child's resident size starts at its parent's.
    """
    import resource  # only where fork is used: Linux

    if resource.getrusage(resource.RUSAGE_SELF).ru_maxrss < _TRIM_ABOVE_KIB:
        return
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to trim this way
        pass


def _run_in_child(write_end: int, function: Callable[..., Any], args: tuple[Any, ...]) -> None:
    """Run the call, send its pickled outcome to the parent, and leave without running the parent's exit handlers."""
    try:
        with os.fdopen(write_end, "wb") as pipe:
            try:
                value = function(*args)
            except BaseException as error:  # noqa: BLE001 (the parent decides what an error means)
                pickle.dump((False, _error_for_parent(error)), pipe, protocol=pickle.HIGHEST_PROTOCOL)
            else:
                try:
                    # Pickled straight into the pipe: large bytes are written as they are, not copied first.
                    pickle.dump((True, value), pipe, protocol=pickle.HIGHEST_PROTOCOL)
                except Exception:  # noqa: BLE001 (part of it may be in the pipe: the parent reports the ending)
                    traceback.print_exc()
                    os._exit(1)
    finally:
        # os._exit: the parent's atexit handlers, buffered output and temporary files are the parent's.
        os._exit(0)


def _error_for_parent(error: BaseException) -> BaseException:
    """Return ``error`` with its traceback as a note, or a ChildProcessError with its text if it cannot travel pickled."""
    text = "".join(traceback.format_exception(error))
    try:
        error.add_note(f"(in the child process)\n{text}")
        pickle.loads(pickle.dumps(error, protocol=pickle.HIGHEST_PROTOCOL))  # an exception whose __init__ takes other arguments fails only here
        return error
    except Exception:  # noqa: BLE001 (whatever pickling raised, the text still travels)
        return ChildProcessError(text)


def _ending(status: int) -> str:
    """Describe how a child process ended, from its wait status."""
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        hint = " (out of memory?)" if number == signal.SIGKILL else ""
        return f"was stopped by signal {number} ({signal.Signals(number).name}){hint}"
    return f"ended with exit status {os.waitstatus_to_exitcode(status)} before sending its result"
