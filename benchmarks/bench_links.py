"""Links recompute benchmark: from scratch against incremental (not a test; a few minutes).

    .venv/bin/python benchmarks/bench_links.py [--sizes 100 300] [--keep DIR]

For each size N it builds N + 11 corpus PDFs (``build_corpus.py``: variants of the 15 fixtures), loads the
first N into a fresh warehouse without computing links, then measures, each in a fresh Python process (as
``refpipe ingest`` runs the recompute after a batch), ``links_store.recompute``:

* ``full``: from scratch over the N documents (``full=True``): every document read, every pair assessed,
  what every batch cost before the recompute was incremental;
* ``+1``: after loading 1 more document (the next corpus file);
* ``+10``: after loading 10 more;
* ``+0``: with nothing new (only the run-date rules are evaluated again);

and prints the seconds of the ``recompute`` call (the spaCy model load, ~1-2 s, is inside it when the run
needs lemmas: the process starts without it, like the ingest flow's), the (fiche, référentiel) pairs
assessed, the documents read in full, the documents and links held, and the process' peak RSS and its
RSS before the call.

Loading: the PDF variants of a fixture parse to the fixture's document (``build_corpus.py`` changes their
bytes, not their content), and a document is its content: loaded as they are, N files would be 15 documents
with N sources (fewer: some fixtures are the same référentiel in two layouts).  So each fixture is
extracted once, and corpus file i is loaded as the fixture's document with ``(variante i)`` appended to its
first capacity (``content_variant``: a new version of the same référentiel or fiche, as a re-edited file
would be) under the file's identity (sha256, path, size): N documents, the rows ``refpipe ingest`` writes
for N such files, without N PDF parses.  The first 15 files are also extracted for real and checked: the
shortcut gives their extraction with the same change.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from build_corpus import FIXTURES, build  # noqa: E402

ADDED = (1, 10)


# ---------------------------------------------------------------------------------------------- child


def child_recompute(warehouse: str, full: str) -> dict[str, Any]:
    """One ``recompute`` in this fresh process: seconds, summary, documents read in full, RSS.

    The peak RSS is sampled every 10 ms by a thread (``ru_maxrss`` would count the parent's: Linux keeps
    it across the fork and exec)."""
    import threading

    import psutil

    from pipeline.normalize import lemmas
    from pipeline.runtime import links as links_store
    from pipeline.runtime import links_incremental

    read: list[str] = []
    real_read = links_incremental.read_documents

    def counting_read(con: Any, ids: Any, *args: Any, **kwargs: Any) -> Any:
        read.extend(ids)
        return real_read(con, ids, *args, **kwargs)

    links_incremental.read_documents = counting_read  # type: ignore[assignment]
    me = psutil.Process()
    rss_before = peak = me.memory_info().rss
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.wait(0.01):
            peak = max(peak, me.memory_info().rss)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.perf_counter()
    summary = links_store.recompute_warehouse(warehouse, full=full == "1")
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    peak = max(peak, me.memory_info().rss)
    return {"seconds": seconds, "summary": dataclasses.asdict(summary), "read": len(read),
            "spacy": lemmas.nlp.cache_info().currsize > 0, "rss_before": rss_before, "peak_rss": peak}


def run_child(*args: str) -> dict[str, Any]:
    proc = subprocess.run([sys.executable, __file__, "--child", *args], capture_output=True, text=True,
                          timeout=3600, env={**os.environ, "PYTHONPATH": str(ROOT)})
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"child {args} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    result: dict[str, Any] = json.loads(lines[-1][len("RESULT "):])
    return result


# ---------------------------------------------------------------------------------------------- parent


def content_variant(document: Any, i: int) -> Any:
    """``document`` with ``(variante i)`` appended to its first capacity: other content, so another document
    (a new version of the same key), still linked by the same evidence (history, title, capacities)."""
    if document.cqpm is not None:
        cqpm = document.cqpm
        first = dataclasses.replace(cqpm.capacities[0], title=f"{cqpm.capacities[0].title} (variante {i})")
        return dataclasses.replace(document, cqpm=dataclasses.replace(cqpm, capacities=(first, *cqpm.capacities[1:])))
    rncp = document.rncp
    first = dataclasses.replace(rncp.capacities[0], text=f"{rncp.capacities[0].text} (variante {i})")
    return dataclasses.replace(document, rncp=dataclasses.replace(rncp, capacities=(first, *rncp.capacities[1:])))


class Loader:
    """Documents of corpus files: each fixture extracted once, loaded under the variant's identity."""

    def __init__(self) -> None:
        self.by_fixture: dict[str, Any] = {}

    def _fixture_name(self, fixture: Path) -> str:
        return fixture.name if fixture.parent.name == "pdf" else f"{fixture.parent.name}.{fixture.name}"

    def document(self, path: Path) -> Any:
        from pipeline.normalize.document import normalize_document
        from pipeline.parse import extract_document
        from pipeline.records import Source

        name = path.name.split("_", 1)[1]
        if name not in self.by_fixture:
            fixture = next(f for f in FIXTURES if self._fixture_name(f) == name)
            self.by_fixture[name] = normalize_document(extract_document(str(fixture)))
        base = self.by_fixture[name]
        base = content_variant(base, int(path.name.split("_", 1)[0]))
        data = path.read_bytes()
        source = Source(path=str(path), sha256=hashlib.sha256(data).hexdigest(), format=base.source.format,
                        pages=base.source.pages, size=len(data))
        return dataclasses.replace(base, source=source)

    def check(self, paths: list[Path]) -> None:
        """The shortcut gives the document a real extraction of the variant gives."""
        from pipeline.normalize.document import normalize_document
        from pipeline.parse import extract_document

        for path in paths:
            real = content_variant(normalize_document(extract_document(str(path))), int(path.name.split("_", 1)[0]))
            assert self.document(path) == real, path

    def load(self, warehouse: Path, paths: list[Path]) -> None:
        from pipeline.load import warehouse as wh

        con = wh.connect(warehouse)
        try:
            for path in paths:
                assert wh.load(self.document(path), con), path
        finally:
            con.close()


def measure(n: int, folder: Path, loader: Loader) -> dict[str, dict[str, Any]]:
    shutil.rmtree(folder, ignore_errors=True)
    paths = build(n + sum(ADDED), folder / "corpus")
    warehouse = folder / "w.duckdb"
    started = time.perf_counter()
    loader.load(warehouse, paths[:n])
    print(f"\nN = {n}: {n} documents loaded in {time.perf_counter() - started:.1f} s (no links)", flush=True)
    r = {"full": run_child("recompute", str(warehouse), "1")}
    report_line("full", r["full"])
    at = n
    for k in ADDED:
        loader.load(warehouse, paths[at:at + k])
        at += k
        r[f"+{k}"] = run_child("recompute", str(warehouse), "0")
        report_line(f"+{k}", r[f"+{k}"])
    r["+0"] = run_child("recompute", str(warehouse), "0")
    report_line("+0", r["+0"])
    return r


def report_line(what: str, r: dict[str, Any]) -> None:
    s = r["summary"]
    print(f"  {what:>5}  {r['seconds']:7.2f} s  pairs assessed {s['assessed']:6d}  read in full {r['read']:4d}  "
          f"documents {s['documents']:4d}  links {s['links']:6d}  capacity links {s['capacity_links']:7d}  "
          f"spaCy {'loaded' if r['spacy'] else 'not loaded':10s}  peak RSS {r['peak_rss'] / 1e6:4.0f} MB "
          f"(before the call {r['rss_before'] / 1e6:4.0f} MB)", flush=True)


def main(argv: list[str]) -> int:
    if argv[:1] == ["--child"]:
        result = child_recompute(*argv[2:]) if argv[1] == "recompute" else {}
        print("RESULT " + json.dumps(result), flush=True)
        return 0
    ap = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100, 300])
    ap.add_argument("--keep", type=Path, default=None, help="build the corpora and warehouses here and keep them")
    args = ap.parse_args(argv)
    work = args.keep or Path(tempfile.mkdtemp(prefix="refpipe-bench-links-"))
    loader = Loader()
    try:
        check = build(len(FIXTURES), work / "check")
        loader.check(check)
        print(f"shortcut checked: the first {len(check)} variants extract to the loaded documents")
        results = {n: measure(n, work / f"n{n}", loader) for n in args.sizes}
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    print("\n=== links recompute: from scratch vs incremental (seconds of the recompute call) ===")
    for n, r in results.items():
        full = r["full"]["seconds"]
        steps = "  ".join(f"{k} {r[k]['seconds']:.2f} s ({full / r[k]['seconds']:.0f}x faster)"
                          for k in ("+1", "+10", "+0"))
        print(f"N = {n}: full {full:.2f} s  {steps}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
