"""Document identity and versions: which référentiel a document is a version of, and which version.

Keys (``documents.key``):

* a CQPM référentiel that prints its number: ``CQPM-0195``; an RNCP fiche: its code ``RNCP28242``;
* a CQPM référentiel that prints no number: the key of the numbered référentiel already in the
  warehouse with the same title (contract normalisation), when exactly one has it; otherwise a
  title-based key ``CQPM-T`` + the first 10 hex digits of sha256(comparison_key(title)); with no
  title either, ``DOC-<document id>`` (a chain of one).
* When a numbered référentiel is loaded and title-keyed versions of the same title exist, that chain
  is adopted into the numbered key (``rekey``), versions appended after the numbered key's own.
  ``refine_keys`` does the same for a chain whose number the linker inferred from an RNCP fiche
  (``inferred_numbers``); run it after the links are recomputed.  Adopting a chain changes only the
  key/version/previous_id of those documents, never their content, and is never undone.

Versions are ordered by the date each document states (``valid_from``: CQPM "Dernière modification";
RNCP: date of the registration decision, else its effective date, else its Journal officiel date; a
fiche of an open-data export: the export's date), and by ingestion order only where a document states
no date (``valid_from`` NULL: an ingestion date is never mixed in).  ``order_versions`` renumbers a
key's versions 1, 2, … after every load: a version ingested later with an older stated date becomes the
earlier version and ``previous_id`` follows (skipping a partial copy stating the same date as a complete
version: ``order_versions``); an undated version sorts after the versions ingested before
it (the latest date stated by them), so it keeps its ingestion place.  Nothing is overwritten, old
versions stay in the warehouse (``v_versions``, ``v_latest``).  A document re-loaded with
``replace=True`` keeps its place.  Loads are assumed to have a single writer (the flow's load step):
two concurrent writers could give two documents the same version number.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb

from pipeline.normalize.text import comparison_key
from pipeline.records import Document, Kind

VERSION_COLUMNS = ("key", "version", "valid_from", "previous_id")


@dataclass(frozen=True)
class VersionInfo:
    key: str
    version: int
    valid_from: date | None
    previous_id: str | None
    adopted: tuple[str, ...] = ()  # documents re-keyed into ``key`` by this load


def number_key(document: Document) -> str | None:
    """The key printed on the document itself (CQPM number, RNCP code), if any."""
    if document.kind is Kind.RNCP and document.rncp is not None and document.rncp.code.strip():
        return document.rncp.code.strip().upper().replace(" ", "")
    if document.kind is Kind.CQPM and document.cqpm is not None and document.cqpm.number:
        return cqpm_key(document.cqpm.number)
    return None


def cqpm_key(number: str) -> str:
    """``CQPM-0195`` for "0195" or "195"."""
    digits = "".join(ch for ch in number if ch.isdigit())
    return f"CQPM-{digits.zfill(4) if digits else number.strip()}"


def title_version_key(title: str | None) -> str | None:
    """The version key of a référentiel that prints no number: ``CQPM-T`` + a hash of its title's comparison key."""
    folded = comparison_key(title)
    return "CQPM-T" + hashlib.sha256(folded.encode("utf-8")).hexdigest()[:10] if folded else None


def _title(document: Document) -> str | None:
    return document.cqpm.title if document.cqpm else document.rncp.title if document.rncp else None


def printed_date(document: Document) -> date | None:
    """The date the document gives for itself (CQPM "Dernière modification"; RNCP registration)."""
    return dated_by(document)[0]


def dated_by(document: Document) -> tuple[date | None, str]:
    """(the document's own date, the field it comes from), the field named as in
    ``v_versions.valid_from_source``; ``(None, "ingested_at")`` when it prints none."""
    if document.cqpm is not None and document.cqpm.last_modified:
        return document.cqpm.last_modified, "last_modified"
    if document.rncp is not None:
        reg = document.rncp.registration
        for field in ("decision", "effective", "journal_officiel"):
            if value := getattr(reg, field):
                return value, f"registration.{field}"
    return None, "ingested_at"


def valid_from(document: Document, stated: date | None = None) -> date | None:
    """The document's own date, else ``stated`` (the date of the export that carries it), else None."""
    return printed_date(document) or stated


def order_versions(con: duckdb.DuckDBPyConnection, key: str) -> bool:
    """Number the versions of ``key`` by (stated date, ingestion order); True when something changed.

    Ingestion order is when the document's first source was recorded (``document_sources.added_at``,
    kept by a replace) or, for a fiche of an open-data export, the date of that export (an older export
    imported after a newer one brings older versions, not newer ones), then its load time.  An undated
    version sorts at the latest date stated by the versions ingested before it.  At the same date a
    ``partial`` document (a cut copy: what it shows of the version) sorts before the complete ones, so it
    never becomes the latest in their place; with a later date it is the later version.  Such a cut copy
    of a complete version (same key, same date) keeps a version number (``versions`` lists it) but stays
    out of the chain of changes: its ``previous_id`` is NULL and no version's ``previous_id`` is it, so
    the stored diffs go from the version before it to the complete one and never show what the cut lacks
    as removed, then added.  The caller owns the transaction."""
    rows = con.execute(
        "SELECT d.id, d.valid_from, TRY_CAST(d.version AS INTEGER), d.previous_id, d.status = 'partial', "
        "(SELECT min(COALESCE(CAST(e.export_date AS TIMESTAMP), x.added_at)) FROM document_sources x "
        " LEFT JOIN rncp_exports e ON e.source_sha256 = x.source_sha256 "
        " WHERE x.document_id = d.id) AS first_seen, d.loaded_at "
        "FROM documents d WHERE d.key = ? "
        "ORDER BY first_seen NULLS LAST, d.loaded_at, TRY_CAST(d.version AS INTEGER), d.id", [key]).fetchall()
    latest_stated = date.min
    ranked = []
    for seq, (doc_id, day, version, previous, partial, *_) in enumerate(rows):
        if day is not None:
            latest_stated = max(latest_stated, day)
        # at the same stated date a partial document (a cut copy) comes before the complete ones: it never
        # hides the complete version as the latest, unless it states a later date
        ranked.append((day or latest_stated, not partial, seq, str(doc_id), version, previous))
    ranked.sort()
    complete_days = {day for day, complete, *_ in ranked if complete}
    changed = False
    previous_id: str | None = None
    for number, (day, complete, _, doc_id, version, previous) in enumerate(ranked, start=1):
        shadowed = not complete and day in complete_days  # a cut copy of a complete version: not a change
        chained = None if shadowed else previous_id
        if version != number or previous != chained:
            con.execute("UPDATE documents SET version = ?, previous_id = ? WHERE id = ?",
                        [str(number), chained, doc_id])
            changed = True
        if not shadowed:
            previous_id = doc_id
    return changed


def _numbered_key_with_title(con: duckdb.DuckDBPyConnection, title: str | None) -> str | None:
    folded = comparison_key(title)
    if not folded:
        return None
    rows = con.execute(
        "SELECT DISTINCT d.key, r.title FROM documents d JOIN cqpm_referentiels r ON r.document_id = d.id "
        "WHERE regexp_matches(d.key, '^CQPM-[0-9]') AND r.title IS NOT NULL").fetchall()
    keys = {str(k) for k, t in rows if comparison_key(t) == folded}
    return keys.pop() if len(keys) == 1 else None


def stored_version(con: duckdb.DuckDBPyConnection, document_id: str) -> VersionInfo | None:
    row = con.execute("SELECT key, version, valid_from, previous_id FROM documents WHERE id = ?",
                      [document_id]).fetchone()
    if row is None or row[0] is None or row[1] is None:
        return None
    return VersionInfo(key=str(row[0]), version=int(row[1]), valid_from=row[2], previous_id=row[3])


def _latest(con: duckdb.DuckDBPyConnection, key: str) -> tuple[int, str | None]:
    row = con.execute("SELECT CAST(version AS INTEGER) AS v, id FROM documents WHERE key = ? "
                      "ORDER BY v DESC LIMIT 1", [key]).fetchone()
    return (int(row[0]), str(row[1])) if row else (0, None)


def rekey(con: duckdb.DuckDBPyConnection, from_key: str, to_key: str) -> tuple[str, ...]:
    """Adopt every version of ``from_key`` into ``to_key`` (then ordered by stated date); their ids.

    The caller owns the transaction.  Used when a référentiel's number becomes known (a numbered
    version of the same title, or a link inferred from an RNCP fiche)."""
    if from_key == to_key:
        return ()
    chain = con.execute("SELECT id, previous_id FROM documents WHERE key = ? ORDER BY CAST(version AS INTEGER)",
                        [from_key]).fetchall()
    if not chain:
        return ()
    last, previous = _latest(con, to_key)
    for n, (doc_id, prev) in enumerate(chain, start=1):
        con.execute("UPDATE documents SET key = ?, version = ?, previous_id = ? WHERE id = ?",
                    [to_key, str(last + n), prev if n > 1 else previous, doc_id])
    order_versions(con, to_key)
    return tuple(str(r[0]) for r in chain)


def refine_keys(con: duckdb.DuckDBPyConnection) -> tuple[str, ...]:
    """Adopt title-keyed chains whose référentiel got an inferred number; the re-keyed document ids.

    Reads the linker's ``inferred_numbers`` (a CQPM number named by a linked RNCP fiche's history);
    a chain is adopted only when its documents point to one number.  Run it after the links are
    recomputed; the caller owns the transaction.  Adoption is one-way: a later change of the inference
    does not split a chain again."""
    found = con.execute("SELECT 1 FROM duckdb_tables() WHERE table_name = 'inferred_numbers'").fetchone()
    if found is None:
        return ()
    numbers: dict[str, set[str]] = {}
    for key, number in con.execute(
            "SELECT DISTINCT d.key, i.number FROM documents d JOIN inferred_numbers i ON i.document_id = d.id "
            "WHERE starts_with(d.key, 'CQPM-T')").fetchall():
        numbers.setdefault(str(key), set()).add(cqpm_key(str(number)))
    adopted: list[str] = []
    for key, targets in sorted(numbers.items()):
        if len(targets) == 1:
            adopted += rekey(con, key, targets.pop())
    return tuple(adopted)


def assign_version(con: duckdb.DuckDBPyConnection, document: Document, *, stored: bool = True) -> VersionInfo:
    """The key, version, valid_from and previous version of ``document`` (about to be loaded).

    Call it inside the load transaction, before the document's rows are inserted.  A document already
    stored (a replace) keeps its stored version; ``stored=False``: the caller knows it is not stored."""
    if stored and (stored_info := stored_version(con, document.id)) is not None:
        return stored_info
    adopted: tuple[str, ...] = ()
    key = number_key(document)
    if key is not None and document.kind is Kind.CQPM and (tkey := title_version_key(_title(document))):
        adopted = rekey(con, tkey, key)
    if key is None and document.kind is Kind.CQPM:
        key = _numbered_key_with_title(con, _title(document)) or title_version_key(_title(document))
    key = key or f"DOC-{document.id}"
    last, previous = _latest(con, key)  # appended here; ``order_versions`` places it once it is stored
    return VersionInfo(key=key, version=last + 1, valid_from=valid_from(document), previous_id=previous,
                       adopted=adopted)


def with_version(table: tuple[tuple[str, ...], list[tuple[Any, ...]]],
                 info: VersionInfo) -> tuple[tuple[str, ...], list[tuple[Any, ...]]]:
    """The ``documents`` rows as (columns, rows) with the version columns filled from ``info``."""
    columns, rows = table
    keep = [i for i, c in enumerate(columns) if c not in VERSION_COLUMNS]
    extra = (info.key, str(info.version), info.valid_from, info.previous_id)
    return ((*(columns[i] for i in keep), *VERSION_COLUMNS),
            [(*(row[i] for i in keep), *extra) for row in rows])


# ---------------------------------------------------------------------------------------------- read


@dataclass(frozen=True)
class VersionRow:
    key: str
    version: int
    document_id: str
    kind: str
    reference: str | None
    title: str | None
    valid_from: date | None
    valid_from_source: str
    previous_id: str | None
    is_latest: bool
    source_path: str
    dated_before_earlier_version: bool = False  # prints an older date than an earlier version prints


def list_versions(con: duckdb.DuckDBPyConnection, key: str | None = None) -> list[VersionRow]:
    """Rows of ``v_versions`` (one key, case-insensitive, or all), by key then version."""
    flag = "dated_before_earlier_version"
    if not con.execute("SELECT 1 FROM duckdb_columns() WHERE table_name = 'v_versions' AND column_name = ?",
                       [flag]).fetchone():
        flag = f"false AS {flag}"  # views of an older refpipe (a reader never upgrades them)
    sql = ("SELECT key, version, document_id, kind, reference, title, valid_from, valid_from_source, "
           f"previous_id, is_latest, source_path, {flag} FROM v_versions {{}} ORDER BY key, version")
    rows = (con.execute(sql.format("WHERE upper(key) = upper(?)"), [key]) if key
            else con.execute(sql.format(""))).fetchall()
    return [VersionRow(*r) for r in rows]


def find_version(con: duckdb.DuckDBPyConnection, key: str, version: int | None = None) -> str | None:
    """The document id of ``key`` at ``version`` (the latest when None), or None."""
    if version is None:
        row = con.execute("SELECT document_id FROM v_latest WHERE upper(key) = upper(?)", [key]).fetchone()
    else:
        row = con.execute("SELECT document_id FROM v_versions WHERE upper(key) = upper(?) AND version = ?",
                          [key, version]).fetchone()
    return str(row[0]) if row else None


@dataclass(frozen=True)
class InForce:
    """The version of a key in force on a date (``v_versions``: valid_from <= day <= valid_to)."""

    document_id: str
    key: str
    version: int
    valid_from: date
    valid_to: date


def version_in_force(con: duckdb.DuckDBPyConnection, document_id: str, day: date) -> InForce | None:
    """The version of ``document_id``'s key in force on ``day``; None before its first stated date (an
    undated version is in force on no date: it states none)."""
    row = con.execute(
        "SELECT v.document_id, v.key, v.version, v.valid_from, v.valid_to FROM v_versions v "
        "JOIN documents d ON d.key = v.key WHERE d.id = ? AND ? BETWEEN v.valid_from AND v.valid_to",
        [document_id, day]).fetchone()
    return InForce(str(row[0]), str(row[1]), int(row[2]), row[3], row[4]) if row else None
