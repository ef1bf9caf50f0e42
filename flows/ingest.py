"""The ingestion flow: discover -> (skip known bytes) -> extract in parallel -> load in order, one writer.

Tasks are one-call wrappers around ``pipeline``; the flow only routes each file's outcome.  Bad
files end as rejections recorded in the warehouse (the quarantine), never as a crashed batch.

Unattended runs (see the README, "Scheduled ingestion"):

* incremental: the sha256 of every file is looked up first; bytes already loaded are ``unchanged``,
  bytes already rejected are ``quarantined``, both without being parsed; a changed file has new bytes
  and loads as a new version; a deleted file deletes nothing.  A run with nothing new starts no
  extraction process, loads no spaCy model and recomputes no links;
* parallel: extraction (read, front end, parser, normalisation) runs as ``extract`` tasks, each on a
  chunk of consecutive files (up to ``CHUNK_MAX``), at most ``2 * workers`` chunks in flight, on the
  flow's task runner: a thread pool of ``workers`` threads, each driving a child process
  (``pipeline.executor``), or a Dask cluster (``task_runner(dask=...)``).  The results are loaded by
  this process alone (``load`` task per chunk: one transaction, or one per document on error) in
  discovery order, the order of a 1-worker run, so the warehouse, versions included, does not depend on
  the worker count;
  only the chunks in flight are in memory, whatever the size of the batch;
* limits: each extraction runs in a child process under ``pipeline.limits.Limits`` (size, pages, time);
* crash-safe and reader-safe: the run writes into a staging copy under the writer lock and publishes
  it atomically (``pipeline.load.publish``); a kill -9 leaves the published warehouse as it was at the
  last publish, and readers holding it open are never in the way;
* every completed run leaves a row in ``runs`` (``refpipe status``).

``run_ingest`` picks the task runner (``--workers``, ``--dask``) and runs the flow; ``ingest_flow`` alone
runs with a thread pool of one thread per CPU.
"""

from __future__ import annotations

import os
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.futures import PrefectFuture
from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner
from prefect.utilities.annotations import quote

from pipeline.batch import FileOutcome, Rejection, SourceFile, discover
from pipeline.errors import TransientError
from pipeline.executor import extract_batch, shutdown
from pipeline.ingest import (
    export_outcome,
    is_export_file,
    known_sources,
    links_stale,
    load_batch,
    remember,
    skip_outcome,
)
from pipeline.limits import Limits
from pipeline.load import warehouse as wh
from pipeline.load.links_store import RecomputeSummary, recompute_warehouse
from pipeline.load.publish import writing
from pipeline.load.runs import RunRecord, count_outcomes, record_run, utc_now
from pipeline.records import Document

Progress = Callable[[FileOutcome], None]
Discovered = Callable[[int], None]
Extracted = Document | Rejection

# ``run_ingest``'s progress callbacks reach the flow here rather than as parameters: Prefect ships the
# flow's parameters to remote task runners (Dask), and a progress bar cannot be pickled
_progress: ContextVar[tuple[Progress | None, Discovered | None]] = ContextVar("refpipe_progress",
                                                                              default=(None, None))

#: seconds to connect to a Dask scheduler before giving up (``--dask``)
DASK_CONNECT_TIMEOUT = 30


def default_workers() -> int:
    """One extraction process per CPU this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def task_runner(workers: int | None = None, dask: str | None = None) -> TaskRunner[PrefectFuture[Any]]:
    """The runner of the ``extract`` tasks: ``workers`` threads (each drives an extraction process), or the
    Dask cluster at ``dask`` (``tcp://host:port``), whose workers run the extractions."""
    if dask:
        from prefect_dask import DaskTaskRunner

        runner: TaskRunner[Any] = DaskTaskRunner(address=dask, client_kwargs={"timeout": DASK_CONNECT_TIMEOUT})
    else:
        runner = ThreadPoolTaskRunner(max_workers=workers or default_workers())
    return runner


# no cache policy: Prefect would otherwise hash every task's inputs (whole documents) for a cache key


@task(name="discover", cache_policy=NO_CACHE)
def discover_task(paths: list[str]) -> list[SourceFile]:
    return discover(paths)


@task(name="extract", cache_policy=NO_CACHE)
def extract_task(paths: list[str], limits: Limits) -> list[Extracted]:
    return extract_batch(paths, limits)


@task(name="load", cache_policy=NO_CACHE)
def load_task(items: list[tuple[SourceFile, Extracted]], warehouse: str) -> list[FileOutcome]:
    return load_batch(items, Path(warehouse))


@task(name="link", retries=2, retry_delay_seconds=1, cache_policy=NO_CACHE)
def link_task(warehouse: str) -> RecomputeSummary:
    return recompute_warehouse(warehouse)


@task(name="record-run", cache_policy=NO_CACHE)
def record_run_task(warehouse: str, run: RunRecord) -> None:
    con = wh.connect(warehouse)
    try:
        record_run(con, run)
    finally:
        con.close()


@flow(name="refpipe-ingest", validate_parameters=False, task_runner=task_runner())
def ingest_flow(paths: list[str], warehouse: str, on_file: Progress | None = None,
                on_discovered: Discovered | None = None, limits: Limits | None = None,
                retry_quarantined: bool = False, trigger: str = "flow", workers: int | None = None,
                links: bool = True, include_rs: bool = True) -> list[FileOutcome]:
    """Ingest every file under ``paths`` into the DuckDB file ``warehouse`` (see the module doc).

    ``workers``: extractions in flight at once is ``2 * workers`` (default: the CPU count); the task
    runner decides how many run at the same time.  ``links=False`` leaves the links recompute to the
    next run (or ``refpipe links``), which finds them stale.  An open-data export is imported in this
    process (``pipeline.ingest.export_outcome``); ``include_rs=False`` leaves out its RS fiches."""
    limits = limits or Limits.from_env()
    on_file, on_discovered = _callbacks(on_file, on_discovered)
    started = utc_now()
    sources = discover_task(paths)
    if on_discovered:
        on_discovered(len(sources))
    outcomes: list[FileOutcome] = []
    try:
        with writing(warehouse, command=f"refpipe ingest ({trigger})") as session:
            staging = str(session.path)
            known = known_sources(session.path)
            for outcome in _ingest_in_order(sources, known, staging, limits, retry_quarantined,
                                            workers or default_workers(), include_rs):
                remember(known, outcome)
                outcomes.append(outcome)
                if outcome.status in ("loaded", "partial", "rejected"):  # the staging file changed
                    session.document_done()
                if on_file:
                    on_file(outcome)
            if links and links_stale(session.path):  # links and findings follow the documents (even a crashed run's)
                link_task(staging)
            prev = session.interrupted
            note = (f"the previous writer (pid {prev.pid}, {prev.command}, started {prev.started_at}) was "
                    "interrupted; what it had not published was discarded") if prev else None
            record_run_task(staging, RunRecord(
                run_id=_run_id(), started_at=started, finished_at=utc_now(), trigger=trigger,
                paths=tuple(paths), counts=count_outcomes(outcomes), limits=limits, note=note))
    finally:
        shutdown()  # the extraction processes of this process
    return outcomes


def run_ingest(paths: list[str], warehouse: str, *, workers: int | None = None, dask: str | None = None,
               on_file: Progress | None = None, on_discovered: Discovered | None = None,
               **options: Any) -> list[FileOutcome]:
    """``ingest_flow`` with the task runner for ``workers`` / ``dask`` (what ``refpipe ingest`` runs)."""
    runner = task_runner(workers, dask)
    token = _progress.set((on_file, on_discovered))
    try:
        return ingest_flow.with_options(task_runner=runner)(paths, warehouse, workers=workers, **options)
    except OSError as exc:
        if dask and dask in str(exc):  # distributed: "Timed out trying to connect to tcp://… after 30 s"
            raise TransientError(f"cannot reach the Dask scheduler: {exc}") from exc
        raise
    finally:
        _progress.reset(token)


def _callbacks(on_file: Progress | None, on_discovered: Discovered | None) -> tuple[Progress | None, Discovered | None]:
    """The flow's progress callbacks: its parameters, else ``run_ingest``'s.  (A function, so that the flow
    refers to no ContextVar itself: remote runners pickle the flow's function with what it refers to.)"""
    given = _progress.get()
    return on_file or given[0], on_discovered or given[1]


_AGAIN = object()  # the same bytes as an earlier file of the batch: decided once that one is loaded
_EXPORT = object()  # an open-data export (thousands of fiches): imported in this process, in order

#: files per ``extract`` / ``load`` task at most: fewer task runs (Prefect's cost per run is paid in this
#: process and on the server, ~50 ms of CPU), while a batch still spreads over the workers
CHUNK_MAX = 16
#: files per task at least (but the last): a task of one file would spend a sixth of its CPU on Prefect
CHUNK_MIN = 2


def chunk_size(files: int, workers: int) -> int:
    """Files in the next task when ``files`` are still to extract: at most ``CHUNK_MAX``, and fewer towards
    the end (at least 3 tasks per worker for what is left, down to ``CHUNK_MIN``), so that the workers
    finish together."""
    return min(files, max(CHUNK_MIN, min(CHUNK_MAX, files // (3 * workers))))


def _ingest_in_order(sources: list[SourceFile], known: dict[str, Any], warehouse: str, limits: Limits,
                     retry_quarantined: bool, workers: int, include_rs: bool = True) -> Iterator[FileOutcome]:
    """The outcome of each source, in discovery order.

    Known bytes are skipped without being extracted.  The others are extracted in chunks of consecutive
    files (``chunk_size``; ``extract`` tasks on the task runner, at most ``2 * workers`` chunks in flight) and
    each chunk is loaded here, in order, as soon as it is back (``load`` task): the warehouse gets the documents in
    discovery order whatever the number of workers, and at most ``2 * workers`` chunks of documents are in
    memory.  A file with the same bytes as an earlier one of the batch is decided after that one is loaded
    (parsed once, as in a 1-worker run)."""
    plan: list[object] = []  # per source: its FileOutcome (skipped), None (extracted), _AGAIN or _EXPORT
    todo: list[SourceFile] = []
    first: set[str] = set()
    for source in sources:
        skipped = skip_outcome(source, known, retry_quarantined=retry_quarantined)
        if skipped is not None:
            plan.append(skipped)
        elif is_export_file(source.path):  # an open-data export: streamed here, not extracted
            plan.append(_EXPORT)
        elif source.sha256 in first:
            plan.append(_AGAIN)
        else:
            first.add(source.sha256)
            plan.append(None)
            todo.append(source)
    del first
    waiting = deque(todo)
    del todo
    in_flight: deque[tuple[list[SourceFile], PrefectFuture[list[Extracted]]]] = deque()

    def fill() -> None:
        while waiting and len(in_flight) < 2 * workers:
            chunk = [waiting.popleft() for _ in range(min(len(waiting), chunk_size(len(waiting), workers)))]
            in_flight.append((chunk, extract_task.submit([s.path for s in chunk], limits)))

    fill()
    loaded: deque[FileOutcome] = deque()  # the outcomes of the chunk being handed out
    for source, step in zip(sources, plan, strict=True):
        if isinstance(step, FileOutcome):
            yield step
        elif step is _AGAIN:
            yield skip_outcome(source, known, retry_quarantined=False) or ingest_one(source, warehouse, limits)
        elif step is _EXPORT:
            yield export_outcome(source, warehouse, include_rs=include_rs)
        else:
            if not loaded:
                chunk, future = in_flight.popleft()
                extracted = _results(chunk, future, limits)
                fill()  # keep the workers busy while this chunk loads
                loaded.extend(extracted if isinstance(extracted[0], FileOutcome)
                              else _load_chunk(chunk, extracted, warehouse))
                del extracted, future
            yield loaded.popleft()


def _results(chunk: list[SourceFile], future: PrefectFuture[list[Extracted]], limits: Limits
             ) -> list[Extracted] | list[FileOutcome]:
    """The chunk's extractions; a runner that fails or does not answer makes them ``failed`` (retried next run).

    Each file's time limit is enforced by its extraction process; the wait here only guards against a
    runner that lost the task (a Dask worker gone), with a margin."""
    wait = (limits.seconds + 30) * len(chunk) + 60 if limits.seconds else None
    try:
        return future.result(timeout=wait)
    except Exception as exc:  # noqa: BLE001 - the runner's failure is not the files': report it, go on
        return [FileOutcome(path=s.path, sha256=s.sha256, status="failed",
                            reason=f"{s.path}: extraction did not complete ({type(exc).__name__}: {exc})")
                for s in chunk]


def _load_chunk(chunk: list[SourceFile], extracted: list[Extracted], warehouse: str) -> list[FileOutcome]:
    try:
        # quoted: Prefect would otherwise walk every object of every document, several times, looking for
        # futures to track (1.7 ms of CPU per document and walk on the fixture documents)
        items: Any = quote(list(zip(chunk, extracted, strict=True)))  # the task receives the list itself
        return load_task(items, warehouse)
    except TransientError as exc:  # the load task could not even start: these files are retried next run
        return [FileOutcome(path=s.path, sha256=s.sha256, status="failed", reason=str(exc)) for s in chunk]


def ingest_one(source: SourceFile, warehouse: str, limits: Limits) -> FileOutcome:
    """One file, extracted (on the task runner) and loaded now."""
    return _load_chunk([source], extract_task([source.path], limits), warehouse)[0]


def _run_id() -> str:
    from prefect.runtime import flow_run

    run_id = flow_run.id
    return str(run_id) if run_id else uuid.uuid4().hex
