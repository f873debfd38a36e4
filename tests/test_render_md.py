"""The Markdown renderer: pandoc Markdown with the DOCX's content, read back by pandoc where installed."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import docx
import pytest
from conftest import make_sample_pack_document

from briefgen.cli import main
from briefgen.document import Document, Footnote, Heading, Link, ListBlock, Metadata, Paragraph, Table, Text
from briefgen.render.md import render_markdown
from helpers import collapse, docx_footnotes

FICTION = Path(__file__).resolve().parent / "data" / "veloria"
FICTION_BASE = "2031-06-02_arden-river-talks"
PANDOC = shutil.which("pandoc")
needs_pandoc = pytest.mark.skipif(PANDOC is None, reason="pandoc not installed (apt-get install pandoc): it reads the Markdown back")

#: Text that means something in Markdown, HTML, LaTeX or pandoc's extensions, and must print as written.
HOSTILE = (
    "*bold* _it_ **x** `code` [link](https://x.example) <b>html</b> &amp; # not a heading",
    "- not a list",
    "1. not a list",
    "(a) nor this",
    "A.  Smith",
    "> not a quote",
    "::: aside",
    "--- rule",
    "===",
    "a -- b --- c ... d",
    "'single' \"double\" it's",
    "$x^2$ H~2~O ^sup^ @cite [@cite]",
    "{#id .class}",
    "\\ backslash \\",
    "| pipe | table |",
    "<!-- comment -->",
    "![image](x.png) [^1] ^[inline note]",
    "x*y*z trailing \\",
    "Mr. Wend, e.g. the envoy",
    "\\newpage `<w:br/>`{=openxml}",
    "Текст «Вельория» — Ә Қ",
)


@pytest.fixture(scope="module")
def fiction_outputs(tmp_path_factory) -> Path:
    """Build the fictional pack as DOCX and Markdown in a copy; return the output folder."""
    workspace = tmp_path_factory.mktemp("veloria")
    shutil.copytree(FICTION, workspace, dirs_exist_ok=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(workspace)
        patch.setenv("SOURCE_DATE_EPOCH", "1780000000")
        assert main(["build", "--quiet", "--format", "docx,md"]) == 0
    return workspace / "output"


def _hostile_document() -> Document:
    """Each hostile text as a paragraph, list item, bold run, footnote, table cell, heading and link."""
    blocks: list = []
    for number, text in enumerate(HOSTILE):
        blocks += [
            Paragraph((Text(text),)),
            ListBlock(((Text(text),),)),
            Paragraph((Text("x "), Text(text, bold=True), Text(" y"))),
            Paragraph((Text(text), Footnote((Text(text),)))),
            Table(((Text(text),),), (((Text(text),),),)),
            Heading(2, (Text(text),), anchor=f"h{number}"),
            Paragraph((Link("https://example.org/a?b=1&c=(2) 3", (Text(text),)),), role="quote"),
        ]
    return Document(Metadata(title="Hostile text"), tuple(blocks))


def _expected_texts(text: str) -> list[str]:
    return [text, text, f"x {text} y", text, text, text, text, text]


def test_pack_markdown_has_metadata_headings_tables_footnotes_and_page_breaks():
    text = render_markdown(make_sample_pack_document()).decode("utf-8")
    assert text.startswith('---\ntitle: "Arden river talks: briefing pack"\n')
    assert 'subtitle: "Statements ahead of the Veloria–Osterland meeting"' in text
    assert 'lang: "en"' in text and 'date: "2031-03-11"' in text
    assert text.count("**OFFICIAL-SENSITIVE**") == 2  # as at the top and bottom of the DOCX's pages
    assert "# Section 1: Қазақ Ә and Осterland {#section-1}" in text
    assert "## Key points" in text and "### Attendees" in text
    assert "| Name | Role | Country |" in text
    assert "| Тарас Вельский | Посол | Остерland |" in text
    # Footnotes: a marker where each note stands, a definition for each, numbered in order.
    markers = re.findall(r"\[\^(\d+)\](?!:)", text)
    definitions = re.findall(r"^\[\^(\d+)\]: Ministry of Fictional Affairs", text, flags=re.M)
    assert markers == definitions == [str(n) for n in range(1, 19)]
    assert text.count('<w:br w:type="page"/>') == 6  # one before each section; none after the cover's own
    assert "\n> «Мы предлагаем создать комиссию»" in text
    assert "::: aside\n**Assessment:** likely to stall.\\\nSecond line.\n:::" in text
    assert "[the \\<source\\> \\& notes](https://example.org/a?b=1&c=%3C2%3E)" in text


def test_hostile_text_is_escaped_not_interpreted():
    text = render_markdown(_hostile_document()).decode("utf-8")
    assert "\\*bold\\* \\_it\\_ \\*\\*x\\*\\* \\`code\\` \\[link\\]" in text
    assert "\n\\- not a list\n" in text and "\n1\\. not a list\n" in text and "\n\\::: aside\n" in text
    assert "[](" not in text.replace("[]{}", "")


def test_the_same_document_gives_the_same_bytes():
    assert render_markdown(make_sample_pack_document()) == render_markdown(make_sample_pack_document())


def test_build_format_md_writes_the_pack_with_the_docx_footnotes_and_tables(fiction_outputs):
    markdown = (fiction_outputs / f"{FICTION_BASE}.md").read_text(encoding="utf-8")
    assert sorted(p.name for p in fiction_outputs.iterdir()) == [f"{FICTION_BASE}.docx", f"{FICTION_BASE}.md"]
    for heading in ("# Overview {#overview}", "# Timeline {#timeline}", "# Proposals tracker {#proposals}", "# People {#people}"):
        assert heading in markdown
    assert "# Veloria proposes a joint commission for the Arden river {#veloria-2031-03-03-river-commission}" in markdown
    assert "[Tomas Wend, 5\u00a0March 2031](#osterland-2031-03-05-waterways-reply)" in markdown
    docx_data = (fiction_outputs / f"{FICTION_BASE}.docx").read_bytes()
    notes = list(docx_footnotes(docx_data).values())
    definitions = re.findall(r"^\[\^\d+\]: (.*)$", markdown, flags=re.M)
    assert len(definitions) == len(notes) > 0
    with zipfile.ZipFile(io.BytesIO(docx_data)) as archive:
        body = archive.read("word/document.xml").decode("utf-8")
    tables = re.findall(r"^\|-+\|", markdown, flags=re.M)
    assert len(tables) == body.count("<w:tbl>")  # the cover's details are a table in both


@needs_pandoc
def test_pandoc_reads_hostile_text_literally(tmp_path):
    source = tmp_path / "hostile.md"
    source.write_bytes(render_markdown(_hostile_document()))
    tree = json.loads(subprocess.run([PANDOC, "-f", "markdown", "-t", "json", str(source)], check=True, capture_output=True).stdout)
    texts = [collapse(text) for block in tree["blocks"] for text in _block_texts(block)]
    assert texts == [collapse(text) for hostile in HOSTILE for text in _expected_texts(hostile)]


@needs_pandoc
def test_pandoc_turns_the_pack_markdown_into_a_docx_with_headings_tables_and_footnotes(fiction_outputs, tmp_path):
    target = tmp_path / "pandoc.docx"
    result = subprocess.run([PANDOC, str(fiction_outputs / f"{FICTION_BASE}.md"), "-o", str(target)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    word = docx.Document(str(target))
    headings = [p.text for p in word.paragraphs if p.style.name.startswith("Heading")]
    assert headings[:4] == ["Overview", "Timeline", "Proposals tracker", "People"]
    assert "Osterland wants a rotating secretariat for the river commission" in headings
    assert word.paragraphs[0].text == "Arden river talks"
    people = word.tables[4]
    assert people.rows[0].cells[0].text == "Name" and "Әлия Қасымова" in [row.cells[0].text for row in people.rows]
    ours = docx_footnotes((fiction_outputs / f"{FICTION_BASE}.docx").read_bytes())
    theirs = docx_footnotes(target.read_bytes())
    assert sorted(theirs.values()) == sorted(ours.values())


def _block_texts(block: dict) -> list[str]:
    """Return the visible text of each paragraph-like element of a pandoc JSON block, notes left out."""
    kind, content = block["t"], block.get("c")
    if kind in ("Para", "Plain"):
        return ["".join(_inline_text(item) for item in content)]
    if kind == "Header":
        return ["".join(_inline_text(item) for item in content[2])]
    if kind == "BulletList":
        return [text for item in content for child in item for text in _block_texts(child)]
    if kind == "BlockQuote":
        return [text for child in content for text in _block_texts(child)]
    if kind == "Table":
        head, bodies = content[3], content[4]
        rows = head[1] + [row for body in bodies for row in body[3]]
        return [text for row in rows for cell in row[1] for child in cell[4] for text in _block_texts(child)]
    return [f"<unexpected {kind}>"]


def _inline_text(item: dict) -> str:
    kind, content = item["t"], item.get("c")
    if kind == "Str":
        return content
    if kind in ("Space", "SoftBreak", "LineBreak"):
        return " "
    if kind in ("Note", "RawInline"):
        return ""
    if kind == "Link":
        return "".join(_inline_text(child) for child in content[1])
    if kind in ("Strong", "Emph"):
        return "".join(_inline_text(child) for child in content)
    return f"<unexpected {kind}>"
