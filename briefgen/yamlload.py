"""Safe YAML loading that remembers where every key and value came from.

PyYAML's safe loader is used only to *compose* the node tree; briefgen constructs the
Python values itself so that it can refuse what YAML would silently accept: duplicate
keys, tags, anchors and aliases, and plain scalars that YAML 1.1 reads as booleans or
numbers (``NO``, ``on``, ``3.10``). Such scalars are kept as :class:`PlainScalar`, a
``str`` that records the type YAML would have given it, so the validator can reject them
in text fields and accept them where a number or date is expected.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import Diagnostic, Location, error, warning
from .glyphs import describe_character

#: Largest statement or pack file accepted; real ones are a few kilobytes.
MAX_FILE_BYTES = 1_000_000
#: Deepest nesting accepted; the formats need four levels.
MAX_DEPTH = 32

_YAML_TYPE_NAMES = {
    "tag:yaml.org,2002:bool": "bool",
    "tag:yaml.org,2002:int": "int",
    "tag:yaml.org,2002:float": "float",
    "tag:yaml.org,2002:timestamp": "timestamp",
}
_NULL_TAG = "tag:yaml.org,2002:null"
_STR_TAG = "tag:yaml.org,2002:str"

try:  # libyaml's composer is several times faster; both build the same node tree
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Loader = yaml.SafeLoader


class PlainScalar(str):
    """An unquoted scalar that YAML 1.1 would have read as ``yaml_type``, kept as its text."""

    yaml_type: str

    def __new__(cls, text: str, yaml_type: str) -> PlainScalar:
        scalar = super().__new__(cls, text)
        scalar.yaml_type = yaml_type
        return scalar


@dataclass
class LoadedYaml:
    """The values of one YAML file and the location of each key and value in it."""

    path: str
    data: Any
    value_positions: dict[tuple, tuple[int, int]] = field(default_factory=dict)
    """The 1-based (line, column) of each value, by its data path."""
    key_positions: dict[tuple, tuple[int, int]] = field(default_factory=dict)
    """The 1-based (line, column) of each mapping key, by the data path of its value."""

    def location_of(self, data_path: tuple, *, key: bool = False) -> Location:
        """Return the location of the value (or, with ``key``, the key) at ``data_path``.

        Falls back to the nearest enclosing value that has a location, so a missing key
        is reported where its mapping starts.
        """
        table = self.key_positions if key else self.value_positions
        if data_path in table:
            return Location(self.path, *table[data_path])
        for end in range(len(data_path) - 1, -1, -1):
            if data_path[:end] in self.value_positions:
                return Location(self.path, *self.value_positions[data_path[:end]])
        return Location(self.path, 1, 1)


class _Builder:
    """Turns a composed node tree into Python values, collecting diagnostics."""

    def __init__(self, display_path: str) -> None:
        self.result = LoadedYaml(display_path, None)
        self.diagnostics: list[Diagnostic] = []
        self._seen_nodes: set[int] = set()
        self.alias_found = False

    def location(self, node: yaml.Node) -> Location:
        return Location(self.result.path, *self.position(node))

    @staticmethod
    def position(node: yaml.Node) -> tuple[int, int]:
        # Every key and value gets a position; Locations are made only for the few reported.
        mark = node.start_mark
        return mark.line + 1, mark.column + 1

    def build(self, node: yaml.Node, data_path: tuple, depth: int) -> Any:
        self.result.value_positions[data_path] = self.position(node)
        if id(node) in self._seen_nodes:
            # The composer shares one node between an anchor and its aliases; the caller
            # reports where the alias is written.
            self.alias_found = True
            return None
        self._seen_nodes.add(id(node))
        if depth > MAX_DEPTH:
            self.diagnostics.append(error(self.location(node), f"nested more than {MAX_DEPTH} levels deep", "yaml-too-deep"))
            return None
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node)
        if isinstance(node, yaml.SequenceNode):
            self.refuse_explicit_tag(node, "tag:yaml.org,2002:seq")
            return [self.build(item, data_path + (index,), depth + 1) for index, item in enumerate(node.value)]
        self.refuse_explicit_tag(node, "tag:yaml.org,2002:map")
        return self.mapping(node, data_path, depth)

    def refuse_explicit_tag(self, node: yaml.Node, expected: str) -> None:
        if node.tag != expected:
            shown = node.tag.replace("tag:yaml.org,2002:", "!!")
            self.diagnostics.append(
                error(self.location(node), f"YAML tag '{shown}' is not allowed; remove it", "yaml-tag")
            )

    def scalar(self, node: yaml.ScalarNode) -> Any:
        if node.style:  # quoted or block scalar: always text (plain style is None or "")
            if node.tag != _STR_TAG:
                self.refuse_explicit_tag(node, _STR_TAG)
            return node.value
        if node.tag == _NULL_TAG:
            return None
        if node.tag == _STR_TAG:
            return node.value
        if node.tag in _YAML_TYPE_NAMES:
            # Resolved implicitly, or tagged !!int and the like: keep the text either way.
            return PlainScalar(node.value, _YAML_TYPE_NAMES[node.tag])
        self.refuse_explicit_tag(node, _STR_TAG)
        return node.value

    def mapping(self, node: yaml.MappingNode, data_path: tuple, depth: int) -> dict:
        values: dict[Any, Any] = {}
        first_seen: dict[Any, tuple[int, int]] = {}
        for key_node, value_node in node.value:
            key_position = self.position(key_node)
            if not isinstance(key_node, yaml.ScalarNode):
                self.diagnostics.append(error(self.location(key_node), "a key must be plain text", "yaml-key"))
                continue
            if key_node.tag == "tag:yaml.org,2002:merge":
                self.diagnostics.append(error(self.location(key_node), "merge keys (<<) are not supported; write the keys out", "yaml-merge"))
                continue
            key = key_node.value
            if key in first_seen:
                message = f"duplicate key '{key}' (first defined at line {first_seen[key][0]})"
                self.diagnostics.append(error(self.location(key_node), message, "duplicate-key"))
                continue
            first_seen[key] = key_position
            self.result.key_positions[data_path + (key,)] = key_position
            values[key] = self.build(value_node, data_path + (key,), depth + 1)
        return values


def _decode(raw: bytes, display_path: str) -> tuple[str | None, list[Diagnostic]]:
    """Decode UTF-8 (a leading BOM allowed), reporting the first undecodable byte."""
    try:
        return raw.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        good = raw[: exc.start].decode("utf-8-sig", errors="replace")
        line = good.count("\n") + 1
        column = len(good) - (good.rfind("\n") + 1) + 1
        message = f"not valid UTF-8 (byte 0x{raw[exc.start]:02x}); save the file as UTF-8"
        return None, [error(Location(display_path, line, column), message, "encoding")]


#: Characters a YAML stream may not hold (YAML 1.1 allows tab, LF, CR, NEL and printable
#: Unicode), which also covers every character XML cannot hold.
_YAML_UNACCEPTABLE = re.compile("[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _unacceptable_characters(text: str, display_path: str, strip: bool) -> tuple[str, list[Diagnostic]]:
    """Report (or, with ``strip``, remove) raw characters YAML refuses, each at its line and column."""
    diagnostics = []
    for match in _YAML_UNACCEPTABLE.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        column = match.start() - (text.rfind("\n", 0, match.start()) + 1) + 1
        name = describe_character(match.group())
        if strip:
            diagnostics.append(warning(Location(display_path, line, column), f"removed {name}, which documents cannot hold", "invalid-character"))
        else:
            message = f"the file contains {name}, which documents cannot hold; delete it, or build with --strip-invalid"
            diagnostics.append(error(Location(display_path, line, column), message, "invalid-character"))
    return (_YAML_UNACCEPTABLE.sub("", text) if strip else text), diagnostics


def parse_yaml(text: str, display_path: str, *, strip_invalid: bool = False) -> tuple[LoadedYaml, list[Diagnostic]]:
    """Parse YAML ``text`` into values with locations; diagnostics say what was refused."""
    builder = _Builder(display_path)
    text, refused = _unacceptable_characters(text, display_path, strip_invalid)
    if any(d.is_error for d in refused):
        return builder.result, refused
    result, diagnostics = _parse_clean(text, display_path, builder)
    return result, refused + diagnostics


def _parse_clean(text: str, display_path: str, builder: _Builder) -> tuple[LoadedYaml, list[Diagnostic]]:
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        location = Location(display_path, mark.line + 1, mark.column + 1) if mark else Location(display_path)
        problem = " ".join((exc.problem or "cannot read").split())
        if exc.context and exc.context_mark and exc.context_mark is not mark:
            problem += f" ({' '.join(exc.context.split())} that starts at line {exc.context_mark.line + 1})"
        return builder.result, [error(location, f"YAML syntax: {problem}", "yaml-syntax")]
    except yaml.YAMLError as exc:  # not located by PyYAML; one line, so each problem stays one line
        return builder.result, [error(Location(display_path, 1, 1), f"YAML: {' '.join(str(exc).split())}", "yaml-syntax")]
    except RecursionError:
        return builder.result, [error(Location(display_path, 1, 1), "nested too deeply to read", "yaml-too-deep")]
    if node is None:
        return builder.result, [error(Location(display_path, 1, 1), "the file is empty", "empty-file")]
    builder.result.data = builder.build(node, (), 0)
    if builder.alias_found:
        builder.diagnostics.extend(_alias_diagnostics(text, display_path))
    return builder.result, builder.diagnostics


def _alias_diagnostics(text: str, display_path: str) -> list[Diagnostic]:
    """Locate each alias (``*name``) in ``text``; only called when the tree shares nodes."""
    found = []
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.AliasEvent):
            location = Location(display_path, event.start_mark.line + 1, event.start_mark.column + 1)
            message = f"aliases (*{event.anchor}) are not supported; write the value out in full"
            found.append(error(location, message, "yaml-alias"))
    return found


def load_yaml_file(path: Path, display_path: str, *, strip_invalid: bool = False) -> tuple[LoadedYaml, list[Diagnostic]]:
    """Read and parse the YAML file at ``path``; ``display_path`` is how messages name it."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            message = f"file is {size:,} bytes; the limit is {MAX_FILE_BYTES:,} (split it, or move long text to sources/texts/)"
            return LoadedYaml(display_path, None), [error(Location(display_path), message, "file-too-large")]
        raw = path.read_bytes()
    except OSError as exc:
        return LoadedYaml(display_path, None), [error(Location(display_path), f"cannot read: {exc.strerror}", "unreadable")]
    text, problems = _decode(raw, display_path)
    if text is None:
        return LoadedYaml(display_path, None), problems
    return parse_yaml(text, display_path, strip_invalid=strip_invalid)
