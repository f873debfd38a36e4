"""What makes a one-note build start fast may not change what it writes.

The shipped fonts lie ready in the package in the form a .docx stores them (obfuscated,
deflated); those files must hold exactly that, be used only for the font they were made
from, and give the same .docx as deflating the fonts afresh.
"""

from __future__ import annotations

import io
import zipfile
import zlib

import pytest
from conftest import make_sample_document

from briefgen.render import docx_fonts
from briefgen.render.docx import render_docx
from briefgen.render.docx_fonts import deflated_font_path, font_key, obfuscate, shipped_deflated_font
from briefgen.render.docx_package import deflate
from briefgen.resources import FONTS_DIR, SHIPPED_FAMILIES

SHIPPED_FONTS = sorted(FONTS_DIR / name for family in SHIPPED_FAMILIES.values() for name in family)


@pytest.mark.parametrize("font", SHIPPED_FONTS, ids=lambda font: font.name)
def test_each_shipped_font_lies_ready_for_its_current_contents(font):
    data = font.read_bytes()
    key = font_key(data)
    deflated = shipped_deflated_font(font, key)
    assert deflated is not None, f"{deflated_font_path(font).name} is missing or stale: run python -m briefgen.render.docx_fonts"
    assert zlib.decompress(deflated, -15) == obfuscate(data, key)


@pytest.mark.parametrize("font", SHIPPED_FONTS, ids=lambda font: font.name)
def test_ready_font_is_what_this_zlib_would_write(font):
    header = deflated_font_path(font).read_bytes().partition(b"\n")[0].decode("ascii")
    made_with = header.split(" zlib ")[1]
    if made_with != zlib.ZLIB_RUNTIME_VERSION:
        pytest.skip(f"made with zlib {made_with}, this is {zlib.ZLIB_RUNTIME_VERSION}: both deflate validly, maybe differently")
    data = font.read_bytes()
    key = font_key(data)
    assert shipped_deflated_font(font, key) == deflate(obfuscate(data, key))


def test_ready_font_is_refused_for_another_font_or_a_file_outside_the_package(tmp_path):
    font = SHIPPED_FONTS[0]
    other_key = font_key(SHIPPED_FONTS[1].read_bytes())
    assert shipped_deflated_font(font, other_key) is None  # stale: made from other contents
    copy = tmp_path / font.name
    copy.write_bytes(font.read_bytes())
    deflated_font_path(copy).write_bytes(deflated_font_path(font).read_bytes())
    assert shipped_deflated_font(copy, font_key(copy.read_bytes())) is None


def test_docx_is_the_same_with_fonts_deflated_afresh(monkeypatch):
    document = make_sample_document()
    ready = render_docx(document)
    monkeypatch.setattr(docx_fonts, "shipped_deflated_font", lambda font, key: None)
    assert render_docx(document) == ready
    with zipfile.ZipFile(io.BytesIO(ready)) as archive:
        assert archive.testzip() is None
        assert sum(name.startswith("word/fonts/") for name in archive.namelist()) == 8
