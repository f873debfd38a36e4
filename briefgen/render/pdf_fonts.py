"""TrueType fonts that encode text for their subsets a string at a time where reportlab goes a character at a time.

Drawing text asks the font, for every run of a line, which subset each character is in
and its code there (reportlab's ``TTFont.splitString``); reportlab answers with a Python
loop over the characters, which took a sixteenth of a long pack's layout. Once a
character has a code it keeps it, so a run whose characters all have codes in one subset
is encoded by ``codecs.charmap_encode`` from a table of those codes, with the same bytes;
any other run (a character new to the document, or one from another subset) goes through
reportlab's loop as before.
"""

from __future__ import annotations

import weakref
from codecs import charmap_encode

from reportlab.pdfbase.ttfonts import TTFont

__all__ = ["TrueTypeFont"]

# reportlab draws a no-break space with the space's code.
_NO_BREAK_SPACE, _SPACE = 0xA0, 0x20


class TrueTypeFont(TTFont):
    """A reportlab TrueType font whose :meth:`splitString` answers runs of already-coded characters without a loop in Python."""

    def splitString(self, text: str, doc: object, encoding: str = "utf-8") -> list[tuple[int, bytes]]:  # noqa: N802 (reportlab's name)
        """Return ``text`` as (subset, codes) runs for document ``doc``, exactly as reportlab's ``TTFont.splitString`` does."""
        if type(text) is str and text:
            state = self._state_in(doc)
            if state is not None:
                for subset, codes in _coded_subsets(state).items():
                    try:
                        return [(subset, charmap_encode(text, "strict", codes)[0])]
                    except UnicodeEncodeError:
                        pass  # a character without a code in this subset
        return super().splitString(text, doc, encoding)

    def addObjects(self, doc: object) -> None:  # noqa: N802 (reportlab's name)
        """Add the font's subsets to ``doc`` as reportlab does, which also forgets the font's codes in it."""
        self.__dict__.pop("_briefgen_last_state", None)
        super().addObjects(doc)

    def _state_in(self, doc: object) -> TTFont.State | None:
        """Return the font's codes in ``doc``, if it has any yet."""
        # The document drawn last, remembered weakly: reportlab's WeakKeyDictionary
        # lookup cost as much as the encoding itself.
        last = self.__dict__.get("_briefgen_last_state")
        if last is not None and last[0]() is doc:
            return last[1]
        state = self.state.get(doc)
        if state is not None:
            self._briefgen_last_state = (weakref.ref(doc), state)
        return state


class _CodedSubsets(dict):
    """By subset number, each character with a code in it → its code, for ``codecs.charmap_encode``; built for a given number of assignments."""

    def __init__(self, assignments: dict[int, int]) -> None:
        super().__init__()
        self.assignment_count = len(assignments)
        for character, number in assignments.items():
            if character != _NO_BREAK_SPACE:  # never looked up: drawn as a space
                self.setdefault(number >> 8, {})[character] = number & 0xFF
        space = assignments.get(_SPACE)
        if space is not None:
            self.setdefault(space >> 8, {})[_NO_BREAK_SPACE] = space & 0xFF


def _coded_subsets(state: TTFont.State) -> _CodedSubsets:
    """Return the coded subsets of a font's state in a document, rebuilt when characters have been given codes since."""
    # Codes are only ever added (reportlab never takes one back), so the count tells when.
    subsets = state.__dict__.get("briefgen_coded_subsets")
    if subsets is None or subsets.assignment_count != len(state.assignments):
        subsets = state.briefgen_coded_subsets = _CodedSubsets(state.assignments)
    return subsets
