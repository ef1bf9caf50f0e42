"""What a user pays: ``refpipe ingest`` as they run it, against the bare PDF library passes (not a test).

    .venv/bin/python benchmarks/bench_user.py [--sizes 100 1000] [--rounds 3] [--only targets] [--keep DIR]

The issue-16 ingest targets on an idle machine (~20 min on 2 cores; ``--only ingest`` leaves out the bare
pdfplumber pass, ~8 min, for the speed-up and memory targets alone):

    .venv/bin/python benchmarks/bench_user.py --sizes 100 1000 --only targets --rounds 2 --rounds-large 2

(``--only workers``: the pdfium front end on 1 and on 2 workers alone, ~3 min at N = 1000.)

For each corpus size N (``build_corpus.py``: N distinct PDFs made from the 15 fixture PDFs) it measures,
each in a fresh process, in interleaved rounds (one of each per round, the median reported):

* ``bare pdfplumber``: ``pdfplumber.open`` + ``page.extract_words()`` on every page (the old baseline);
* ``bare pypdfium2``: ``pypdfium2.PdfDocument`` + the page's text (``get_textpage().get_text_range()``);
* ``front end pdfium`` / ``front end pdfplumber``: ``pipeline.extract.pdf.extract_pdf`` (PDF bytes ->
  ``Layout``: reading, tables, furniture, paragraphs) with each backend, in one process;
* ``front end pdfium, 2 workers``: the same pass with the files dealt alternately to two processes, each
  imported before a common start (``bench_pdf.on_workers``): wall from that start to the last one's end;
* ``refpipe ingest -j 1`` and ``-j 2``: the command a user types, into a fresh warehouse, with a Prefect
  server already running (``PREFECT_API_URL``, as under ``refpipe serve``; started once by this script),
  so it runs as the Prefect flow; ``refpipe ingest -j 1, one-off``: the same without ``PREFECT_API_URL``,
  which runs its stages in process (no Prefect).
  The process runs the real CLI (``refpipe.cli.app``); a probe wraps three pipeline functions to time
  them: wall and CPU are shown apart for **start-up** (interpreter, imports, flow run created: from the
  process start to the first extraction submitted), **extract+load** (first extraction submitted to the
  last load returned: the extraction processes and the loads overlap; the loads' own time is shown inside),
  **links** (the links and findings recompute), and **orchestration and the rest** (what remains of the
  process: Prefect's task runs, the run record, publishing, exit).  CPU of the extraction processes is
  their own (reaped children); CPU of the ingest process is split by thread CPU time in the wrapped calls.

Derived figures, with the targets of issue 16, each printed with PASS or FAIL at N = 1000 (the corpus the
issue sets them on; smaller corpora are shown without a verdict) and the load average of the runs:

* ``refpipe ingest -j 1`` wall / bare pdfplumber wall  (target <= 0.5);
* front end pdfplumber CPU / front end pdfium CPU       (target >= 8);
* front end pdfium, 1 worker / 2 workers (wall of the pass)  (target >= 1.8);
* ``refpipe ingest`` -j 1 wall / -j 2 wall              (target >= 1.8; the rounds interleave them);
* peak RSS of the ingest process tree at the largest N / at the smallest (target within +15 %).

Lemma keys: the ingest runs share one ``REFPIPE_CACHE_DIR`` made for the benchmark and filled by a first,
untimed ingest of the smallest corpus, so the timed runs show the links step when the capacity texts were
lemmatised before (the same texts recur in every corpus); a cold cache costs one spaCy load (~5 s CPU).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_pipeline import prefect_server, tree_rss  # noqa: E402
from build_corpus import FIXTURES, build  # noqa: E402

TARGET_INGEST_RATIO = 0.5
TARGET_FRONT_END = 8.0
TARGET_SPEEDUP = 1.8
TARGET_RSS_GROWTH = 0.15

#: ``--only`` groups: the measurements each names
GROUPS: dict[str, tuple[str, ...]] = {
    "plumber": ("bare pdfplumber",), "pdfium": ("bare pypdfium2",),
    "front-end": ("front end pdfium", "front end pdfplumber", "front end pdfium, 2 workers"),
    "workers": ("front end pdfium", "front end pdfium, 2 workers"),
    "ingest": ("refpipe ingest -j 1", "refpipe ingest -j 2"), "one-off": ("refpipe ingest -j 1, one-off",),
    "targets": ("bare pdfplumber", "refpipe ingest -j 1", "refpipe ingest -j 2"),
}


# ---------------------------------------------------------------------------------------------- children


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def child_bare_plumber(inbox: str) -> dict[str, Any]:
    from bare_passes import bare_plumber

    return _bare(bare_plumber, inbox)


def child_bare_pdfium(inbox: str) -> dict[str, Any]:
    from bare_passes import bare_pdfium

    return _bare(bare_pdfium, inbox)


def _bare(one: Callable[[Path], int], inbox: str) -> dict[str, Any]:
    started, cpu, pages = time.perf_counter(), _cpu(), 0
    for path in sorted(Path(inbox).iterdir()):
        pages += one(path)
    return {"seconds": time.perf_counter() - started, "cpu": _cpu() - cpu, "pages": pages}


def child_front_end(backend: str, inbox: str) -> dict[str, Any]:
    from pipeline.extract import source_of
    from pipeline.extract.pdf import extract_pdf

    started, cpu, pages = time.perf_counter(), _cpu(), 0
    for path in sorted(Path(inbox).iterdir()):
        data = path.read_bytes()
        pages += extract_pdf(path, data, source_of(path, data, "pdf"), backend=backend).source.pages or 0
    return {"seconds": time.perf_counter() - started, "cpu": _cpu() - cpu, "pages": pages}


def child_front_end_workers(workers: str, inbox: str) -> dict[str, Any]:
    """The pdfium front end over the corpus split between ``workers`` processes (``bench_pdf.on_workers``:
    files dealt alternately, each process imported before a common start): wall from the start to the last
    end, and their CPU."""
    from bench_pdf import on_workers

    seconds, cpu, pages = on_workers(sorted(Path(inbox).iterdir()), int(workers), repeat=1, warm=False)
    return {"seconds": seconds, "cpu": cpu, "pages": pages}


def child_ingest(inbox: str, warehouse: str, workers: str, spawned: str) -> dict[str, Any]:
    """``refpipe ingest INBOX -w WAREHOUSE -j WORKERS`` through the real CLI, three pipeline calls timed."""
    import threading

    entered = time.time()
    marks: dict[str, float] = {}
    spent: dict[str, list[float]] = {"load": [0.0, 0.0], "links": [0.0, 0.0]}
    lock = threading.Lock()

    from pipeline import runtime

    def timed(name: str, fn: Callable[..., Any], first: str | None = None, last: str | None = None) -> Any:
        def run(*a: Any, **k: Any) -> Any:
            if first:
                with lock:
                    if first not in marks:
                        marks[first] = time.time()
                        marks[first + "_cpu"] = _cpu()  # the ingest process, all its threads
            wall, cpu = time.perf_counter(), time.thread_time()
            try:
                return fn(*a, **k)
            finally:
                with lock:
                    if name in spent:
                        spent[name][0] += time.perf_counter() - wall
                        spent[name][1] += time.thread_time() - cpu
                    if last:
                        marks[last] = time.time()
        return run

    runtime.extract_chunk = timed("extract", runtime.extract_chunk, first="extract_start")
    runtime.load_chunk = timed("load", runtime.load_chunk, last="load_end")
    runtime.link = timed("links", runtime.link, first="links_start", last="links_end")

    from refpipe.cli import app

    code = 0
    try:
        app(["ingest", inbox, "--warehouse", warehouse, "--workers", workers], standalone_mode=False)
    except SystemExit as exc:  # typer.Exit(1) when a file was rejected
        code = int(exc.code or 0)
    ended = time.time()
    own = _cpu()
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"spawned": float(spawned), "entered": entered, "ended": ended, "marks": marks, "spent": spent,
            "cpu_ingest_process": own, "cpu_extraction": kids.ru_utime + kids.ru_stime, "code": code}


CHILDREN: dict[str, Callable[..., dict[str, Any]]] = {
    "bare_plumber": child_bare_plumber, "bare_pdfium": child_bare_pdfium, "front_end": child_front_end,
    "front_end_workers": child_front_end_workers, "ingest": child_ingest}


# ---------------------------------------------------------------------------------------------- parent


def run_child(env: dict[str, str], *args: str) -> dict[str, Any]:
    """One measurement in a fresh process: its result, wall, CPU of its process tree, peak RSS of the tree."""
    import psutil

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    spawned = time.time()
    started = time.perf_counter()
    argv = [sys.executable, __file__, "--child", *args]
    if args[0] == "ingest":
        argv.append(repr(spawned))
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    ps = psutil.Process(proc.pid)
    peak = peak_own = 0
    while proc.poll() is None:
        peak = max(peak, tree_rss(ps))
        with contextlib.suppress(psutil.Error):
            peak_own = max(peak_own, ps.memory_info().rss)
        time.sleep(0.1)
    out, err = proc.communicate()
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    lines = [line for line in out.splitlines() if line.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"{' '.join(args)} failed ({proc.returncode}):\n{err[-3000:]}")
    result: dict[str, Any] = json.loads(lines[-1][len("RESULT "):])
    result.update(wall=wall, peak_rss=peak, peak_rss_own=peak_own, load=os.getloadavg()[0],
                  tree_cpu=(after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime))
    return result


def phases(r: dict[str, Any]) -> dict[str, tuple[float, float]]:
    """(wall, CPU) of each phase of one ``refpipe ingest`` run."""
    m, spent = r["marks"], r["spent"]
    start = r["spawned"]
    first = m.get("extract_start", r["ended"])
    load_end = m.get("load_end", first)
    links = spent["links"]
    startup_wall = first - start
    span_wall = max(0.0, load_end - first)
    total_wall = r["wall"]
    startup_cpu = m.get("extract_start_cpu", r["cpu_ingest_process"])
    rest_cpu = max(0.0, r["cpu_ingest_process"] - startup_cpu - spent["load"][1] - links[1])
    return {
        "start-up": (startup_wall, startup_cpu),
        "extract+load": (span_wall, r["cpu_extraction"] + spent["load"][1]),
        "  of which loads": (spent["load"][0], spent["load"][1]),
        "  extraction processes": (float("nan"), r["cpu_extraction"]),
        "links": (links[0], links[1]),
        "orchestration and the rest": (max(0.0, total_wall - startup_wall - span_wall - links[0]), rest_cpu),
        "total": (total_wall, r["tree_cpu"]),
    }


def med(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def main(argv: list[str]) -> int:
    if argv[:1] == ["--child"]:
        mode, *child_args = argv[1:]
        print("RESULT " + json.dumps(CHILDREN[mode](*child_args)), flush=True)
        return 0
    ap = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100, 1000])
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds per size (median reported)")
    ap.add_argument("--rounds-large", type=int, default=1, help="rounds for sizes above 100")
    ap.add_argument("--skip-plumber-front-end-above", type=int, default=100,
                    help="time the pdfplumber front end only up to this N (it is the slowest pass)")
    ap.add_argument("--ingest-only-above", type=int, default=None,
                    help="above this N, time only the ingest runs and the bare pypdfium2 pass (the pdfplumber "
                         "passes of a large corpus take long on a busy machine; their ratios use the smaller N)")
    ap.add_argument("--only", nargs="+", choices=sorted(GROUPS), default=None,
                    help="measure only these (default: all): 'targets' = the bare pdfplumber pass and refpipe "
                         "ingest -j 1 and -j 2, what the ingest targets need; 'ingest' = the two ingest runs alone; "
                         "'workers' = the pdfium front end on 1 and on 2 workers")
    ap.add_argument("--keep", type=Path, default=None)
    args = ap.parse_args(argv)
    work = args.keep or Path(tempfile.mkdtemp(prefix="refpipe-bench-user-"))
    work.mkdir(parents=True, exist_ok=True)
    load1, load5, _ = os.getloadavg()
    print(f"machine: {os.cpu_count()} CPUs, load average {load1:.2f} (1 min), {load5:.2f} (5 min) before; "
          "shared with other work unless said otherwise", flush=True)
    summary: dict[int, dict[str, Any]] = {}
    home = work / "prefect-home"
    home.mkdir(exist_ok=True)
    with prefect_server(home) as api:
        env = {**os.environ, "PREFECT_API_URL": api, "PREFECT_HOME": str(home), "PREFECT_LOGGING_LEVEL": "WARNING",
               "REFPIPE_CACHE_DIR": str(work / "cache"), "PYTHONPATH": str(ROOT)}
        env.pop("REFPIPE_PDF_BACKEND", None)
        for n in args.sizes:
            inbox = work / f"corpus-{n}"
            if not inbox.exists():
                build(n, inbox)
            warm = work / "corpus-warm"
            if not warm.exists():  # fill the lemma-key cache once, untimed: the 15 fixtures hold every text
                build(len(FIXTURES), warm)
                run_child(env, "ingest", str(warm), str(work / "warm.duckdb"), "2")
            rounds = args.rounds if n <= 100 else args.rounds_large
            plan: list[tuple[str, tuple[str, ...]]] = [
                ("bare pdfplumber", ("bare_plumber", str(inbox))),
                ("bare pypdfium2", ("bare_pdfium", str(inbox))),
                ("front end pdfium", ("front_end", "pdfium", str(inbox))),
                ("front end pdfium, 2 workers", ("front_end_workers", "2", str(inbox))),
                ("refpipe ingest -j 1", ("ingest", str(inbox), "", "1")),
                ("refpipe ingest -j 2", ("ingest", str(inbox), "", "2")),
                ("refpipe ingest -j 1, one-off", ("ingest", str(inbox), "", "1", "one-off")),
            ]
            if n <= args.skip_plumber_front_end_above:
                plan.insert(3, ("front end pdfplumber", ("front_end", "pdfplumber", str(inbox))))
            if args.ingest_only_above is not None and n > args.ingest_only_above:
                plan = [(name, child) for name, child in plan if name.startswith("refpipe") or "pypdfium2" in name]
            if args.only:
                wanted = {name for group in args.only for name in GROUPS[group]}
                plan = [(name, child) for name, child in plan if name in wanted]
            results: dict[str, list[dict[str, Any]]] = {name: [] for name, _ in plan}
            for r in range(rounds):
                for name, child in plan:
                    child_env = env
                    if child[0] == "ingest":
                        warehouse = work / f"w-{n}-{child[3]}-{len(child)}-{r}.duckdb"
                        warehouse.unlink(missing_ok=True)
                        if len(child) > 4:  # one-off: no server named, the stages run in process
                            child_env = {k: v for k, v in env.items() if k != "PREFECT_API_URL"}
                        child = ("ingest", child[1], str(warehouse), child[3])
                    res = run_child(child_env, *child)
                    results[name].append(res)
                    print(f"  N={n} round {r + 1}/{rounds}: {name:28s} {res['wall']:8.2f} s wall  "
                          f"{res['tree_cpu']:8.2f} s CPU  {res['peak_rss'] / 1e6:6.0f} MB  "
                          f"(load average {res['load']:.1f})", flush=True)
            summary[n] = report(n, results, count_pages(inbox))
    print_targets(summary)
    return 0


def count_pages(inbox: Path) -> int:
    import pypdfium2 as pdfium

    pages = 0
    for path in inbox.iterdir():
        pdf = pdfium.PdfDocument(path)
        pages += len(pdf)
        pdf.close()
    return pages


def report(n: int, results: dict[str, list[dict[str, Any]]], pages: int) -> dict[str, Any]:
    print(f"\nN = {n}: {n} PDFs, {pages} pages (medians of {len(next(iter(results.values())))} round(s))")
    out: dict[str, Any] = {"pages": pages}
    for name, rs in results.items():
        wall, cpu = med([r["wall"] for r in rs]), med([r["tree_cpu"] for r in rs])
        rss = max(r["peak_rss"] for r in rs)
        own = max(r.get("peak_rss_own", 0) for r in rs)
        out[name] = {"wall": wall, "cpu": cpu, "rss": rss, "rss_own": own, "load": max(r["load"] for r in rs),
                     "inner": med([r.get("seconds", r["wall"]) for r in rs]),
                     "inner_cpu": med([r.get("cpu", r["tree_cpu"]) for r in rs])}
        rate = f"{pages / wall:7.1f} pages/s" if pages else ""
        print(f"  {name:28s} {wall:8.2f} s wall {cpu:8.2f} s CPU  {rss / 1e6:5.0f} MB  {rate}"
              + (f"   (pass alone: {out[name]['inner']:.2f} s, the rest is interpreter start and imports)"
                 if "seconds" in rs[0] else ""))
        if name.startswith("refpipe ingest"):
            print(f"      peak RSS of the ingest process alone {own / 1e6:.0f} MB (the rest: its extraction processes)")
            table = [phases(r) for r in rs]
            if name.endswith("one-off"):
                print("      (in process: orchestration is the thread pool; no Prefect)")
            for phase in table[0]:
                w, c = med([t[phase][0] for t in table]), med([t[phase][1] for t in table])
                print(f"      {phase:28s} {w:8.2f} s wall {c:8.2f} s CPU".replace("nan s", "  - s"))
    return out


#: the corpus size issue 16 sets its targets on; smaller corpora are shown without a verdict
TARGET_N = 1000


def verdict(ok: bool, n: int = TARGET_N) -> str:
    if n < TARGET_N:
        return f"(no verdict: the target is set at N = {TARGET_N})"
    return "PASS" if ok else "FAIL"


def print_targets(summary: dict[int, dict[str, Any]]) -> None:
    """One line per target of issue 16 and corpus size, each with PASS or FAIL (or why it cannot say)."""
    print("\n=== targets (issue 16) ===")
    per_page = next(({k: v for k, v in s["bare pdfplumber"].items()} | {"pages": s["pages"]}
                     for s in summary.values() if "bare pdfplumber" in s), None)
    for n, s in summary.items():
        ingest1, ingest2 = s.get("refpipe ingest -j 1"), s.get("refpipe ingest -j 2")
        if ingest1 and "bare pdfplumber" in s:
            bare = s["bare pdfplumber"]
            ratio = ingest1["wall"] / bare["wall"]
            print(f"N = {n}: refpipe ingest -j 1 / bare pdfplumber extract_words (wall): {ratio:.2f}  "
                  f"(target <= {TARGET_INGEST_RATIO})  {verdict(ratio <= TARGET_INGEST_RATIO, n)}"
                  f"   [CPU: {ingest1['cpu'] / bare['cpu']:.2f}; load average {bare['load']:.1f} / "
                  f"{ingest1['load']:.1f}]")
        elif ingest1 and per_page is not None and s.get("pages") and per_page["pages"]:
            scale = s["pages"] / per_page["pages"]  # the bare pass is linear in pages (one process, no state)
            ratio = ingest1["cpu"] / (per_page["cpu"] * scale)
            print(f"N = {n}: refpipe ingest -j 1 CPU / bare pdfplumber CPU scaled from {per_page['pages']} "
                  f"pages to {s['pages']}: {ratio:.2f}  (target <= {TARGET_INGEST_RATIO}; an estimate, no verdict: "
                  "the bare pass was not run at this N)")
        if "front end pdfplumber" in s and "front end pdfium" in s:
            pl, pf = s["front end pdfplumber"], s["front end pdfium"]
            fe = pl["inner"] / pf["inner"]
            print(f"N = {n}: front end pdfplumber / front end pdfium (wall of the pass): {fe:.2f}x  "
                  f"(target >= {TARGET_FRONT_END})  {verdict(fe >= TARGET_FRONT_END)}"
                  f"   [CPU of the pass: {pl['inner_cpu'] / pf['inner_cpu']:.2f}x]")
        if "bare pdfplumber" in s and "bare pypdfium2" in s:
            print(f"N = {n}: bare pdfplumber / bare pypdfium2 (CPU of the pass): "
                  f"{s['bare pdfplumber']['inner_cpu'] / s['bare pypdfium2']['inner_cpu']:.1f}x")
        if "front end pdfium" in s:
            print(f"N = {n}: front end pdfium CPU per page: "
                  f"{1000 * s['front end pdfium']['inner_cpu'] / max(1, s['pages']):.1f} ms")
        if "front end pdfium" in s and "front end pdfium, 2 workers" in s:
            speed = s["front end pdfium"]["inner"] / s["front end pdfium, 2 workers"]["inner"]
            print(f"N = {n}: front end pdfium, 1 worker / 2 workers (wall of the pass): {speed:.2f}x  "
                  f"(target >= {TARGET_SPEEDUP})  {verdict(speed >= TARGET_SPEEDUP, n)}   "
                  f"[load average {s['front end pdfium']['load']:.1f}: meaningful only on an otherwise idle machine]")
        if ingest1 and ingest2:
            speed = ingest1["wall"] / ingest2["wall"]
            print(f"N = {n}: refpipe ingest -j 1 / -j 2 (wall): {speed:.2f}x  (target >= {TARGET_SPEEDUP})  "
                  f"{verdict(speed >= TARGET_SPEEDUP, n)}   "
                  f"[load average {ingest1['load']:.1f} / {ingest2['load']:.1f}: "
                  "meaningful only on an otherwise idle machine]")
    if len(summary) > 1:
        lo, hi = min(summary), max(summary)
        for name in ("refpipe ingest -j 1", "refpipe ingest -j 2"):
            if name in summary[lo] and name in summary[hi]:
                a, b = summary[lo][name]["rss"], summary[hi][name]["rss"]
                growth = b / a - 1
                print(f"N = {lo} -> {hi}: peak RSS {name} (process tree): {a / 1e6:.0f} -> {b / 1e6:.0f} MB: "
                      f"{growth:+.0%}  (target within +{TARGET_RSS_GROWTH:.0%})  "
                      f"{verdict(growth <= TARGET_RSS_GROWTH, hi)}"
                      f"   [ingest process alone: {summary[lo][name]['rss_own'] / 1e6:.0f} -> "
                      f"{summary[hi][name]['rss_own'] / 1e6:.0f} MB]")


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main(sys.argv[1:]))
