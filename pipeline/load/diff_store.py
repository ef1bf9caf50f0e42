"""Store a diff run and its changes (``diff_runs``, ``diff_items``) so analysts can query them.

A run is identified by the two documents and the diff algorithm's version: running the same
comparison again replaces its rows (same content, new ``created_at``), in one transaction.
"""

from __future__ import annotations

import hashlib
import json
from contextlib import suppress
from datetime import UTC, datetime
from typing import Any

import duckdb

from pipeline.diff.changes import DIFFER_VERSION, DiffReport
from pipeline.records import Change, Value
from pipeline.records import document_id as id_of


def run_id(old_document_id: str, new_document_id: str) -> str:
    text = f"{old_document_id}\n{new_document_id}\n{DIFFER_VERSION}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def value_text(value: Value) -> str | None:
    """How a value is stored: text as printed, numbers/booleans/dates as text, lists as JSON."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return json.dumps(list(value), ensure_ascii=False)
    return str(value)


def _item(run: str, sha: str, ord_: int, c: Change) -> tuple[Any, ...]:
    prov = c.new_prov or c.old_prov
    box = prov.bbox if prov else None
    detail = json.dumps({k: list(v) if isinstance(v, tuple) else v for k, v in c.detail},
                        ensure_ascii=False) if c.detail else None
    return (run, id_of(sha), sha, ord_, prov.page if prov else None,
            *((box.x0, box.top, box.x1, box.bottom) if box else (None, None, None, None)),
            c.kind.value, c.entity.value, c.key, c.capacity, value_text(c.old), value_text(c.new),
            c.old_number, c.new_number, c.old_page, c.new_page, detail)


_ITEM_COLUMNS = ("run_id", "document_id", "source_sha256", "ord", "page", "x0", "top", "x1", "bottom", "kind",
                 "entity", "key", "capacity", "old_value", "new_value", "old_number", "new_number", "old_page",
                 "new_page", "detail")


def _sha(con: duckdb.DuckDBPyConnection, document_id: str) -> str:
    row = con.execute("SELECT source_sha256 FROM documents WHERE id = ?", [document_id]).fetchone()
    if row is None:
        raise LookupError(f"document {document_id} is not in the warehouse")
    return str(row[0])


def store_diff(con: duckdb.DuckDBPyConnection, report: DiffReport) -> str:
    """Write the run and its changes (replacing an earlier run of the same comparison); its run id."""
    old, new = report.old, report.new
    run = run_id(old.document_id, new.document_id)
    counts = report.kind_counts()
    con.begin()
    try:
        old_sha, new_sha = _sha(con, old.document_id), _sha(con, new.document_id)
        con.execute("DELETE FROM diff_items WHERE run_id = ?", [run])
        con.execute("DELETE FROM diff_runs WHERE run_id = ?", [run])
        con.execute(
            "INSERT INTO diff_runs (run_id, document_id, source_sha256, old_document_id, old_source_sha256, "
            "old_key, old_version, new_key, new_version, differ, changes, added, removed, changed, moved, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [run, new.document_id, new_sha, old.document_id, old_sha, old.key, old.version, new.key,
             new.version, DIFFER_VERSION, len(report.changes), counts["added"], counts["removed"],
             counts["changed"], counts["moved"], datetime.now(UTC).replace(tzinfo=None)])
        if report.changes:
            marks = "(" + ", ".join("?" for _ in _ITEM_COLUMNS) + ")"
            con.executemany(f"INSERT INTO diff_items ({', '.join(_ITEM_COLUMNS)}) VALUES {marks}",
                            [_item(run, new_sha, k, c) for k, c in enumerate(report.changes)])
    except BaseException:
        with suppress(duckdb.Error):
            con.rollback()
        raise
    con.commit()
    return run
