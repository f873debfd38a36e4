"""Unit tests of quote verification: normalisation, ellipses, paragraphs and near misses."""

from __future__ import annotations

import os
from pathlib import Path

from briefgen.citations import SourceText, normalise, split_paragraphs
from briefgen.workspace import check_relative_path

TEXT = """First paragraph says “hello — world”.

Second   paragraph
wraps over lines and says: we propose a joint commission, with a secretariat.

Third: «Мы предлагаем создать комиссию» — сказал министр.
"""


def test_normalise_unifies_quotes_dashes_whitespace_and_unicode_form():
    assert normalise("“a”  — ‘b’\u00a0…") == "\"a\" - 'b' ..."
    assert normalise("ﬁne") == "fine"  # NFKC ligature


def test_paragraphs_are_split_on_blank_lines_and_numbered_from_one():
    assert len(split_paragraphs(TEXT)) == 3
    source = SourceText.from_text(TEXT)
    assert source.paragraphs_holding('"hello - world"') == [1]
    assert source.paragraphs_holding("Second paragraph wraps over lines") == [2]
    assert source.paragraphs_holding("«Мы предлагаем создать комиссию» - сказал") == [3]


def test_an_ellipsis_stands_for_omitted_words_in_order():
    source = SourceText.from_text(TEXT)
    assert source.paragraphs_holding("we propose … with a secretariat") == [2]
    assert source.paragraphs_holding("we propose [...] a secretariat") == [2]
    assert source.paragraphs_holding("with a secretariat ... we propose") == []


def test_closest_paragraph_names_number_similarity_and_passage():
    source = SourceText.from_text(TEXT)
    number, similarity, passage = source.closest_paragraph("we propose a joint committee, with a secretariat")
    assert number == 2 and 0.85 < similarity < 1
    assert passage.startswith("we propose a joint comm")


def test_relative_paths_leaving_the_root_are_refused(tmp_path: Path):
    root = tmp_path / "sources"
    (root / "texts").mkdir(parents=True)
    (root / "texts" / "a.txt").write_text("x")
    assert check_relative_path("texts/a.txt", root, root)[0] == root / "texts" / "a.txt"
    for raw in ("../x.txt", "texts/../../x", "/etc/passwd", "C:\\Windows\\win.ini", "\\\\server\\share\\x", "a\x00b"):
        resolved, reason = check_relative_path(raw, root, root)
        assert resolved is None and reason, raw
    os.symlink("/etc", root / "texts" / "escape")
    resolved, reason = check_relative_path("texts/escape/passwd", root, root)
    assert resolved is None and "outside" in reason
