"""Compiled templates are kept in a private folder of the user's cache and loaded instead of compiling again, and a cache that is unsafe, damaged or unwritable never changes or fails a build."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import jinja2
import pytest

from briefgen import template_cache
from briefgen.resources import TEMPLATES_DIR
from briefgen.sandbox import make_environment
from briefgen.template_cache import template_bytecode_cache


@pytest.fixture
def cache_home(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture
def compiled(monkeypatch) -> list[str]:
    """The names of the templates compiled from source."""
    names: list[str] = []
    compile_source = jinja2.Environment.compile

    def counting(self, source, name=None, filename=None, raw=False, defer_init=False):
        names.append(name)
        return compile_source(self, source, name, filename, raw, defer_init)

    monkeypatch.setattr(jinja2.Environment, "compile", counting)
    return names


def _render(folder: Path, name: str) -> str:
    """Render a template that needs no context from a fresh environment, as a new build would."""
    environment = make_environment(folder, {}, bytecode_cache=template_bytecode_cache())
    return environment.get_template(name).render()


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "template"
    folder.mkdir()
    (folder / "plain.txt.j2").write_text("{% for n in range(3) %}Ostrelia {{ n }} {% endfor %}")
    return folder


def test_a_second_build_loads_the_compiled_templates_instead_of_compiling(cache_home, compiled, tmp_path):
    folder = _folder(tmp_path)
    first = _render(folder, "plain.txt.j2")
    assert compiled == ["plain.txt.j2"]
    assert first == "Ostrelia 0 Ostrelia 1 Ostrelia 2 "
    assert _render(folder, "plain.txt.j2") == first
    assert compiled == ["plain.txt.j2"]  # loaded, not compiled again
    (cache_folder,) = (cache_home / "briefgen").iterdir()
    assert stat.S_IMODE(cache_folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((cache_home / "briefgen").stat().st_mode) == 0o700


def test_an_edited_template_is_compiled_again(cache_home, compiled, tmp_path):
    folder = _folder(tmp_path)
    _render(folder, "plain.txt.j2")
    (folder / "plain.txt.j2").write_text("Vardania")
    assert _render(folder, "plain.txt.j2") == "Vardania"
    assert compiled == ["plain.txt.j2", "plain.txt.j2"]


def test_the_shipped_templates_come_from_the_cache_on_the_second_build(cache_home, compiled):
    for _ in range(2):
        environment = make_environment(TEMPLATES_DIR / "default", {"longdate": str, "flexdate": str}, bytecode_cache=template_bytecode_cache())
        for name in ("pack.html.j2", "statement.html.j2", "macros.html.j2"):
            environment.get_template(name)
    assert sorted(compiled) == ["macros.html.j2", "pack.html.j2", "statement.html.j2"]


def test_a_damaged_cache_file_is_compiled_afresh(cache_home, compiled, tmp_path):
    folder = _folder(tmp_path)
    _render(folder, "plain.txt.j2")
    (cache_folder,) = (cache_home / "briefgen").iterdir()
    (cached,) = cache_folder.iterdir()
    whole = cached.read_bytes()
    for damaged in (whole[:12] + b"\x00garbage", whole[:-20], b""):  # a stray file, a write cut short, an empty file
        cached.write_bytes(damaged)
        assert _render(folder, "plain.txt.j2") == "Ostrelia 0 Ostrelia 1 Ostrelia 2 "
    assert len(compiled) == 4


def test_a_cache_that_cannot_be_written_is_skipped(cache_home, compiled, tmp_path, monkeypatch):
    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(template_cache.tempfile, "mkstemp", full_disk)
    folder = _folder(tmp_path)
    assert _render(folder, "plain.txt.j2") == _render(folder, "plain.txt.j2") == "Ostrelia 0 Ostrelia 1 Ostrelia 2 "
    assert len(compiled) == 2


@pytest.mark.parametrize("unsafe", ["open to others", "a link", "a file"])
def test_a_cache_folder_others_could_change_is_not_used(cache_home, unsafe, tmp_path):
    root = cache_home / "briefgen"
    if unsafe == "open to others":
        root.mkdir(parents=True, mode=0o700)
        os.chmod(root, 0o777)
    elif unsafe == "a link":
        elsewhere = tmp_path / "elsewhere"
        elsewhere.mkdir(mode=0o700)
        cache_home.mkdir()
        root.symlink_to(elsewhere)
    else:
        cache_home.mkdir()
        root.write_text("not a folder")
    assert template_bytecode_cache() is None


def test_the_cache_can_be_turned_off(cache_home, monkeypatch):
    monkeypatch.setenv("BRIEFGEN_NO_TEMPLATE_CACHE", "1")
    assert template_bytecode_cache() is None
    assert not cache_home.exists()


def test_code_compiled_under_another_jinja_is_kept_apart(cache_home, monkeypatch):
    first = template_bytecode_cache().folder
    monkeypatch.setattr(jinja2, "__version__", "0.0-other")
    assert template_bytecode_cache().folder != first
