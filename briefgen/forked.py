"""Running one call in a forked child process, so two renderers use two cores.

A forked child starts with the parent's memory as it is, so the document model needs no
pickling on the way in; only the call's result (bytes and a small mapping) crosses a pipe
on the way back. Where ``fork`` is missing or unsafe, callers run the call in-process.
"""

from __future__ import annotations

import gc
import os
import pickle
import signal
import sys
import threading
import traceback
from collections.abc import Callable
from typing import Any, Self

from .errors import RenderStopped

__all__ = ["ForkedCall", "can_fork"]


def can_fork() -> bool:
    """Whether a call may run in a forked child here: Linux, one thread, and more than one core to run it on."""
    # macOS offers fork but its system frameworks are not fork-safe; Windows has none. A
    # child forked beside other threads inherits whatever locks they held at that moment
    # (a program rendering in a thread pool), and may wait on them for ever.
    if sys.platform != "linux" or os.environ.get("BRIEFGEN_NO_FORK") or threading.active_count() > 1:
        return False
    return len(os.sched_getaffinity(0)) > 1


class ForkedCall:
    """``function(*args)`` running in a forked child; :meth:`result` waits for its value or exception."""

    def __init__(self, function: Callable[..., Any], *args: Any):
        read_end, write_end = os.pipe()
        _release_free_heap()
        # The child shares the parent's memory until either writes to a page. The cyclic
        # garbage collector writes to every object it examines, which would copy the whole
        # parent heap into the child; frozen objects are left out of its collections.
        gc.freeze()
        pid = os.fork()
        if pid == 0:
            os.close(read_end)
            _run_in_child(write_end, function, args)  # never returns
        gc.unfreeze()
        os.close(write_end)
        self._pid = pid
        self._pipe = os.fdopen(read_end, "rb")
        self._outcome: tuple[bool, Any] | None = None

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
                pipe.write(_pickled_error(error))
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


def _pickled_error(error: BaseException) -> bytes:
    """Return ``error`` pickled with its traceback as a note, or a ChildProcessError with its text if it cannot travel."""
    text = "".join(traceback.format_exception(error))
    try:
        error.add_note(f"(in the child process)\n{text}")
        payload = pickle.dumps((False, error), protocol=pickle.HIGHEST_PROTOCOL)
        pickle.loads(payload)  # an exception whose __init__ takes other arguments fails only here
        return payload
    except Exception:  # noqa: BLE001 (whatever pickling raised, the text still travels)
        return pickle.dumps((False, ChildProcessError(text)))


def _ending(status: int) -> str:
    """Describe how a child process ended, from its wait status."""
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        hint = " (out of memory?)" if number == signal.SIGKILL else ""
        return f"was stopped by signal {number} ({signal.Signals(number).name}){hint}"
    return f"ended with exit status {os.waitstatus_to_exitcode(status)} before sending its result"
