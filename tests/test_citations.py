"""Unit tests of quote verification: normalisation, ellipses, paragraphs and near misses."""

from __future__ import annotations

import os
import re
import sys
import unicodedata
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

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


def reference_normalise(text: str) -> str:
    """normalise as first written: one regular expression per step, kept as the oracle of the quick version."""
    marks = str.maketrans({c: '"' for c in "“”„‟«»″〝〞＂"} | {c: "'" for c in "‘’‚‛′‹›`´"})
    text = unicodedata.normalize("NFKC", text).translate(marks)
    text = re.sub("[\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d]", "-", text)
    return re.sub(r"\s+", " ", text).strip()


SPACES = [chr(code) for code in range(sys.maxunicode + 1) if chr(code).isspace() or re.match(r"\s", chr(code))]


@given(st.lists(st.one_of(st.text(max_size=6), st.sampled_from(SPACES + list("“”«»‘’`´—–‐−－…ﬁ"))), max_size=12).map("".join))
@settings(max_examples=300, deadline=None)
def test_normalise_matches_its_reference(text):
    assert normalise(text) == reference_normalise(text)


def test_a_source_text_is_split_once_however_often_it_is_cited():
    assert SourceText.from_text(TEXT) is SourceText.from_text(TEXT)
    assert SourceText.from_text(TEXT + "\n\nFourth.").paragraphs[-1] == "Fourth."


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
