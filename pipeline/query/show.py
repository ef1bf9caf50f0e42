"""``refpipe show``: the contract JSON of the document a reference designates (``pipeline.query.resolve``).

Rebuilt from the warehouse tables, never by re-reading the source file.  ``current`` follows an RNCP
fiche's successors (``pipeline.query.continuity``) to the fiche in force; ``as_of`` gives the version in
force on a date (``pipeline.load.versions.version_in_force``).
"""

from __future__ import annotations

import os
from datetime import date

import duckdb

from pipeline.contract import JSON, document_to_json
from pipeline.load.versions import version_in_force
from pipeline.query.continuity import NoCurrentFiche, current_fiche
from pipeline.query.read import AmbiguousReference, DocumentNotFound, read_document
from pipeline.query.resolve import referenced_source, resolve, version_ref

__all__ = ["AmbiguousReference", "DocumentNotFound", "resolve", "show_json", "version_ref"]


def show_json(con: duckdb.DuckDBPyConnection, ref: str | os.PathLike[str], *, current: bool = False,
              as_of: date | None = None) -> JSON:
    """The contract JSON (``refpipe show REF --json``) of the document ``ref`` designates.

    ``current``: for a fiche, the fiche in force today instead: its successors followed to the end
    (``v_rncp_continuity``); the JSON then says which fiche was asked for and the chain walked
    (``current_of``: ``{"reference": "RNCP24895", "chain": ["RNCP24895", "RNCP36086"]}``).

    A fiche whose code the latest open-data export that had it no longer holds says so (``withdrawn``:
    ``{"export_date", "export"}``): its versions stay, but it is not in France Compétences' list any more.
    With ``as_of``, only as of that day: an export dated after it says nothing of the fiche then.

    ``as_of``: the version of the same référentiel or fiche in force that day (Archéo Lex style: the
    version whose stated date is the latest on or before it); the JSON says which (``as_of``:
    ``{"date", "key", "version", "valid_from", "valid_to"}``)."""
    doc_id = resolve(con, ref)  # a document read from several files is shown with the one asked for
    data = _show(con, ref, doc_id, current, as_of)
    if (gone := _withdrawn(con, str(data["id"]), as_of)) is not None:
        data["withdrawn"] = gone
    return data


def _withdrawn(con: duckdb.DuckDBPyConnection, doc_id: str, as_of: date | None = None) -> JSON | None:
    """For a fiche whose code is missing from the latest open-data export that had it (``rncp_withdrawals``, last
    event ``withdrawn``): ``{"export_date", "export"}``, that export's date and path (None when neither
    ``sources`` nor ``rncp_exports`` knows it); else None.  With ``as_of``, the last event of an export dated
    on or before that day (an event of no known date cannot be placed: it is not counted)."""
    row = con.execute(
        "SELECT w.event, w.export_date, coalesce(s.path, e.path) FROM rncp_withdrawals w "
        "LEFT JOIN sources s ON s.sha256 = w.source_sha256 "
        "LEFT JOIN rncp_exports e ON e.source_sha256 = w.source_sha256 "
        "WHERE w.code = (SELECT code FROM rncp_fiches WHERE document_id = ?) "
        "AND (CAST(? AS DATE) IS NULL OR w.export_date <= CAST(? AS DATE)) "
        "ORDER BY w.export_date DESC NULLS LAST, w.recorded_at DESC LIMIT 1", [doc_id, as_of, as_of]).fetchone()
    if row is None or row[0] != "withdrawn":
        return None
    return {"export_date": row[1].isoformat() if row[1] else None, "export": row[2]}


def _show(con: duckdb.DuckDBPyConnection, ref: str | os.PathLike[str], doc_id: str, current: bool,
          as_of: date | None) -> JSON:
    if as_of is not None:
        return _in_force(con, doc_id, as_of, os.fspath(ref))
    if not current:
        return document_to_json(read_document(con, doc_id, referenced_source(con, ref, doc_id)))
    row = con.execute("SELECT code FROM rncp_fiches WHERE document_id = ?", [doc_id]).fetchone()
    if row is None:
        raise DocumentNotFound(f"{os.fspath(ref)} is not an RNCP fiche: --current follows fiches only",
                               os.fspath(ref))
    try:
        current_id, chain = current_fiche(con, str(row[0]))
    except NoCurrentFiche as exc:
        raise DocumentNotFound(str(exc), os.fspath(ref)) from exc
    data = document_to_json(read_document(con, current_id))
    data["current_of"] = {"reference": str(row[0]), "chain": list(chain)}
    return data


def _in_force(con: duckdb.DuckDBPyConnection, doc_id: str, day: date, ref: str) -> JSON:
    found = version_in_force(con, doc_id, day)
    if found is None:
        row = con.execute("SELECT key, min(valid_from) FROM v_versions WHERE key = (SELECT key FROM documents "
                          "WHERE id = ?) GROUP BY key", [doc_id]).fetchone()
        first = f"its first stated date is {row[1]}" if row and row[1] else "none of its versions states a date"
        raise DocumentNotFound(f"{ref}: no version in force on {day.isoformat()} ({first})", ref)
    data = document_to_json(read_document(con, found.document_id))
    data["as_of"] = {"date": day.isoformat(), "key": found.key, "version": found.version,
                     "valid_from": found.valid_from.isoformat(), "valid_to": found.valid_to.isoformat()}
    return data
