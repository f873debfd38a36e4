"""The output edge: writing finished files so that a failure never damages the previous ones.

A build's files are replaced together or not at all. Each is written in full to a
temporary file beside its target, checked, flushed to disk; then the old files are
moved aside, the new ones moved in, and only when all are in place are the old ones
deleted. Any failure on the way puts every old file back.
"""

from __future__ import annotations

import io
import os
import tempfile
import zipfile
from pathlib import Path

from .errors import OutputError


def check_output(name: str, data: bytes) -> None:
    """Raise OutputError if ``data`` is not a complete file of the kind its name says."""
    if name.endswith(".pdf"):
        if not data.startswith(b"%PDF-") or b"%%EOF" not in data[-1024:]:
            raise OutputError(f"{name}: the PDF came out incomplete; nothing was replaced")
    elif name.endswith(".docx"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                if archive.testzip() is not None or "word/document.xml" not in archive.namelist():
                    raise zipfile.BadZipFile("missing or damaged word/document.xml")
        except zipfile.BadZipFile as exc:
            raise OutputError(f"{name}: the DOCX came out damaged ({exc}); nothing was replaced") from None


def write_atomically(files: dict[Path, bytes]) -> None:
    """Write every file in ``files`` or, on any failure, leave all the old ones as they were."""
    for target, data in files.items():
        check_output(target.name, data)
    staged: list[tuple[Path, Path]] = []  # (temporary, target)
    moved_aside: list[tuple[Path, Path]] = []  # (backup, target)
    placed: list[Path] = []
    try:
        for target, data in files.items():
            staged.append((_stage(target, data), target))
        for temporary, target in staged:
            if target.exists():
                backup = _free_name(target, ".old")
                try:
                    _replace(target, backup, target)
                except BaseException:
                    backup.unlink(missing_ok=True)  # the placeholder _free_name made
                    raise
                moved_aside.append((backup, target))
            _replace(temporary, target, target)
            placed.append(target)
    except BaseException:
        _roll_back(placed, moved_aside)
        raise
    finally:
        for temporary, _ in staged:
            temporary.unlink(missing_ok=True)
    for backup, _ in moved_aside:
        backup.unlink(missing_ok=True)


def _stage(target: Path, data: bytes) -> Path:
    """Write ``data`` to a new temporary file beside ``target``, flushed to disk."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise OutputError(f"{target.parent}: cannot write here: {exc.strerror}") from None
    temporary = Path(name)
    try:
        # mkstemp makes files only the owner can read; give outputs the usual mode.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise OutputError(f"{target}: cannot write: {exc.strerror}; the previous file is unchanged") from None
    return temporary


def _free_name(target: Path, suffix: str) -> Path:
    """Return an unused hidden name beside ``target`` for its old version."""
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix, dir=target.parent)
    os.close(handle)
    return Path(name)


def _replace(source: Path, destination: Path, target: Path) -> None:
    try:
        os.replace(source, destination)
    except PermissionError:
        raise OutputError(f"{target}: cannot replace the file: is it open in another program (Word, a PDF viewer)? Close it and build again") from None
    except OSError as exc:
        raise OutputError(f"{target}: cannot replace the file: {exc.strerror}") from None


def _roll_back(placed: list[Path], moved_aside: list[tuple[Path, Path]]) -> None:
    """Undo a partial replacement: remove new files, put the old ones back."""
    for target in placed:
        target.unlink(missing_ok=True)
    for backup, target in moved_aside:
        try:
            os.replace(backup, target)
        except OSError:
            pass  # the old file stays under its backup name; nothing is lost
