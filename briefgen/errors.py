"""Diagnostics and the exception tree: every problem briefgen reports has a location."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field


_SHOWN_AS_IS = {"Zs"}  # spaces print harmlessly; other separators and all "Other" categories do not


def printable(text: str) -> str:
    """Return ``text`` with control, format and other invisible characters escaped (\\x1b, \\u202e).

    Messages quote user input; a raw escape sequence or bidi override must not reach the
    terminal, and a line separator must not split one diagnostic into two lines.
    """
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() or unicodedata.category(c) in _SHOWN_AS_IS else repr(c)[1:-1] for c in text)


@dataclass(frozen=True, order=True)
class Location:
    """A place in a file: ``line`` and ``column`` are 1-based; 0 means unknown."""

    path: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if self.line:
            return f"{self.path}:{self.line}:{self.column or 1}"
        return self.path


@dataclass(frozen=True)
class Diagnostic:
    """One problem found in the input: where, how bad, what, and a stable code."""

    location: Location
    severity: str  # "error" | "warning"
    message: str
    code: str

    def __str__(self) -> str:
        return printable(f"{self.location}: {self.severity}: {self.message} [{self.code}]")

    @property
    def is_error(self) -> bool:
        """Whether this diagnostic stops a build."""
        return self.severity == "error"


def error(location: Location, message: str, code: str) -> Diagnostic:
    """Return an error diagnostic."""
    return Diagnostic(location, "error", message, code)


def warning(location: Location, message: str, code: str) -> Diagnostic:
    """Return a warning diagnostic."""
    return Diagnostic(location, "warning", message, code)


class BriefgenError(Exception):
    """Base of every exception briefgen raises on purpose."""


class UsageError(BriefgenError):
    """The command line asked for something impossible (exit code 2)."""


@dataclass
class DiagnosticsError(BriefgenError):
    """Input problems that stop the run, all gathered before raising."""

    diagnostics: list[Diagnostic] = field(default_factory=list)

    def __str__(self) -> str:
        return "\n".join(str(d) for d in self.diagnostics)


class TemplateError(BriefgenError):
    """A template failed to render or produced markup outside the supported subset."""


class OutputError(BriefgenError):
    """An output file could not be written."""


class RenderStopped(BriefgenError):
    """The process rendering a document ended before delivering it: killed, or out of memory."""
