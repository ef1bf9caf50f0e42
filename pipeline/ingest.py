"""Turn one file's result into warehouse rows and a ``FileOutcome`` (one transaction per document).

Incremental runs: ``known_sources`` reads which bytes the warehouse has seen, and ``skip_outcome`` turns
a file whose sha256 is among them into ``unchanged`` / ``quarantined`` without extracting it.  The
``warehouse`` given to these functions is the file to write: the flow passes its staging file (see
``pipeline.load.publish``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipeline.batch import FileOutcome, Rejection, SourceFile
from pipeline.errors import RejectedInput
from pipeline.load import warehouse as wh
from pipeline.records import Document, Source


def load_outcome(document: Document, warehouse: Path) -> FileOutcome:
    con = wh.connect(warehouse)
    try:
        added = wh.load(document, con)
    except RejectedInput as exc:  # caught before any row was written (e.g. mojibake in the text)
        wh.record_rejection(document.source, str(exc), con)
        return FileOutcome(path=document.source.path, sha256=document.source.sha256, status="rejected",
                           kind=document.kind.value, reason=str(exc))
    finally:
        con.close()
    return FileOutcome(path=document.source.path, sha256=document.source.sha256,
                       status=document.status.value if added else "unchanged", kind=document.kind.value,
                       document_id=document.id, reason="; ".join(document.reasons) or None)


def rejection_outcome(source: SourceFile, rejection: Rejection, warehouse: Path) -> FileOutcome:
    con = wh.connect(warehouse)
    try:
        wh.record_rejection(Source(path=source.path, sha256=source.sha256, format=_format_of(source.path),
                                   pages=None, size=source.size), rejection.reason, con)
    finally:
        con.close()
    return FileOutcome(path=source.path, sha256=source.sha256, status="rejected", reason=rejection.reason)


def _format_of(path: str) -> str:
    return "pdf" if path.lower().endswith(".pdf") else "text"


# ---------------------------------------------------------------------------------------------- incremental


@dataclass(frozen=True)
class Known:
    """What the warehouse already knows about some bytes (a ``sources`` row, and its document if any)."""

    status: str  # loaded | partial | rejected
    reason: str | None
    kind: str | None = None
    document_id: str | None = None


def known_sources(warehouse: Path) -> dict[str, Known]:
    """Every sha256 in ``sources`` with its status (read once per run, before anything is extracted)."""
    con = wh.connect(warehouse)
    try:
        rows = con.execute("SELECT s.sha256, s.status, s.reason, d.kind, d.id FROM sources s "
                           "LEFT JOIN documents d ON d.source_sha256 = s.sha256").fetchall()
    finally:
        con.close()
    return {sha: Known(status, reason, kind, doc_id) for sha, status, reason, kind, doc_id in rows}


def skip_outcome(source: SourceFile, known: dict[str, Known], *, retry_quarantined: bool = False
                 ) -> FileOutcome | None:
    """The outcome of a file whose bytes are already known (not to be parsed again), else None.

    Loaded or partial bytes are ``unchanged``; rejected bytes are ``quarantined`` with their stored
    reason, unless ``retry_quarantined``.  A changed file has new bytes: None, it is parsed and loads as a
    new version of its document."""
    k = known.get(source.sha256)
    if k is None or (k.status == "rejected" and retry_quarantined):
        return None
    if k.status == "rejected":
        return FileOutcome(path=source.path, sha256=source.sha256, status="quarantined", reason=k.reason)
    return FileOutcome(path=source.path, sha256=source.sha256, status="unchanged", kind=k.kind,
                       document_id=k.document_id)


def remember(known: dict[str, Known], outcome: FileOutcome) -> None:
    """Add this run's outcome, so the same bytes met again in the batch are skipped too."""
    if outcome.status in ("loaded", "partial", "rejected") and outcome.sha256 not in known:
        known[outcome.sha256] = Known(outcome.status, outcome.reason, outcome.kind, outcome.document_id)


def links_stale(warehouse: Path) -> bool:
    """True when the derived tables (links, findings) were not computed for the documents now held.

    After the documents of a run, and also after a crash that published documents but not their links:
    the next run recomputes them even when it loads nothing new."""
    from pipeline.load.links_store import is_current

    con = wh.connect(warehouse)
    try:
        return not is_current(con)
    finally:
        con.close()
