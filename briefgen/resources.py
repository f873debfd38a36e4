"""Locations of the fonts and templates that ship inside the package."""

from __future__ import annotations

from pathlib import Path

from .document import FontFamily

PACKAGE_DIR = Path(__file__).resolve().parent
FONTS_DIR = PACKAGE_DIR / "fonts"
TEMPLATES_DIR = PACKAGE_DIR / "templates"

#: Shipped families by name, each style's file name inside :data:`FONTS_DIR`.
SHIPPED_FAMILIES = {
    "PT Serif": ("PTSerif-Regular.ttf", "PTSerif-Bold.ttf", "PTSerif-Italic.ttf", "PTSerif-BoldItalic.ttf"),
    "PT Sans": ("PTSans-Regular.ttf", "PTSans-Bold.ttf", "PTSans-Italic.ttf", "PTSans-BoldItalic.ttf"),
}


def shipped_family(name: str) -> FontFamily:
    """Return the shipped font family called ``name`` with absolute file paths."""
    regular, bold, italic, bold_italic = (str(FONTS_DIR / f) for f in SHIPPED_FAMILIES[name])
    return FontFamily(name, regular, bold, italic, bold_italic)
