"""PDF front-end throughput: the full pipeline against a bare pdfplumber pass (not a test).

    .venv/bin/python benchmarks/bench_pdf.py [PDF ...] [--rounds N]

For the same PDFs (by default tests/fixtures/pdf/*.pdf and the version pairs), in one run:

* full: ``pipeline.parse.extract_document`` (read, PDF front end, kind detection, parser);
* bare: ``pdfplumber.open`` + ``page.extract_words()`` on every page (pages closed as they go);

and prints pages/s for both and the ratio full/bare time (the target is <= 1.5).  Each round runs
both passes over every file, interleaved, after a warm-up; the best round of each is reported.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pdfplumber

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.errors import PipelineError  # noqa: E402
from pipeline.parse import extract_document  # noqa: E402

DEFAULT = sorted((ROOT / "tests/fixtures/pdf").glob("*.pdf")) + sorted(
    (ROOT / "tests/fixtures/versions").glob("*/*.pdf"))


def bare(path: Path) -> int:
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            page.extract_words()
            page.close()
        return len(pdf.pages)


def full(path: Path) -> int:
    try:
        doc = extract_document(path)
    except PipelineError as exc:
        print(f"  rejected: {exc}", file=sys.stderr)
        return 0
    return doc.source.pages or 0


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("pdfs", nargs="*", type=Path)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args(argv)
    paths = args.pdfs or DEFAULT
    if not paths:
        print("no PDFs", file=sys.stderr)
        return 2
    for p in paths:  # warm-up: imports, caches, lazy loads
        full(p)
        bare(p)
    best_full = best_bare = float("inf")
    pages = 0
    for _ in range(args.rounds):
        t_full = t_bare = 0.0
        pages = 0
        for p in paths:
            t0 = time.perf_counter()
            pages += full(p)
            t1 = time.perf_counter()
            bare(p)
            t2 = time.perf_counter()
            t_full += t1 - t0
            t_bare += t2 - t1
        best_full, best_bare = min(best_full, t_full), min(best_bare, t_bare)
    print(f"{len(paths)} PDFs, {pages} pages, best of {args.rounds} rounds")
    print(f"full pipeline (extract+parse): {pages / best_full:8.1f} pages/s  ({best_full:.3f} s)")
    print(f"bare pdfplumber extract_words: {pages / best_bare:8.1f} pages/s  ({best_bare:.3f} s)")
    ratio = best_full / best_bare
    print(f"ratio full/bare: {ratio:.2f} (target <= 1.5){'' if ratio <= 1.5 else '  ABOVE TARGET'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
