"""Renderers: each turns a :class:`briefgen.document.Document` into the bytes of one format.

reportlab, when first imported, runs ``reportlab_mods`` and ``reportlab_settings`` modules
found on ``sys.path`` (under ``python -m briefgen`` that includes the working folder, the
workspace) and the files ``~/.reportlab_mods`` and ``~/.reportlab_settings``: code and
settings from outside a build's inputs, which could change the PDF or run anything at all.
Empty stand-ins registered under those names first keep reportlab to its shipped settings.
"""

import sys
import types

if "reportlab" not in sys.modules:  # once reportlab is imported, its configuration is settled
    for _name in ("reportlab_mods", "reportlab_settings"):
        sys.modules.setdefault(_name, types.ModuleType(_name, "stand-in: briefgen renders with reportlab's own settings"))
