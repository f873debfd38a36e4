"""Building: loaded statements and packs → the bytes of every output file, ready to write.

Nothing here touches the disk except reading a template folder; the caller writes the
returned files with :func:`briefgen.output.write_atomically`, all or none.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from pathlib import Path

from .compose import TemplateSet, compose_email, compose_note, compose_pack
from .document import Document
from .workspace import LoadedPack, LoadedStatement

#: Attachments above this size are refused by many mail servers.
EMAIL_SIZE_WARNING = 10 * 1024 * 1024

#: The formats an email draft attaches; Markdown is for other tools, not for the reader.
EMAIL_ATTACHMENTS = ("docx", "pdf", "ics")

Step = Callable[[str], None]  # reports the step about to run, for a progress display

_TRANSLITERATION = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщыэюяәғқңөұүһі",
        "a b v g d e e zh z i i k l m n o p r s t u f kh ts ch sh shch y e yu ya a g q n o u u h i".split(),
    )
) | {"ъ": "", "ь": ""}


def slug(text: str, limit: int = 60) -> str:
    """Return a file-name-safe ASCII slug of ``text`` (Cyrillic transliterated)."""
    lowered = "".join(_TRANSLITERATION.get(char, char) for char in text.lower()).replace("-", " ")
    ascii_text = unicodedata.normalize("NFKD", lowered).encode("ascii", "ignore").decode()
    words = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")
    return words[:limit].rstrip("-") or "pack"


def _renderers_for(formats: list[str]) -> dict[str, Callable]:
    """Import only the renderers asked for: python-docx and reportlab load slowly."""
    renderers: dict[str, Callable] = {}
    if "docx" in formats:
        from .render.docx import render_docx

        renderers["docx"] = render_docx
    if "pdf" in formats or "docx" in formats:
        from .render.pdf import render_pdf_with_pages

        renderers["pdf"] = render_pdf_with_pages
    return renderers


def render_document(document: Document, formats: list[str], templates: TemplateSet, step: Step) -> dict[str, bytes]:
    """Render ``document`` into each of ``formats`` (docx, pdf, ics, md); return bytes by extension."""
    renderers = _renderers_for(formats)
    rendered: dict[str, bytes] = {}
    page_numbers: dict[str, int] | None = None
    if "pdf" in renderers:
        # The PDF goes first: its page numbers fill the DOCX's table of contents.
        step("pdf")
        pdf, page_numbers = renderers["pdf"](document)
        if "pdf" in formats:
            rendered["pdf"] = pdf
    if "docx" in formats:
        step("docx")
        rendered["docx"] = renderers["docx"](document, templates.reference_docx, page_numbers=page_numbers)
    if "ics" in formats:
        from .render.ics import render_ics

        step("ics")
        rendered["ics"] = render_ics(document)
    if "md" in formats:
        from .render.md import render_markdown

        step("md")
        rendered["md"] = render_markdown(document)
    return {extension: rendered[extension] for extension in formats if extension in rendered}


def build_note(loaded: LoadedStatement, templates: TemplateSet, formats: list[str], out_dir: Path, *, author: str, step: Step) -> dict[Path, bytes]:
    """Return the output files of one statement's note: ``<id>.<ext>`` per format."""
    step(f"compose {loaded.id}")
    document = compose_note(loaded, templates, author=author)
    rendered = render_document(document, [f for f in formats if f in ("docx", "pdf", "md")], templates, step)
    return {out_dir / f"{loaded.id}.{extension}": data for extension, data in rendered.items()}


def pack_basename(pack: LoadedPack) -> str:
    """Return the pack's output name without extension: ``<pack date>_<slug of the title>``."""
    return f"{pack.date.isoformat()}_{slug(pack.briefing.title)}"


def build_pack(pack: LoadedPack, templates: TemplateSet, formats: list[str], out_dir: Path, *, author: str, step: Step) -> tuple[dict[Path, bytes], list[str]]:
    """Return the pack's output files and any warnings about them."""
    step("compose pack")
    document = compose_pack(pack, templates, author=author)
    rendered = render_document(document, [f for f in formats if f != "eml"], templates, step)
    base = pack_basename(pack)
    files = {out_dir / f"{base}.{extension}": data for extension, data in rendered.items()}
    warnings: list[str] = []
    if "eml" in formats:
        from .render.eml import render_eml

        step("eml")
        draft = compose_email(pack, templates, author=author)
        attachments = {path.name: data for path, data in files.items() if path.suffix[1:] in EMAIL_ATTACHMENTS}
        size = sum(len(data) for data in attachments.values())
        if size > EMAIL_SIZE_WARNING:
            warnings.append(f"the email's attachments total {size / 1024 / 1024:.1f} MB; many mail servers refuse more than 10 MB")
        files[out_dir / f"{base}.eml"] = render_eml(draft, attachments)
    return files, warnings
