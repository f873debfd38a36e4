"""Templates and template paths that attack the renderer.

Each attack runs through the command line on a copy of the fictional pack whose template
folder ``templates/evil/`` is a copy of the default with one file changed. Every attack
must end with exit code 1, a message naming the template file (and line, where there is
one), no Python traceback, and no output folder; none may run code or read a file
outside the template folder.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import threading
from pathlib import Path

import pytest

import briefgen.sandbox as sandbox
from briefgen.cli import main
from briefgen.compose import resolve_template_dir
from briefgen.errors import DiagnosticsError
from briefgen.resources import TEMPLATES_DIR
from helpers import pdf_text

FICTION = Path(__file__).resolve().parent / "data" / "veloria"
STATEMENT = "sources/veloria-2031-03-03-river-commission.yaml"
HEAD = '<meta name="title" content="Evil">\n'  # line 1 of every hostile template: the attack is on line 2
PACK_AT = "templates/evil/pack.html.j2:2: template error: "
NOTE_AT = "templates/evil/note.html.j2:2: template error: "
SECRET = "TOP-SECRET-CONTENTS"


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the fictional pack with the default template copied to templates/evil/, as the working folder."""
    root = tmp_path / "ws"
    shutil.copytree(FICTION, root)
    shutil.copytree(TEMPLATES_DIR / "default", root / "templates" / "evil")
    (tmp_path / "secret.txt").write_text(SECRET, encoding="utf-8")  # outside the workspace
    monkeypatch.chdir(root)
    return root


def build(workspace: Path, capsys: pytest.CaptureFixture, *args: str) -> str:
    """Run ``briefgen build --quiet *args``; check that it failed cleanly and wrote nothing; return stderr."""
    code = main(["build", "--quiet", *args])
    captured = capsys.readouterr()
    assert code == 1, captured.err
    assert "Traceback" not in captured.err and "Traceback" not in captured.out
    assert SECRET not in captured.err + captured.out
    assert not (workspace / "output").exists()
    return captured.err


def attack_pack(workspace: Path, capsys: pytest.CaptureFixture, attack: str) -> str:
    """Build the pack with ``attack`` on line 2 of templates/evil/pack.html.j2; return stderr."""
    (workspace / "templates" / "evil" / "pack.html.j2").write_text(HEAD + attack + "\n", encoding="utf-8")
    return build(workspace, capsys, "--template", "evil", "--format", "ics")


def attack_note(workspace: Path, capsys: pytest.CaptureFixture, attack: str) -> str:
    """Build one note with ``attack`` on line 2 of templates/evil/note.html.j2 (``s`` is the statement); return stderr."""
    (workspace / "templates" / "evil" / "note.html.j2").write_text(HEAD + attack + "\n", encoding="utf-8")
    return build(workspace, capsys, "--template", "evil", "--format", "pdf", STATEMENT)


# -- attribute walks ---------------------------------------------------------------


def test_walk_from_a_string_to_all_classes_is_refused(workspace, capsys):
    """The classic escape: from a string literal through its class to every loaded class."""
    err = attack_pack(workspace, capsys, "{{ ''.__class__.__mro__[1].__subclasses__() }}")
    assert f"briefgen: error: {PACK_AT}access to attribute '__class__' of 'str' object is unsafe [template-security]" in err


def test_globals_behind_cycler_are_out_of_reach_and_run_nothing(workspace, capsys):
    """cycler is a class in jinja2's globals; its __init__.__globals__ would hold os."""
    err = attack_pack(workspace, capsys, "{{ cycler.__init__.__globals__.os.system('touch pwned') }}")
    assert f"{PACK_AT}access to attribute '__init__' of 'type' object is unsafe [template-security]" in err
    assert not (workspace / "pwned").exists()


def test_globals_behind_self_are_out_of_reach(workspace, capsys):
    """``self`` (the template reference) leads to the same globals through __init__."""
    err = attack_pack(workspace, capsys, "{{ self.__init__.__globals__ }}")
    assert f"{PACK_AT}access to attribute '__init__' of 'TemplateReference' object is unsafe [template-security]" in err


def test_attr_filter_cannot_reach_dunder_attributes(workspace, capsys):
    """``|attr`` goes through the same check as the dot."""
    err = attack_pack(workspace, capsys, "{{ ''|attr('__class__') }}")
    assert f"{PACK_AT}access to attribute '__class__' of 'str' object is unsafe [template-security]" in err


@pytest.mark.parametrize(
    "attack",
    [
        "{{ '{0.__class__}'.format(b) }}",
        "{{ '{x.__class__}'.format_map({'x': b}) }}",
        "{{ ('{0.__class__}'|attr('format'))(b) }}",
        "{% set f = '{0.__class__}'.format %}{{ f(b) }}",
    ],
    ids=["format", "format_map", "attr-format", "indirect-format"],
)
def test_format_strings_cannot_walk_attributes(workspace, capsys, attack):
    """str.format field names (``{0.__class__}``) are looked up by the sandbox, however format is reached."""
    err = attack_pack(workspace, capsys, attack)
    assert f"{PACK_AT}access to attribute '__class__' of 'Briefing' object is unsafe [template-security]" in err


def test_percent_format_filter_cannot_walk_attributes(workspace, capsys):
    """The ``format`` filter (printf style) has no attribute syntax; what it is given is checked first."""
    err = attack_pack(workspace, capsys, '{{ "%s"|format(b.__class__) }}')
    assert f"{PACK_AT}access to attribute '__class__' of 'Briefing' object is unsafe [template-security]" in err


@pytest.mark.parametrize(
    "attack",
    ['{{ "%0999999999d"|format(1) }}', "{{ '%0999999999d' % 1 }}", "{{ '{:>999999999}'.format(1) }}"],
    ids=["format-filter", "percent-operator", "str-format"],
)
def test_format_widths_that_would_build_a_huge_string_are_refused(workspace, capsys, attack):
    """A gigabyte of padding from one format spec is refused before it is built."""
    err = attack_pack(workspace, capsys, attack)
    assert f"{PACK_AT}format width or precision 999999999 is over the limit of 10,000 [template-limit]" in err


@pytest.mark.parametrize(
    "attack, attribute",
    [
        ("{{ s.__dict__ }}", "__dict__"),
        ("{{ s.model_dump.__globals__ }}", "model_dump"),
        ("{{ s.parse_file('../../secret.txt') }}", "parse_file"),
        ("{{ s.speaker.model_fields }}", "model_fields"),
    ],
    ids=["dict", "model_dump-globals", "parse_file", "model_fields"],
)
def test_pydantic_internals_of_the_statement_are_out_of_reach(workspace, capsys, attack, attribute):
    """Templates see a model's fields; pydantic's own API (parse_file reads files) is refused."""
    err = attack_note(workspace, capsys, attack)
    kind = "Speaker" if "speaker" in attack else "Statement"
    assert f"{NOTE_AT}access to attribute '{attribute}' of '{kind}' object is unsafe [template-security]" in err


def test_templates_cannot_change_the_values_they_are_given(workspace, capsys):
    """The sandbox is immutable: the wording dict, shared by later renders, cannot be edited."""
    err = attack_pack(workspace, capsys, "{{ t.update({'overview': 'pwned'}) }}")
    assert f"{PACK_AT}access to attribute 'update' of 'dict' object is unsafe [template-security]" in err


def test_wording_patterns_are_formatted_in_the_sandbox(workspace, capsys):
    """Date patterns come from the template folder's strings/*.yaml, so they are as hostile as templates."""
    wording = workspace / "templates" / "evil" / "strings" / "en.yaml"
    text = wording.read_text(encoding="utf-8")
    wording.write_text(text.replace('day_format: "{day}\\u00a0{month} {year}"', 'day_format: "{day.__class__.__mro__}"'), encoding="utf-8")
    err = build(workspace, capsys, "--template", "evil", "--format", "ics")
    assert "templates/evil/pack.html.j2:20: template error: day_format of the wording: access to attribute '__class__' of 'int' object is unsafe [template-security]" in err


# -- bombs: range, size, time, memory -----------------------------------------------


def test_range_bomb_is_a_located_error(workspace, capsys):
    """jinja2's sandbox caps range() at MAX_RANGE; the OverflowError it raised becomes a located error."""
    err = attack_pack(workspace, capsys, "{% for i in range(10**9) %}{% endfor %}")
    assert f"{PACK_AT}range() of more than 100,000 numbers is not allowed (asked for range(0, 1000000000)) [template-limit]" in err


@pytest.mark.parametrize(
    "attack, message",
    [
        ("{{ 'x' * 10**10 }}", "'*' would build 10,000,000,000 characters or items, more than the limit of 20,000,000"),
        ("{{ 10**(10**10) }}", "'**' would build an integer of more than 100,000 bits"),
        ("{% set ns = namespace(n=3) %}{% for i in range(40) %}{% set ns.n = ns.n * ns.n %}{% endfor %}", "'*' would build an integer of more than 100,000 bits"),
    ],
    ids=["string-repeat", "power", "repeated-squaring"],
)
def test_operators_that_would_build_huge_values_are_refused(workspace, capsys, attack, message):
    """``*`` and ``**`` are checked before they run (Python cannot be interrupted inside one big multiplication)."""
    err = attack_pack(workspace, capsys, attack)
    assert f"{PACK_AT}{message} [template-limit]" in err


def test_output_bomb_stops_at_the_output_limit(workspace, capsys, monkeypatch):
    """Ten billion characters of output stop at OUTPUT_LIMIT (lowered here so the test is quick)."""
    monkeypatch.setattr(sandbox, "OUTPUT_LIMIT", 1_000_000)
    err = attack_pack(workspace, capsys, "{% for i in range(100000) %}{% for j in range(100000) %}xxxxxxxxxx{% endfor %}{% endfor %}")
    assert f"{PACK_AT}the template wrote more than 1,000,000 characters [template-limit]" in err


def test_the_output_limit_of_a_pack_grows_with_its_statements(workspace, capsys, monkeypatch):
    """A pack of many statements may write more than OUTPUT_LIMIT: OUTPUT_PER_STATEMENT for each (lowered here)."""
    monkeypatch.setattr(sandbox, "OUTPUT_LIMIT", 1_000_000)
    monkeypatch.setattr(sandbox, "OUTPUT_PER_STATEMENT", 1_500_000)
    statements = len(list((workspace / "sources").glob("*.yaml")))
    err = attack_pack(workspace, capsys, "{% for i in range(100000) %}{% for j in range(100000) %}xxxxxxxxxx{% endfor %}{% endfor %}")
    assert f"{PACK_AT}the template wrote more than {statements * 1_500_000:,} characters [template-limit]" in err


def test_cpu_bomb_without_output_stops_at_the_time_limit(workspace, capsys, monkeypatch):
    """Ten billion empty iterations stop at RENDER_TIME_LIMIT (lowered here to half a second)."""
    monkeypatch.setattr(sandbox, "RENDER_TIME_LIMIT", 0.5)
    err = attack_pack(workspace, capsys, "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}")
    assert f"{PACK_AT}rendering took longer than 0.5 seconds; is there an endless loop? (A pack of thousands of statements on a slow machine may need longer: split it.) [template-limit]" in err


def test_cpu_bomb_stops_off_the_main_thread_too(workspace, capsys, monkeypatch):
    """Where no timer signal can be used (a worker thread, Windows), the loops themselves check the clock."""
    monkeypatch.setattr(sandbox, "RENDER_TIME_LIMIT", 0.5)
    attack = "{% set r = range(100000)|list %}{% for i in r %}{% for j in r %}{% endfor %}{% endfor %}"
    (workspace / "templates" / "evil" / "pack.html.j2").write_text(HEAD + attack + "\n", encoding="utf-8")
    codes: list[int] = []
    worker = threading.Thread(target=lambda: codes.append(main(["build", "--quiet", "--template", "evil", "--format", "ics"])))
    worker.start()
    worker.join(timeout=60)
    assert not worker.is_alive() and codes == [1]
    err = capsys.readouterr().err
    assert f"{PACK_AT}rendering took longer than 0.5 seconds" in err and "Traceback" not in err
    assert not (workspace / "output").exists()


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="no interval timers on this platform")
def test_time_limit_restores_the_previous_alarm(workspace, capsys):
    """A timer and SIGALRM handler set before the build are still in place after it."""

    def handler(signum, frame):  # pragma: no cover - never fires
        raise AssertionError("the caller's alarm fired")

    previous = signal.signal(signal.SIGALRM, handler)
    signal.setitimer(signal.ITIMER_REAL, 300)
    try:
        attack_pack(workspace, capsys, "{{ ''.__class__ }}")
        assert signal.getsignal(signal.SIGALRM) is handler
        assert 200 < signal.getitimer(signal.ITIMER_REAL)[0] <= 300
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.mark.parametrize(
    "attack",
    [
        "{% set ns = namespace(s='x') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s|length }}",
        "{% set ns = namespace(s='x') %}{% for i in range(40) %}{% set ns.s = ns.s + ns.s %}{% endfor %}{{ ns.s|length }}",
        "{% set ns = namespace(s=[1]) %}{% for i in range(40) %}{% set ns.s = ns.s + ns.s %}{% endfor %}{{ ns.s|length }}",
    ],
    ids=["tilde", "plus", "list-plus"],
)
def test_doubling_a_value_stops_at_the_output_limit(workspace, capsys, attack):
    """A string or list doubled forty times (a terabyte) stops as soon as it is longer than OUTPUT_LIMIT."""
    err = attack_pack(workspace, capsys, attack)
    assert f"{PACK_AT}a value of 33,554,432 characters or items was built; the limit is 20,000,000 [template-limit]" in err


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the memory ceiling is enforced on Linux only")
def test_memory_bomb_stops_at_the_memory_ceiling_when_it_is_on(workspace, capsys, monkeypatch):
    """With MEMORY_LIMIT set (off by default), a gigabyte from one filter call becomes a located error."""
    monkeypatch.setattr(sandbox, "MEMORY_LIMIT", 256 * 2**20)
    err = attack_pack(workspace, capsys, "{{ 'x'|center(2 * 10**9)|length }}")
    assert f"{PACK_AT}rendering needed more than 256 MB of memory [template-limit]" in err


@pytest.mark.parametrize(
    "attack, message",
    [
        ("{{ 1/0 }}", "ZeroDivisionError: division by zero [template-runtime]"),
        ("{{ no_such_variable }}", "'no_such_variable' is undefined [template-undefined]"),
        ("{% macro r() %}{{ r() }}{% endmacro %}{{ r() }}", "recursion too deep) [template-limit]"),
        ('{% include "pack.html.j2" %}', "recursion too deep) [template-limit]"),
    ],
    ids=["zero-division", "undefined", "recursive-macro", "self-include"],
)
def test_runtime_failures_are_located(workspace, capsys, attack, message):
    """Whatever a template raises is reported at its line, never as a traceback."""
    err = attack_pack(workspace, capsys, attack)
    assert PACK_AT in err and message in err


# -- files: include, import, symbolic links -----------------------------------------


@pytest.mark.parametrize(
    "attack, message",
    [
        ('{% include "/etc/passwd" %}', "template '/etc/passwd' is absolute; name a file inside templates/evil/"),
        ('{% include "../../../etc/passwd" %}', "template '../../../etc/passwd' contains '..'; name a file inside templates/evil/"),
        ('{% import "../x" as x %}', "template '../x' contains '..'; name a file inside templates/evil/"),
        ('{% include "../../secret.txt" ignore missing %}', "template '../../secret.txt' contains '..'"),
        ('{% extends "C:\\\\secret.txt" %}', "template 'C:\\secret.txt' starts with a drive letter"),
    ],
    ids=["absolute", "dot-dot", "import", "ignore-missing", "drive"],
)
def test_includes_outside_the_template_folder_are_refused(workspace, capsys, attack, message):
    """Template names are paths inside the template folder; anything else is refused, loudly."""
    err = attack_pack(workspace, capsys, attack)
    assert f"{PACK_AT}{message}" in err and "[template-path]" in err


def test_include_through_a_symbolic_link_out_of_the_folder_is_refused(workspace, capsys, tmp_path):
    """A link inside the template folder to a file elsewhere is refused, and the file is never read."""
    try:
        os.symlink(tmp_path / "secret.txt", workspace / "templates" / "evil" / "leak.html.j2")
    except OSError:
        pytest.skip("cannot create symbolic links here")
    err = attack_pack(workspace, capsys, '{% include "leak.html.j2" %}')
    assert f"{PACK_AT}template 'leak.html.j2' leads outside templates/evil/ through a symbolic link [template-path]" in err


def test_a_template_file_that_is_a_link_out_of_the_folder_is_refused(workspace, capsys, tmp_path):
    """The template briefgen asks for itself (pack.html.j2) may not be a link out either."""
    pack = workspace / "templates" / "evil" / "pack.html.j2"
    pack.unlink()
    try:
        os.symlink(tmp_path / "secret.txt", pack)
    except OSError:
        pytest.skip("cannot create symbolic links here")
    err = build(workspace, capsys, "--template", "evil", "--format", "ics")
    assert "templates/evil/pack.html.j2: template error: template 'pack.html.j2' leads outside templates/evil/ through a symbolic link [template-path]" in err


def test_a_missing_include_names_the_including_line(workspace, capsys):
    """A missing template is named, with the line that asked for it."""
    err = attack_pack(workspace, capsys, '{% include "nowhere.html.j2" %}')
    assert f"{PACK_AT}no template 'nowhere.html.j2' in templates/evil/ [template-missing]" in err


# -- syntax and markup ----------------------------------------------------------------


def test_syntax_error_names_file_and_line(workspace, capsys):
    """A Jinja2 syntax error reads path:line: template syntax: …"""
    err = attack_pack(workspace, capsys, "{% for x in %}")
    assert "briefgen: error: templates/evil/pack.html.j2:2: template syntax: Expected an expression, got 'end of statement block' [template-syntax]" in err


def test_error_in_an_imported_macro_names_the_macro_file_and_line(workspace, capsys):
    """The line reported is the one that failed, even inside a file pulled in with import."""
    macros = workspace / "templates" / "evil" / "macros.html.j2"
    macros.write_text(macros.read_text(encoding="utf-8").replace("{{ p.name }}", "{{ p.__class__ }}"), encoding="utf-8")
    err = build(workspace, capsys, "--template", "evil", "--format", "ics")
    assert "templates/evil/macros.html.j2:19: template error: access to attribute '__class__' of 'Speaker' object is unsafe [template-security]" in err


def test_markup_outside_the_html_subset_names_the_template(workspace, capsys):
    """A template that writes <script> fails in the markup parser, which names the template."""
    err = attack_pack(workspace, capsys, "<script>alert(1)</script>")
    assert "briefgen: error: evil/pack.html.j2: output line 2, column 1: <script> is not in the supported HTML subset" in err


# -- the template folder itself: --template and template: ------------------------------


@pytest.mark.parametrize(
    "value, shown, reason",
    [
        ("/etc", "/etc", "is absolute"),
        ("templates/../../elsewhere", "templates/../../elsewhere", "contains '..'"),
        ("C:\\templates\\house", "C:\\templates\\house", "starts with a drive letter"),
        ("\\\\server\\share\\house", "\\\\server\\share\\house", "is a UNC path"),
        ("house\x00.txt", "house\\x00.txt", "contains a NUL character"),
    ],
    ids=["absolute", "dot-dot", "drive", "unc", "nul"],
)
def test_unsafe_template_option_values_are_refused(workspace, capsys, value, shown, reason):
    """--template takes a name under templates/ or a path inside the workspace; the value is shown, control characters escaped."""
    err = build(workspace, capsys, "--template", value)
    assert f"{shown}: error: template folder '{shown}' {reason}; name a folder under templates/ or give a path inside the workspace [unsafe-path]" in err


def test_unsafe_template_in_the_pack_file_is_refused(workspace, capsys):
    """The pack's ``template:`` value is held to the same rules as --template."""
    pack = workspace / "briefing.yaml"
    pack.write_text(pack.read_text(encoding="utf-8") + "template: ../elsewhere\n", encoding="utf-8")
    err = build(workspace, capsys)
    assert "../elsewhere: error: template folder '../elsewhere' contains '..'" in err


@pytest.mark.parametrize("link", ["templates/linked", "templates"], ids=["folder", "templates-folder"])
def test_template_folder_linked_from_outside_the_workspace_is_refused(workspace, capsys, tmp_path, link):
    """A template folder (or templates/ itself) that is a symbolic link to elsewhere is refused."""
    outside = tmp_path / "elsewhere"
    shutil.copytree(TEMPLATES_DIR / "default", outside / "linked")
    if link == "templates":
        shutil.rmtree(workspace / "templates")
    try:
        os.symlink(outside / "linked" if link != "templates" else outside, workspace / link)
    except OSError:
        pytest.skip("cannot create symbolic links here")
    err = build(workspace, capsys, "--template", "linked")
    assert "linked: error: template folder 'linked' leads outside the workspace through a symbolic link" in err


def test_a_plain_name_looks_in_the_workspace_then_among_the_shipped_templates(workspace):
    """``default`` is the workspace's own copy when it has one, else the shipped one; paths resolve inside the workspace."""
    assert resolve_template_dir("evil", workspace) == workspace / "templates" / "evil"
    assert resolve_template_dir("default", workspace) == TEMPLATES_DIR / "default"
    shutil.copytree(TEMPLATES_DIR / "default", workspace / "templates" / "default")
    assert resolve_template_dir("default", workspace) == workspace / "templates" / "default"
    assert resolve_template_dir("templates/evil", workspace) == workspace / "templates" / "evil"
    with pytest.raises(DiagnosticsError, match=r"template folder 'nowhere' not found"):
        resolve_template_dir("nowhere", workspace)


# -- and a legitimate customisation still builds ----------------------------------------


def test_a_customised_template_still_builds(workspace, capsys):
    """A house template with its own heading wording, a loop, an include and a format builds as before."""
    template = workspace / "templates" / "evil"
    pack = template / "pack.html.j2"
    text = pack.read_text(encoding="utf-8").replace('<h1 id="overview">{{ t.overview }}</h1>', '<h1 id="overview">{% include "heading.html.j2" %}</h1>')
    pack.write_text(text, encoding="utf-8")
    (template / "heading.html.j2").write_text("{{ '%s at a glance'|format(entries|length) }} ({% for e in entries %}{{ loop.index }}{% endfor %})", encoding="utf-8")
    assert main(["build", "--quiet", "--template", "evil", "--format", "pdf"]) == 0
    assert capsys.readouterr().err == ""
    assert "2 at a glance (12)" in pdf_text((workspace / "output" / "2031-06-02_arden-river-talks.pdf").read_bytes())


def test_wording_or_style_linked_from_outside_the_template_folder_is_refused(tmp_path, monkeypatch, capsys):
    """A template folder whose strings/ru.yaml is a symbolic link to a file elsewhere must not read it."""
    workspace = tmp_path / "ws"
    shutil.copytree(Path(__file__).parent / "data" / "veloria", workspace)
    template = workspace / "templates" / "linked"
    shutil.copytree(TEMPLATES_DIR / "default", template)
    secret = tmp_path / "secret.yaml"
    secret.write_text("months: [SECRET]\n")
    (template / "strings" / "ru.yaml").unlink()
    os.symlink(secret, template / "strings" / "ru.yaml")
    monkeypatch.chdir(workspace)
    assert main(["build", "--quiet", "--template", "linked"]) == 1
    err = capsys.readouterr().err
    assert "templates/linked/strings/ru.yaml: error: ru.yaml leads outside templates/linked/ through a symbolic link" in err
    assert "SECRET" not in err and not (workspace / "output").exists()
