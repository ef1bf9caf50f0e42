"""Turn files' results into warehouse rows and ``FileOutcome``s (a chunk per transaction, else one per document).

Incremental runs: ``known_sources`` reads which bytes the warehouse has seen, and ``skip_outcome`` turns
a file whose sha256 is among them into ``unchanged`` / ``quarantined`` without extracting it.  The
``warehouse`` given to these functions is the file to write: the flow passes its staging file (see
``pipeline.load.publish``).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipeline.errors import RejectedInput, TransientError, reraise_interrupt
from pipeline.load import warehouse as wh
from pipeline.records import Document, FileOutcome, Outcome, Rejection, Source, SourceFile, Status


def load_outcome(document: Document, warehouse: Path) -> FileOutcome:
    con = wh.connect(warehouse)
    try:
        return _load(document, con)
    finally:
        con.close()


def _load(document: Document, con: duckdb.DuckDBPyConnection) -> FileOutcome:
    try:
        added = wh.load(document, con)
    except RejectedInput as exc:  # caught before any row was written (e.g. mojibake in the text)
        wh.record_rejection(document.source, str(exc), con)
        return FileOutcome(path=document.source.path, sha256=document.source.sha256, status=Outcome.REJECTED,
                           kind=document.kind.value, reason=str(exc))
    return _outcome(document, added)


def _outcome(document: Document, added: bool) -> FileOutcome:
    """A loaded document's outcome; not ``added``: its content was already held, these bytes are one more
    source of it (``unchanged``, ``new_source``)."""
    if not added:
        return FileOutcome(path=document.source.path, sha256=document.source.sha256, status=Outcome.UNCHANGED,
                           kind=document.kind.value, document_id=document.id, new_source=True,
                           reason=f"the same content as document {document.id}, already in the warehouse: "
                                  "recorded as one more source of it")
    return FileOutcome(path=document.source.path, sha256=document.source.sha256, status=Outcome.of(document.status),
                       kind=document.kind.value, document_id=document.id, reason="; ".join(document.reasons) or None)


def is_export_file(path: str) -> bool:
    """True when ``path`` is an open-data export (XML or CSV zip): imported by ``export_outcome``, in this
    process (a stream, one fiche in memory at a time), not by the per-document extraction."""
    from pipeline.extract.export_xml import is_export

    try:
        with open(path, "rb") as f:
            head = f.read(4096)
    except OSError:
        return False
    return is_export(Path(path), head)


def export_outcome(source: SourceFile, warehouse: Path | str, *, include_rs: bool = True) -> FileOutcome:
    """Import the export ``source`` into ``warehouse`` (one transaction: all its fiches or, when it does not
    parse to its end, none and a rejection); its outcome, the summary line as reason."""
    from pipeline.load.rncp_export import import_export

    con = wh.connect(warehouse)
    try:
        summary = import_export(source.path, con, sha256=source.sha256, include_rs=include_rs)
    finally:
        con.close()
    status = Outcome(summary.status)  # loaded | unchanged | rejected
    return FileOutcome(path=source.path, sha256=source.sha256, status=status, kind="export",
                       reason=summary.reason if status is Outcome.REJECTED else summary.line())


def rejection_outcome(source: SourceFile, rejection: Rejection, warehouse: Path) -> FileOutcome:
    con = wh.connect(warehouse)
    try:
        return _reject(source, rejection, con)
    finally:
        con.close()


def _reject(source: SourceFile, rejection: Rejection, con: duckdb.DuckDBPyConnection) -> FileOutcome:
    if rejection.changed:  # not these bytes' fault, and not these bytes any more: nothing to record
        return FileOutcome(path=source.path, sha256=source.sha256, status=Outcome.FAILED, reason=rejection.reason)
    fmt = "unread" if source.rejected is not None else _format_of(source.path)
    wh.record_rejection(Source(path=source.path, sha256=source.sha256, format=fmt, pages=None, size=source.size),
                        rejection.reason, con, parent=source.parent)
    return FileOutcome(path=source.path, sha256=source.sha256, status=Outcome.REJECTED, reason=rejection.reason)


def _load_together(items: Sequence[tuple[SourceFile, Document | Rejection]], warehouse: Path
                   ) -> list[FileOutcome] | None:
    """The batch's outcomes when its documents load in one transaction, else None (nothing written)."""
    documents = [step for _, step in items if isinstance(step, Document) and step.status is not Status.REJECTED]
    if len(documents) < 2 or len(documents) != len(items):
        return None
    try:
        con = wh.connect(warehouse)
    except TransientError:
        return None
    try:
        added = wh.load_together(documents, con)
    except Exception as exc:  # noqa: BLE001 - rolled back: the one-at-a-time path says which document and why
        reraise_interrupt(exc)  # Ctrl-C is not a reason to retry the files one by one
        return None
    finally:
        con.close()
    return [_outcome(d, a) for d, a in zip(documents, added, strict=True)]


#: a transient error (the warehouse file busy) is tried this many times, a second apart, then ``failed``
ATTEMPTS = 3


def load_batch(items: Sequence[tuple[SourceFile, Document | Rejection]], warehouse: Path) -> list[FileOutcome]:
    """Load documents / record rejections in order, one transaction each, on one connection; their outcomes.

    One connection for the batch (opening and closing the file per document costs more than loading a
    small one); it is closed before returning, so the caller may publish the file.  Documents only (the
    usual batch): all in one transaction with one INSERT per list table (``warehouse.load_together``).
    Otherwise, or when that fails, one document (or rejection) per transaction: a transient error is tried
    again (``ATTEMPTS``); still failing, that file is ``failed`` (nothing recorded, retried next run) and the
    batch goes on; any other error is that file's rejection, as with one file."""
    outcomes: list[FileOutcome] = []
    con: duckdb.DuckDBPyConnection | None = None
    try:
        if (together := _load_together(items, warehouse)) is not None:
            return together
        for source, step in items:
            for attempt_no in range(1, ATTEMPTS + 1):
                try:
                    if con is None:
                        con = wh.connect(warehouse)
                    outcome = _reject(source, step, con) if isinstance(step, Rejection) else _load(step, con)
                    break
                except TransientError as exc:
                    if con is not None:
                        con.close()
                        con = None
                    if attempt_no == ATTEMPTS:
                        outcome = FileOutcome(path=source.path, sha256=source.sha256, status=Outcome.FAILED,
                                              reason=str(exc))
                    else:
                        time.sleep(1)
            outcomes.append(outcome)
    finally:
        if con is not None:
            con.close()
    return outcomes


def _format_of(path: str) -> str:
    lower = path.lower()
    if lower.endswith((".html", ".htm")):
        return "html"
    suffix = lower.rsplit(".", 1)[-1]
    return suffix if suffix in ("pdf", "docx", "odt") else "text"


# ---------------------------------------------------------------------------------------------- incremental


@dataclass(frozen=True)
class Known:
    """What the warehouse already knows about some bytes (a ``sources`` row, and its document if any)."""

    status: Status
    reason: str | None
    kind: str | None = None
    document_id: str | None = None
    path: str | None = None  # the file of this run that brought these bytes (None: an earlier run)
    unread: bool = False  # a rejection of a path, keyed by path and reason (no bytes were read)


def known_sources(warehouse: Path) -> dict[str, Known]:
    """Every sha256 in ``sources`` with its status (read once per run, before anything is extracted)."""
    con = wh.connect(warehouse)
    try:
        rows = con.execute("SELECT s.sha256, s.status, s.reason, d.kind, d.id, s.format = 'unread' FROM sources s "
                           "LEFT JOIN document_sources x ON x.source_sha256 = s.sha256 "
                           "LEFT JOIN documents d ON d.id = x.document_id").fetchall()
    finally:
        con.close()
    return {sha: Known(Status(status), reason, kind, doc_id, unread=bool(unread))
            for sha, status, reason, kind, doc_id, unread in rows}


def skip_outcome(source: SourceFile, known: dict[str, Known], *, retry_quarantined: bool = False
                 ) -> FileOutcome | None:
    """The outcome of a file whose bytes are already known (not to be parsed again), else None.

    Loaded or partial bytes are ``unchanged``; rejected bytes are ``quarantined`` with their stored
    reason, unless ``retry_quarantined``.  A changed file has new bytes: None, it is parsed and loads as a
    new version of its document."""
    k = known.get(source.sha256)
    if k is None or (k.status is Status.REJECTED and retry_quarantined):
        return None
    if k.status is Status.REJECTED and k.path is not None:
        # a copy of a file rejected earlier in this run: as bad, and named (no earlier run quarantined it)
        why = (k.reason or "rejected").removeprefix(f"{k.path}: ")
        return FileOutcome(path=source.path, sha256=source.sha256, status=Outcome.REJECTED,
                           reason=f"{source.path}: the same bytes as {k.path}, rejected in this run ({why})")
    if k.status is Status.REJECTED:
        return FileOutcome(path=source.path, sha256=source.sha256, status=Outcome.QUARANTINED, reason=k.reason)
    return FileOutcome(path=source.path, sha256=source.sha256, status=Outcome.UNCHANGED, kind=k.kind,
                       document_id=k.document_id, reason=f"the same bytes as {k.path}" if k.path else None)


def forget_read_paths(warehouse: Path | str, paths: Sequence[str]) -> int:
    """Drop the rejections of these paths that had no bytes to key them (``format = 'unread'``: over the
    size limit, unreadable, not a regular file): this run read bytes at each path, so the path's entry
    in the quarantine is obsolete (its bytes are now loaded, or rejected under their own sha256).  The
    number of rows dropped."""
    if not paths:
        return 0
    con = wh.connect(warehouse)
    try:
        with wh.transaction(con):
            stale = con.execute("SELECT count(*) FROM sources WHERE format = 'unread' AND status = 'rejected' "
                                "AND list_contains(?, path)", [list(paths)]).fetchone()
            if not stale or not stale[0]:
                return 0
            con.execute("DELETE FROM sources WHERE format = 'unread' AND status = 'rejected' "
                        "AND list_contains(?, path)", [list(paths)])
            return int(stale[0])
    finally:
        con.close()


def remember(known: dict[str, Known], outcome: FileOutcome) -> None:
    """Add this run's outcome, so the same bytes met again in the batch are skipped too."""
    if (outcome.status.wrote or outcome.new_source) and outcome.sha256 not in known:
        status = Status.LOADED if outcome.new_source else Status(outcome.status.value)
        known[outcome.sha256] = Known(status, outcome.reason, outcome.kind, outcome.document_id, outcome.path)


def links_stale(warehouse: Path) -> bool:
    """True when the derived tables (links, findings) were not computed for the documents now held.

    After the documents of a run, and also after a crash that published documents but not their links:
    the next run recomputes them even when it loads nothing new."""
    from pipeline.runtime.links import is_current

    con = wh.connect(warehouse)
    try:
        return not is_current(con)
    finally:
        con.close()
