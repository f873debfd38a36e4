"""Pausing Python's cyclic garbage collector around work that makes many objects and no garbage cycles."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector inside the block, and restore it as it was."""
    # A collection walks every object alive in the generations it collects; where a step
    # makes hundreds of thousands of objects that all stay alive (a document read from
    # its markup, a laid-out PDF), each collection it triggers finds nothing to free.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
