"""``compare_warehouse(warehouse, OLD, NEW)``: find (or ingest) the two versions, diff them, store the run.

A reference is whatever ``pipeline.query.resolve`` accepts (document id, file, version key
``CQPM-0195@2``, stored path, RNCP code, id prefix).  A file not yet in the warehouse is ingested first
by ``ingest_paths``, exactly as ``refpipe ingest`` would (limits, links and findings, a ``runs`` row); a
file it rejects (or that was rejected before) ends the comparison with that reason.  The diff itself is
``pipeline.diff`` (pure, two Documents in); its report is stored through the writer lock and a staging
copy published atomically (``pipeline.load.publish``), like every write.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import duckdb

from pipeline.diff.changes import DiffReport, Side
from pipeline.diff.structured import diff_documents
from pipeline.errors import PipelineError, RejectedInput
from pipeline.limits import Limits
from pipeline.load import warehouse as wh
from pipeline.load.diff_store import store_diff
from pipeline.load.publish import write_connection
from pipeline.load.versions import dated_by, stored_version
from pipeline.query.read import read_document
from pipeline.query.resolve import resolve
from pipeline.records import Document, Outcome
from pipeline.runtime import IngestOptions, ingest_paths

#: outcomes of an ingested reference that leave nothing to compare
_NOT_LOADED = (Outcome.REJECTED, Outcome.QUARANTINED, Outcome.FAILED)


def side(con: duckdb.DuckDBPyConnection, document: Document) -> Side:
    info = stored_version(con, document.id)
    content = document.cqpm or document.rncp
    reference = document.cqpm.number if document.cqpm else document.rncp.code if document.rncp else None
    stated, source = (info.valid_from, dated_by(document)[1]) if info else dated_by(document)
    if stated is not None and source == "ingested_at":
        source = "export_date"  # the date of the open-data export that carries the fiche
    return Side(document_id=document.id, kind=document.kind.value, path=document.source.path,
                title=content.title if content else None, reference=reference,
                key=info.key if info else None, version=info.version if info else None,
                valid_from=stated, valid_from_source=source, pages=document.source.pages,
                sha256=document.source.sha256)


def compare(con: duckdb.DuckDBPyConnection, old_ref: str | os.PathLike[str], new_ref: str | os.PathLike[str],
            *, store: bool = True) -> DiffReport:
    """Diff the two versions the references designate (already in the warehouse); stored unless told."""
    old, new = read_document(con, resolve(con, old_ref)), read_document(con, resolve(con, new_ref))
    report = DiffReport(old=side(con, old), new=side(con, new), changes=diff_documents(old, new),
                        documents=(old, new))
    if store:
        report = dataclasses.replace(report, run_id=store_diff(con, report))
    return report


def ingest_references(warehouse: Path | str, refs: tuple[str | os.PathLike[str], ...],
                      limits: Limits | None = None) -> None:
    """Ingest the references that are files (a no-op for bytes already held); raise on a rejected one."""
    files = [os.fspath(r).strip() for r in refs if Path(os.fspath(r).strip()).expanduser().is_file()]
    if not files:
        if not Path(warehouse).exists():  # nothing to ingest: do not create an empty warehouse
            raise wh.WarehouseError(wh.missing(os.fspath(warehouse)))
        return
    options = IngestOptions(limits=limits or Limits.from_env(), trigger="diff", workers=1)
    for outcome in ingest_paths([str(Path(f).expanduser()) for f in files], warehouse, options):
        if outcome.status in _NOT_LOADED:
            reason = (outcome.reason or outcome.status).removeprefix(f"{outcome.path}: ")
            raise RejectedInput(outcome.path, reason if outcome.status is not Outcome.QUARANTINED
                                else f"rejected by an earlier run: {reason}")


def compare_warehouse(warehouse: Path | str, old_ref: str | os.PathLike[str], new_ref: str | os.PathLike[str],
                      limits: Limits | None = None) -> DiffReport:
    """``compare`` on the warehouse file, after ingesting the references that are new files."""
    ingest_references(warehouse, (old_ref, new_ref), limits)
    with write_connection(warehouse, command="refpipe diff", keep_on=(PipelineError,)) as con:
        return compare(con, old_ref, new_ref)
