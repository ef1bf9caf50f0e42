"""Everyday commands, timed as a user runs them: the console script in a fresh process, interpreter start
and imports included.  Not a test (figures, not assertions; benchmarks/README.md has them).

For a warehouse of the fixture seeds and PDFs (built here, in process), each command is run ``--runs``
times: wall time (min and median) and the CPU time of the process (user + system: less sensitive than wall
time to other processes on a shared machine), then once under ``python -X importtime``: the import time
and which heavy packages the command imported (the target: none it does not need).  ``search`` is run
once before to fill the lemma caches (what a user's second search finds), in a cache folder of its own.

    .venv/bin/python benchmarks/bench_commands.py [--runs 5] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
BIN = Path(sys.executable).parent
#: the packages a read command should not import unless it needs them
HEAVY = ("prefect", "spacy", "pyarrow", "pandas", "polars", "openpyxl", "rich.table", "duckdb", "pydantic")
TARGET = 1.5  # seconds of wall time on an idle machine (issue 15)


def commands(warehouse: str) -> dict[str, list[str]]:
    return {
        "--help": ["--help"],
        "status": ["status", "-w", warehouse],
        "sql": ["sql", "SELECT kind, count(*) FROM v_documents GROUP BY kind", "-w", warehouse],
        "show": ["show", "CQPM-0195", "-w", warehouse],
        "links": ["links", "-w", warehouse],
        "search (cached)": ["search", "indicateurs audit", "-w", warehouse],
    }


def build(folder: Path) -> Path:
    inbox = folder / "inbox"
    inbox.mkdir(parents=True)
    for path in [*sorted((FIXTURES / "seeds").glob("*.txt")), *sorted((FIXTURES / "pdf").glob("00[0-4]_*.pdf"))]:
        shutil.copy(path, inbox / path.name)
    warehouse = folder / "referentiels.duckdb"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run([str(BIN / "refpipe"), "ingest", str(inbox), "-w", str(warehouse)], env=env,
                   capture_output=True, check=False, timeout=1800)
    return warehouse


def run(args: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run([str(BIN / "refpipe"), *args], env=env, capture_output=True, timeout=600, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.returncode


def imports(args: list[str], env: dict[str, str]) -> tuple[float, list[str]]:
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "refpipe.cli", *args], env=env,
                          capture_output=True, text=True, timeout=600, check=False)
    total, heavy = 0, set()
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line or "imported package" in line:
            continue
        _, cumulative, name = line.split("|", 2)
        if not name.startswith("  "):  # a top-level import: its cumulative time counts once
            total += int(cumulative)
        heavy.update(h for h in HEAVY if name.strip() == h)
    return total / 1e6, sorted(heavy)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="build the warehouse here (kept) instead of a temporary folder")
    options = parser.parse_args()
    folder = options.keep or Path(tempfile.mkdtemp(prefix="refpipe-bench-commands-"))
    try:
        print(f"machine: {os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.2f} (1 min) before the benchmark")
        warehouse = folder / "referentiels.duckdb"
        if not warehouse.exists():
            started = time.perf_counter()
            build(folder)
            print(f"warehouse of the fixture seeds and PDFs built in {time.perf_counter() - started:.1f} s")
        env = {**os.environ, "PYTHONPATH": str(ROOT), "REFPIPE_CACHE_DIR": str(folder / "cache"), "COLUMNS": "200"}
        env.pop("PREFECT_API_URL", None)
        cmds = commands(str(warehouse))
        run(cmds["search (cached)"], env)  # fills the caches: what a user's next search finds
        print(f"{'command':<16} {'wall min':>9} {'median':>8} {'CPU':>7} {'imports':>8}  heavy imports")
        for name, args in cmds.items():
            runs = [run(args, env) for _ in range(options.runs)]
            codes = {code for _, _, code in runs}
            walls, cpus = [w for w, _, _ in runs], [c for _, c, _ in runs]
            seconds, heavy = imports(args, env)
            verdict = "" if min(walls) <= TARGET else f"  (> {TARGET} s)"
            print(f"{name:<16} {min(walls):>8.2f}s {statistics.median(walls):>7.2f}s {statistics.median(cpus):>6.2f}s "
                  f"{seconds:>7.2f}s  {', '.join(heavy) or '-'}{verdict}"
                  + (f"  exit codes {sorted(codes)}" if codes != {0} else ""))
        cold = []  # the same search with empty caches: spaCy loaded, every text lemmatised (what it cost before)
        for i in range(2):
            cold.append(run(cmds["search (cached)"], {**env, "REFPIPE_CACHE_DIR": str(folder / f"cold-{i}")}))
        walls = [w for w, _, _ in cold]
        print(f"{'search (no cache)':<16} {min(walls):>8.2f}s {statistics.median(walls):>7.2f}s "
              f"{statistics.median(c for _, c, _ in cold):>6.2f}s  (spaCy loaded: the first search, or a new word)")
        print(f"load average {os.getloadavg()[0]:.2f} (1 min) after")
    finally:
        if options.keep is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
