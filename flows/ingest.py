"""The ingestion flow: discover -> extract -> normalize -> load, one document at a time.

Tasks are one-call wrappers around ``pipeline``; the flow only routes each file's outcome.  Bad
files end as rejections recorded in the warehouse, never as a crashed batch.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from prefect import flow, task

from pipeline.batch import FileOutcome, Rejection, SourceFile, attempt, discover
from pipeline.errors import TransientError
from pipeline.extract import extract_document
from pipeline.ingest import load_outcome, rejection_outcome
from pipeline.load.links_store import RecomputeSummary, recompute_warehouse
from pipeline.normalize.document import normalize_document
from pipeline.records import Document

Progress = Callable[[FileOutcome], None]


@task(name="discover")
def discover_task(paths: list[str]) -> list[SourceFile]:
    return discover(paths)


@task(name="extract")
def extract_task(path: str) -> Document | Rejection:
    return attempt(extract_document, path)


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


@flow(name="refpipe-ingest", validate_parameters=False)
def ingest_flow(paths: list[str], warehouse: str, on_file: Progress | None = None,
                on_discovered: Callable[[int], None] | None = None) -> list[FileOutcome]:
    """Ingest every file under ``paths`` into the DuckDB file ``warehouse``."""
    sources = discover_task(paths)
    if on_discovered:
        on_discovered(len(sources))
    outcomes = []
    for source in sources:
        outcome = ingest_one(source, warehouse)
        outcomes.append(outcome)
        if on_file:
            on_file(outcome)
    if any(o.status in ("loaded", "partial") for o in outcomes):  # links and findings follow the documents
        link_task(warehouse)
    return outcomes


def ingest_one(source: SourceFile, warehouse: str) -> FileOutcome:
    step: Document | Rejection = extract_task(source.path)
    if isinstance(step, Document):
        step = normalize_task(step)
    try:
        if isinstance(step, Rejection):
            return reject_task(source, step, warehouse)
        return load_task(step, warehouse)
    except TransientError as exc:  # still failing after the retries: report it, go on with the batch
        return FileOutcome(path=source.path, sha256=source.sha256, status="failed", reason=str(exc))
