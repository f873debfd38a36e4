"""Golden cases: each tests/cases/<name>.yaml is a statement with defects; <name>.expected
holds exactly the diagnostics `briefgen check` must print for it (the black model: one
parametrised test over many small files). To add a case, write the YAML and the lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from briefgen.cli import main

CASES = Path(__file__).parent / "cases"
NAMES = sorted(p.stem for p in CASES.glob("*.yaml"))


@pytest.mark.parametrize("name", NAMES)
def test_check_prints_expected_diagnostics(name, monkeypatch, capsys):
    monkeypatch.chdir(CASES)
    expected = (CASES / f"{name}.expected").read_text(encoding="utf-8").splitlines()
    code = main(["check", "--quiet", f"{name}.yaml"])
    printed = capsys.readouterr().err.splitlines()
    assert printed == expected
    has_error = any(": error: " in line for line in expected)
    assert code == (1 if has_error else 0)


def test_strict_turns_unverified_citations_into_errors(monkeypatch, capsys):
    monkeypatch.chdir(CASES)
    assert main(["check", "--strict", "--quiet", "unverified.yaml"]) == 1
    printed = capsys.readouterr().err.splitlines()
    assert printed and all(": error: citation is unverified" in line for line in printed)


@pytest.mark.parametrize("name", ["tampered-quote", "wrong-para", "typo-key", "country-no", "duplicate-key", "path-escape"])
def test_build_of_a_broken_statement_writes_nothing(name, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(CASES)
    out = tmp_path / "output"
    assert main(["build", "--quiet", "--out", str(out), f"{name}.yaml"]) == 1
    assert not out.exists()
    assert "nothing written" in capsys.readouterr().err
