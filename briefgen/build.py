"""Building: loaded statements and packs → the bytes of every output file, ready to write.

Nothing here touches the disk except reading a template folder; the caller writes the
returned files with :func:`briefgen.output.write_atomically`, all or none.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import re
import unicodedata
from collections.abc import Callable
from pathlib import Path

from . import pdf_worker
from .compose import ComposedMarkup, TemplateSet, compose_email, compose_note_markup, compose_pack_markup
from .document import Document, Style
from .forked import ForkedCall, StreamingCall, Worker, WorkerCall, call_in_background, can_fork
from .workspace import LoadedPack, LoadedStatement

#: Attachments above this size are refused by many mail servers.
EMAIL_SIZE_WARNING = 10 * 1024 * 1024

#: The formats an email draft attaches; Markdown is for other tools, not for the reader.
EMAIL_ATTACHMENTS = ("docx", "pdf", "ics")

Step = Callable[[str], None]  # reports the step about to run, for a progress display
Compose = Callable[..., ComposedMarkup]  # compose(sink=…) composes a document, giving its markup to the sink as it is written

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


def render_document(document: Document, formats: list[str], templates: TemplateSet, step: Step, *, worker: Worker | None = None) -> dict[str, bytes]:
    """Render ``document`` into each of ``formats`` (docx, pdf, ics, md); return bytes by extension.

    The PDF is laid out by ``worker`` where one is given and alive, else in a child forked
    now where a fork is possible and succeeds, else here.
    """
    return _render(document, formats, templates, step, worker)


def render_composed(composed: ComposedMarkup, formats: list[str], templates: TemplateSet, step: Step, *, worker: Worker | None = None) -> dict[str, bytes]:
    """Render the document ``composed`` describes (reading it), as :func:`render_document` does; a worker reads the markup itself, while this process does."""
    return _render(composed, formats, templates, step, worker)


def render_composing(compose: Compose, formats: list[str], templates: TemplateSet, step: Step, *, worker: Worker | None = None) -> dict[str, bytes]:
    """Compose a document with ``compose`` and render it as :func:`render_composed` does; a worker is sent the markup as the template writes it, and reads it meanwhile."""
    if not _lays_out_pdf(formats) or worker is None or not worker.alive:
        return _render(compose(sink=None), formats, templates, step, worker)
    sink = _MarkupToWorker(worker)
    try:
        composed = compose(sink=sink)
    except BaseException:
        if sink.call is not None:
            sink.call.cancel()  # its markup stops halfway: the worker would wait for the rest
        raise
    return _render(composed, formats, templates, step, worker, streaming=sink.call)


class _MarkupToWorker:
    """A markup sink that sends each piece to the PDF worker, which reads it while the template writes the next (a pack's markup takes as long to read as to write)."""

    def __init__(self, worker: Worker) -> None:
        self._worker = worker
        #: The worker's call, once the markup has begun.
        self.call: StreamingCall | None = None

    def begin(self, source_name: str, style: Style) -> None:
        """Start the worker's call that reads the markup and lays the PDF out."""
        self.call = self._worker.stream(pdf_worker.render_pdf_from_markup, source_name, style)

    def write(self, piece: str) -> None:
        """Send the next piece of the markup to the worker."""
        self.call.send(piece)


def _lays_out_pdf(formats: list[str]) -> bool:
    """Whether rendering ``formats`` lays out the PDF: the DOCX's table of contents shows the PDF's page numbers, so the DOCX needs it too."""
    return "docx" in formats or "pdf" in formats


def _render(source: Document | ComposedMarkup, formats: list[str], templates: TemplateSet, step: Step, worker: Worker | None, *, streaming: StreamingCall | None = None) -> dict[str, bytes]:
    """Render ``source`` as :func:`render_document` does; ``streaming``, a worker's call already reading its markup, gives the PDF."""
    rendered: dict[str, bytes] = {}
    pdf_job: ForkedCall | WorkerCall | None = streaming
    page_numbers: dict[str, int] | Callable[[], dict[str, int]] | None = None
    lays_out_pdf = _lays_out_pdf(formats)
    with contextlib.ExitStack() as running:
        if lays_out_pdf:
            step("pdf")
        if streaming is not None:
            running.enter_context(streaming)
            streaming.end()
        elif lays_out_pdf and worker is not None and worker.alive:
            if isinstance(source, ComposedMarkup):
                # Markup is one string, sent at once; the document it makes would be pickled
                # object by object (0.16 s at 100 statements, ~2 s at 1000), and the worker
                # reads it in the time this process does.
                pdf_job = worker.stream(pdf_worker.render_pdf_from_markup, source.source_name, source.style)
                running.enter_context(pdf_job)
                pdf_job.send(source.html)
                pdf_job.end()
            else:
                shell = dataclasses.replace(source, blocks=())
                pdf_job = worker.submit(pdf_worker.render_pdf_from_blocks, shell, items=source.blocks)
                running.enter_context(pdf_job)
        document = source.read() if isinstance(source, ComposedMarkup) else source
        if lays_out_pdf and pdf_job is None:
            if can_fork():
                _import_pdf_renderer_once_forked_children_have()
            pdf_job = ForkedCall.start(pdf_worker.render_pdf, document)
            if pdf_job is None:
                rendered["pdf"], page_numbers = pdf_worker.render_pdf(document)
            else:
                running.enter_context(pdf_job)
        if pdf_job is None:
            rendered.update(_render_beside_pdf(document, formats, templates, step, page_numbers))
        else:
            page_numbers = lambda: pdf_job.result()[1]  # called once, after the body
            # The PDF takes the cores first: what is rendered here waits for its page
            # numbers anyway, and is done while the PDF's file is written (one core).
            rendered.update(call_in_background(lambda: _render_beside_pdf(document, formats, templates, step, page_numbers)))
            rendered["pdf"] = pdf_job.result()[0]
    return {extension: rendered[extension] for extension in formats if extension in rendered}


def _render_beside_pdf(document: Document, formats: list[str], templates: TemplateSet, step: Step, page_numbers: dict[str, int] | Callable[[], dict[str, int]] | None) -> dict[str, bytes]:
    """Render the formats of ``formats`` other than the PDF, the DOCX last: it waits for the PDF's ``page_numbers`` at its end."""
    rendered: dict[str, bytes] = {}
    if "ics" in formats:
        from .render.ics import render_ics

        step("ics")
        rendered["ics"] = render_ics(document)
    if "md" in formats:
        from .render.md import render_markdown

        step("md")
        rendered["md"] = render_markdown(document)
    if "docx" in formats:
        from .render.docx import render_docx

        step("docx")
        rendered["docx"] = render_docx(document, templates.reference_docx, page_numbers=page_numbers)
    return rendered


def _import_pdf_renderer() -> None:
    from .render import pdf  # noqa: F401


_documents_forked = 0


def _import_pdf_renderer_once_forked_children_have() -> None:
    """Import reportlab in this process from the second forked render on.

    The first child imports it while this process imports python-docx (two cores, half the
    wait); after that, every child would import it again, so this process does it once.
    """
    global _documents_forked
    if _documents_forked:
        _import_pdf_renderer()
    _documents_forked += 1


def build_note(loaded: LoadedStatement, templates: TemplateSet, formats: list[str], out_dir: Path, *, author: str, step: Step, worker: Worker | None = None) -> dict[Path, bytes]:
    """Return the output files of one statement's note: ``<id>.<ext>`` per format."""
    step(f"compose {loaded.id}")
    compose = functools.partial(compose_note_markup, loaded, templates, author=author)
    rendered = render_composing(compose, [f for f in formats if f in ("docx", "pdf", "md")], templates, step, worker=worker)
    return {out_dir / f"{loaded.id}.{extension}": data for extension, data in rendered.items()}


def pack_basename(pack: LoadedPack) -> str:
    """Return the pack's output name without extension: ``<pack date>_<slug of the title>``."""
    return f"{pack.date.isoformat()}_{slug(pack.briefing.title)}"


def build_pack(pack: LoadedPack, templates: TemplateSet, formats: list[str], out_dir: Path, *, author: str, step: Step, worker: Worker | None = None) -> tuple[dict[Path, bytes], list[str]]:
    """Return the pack's output files and any warnings about them."""
    step("compose pack")
    compose = functools.partial(compose_pack_markup, pack, templates, author=author)
    rendered = render_composing(compose, [f for f in formats if f != "eml"], templates, step, worker=worker)
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
