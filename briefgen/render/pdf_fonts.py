"""TrueType fonts that encode text for their subsets a string at a time where reportlab goes a character at a time.

Drawing text asks the font, for every run of a line, which subset each character is in
and its code there (reportlab's ``TTFont.splitString``); reportlab answers with a Python
loop over the characters, which took a sixteenth of a long pack's layout. Once a
character has a code it keeps it, so a run whose characters all have codes in one subset
is answered by ``str.translate`` with the same bytes; any other run (a character new to
the document, or one from another subset) goes through reportlab's loop as before.
"""

from __future__ import annotations

from reportlab.pdfbase.ttfonts import TTFont

__all__ = ["TrueTypeFont"]

# reportlab draws a no-break space with the space's code.
_NO_BREAK_SPACE, _SPACE = 0xA0, 0x20


class TrueTypeFont(TTFont):
    """A reportlab TrueType font whose :meth:`splitString` answers runs of already-coded characters without a loop in Python."""

    def splitString(self, text: str, doc: object, encoding: str = "utf-8") -> list[tuple[int, bytes]]:  # noqa: N802 (reportlab's name)
        """Return ``text`` as (subset, codes) runs for document ``doc``, exactly as reportlab's ``TTFont.splitString`` does."""
        state = self.state.get(doc)
        if state is None or type(text) is not str or not text:
            return super().splitString(text, doc, encoding)
        subsets = _coded_subsets(state)
        characters = set(text)
        for subset, (coded, codes) in subsets.items():
            if characters <= coded:
                return [(subset, text.translate(codes).encode("latin-1"))]
        return super().splitString(text, doc, encoding)


class _CodedSubsets(dict):
    """By subset number: the characters with a code in that subset, and a ``str.translate`` table from each to its code; built for a given number of assignments."""

    def __init__(self, assignments: dict[int, int]) -> None:
        super().__init__()
        self.assignment_count = len(assignments)
        for character, number in assignments.items():
            if character != _NO_BREAK_SPACE:  # never looked up: drawn as a space
                self._add(number >> 8, chr(character), character, number & 0xFF)
        space = assignments.get(_SPACE)
        if space is not None:
            self._add(space >> 8, chr(_NO_BREAK_SPACE), _NO_BREAK_SPACE, space & 0xFF)

    def _add(self, subset: int, character: str, code_point: int, code: int) -> None:
        coded, codes = self.setdefault(subset, (set(), {}))
        coded.add(character)
        codes[code_point] = code


def _coded_subsets(state: TTFont.State) -> _CodedSubsets:
    """Return the coded subsets of a font's state in a document, rebuilt when characters have been given codes since."""
    # Codes are only ever added (reportlab never takes one back), so the count tells when.
    subsets = state.__dict__.get("briefgen_coded_subsets")
    if subsets is None or subsets.assignment_count != len(state.assignments):
        subsets = state.briefgen_coded_subsets = _CodedSubsets(state.assignments)
    return subsets
