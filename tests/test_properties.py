"""Property-based tests (hypothesis): whatever a statement file holds, briefgen either builds
it faithfully or says exactly where the problem is.

The properties:

- **Any text, in every text field.** A minimal valid statement is written with
  ``yaml.safe_dump`` (so the escaping is YAML's own) with arbitrary Unicode in its text
  fields: any code point including controls and lone surrogates, explicit samples of the
  awkward ones (C0 controls, U+FFFE/U+FFFF, combining marks, right-to-left letters and
  marks, emoji, CJK), and text made only of characters the shipped fonts can show. Then
  ``briefgen check`` and ``briefgen build --format docx,pdf`` agree, and either

  - exit 0, and the DOCX (python-docx) and the PDF (pypdf) show every field's text; or
  - exit 1, and every line on stderr is a located diagnostic
    ``path:line:col: severity: message [code]`` (or briefgen's summary lines), and nothing
    is written.

  Which one is not left to chance: the build must succeed exactly when every field is
  non-blank text of characters XML can hold and the shipped PT Serif/PT Sans can show —
  an oracle computed here from reportlab's reading of the font files, independently of
  briefgen's own character check.

- **Any YAML structure**, as a whole statement file or as the value of any one key of a
  valid statement: exit 0 or exit 1 with located diagnostics; never a traceback, never an
  internal error, never exit 2 (that is for command-line mistakes).

- **Any bytes** as a statement file: the same.

Comparing text read back, both sides are put in Unicode NFC and whitespace runs are
collapsed (the templates collapse whitespace as HTML does). The PDF comparison also
removes all whitespace, because PDF text extraction cannot tell a line break the layout
made inside a long word from a space the author typed, and lets a soft hyphen (U+00AD)
match nothing or a hyphen, because that is all a PDF shows of one: it is a place where
a word may break, printed only where it does; and leaves out U+FEFF (zero width no-break
space), which takes no room on the page and which pypdf moves past the next character.
Nothing else is normalised.

Run time is bounded for CI by the ``briefgen-ci`` hypothesis profile; set
``BRIEFGEN_HYPOTHESIS_PROFILE=briefgen-thorough`` for a longer search.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import subprocess
import tempfile
import unicodedata
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from helpers import docx_footnotes, pdf_text
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import note as hypothesis_note
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context

from briefgen.cli import main

# --- run-time budget ----------------------------------------------------------------------

settings.register_profile(
    "briefgen-ci",
    deadline=None,  # a build renders fonts and two documents: far beyond hypothesis's 200 ms
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)
settings.register_profile("briefgen-thorough", parent=settings.get_profile("briefgen-ci"))
PROFILE = os.environ.get("BRIEFGEN_HYPOTHESIS_PROFILE", "briefgen-ci")
#: Examples per property in the CI profile; the thorough profile tries ten times as many.
SCALE = 10 if PROFILE == "briefgen-thorough" else 1


def budget(examples: int) -> settings:
    """Return the settings of a property allowed ``examples`` examples (times the profile's scale)."""
    return settings(settings.get_profile(PROFILE), max_examples=examples * SCALE)


# --- what a build says ------------------------------------------------------------------

LOCATED = re.compile(r"^[^:]+:\d+:\d+: (error|warning): .+ \[[a-z-]+\]$")
UNLOCATED = re.compile(r"^briefgen: error: .+$")
#: The summary lines the command line prints after the diagnostics (documented in cli.py).
SUMMARY = re.compile(r"^(\d+ errors?, \d+ warnings?|nothing written)$")

STATEMENT = "sources/prop.yaml"


@contextlib.contextmanager
def workspace():
    """A fresh temporary workspace with a sources/ folder, made the working directory."""
    previous = os.getcwd()
    with tempfile.TemporaryDirectory(prefix="briefgen-prop-") as folder:
        (Path(folder) / "sources").mkdir()
        os.chdir(folder)
        try:
            yield Path(folder)
        finally:
            os.chdir(previous)


def run(argv: list[str]) -> tuple[int, str]:
    """Run the command line in this process; return its exit code and stderr.

    ``BRIEFGEN_DEBUG`` makes an internal error raise (with its traceback, which hypothesis
    reports with the failing example) instead of printing its plain message.
    """
    stderr, stdout = io.StringIO(), io.StringIO()
    old = os.environ.get("BRIEFGEN_DEBUG")
    os.environ["BRIEFGEN_DEBUG"] = "1"
    try:
        with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(stdout):
            code = main(argv)
    finally:
        if old is None:
            del os.environ["BRIEFGEN_DEBUG"]
        else:
            os.environ["BRIEFGEN_DEBUG"] = old
    return code, stderr.getvalue()


#: Characters that must not reach a terminal from the input: C0 and C1 controls (ESC starts
#: terminal escape sequences), line and paragraph separators, and the bidirectional
#: controls that reorder what a reader sees ("Trojan Source").
TERMINAL_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]")


def assert_reported_properly(code: int, stderr: str) -> None:
    """Exit 0 or 1 (never 2 for input); every stderr line a diagnostic or a summary line, safe to print on a terminal."""
    assert code in (0, 1), (code, stderr)
    lines = stderr.split("\n")[:-1] if stderr else []  # a terminal breaks lines at newlines only
    assert stderr == "".join(line + "\n" for line in lines), stderr
    unsafe = [line for line in lines if TERMINAL_UNSAFE.search(line)]
    assert not unsafe, unsafe
    strange = [line for line in lines if not (LOCATED.match(line) or UNLOCATED.match(line) or SUMMARY.match(line))]
    assert not strange, strange
    if code == 1:
        assert any(" error: " in line or line.startswith("briefgen: error:") for line in lines), stderr


def note(text: str) -> None:
    """Record ``text`` with a failing example (outside hypothesis, the assertion messages say it)."""
    if currently_in_test_context():
        hypothesis_note(text)


def check_and_build(path: str = STATEMENT) -> tuple[int, str]:
    """Run ``check`` then ``build`` of the statement; both must report properly and agree; return the build's."""
    check_code, check_err = run(["check", "--quiet", path])
    note(f"check: {check_code}\n{check_err}")
    assert_reported_properly(check_code, check_err)
    build_code, build_err = run(["build", "--quiet", "--format", "docx,pdf", "--out", "output", path])
    note(f"build: {build_code}\n{build_err}")
    assert_reported_properly(build_code, build_err)
    assert build_code == check_code, (check_err, build_err)
    if build_code:
        assert not Path("output").exists()  # an error writes nothing
    return build_code, build_err


# --- the oracle: which characters can a document hold and a shipped font show? ------------

XML_CANNOT_HOLD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


@lru_cache(maxsize=1)
def showable() -> frozenset[str]:
    """Characters every face of the shipped fonts maps to a glyph, read by reportlab (not by briefgen)."""
    from reportlab.pdfbase.ttfonts import TTFont

    from briefgen.resources import FONTS_DIR, SHIPPED_FAMILIES

    coverage: set[int] | None = None
    for files in SHIPPED_FAMILIES.values():
        for index, name in enumerate(files):
            points = {code for code, glyph in TTFont(f"oracle-{name}-{index}", str(FONTS_DIR / name)).face.charToGlyph.items() if glyph}
            coverage = points if coverage is None else coverage & points
    return frozenset(chr(code) for code in coverage or ())


def acceptable(text: str) -> bool:
    """Whether briefgen must accept ``text`` in a text field: not blank, XML-safe, every character showable."""
    normal = unicodedata.normalize("NFC", text)
    # Blank: nothing a reader would see, e.g. only spaces, soft hyphens or zero-width characters.
    blank = all(char.isspace() or unicodedata.category(char) in ("Cf", "Cc") for char in normal)
    if blank or XML_CANNOT_HOLD.search(normal):
        return False
    return all(char in showable() or char in "\t\n\r" for char in normal)


# --- reading outputs back -----------------------------------------------------------------


def docx_text(data: bytes) -> str:
    """Return the text of a DOCX's body paragraphs, table cells, headers, footers and footnotes."""
    import docx

    document = docx.Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    parts += [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    for section in document.sections:
        parts += [p.text for part in (section.header, section.footer) for p in part.paragraphs]
    parts += docx_footnotes(data).values()
    return "\n".join(parts)


def normal(text: str) -> str:
    """NFC with whitespace runs collapsed to one space and the ends trimmed."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).strip()


def without_space(text: str) -> str:
    """NFC with all whitespace removed: how the PDF's text is compared (line breaks split long words)."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFC", text))


def in_pdf_text(text: str, shown: str) -> bool:
    """Whether ``text`` is in the PDF's whitespace-free text ``shown`` (from :func:`pdf_shown`).

    A soft hyphen (U+00AD) only marks where a word may break: the PDF shows nothing there,
    or a hyphen where the line does break, so it matches an optional "-". A zero width
    no-break space (U+FEFF) is left out: it takes no room on the page, and pypdf puts it
    after the character that follows it (pdftotext keeps it in place).
    """
    pieces = [re.escape(piece) for piece in without_space(text).replace("\ufeff", "").split("\u00ad")]
    return re.search("-?".join(pieces), shown) is not None


def pdf_shown(data: bytes) -> str:
    """Return the PDF's text as :func:`in_pdf_text` compares it: NFC, no whitespace, no U+FEFF.

    poppler's pdftotext is preferred where installed: pypdf reorders characters around a
    U+FEFF when neighbouring characters come from different font subsets ("ә\ufeff%, 0"
    comes back as "ә ,%\ufeff0"), an artefact of extraction, not of the page.
    """
    pdftotext = shutil.which("pdftotext")
    if pdftotext:
        text = subprocess.run([pdftotext, "-enc", "UTF-8", "-", "-"], input=data, capture_output=True, check=True).stdout.decode()
        return without_space(unicodedata.normalize("NFC", text)).replace("\ufeff", "")
    return without_space(pdf_text(data)).replace("\ufeff", "")


# --- strategies ---------------------------------------------------------------------------

#: Explicit samples of the characters most likely to go wrong somewhere.
AWKWARD = (
    [chr(c) for c in range(0x20)] + ["\x7f", "\x85", "\ufffe", "\uffff", "\ud800", "\udfff", "\ufeff", "\u00ad", "\u00a0"]
    + ["\u0301", "\u0308", "\u0327", "e\u0301", "\u200b", "\u200c", "\u200d", "\u2028", "\u2029", "\u3000"]
    + ["\u05d0", "\u0627", "\u200f", "\u202e", "\u2066", "\U0001f600", "\U0001f44d\U0001f3fd", "\U0001f1f0\U0001f1ff"]
    + ["\u4e2d", "\u6587", "\uac00", "\u3042", "\U00020000", "\ue000", "\U0010fffd"]
    + ["ә", "ғ", "қ", "ң", "ө", "ұ", "ү", "һ", "і", "Ё", "ё", "«", "»", "—", "…", "’", "ﬁ", "€", "№"]
    + ["<", ">", "&", '"', "'", "{", "}", "%", "#", ":", "-", "?", "*", "!", "|", "\\", "`"]
    + [" ", " ", " ", "\t", "\n", "\r", "a", "B", "z", "0", "9", "Ilsa", "Marrow"]
)  # fmt: skip

any_text = st.text(max_size=60)  # any code point but surrogates
any_code_point = st.text(st.characters(exclude_categories=()), max_size=30)  # surrogates too
awkward_text = st.lists(st.sampled_from(AWKWARD), max_size=25).map("".join)


def showable_text(max_size: int = 80) -> st.SearchStrategy[str]:
    """Text of characters the shipped fonts can show, with spaces and line breaks."""
    return st.deferred(lambda: st.text(st.sampled_from(sorted(showable() | set(" \n"))), min_size=1, max_size=max_size))


field_text = st.one_of(showable_text(), awkward_text, any_text, any_code_point)

#: Every text field of a statement, as a path into its data; ``rendered`` says whether a note shows it.
TEXT_FIELDS = {
    ("title",): True,
    ("speaker", "name"): True,
    ("speaker", "role"): True,
    ("speaker", "country"): False,  # a note names the speaker and role only; a pack's people index shows it
    ("event", "name"): True,
    ("event", "location"): True,
    ("source", "publisher"): True,
    ("source", "title"): True,
    ("summary",): True,
    ("key_points", 0, "point"): True,
    ("key_points", 0, "quote"): True,
    ("attendees", 0, "name"): True,
    ("attendees", 0, "role"): True,
    ("attendees", 0, "country"): True,
    ("attendees", 0, "organisation"): True,
    ("upcoming", 0, "event"): True,
    ("upcoming", 0, "location"): True,
    ("upcoming", 0, "quote"): False,  # cited in a footnote; the words themselves go to the calendar
    ("proposals", 0, "proposal"): True,
    ("proposals", 0, "by"): True,
    ("tags", 0): True,
    ("comment",): True,
}


def minimal_statement() -> dict:
    """A valid statement with every text field filled with a placeholder; no source text (citations are unverified)."""
    return {
        "title": "Title",
        "date": "2031-03-03",
        "speaker": {"name": "Ilsa Marrow", "role": "Foreign Minister", "country": "Veloria"},
        "event": {"name": "River talks", "location": "Port Ardent"},
        "source": {"publisher": "Veloria ministry", "title": "Opening statement", "url": "https://example.org/veloria", "language": "en"},
        "summary": "Summary.",
        "key_points": [{"point": "A point.", "quote": "a quote"}],
        "attendees": [{"name": "Tomas Wend", "role": "Minister", "country": "Osterland", "organisation": "Waterways Office"}],
        "upcoming": [{"date": "2031-04-20", "event": "Expert meeting", "location": "Wendmouth", "quote": "experts meet"}],
        "proposals": [{"proposal": "A commission", "by": "Ilsa Marrow", "status": "proposed"}],
        "tags": ["Arden"],
        "comment": "A comment.",
    }


def put(data, path: tuple, value) -> None:
    """Set ``data[path[0]][path[1]]… = value``."""
    for key in path[:-1]:
        data = data[key]
    data[path[-1]] = value


@st.composite
def statements_with_text(draw) -> tuple[dict, dict[tuple, str]]:
    """A minimal statement whose text fields hold drawn text.

    Either one text (of any kind) in every field; or showable text, different in each field;
    or that with one field holding text of any kind.
    """
    statement = minimal_statement()
    mode = draw(st.sampled_from(["same everywhere", "showable per field", "one odd field"]))
    event(mode)
    if mode == "same everywhere":
        texts = dict.fromkeys(TEXT_FIELDS, draw(field_text))
    else:
        texts = {path: draw(showable_text(max_size=40)) for path in TEXT_FIELDS}
        if mode == "one odd field":
            texts[draw(st.sampled_from(sorted(TEXT_FIELDS, key=str)))] = draw(field_text)
    for path, text in texts.items():
        put(statement, path, text)
    return statement, texts


def dump(data, *, allow_unicode: bool, flow: bool | None = None) -> str:
    """Return ``data`` as YAML written by PyYAML's safe dumper (so the escaping is YAML's)."""
    return yaml.safe_dump(data, allow_unicode=allow_unicode, sort_keys=False, default_flow_style=flow, width=float("inf") if flow else 80)


def write_statement(text: str) -> None:
    Path(STATEMENT).write_text(text, encoding="utf-8")


# --- property: any text in every field -----------------------------------------------------


def assert_texts_shown(texts: dict[tuple, str]) -> None:
    """Every rendered field's text is in the note's DOCX and PDF."""
    docx_shown = normal(docx_text(Path("output/prop.docx").read_bytes()))
    shown_in_pdf = pdf_shown(Path("output/prop.pdf").read_bytes())
    lost_in_docx = {path: text for path, text in texts.items() if TEXT_FIELDS[path] and normal(text) not in docx_shown}
    lost_in_pdf = {path: text for path, text in texts.items() if TEXT_FIELDS[path] and not in_pdf_text(text, shown_in_pdf)}
    assert not lost_in_docx, (lost_in_docx, docx_shown)
    assert not lost_in_pdf, (lost_in_pdf, shown_in_pdf)


def build_statement_with_texts(statement: dict, texts: dict[tuple, str], allow_unicode: bool) -> None:
    """Write, check and build; assert the outcome the oracle predicts, and on success that every text is shown."""
    with workspace():
        write_statement(dump(statement, allow_unicode=allow_unicode))
        code, stderr = check_and_build()
        if currently_in_test_context():
            event(f"exit {code}")
        expected = 0 if all(acceptable(text) for text in texts.values()) else 1
        assert code == expected, stderr
        if code == 0:
            assert_texts_shown(texts)


KAZAKH_AND_MARKUP = "Әлия «Қасымова» & <b>x</b> {{ 7*7 }} &amp;"


@budget(30)
@given(statements_with_text(), st.booleans())
@example((minimal_statement(), dict.fromkeys(TEXT_FIELDS, KAZAKH_AND_MARKUP)), True)
@example((minimal_statement(), dict.fromkeys(TEXT_FIELDS, "Ve\ufeffloria\ufeff Ve\u00adlo\u00adria")), False)  # zero-width characters
@example((minimal_statement(), dict.fromkeys(TEXT_FIELDS, "\u00ad")), False)  # only a soft hyphen: blank, reported
def test_any_text_in_every_field_builds_faithfully_or_is_reported(case, allow_unicode):
    """Arbitrary Unicode in every text field: exit 0 with each text in the DOCX and PDF, or exit 1 with located errors — as the oracle predicts."""
    statement, texts = case
    for path, text in texts.items():
        put(statement, path, text)
    build_statement_with_texts(statement, texts, allow_unicode)


AWKWARD_SAMPLES = {
    "c0-controls": "".join(chr(c) for c in range(0x20)),
    "delete-and-nel": "a\x7fb\x85c",
    "noncharacters": "a\ufffe\uffffb",
    "lone-surrogate": "a\ud800b",
    "combining": "Cafe\u0301 A\u0308 c\u0327",
    "decomposed-kazakh": unicodedata.normalize("NFD", "Әлия Қасымова, Ұлытау, Йошкар-Ола"),
    "soft-hyphen-and-nbsp": "Ve\u00adlo\u00adria\u00a0river",
    "bom-inside": "Ve\ufeffloria",
    "zero-width": "Ve\u200bloria\u200d",
    "line-separators": "one\u2028two\u2029three",
    "hebrew": "שלום",
    "arabic": "مدينة",
    "rtl-marks": "Veloria \u200f\u202eairolev\u202c",
    "emoji": "Veloria \U0001f600 \U0001f44d\U0001f3fd \U0001f1f0\U0001f1ff",
    "cjk": "中文 한국어 にほんご \U00020000",
    "private-use": "\ue000\U0010fffd",
    "kazakh-and-russian": "Әлия Қасымова — «Мы предлагаем» … ’quote’ №5 €",
    "yaml-lookalikes": "NO: yes, 3.10 ~ null &a *a !!python/object [x] {y: z} # c",
    "whitespace-only": " \t\n ",
    "tabs-and-newlines": "a\tb\nc\r\nd",
}


@pytest.mark.parametrize("allow_unicode", [True, False], ids=["utf8", "escaped"])
@pytest.mark.parametrize("name", list(AWKWARD_SAMPLES))
def test_awkward_characters_in_every_field_build_faithfully_or_are_reported(name, allow_unicode):
    """Each explicit sample (controls, noncharacters, surrogates, combining marks, RTL, emoji, CJK …) in every text field: as the oracle predicts."""
    text = AWKWARD_SAMPLES[name]
    statement = minimal_statement()
    texts = dict.fromkeys(TEXT_FIELDS, text)
    for path in texts:
        put(statement, path, text)
    build_statement_with_texts(statement, texts, allow_unicode)


# --- property: any YAML structure --------------------------------------------------------

KNOWN_KEYS = sorted(
    {"title", "date", "speaker", "event", "source", "summary", "key_points", "attendees", "upcoming", "proposals", "tags", "comment"}
    | {"name", "role", "country", "location", "publisher", "url", "published", "accessed", "language", "text"}
    | {"point", "quote", "para", "organisation", "proposal", "by", "status"}
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),  # inf and nan included: YAML writes .inf and .nan
    st.text(max_size=20),
    st.sampled_from(["NO", "on", "3.10", "2031-02-30", "2031-03-03", "2031", "2031-13", "~", "", " ", "null", "0x1F", "1e3", "<<"]),
    st.dates(),
    st.datetimes(),
)
keys = st.one_of(st.sampled_from(KNOWN_KEYS), st.text(max_size=12), st.integers(), st.booleans(), st.none(), st.dates())
yaml_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=5), max_leaves=25)


@budget(150)
@given(yaml_values, st.booleans(), st.sampled_from([None, True, False]))
@example({"title": "x", "\x1b[31mred\x1b]0;title\x07": 1}, True, None)  # terminal escapes in an unknown key
def test_any_yaml_structure_as_a_statement_file_is_reported(value, allow_unicode, flow):
    """A whole statement file holding any YAML structure: exit 0, or exit 1 with located diagnostics; never a crash."""
    with workspace():
        write_statement(dump(value, allow_unicode=allow_unicode, flow=flow))
        check_and_build()


def _all_paths(data, prefix: tuple = ()) -> list[tuple]:
    """Every key and list index path of ``data``, outermost first."""
    paths = []
    items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else ()
    for key, value in items:
        paths.append(prefix + (key,))
        paths += _all_paths(value, prefix + (key,))
    return paths


STATEMENT_PATHS = _all_paths(minimal_statement())


@budget(60)
@given(st.sampled_from(STATEMENT_PATHS), yaml_values, st.booleans())
def test_any_yaml_value_for_any_key_of_a_valid_statement_is_reported(path, value, allow_unicode):
    """One key of a valid statement replaced by any YAML value: exit 0, or exit 1 with located diagnostics; never a crash."""
    statement = minimal_statement()
    put(statement, path, value)
    with workspace():
        write_statement(dump(statement, allow_unicode=allow_unicode))
        code, _ = check_and_build()
        if code == 0 and isinstance(value, str) and path in TEXT_FIELDS and TEXT_FIELDS[path]:
            assert_texts_shown({path: value})


@budget(100)
@given(st.one_of(st.binary(max_size=300), st.text(max_size=300).map(lambda t: t.encode("utf-8", "surrogatepass"))))
@example(b"title: [unclosed\n")
@example(b"\xef\xbb\xbftitle: x\n")  # a BOM
@example(b"\xff\xfe t\x00i\x00")  # UTF-16
@example(b"a: &x [*x]\n")  # an alias of its own anchor
@example(b"title: !!python/object/apply:os.system ['touch /tmp/briefgen-canary']\n")
@example(b"[" * 5000)  # nesting beyond the parser's recursion
@example(b"a: &a ['lol','lol']\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n")
@example(b"title: x\ntitle: y\n")
@example(b"? [complex, key]\n: value\n")
@example(b"<<: {title: x}\n")
@example(b"--- a\n--- b\n")
@example(b"title: \"\\ud800\"\n")  # an escaped lone surrogate
@example(b"title: \"\\x00\"\n")
@example(b"%YAML 1.1\n%TAG ! tag:evil.example,2000:\n--- !evil {}\n")
@example(b"title: x\x00\n")  # a raw NUL: not a YAML character
def test_any_bytes_as_a_statement_file_are_reported(raw):
    """Any bytes (or UTF-8 text) as a statement file, including YAML bombs and tags: exit 0 or 1, located; never a crash."""
    with workspace():
        Path(STATEMENT).write_bytes(raw)
        check_and_build()
        assert not Path("/tmp/briefgen-canary").exists()


# --- property: any text in a pack's calendar and email ------------------------------------

PACK_FIELDS = (("title",), ("subtitle",), ("meeting", "name"), ("meeting", "location"), ("prepared_by",), ("prepared_for",), ("classification",))


@st.composite
def pack_and_event_texts(draw) -> tuple[dict[tuple, str], str, str]:
    """Showable text in every pack field and in an upcoming event's name and location, one of them perhaps any text."""
    texts = {path: draw(showable_text(max_size=40)) for path in (*PACK_FIELDS, ("event",), ("location",))}
    if draw(st.booleans()):
        texts[draw(st.sampled_from(sorted(texts, key=str)))] = draw(field_text)
    event_text, location_text = texts.pop(("event",)), texts.pop(("location",))
    return texts, event_text, location_text


@budget(40)
@given(pack_and_event_texts())
@example((dict.fromkeys(PACK_FIELDS, "Arden\nBcc: someone@example.org\r\nX-Injected: 1"), "Talks;\nDTSTART:20310101", "a,b\\c"))
@example((dict.fromkeys(PACK_FIELDS, "=?utf-8?q?=41rden?= talks =?utf-8?b?QQ==?="), "=?utf-8?q?x?=", "<b>"))
@example((dict.fromkeys(PACK_FIELDS, "a, b; c\\d"), ",", ";"))  # characters a calendar's TEXT escapes
@example((dict.fromkeys(PACK_FIELDS, "0"), "0", "\ufeff0"))  # icalendar drops a leading U+FEFF
def test_any_text_reaches_the_calendar_and_email_intact_or_is_reported(case):
    """Any text in the pack's fields and an upcoming event: the ICS and EML parse back to it (on one line where a header
    or calendar name must be one line), or exit 1 with located errors — as the oracle predicts."""
    import email
    import email.policy

    from icalendar import Calendar

    pack_texts, event_text, location_text = case
    pack = {"statements": ["sources/*.yaml"], "meeting": {"date": "2031-06-02"}, "formats": ["ics", "eml"]}
    for path, text in pack_texts.items():
        put(pack, path, text)
    statement = minimal_statement()
    statement["upcoming"][0].update(event=event_text, location=location_text)
    with workspace():
        Path("briefing.yaml").write_text(dump(pack, allow_unicode=True), encoding="utf-8")
        write_statement(dump(statement, allow_unicode=True))
        code, stderr = run(["build", "--quiet"])
        assert_reported_properly(code, stderr)
        texts = [*pack_texts.values(), event_text, location_text]
        assert code == (0 if all(acceptable(text) for text in texts) else 1), stderr
        event(f"exit {code}")
        if code:
            return
        (ics,) = Path("output").glob("*.ics")
        (eml,) = Path("output").glob("*.eml")
        calendar = Calendar.from_ical(ics.read_bytes())
        # An X- property's value is TEXT (RFC 5545, 3.8.8.2), escaped; icalendar leaves unknown properties undecoded.
        assert unescape_ics_text(str(calendar["x-wr-calname"])) == normal(pack_texts[("title",)])
        (vevent,) = calendar.walk("VEVENT")
        # icalendar drops a U+FEFF (zero width no-break space) that starts a value; it shows nothing.
        shown = (str(vevent["summary"]), str(vevent["location"]))
        assert shown == tuple(normal(text).removeprefix("\ufeff") for text in (event_text, location_text))
        message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
        assert message["Subject"] == normal(pack_texts[("title",)])
        assert [part.get_filename() for part in message.iter_attachments()] == [ics.name]
        assert normal(pack_texts[("title",)]) in normal(message.get_body(("plain",)).get_content())
        html = HTMLText()
        html.feed(message.get_body(("html",)).get_content())
        assert normal(pack_texts[("title",)]) in normal("".join(html.text))
        assert normal(event_text) in normal("".join(html.text))


def unescape_ics_text(value: str) -> str:
    """Return an RFC 5545 TEXT value unescaped: ``\\\\``, ``\\;``, ``\\,`` and ``\\n``."""
    return re.sub(r"\\([\\;,nN])", lambda match: "\n" if match.group(1) in "nN" else match.group(1), value)


class HTMLText(HTMLParser):
    """Collects the text of an HTML document, character references decoded."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []

    def handle_data(self, data: str) -> None:
        self.text.append(data)
