"""The output edge: writing finished files so that a failure never damages the previous ones."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .errors import OutputError

_UMASK = os.umask(0)
os.umask(_UMASK)


def write_atomically(files: dict[Path, bytes]) -> None:
    """Write every file in ``files`` or, on failure, leave all the old ones as they were.

    Each file is first written in full to a temporary file beside its target and flushed
    to disk; only when all are written are they renamed into place, one after another.
    """
    staged: list[tuple[Path, Path]] = []
    try:
        for target, data in files.items():
            target.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
            staged.append((Path(temporary), target))
            # mkstemp creates files readable by the owner only; give outputs the usual mode.
            os.chmod(temporary, 0o666 & ~_UMASK)
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
                stream.flush()
                os.fsync(stream.fileno())
        for temporary, target in staged:
            try:
                os.replace(temporary, target)
            except PermissionError:
                raise OutputError(f"{target}: cannot replace the file; is it open in another program (Word)? Close it and build again") from None
    except OSError as exc:
        raise OutputError(f"{exc.filename or 'output'}: cannot write: {exc.strerror}") from None
    finally:
        for temporary, _ in staged:
            temporary.unlink(missing_ok=True)
