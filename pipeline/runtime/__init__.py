"""``ingest_paths``: the one entry that ingests files — the CLI, the Prefect flows and ``refpipe diff`` call it.

discover -> (skip known bytes) -> extract in parallel -> load in order, one writer -> links -> diffs of the
new versions (``version_diffs``) -> run record.

* incremental: the sha256 of every file is looked up first; bytes already loaded are ``unchanged``,
  bytes already rejected are ``quarantined``, both without being parsed; a changed file has new bytes
  and loads as a new version; a deleted file deletes nothing.  A run with nothing new starts no
  extraction process, loads no spaCy model and recomputes no links;
* parallel: extraction (read, front end, parser, normalisation) runs on chunks of consecutive files
  (up to ``CHUNK_MAX``), at most ``2 * workers`` chunks in flight, each file in an extraction process
  under the limits (``executor``).  The results are loaded by this process alone (one transaction per
  chunk, or one per document on error) in discovery order, the order of a 1-worker run, so the
  warehouse, versions included, does not depend on the worker count; only the chunks in flight are in
  memory, whatever the size of the batch;
* crash-safe and reader-safe: the run writes into a staging copy under the writer lock and publishes
  it atomically (``pipeline.load.publish``);
* every completed run leaves a row in ``runs`` (``refpipe status``);
* an open-data export (one file, thousands of fiches) is imported by this process, streamed in one
  transaction (``pipeline.load.rncp_export``), not extracted per document.

*How* the stages run is the caller's choice, a ``Stages``: ``InProcess`` (a thread pool here: what a
one-off ``refpipe ingest`` uses, no orchestration server) or the Prefect tasks of ``flows.ingest``
(scheduled and deployed runs, Dask).  The scheduling above is the same code for both.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, TypeVar

from pipeline.errors import TransientError, reraise_interrupt
from pipeline.limits import Limits
from pipeline.load import warehouse as wh
from pipeline.load.publish import writing
from pipeline.load.runs import RunRecord, count_outcomes, record_run, utc_now
from pipeline.records import Document, FileOutcome, Outcome, Rejection, SourceFile
from pipeline.runtime.batch import DiscoveryOptions, discover
from pipeline.runtime.executor import extract_batch, shutdown
from pipeline.runtime.links import RecomputeSummary, recompute_warehouse
from pipeline.runtime.loading import (
    Known,
    export_outcome,
    forget_read_paths,
    is_export_file,
    known_sources,
    links_stale,
    load_batch,
    remember,
    skip_outcome,
)
from pipeline.runtime.version_diffs import diff_new_versions

_log = logging.getLogger(__name__)

Extracted = Document | Rejection
Progress = Callable[[FileOutcome], None]
Discovered = Callable[[int], None]
T_co = TypeVar("T_co", covariant=True)

#: files per extraction call at most: fewer task runs (an orchestrator's cost per task is paid in this
#: process, ~4 ms of CPU with Prefect, and ~20 ms in the Prefect server, on the same cores as the extraction
#: processes), while a batch still spreads over the workers (chunks shrink towards the end).  16 → 64: 1,000
#: files on 2 workers 34 → 32 s, the speed-up over 1 worker 1.58-1.69 → 1.78 × (benchmarks/README.md)
CHUNK_MAX = 64
#: files per call at least (but the last): a chunk of 4 is ~0.2 s of work, so the workers still end within
#: ~0.2 s of each other, without the tail of 2-file task runs (each costing the server ~20 ms) of a smaller one
CHUNK_MIN = 4


class Pending(Protocol[T_co]):
    """A result on its way (``concurrent.futures.Future``, ``PrefectFuture``)."""

    def result(self, timeout: float | None = None) -> T_co: ...


class Stages(Protocol):
    """How each stage of a run is executed; every method is one call of a ``pipeline`` function."""

    def submit_extract(self, sources: list[SourceFile], limits: Limits) -> Pending[list[Extracted]]: ...

    def load(self, items: list[tuple[SourceFile, Extracted]], warehouse: str) -> list[FileOutcome]: ...

    def link(self, warehouse: str) -> RecomputeSummary: ...

    def record_run(self, warehouse: str, run: RunRecord) -> None: ...

    def close(self) -> None: ...


def extract_chunk(sources: list[SourceFile], limits: Limits) -> list[Extracted]:
    return extract_batch(sources, limits)


def load_chunk(items: Sequence[tuple[SourceFile, Extracted]], warehouse: str) -> list[FileOutcome]:
    return load_batch(items, Path(warehouse))


def link(warehouse: str) -> RecomputeSummary:
    return recompute_warehouse(warehouse)


def record(warehouse: str, run: RunRecord) -> None:
    con = wh.connect(warehouse)
    try:
        record_run(con, run)
    finally:
        con.close()


class InProcess:
    """The stages called here, extractions on a pool of ``workers`` threads (each drives an extraction
    process): no orchestration server, nothing to start."""

    def __init__(self, workers: int) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="refpipe-extract")

    def submit_extract(self, sources: list[SourceFile], limits: Limits) -> Pending[list[Extracted]]:
        return self._pool.submit(extract_chunk, sources, limits)

    def load(self, items: list[tuple[SourceFile, Extracted]], warehouse: str) -> list[FileOutcome]:
        return load_chunk(items, warehouse)

    def link(self, warehouse: str) -> RecomputeSummary:
        return link(warehouse)

    def record_run(self, warehouse: str, run: RunRecord) -> None:
        record(warehouse, run)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


@dataclass(frozen=True)
class IngestOptions:
    limits: Limits = field(default_factory=Limits.from_env)
    retry_quarantined: bool = False
    trigger: str = "cli"  # what started the run, as `runs.trigger` shows it
    workers: int | None = None  # extraction processes (default: the CPU count)
    links: bool = True  # False leaves the links recompute to the next run, which finds them stale
    follow_links: bool = False  # symbolic links may lead out of the folders ingested
    include: tuple[str, ...] = ()  # globs: only the files matching one (name or path under the folder)
    exclude: tuple[str, ...] = ()  # globs: files left out
    include_rs: bool = True  # False leaves out the RS fiches of an open-data export


def default_workers() -> int:
    """One extraction process per CPU this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def ingest_paths(paths: Sequence[str | Path], warehouse: str | Path, options: IngestOptions | None = None, *,
                 stages: Stages | None = None, on_file: Progress | None = None,
                 on_discovered: Discovered | None = None, run_id: str | None = None) -> list[FileOutcome]:
    """Ingest every file under ``paths`` into the DuckDB file ``warehouse``; each file's outcome, in order.

    ``stages`` default to ``InProcess``; ``run_id`` (default: a new one) names the run in ``runs``."""
    options = options or IngestOptions()
    workers = options.workers or default_workers()
    own = stages is None
    stages = stages or InProcess(workers)
    started = utc_now()
    roots = [str(p) for p in paths]
    sources = discover(roots, DiscoveryOptions(limits=options.limits, follow_outside=options.follow_links,
                                               include=options.include, exclude=options.exclude))
    if on_discovered:
        on_discovered(len(sources))
    outcomes: list[FileOutcome] = []
    try:
        with writing(str(warehouse), command=f"refpipe ingest ({options.trigger})") as session:
            staging = str(session.path)
            known = known_sources(session.path)
            for outcome in _in_order(sources, known, staging, options, workers, stages):
                remember(known, outcome)
                outcomes.append(outcome)
                if outcome.status.wrote:  # the staging file changed
                    session.document_done()
                if on_file:
                    on_file(outcome)
            if options.links and links_stale(session.path):  # links follow the documents (even a crashed run's)
                _link(stages, staging)
            if any(o.status in (Outcome.LOADED, Outcome.PARTIAL) for o in outcomes):  # a new version is diffed at once
                _diff_versions(staging)
            if any(k.unread for k in known.values()) and forget_read_paths(  # paths refused unread before
                    staging, [s.path for s in sources if s.rejected is None]):
                session.document_done()  # a path refused unread before (over a limit) read this time
            prev = session.interrupted
            note = (f"the previous writer (pid {prev.pid}, {prev.command}, started {prev.started_at}) was "
                    "interrupted; what it had not published was discarded") if prev else None
            stages.record_run(staging, RunRecord(
                run_id=run_id or uuid.uuid4().hex, started_at=started, finished_at=utc_now(),
                trigger=options.trigger, paths=tuple(roots), counts=count_outcomes(outcomes),
                limits=options.limits, note=note))
    except BaseException:
        shutdown(now=True)  # Ctrl-C or a crash: kill the busy extraction processes, do not wait for them
        raise
    finally:
        if own:
            stages.close()
        shutdown()  # the extraction processes of this process
    return outcomes


def _link(stages: Stages, warehouse: str) -> None:
    """Recompute the links and findings; a failure there (its transaction rolled back) must not cost the
    documents: the tables stay stale, which readers detect and the next run fixes."""
    try:
        stages.link(warehouse)
    except Exception as exc:  # noqa: BLE001 - the documents are what the run is for
        reraise_interrupt(exc)  # Ctrl-C stops the run, it is not a links failure
        _log.warning("links and findings not brought up to date (%s: %s); the next `refpipe ingest` does it",
                     type(exc).__name__, exc)


def _diff_versions(warehouse: str) -> None:
    """Store the diff of each new version against its previous one (``version_diffs``); like the links, a
    failure there must not cost the documents: the next run that loads something computes what is missing."""
    try:
        con = wh.connect(warehouse)
        try:
            diff_new_versions(con)
        finally:
            con.close()
    except Exception as exc:  # noqa: BLE001 - the documents are what the run is for
        reraise_interrupt(exc)
        _log.warning("version diffs not stored (%s: %s); the next `refpipe ingest` that loads a file does it",
                     type(exc).__name__, exc)


_AGAIN = object()  # the same bytes as an earlier file of the batch: decided once that one is loaded
_EXPORT = object()  # an open-data export (thousands of fiches): streamed by this process, in order


def chunk_size(files: int, workers: int) -> int:
    """Files in the next chunk when ``files`` are still to extract: at most ``CHUNK_MAX``, and fewer towards
    the end (at least 2 chunks per worker for what is left, as many as may be in flight, down to
    ``CHUNK_MIN``), so that the workers finish together."""
    return min(files, max(CHUNK_MIN, min(CHUNK_MAX, files // (2 * workers))))


def _in_order(sources: list[SourceFile], known: dict[str, Known], warehouse: str, options: IngestOptions,
              workers: int, stages: Stages) -> Iterator[FileOutcome]:
    """The outcome of each source, in discovery order.

    Known bytes are skipped without being extracted.  The others are extracted in chunks of consecutive
    files (``chunk_size``, at most ``2 * workers`` chunks in flight) and each chunk is loaded here, in
    order, as soon as it is back: the warehouse gets the documents in discovery order whatever the number
    of workers, and at most ``2 * workers`` chunks of documents are in memory.  A file with the same bytes
    as an earlier one of the batch is decided after that one is loaded (parsed once, as in a 1-worker run)."""
    retry = options.retry_quarantined
    plan: list[object] = []  # per source: its FileOutcome (skipped), None (extracted), _AGAIN or _EXPORT
    todo: deque[SourceFile] = deque()
    first: set[str] = set()
    for source in sources:
        skipped = skip_outcome(source, known, retry_quarantined=retry)
        if skipped is not None:
            plan.append(skipped)
        elif source.rejected is None and source.member is None and is_export_file(source.path):
            # one source, thousands of fiches: streamed here, not extracted (never opened unless a regular file)
            plan.append(_EXPORT)
        elif source.sha256 in first:
            plan.append(_AGAIN)
        else:
            first.add(source.sha256)
            plan.append(None)
            todo.append(source)
    del first
    in_flight: deque[tuple[list[SourceFile], Pending[list[Extracted]]]] = deque()

    def fill() -> None:
        while todo and len(in_flight) < 2 * workers:
            chunk = [todo.popleft() for _ in range(min(len(todo), chunk_size(len(todo), workers)))]
            in_flight.append((chunk, stages.submit_extract(chunk, options.limits)))

    fill()
    loaded: deque[FileOutcome] = deque()  # the outcomes of the chunk being handed out
    for source, step in zip(sources, plan, strict=True):
        if isinstance(step, FileOutcome):
            yield step
        elif step is _EXPORT:
            yield export_outcome(source, warehouse, include_rs=options.include_rs)
        elif step is _AGAIN:
            yield (skip_outcome(source, known, retry_quarantined=False)
                   or _load([source], _results([source], stages.submit_extract([source], options.limits),
                                               options.limits), warehouse, stages)[0])
        else:
            if not loaded:
                chunk, pending = in_flight.popleft()
                extracted = _results(chunk, pending, options.limits)
                fill()  # keep the workers busy while this chunk loads
                loaded.extend(_load(chunk, extracted, warehouse, stages))
                del extracted, pending
            yield loaded.popleft()


def _results(chunk: list[SourceFile], pending: Pending[list[Extracted]], limits: Limits
             ) -> list[Extracted] | list[FileOutcome]:
    """The chunk's extractions; a runner that fails or does not answer makes them ``failed`` (retried next run).

    Each file's time limit is enforced by its extraction process; the wait here only guards against a
    runner that lost the task (a Dask worker gone), with a margin."""
    wait = (limits.seconds + 30) * len(chunk) + 60 if limits.seconds else None
    try:
        return pending.result(timeout=wait)
    except Exception as exc:  # noqa: BLE001 - the runner's failure is not the files': report it, go on
        reraise_interrupt(exc)
        return [FileOutcome(path=s.path, sha256=s.sha256, status=Outcome.FAILED,
                            reason=f"{s.path}: extraction did not complete ({type(exc).__name__}: {exc})")
                for s in chunk]


def _load(chunk: list[SourceFile], extracted: list[Extracted] | list[FileOutcome], warehouse: str,
          stages: Stages) -> list[FileOutcome]:
    if extracted and isinstance(extracted[0], FileOutcome):  # the extraction itself failed
        return [e for e in extracted if isinstance(e, FileOutcome)]
    items = [(s, e) for s, e in zip(chunk, extracted, strict=True) if not isinstance(e, FileOutcome)]
    try:
        return stages.load(items, warehouse)
    except TransientError as exc:  # the load could not even start: these files are retried next run
        return [FileOutcome(path=s.path, sha256=s.sha256, status=Outcome.FAILED, reason=str(exc)) for s in chunk]


__all__ = ["CHUNK_MAX", "IngestOptions", "InProcess", "Stages", "chunk_size", "default_workers", "ingest_paths"]
