"""``compare(con, OLD, NEW)``: find (or ingest) the two versions, diff them, store the run.

A reference is ``KEY@VERSION`` (``CQPM-0195@2``, ``RNCP28242@latest``), a key alone (its latest
version), a file (looked up by its bytes; a file not yet in the warehouse is ingested on the fly:
extracted and normalised in an extraction process under the time limit, then loaded; without the
Prefect flow), or whatever ``refpipe show`` accepts (document id, unique id prefix, stored source path).

``compare_warehouse`` is the entry point on a warehouse file: it writes through the writer lock and a
staging copy published atomically (``pipeline.load.publish``), like every writer.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import duckdb

from pipeline.batch import Rejection
from pipeline.diff.changes import DiffReport, Side
from pipeline.diff.structured import diff_documents
from pipeline.errors import PipelineError, RejectedInput
from pipeline.executor import extract_limited, shutdown
from pipeline.limits import Limits
from pipeline.load import links_store
from pipeline.load import warehouse as wh
from pipeline.load.diff_store import store_diff
from pipeline.load.publish import write_connection
from pipeline.load.read import read_document
from pipeline.load.show import resolve, version_ref
from pipeline.load.versions import dated_by, printed_date, stored_version
from pipeline.records import Document, Status

_log = logging.getLogger(__name__)


def ingest_file(con: duckdb.DuckDBPyConnection, path: Path, limits: Limits | None = None) -> str:
    """Extract, normalize and load one file (its id); a rejected file is recorded and raised.

    Extraction runs in an extraction process under ``limits`` (default: the environment's), as in the
    ingest flow: a hostile file cannot stall ``refpipe diff`` either."""
    step = extract_limited(str(path), limits or Limits.from_env())
    try:
        if isinstance(step, Rejection):
            where = f"{step.path} (page {step.page})" if step.page is not None else step.path
            raise RejectedInput(str(path), step.reason.removeprefix(f"{where}: "), step.page)
        if step.status is Status.REJECTED:
            raise RejectedInput(str(path), "; ".join(step.reasons) or "rejected")
        wh.load(step, con)
    except RejectedInput as exc:
        wh.record_rejection(path, str(exc), con)
        raise
    return step.id


def resolve_ref(con: duckdb.DuckDBPyConnection, ref: str | os.PathLike[str], *, ingest: bool = True) -> str:
    """The document id ``ref`` designates (see the module doc)."""
    text = os.fspath(ref).strip()
    path = Path(text).expanduser()
    if path.is_file():
        row = con.execute("SELECT id FROM documents WHERE source_sha256 = ?", [wh.file_sha256(path)]).fetchone()
        if row:
            return str(row[0])
        if ingest:
            return ingest_file(con, path)
    return version_ref(con, text) or resolve(con, text)  # a key first: RNCP28242 is its latest version


def side(con: duckdb.DuckDBPyConnection, document: Document) -> Side:
    info = stored_version(con, document.id)
    content = document.cqpm or document.rncp
    reference = document.cqpm.number if document.cqpm else document.rncp.code if document.rncp else None
    return Side(document_id=document.id, kind=document.kind.value, path=document.source.path,
                title=content.title if content else None, reference=reference,
                key=info.key if info else None, version=info.version if info else None,
                valid_from=info.valid_from if info else printed_date(document),
                valid_from_source=dated_by(document)[1], pages=document.source.pages)


def compare(con: duckdb.DuckDBPyConnection, old_ref: str | os.PathLike[str], new_ref: str | os.PathLike[str],
            *, store: bool = True) -> DiffReport:
    """Diff the two versions (``old_ref`` resolved, and ingested if needed, first); stored unless told."""
    old_id = resolve_ref(con, old_ref)
    new_id = resolve_ref(con, new_ref)
    old, new = read_document(con, old_id), read_document(con, new_id)
    report = DiffReport(old=side(con, old), new=side(con, new), changes=diff_documents(old, new))
    if store:
        report = DiffReport(report.old, report.new, report.changes, run_id=store_diff(con, report))
    return report


def compare_warehouse(warehouse: Path | str, old_ref: str | os.PathLike[str], new_ref: str | os.PathLike[str]
                      ) -> DiffReport:
    """``compare`` on the warehouse file, as its single writer; what it ingested or recorded (a rejection)
    is published even when the comparison then fails with a ``PipelineError``.  Documents it ingested
    go into the links and findings too (``sql`` and ``export`` read them), as after an ingest run."""
    files = [r for r in (old_ref, new_ref) if Path(os.fspath(r).strip()).expanduser().is_file()]
    if not files and not Path(warehouse).exists():  # nothing to ingest: do not create an empty warehouse
        raise wh.WarehouseError(wh.missing(os.fspath(warehouse)))
    try:
        with write_connection(warehouse, command="refpipe diff", keep_on=(PipelineError,)) as con:
            old_id, new_id = resolve_ref(con, old_ref), resolve_ref(con, new_ref)  # ingests new files
            _links_up_to_date(con)  # before the report: a link can move a référentiel under its number
            return compare(con, old_id, new_id)
    finally:
        shutdown()  # the extraction process, if a file was ingested


def _links_up_to_date(con: duckdb.DuckDBPyConnection) -> None:
    """Recompute the links and findings if documents came in; a failure there (its transaction rolled
    back) must not cost the diff: the tables stay stale, which readers detect and the next ingest fixes."""
    if links_store.is_current(con):
        return
    try:
        links_store.recompute(con)
    except Exception as exc:  # noqa: BLE001 - the diff is what was asked for
        _log.warning("links and findings not brought up to date (%s: %s); the next `refpipe ingest` does it",
                     type(exc).__name__, exc)
