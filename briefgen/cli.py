"""The ``briefgen`` command line: check, build, new and schema.

The renderers (and with them python-docx and reportlab) are imported only by ``build``,
so ``briefgen check`` starts fast.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import gc
import json
import os
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from . import __version__
from .errors import BriefgenError, Diagnostic, DiagnosticsError, UsageError, printable
from .output import write_atomically

if TYPE_CHECKING:
    from .forked import Worker

FORMATS = ("docx", "pdf", "ics", "eml", "md")
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
    for raw in paths:
        _refuse_outside_workspace(raw)
    missing = [p for p in paths if not Path(p).exists()]
    if missing:
        raise UsageError(f"no such file or folder: {', '.join(missing)}")
    found = find_statements([Path(p) for p in paths])
    for path in found:
        _refuse_outside_workspace(str(path))
    return found


def _refuse_outside_workspace(raw: str) -> None:
    """Raise a UsageError for a path that is absolute or leads outside the working folder."""
    from .workspace import check_relative_path

    workspace = Path.cwd()
    resolved, refusal = check_relative_path(raw, workspace, workspace)
    if resolved is None:
        shown = raw.replace("\x00", "\\0")
        raise UsageError(f"'{shown}' {refusal}; name files inside the workspace ({workspace}) by relative paths")


def _load_all(paths: list[str], args: argparse.Namespace):
    from .workspace import load_statement

    loaded, diagnostics = [], []
    for path in _statement_paths(paths):
        statement, problems = load_statement(path, strict=args.strict, strip_invalid=args.strip_invalid)
        diagnostics += problems
        if statement is not None:
            loaded.append(statement)
    return loaded, diagnostics


def command_check(args: argparse.Namespace) -> int:
    """Validate the pack and statements and verify their citations; write nothing."""
    from .workspace import load_pack

    paths = list(args.paths) or (["briefing.yaml", "sources"] if Path("briefing.yaml").is_file() else [])
    diagnostics: list[Diagnostic] = []
    checked: set[Path] = set()
    for pack_path in [p for p in paths if _is_pack_file(p)]:
        _refuse_outside_workspace(pack_path)
        if not Path(pack_path).is_file():
            raise UsageError(f"no such file: {pack_path}")
        pack, problems = load_pack(Path(pack_path), strict=args.strict, strip_invalid=args.strip_invalid)
        diagnostics += problems
        if pack is not None:
            checked.update(s.path.resolve() for s in pack.statements)
    statement_args = [p for p in paths if not _is_pack_file(p)]
    loaded, problems = _load_all(statement_args, args) if statement_args or not paths else ([], [])
    checked.update(s.path.resolve() for s in loaded)
    # A statement named by the pack and found in sources/ is checked twice but reported once.
    diagnostics = list(dict.fromkeys(diagnostics + problems))
    code = _report(diagnostics, quiet=args.quiet)
    if code == 0 and not args.quiet:
        print(f"{len(checked)} statement{'s' * (len(checked) != 1)} checked: no errors")
    return code


def _parse_formats(text: str) -> list[str]:
    formats = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise UsageError(f"unknown format {', '.join(unknown) or '(none)'}; choose from {', '.join(FORMATS)}")
    return formats


def _is_pack_file(path: str) -> bool:
    """Whether ``path`` names a pack file: briefing.yaml, or any briefing*.yaml."""
    name = Path(path).name
    return name.startswith("briefing") and name.endswith((".yaml", ".yml"))


class _Progress:
    """A progress bar on a terminal; silent under --quiet or when output is not a terminal."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.bar = None
        if enabled:
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            self.bar = Progress(TextColumn("{task.description:<28}"), BarColumn(), TimeElapsedColumn(), transient=True)
            self.task = self.bar.add_task("building", total=total)

    def __enter__(self) -> _Progress:
        if self.bar:
            self.bar.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.bar:
            self.bar.stop()

    def step(self, description: str) -> None:
        """Report that the step called ``description`` is starting."""
        if self.bar:
            self.bar.update(self.task, description=description, advance=1)


def command_build(args: argparse.Namespace) -> int:
    """Check, then build packs (briefing*.yaml) and statement notes into output files."""
    from .pdf_worker import start_pdf_worker

    # What is alive now lives as long as the process (the modules imported): frozen, the
    # collections while loading, composing and rendering, here and in the worker forked
    # next, leave it out instead of walking it every time.
    gc.freeze()
    try:
        # Started before anything is loaded, so that it never holds the loaded workspace,
        # and before the rest of briefgen is imported here, so that it imports reportlab
        # meanwhile (a note's PDF waited for that import).
        lays_out_pdf = not args.format or bool({"docx", "pdf"} & set(_parse_formats(args.format)))
        with (start_pdf_worker() if lays_out_pdf else None) or contextlib.nullcontext() as worker:
            from . import build, workspace  # noqa: F401 (imported here while the worker imports reportlab)

            gc.freeze()  # those modules too, some 90,000 objects with the ones before
            return _check_and_build(args, worker)
    finally:
        gc.unfreeze()


def _check_and_build(args: argparse.Namespace, worker: Worker | None) -> int:
    from .workspace import load_pack

    paths = list(args.paths)
    if not paths and Path("briefing.yaml").is_file():
        paths = ["briefing.yaml"]
    pack_paths = [p for p in paths if _is_pack_file(p)]
    statement_args = [p for p in paths if not _is_pack_file(p)]
    diagnostics: list[Diagnostic] = []
    packs = []
    for pack_path in pack_paths:
        _refuse_outside_workspace(pack_path)
        if not Path(pack_path).is_file():
            raise UsageError(f"no such file: {pack_path}")
        pack, problems = load_pack(Path(pack_path), strict=args.strict, strip_invalid=args.strip_invalid)
        diagnostics += problems
        packs.append(pack)
    notes, problems = _load_all(statement_args, args) if statement_args or not pack_paths else ([], [])
    diagnostics += problems
    if _report(diagnostics, quiet=args.quiet) or None in packs:
        print("nothing written", file=sys.stderr)
        return 1
    files, warnings = _build_files(args, packs, notes, worker)
    for message in warnings:
        print(printable(f"briefgen: warning: {message}"), file=sys.stderr)
    write_atomically(files)
    if not args.quiet:
        for path in files:
            print(f"wrote {path}")
    return 0


def _build_files(args: argparse.Namespace, packs: list, notes: list, worker: Worker | None) -> tuple[dict[Path, bytes], list[str]]:
    """Compose and render every pack and note in memory; nothing is written yet."""
    from .build import build_note, build_pack
    from .compose import load_template_set, resolve_template_dir

    out_dir = Path(args.out)
    files: dict[Path, bytes] = {}
    warnings: list[str] = []
    note_formats = _parse_formats(args.format) if args.format else ["docx", "pdf"]
    steps = sum(2 + len(pack.briefing.formats) for pack in packs) + len(notes) * (1 + len(note_formats))
    with _Progress(steps, enabled=not args.quiet and sys.stderr.isatty()) as progress:
        for pack in packs:
            formats = _parse_formats(args.format) if args.format else list(pack.briefing.formats)
            if args.email and "eml" not in formats:
                formats.append("eml")
            templates = load_template_set(resolve_template_dir(args.template or pack.briefing.template, pack.path.parent))
            pack_files, pack_warnings = build_pack(pack, templates, formats, out_dir, author=args.author, step=progress.step, worker=worker)
            files.update(pack_files)
            warnings += pack_warnings
        if notes:
            templates = load_template_set(resolve_template_dir(args.template or "default", Path.cwd()))
            for loaded in notes:
                files.update(build_note(loaded, templates, note_formats, out_dir, author=args.author, step=progress.step, worker=worker))
    return files, warnings


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
    from .schema import statement_schema

    return json.dumps(statement_schema(), indent=2, ensure_ascii=False) + "\n"


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
    build = commands.add_parser("build", help="build the briefing pack and notes into output/", description=command_build.__doc__)
    for sub in (check, build):
        sub.add_argument("paths", nargs="*", metavar="PATH", help="pack file (briefing*.yaml), statement files or folders (default: briefing.yaml if present, else sources/)")
        sub.add_argument("--strict", action="store_true", help="treat unverified citations (no source text) as errors")
        sub.add_argument("--strip-invalid", action="store_true", help="remove characters documents cannot hold (control characters) instead of stopping")
        sub.add_argument("-q", "--quiet", action="store_true", help="print only problems")
    build.add_argument("--out", default="output", metavar="DIR", help="output folder (default: output)")
    build.add_argument("--format", metavar="LIST", help="comma-separated formats: docx,pdf,ics,eml,md (default: the pack's formats; docx,pdf for notes)")
    build.add_argument("--email", action="store_true", help="also write the pack as a ready-to-send email draft (.eml)")
    build.add_argument("--template", metavar="DIR", help="template folder or name (default: the pack's template, or default)")
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
    _spare_collections_at_exit()
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except UsageError as exc:
        print(printable(f"briefgen: error: {exc}"), file=sys.stderr)
        return 2
    except DiagnosticsError as exc:
        return _report(exc.diagnostics) or 1
    except BriefgenError as exc:
        print(printable(f"briefgen: error: {exc}"), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("briefgen: interrupted; the previous outputs are as they were", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: say so plainly instead of a traceback on a user's screen
        if os.environ.get("BRIEFGEN_DEBUG"):
            raise
        print(
            f"briefgen: internal error: {type(exc).__name__}: {printable(str(exc))}\n"
            "This is a bug in briefgen, not in your files; the previous outputs are as they were.\n"
            "Run again with BRIEFGEN_DEBUG=1 to see the details, and please report them.",
            file=sys.stderr,
        )
        return 1


def _spare_collections_at_exit() -> None:
    """Freeze the heap when the process exits, so the interpreter's last collections skip it."""
    # After a build, the garbage collections that Python runs as it shuts down examine
    # every object left (about 0.1 s for one note) only for the process to end and free
    # them all. atexit handlers run before those collections; registering once per
    # process leaves callers that run main() repeatedly, such as tests, unaffected until exit.
    atexit.unregister(gc.freeze)
    atexit.register(gc.freeze)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
