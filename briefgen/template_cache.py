"""Compiled templates kept between runs in the user's cache folder, so that a build does not compile its templates again.

Compiling the default pack templates takes about a tenth of a second, every build; a pack
is rebuilt many times in the hour before a meeting. Jinja can keep compiled templates
(:class:`jinja2.BytecodeCache`), keyed by the template's name and file and checked
against a digest of its source; this module gives it a folder of the user's own,
``$XDG_CACHE_HOME/briefgen`` (``~/.cache/briefgen``), that is used only when it is a real
folder owned by the user and closed to everyone else. The folder's name holds a digest of
what compiled code depends on beyond the source (Jinja's and Python's versions and
briefgen's environment code), so code compiled under other settings is never loaded. A
cache that cannot be read or written is skipped: it never fails a build.
``BRIEFGEN_NO_TEMPLATE_CACHE=1`` turns it off.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
import stat
import sys
import tempfile
from pathlib import Path

import jinja2
from jinja2.bccache import Bucket, BytecodeCache

__all__ = ["template_bytecode_cache"]

# The modules whose code shapes the environment templates are compiled in.
_ENVIRONMENT_SOURCES = ("sandbox.py", "compose.py")
# A cache file: this line, the digest of the template's source on a line, then the code as
# marshal writes it (Jinja's own files hold the digest pickled; nothing here unpickles).
_MAGIC = b"briefgen compiled template 1\n"


class _TemplateFolderCache(BytecodeCache):
    """Compiled templates as files in one folder; a file that cannot be read or written is as if it were not there."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def load_bytecode(self, bucket: Bucket) -> None:
        """Give ``bucket`` the code kept for its template, if it is there, sound and compiled from the same source."""
        try:
            data = (self.folder / f"{bucket.key}.cache").read_bytes()
            checksum, _, code = data.removeprefix(_MAGIC).partition(b"\n")
            if data.startswith(_MAGIC) and checksum.decode() == bucket.checksum:
                bucket.code = marshal.loads(code)
        except (OSError, ValueError, EOFError, TypeError):
            bucket.reset()  # missing or damaged: compiled afresh

    def dump_bytecode(self, bucket: Bucket) -> None:
        """Keep ``bucket``'s code for its template, written whole or not at all."""
        data = _MAGIC + bucket.checksum.encode() + b"\n" + marshal.dumps(bucket.code)
        try:
            descriptor, temporary = tempfile.mkstemp(dir=self.folder, prefix=bucket.key, suffix=".tmp")
        except OSError:
            return  # a full disk or a read-only home: the next build compiles again
        try:
            with os.fdopen(descriptor, "wb") as file:
                file.write(data)
            os.replace(temporary, self.folder / f"{bucket.key}.cache")
        except OSError:
            with contextlib.suppress(OSError):
                os.remove(temporary)


def template_bytecode_cache() -> BytecodeCache | None:
    """Return the cache of compiled templates in the user's cache folder, or None where it is turned off or the folder is not safe to use."""
    if os.environ.get("BRIEFGEN_NO_TEMPLATE_CACHE") or not hasattr(os, "getuid"):
        return None
    root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "briefgen"
    folder = root / f"templates-{_settings_digest()}"
    try:
        for directory in (root, folder):
            try:
                directory.mkdir(mode=stat.S_IRWXU, parents=directory is root)
            except FileExistsError:
                pass
            if not _private(directory):
                return None
    except OSError:
        return None
    return _TemplateFolderCache(folder)


def _private(directory: Path) -> bool:
    """Whether ``directory`` is a real folder (not a link), owned by this user, that no one else may write to or read."""
    status = directory.lstat()
    return stat.S_ISDIR(status.st_mode) and status.st_uid == os.getuid() and not status.st_mode & (stat.S_IRWXG | stat.S_IRWXO)


def _settings_digest() -> str:
    """Return a digest of what compiled template code depends on besides the template's source."""
    digest = hashlib.sha256(f"{jinja2.__version__}|{sys.implementation.cache_tag}".encode())
    package = Path(__file__).parent
    for name in _ENVIRONMENT_SOURCES:
        digest.update((package / name).read_bytes())
    return digest.hexdigest()[:16]
