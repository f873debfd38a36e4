"""Unit tests of the located YAML loader: what it refuses and where it says the problem is."""

from __future__ import annotations

from briefgen.errors import Location
from briefgen.yamlload import PlainScalar, load_yaml_file, parse_yaml


def codes(text: str) -> list[str]:
    return [d.code for d in parse_yaml(text, "t.yaml")[1]]


def test_plain_scalars_keep_their_text_and_remember_the_yaml_type():
    loaded, problems = parse_yaml("a: NO\nb: 3.10\nc: 2024-05-16\nd: 'NO'\ne:\n", "t.yaml")
    assert problems == []
    assert loaded.data == {"a": "NO", "b": "3.10", "c": "2024-05-16", "d": "NO", "e": None}
    assert isinstance(loaded.data["a"], PlainScalar) and loaded.data["a"].yaml_type == "bool"
    assert loaded.data["b"].yaml_type == "float"
    assert not isinstance(loaded.data["d"], PlainScalar)


def test_locations_of_keys_and_values_are_one_based():
    loaded, _ = parse_yaml("top:\n  - name: x\n    role: y\n", "t.yaml")
    assert loaded.location_of(("top", 0, "role")) == Location("t.yaml", 3, 11)
    assert loaded.location_of(("top", 0, "role"), key=True) == Location("t.yaml", 3, 5)
    # A missing key is reported where its mapping starts.
    assert loaded.location_of(("top", 0, "missing")) == Location("t.yaml", 2, 5)


def test_duplicate_keys_tags_aliases_and_merge_keys_are_refused():
    assert codes("a: 1\na: 2\n") == ["duplicate-key"]
    assert codes("a: !!python/object/apply:os.system [ls]\n") == ["yaml-tag"]
    assert codes("a: &x [1]\nb: *x\n") == ["yaml-alias"]
    assert codes("a: &x {k: 1}\nb:\n  <<: *x\n") == ["yaml-merge"]


def test_alias_bomb_is_refused_without_expansion():
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    for level in range(1, 12):
        previous = chr(ord("a") + level - 1)
        name = chr(ord("a") + level)
        lines.append(f"{name}: &{name} [{','.join(['*' + previous] * 9)}]")
    found = codes("\n".join(lines) + "\n")
    assert found and set(found) == {"yaml-alias"}


def test_syntax_errors_and_empty_files_are_located():
    loaded, problems = parse_yaml("a: [1, 2\nb: 3\n", "t.yaml")
    assert problems[0].code == "yaml-syntax" and problems[0].location.line >= 1
    assert codes("") == ["empty-file"]
    assert codes("# only a comment\n") == ["empty-file"]


def test_deep_nesting_is_refused():
    assert "yaml-too-deep" in codes("a: " + "[" * 40 + "]" * 40 + "\n")


def test_bom_and_crlf_are_accepted_and_bad_bytes_are_located(tmp_path):
    good = tmp_path / "good.yaml"
    good.write_bytes("\ufeffa: x\r\nb: y\r\n".encode())
    loaded, problems = load_yaml_file(good, "good.yaml")
    assert problems == [] and loaded.data == {"a": "x", "b": "y"}
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(b"a: x\nb: caf\xe9\n")
    _, problems = load_yaml_file(bad, "bad.yaml")
    assert [str(p) for p in problems] == ["bad.yaml:2:7: error: not valid UTF-8 (byte 0xe9); save the file as UTF-8 [encoding]"]


def test_oversized_files_are_refused_before_reading(tmp_path):
    big = tmp_path / "big.yaml"
    big.write_bytes(b"a: " + b"x" * 1_100_000 + b"\n")
    _, problems = load_yaml_file(big, "big.yaml")
    assert [p.code for p in problems] == ["file-too-large"]
