"""PDF front end throughput in one process, both backends against the bare library passes (not a test).

    taskset -c 0 .venv/bin/python benchmarks/bench_pdf.py [PDF ...] [--rounds N]
    .venv/bin/python benchmarks/bench_pdf.py --only-workers --rounds 5   # front end on 2 workers: 2 free cores

For the same PDFs (by default tests/fixtures/pdf/*.pdf and the version pairs), each round times, one
after the other (interleaved A/B rounds; the median of the rounds is reported), CPU time of this process:

* ``front end pdfium`` / ``front end pdfplumber``: ``pipeline.extract.pdf.extract_pdf`` with each backend
  (PDF bytes -> ``Layout``: reading, tables, furniture, paragraphs; both give the same layout, see
  tests/extract/test_pdf_backends.py);
* ``document``: ``pipeline.parse.extract_document`` (read the file, default backend, front end, parser);
* ``bare pdfplumber``: ``pdfplumber.open`` + ``page.extract_words()`` on every page;
* ``bare pypdfium2``: ``pypdfium2.PdfDocument`` + every page's text (``get_textpage().get_text_range()``).

Printed: pages per CPU-second of each, and the ratios front end pdfplumber / front end pdfium (issue 16's
target: >= 8) and document / bare pdfplumber.  Then where the pdfium front end's CPU goes, per page (median
of the rounds, timers around the front end's steps; the pdfplumber front end shares tables and layout):

* ``chars``: pdfium's per-char calls (origin, loose box, text object) into arrays and the char geometry
  (``pdf.pdfium_text._read_chars``); ``words``: pdfplumber's word grouping over them (``_words``);
* ``tables``: tables, rules and image cover of each page (``pdf.read_page``: the table finder);
* ``layout``: furniture, lines, paragraphs, rows (``pdf.layout.build_layout``);
* ``pages``: the rest: opening the document, loading each page and its text page (pdfium's own
  parsing), reading lines, rects and images, closing.

With ``--workers 2`` (run it without ``taskset``: it needs two cores) it also measures the **front end on 2
workers**: the pdfium front end over the same PDFs (each ``--repeat`` times) in one process, then split
between two processes (files dealt alternately, so each gets half the pages), each started, imported and
warmed up before a common start; wall time from the start to the last process's end, interleaved rounds,
median.  Printed: the speed-up 1 worker / 2 workers (issue 16's target: >= 1.8) and the CPU each used.

``bench_user.py`` measures what a user runs end to end.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bare_passes import bare_pdfium, bare_plumber  # noqa: E402

from pipeline.errors import PipelineError  # noqa: E402
from pipeline.extract import source_of  # noqa: E402
from pipeline.extract.pdf import extract_pdf  # noqa: E402
from pipeline.parse import extract_document  # noqa: E402

DEFAULT = sorted((ROOT / "tests/fixtures/pdf").glob("*.pdf")) + sorted(
    (ROOT / "tests/fixtures/versions").glob("*/*.pdf"))


def front_end(backend: str) -> Callable[[Path], int]:
    def run(path: Path) -> int:
        data = path.read_bytes()
        return extract_pdf(path, data, source_of(path, data, "pdf"), backend=backend).source.pages or 0
    return run


def document(path: Path) -> int:
    try:
        return extract_document(path).source.pages or 0
    except PipelineError as exc:
        print(f"  rejected: {exc}", file=sys.stderr)
        return 0


STAGES = ("pages", "chars", "words", "tables", "layout")


def pdfium_stages(paths: list[Path]) -> tuple[dict[str, float], int]:
    """CPU seconds of each step of the pdfium front end over the PDFs (timers around its functions)."""
    import pipeline.extract.pdf as front
    import pipeline.extract.pdf.pdfium_text as text

    spent = dict.fromkeys(STAGES, 0.0)
    patched = [(text, "_read_chars", "chars"), (text, "_words", "words"), (front, "read_page", "tables"),
               (front, "build_layout", "layout")]
    originals = [getattr(module, name) for module, name, _ in patched]

    def timed(function: Callable[..., Any], stage: str) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            start = time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                spent[stage] += time.process_time() - start
        return call

    for (module, name, stage), original in zip(patched, originals, strict=True):
        setattr(module, name, timed(original, stage))
    try:
        start = time.process_time()
        pages = sum(front_end("pdfium")(p) for p in paths)
        total = time.process_time() - start
    finally:
        for (module, name, _), original in zip(patched, originals, strict=True):
            setattr(module, name, original)
    spent["pages"] = total - sum(spent[s] for s in STAGES[1:])
    return spent, pages


PASSES: dict[str, Callable[[Path], int]] = {
    "front end pdfium": front_end("pdfium"), "front end pdfplumber": front_end("pdfplumber"),
    "document (default backend)": document, "bare pdfplumber": bare_plumber, "bare pypdfium2": bare_pdfium}


def serve(repeat: int, warm: bool, paths: list[Path]) -> None:
    """A front-end worker: warm up (if ``warm``), say ready, wait for the start, run ``repeat`` passes, print
    wall and CPU."""
    run = front_end("pdfium")
    for p in paths if warm else ():
        run(p)
    print("ready", flush=True)
    sys.stdin.readline()
    wall, cpu = time.perf_counter(), time.process_time()
    pages = sum(run(p) for _ in range(repeat) for p in paths)
    print(time.perf_counter() - wall, time.process_time() - cpu, pages, flush=True)


def on_workers(paths: list[Path], workers: int, repeat: int, warm: bool = True) -> tuple[float, float, int]:
    """Wall seconds from a common start to the last of ``workers`` front-end processes' end, their CPU, pages.
    (``bench_user.py`` calls it too, without the warm-up pass, on its corpus.)"""
    shares = [paths[i::workers] for i in range(workers)]
    procs = [subprocess.Popen([sys.executable, __file__, "--serve", str(repeat), str(int(warm)), *map(str, share)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) for share in shares]
    try:
        for proc in procs:
            assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        start = time.perf_counter()
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        answers = []
        for proc in procs:
            assert proc.stdout is not None
            answers.append(proc.stdout.readline().split())
        wall = time.perf_counter() - start
    finally:
        for proc in procs:
            proc.wait()
    return wall, sum(float(a[1]) for a in answers), sum(int(a[2]) for a in answers)


def speed_up(paths: list[Path], rounds: int, repeat: int) -> None:
    """The front end on 2 workers against 1 (wall time, interleaved rounds)."""
    import os

    one: list[tuple[float, float, int]] = []
    two: list[tuple[float, float, int]] = []
    for r in range(rounds):
        one.append(on_workers(paths, 1, repeat))
        two.append(on_workers(paths, 2, repeat))
        print(f"  round {r + 1}/{rounds}: 1 worker {one[-1][0]:.2f} s wall ({one[-1][1]:.2f} s CPU), "
              f"2 workers {two[-1][0]:.2f} s wall ({two[-1][1]:.2f} s CPU), load average {os.getloadavg()[0]:.1f}",
              flush=True)
    w1, w2 = statistics.median(w for w, _, _ in one), statistics.median(w for w, _, _ in two)
    print(f"front end pdfium on 2 workers: {one[0][2]} pages, 1 worker {w1:.2f} s, 2 workers {w2:.2f} s wall "
          f"(medians of {rounds}): {w1 / w2:.2f}x (target >= 1.8; meaningful only on an otherwise idle machine)")


def main(argv: list[str]) -> int:
    if argv[:1] == ["--serve"]:
        serve(int(argv[1]), argv[2] == "1", [Path(p) for p in argv[3:]])
        return 0
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("pdfs", nargs="*", type=Path)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--workers", type=int, choices=(1, 2), default=1,
                    help="2: also time the front end on 2 worker processes against 1 (needs two free cores)")
    ap.add_argument("--repeat", type=int, default=10, help="passes over the PDFs in each 1-/2-worker run")
    ap.add_argument("--only-workers", action="store_true", help="time only the front end on 1 and 2 workers")
    args = ap.parse_args(argv)
    paths = args.pdfs or DEFAULT
    if args.only_workers:
        speed_up(paths, args.rounds, args.repeat)
        return 0
    for p in paths:  # warm-up: imports, caches, lazy loads
        for run in PASSES.values():
            run(p)
    times: dict[str, list[float]] = {name: [] for name in PASSES}
    pages = 0
    for _ in range(args.rounds):
        for name, run in PASSES.items():
            cpu = time.process_time()
            pages = sum(run(p) for p in paths)
            times[name].append(time.process_time() - cpu)
    print(f"{len(paths)} PDFs, {pages} pages, CPU time of this process, median of {args.rounds} interleaved rounds")
    med = {name: statistics.median(ts) for name, ts in times.items()}
    for name, t in med.items():
        print(f"  {name:28s} {pages / t:8.1f} pages per CPU-s  {1000 * t / pages:7.1f} ms/page  "
              f"({', '.join(f'{x:.2f}' for x in times[name])} s)")
    ratio = med["front end pdfplumber"] / med["front end pdfium"]
    print(f"front end pdfplumber / front end pdfium: {ratio:.2f}x (target >= 8)")
    print(f"document (default backend) / bare pdfplumber extract_words: "
          f"{med['document (default backend)'] / med['bare pdfplumber']:.2f}")
    stages: dict[str, list[float]] = {s: [] for s in STAGES}
    for _ in range(args.rounds):
        spent, pages = pdfium_stages(paths)
        for stage in STAGES:
            stages[stage].append(spent[stage])
    parts = {stage: 1000 * statistics.median(ts) / pages for stage, ts in stages.items()}
    print(f"front end pdfium per page (median of {args.rounds} rounds, with timers): "
          + ", ".join(f"{stage} {ms:.2f}" for stage, ms in parts.items()) + f" = {sum(parts.values()):.2f} ms")
    if args.workers == 2:
        speed_up(paths, args.rounds, args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
