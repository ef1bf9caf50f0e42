"""Profile the ingestion hot path with pyinstrument (not a test).

    .venv/bin/pip install -e '.[bench]'        # pyinstrument, psutil
    .venv/bin/python benchmarks/profile_hot_path.py [--files 60] [--out DIR]

Two profiles, written as text to ``DIR`` (default: a temporary folder) and summarised on stdout:

* ``worker.txt``: what an extraction worker does for each file, in process: ``extract_document`` (read,
  PDF front end, kind detection, parser) + ``normalize_document`` + pickling the result, on the 15
  fixture PDFs (after a warm-up round);
* ``flow.txt``: the flow process of ``run_ingest`` with 2 workers on ``--files`` corpus PDFs (what is left
  to this process: Prefect, waiting for results, loads, publishes), against a throw-away Prefect server.
"""

from __future__ import annotations

import argparse
import os
import pickle
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from build_corpus import FIXTURES, build  # noqa: E402


def profile_worker(out: Path) -> None:
    from pyinstrument import Profiler

    from pipeline.normalize.document import normalize_document
    from pipeline.parse import extract_document

    for path in FIXTURES:  # warm-up: imports, caches
        normalize_document(extract_document(path))
    profiler = Profiler(interval=0.001)
    started = time.perf_counter()
    with profiler:
        for _ in range(2):
            for path in FIXTURES:
                pickle.dumps(normalize_document(extract_document(path)))
    print(f"worker: {2 * len(FIXTURES)} documents in {time.perf_counter() - started:.2f} s")
    (out / "worker.txt").write_text(profiler.output_text(unicode=False, color=False), encoding="utf-8")


def profile_flow(out: Path, files: int) -> None:
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    from prefect.testing.utilities import prefect_test_harness
    from pyinstrument import Profiler

    from flows.ingest import run_ingest

    with tempfile.TemporaryDirectory() as tmp:
        warm, inbox = build(4, Path(tmp) / "warm"), Path(tmp) / "inbox"
        build(files, inbox)
        with prefect_test_harness(server_startup_timeout=60):
            run_ingest([str(warm[0].parent)], str(Path(tmp) / "warm.duckdb"), workers=1, links=False)
            profiler = Profiler(interval=0.001)
            started = time.perf_counter()
            with profiler:
                run_ingest([str(inbox)], str(Path(tmp) / "w.duckdb"), workers=2, links=False)
            print(f"flow: {files} documents in {time.perf_counter() - started:.2f} s")
    (out / "flow.txt").write_text(profiler.output_text(unicode=False, color=False), encoding="utf-8")


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    ap.add_argument("--files", type=int, default=60)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    out = args.out or Path(tempfile.mkdtemp(prefix="refpipe-profile-"))
    out.mkdir(parents=True, exist_ok=True)
    profile_worker(out)
    profile_flow(out, args.files)
    print(f"profiles: {out / 'worker.txt'}, {out / 'flow.txt'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
