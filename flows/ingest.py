"""The ingestion flow: discover -> (skip known bytes) -> extract -> normalize -> load, one document at a time.

Tasks are one-call wrappers around ``pipeline``; the flow only routes each file's outcome.  Bad
files end as rejections recorded in the warehouse (the quarantine), never as a crashed batch.

Unattended runs (see the README, "Scheduled ingestion"):

* incremental: the sha256 of every file is looked up first; bytes already loaded are ``unchanged``,
  bytes already rejected are ``quarantined``, both without being parsed; a changed file has new bytes
  and loads as a new version; a deleted file deletes nothing;
* limits: extraction runs in a child process under ``pipeline.limits.Limits`` (size, pages, time);
* crash-safe and reader-safe: the run writes into a staging copy under the writer lock and publishes
  it atomically (``pipeline.load.publish``); a kill -9 leaves the published warehouse as it was at the
  last publish, and readers holding it open are never in the way;
* every completed run leaves a row in ``runs`` (``refpipe status``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

from prefect import flow, task

from pipeline.batch import FileOutcome, Rejection, SourceFile, attempt, discover
from pipeline.errors import TransientError
from pipeline.executor import extract_limited, shutdown
from pipeline.ingest import known_sources, links_stale, load_outcome, rejection_outcome, remember, skip_outcome
from pipeline.limits import Limits
from pipeline.load import warehouse as wh
from pipeline.load.links_store import RecomputeSummary, recompute_warehouse
from pipeline.load.publish import writing
from pipeline.load.runs import RunRecord, count_outcomes, record_run, utc_now
from pipeline.normalize.document import normalize_document
from pipeline.records import Document

Progress = Callable[[FileOutcome], None]


@task(name="discover")
def discover_task(paths: list[str]) -> list[SourceFile]:
    return discover(paths)


@task(name="extract")
def extract_task(path: str, limits: Limits) -> Document | Rejection:
    return extract_limited(path, limits)


@task(name="normalize")
def normalize_task(document: Document) -> Document | Rejection:
    return attempt(normalize_document, document)


@task(name="load", retries=2, retry_delay_seconds=1)
def load_task(document: Document, warehouse: str) -> FileOutcome:
    return load_outcome(document, Path(warehouse))


@task(name="reject", retries=2, retry_delay_seconds=1)
def reject_task(source: SourceFile, rejection: Rejection, warehouse: str) -> FileOutcome:
    return rejection_outcome(source, rejection, Path(warehouse))


@task(name="link", retries=2, retry_delay_seconds=1)
def link_task(warehouse: str) -> RecomputeSummary:
    return recompute_warehouse(warehouse)


@task(name="record-run")
def record_run_task(warehouse: str, run: RunRecord) -> None:
    con = wh.connect(warehouse)
    try:
        record_run(con, run)
    finally:
        con.close()


@flow(name="refpipe-ingest", validate_parameters=False)
def ingest_flow(paths: list[str], warehouse: str, on_file: Progress | None = None,
                on_discovered: Callable[[int], None] | None = None, limits: Limits | None = None,
                retry_quarantined: bool = False, trigger: str = "flow") -> list[FileOutcome]:
    """Ingest every file under ``paths`` into the DuckDB file ``warehouse`` (see the module doc)."""
    limits = limits or Limits.from_env()
    started = utc_now()
    sources = discover_task(paths)
    if on_discovered:
        on_discovered(len(sources))
    outcomes: list[FileOutcome] = []
    try:
        with writing(warehouse, command=f"refpipe ingest ({trigger})") as session:
            staging = str(session.path)
            known = known_sources(session.path)
            for source in sources:
                outcome = (skip_outcome(source, known, retry_quarantined=retry_quarantined)
                           or ingest_one(source, staging, limits))
                remember(known, outcome)
                outcomes.append(outcome)
                if outcome.status in ("loaded", "partial", "rejected"):  # the staging file changed
                    session.document_done()
                if on_file:
                    on_file(outcome)
            if links_stale(session.path):  # links and findings follow the documents (even a crashed run's)
                link_task(staging)
            prev = session.interrupted
            note = (f"the previous writer (pid {prev.pid}, {prev.command}, started {prev.started_at}) was "
                    "interrupted; what it had not published was discarded") if prev else None
            record_run_task(staging, RunRecord(
                run_id=_run_id(), started_at=started, finished_at=utc_now(), trigger=trigger,
                paths=tuple(paths), counts=count_outcomes(outcomes), limits=limits, note=note))
    finally:
        shutdown()  # the extraction process
    return outcomes


def ingest_one(source: SourceFile, warehouse: str, limits: Limits) -> FileOutcome:
    step: Document | Rejection = extract_task(source.path, limits)
    if isinstance(step, Document):
        step = normalize_task(step)
    try:
        if isinstance(step, Rejection):
            return reject_task(source, step, warehouse)
        return load_task(step, warehouse)
    except TransientError as exc:  # still failing after the retries: report it, go on with the batch
        return FileOutcome(path=source.path, sha256=source.sha256, status="failed", reason=str(exc))


def _run_id() -> str:
    from prefect.runtime import flow_run

    run_id = flow_run.id
    return str(run_id) if run_id else uuid.uuid4().hex
