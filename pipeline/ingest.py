"""Turn one file's result into warehouse rows and a ``FileOutcome`` (one transaction per document)."""

from __future__ import annotations

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
