"""The DuckDB warehouse, write side: connect, load one document per transaction, record rejections.

A document is its content: ``documents.id`` is the first 16 hex digits of the hash of its canonical JSON
without its source (``pipeline.contract.content_id``); ``document_sources`` says which sources hold it
(one export holds many documents; two files with the same content are one document).  Loading the same
content twice adds nothing but the new source; a load either writes every row of the document or none
(one transaction, rolled back on any error).  The tables are declared in ``tables.py``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from dataclasses import field as _field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb

from pipeline.contract import HEADER_FIELDS, body_id
from pipeline.errors import PipelineError, RejectedInput, TransientError
from pipeline.load import bulk, column_docs, rncp_rows, tables, views
from pipeline.load.columns import ColumnBatch
from pipeline.load.versions import assign_version, order_versions, stored_version, with_version
from pipeline.records import (
    CodedText,
    CqpmDocument,
    Document,
    Kind,
    Provenance,
    RncpFiche,
    Source,
    Status,
    TextItem,
)

Row = tuple[Any, ...]
_log = logging.getLogger(__name__)

#: provenance columns of every list table, after document_id and source_sha256 (and parent columns)
PROV_COLUMNS = tuple(c.name for c in tables.PROV)

#: every table holding rows of a document (all have document_id), children before parents
DOCUMENT_TABLES = tuple(t.name for t in tables.DOCUMENT_TABLES)

# text the warehouse refuses to store: U+FFFD and the usual UTF-8-read-as-cp1252/latin-1 mojibake
_MOJIBAKE = re.compile("\ufffd|Ã[\u0080-\u00bf]|â€")
MOJIBAKE = _MOJIBAKE


class WarehouseError(PipelineError):
    """The warehouse file cannot be used (missing, not a DuckDB database, identity clash)."""


# ---------------------------------------------------------------------------------------------- connect


#: the storage format new warehouse files are written in: the one the DuckDB CLI 1.5.x reads (``duckdb-cli``
#: on PyPI, pinned in pyproject.toml) — duckdb 2.x writes storage version 69 by default, which CLI 1.5.6
#: cannot open ("can only read versions between 64 and 68").  Recorded in the file, kept by every later write.
STORAGE_VERSION = "v1.5.0"


def missing(where: str) -> str:
    return (f"warehouse {where} does not exist (nothing has been ingested into it yet: "
            f"`refpipe ingest FILES -w {where}` creates it)")


def folder_given(path: Path) -> str:
    return f"warehouse {path} is a folder: give the warehouse file (for example {path / 'referentiels.duckdb'})"


def schema_sql() -> str:
    """The declared tables (``tables.ddl``), then schema.sql and every schema_<feature>.sql in name order; the
    declared list views (``views.ddl``) stand in that order as the file ``views.SCHEMA_FILE``."""
    folder = resources.files("pipeline.load")
    files = {f.name: f.read_text(encoding="utf-8") for f in folder.iterdir()
             if f.name.startswith("schema_") and f.name.endswith(".sql")}
    if views.SCHEMA_FILE in files:
        raise RuntimeError(f"{views.SCHEMA_FILE} is generated from pipeline/load/views.py: remove the file")
    files[views.SCHEMA_FILE] = views.ddl()
    schema = folder.joinpath("schema.sql").read_text(encoding="utf-8")
    return "\n".join([tables.ddl(), schema, *(files[name] for name in sorted(files))])


#: the warehouse layout this code writes (tables and the analysts' v_* views), stored in refpipe_meta;
#: raised whenever a change needs a migration of existing files or breaks a view's readers.  1: before
#: numbering; 2: v_criteria_reuse keys are version keys (criterion_keys.referentiel dropped); 3: view
#: times TIMESTAMPTZ, v_runs.duration in seconds, every view column commented; 4: documents by content
#: (document_sources), sources.parent (zip members), the newer CQPM layout's and RNCP v2 tables.  A file
#: at a higher number was written by a newer refpipe: this one refuses to write it rather than break it.
SCHEMA_VERSION = 4


def _schema_version(con: duckdb.DuckDBPyConnection) -> int | None:
    """The file's schema version: None for a new (empty) file, 1 for a file from before the numbering."""
    try:
        rows = dict(con.execute("SELECT key, value FROM refpipe_meta "
                                "WHERE key IN ('schema_version', 'schema_sha256')").fetchall())
    except duckdb.CatalogException:
        return None
    if "schema_version" in rows:
        return int(rows["schema_version"])
    return 1 if rows else None


class NewerSchema(PipelineError):
    """The warehouse was written by a newer refpipe."""


def backup_name(path: Path | str, version: int) -> Path:
    """``<warehouse>.bak-schema<N>``, beside the published file (a staging copy's backup is named after it)."""
    name = os.fspath(path).removesuffix(".staging")
    return Path(f"{name}.bak-schema{version}")


def _apply_schema(con: duckdb.DuckDBPyConnection, path: str | None = None) -> None:
    """Run schema.sql unless this very text was the last applied (saves ~30 ms per connection).

    A file of a newer schema is refused (``NewerSchema``); before a file of an older one is migrated, a
    copy is kept as ``<file>.bak-schema<old>`` (``path``: the file, whose connection the caller reopens)."""
    sql = schema_sql()
    digest = hashlib.sha256((sql + column_docs.shared_text()).encode("utf-8")).hexdigest()
    try:
        # fetchall, not fetchone: a result left unread keeps the connection's transaction open, and the
        # publish session's keeper connection (opened here, then idle) would make every CHECKPOINT after an
        # UPDATE (a version chain re-keyed) fail with "other write transactions active"
        rows = con.execute("SELECT value FROM refpipe_meta WHERE key = 'schema_sha256'").fetchall()
    except duckdb.CatalogException:
        rows = []
    version = _schema_version(con)
    if version is not None and version > SCHEMA_VERSION:
        where = os.fspath(path).removesuffix(".staging") if path else "the warehouse"
        raise NewerSchema(f"warehouse {where} has schema version {version}, written by a newer refpipe; this "
                          f"refpipe knows up to version {SCHEMA_VERSION} and does not write it: upgrade refpipe")
    if rows and rows[0][0] == digest and version == SCHEMA_VERSION:
        return
    con.begin()
    try:
        con.execute(sql)
        _drop_unique_source(con)
        column_docs.comment_shared_columns(con)
        con.execute("INSERT OR REPLACE INTO refpipe_meta (key, value) VALUES ('schema_sha256', ?)", [digest])
        con.execute("INSERT OR REPLACE INTO refpipe_meta (key, value) VALUES ('schema_version', ?)",
                    [str(SCHEMA_VERSION)])
    except BaseException:
        con.rollback()
        raise
    con.commit()


def _drop_unique_source(con: duckdb.DuckDBPyConnection) -> None:
    """A warehouse written when a document was its bytes has ``documents.source_sha256 UNIQUE``: one
    source could hold one document.  DuckDB cannot drop a constraint, so the table is copied without it
    (same rows and ids; primary key and NOT NULL columns restored), and each document gets its source in
    ``document_sources``."""
    found = con.execute("SELECT 1 FROM duckdb_constraints() WHERE table_name = 'documents' "
                        "AND constraint_type = 'UNIQUE'").fetchone()
    if found is None:
        return
    not_null = [r[0][0] for r in con.execute(
        "SELECT constraint_column_names FROM duckdb_constraints() WHERE table_name = 'documents' "
        "AND constraint_type = 'NOT NULL'").fetchall()]
    con.execute("CREATE TABLE documents_without_unique AS SELECT * FROM documents")
    con.execute("DROP TABLE documents")
    con.execute("ALTER TABLE documents_without_unique RENAME TO documents")
    con.execute("ALTER TABLE documents ADD PRIMARY KEY (id)")
    for column in not_null:
        if column != "id":
            con.execute(f"ALTER TABLE documents ALTER COLUMN {column} SET NOT NULL")
    con.execute("INSERT INTO document_sources (document_id, source_sha256, reading_order, added_at) "
                "SELECT id, source_sha256, NULL, loaded_at FROM documents d WHERE NOT EXISTS "
                "(SELECT 1 FROM document_sources x WHERE x.document_id = d.id AND x.source_sha256 = d.source_sha256)")


def connect(path: Path | str, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the warehouse; a writable connection creates the file (and its folder) and applies the schema."""
    where = str(path)
    memory = where == ":memory:"
    if not memory:
        p = Path(path)
        if p.is_dir():
            raise WarehouseError(folder_given(p))
        if read_only and not p.exists():
            raise WarehouseError(missing(where))
        if not read_only:
            p.parent.mkdir(parents=True, exist_ok=True)
            if not p.exists():
                with _duckdb_errors(where):
                    _create(p)
    with _duckdb_errors(where):
        con = duckdb.connect(where, read_only=read_only and not memory)
        con.execute("SET enable_progress_bar = false")  # a long import must not draw on stdout
        if not read_only or memory:
            try:
                if not memory:
                    con = _backup_before_migration(con, where)
                _apply_schema(con, None if memory else where)
            except BaseException:
                con.close()
                raise
    return con


def _backup_before_migration(con: duckdb.DuckDBPyConnection, where: str) -> duckdb.DuckDBPyConnection:
    """Keep a copy of a file of an older schema before it is migrated (``<file>.bak-schemaN``), once."""
    version = _schema_version(con)
    if version is None or version >= SCHEMA_VERSION:
        return con
    backup = backup_name(where, version)
    if backup.exists():
        return con
    con.close()  # the file as it is on disk (no write was made): a plain copy is the database
    import shutil

    shutil.copyfile(where, f"{backup}.tmp")
    os.replace(f"{backup}.tmp", backup)
    _log.warning("warehouse schema %d -> %d: a copy of the warehouse before the migration is kept as %s",
                 version, SCHEMA_VERSION, backup)
    print(f"note: warehouse schema {version} -> {SCHEMA_VERSION}: kept a copy of the warehouse before the "
          f"migration as {backup}", file=sys.stderr)
    return duckdb.connect(where)


def _create(path: Path) -> None:
    """Create an empty warehouse file in ``STORAGE_VERSION`` (a connection option would do it too, but
    DuckDB refuses a second connection to the same file with other options: ATTACH keeps it to creation)."""
    con = duckdb.connect(":memory:")
    try:
        literal = str(path).replace("'", "''")
        con.execute(f"ATTACH '{literal}' AS new_warehouse (STORAGE_VERSION '{STORAGE_VERSION}')")
        con.execute("DETACH new_warehouse")
    finally:
        con.close()


def storage_version(con: duckdb.DuckDBPyConnection) -> str | None:
    """The storage format of ``con``'s database file as DuckDB tags it (``v1.5.0+``), None in memory."""
    row = con.execute("SELECT tags['storage_version'] FROM duckdb_databases() "
                      "WHERE database_name = current_database()").fetchone()
    return str(row[0]) if row and row[0] else None


@contextmanager
def _duckdb_errors(target: str | duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Map DuckDB's environment failures to typed pipeline errors naming the warehouse file."""
    try:
        yield
    except duckdb.IOException as e:
        msg, where = str(e), _database_name(target)
        if "lock" in msg.lower():
            raise TransientError(f"warehouse {where} is locked by another process ({msg})") from e
        if "not a valid DuckDB database" in msg:
            raise WarehouseError(f"warehouse {where} is not a DuckDB database file ({msg})") from e
        raise TransientError(f"warehouse {where}: I/O error ({msg})") from e
    except duckdb.TransactionException as e:
        if "conflict" not in str(e).lower():
            raise
        where = _database_name(target)
        raise TransientError(f"warehouse {where}: concurrent write conflict, retry ({e})") from e


def _database_name(con: str | duckdb.DuckDBPyConnection) -> str:
    if isinstance(con, str):
        return con
    try:
        sql = "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
        row = con.execute(sql).fetchone()
    except duckdb.Error:
        return "warehouse"
    return str(row[0]) if row and row[0] else ":memory:"


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """One transaction: committed when the block ends, rolled back on any exception."""
    with _duckdb_errors(con):
        con.begin()
        try:
            yield
        except BaseException:
            with suppress(duckdb.Error):  # a failed rollback must not hide why the load failed
                con.rollback()
            raise
        con.commit()


# ---------------------------------------------------------------------------------------------- load


def load(document: Document, con: duckdb.DuckDBPyConnection, *, replace: bool = False) -> bool:
    """Store ``document`` in one transaction; True when rows were written.

    The same bytes (sha256) already present as a document: nothing is written and False is returned,
    unless ``replace`` (re-ingest after a parser change) deletes the old rows first, in the same
    transaction.  A source recorded as rejected is replaced by the successful load.  A document whose
    status is REJECTED is recorded as a rejection (False).  Text with U+FFFD or mojibake raises
    ``RejectedInput`` before anything is written.
    """
    if document.status is Status.REJECTED:
        record_rejection(document.source, "; ".join(document.reasons) or "rejected", con)
        return False
    rows = document_rows(document)
    _check_text(document, rows)
    with transaction(con):
        return _store(document, rows, con, replace=replace)


#: the tables read while later documents are loaded (identity, versions): written as each document is
#: stored; the other tables only hold a document's list rows, which ``load_together`` inserts at the end
_EAGER_TABLES = ("documents", "cqpm_referentiels", "rncp_fiches")


def load_together(documents: Sequence[Document], con: duckdb.DuckDBPyConnection) -> list[bool]:
    """``load`` for several documents in one transaction (all or none); for each, True when it was written.

    The same rows, keys and versions as loading them one at a time in this order, with fewer statements:
    each list table gets one INSERT for all the documents (a statement costs ~1 ms, a document has ~10
    tables), and the files whose content is already stored (one more source each, the usual case when a
    folder holds copies of a document) get their ``sources`` and ``document_sources`` rows in one INSERT
    each, their rows never built.  Raises like ``load`` (``RejectedInput`` before anything is written); a
    caller that wants the other documents loaded anyway loads them one at a time.  No REJECTED documents
    here."""
    for document in documents:
        if document.status is Status.REJECTED:
            raise ValueError(f"{document.source.path}: a rejected document is recorded, not loaded together")
    stored = _stored_ids(con, [d.id for d in documents])
    prepared = []
    for document in documents:
        rows = None
        if document.id not in stored:  # same content, same text: checked when it was stored
            rows = document_rows(document)
            _check_text(document, rows)
        prepared.append((document, rows))
    deferred: dict[str, tuple[tuple[str, ...], list[Row]]] = {}
    batch = _Batch()
    added = []
    with transaction(con):
        for document, rows in prepared:
            if rows is None and document.id not in batch.gone:  # stored before, still stored
                batch.sources.append((document, document.id))
                added.append(False)
                continue
            added.append(_store(document, rows, con, replace=False, deferred=deferred, batch=batch))
        _add_sources(con, batch.sources)
        for table, (columns, table_rows) in deferred.items():
            _insert(con, table, columns, table_rows)
    return added


@dataclass
class _Batch:
    """What ``load_together`` holds until the end of its transaction: the sources of stored content, as
    (document, holder), and the documents absorbed meanwhile by a rendering that prints more (``_absorb``
    moves their pending sources to it)."""

    sources: list[tuple[Document, str]] = _field(default_factory=list)
    gone: set[str] = _field(default_factory=set)


def _stored_ids(con: duckdb.DuckDBPyConnection, ids: Sequence[str]) -> set[str]:
    """Which of ``ids`` are stored documents (one query)."""
    return {str(r[0]) for r in con.execute("SELECT id FROM documents WHERE list_contains(?, id)",
                                           [list(dict.fromkeys(ids))]).fetchall()}


def _store(document: Document, rows: TableRows | None,
           con: duckdb.DuckDBPyConnection, *, replace: bool,
           deferred: dict[str, tuple[tuple[str, ...], list[Row]]] | None = None,
           batch: _Batch | None = None) -> bool:
    """Write one document's rows (the caller owns the transaction); list rows go to ``deferred`` if given.

    ``rows`` None: built here when needed (a stored content needs none).  ``batch`` given: a source of
    stored content is added to ``batch.sources`` for the caller to write, not written."""
    doc_id, sha = document.id, document.source.sha256
    found = con.execute("SELECT source_sha256 FROM documents WHERE id = ?", [doc_id]).fetchone()
    if found is not None and not replace:
        _one_more_source(con, document, doc_id, batch)  # the same content from another file
        return False
    fuller: list[str] = []  # stored renderings of this document that print less of the header block
    if found is None and not replace and document.kind is Kind.CQPM:
        holder, fuller = _same_body(con, document)
        if holder is not None:
            _one_more_source(con, document, holder, batch)  # the text of a référentiel stored with its header
            return False
    if rows is None:
        rows = document_rows(document)
        _check_text(document, rows)
    # a replace (re-ingest of the same bytes after a parser change) takes the place of the documents only
    # this source holds, and keeps their version; read before they are deleted
    replaced = _held_only_by(con, sha) if replace else []
    if found is not None:
        version = assign_version(con, document, stored=True)
    elif replaced and (kept := stored_version(con, replaced[0])) is not None:
        version = kept
    else:
        version = assign_version(con, document, stored=False)
    for old in dict.fromkeys([*replaced, *([doc_id] if found is not None else [])]):
        delete_document_rows(con, old)
        if old != doc_id:
            con.execute("DELETE FROM document_sources WHERE document_id = ?", [old])
    rows["documents"] = with_version(rows["documents"], version)
    s = document.source
    reason = "; ".join(document.reasons) or None
    con.execute(
        "INSERT OR REPLACE INTO sources (sha256, path, format, pages, size, ingested_at, status, reason, parent) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [sha, s.path, s.format, s.pages, s.size, _now(), document.status.value, reason, s.parent],
    )
    con.execute("INSERT OR IGNORE INTO document_sources (document_id, source_sha256, reading_order, added_at, "
                "unprinted) VALUES (?, ?, NULL, ?, ?)", [doc_id, sha, _now(), _unprinted(document)])
    for table, (columns, table_rows) in rows.items():
        if deferred is None or table in _EAGER_TABLES:
            _insert(con, table, columns, table_rows)
        elif table_rows:
            deferred.setdefault(table, (columns, []))[1].extend(table_rows)
    for old in fuller:
        _absorb(con, old, doc_id, deferred, batch)
    order_versions(con, version.key)
    return True


def _header(con: duckdb.DuckDBPyConnection, document_id: str) -> dict[str, Any]:
    row = con.execute(f"SELECT {', '.join(HEADER_FIELDS)} FROM cqpm_referentiels WHERE document_id = ?",
                      [document_id]).fetchone()
    return dict(zip(HEADER_FIELDS, row or (None,) * len(HEADER_FIELDS), strict=True))


def _same_body(con: duckdb.DuckDBPyConnection, document: Document) -> tuple[str | None, list[str]]:
    """(a stored document that prints all the header ``document`` prints and says the same otherwise, or
    None; the stored documents of the same body whose header ``document`` completes).

    One référentiel rendered with its header block (number, category, Dernière modification) and without
    it (its text) is one version: the rendering that prints more holds the rows, the other is one more
    source.  Renderings whose headers contradict each other (two dates) stay two documents."""
    assert document.cqpm is not None
    mine = {f: getattr(document.cqpm, f) for f in HEADER_FIELDS}
    ids = [str(r[0]) for r in con.execute("SELECT id FROM documents WHERE body_id = ? AND kind = 'cqpm' ORDER BY id",
                                          [body_id(document)]).fetchall()]
    fuller = []
    for other in ids:
        theirs = _header(con, other)
        if any(mine[f] is not None and theirs[f] is not None and mine[f] != theirs[f] for f in HEADER_FIELDS):
            continue  # contradicting headers: another version
        if all(mine[f] is None or theirs[f] is not None for f in HEADER_FIELDS):
            return other, []
        if all(theirs[f] is None or mine[f] is not None for f in HEADER_FIELDS):
            fuller.append(other)
    return None, fuller


def _absorb(con: duckdb.DuckDBPyConnection, old: str, new: str,
            deferred: dict[str, tuple[tuple[str, ...], list[Row]]] | None, batch: _Batch | None = None) -> None:
    """``new`` prints what ``old`` prints and more: ``old``'s sources become ``new``'s, ``old`` goes."""
    delete_document_rows(con, old)
    for columns, table_rows in (deferred or {}).values():  # rows of ``old`` loaded in this very batch
        at = columns.index("document_id")
        table_rows[:] = [r for r in table_rows if r[at] != old]
    if batch is not None:  # sources of ``old`` met in this very batch, not written yet
        batch.sources[:] = [(d, new if holder == old else holder) for d, holder in batch.sources]
        batch.gone.add(old)
    con.execute("INSERT OR IGNORE INTO document_sources (document_id, source_sha256, reading_order, added_at, "
                "unprinted) SELECT ?, source_sha256, reading_order, added_at, unprinted FROM document_sources "
                "WHERE document_id = ?", [new, old])
    con.execute("DELETE FROM document_sources WHERE document_id = ?", [old])
    con.execute("UPDATE documents SET previous_id = ? WHERE previous_id = ?", [new, old])


def _held_only_by(con: duckdb.DuckDBPyConnection, sha: str) -> list[str]:
    """The documents the source ``sha`` brought that no other source holds."""
    return [str(r[0]) for r in con.execute(
        "SELECT d.id FROM documents d WHERE d.source_sha256 = ? AND NOT EXISTS (SELECT 1 FROM document_sources x "
        "WHERE x.document_id = d.id AND x.source_sha256 <> ?) ORDER BY d.id", [sha, sha]).fetchall()]


def _add_source(document: Document, con: duckdb.DuckDBPyConnection, holder: str | None = None) -> None:
    """Record that ``document`` (already stored, or as ``holder``) is also held by its source's bytes."""
    _add_sources(con, [(document, holder or document.id)])


def _one_more_source(con: duckdb.DuckDBPyConnection, document: Document, holder: str,
                     batch: _Batch | None) -> None:
    if batch is None:
        _add_source(document, con, holder)
    else:
        batch.sources.append((document, holder))


def _add_sources(con: duckdb.DuckDBPyConnection, held: Sequence[tuple[Document, str]]) -> None:
    """Record each (document, holder): the document's source bytes hold the stored document ``holder``.

    One INSERT per table for all of them (an ``OR REPLACE`` / ``OR IGNORE`` statement costs ~2 ms, a
    plain one ~0.5 ms): ``sources`` rows are inserted for new bytes, replaced for bytes recorded as
    rejected before (this load supersedes the rejection), kept otherwise."""
    if not held:
        return
    status = dict(con.execute("SELECT sha256, status FROM sources WHERE list_contains(?, sha256)",
                              [[d.source.sha256 for d, _ in held]]).fetchall())
    replace = any(v == Status.REJECTED.value for v in status.values())
    rows = []
    for document, _ in held:
        s = document.source
        if s.sha256 in status and status[s.sha256] != Status.REJECTED.value:
            continue
        rows.append([s.sha256, s.path, s.format, s.pages, s.size, _now(), document.status.value,
                     "; ".join(document.reasons) or None, s.parent])
        status[s.sha256] = document.status.value  # the same bytes twice in ``held``: one row
    if rows:
        _values(con, f"{'INSERT OR REPLACE' if replace else 'INSERT'} INTO sources (sha256, path, format, pages, "
                     "size, ingested_at, status, reason, parent)", rows)
    links = {(holder, d.source.sha256): [holder, d.source.sha256, None, _now(), _unprinted(d)] for d, holder in held}
    _values(con, "INSERT OR IGNORE INTO document_sources (document_id, source_sha256, reading_order, added_at, "
                 "unprinted)", list(links.values()))


def _values(con: duckdb.DuckDBPyConnection, insert: str, rows: Sequence[Sequence[object]]) -> None:
    """``insert`` (``INSERT ... INTO t (columns)``) of ``rows`` as one multi-row VALUES statement."""
    one = "(" + ", ".join("?" for _ in rows[0]) + ")"
    con.execute(f"{insert} VALUES {', '.join(one for _ in rows)}", [v for row in rows for v in row])


def _unprinted(document: Document) -> list[str]:
    """The header fields this rendering of a référentiel leaves blank (kept per source: one document may hold
    them from another rendering, and each file is shown as it reads)."""
    if document.cqpm is None:
        return []
    return [f for f in HEADER_FIELDS if getattr(document.cqpm, f) is None]


def delete_document_rows(con: duckdb.DuckDBPyConnection, document_id: str) -> None:
    """Delete every row of a document (not its ``sources`` row); the caller owns the transaction."""
    for table in tables.DOCUMENT_TABLES:
        con.execute(f"DELETE FROM {table.name} WHERE {table.document_key} = ?", [document_id])


_CHUNK = 500  # rows per INSERT statement
_BULK_FROM = 32  # rows from which one statement with a list per column beats binding every value


def _insert(con: duckdb.DuckDBPyConnection, table: str, columns: Sequence[str], rows: Sequence[Row]) -> None:
    """Insert rows: a few with multi-row VALUES statements, many with one list parameter per column.

    Binding every value as a statement parameter is what a VALUES insert costs; a chunk of documents has
    thousands of list rows, which go in as a few lists for less (measured on 7 chunks of the 15 fixture
    PDFs: the INSERTs' CPU fell from 6.9 to 4.0 ms per document).  Not an Arrow table: DuckDB's
    ``register`` imports pandas (~80 MB)."""
    if len(rows) >= _BULK_FROM:
        bulk.insert(con, table, columns, rows)
        return
    one = "(" + ", ".join("?" for _ in columns) + ")"
    for start in range(0, len(rows), _CHUNK):
        chunk = rows[start:start + _CHUNK]
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES " + ", ".join(one for _ in chunk)
        con.execute(sql, [value for row in chunk for value in row])


def insert_rows(con: duckdb.DuckDBPyConnection, table: str, columns: Sequence[str], rows: Sequence[Row], *,
                or_else: str = "") -> None:
    """Insert many rows in one statement (a list per column); ``or_else`` "IGNORE"/"REPLACE" on conflict."""
    bulk.insert(con, table, columns, rows, or_else=or_else)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)  # TIMESTAMP columns hold UTC


def _check_text(document: Document, rows: dict[str, tuple[tuple[str, ...], list[Row]]]) -> None:
    for table, (_, table_rows) in rows.items():
        for row in table_rows:
            for value in row:
                if isinstance(value, str) and (m := _MOJIBAKE.search(value)):
                    bad = m.group()
                    what = "U+FFFD replacement character" if bad == "\ufffd" else f"mojibake {bad!r}"
                    raise RejectedInput(document.source.path,
                                        f"undecodable text: {what} in {table}: {value[:80]!r}")


# ---------------------------------------------------------------------------------------------- rows

TableRows = dict[str, tuple[tuple[str, ...], list[Row]]]


def _prov(ord_: int, p: Provenance) -> dict[str, Any]:
    b = p.bbox
    box = {"x0": b.x0, "top": b.top, "x1": b.x1, "bottom": b.bottom} if b else {}
    return {"ord": ord_, "reading_order": p.order, "page": p.page, **box}


class _Rows:
    """A document's rows by table, each laid out by its declaration (``tables.Table.row``)."""

    def __init__(self, document: Document) -> None:
        self.head = {"document_id": document.id, "source_sha256": document.source.sha256}
        self.out: TableRows = {}

    def add(self, table: tables.Table, values: dict[str, Any]) -> None:
        self.out.setdefault(table.name, (table.names, []))[1].append(table.row({**self.head, **values}))

    def texts(self, table: tables.Table, items: Sequence[TextItem], **parent: Any) -> None:
        self.out.setdefault(table.name, (table.names, []))
        for i, t in enumerate(items):
            self.add(table, {**parent, **_prov(i, t.prov), "text": t.text})

    def coded(self, table: tables.Table, items: Sequence[CodedText], value: str) -> None:
        self.out.setdefault(table.name, (table.names, []))
        for i, c in enumerate(items):
            self.add(table, {**_prov(i, c.prov), "code": c.code, value: c.text})


def document_rows(document: Document) -> TableRows:
    """Every row of ``document`` by table, as (columns, rows); pure, nothing touches the database."""
    if document.kind is Kind.CQPM and document.rncp is not None:
        raise ValueError(f"{document.source.path}: a CQPM document carries an RNCP fiche")
    if document.kind is Kind.RNCP and document.cqpm is not None:
        raise ValueError(f"{document.source.path}: an RNCP document carries a CQPM référentiel")
    rows = _Rows(document)
    rows.out["documents"] = (tables.DOCUMENTS.names, [tables.DOCUMENTS.row({
        "id": document.id, "source_sha256": document.source.sha256, "kind": document.kind.value,
        "status": document.status.value, "reasons": list(document.reasons), "loaded_at": _now(),
        "body_id": body_id(document)})])
    if document.cqpm is not None:
        _cqpm_rows(rows, document.cqpm)
    if document.rncp is not None:
        _rncp_rows(rows, document.rncp)
    return rows.out


def _table(name: str) -> tables.Table:
    return tables.TABLES[name]


def _cqpm_rows(rows: _Rows, c: CqpmDocument) -> None:
    rows.add(tables.CQPM_REFERENTIELS, {
        "number": c.number, "qualification_id": c.qualification_id, "category": c.category,
        "last_modified": c.last_modified, "level": c.level, "title": c.title, "objective": c.objective,
        "layout_variant": c.layout_variant, "environment": c.environment, "interactions": c.interactions})
    rows.texts(_table("cqpm_missions"), c.missions)
    rows.coded(_table("cqpm_listed_capacities"), c.listed_capacities, "text")
    capacities = _table("cqpm_capacities")
    rows.out[capacities.name] = (capacities.names, [])
    for k, cap in enumerate(c.capacities):
        rows.add(capacities, {**_prov(k, cap.prov), "number": cap.number, "title": cap.title})
    for name, field in (("cqpm_conditions", "conditions"), ("cqpm_criteria", "criteria"),
                        ("cqpm_assessments", "assessment"), ("cqpm_knowledge", "knowledge"),
                        ("cqpm_expected_results", "expected_results")):
        table = _table(name)
        rows.out[table.name] = (table.names, [])
        for k, cap in enumerate(c.capacities):
            rows.texts(table, getattr(cap, field), capacity_ord=k, capacity_number=cap.number)
    rows.texts(_table("cqpm_assessment_methods"), c.assessment_methods)
    _newer_layout_rows(rows, c)


def _newer_layout_rows(rows: _Rows, c: CqpmDocument) -> None:
    """Activities and blocs (with the compétences they hold) of a newer-layout référentiel."""
    activities, members = _table("cqpm_activities"), _table("cqpm_block_capacities")
    for table in (activities, tables.CQPM_BLOCKS, members):
        rows.out[table.name] = (table.names, [])
    for k, a in enumerate(c.activities):
        rows.add(activities, {**_prov(k, a.prov), "title": a.title, "text": a.text})
    for k, b in enumerate(c.blocks):
        rows.add(tables.CQPM_BLOCKS, {**_prov(k, b.prov), "number": b.number, "code": b.code, "title": b.title})
        for i, number in enumerate(b.capacities):
            rows.add(members, {**_prov(i, b.prov), "block_ord": k, "block_number": b.number,
                               "capacity_number": number})


def _rncp_rows(rows: _Rows, r: RncpFiche) -> None:
    """The fiche's rows, by the one mapping of a fiche (``rncp_rows``, column by column, as the export import
    writes them), as row tuples."""
    batch = ColumnBatch(*tables.RNCP_TABLES)
    rncp_rows.fiche_rows(batch, rows.head["document_id"], rows.head["source_sha256"], r)
    rows.out.update(batch.rows())


# ---------------------------------------------------------------------------------------------- rejections


def file_sha256(path: Path | str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def record_rejection(source: Source | Path | str, reason: str, con: duckdb.DuckDBPyConnection,
                     *, sha256: str | None = None, parent: str | None = None) -> bool:
    """Record that the input ``source`` was rejected and why; True when the warehouse changed.

    ``source`` is a ``Source`` or a file path (its bytes are hashed unless ``sha256`` is given).
    Idempotent by sha256: recording the same rejection again changes nothing; a new reason for the
    same bytes replaces the old one.  Bytes already loaded as a document stay loaded: a rejection
    never deletes a good document (use ``load(..., replace=True)`` to re-ingest on purpose).
    """
    if not reason.strip():
        raise ValueError("a rejection needs a reason")
    if isinstance(source, Source):
        src = source if sha256 is None else Source(source.path, sha256, source.format, source.pages,
                                                   source.size, source.parent)
    else:
        path = os.fspath(source)
        sha = sha256 or file_sha256(path)
        size = os.path.getsize(path) if os.path.isfile(path) else None
        src = Source(path=path, sha256=sha, format="unknown", pages=None, size=size or 0)
    with transaction(con):
        row = con.execute("SELECT status, reason FROM sources WHERE sha256 = ?", [src.sha256]).fetchone()
        if row is None:
            con.execute(
                "INSERT INTO sources (sha256, path, format, pages, size, ingested_at, status, reason, parent) "
                "VALUES (?, ?, ?, ?, ?, ?, 'rejected', ?, ?)",
                [src.sha256, src.path, src.format, src.pages, src.size, _now(), reason, parent or src.parent],
            )
            return True
        if row[0] != Status.REJECTED.value or row[1] == reason:
            return False
        con.execute("UPDATE sources SET reason = ?, ingested_at = ? WHERE sha256 = ?",
                    [reason, _now(), src.sha256])
    return True


# ---------------------------------------------------------------------------------------------- summary


@dataclass(frozen=True)
class RejectedSource:
    sha256: str
    path: str
    reason: str | None
    ingested_at: datetime


@dataclass(frozen=True)
class Summary:
    sources: int
    documents: int
    by_kind: dict[str, int]
    by_status: dict[str, int]
    by_kind_status: dict[tuple[str, str], int]
    cqpm_capacities: int
    cqpm_criteria: int
    rncp_capacities: int
    rncp_blocks: int
    rejected: tuple[RejectedSource, ...]


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    row = con.execute(f"SELECT count(*) FROM {table}").fetchone()
    return int(row[0]) if row else 0


def summary(con: duckdb.DuckDBPyConnection) -> Summary:
    """What the warehouse holds: documents by kind and status, capacity counts, rejected sources."""
    with _duckdb_errors(con):
        pairs = con.execute("SELECT kind, status, count(*) FROM documents GROUP BY ALL ORDER BY ALL")
        by_kind_status = {(str(k), str(s)): int(n) for k, s, n in pairs.fetchall()}
        rejected = con.execute("SELECT sha256, path, reason, ingested_at FROM sources "
                               "WHERE status = 'rejected' ORDER BY path, sha256").fetchall()
        by_kind: dict[str, int] = {}
        by_status: dict[str, int] = {}
        for (k, s), n in by_kind_status.items():
            by_kind[k] = by_kind.get(k, 0) + n
            by_status[s] = by_status.get(s, 0) + n
        return Summary(
            sources=_count(con, "sources"),
            documents=sum(by_kind.values()),
            by_kind=by_kind,
            by_status=by_status,
            by_kind_status=by_kind_status,
            cqpm_capacities=_count(con, "cqpm_capacities"),
            cqpm_criteria=_count(con, "cqpm_criteria"),
            rncp_capacities=_count(con, "rncp_capacities"),
            rncp_blocks=_count(con, "rncp_blocks"),
            rejected=tuple(RejectedSource(*r) for r in rejected),
        )
