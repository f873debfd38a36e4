"""The ``briefgen`` command line: check, build, new and schema.

The renderers (and with them python-docx and reportlab) are imported only by ``build``,
so ``briefgen check`` starts fast.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path

from . import __version__
from .errors import BriefgenError, Diagnostic, DiagnosticsError, UsageError

FORMATS = ("docx", "pdf")
SCHEMA_FILE = "statement.schema.json"


def _report(diagnostics: list[Diagnostic], *, quiet: bool = False) -> int:
    """Print diagnostics to stderr with a summary; return the exit code they call for."""
    for diagnostic in diagnostics:
        print(diagnostic, file=sys.stderr)
    errors = sum(d.is_error for d in diagnostics)
    warnings = len(diagnostics) - errors
    if diagnostics and not quiet:
        print(f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}", file=sys.stderr)
    return 1 if errors else 0


def _statement_paths(paths: list[str]) -> list[Path]:
    from .workspace import find_statements

    if not paths:
        if not Path("sources").is_dir():
            raise UsageError("no sources/ folder here: run briefgen in a workspace, or name statement files")
        paths = ["sources"]
    missing = [p for p in paths if not Path(p).exists()]
    if missing:
        raise UsageError(f"no such file or folder: {', '.join(missing)}")
    return find_statements([Path(p) for p in paths])


def _load_all(paths: list[str], strict: bool):
    from .workspace import load_statement

    loaded, diagnostics = [], []
    for path in _statement_paths(paths):
        statement, problems = load_statement(path, strict=strict)
        diagnostics += problems
        if statement is not None:
            loaded.append(statement)
    return loaded, diagnostics


def command_check(args: argparse.Namespace) -> int:
    """Validate statements and verify their citations; write nothing."""
    loaded, diagnostics = _load_all(args.paths, args.strict)
    code = _report(diagnostics, quiet=args.quiet)
    if code == 0 and not args.quiet:
        print(f"{len(loaded)} statement{'s' * (len(loaded) != 1)} checked: no errors")
    return code


def _parse_formats(text: str) -> list[str]:
    formats = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise UsageError(f"unknown format {', '.join(unknown) or '(none)'}; choose from {', '.join(FORMATS)}")
    return formats


def command_build(args: argparse.Namespace) -> int:
    """Check statements, then compose and render each into output files."""
    from .compose import compose_note, load_template_set, resolve_template_dir
    from .output import write_atomically

    formats = _parse_formats(args.format)
    loaded, diagnostics = _load_all(args.paths, args.strict)
    if _report(diagnostics, quiet=args.quiet):
        print("nothing written", file=sys.stderr)
        return 1
    templates = load_template_set(resolve_template_dir(args.template, Path.cwd()))
    renderers = _renderers(formats)
    out_dir = Path(args.out)
    files: dict[Path, bytes] = {}
    for statement in loaded:
        document = compose_note(statement, templates, author=args.author)
        for extension, render in renderers.items():
            files[out_dir / f"{statement.id}.{extension}"] = render(document)
    write_atomically(files)
    if not args.quiet:
        for path in files:
            print(f"wrote {path}")
    return 0


def _renderers(formats: list[str]):
    renderers = {}
    if "docx" in formats:
        from .render.docx import render_docx

        renderers["docx"] = render_docx
    if "pdf" in formats:
        from .render.pdf import render_pdf

        renderers["pdf"] = render_pdf
    return renderers


SKELETON = """\
# yaml-language-server: $schema={schema}
# A curated summary of one public statement. Fill in the values, then run: briefgen check
# Text with a colon, or text that YAML could read as a number or yes/no, goes in quotes.
title:                      # headline of the note
date:                       # when the statement was made: YYYY-MM-DD
speaker:
  name:                     # full name
  role:                     # office held, e.g. Minister of Foreign Affairs
  country:
event:                      # optional: delete this block if there was no event
  name:
  location:
source:
  publisher:                # who published it
  title:                    # headline of the published item
  url:                      # https://…
  published:                # YYYY-MM-DD
  accessed:                 # YYYY-MM-DD
  language: en              # en, ru, …: the language of the note
  text: texts/{id}.txt      # the full text, saved beside this file; quotes are checked against it
summary: >                  # the bottom line in one to three sentences
key_points:                 # at least one
  - point:                  # the point, in your words
    quote:                  # the speaker's exact words that support it
attendees: []               # - {{name: …, role: …, country: …}}
upcoming: []                # - {{date: YYYY-MM-DD (or YYYY-MM, YYYY), event: …, location: …, quote: …}}
proposals: []               # - {{proposal: …, by: …, status: proposed, quote: …}}
tags: []
comment:                    # optional: your own assessment, shown apart from what was said
"""


def command_new(args: argparse.Namespace) -> int:
    """Write a commented skeleton statement file, and the schema editors use to check it."""
    if not re.fullmatch(r"[a-z0-9][a-z0-9._-]*", args.id):
        raise UsageError(f"'{args.id}' is not a usable id: use lower-case letters, digits, '-', '_' and '.'")
    sources = Path("sources")
    target = sources / f"{args.id}.yaml"
    if target.exists():
        raise UsageError(f"{target} already exists; edit it, or choose another id")
    sources.mkdir(exist_ok=True)
    (sources / "texts").mkdir(exist_ok=True)
    schema_path = sources / SCHEMA_FILE
    if not schema_path.exists():
        schema_path.write_text(_schema_text(), encoding="utf-8")
    target.write_text(SKELETON.format(schema=SCHEMA_FILE, id=args.id), encoding="utf-8")
    print(f"wrote {target}; save the statement's text as sources/texts/{args.id}.txt")
    return 0


def _schema_text() -> str:
    from .models import Statement

    schema = Statement.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def command_schema(args: argparse.Namespace) -> int:
    """Print the JSON Schema of the statement file."""
    text = _schema_text()
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``briefgen`` command."""
    parser = argparse.ArgumentParser(
        prog="briefgen",
        description="Cited briefing notes (DOCX, PDF) from curated YAML summaries of public statements.",
        epilog="Diagnostics read path:line:col: severity: message [code]. Exit codes: 0 ok, 1 errors in the input, 2 usage.",
    )
    parser.add_argument("--version", action="version", version=f"briefgen {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    check = commands.add_parser("check", help="validate statements and verify quotes; write nothing", description=command_check.__doc__)
    build = commands.add_parser("build", help="build briefing notes into output/", description=command_build.__doc__)
    for sub in (check, build):
        sub.add_argument("paths", nargs="*", metavar="PATH", help="statement files or folders (default: sources/)")
        sub.add_argument("--strict", action="store_true", help="treat unverified citations (no source text) as errors")
        sub.add_argument("-q", "--quiet", action="store_true", help="print only problems")
    build.add_argument("--out", default="output", metavar="DIR", help="output folder (default: output)")
    build.add_argument("--format", default=",".join(FORMATS), metavar="LIST", help="comma-separated formats: docx,pdf (default: both)")
    build.add_argument("--template", default="default", metavar="DIR", help="template folder or name (default: default)")
    build.add_argument(
        "--author",
        default=os.environ.get("BRIEFGEN_AUTHOR", "briefgen"),
        help="author written into document properties (default: $BRIEFGEN_AUTHOR or 'briefgen')",
    )
    check.set_defaults(handler=command_check)
    build.set_defaults(handler=command_build)

    new = commands.add_parser("new", help="start a statement file from a commented skeleton", description=command_new.__doc__)
    new.add_argument("id", metavar="ID", help="statement id: the file becomes sources/ID.yaml")
    new.set_defaults(handler=command_new)

    schema = commands.add_parser("schema", help="print the JSON Schema of statement files", description=command_schema.__doc__)
    schema.add_argument("--out", metavar="FILE", help="write to FILE instead of standard output")
    schema.set_defaults(handler=command_schema)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line and return its exit code."""
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except UsageError as exc:
        print(f"briefgen: error: {exc}", file=sys.stderr)
        return 2
    except DiagnosticsError as exc:
        return _report(exc.diagnostics) or 1
    except BriefgenError as exc:
        print(f"briefgen: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
