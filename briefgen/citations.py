"""Verification of quotes against a statement's source text.

Quotes and source are compared after normalisation (Unicode NFKC, one kind of quote
mark, one kind of dash, collapsed whitespace), so typography copied from a web page does
not make a faithful quote fail. An ellipsis (``...``, ``…`` or ``[…]``) in a quote
stands for omitted words: the parts around it must occur in that order in one paragraph.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache

_DOUBLE_QUOTES = "“”„‟«»″〝〞＂"
_SINGLE_QUOTES = "‘’‚‛′‹›`´"
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"
_UNIFORM_MARKS = str.maketrans({c: '"' for c in _DOUBLE_QUOTES} | {c: "'" for c in _SINGLE_QUOTES} | {c: "-" for c in _DASHES})
# str.translate looks each character up in a dict; most paragraphs hold none of these marks.
_ANY_MARK = re.compile(f"[{re.escape(_DOUBLE_QUOTES + _SINGLE_QUOTES + _DASHES)}]")
_ELLIPSIS = re.compile(r"\s*(?:\[\s*(?:\.\.\.|…)\s*\]|\.\.\.|…)\s*")
_PARAGRAPH_BREAK = re.compile(r"\n[ \t\r\f\v]*\n")


def normalise(text: str) -> str:
    """Return ``text`` with Unicode form, quote marks, dashes and whitespace made uniform."""
    text = unicodedata.normalize("NFKC", text)
    if _ANY_MARK.search(text):
        text = text.translate(_UNIFORM_MARKS)
    # str.split() splits at exactly the characters the regular expression \s matches.
    return " ".join(text.split())


def split_paragraphs(text: str) -> list[str]:
    """Split a source text into its blank-line-separated paragraphs (empty ones dropped)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return [part.strip() for part in _PARAGRAPH_BREAK.split(text) if part.strip()]


@dataclass(frozen=True)
class SourceText:
    """A statement's full text, split into numbered paragraphs and normalised for search."""

    paragraphs: tuple[str, ...]
    normalised: tuple[str, ...]

    @classmethod
    def from_text(cls, text: str) -> SourceText:
        """Split and normalise a source text (once per text, however many statements cite it)."""
        return _split_and_normalise(text)

    def paragraphs_holding(self, quote: str) -> list[int]:
        """Return the 1-based numbers of the paragraphs that hold ``quote``."""
        pieces = [piece for piece in _ELLIPSIS.split(normalise(quote)) if piece]
        return [number for number, paragraph in enumerate(self.normalised, 1) if pieces and _holds_in_order(paragraph, pieces)]

    def closest_paragraph(self, quote: str) -> tuple[int, float, str]:
        """Return the paragraph most like ``quote``: its number, similarity (0–1) and the passage that matched best."""
        wanted = _ELLIPSIS.sub(" ", normalise(quote))
        best = (0, 0.0, "")
        for number, paragraph in enumerate(self.normalised, 1):
            matcher = SequenceMatcher(None, wanted, paragraph, autojunk=False)
            blocks = [block for block in matcher.get_matching_blocks() if block.size]
            matched = sum(block.size for block in blocks)
            similarity = matched / max(len(wanted), 1)
            if similarity > best[1] and blocks:
                start, end = blocks[0].b, blocks[-1].b + blocks[-1].size
                best = (number, similarity, paragraph[start:end])
        return best


@lru_cache(maxsize=64)
def _split_and_normalise(text: str) -> SourceText:
    # Keyed by the text itself, not its file: an edited file is simply a new key.
    paragraphs = tuple(split_paragraphs(text))
    return SourceText(paragraphs, tuple(normalise(p) for p in paragraphs))


def _holds_in_order(paragraph: str, pieces: list[str]) -> bool:
    position = 0
    for piece in pieces:
        found = paragraph.find(piece, position)
        if found < 0:
            return False
        position = found + len(piece)
    return True
