"""Reading outputs back for assertions: PDF text via pypdf, DOCX parts via python-docx."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

from lxml import etree

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def pdf_pages_text(data: bytes) -> list[str]:
    """Return the text of each PDF page with whitespace runs collapsed to single spaces."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    return [re.sub(r"\s+", " ", page.extract_text() or "") for page in reader.pages]


def pdf_text(data: bytes) -> str:
    """Return the whole PDF's text with whitespace collapsed."""
    return " ".join(pdf_pages_text(data))


def collapse(text: str) -> str:
    """Collapse whitespace runs so wrapped lines compare equal to the source text."""
    return re.sub(r"\s+", " ", text).strip()


def docx_footnotes(data: bytes) -> dict[str, str]:
    """Return the text of each real footnote of a DOCX (separators left out), by id."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        root = etree.fromstring(archive.read("word/footnotes.xml"))
    notes = {}
    for note in root.iter(f"{{{W}}}footnote"):
        if note.get(f"{{{W}}}type") in ("separator", "continuationSeparator", "continuationNotice"):
            continue
        notes[note.get(f"{{{W}}}id")] = collapse("".join(note.itertext()))
    return notes


def write_file(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` as UTF-8, creating folders; return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def convert_with_libreoffice(soffice: str, work: Path, documents: list[Path], *, timeout: int, env: dict[str, str] | None = None):
    """Convert ``documents`` to PDF in ``work`` with LibreOffice, in a profile of its own; return the run."""
    import os
    import subprocess

    command = [
        soffice,
        f"-env:UserInstallation={(work / 'profile').as_uri()}",  # never disturb a running office
        "--headless",
        "--convert-to",
        "pdf",
        "--outdir",
        str(work),
        *(str(document) for document in documents),
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {})})
