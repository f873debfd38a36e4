"""Markup in a statement renders literally: YAML text is data in every output, never markup or code.

A fictional statement (Veloria and Osterland are invented; so are all the people) holds,
in its title, summary, key points, quotes, attendee names, event names, proposals, tags
and comment, and a fictional pack file in its title, meeting and cover fields:

- XML/HTML specials: ``<``, ``>``, ``&``, both quote marks;
- reportlab paragraph tags: ``<font color=red>``, ``<img src="/etc/passwd"/>``, a
  ``javascript:`` link, an unclosed ``<b>``, and the published proof of concept of
  reportlab's CVE-2023-33733 (code in a ``<font color>`` attribute), pointed at a canary
  file in the test's temporary folder;
- Word field codes: ``{ INCLUDETEXT "C:\\\\secret.txt" }``, ``{ HYPERLINK "http://evil" }``;
- Jinja2 syntax: ``{{ 7*7 }}``, ``{% for x in range(3) %}x{% endfor %}``;
- HTML entities as typed: ``&amp;``, ``&#60;``; and an RFC 2047 encoded word,
  ``=?utf-8?q?=41rden?=``, which a mail client would decode in a subject.

The DOCX (read back with python-docx and lxml) and the PDF (read back with pypdf) must
show each string exactly as typed; the DOCX must hold no field but briefgen's own, the PDF
no link but the statement's web address; the email and calendar must keep the text as
text; and a build run under an audit hook must open nothing outside the workspace, the
package and the Python installation, start no process, touch no network and compile no
input text — and the canary must never exist.
"""

from __future__ import annotations

import email
import email.policy
import io
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from helpers import collapse, docx_footnotes, pdf_text
from icalendar import Calendar
from lxml import etree

from briefgen.cli import main

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
STATEMENT_ID = "veloria-2031-03-03-hostile-<b>&amp;'"  # the id is the file name: it too is input
SOURCE_URL = "https://example.org/veloria/statement?lang=en&v=2"
PACK_BASE = "2031-06-02_arden-talks-7-7-utf-8-q-41rden"
#: The only field instructions briefgen writes: contents, page references and page numbers.
OWN_FIELDS = {"TOC", "PAGEREF", "PAGE", "NUMPAGES"}

#: The published PoC of CVE-2023-33733 (github.com/c53elyas/CVE-2023-33733, code-injection-poc/poc.py),
#: verbatim but on one line; its command ``touch /tmp/exploited`` is pointed at a canary per test.
CVE_2023_33733 = (
    "<para><font color=\"[ [ getattr(pow,Word('__globals__'))['os'].system('touch /tmp/exploited') for Word in "
    "[orgTypeFun('Word', (str,), { 'mutated': 1, 'startswith': lambda self, x: False, '__eq__': lambda self,x: "
    "self.mutate() and self.mutated < 0 and str(self) == x, 'mutate': lambda self: {setattr(self, 'mutated', "
    "self.mutated - 1)}, '__hash__': lambda self: hash(str(self)) })] ] for orgTypeFun in [type(type(1))] ] "
    "and 'red'\">exploit</font></para>"
)


def cve_poc(canary: Path) -> str:
    """Return the CVE-2023-33733 proof of concept whose command would create ``canary``."""
    return CVE_2023_33733.replace("/tmp/exploited", str(canary))


def hostile_strings(canary: Path) -> dict[str, str]:
    """Return the hostile strings by a short name; the CVE's command would create ``canary``."""
    return {
        "specials": "a < b > c & d \"double\" 'single'",
        "font": "<font color=red>x</font>",
        "img": '<img src="/etc/passwd"/>',
        "javascript": '<a href="javascript:alert(1)">x</a>',
        "unclosed": "<b>unclosed",
        "includetext": '{ INCLUDETEXT "C:\\\\secret.txt" }',
        "hyperlink": '{ HYPERLINK "http://evil" }',
        "jinja-expression": "{{ 7*7 }}",
        "jinja-statement": "{% for x in range(3) %}x{% endfor %}",
        "entity": "&amp;",
        "char-reference": "&#60;",
        "encoded-word": "=?utf-8?q?=41rden?=",
        "cve-2023-33733": cve_poc(canary),
    }


def write_hostile_workspace(root: Path, canary: Path) -> tuple[Path, dict[str, str]]:
    """Write the fictional pack and statement; return the workspace and every field's text by a unique label."""
    hostile = hostile_strings(canary)
    every = " | ".join(hostile.values())
    # The source text holds each hostile string in its own paragraph, so every quote verifies.
    text = "\n\n".join(f"Paragraph {name}: {value} end." for name, value in hostile.items())
    statement = {
        "title": f"Veloria title {hostile['specials']} {hostile['font']} {hostile['jinja-expression']}",
        "date": "2031-03-03",
        "speaker": {"name": f"Ilsa Marrow {hostile['unclosed']}", "role": hostile["jinja-statement"], "country": hostile["entity"]},
        "event": {"name": f"Event {hostile['img']} {hostile['char-reference']}", "location": hostile["hyperlink"]},
        "source": {
            "publisher": f"Veloria ministry {hostile['includetext']}",
            "title": f"Statement {hostile['javascript']}",
            "url": SOURCE_URL,
            "published": "2031-03-03",
            "accessed": "2031-03-04",
            "language": "en",
            "text": f"texts/{STATEMENT_ID}.txt",
        },
        "summary": f"Summary {every}",
        "key_points": [{"point": f"Point {name}: {value}", "quote": f"{name}: {value} end."} for name, value in hostile.items()],
        "attendees": [
            {"name": f"Attendee {name} {value}", "role": f"Role {name} {value}", "country": "Osterland"} for name, value in hostile.items()
        ],
        "upcoming": [
            {"date": "2031-04-20", "event": f"Upcoming {name} {value}", "location": f"Port Ardent {name}", "quote": f"{name}: {value} end."}
            for name, value in hostile.items()
        ],
        "proposals": [{"proposal": f"Proposal {hostile['cve-2023-33733']}", "by": hostile["jinja-expression"], "status": "proposed"}],
        "tags": [hostile["jinja-expression"], hostile["entity"], hostile["font"]],
        "comment": f"Comment {every}",
    }
    pack = {
        "title": f"Arden talks {hostile['jinja-expression']} {hostile['encoded-word']}",
        "subtitle": f"Subtitle {hostile['font']} {hostile['entity']}",
        "meeting": {"name": f"Meeting {hostile['javascript']}", "date": "2031-06-02", "location": f"Port Ardent {hostile['includetext']}"},
        "prepared_by": f"Desk {hostile['jinja-statement']}",
        "prepared_for": f"Minister {hostile['img']}",
        "classification": f"OFFICIAL {hostile['char-reference']}",
        "statements": ["sources/*.yaml"],
        "formats": ["docx", "pdf", "ics"],
    }
    workspace = root / "ws"
    (workspace / "sources" / "texts").mkdir(parents=True)
    (workspace / "sources" / "texts" / f"{STATEMENT_ID}.txt").write_text(text + "\n", encoding="utf-8")
    (workspace / "sources" / f"{STATEMENT_ID}.yaml").write_text(yaml.safe_dump(statement, allow_unicode=True, sort_keys=False), encoding="utf-8")
    (workspace / "briefing.yaml").write_text(yaml.safe_dump(pack, allow_unicode=True, sort_keys=False), encoding="utf-8")
    fields = {
        "title": statement["title"],
        "speaker": statement["speaker"]["name"],
        "event": statement["event"]["name"],
        "summary": statement["summary"],
        "comment": statement["comment"],
        "proposal": statement["proposals"][0]["proposal"],
    }
    for index, item in enumerate(statement["key_points"]):
        fields[f"point {index}"] = item["point"]
        fields[f"quote {index}"] = item["quote"]
    for index, item in enumerate(statement["attendees"]):
        fields[f"attendee {index}"] = item["name"]
        fields[f"attendee role {index}"] = item["role"]
    for index, item in enumerate(statement["upcoming"]):
        fields[f"upcoming {index}"] = item["event"]
    fields["publisher"] = statement["source"]["publisher"]
    fields["source title"] = statement["source"]["title"]
    pack_fields = {
        "pack title": pack["title"],
        "pack subtitle": pack["subtitle"],
        "meeting": pack["meeting"]["name"],
        "prepared by": pack["prepared_by"],
        "prepared for": pack["prepared_for"],
        "classification": pack["classification"],
    }
    return workspace, fields | {f"pack:{k}": v for k, v in pack_fields.items()}


@pytest.fixture(scope="module")
def hostile_build(tmp_path_factory) -> dict:
    """Build the hostile pack (with its email) and the hostile statement's note once, in this process."""
    root = tmp_path_factory.mktemp("hostile")
    canary = root / "canary-cve-2023-33733"
    workspace, fields = write_hostile_workspace(root, canary)
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(workspace)
        patch.setenv("SOURCE_DATE_EPOCH", "1780000000")
        assert main(["build", "--quiet", "--email", "briefing.yaml", f"sources/{STATEMENT_ID}.yaml"]) == 0
    outputs = {path.name: path.read_bytes() for path in (workspace / "output").iterdir()}
    return {"outputs": outputs, "fields": fields, "canary": canary, "root": root}


def _note_fields(fields: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in fields.items() if not k.startswith("pack:")}


def _pack_fields(fields: dict[str, str]) -> dict[str, str]:
    return {k.removeprefix("pack:"): v for k, v in fields.items()}


def docx_text(data: bytes) -> str:
    """Return all the text a reader sees in a DOCX: body, tables, headers, footers and footnotes, whitespace collapsed."""
    import docx

    document = docx.Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    parts += [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    for section in document.sections:
        for part in (section.header, section.footer, section.first_page_header, section.first_page_footer):
            parts += [p.text for p in part.paragraphs]
    parts += docx_footnotes(data).values()
    return collapse(" ".join(parts))


def despaced(text: str) -> str:
    """Return ``text`` without whitespace: the PDF breaks long 'words' such as the CVE's code across lines."""
    return re.sub(r"\s+", "", text)


def test_docx_shows_every_hostile_field_as_typed(hostile_build):
    """Tags, field codes, Jinja2 and entities in any field come out of the DOCX as the characters typed."""
    outputs, fields = hostile_build["outputs"], hostile_build["fields"]
    note = docx_text(outputs[f"{STATEMENT_ID}.docx"])
    missing = [label for label, value in _note_fields(fields).items() if collapse(value) not in note]
    assert not missing, missing
    pack = docx_text(outputs[f"{PACK_BASE}.docx"])
    missing = [label for label, value in _pack_fields(fields).items() if collapse(value) not in pack]
    assert not missing, missing
    # {{ 7*7 }} was never evaluated (the canary's temporary path may hold "49": pytest-249)
    assert "49" not in note.replace(str(hostile_build["canary"]), "")


def test_docx_title_paragraph_and_properties_equal_the_typed_title(hostile_build):
    """The Title paragraph and the core properties hold the title exactly, not parsed or unescaped."""
    import docx

    title = hostile_build["fields"]["title"]
    document = docx.Document(io.BytesIO(hostile_build["outputs"][f"{STATEMENT_ID}.docx"]))
    assert [p.text for p in document.paragraphs if p.style.name == "Title"] == [title]
    assert document.core_properties.title == title
    assert "{{ 7*7 }}" in document.core_properties.keywords and "&amp;" in document.core_properties.keywords


def test_pdf_shows_every_hostile_field_as_typed(hostile_build):
    """Each field's text is in the PDF's text as typed (compared without whitespace, which line breaking adds)."""
    outputs, fields = hostile_build["outputs"], hostile_build["fields"]
    note = despaced(pdf_text(outputs[f"{STATEMENT_ID}.pdf"]))
    missing = [label for label, value in _note_fields(fields).items() if despaced(value) not in note]
    assert not missing, missing
    pack = despaced(pdf_text(outputs[f"{PACK_BASE}.pdf"]))
    missing = [label for label, value in _pack_fields(fields).items() if despaced(value) not in pack]
    assert not missing, missing
    assert "49" not in note.replace(despaced(str(hostile_build["canary"])), "")


def test_pdf_metadata_and_outline_hold_the_typed_title(hostile_build):
    """The document information and the first bookmark carry the title as typed."""
    from pypdf import PdfReader

    title = hostile_build["fields"]["title"]
    reader = PdfReader(io.BytesIO(hostile_build["outputs"][f"{STATEMENT_ID}.pdf"]))
    assert reader.metadata.title == title
    assert reader.outline[0].title == title


def _xml_parts(data: bytes) -> dict[str, etree._Element]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: etree.fromstring(archive.read(name)) for name in archive.namelist() if name.endswith((".xml", ".rels"))}


@pytest.mark.parametrize("name", [f"{STATEMENT_ID}.docx", f"{PACK_BASE}.docx"], ids=["note", "pack"])
def test_docx_holds_no_field_but_briefgens_own(hostile_build, name):
    """No INCLUDETEXT, HYPERLINK or other field reaches the DOCX: every field is TOC, PAGEREF, PAGE or NUMPAGES."""
    parts = _xml_parts(hostile_build["outputs"][name])
    instructions, begins = [], 0
    for part, root in parts.items():
        assert not root.findall(f".//{{{W}}}fldSimple"), part
        assert not root.findall(f".//{{{W}}}altChunk"), part  # imports another file's content
        instructions += [(part, "".join(e.itertext()).split()) for e in root.iter(f"{{{W}}}instrText")]
        begins += sum(1 for e in root.iter(f"{{{W}}}fldChar") if e.get(f"{{{W}}}fldCharType") == "begin")
    assert len(instructions) == begins  # one instruction per field: nothing smuggled into a field's text
    strange = [(part, words) for part, words in instructions if not words or words[0] not in OWN_FIELDS]
    assert not strange, strange
    if name.startswith(PACK_BASE):
        assert {words[0] for _, words in instructions} == OWN_FIELDS
    else:
        assert {words[0] for _, words in instructions} == {"PAGE", "NUMPAGES"}


@pytest.mark.parametrize("name", [f"{STATEMENT_ID}.docx", f"{PACK_BASE}.docx"], ids=["note", "pack"])
def test_docx_links_only_to_the_statements_web_address(hostile_build, name):
    """The only external relationship is the hyperlink to the typed source URL: no template, frame, OLE or image from outside."""
    parts = _xml_parts(hostile_build["outputs"][name])
    external = [
        (part, rel.get("Type").rsplit("/", 1)[-1], rel.get("Target"))
        for part, root in parts.items()
        if part.endswith(".rels")
        for rel in root
        if rel.get("TargetMode") == "External"
    ]
    assert external and {(kind, target) for _, kind, target in external} == {("hyperlink", SOURCE_URL)}
    anchors = {e.get(f"{{{W}}}anchor") for root in parts.values() for e in root.iter(f"{{{W}}}hyperlink") if e.get(f"{{{W}}}anchor")}
    assert all(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,39}", anchor) for anchor in anchors), anchors


@pytest.mark.parametrize("name", [f"{STATEMENT_ID}.pdf", f"{PACK_BASE}.pdf"], ids=["note", "pack"])
def test_pdf_links_only_to_the_statements_web_address(hostile_build, name):
    """No javascript: link, launch or script action: external links are exactly the typed source URL."""
    from pypdf import PdfReader

    data = hostile_build["outputs"][name]
    reader = PdfReader(io.BytesIO(data))
    uris, kinds = set(), set()
    for page in reader.pages:
        for annotation in page.get("/Annots") or []:
            annotation = annotation.get_object()
            action = annotation.get("/A")
            if action is not None:
                kinds.add(action.get_object()["/S"])
                if action.get_object()["/S"] == "/URI":
                    uris.add(str(action.get_object()["/URI"]))
    assert uris == {SOURCE_URL}
    assert kinds <= {"/URI", "/GoTo"}
    assert not any(uri.lower().startswith("javascript") for uri in uris)
    root = reader.trailer["/Root"]
    assert "/OpenAction" not in root and "/AA" not in root and "/JavaScript" not in (root.get("/Names") or {})
    for marker in (b"/JavaScript", b"/JS", b"/Launch", b"/SubmitForm", b"/ImportData", b"/GoToR", b"/EmbeddedFile"):
        assert marker not in data, marker


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.attributes: list[tuple[str, str | None]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attributes += attrs

    def handle_data(self, data):
        self.text.append(data)


def test_email_bodies_keep_hostile_text_as_text(hostile_build):
    """The HTML body has only the template's tags and attributes; both bodies and the subject show the text as typed."""
    fields = hostile_build["fields"]
    message = email.message_from_bytes(hostile_build["outputs"][f"{PACK_BASE}.eml"], policy=email.policy.default)
    assert message["Subject"] == fields["pack:pack title"]
    html = message.get_body(("html",)).get_content()
    parser = _Tags()
    parser.feed(html)
    assert parser.tags <= {"html", "head", "meta", "title", "body", "p", "h3", "ul", "li", "strong", "table", "tr", "td"}
    assert {name for name, _ in parser.attributes} <= {"lang", "charset", "style"}
    assert not any("javascript" in (value or "") or "passwd" in (value or "") for _, value in parser.attributes)
    shown = collapse("".join(parser.text))
    plain = collapse(message.get_body(("plain",)).get_content())
    for label in ("summary", "upcoming 0", "upcoming 12", "pack:meeting", "pack:prepared by"):
        assert collapse(fields[label]) in shown, label
        assert collapse(fields[label]) in plain, label


def test_calendar_keeps_hostile_text_as_text(hostile_build):
    """Event names and locations come back from the ICS exactly as typed."""
    fields = hostile_build["fields"]
    calendar = Calendar.from_ical(hostile_build["outputs"][f"{PACK_BASE}.ics"])
    summaries = {str(event["summary"]) for event in calendar.walk("VEVENT")}
    assert summaries == {value for label, value in fields.items() if label.startswith("upcoming ")}
    assert len(summaries) == len(hostile_strings(hostile_build["canary"]))
    locations = {str(event["location"]) for event in calendar.walk("VEVENT")}
    assert "Port Ardent cve-2023-33733" in locations


def test_the_cve_2023_33733_canary_was_never_created(hostile_build):
    """The proof of concept's command never ran: its canary file does not exist after building every format."""
    assert not hostile_build["canary"].exists()
    assert cve_poc(hostile_build["canary"]) in hostile_build["fields"]["summary"]


# --- nothing runs, nothing is opened: an audit hook watches a whole build -----------------

DRIVER = textwrap.dedent(
    '''
    """Run one briefgen command under a sys.addaudithook watcher and print what it saw as JSON."""
    import importlib.util, json, os, sys, sysconfig

    config = json.loads(open(sys.argv[1], encoding="utf-8").read())
    workspace = os.path.realpath(config["workspace"])
    package = os.path.realpath(importlib.util.find_spec("briefgen").submodule_search_locations[0])
    paths = sysconfig.get_paths()
    zipped_stdlib = [p for p in sys.path if p.endswith(".zip")]
    # Reading is allowed in: the workspace (pack, statements, texts; outputs), the briefgen
    # package (its modules, templates and shipped fonts), and the Python installation
    # (the standard library, zipped or not, and the site-packages of the libraries briefgen
    # imports). Nothing else: no /etc, no home folder (but briefgen's cache folder, below),
    # no system fonts.
    readable = [workspace, package] + [os.path.realpath(paths[k]) for k in ("stdlib", "platstdlib", "purelib", "platlib")] + zipped_stdlib
    # The time zone database, read-only: icalendar (through dateutil and zoneinfo) loads
    # "UTC" from it to stamp the calendar's DTSTAMP in UTC.
    import zoneinfo
    readable += [os.path.realpath(p) for p in zoneinfo.TZPATH]
    # Writing is allowed only in the output folder (temporary files, then renames), and in
    # briefgen's own folder of the user's cache, where compiled templates are kept.
    cache = os.path.realpath(os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "briefgen"))
    readable.append(cache)
    writable = [os.path.join(workspace, "output"), cache]
    # Listing a folder reveals names only. The import system lists the folders on sys.path;
    # reportlab lists the system font folders when it is imported (rl_settings builds its
    # font search path) but opens none of them.
    listable = readable + [os.path.realpath(p) for p in sys.path if p] + ["/usr/share/fonts"]
    # Events that mean a process, the network, a browser, native code or unpickling.
    forbidden = ("socket.", "urllib.", "http.", "ftplib.", "smtplib.", "imaplib.", "poplib.", "nntplib.",
                 "telnetlib.", "subprocess.", "os.system", "os.exec", "os.spawn", "os.posix_spawn", "os.fork",
                 "os.forkpty", "os.startfile", "os.kill", "pty.", "webbrowser.", "ctypes.", "pickle.", "winreg.",
                 "sqlite3.")
    markers = config["markers"]
    seen = {"opened": [], "written": [], "listed": [], "forbidden": [], "compiled": []}
    WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC

    def inside(path, roots):
        return any(path == root or path.startswith(root.rstrip(os.sep) + os.sep) for root in roots)

    def hook(event, args):
        if event == "open":
            path, mode, flags = args
            if path is None or isinstance(path, int):
                return  # an already open file descriptor
            path = os.path.realpath(os.fsdecode(path))
            writing = any(c in (mode or "") for c in "wax+") if mode is not None else bool((flags or 0) & WRITE_FLAGS)
            if writing and not inside(path, writable):
                seen["written"].append(path)
            elif not inside(path, readable):
                seen["opened"].append(path)
        elif event in ("os.listdir", "os.scandir", "os.walk", "glob.glob"):
            target = args[0] if args else "."
            if isinstance(target, int) or target is None:
                return
            path = os.path.realpath(os.fsdecode(target) or ".")
            if not inside(path, listable):
                seen["listed"].append(path)
        elif event in ("os.rename", "os.replace", "os.remove", "os.unlink", "os.rmdir", "os.mkdir", "os.chmod", "os.symlink", "os.link", "shutil.rmtree"):
            for target in args[:2]:
                if isinstance(target, (str, bytes, os.PathLike)):
                    path = os.path.realpath(os.fsdecode(target))
                    if not inside(path, writable):
                        seen["written"].append(f"{event} {path}")
        elif event == "compile":
            source = args[0]
            if isinstance(source, bytes):
                source = source.decode("utf-8", "replace")
            if isinstance(source, str) and any(marker in source for marker in markers):
                seen["compiled"].append(source[:300])
        elif event == "ctypes.dlopen" and args[0] is None:
            return  # "import ctypes" (dateutil imports it) opens the running interpreter itself
        elif event.startswith(forbidden):
            seen["forbidden"].append(f"{event} {args!r}"[:300])

    sys.addaudithook(hook)
    os.chdir(workspace)
    from briefgen.cli import main

    code = main(config["argv"])
    print(json.dumps({"code": code, "seen": seen, "readable": readable}))
    '''
)


def run_driver(folder: Path) -> tuple[subprocess.CompletedProcess, dict]:
    """Run ``folder``'s driver.py on its config.json; return the process and the report it printed last."""
    # -B: write no bytecode caches (they would be writes outside the output folder);
    # -P: do not put the driver's folder on sys.path. BRIEFGEN_NO_FORK: the PDF is rendered
    # in this process, where the hook reports what it saw (a forked child's sightings would
    # die with it); the forked build runs the same rendering code.
    completed = subprocess.run(
        [sys.executable, "-B", "-P", str(folder / "driver.py"), str(folder / "config.json")],
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "BRIEFGEN_NO_FORK": "1"},
    )
    lines = completed.stdout.strip().splitlines()
    return completed, json.loads(lines[-1]) if lines else {"code": None}  # a crash: the callers' asserts show stderr


def test_a_build_runs_no_input_and_opens_nothing_outside_the_workspace(tmp_path):
    """Under an audit hook a full build (pack, email, note) opens, lists and writes only where it should,

    starts no process, opens no socket or browser, loads no native library, unpickles nothing,
    and never compiles text from the input (the CVE's code, the Jinja2 syntax). /etc/passwd
    (named by the hostile <img>) is never opened and the canary is never created.
    """
    canary = tmp_path / "canary-cve-2023-33733"
    workspace, _ = write_hostile_workspace(tmp_path, canary)
    config = {
        "workspace": str(workspace),
        "argv": ["build", "--quiet", "--email", "briefing.yaml", f"sources/{STATEMENT_ID}.yaml"],
        # Strings that occur only in the input: compiling text that holds one runs input as code.
        "markers": ["orgTypeFun", "__globals__", "7*7", "range(3)", "INCLUDETEXT", "javascript:", "/etc/passwd"],
    }
    (tmp_path / "config.json").write_text(json.dumps(config), encoding="utf-8")
    (tmp_path / "driver.py").write_text(DRIVER, encoding="utf-8")
    completed, report = run_driver(tmp_path)
    assert completed.returncode == 0, completed.stderr
    assert report["code"] == 0, completed.stderr
    assert report["seen"] == {"opened": [], "written": [], "listed": [], "forbidden": [], "compiled": []}
    assert len(list((workspace / "output").iterdir())) == 6
    assert not canary.exists()


def test_the_audit_hook_sees_an_open_outside_the_workspace_and_a_process(tmp_path):
    """The watcher is not blind: a driver that, after a check, starts a process and reads a file beside the workspace reports both."""
    canary = tmp_path / "canary"
    workspace, _ = write_hostile_workspace(tmp_path, canary)
    outside = tmp_path / "outside.txt"
    outside.write_text("not for briefgen\n", encoding="utf-8")
    driver = DRIVER.replace(
        'code = main(config["argv"])',
        f'code = main(config["argv"])\nimport subprocess\nsubprocess.run(["true"])\nopen({str(outside)!r}).close()',
    )
    assert driver != DRIVER
    (tmp_path / "driver.py").write_text(driver, encoding="utf-8")
    config = {"workspace": str(workspace), "argv": ["check", "--quiet"], "markers": ["orgTypeFun"]}
    (tmp_path / "config.json").write_text(json.dumps(config), encoding="utf-8")
    completed, report = run_driver(tmp_path)
    assert report["code"] == 0, completed.stderr
    assert str(outside.resolve()) in report["seen"]["opened"]
    assert any(event.startswith("subprocess.Popen") for event in report["seen"]["forbidden"])


def test_reportlabs_per_user_and_per_folder_configuration_code_never_runs(tmp_path):
    """reportlab would run ~/.reportlab_mods and ~/.reportlab_settings, or reportlab_mods.py and reportlab_settings.py

    in the workspace (under ``python -m briefgen`` the working folder is on sys.path);
    briefgen's PDF must neither depend on them nor let them run. Each file here would create
    a canary, and the settings would also turn page compression off.
    """
    home, workspace = tmp_path / "home", tmp_path / "ws"
    home.mkdir()
    shutil.copytree(Path(__file__).resolve().parent / "data" / "veloria", workspace)
    environment = {k: v for k, v in os.environ.items() if not k.startswith("RL_")} | {"HOME": str(home), "SOURCE_DATE_EPOCH": "1780000000"}
    files = {
        home / ".reportlab_mods": "",
        home / ".reportlab_settings": "pageCompression = 0\n",
        workspace / "reportlab_mods.py": "",
        workspace / "reportlab_settings.py": "pageCompression = 0\n",
    }
    # reportlab tries the folder's modules first and reads the home files only without them.
    for round_files in (list(files)[:2], list(files)[2:]):
        for path in round_files:
            canary = tmp_path / f"canary{path.name}"
            path.write_text(f"open({str(canary)!r}, 'w').close()\n{files[path]}", encoding="utf-8")
        completed = subprocess.run(
            [sys.executable, "-m", "briefgen", "build", "--quiet", "--format", "pdf"],
            cwd=workspace, env=environment, check=False, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert completed.returncode == 0, completed.stderr
        assert sorted(p.name for p in tmp_path.glob("canary*")) == []
        assert b"/FlateDecode" in (workspace / "output" / "2031-06-02_arden-river-talks.pdf").read_bytes()
