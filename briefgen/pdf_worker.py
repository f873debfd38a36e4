"""The process that lays out a build's PDFs beside its DOCX, and the calls it runs.

It is forked as the build starts, before the build imports its loading and composing code
(pydantic, YAML, Jinja2): it imports reportlab meanwhile, and never holds what the build
loads. This module imports only what its calls need before reportlab (the document model
and the markup reader), so that the fork can come first.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

from .document import Document, Style
from .forked import ByteParts, Worker
from .markup import read_markup

__all__ = ["render_pdf", "render_pdf_from_blocks", "render_pdf_from_markup", "start_pdf_worker"]


def start_pdf_worker() -> Worker | None:
    """Start the process that will lay out PDFs, while this one is still small; None where no fork is possible or it fails (PDFs are then laid out here).

    Forked once the workspace is loaded and composed, it would start with all of that
    (at 1000 statements, some 150 MB counted against it); started first, it is sent only
    each document (as its markup, where it has that), and imports reportlab while this
    process imports the rest of briefgen and loads the workspace.
    """
    return Worker.start(warm_up=_prepare)


def render_pdf(document: Document) -> tuple[bytes, dict[str, int]]:
    """Return the PDF of ``document`` and the page number of each heading (see ``heading_keys``)."""
    from .render.pdf import render_pdf_with_pages

    return render_pdf_with_pages(document)


def render_pdf_from_blocks(shell: Document, blocks: list) -> tuple[ByteParts, dict[str, int]]:
    """In a worker: return the PDF of ``shell`` with ``blocks`` (sent one by one, and emptied here), in parts sent back as one bytes object, and its heading pages."""
    from .render.pdf import lay_out_pdf

    laid_out = lay_out_pdf(dataclasses.replace(shell, blocks=tuple(blocks)))
    # Nothing holds the document now: a long pack's (tens of MB) is freed before the file is written.
    blocks.clear()
    return ByteParts(laid_out.write()), laid_out.heading_pages


def render_pdf_from_markup(source_name: str, style: Style, pieces: Iterator[str]) -> tuple[ByteParts, dict[str, int]]:
    """In a worker: return the PDF of the document whose markup comes in ``pieces``, each read as it comes, as :func:`render_pdf_from_blocks` does."""
    document = read_markup(pieces, source_name, style)  # the markup is let go of: tens of MB at 1000 statements
    shell, blocks = dataclasses.replace(document, blocks=()), list(document.blocks)
    del document  # so that emptying the list lets go of the blocks
    return render_pdf_from_blocks(shell, blocks)


def _prepare() -> None:
    """Import reportlab and register the shipped fonts, in a worker waiting for its first document (30 ms it would otherwise spend after the document arrives)."""
    from .render import pdf

    pdf.register_shipped_fonts()
