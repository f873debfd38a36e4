"""Which characters briefgen can put on a page: XML's rules and the shipped fonts' glyphs.

The fonts' character maps are read straight from the TrueType ``cmap`` table, so that
``briefgen check`` can tell a user about a character no font can show without importing
reportlab.
"""

from __future__ import annotations

import re
import struct
import unicodedata
from functools import lru_cache

from .resources import FONTS_DIR, SHIPPED_FAMILIES

#: Characters XML 1.0 cannot hold: C0 controls other than tab, newline and carriage
#: return, the non-characters U+FFFE and U+FFFF, and surrogates (only ever lone in str).
XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")

#: Characters that need no glyph: line and paragraph breaks and tabs become layout.
_LAYOUT = frozenset("\t\n\r")


def describe_character(char: str) -> str:
    """Return 'U+4E2D (CJK UNIFIED IDEOGRAPH-4E2D)' for a character, naming it where Unicode does."""
    fallback = {"Cc": "control character", "Cs": "lone surrogate", "Cn": "noncharacter or unassigned", "Co": "private use"}
    name = unicodedata.name(char, "") or fallback.get(unicodedata.category(char), "unnamed")
    return f"U+{ord(char):04X} ({name})"


def _cmap_code_points(font: bytes) -> set[int]:
    """Return the code points mapped to a glyph by a TrueType font's Unicode cmap subtables."""
    table_count = struct.unpack_from(">H", font, 4)[0]
    tables = {font[12 + 16 * i : 16 + 16 * i]: struct.unpack_from(">II", font, 20 + 16 * i) for i in range(table_count)}
    cmap_offset, _ = tables[b"cmap"]
    subtable_count = struct.unpack_from(">H", font, cmap_offset + 2)[0]
    points: set[int] = set()
    for index in range(subtable_count):
        platform, encoding, offset = struct.unpack_from(">HHI", font, cmap_offset + 4 + 8 * index)
        if (platform, encoding) not in ((3, 1), (3, 10), (0, 3), (0, 4)):
            continue
        start = cmap_offset + offset
        subtable_format = struct.unpack_from(">H", font, start)[0]
        if subtable_format == 4:
            points |= _format4(font, start)
        elif subtable_format == 12:
            points |= _format12(font, start)
    return points


def _format4(font: bytes, start: int) -> set[int]:
    segments = struct.unpack_from(">H", font, start + 6)[0] // 2
    ends = struct.unpack_from(f">{segments}H", font, start + 14)
    starts = struct.unpack_from(f">{segments}H", font, start + 16 + 2 * segments)
    deltas = struct.unpack_from(f">{segments}h", font, start + 16 + 4 * segments)
    range_offsets_at = start + 16 + 6 * segments
    range_offsets = struct.unpack_from(f">{segments}H", font, range_offsets_at)
    points = set()
    for segment, (first, last) in enumerate(zip(starts, ends)):
        for code in range(first, min(last, 0xFFFE) + 1):
            if range_offsets[segment] == 0:
                glyph = (code + deltas[segment]) & 0xFFFF
            else:
                address = range_offsets_at + 2 * segment + range_offsets[segment] + 2 * (code - first)
                glyph = struct.unpack_from(">H", font, address)[0]
                glyph = (glyph + deltas[segment]) & 0xFFFF if glyph else 0
            if glyph:
                points.add(code)
    return points


def _format12(font: bytes, start: int) -> set[int]:
    groups = struct.unpack_from(">I", font, start + 12)[0]
    points = set()
    for group in range(groups):
        first, last, glyph = struct.unpack_from(">III", font, start + 16 + 12 * group)
        points.update(range(first if glyph else first + 1, last + 1))
    return points


@lru_cache(maxsize=1)
def shipped_coverage() -> frozenset[int]:
    """Return the code points every face of every shipped font family can show."""
    coverage: set[int] | None = None
    for files in SHIPPED_FAMILIES.values():
        for name in files:
            points = _cmap_code_points((FONTS_DIR / name).read_bytes())
            coverage = points if coverage is None else coverage & points
    return frozenset(coverage or ())


def unshowable(text: str) -> list[str]:
    """Return, once each and in order, the characters of ``text`` the shipped fonts cannot show."""
    coverage = shipped_coverage()
    # Each distinct character once, in order of first use: a long text repeats most of them.
    return [char for char in dict.fromkeys(text) if ord(char) not in coverage and char not in _LAYOUT and not XML_INVALID.match(char)]
