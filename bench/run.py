"""Benchmark ``briefgen build`` on generated packs of N statements, side by side with pandoc.

For each N (default 1, 10, 100, 1000) it generates a fictional workspace (bench/generate.py),
writes the composed pack as Markdown once (``briefgen build --format md``), then runs,
alternating, ``briefgen build --quiet`` (DOCX + PDF + ICS) and ``pandoc pack.md -o
pack.docx``, each as a child process whose wall time (``time.perf_counter``) and peak
resident memory (``os.wait4``: that child's own ``ru_maxrss``) are measured. It prints
the median of the runs per N, the ratio briefgen / pandoc and how time grows with N; once,
the time LibreOffice takes to turn pandoc's DOCX into a PDF (what a pandoc user does to
get one), the time of a cold one-statement build, and whether ``briefgen check`` imports
reportlab or python-docx.

Usage: ``python bench/run.py [--sizes 1,10,100,1000] [--runs 5] [--large-runs 1] [--quick] [--keep DIR]``.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import generate_workspace  # noqa: E402  (a script beside this one, not a package)

#: A fixed date for every build, so runs are byte-identical and the pack's dates never vary.
SOURCE_DATE_EPOCH = "1780000000"
#: Sizes from which on ``--large-runs`` applies instead of ``--runs``: a build there takes minutes.
LARGE = 1000
#: The size whose pandoc DOCX LibreOffice converts (or the largest size below it).
LIBREOFFICE_SIZE = 100


#: How often the memory of a build's processes is sampled, in seconds.
SAMPLE_INTERVAL = 0.05


@dataclass(frozen=True)
class Run:
    """One finished child process: wall seconds, its peak resident set and its process tree's sampled peak in MiB (0 where not sampled), exit code."""

    seconds: float
    peak_mib: float
    tree_mib: float
    code: int


class TreeMemory:
    """The largest total proportional set size (PSS) of a process and its descendants, sampled in a thread.

    briefgen lays the PDF out in a forked child beside the DOCX, so the child's own
    ``ru_maxrss`` (which covers the larger of the two, not their sum) understates what the
    build needs at once; PSS counts pages the two share once, unlike summed RSS.
    """

    def __init__(self, pid: int):
        self.pid = pid
        self.peak_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def stop(self) -> float:
        """Stop sampling and return the peak in MiB (0 where /proc is missing)."""
        self._stop.set()
        self._thread.join()
        return self.peak_kib / 1024

    def _sample(self) -> None:
        while not self._stop.wait(SAMPLE_INTERVAL):
            self.peak_kib = max(self.peak_kib, sum(_pss_kib(pid) for pid in _tree(self.pid)))


def _tree(pid: int) -> list[int]:
    """Return ``pid`` and its descendants still running, from /proc (empty if it is gone)."""
    pids, index = [pid], 0
    while index < len(pids):
        try:
            for task in Path(f"/proc/{pids[index]}/task").iterdir():
                pids += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            pass
        index += 1
    return pids


def _pss_kib(pid: int) -> int:
    """Return the proportional set size of process ``pid`` in KiB, or 0 if it is gone."""
    try:
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0
    match = re.search(r"^Pss:\s+(\d+) kB", rollup, re.MULTILINE)
    return int(match.group(1)) if match else 0


@dataclass
class Row:
    """The measurements of one size N."""

    size: int
    runs: int
    pages: int
    markdown_mib: float
    markdown_seconds: float
    briefgen: list[Run]
    pandoc: list[Run]
    #: The largest sampled total of the build's processes (PSS), from an untimed build.
    tree_mib: float


def measure(command: list[str], cwd: Path, env: dict[str, str], *, sample_tree: bool = False) -> Run:
    """Run ``command`` as a child and return its wall time and its own peak memory, from the OS; with ``sample_tree``, its process tree's too."""
    with tempfile.TemporaryFile() as errors:
        start = time.perf_counter()
        child = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=errors)
        tree = TreeMemory(child.pid) if sample_tree else None
        # wait4 reports the rusage of this one child, unlike getrusage(RUSAGE_CHILDREN),
        # whose ru_maxrss is the largest of all children waited for so far.
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - start
        tree_mib = tree.stop() if tree else 0.0
        child.returncode = code = os.waitstatus_to_exitcode(status)
        if code != 0:
            errors.seek(0)
            message = errors.read().decode("utf-8", "replace").strip()
            raise SystemExit(f"bench: {' '.join(command)} failed in {cwd} (exit {code}):\n{message}")
    # ru_maxrss is in KiB on Linux, in bytes on macOS.
    peak = usage.ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)
    return Run(seconds, peak, tree_mib, code)


def briefgen(*arguments: str) -> list[str]:
    """Return the command line running briefgen in this interpreter with ``arguments``."""
    return [sys.executable, "-m", "briefgen", *arguments]


def pdf_pages(path: Path) -> int:
    """Return the number of pages of the PDF at ``path``, counted from its page objects."""
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", path.read_bytes()))


def median(values: list[float]) -> float:
    """Return the median of ``values``."""
    return statistics.median(values)


def say(message: str) -> None:
    """Report progress on standard error, so standard output holds only the results."""
    print(message, file=sys.stderr, flush=True)


def machine(pandoc: str | None, soffice: str | None) -> list[str]:
    """Return lines describing the machine and the tools measured."""
    import reportlab
    from reportlab.lib import rl_accel

    # reportlab 4+ takes its C accelerator from the separate rl_accel distribution (_rl_accel).
    accelerated = bool(rl_accel._c_funcs)
    lines = [
        f"machine: {os.cpu_count()} cores, {platform.platform()}",
        f"python:  {platform.python_implementation()} {platform.python_version()}; reportlab {reportlab.Version}, "
        f"rl_accel C extension {'present' if accelerated else 'absent (pip install rl_accel)'}",
    ]
    if pandoc:
        version = subprocess.run([pandoc, "--version"], capture_output=True, text=True).stdout.splitlines()[0]
        lines.append(f"pandoc:  {version} ({pandoc})")
    if soffice:
        version = subprocess.run([soffice, "--version"], capture_output=True, text=True).stdout.strip()
        lines.append(f"soffice: {version or soffice}")
    return lines


def bench_size(size: int, runs: int, root: Path, env: dict[str, str], pandoc: str | None, seed: int) -> tuple[Row, Path]:
    """Generate the workspace of ``size`` statements and time briefgen and pandoc on it."""
    workspace = root / f"n{size}"
    generate_workspace(workspace, size, seed=seed)
    say(f"N={size}: generated {workspace}; writing the Markdown")
    markdown_run = measure(briefgen("build", "--quiet", "--format", "md", "--out", "md"), workspace, env)
    (markdown,) = (workspace / "md").glob("*.md")
    shutil.copy(markdown, workspace / "pack.md")
    ours: list[Run] = []
    theirs: list[Run] = []
    for number in range(runs):
        # Alternate which goes first, so neither always runs on a warmer (or busier) machine.
        order = ("briefgen", "pandoc") if number % 2 == 0 else ("pandoc", "briefgen")
        for tool in order:
            if tool == "briefgen":
                ours.append(measure(briefgen("build", "--quiet"), workspace, env))
                say(f"N={size}: run {number + 1}/{runs}: briefgen {ours[-1].seconds:.2f} s, {ours[-1].peak_mib:.0f} MiB")
            elif pandoc:
                theirs.append(measure([pandoc, "pack.md", "-o", "pack.docx"], workspace, env))
                say(f"N={size}: run {number + 1}/{runs}: pandoc {theirs[-1].seconds:.2f} s, {theirs[-1].peak_mib:.0f} MiB")
    # Sampling /proc/<pid>/smaps_rollup walks the processes' page tables (~15 ms for two of
    # 300 MB, every 50 ms) beside a build that uses both cores: the processes' total is
    # sampled in one more build, untimed.
    tree_run = measure(briefgen("build", "--quiet"), workspace, env, sample_tree=True)
    say(f"N={size}: untimed build: all processes {tree_run.tree_mib:.0f} MiB")
    (pdf,) = (workspace / "output").glob("*.pdf")
    row = Row(size, runs, pdf_pages(pdf), markdown.stat().st_size / 2**20, markdown_run.seconds, ours, theirs, tree_run.tree_mib)
    return row, workspace


def warm_up(workspace: Path, env: dict[str, str], seed: int) -> None:
    """Build a one-statement pack in every format, untimed, so bytecode and fonts are cached as on a user's machine."""
    generate_workspace(workspace, 1, seed=seed)
    say("warming up: one untimed build")
    measure(briefgen("build", "--quiet", "--format", "docx,pdf,ics,md"), workspace, env)


def libreoffice_seconds(soffice: str, pandoc: str, workspace: Path, env: dict[str, str], runs: int) -> tuple[float, float, int]:
    """Return the median time and peak memory of ``soffice --headless --convert-to pdf`` on pandoc's DOCX, and its pages."""
    # A profile of its own: with the user's profile, a LibreOffice already running would take
    # the job and this process would return at once.
    profile = workspace / "lo-profile"

    def convert(docx: str) -> list[str]:
        return [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to", "pdf", "--outdir", "lo", docx]

    # The first start creates the profile, which is not what a user waits for: do it on a
    # one-line document, untimed.
    subprocess.run([pandoc, "-o", "warm-up.docx"], input="Warm-up.", text=True, cwd=workspace, env=env, check=True)
    measure(convert("warm-up.docx"), workspace, env)
    measured = [measure(convert("pack.docx"), workspace, env) for _ in range(runs)]
    peak = median([run.peak_mib for run in measured])
    return median([run.seconds for run in measured]), peak, pdf_pages(workspace / "lo" / "pack.pdf")


def single_note(workspace: Path, env: dict[str, str], runs: int) -> tuple[float, float, str, str]:
    """Time a cold one-statement build (DOCX + PDF) and ``briefgen check``; say what check imports."""
    statement = sorted((workspace / "sources").glob("*.yaml"))[0].relative_to(workspace)
    build = [measure(briefgen("build", "--quiet", "--format", "docx,pdf", "--out", "note", str(statement)), workspace, env) for _ in range(runs)]
    check = [measure(briefgen("check", "-q", str(statement)), workspace, env) for _ in range(runs)]
    imports = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "briefgen", "check", "-q"], cwd=workspace, env=env, capture_output=True, text=True
    ).stderr
    modules = {line.rsplit("|", 1)[-1].strip() for line in imports.splitlines() if line.startswith("import time:")}
    heavy = [name for name in ("reportlab", "docx", "lxml") if name in modules]
    verdict = f"imports {', '.join(heavy)}" if heavy else "imports none of reportlab, docx (python-docx), lxml"
    return median([r.seconds for r in build]), median([r.seconds for r in check]), str(statement), verdict


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


def table(rows: list[Row], pandoc: bool) -> list[str]:
    """Return the result table, one line per N."""
    header = f"{'N':>5} {'runs':>4} {'pages':>6} {'md MiB':>7} | {'briefgen s':>10} {'(min-max)':>15} {'peak MiB':>8} {'all MiB':>7}"
    if pandoc:
        header += f" | {'pandoc s':>8} {'(min-max)':>15} {'peak MiB':>8} | {'ratio':>6} {'paired':>6}"
    lines = [header, "-" * len(header)]
    for row in rows:
        ours = [r.seconds for r in row.briefgen]
        line = (
            f"{row.size:>5} {row.runs:>4} {row.pages:>6} {row.markdown_mib:>7.2f} | {median(ours):>10.2f} "
            f"{f'({min(ours):.2f}-{max(ours):.2f})':>15} {median([r.peak_mib for r in row.briefgen]):>8.0f}"
            f" {row.tree_mib:>7.0f}"
        )
        if pandoc:
            theirs = [r.seconds for r in row.pandoc]
            line += (
                f" | {median(theirs):>8.2f} {f'({min(theirs):.2f}-{max(theirs):.2f})':>15} "
                f"{median([r.peak_mib for r in row.pandoc]):>8.0f} | {median(ours) / median(theirs):>6.2f} {paired_ratio(row):>6.2f}"
            )
        lines.append(line)
    lines.append(
        "peak MiB: the largest process's own peak resident set (wait4); "
        f"all MiB: the most briefgen's processes held at once (PSS summed, sampled every {SAMPLE_INTERVAL * 1000:.0f} ms in one more, untimed build)"
    )
    if pandoc:
        lines.append("ratio: median briefgen / median pandoc; paired: the median of each round's briefgen / pandoc (the two run back to back, so the machine's drift cancels)")
    return lines


def paired_ratio(row: Row) -> float:
    """Return the median, over the rounds, of briefgen's time over pandoc's in the same round."""
    return median([ours.seconds / theirs.seconds for ours, theirs in zip(row.briefgen, row.pandoc)])


def growth(rows: list[Row], pandoc: bool) -> list[str]:
    """Return, for each pair of successive sizes, how many times longer the larger took."""
    lines = []
    for small, large in zip(rows, rows[1:]):
        factor = large.size / small.size
        ours = median([r.seconds for r in large.briefgen]) / median([r.seconds for r in small.briefgen])
        line = f"growth {large.size}/{small.size} (x{factor:g} statements): briefgen x{ours:.2f}"
        if pandoc:
            line += f", pandoc x{median([r.seconds for r in large.pandoc]) / median([r.seconds for r in small.pandoc]):.2f}"
        lines.append(line)
    return lines


def main() -> None:
    """Run the benchmark as the command line asks and print its results."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1,10,100,1000", help="comma-separated numbers of statements (default 1,10,100,1000)")
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each tool per size; the median is shown (default 5)")
    parser.add_argument("--large-runs", type=int, default=1, help=f"timed runs at sizes of {LARGE} and more, where a build takes minutes (default 1)")
    parser.add_argument("--lo-runs", type=int, default=1, help="timed LibreOffice conversions (default 1: at N=100 one takes minutes; 0 skips them)")
    parser.add_argument("--quick", action="store_true", help="sizes 1 and 10, one run each: a check that the benchmark works")
    parser.add_argument("--seed", type=int, default=1, help="seed of the generated statements (default 1)")
    parser.add_argument("--keep", type=Path, metavar="DIR", help="generate the workspaces in DIR and keep them (default: a temporary folder)")
    args = parser.parse_args()
    sizes = [1, 10] if args.quick else [int(part) for part in args.sizes.split(",") if part.strip()]
    runs = 1 if args.quick else args.runs

    pandoc, soffice = shutil.which("pandoc"), shutil.which("soffice") or shutil.which("libreoffice")
    output = machine(pandoc, soffice)
    output.append(f"load:    {_load()} at the start (other work on the machine slows every figure)")
    if not pandoc:
        output.append("pandoc not found: apt-get install pandoc (showing briefgen's figures alone)")

    with tempfile.TemporaryDirectory(prefix="briefgen-bench-") as temporary:
        root = args.keep or Path(temporary)
        root.mkdir(parents=True, exist_ok=True)
        # Bytecode is cached, as in any installation, but under the benchmark's folder rather
        # than beside the sources (where PYTHONDONTWRITEBYTECODE may forbid it); the first
        # untimed build of one statement fills the cache (and the disk cache) first.
        env = {key: value for key, value in os.environ.items() if key not in ("BRIEFGEN_AUTHOR", "PYTHONDONTWRITEBYTECODE")}
        env |= {"SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH, "PYTHONPYCACHEPREFIX": str(root / "pycache")}
        rows, workspaces = [], {}
        started = time.perf_counter()
        warm_up(root / "warm-up", env, args.seed)
        for size in sizes:
            row, workspaces[size] = bench_size(size, args.large_runs if size >= LARGE else runs, root, env, pandoc, args.seed)
            rows.append(row)
        output += ["", "briefgen build --quiet (DOCX + PDF + ICS) vs pandoc pack.md -o pack.docx (DOCX only); wall seconds, medians", *table(rows, bool(pandoc))]
        output += growth(rows, bool(pandoc))

        small = min(sizes, key=lambda size: (size < 10, size))  # the 10-statement workspace if there is one
        note, check, statement, verdict = single_note(workspaces[small], env, runs)
        output += ["", f"cold single note (briefgen build --format docx,pdf {statement}): {note:.2f} s; briefgen check of it: {check:.2f} s"]
        output.append(f"briefgen check -q (python -X importtime): {verdict}")

        lo_sizes = [size for size in sizes if size <= LIBREOFFICE_SIZE]
        if args.lo_runs < 1:
            output.append("LibreOffice: not timed (--lo-runs 0)")
        elif not pandoc:
            output.append("LibreOffice: not timed, since pandoc (whose DOCX it would convert) is not installed")
        elif not soffice:
            output.append("LibreOffice not found: apt-get install libreoffice-writer-nogui (to time soffice --convert-to pdf)")
        elif lo_sizes:
            size = max(lo_sizes)
            say(f"N={size}: LibreOffice converting pandoc's DOCX to PDF")
            seconds, peak, pages = libreoffice_seconds(soffice, pandoc, workspaces[size], env, args.lo_runs)
            row = next(row for row in rows if row.size == size)
            pandoc_seconds = median([r.seconds for r in row.pandoc])
            output.append(
                f"LibreOffice soffice --headless --convert-to pdf of pandoc's DOCX at N={size} "
                f"({args.lo_runs} run{'s' * (args.lo_runs != 1)}): {seconds:.2f} s, {peak:.0f} MiB ({pages} pages); "
                f"pandoc + LibreOffice {pandoc_seconds + seconds:.2f} s vs briefgen {median([r.seconds for r in row.briefgen]):.2f} s"
            )
        output.append(f"load at the end: {_load()}; benchmark took {time.perf_counter() - started:.0f} s" + (f"; workspaces kept in {root}" if args.keep else ""))
    print("\n".join(output))


if __name__ == "__main__":
    main()
