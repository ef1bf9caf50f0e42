"""Import an open-data export (one source, thousands of fiches) in one transaction, incrementally.

Each fiche is a document keyed by its content (``Document.id``).  A fiche whose content the warehouse
already holds adds one ``document_sources`` row; a fiche whose content is new is a new version of its
key (its RNCP code), appended after the latest; a fiche of the previous export of the same series
missing from this one is recorded in ``rncp_withdrawals`` (its versions stay).  Re-importing the same
export or next week's therefore writes only what changed.

All or nothing: an export that does not parse to its end (truncated zip, malformed XML) leaves no row
(what its batches committed is deleted) and is recorded as a rejected source with the reason (line,
column) — otherwise its missing fiches would look withdrawn.  Rows are inserted in batches (``FLUSH``
new fiches, one INSERT per table with a list per column, one commit per batch), never one statement per
fiche, and the fiches are parsed one at a time, so memory holds one batch, not the export (plus a short row
per fiche: its source link and fingerprint, inserted at the end in one statement each).

Skipping before reading: each XML fiche's raw bytes are fingerprinted as they are cut from the stream
(``export_xml._pieces``; salted with ``reader_digest()`` and the file's prolog) and ``rncp_fiche_fingerprints``
maps a fingerprint to the document those bytes gave.  A fiche whose fingerprint is known is neither parsed (the
parser gets an empty placeholder on as many lines) nor turned into a record, split, hashed or inserted: only
its ``document_sources`` row is written, at the line its recorded offset gives.  So re-reading an export, or
next week's (2 % changed), costs less than one parse of the file.  A fiche with new bytes is read as before
(its content may still be known: a re-ordered attribute, another export's spacing), and its fingerprint is
recorded.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

import duckdb

from pipeline import contract, records
from pipeline.contract import canonical_json, content_hash, content_json
from pipeline.errors import RejectedInput
from pipeline.extract import export_xml
from pipeline.extract.export_csv import CsvExportReader, is_csv_export
from pipeline.extract.export_xml import ExportInfo, ExportReader, Known, KnownFiche, ReadFiche
from pipeline.load import rncp_rows, tables
from pipeline.load import warehouse as wh
from pipeline.load.columns import ColumnBatch, insert_columns
from pipeline.load.versions import VersionInfo, number_key, order_versions, valid_from
from pipeline.normalize import competences, fiche_lists
from pipeline.normalize.fiche_lists import split_lists
from pipeline.records import Document, Source

#: new fiches per batch: one INSERT per table and one commit (a statement and a commit cost about the same
#: for 250 fiches' rows as for 1,000's; the batch's rows are held as Python lists meanwhile: ~20 MB)
FLUSH = 1000
#: DuckDB settings during an import, restored after: its buffer pool (the rows beyond it go to the database
#: file); the WAL size that triggers a checkpoint — at DuckDB's 16 MB every batch's commit checkpointed, and a
#: checkpoint rewrites the primary-key indexes, whose size grows with the warehouse (30,000 fiches: 28.6 s of
#: CPU in commits; at 256 MB: 8.7 s).  Figures: benchmarks/README.md, issue 13.
SETTINGS = {"memory_limit": "128MB", "checkpoint_threshold": "256MB"}



@dataclass(frozen=True)
class ExportSummary:
    path: str
    sha256: str
    status: str  # loaded | unchanged | rejected
    info: ExportInfo | None = None
    fiches: int = 0
    added: int = 0  # fiches whose content was new: first versions and new versions
    new_versions: int = 0  # of those, fiches already known under their code (a changed fiche)
    unchanged: int = 0
    withdrawn: tuple[str, ...] = ()
    reinstated: tuple[str, ...] = ()
    skipped_rs: int = 0
    notes: tuple[str, ...] = ()
    reason: str | None = None
    seconds: float = 0.0
    changed_codes: tuple[str, ...] = field(default=(), repr=False)
    added_codes: tuple[str, ...] = field(default=(), repr=False)
    late: bool = False  # older than an export of its series imported before: its changed fiches are earlier versions

    def line(self) -> str:
        """One line for the run summary."""
        if self.status == "rejected":
            return f"{self.path}: rejected: {self.reason}"
        if self.status == "unchanged":
            return f"{self.path}: export already imported (same bytes)"
        changed = "earlier versions: a later export was imported before" if self.late else "new versions"
        gone = " (missing from the later export)" if self.late and self.withdrawn else ""
        parts = [f"{self.fiches} fiches", f"{self.added - self.new_versions} new",
                 f"{self.new_versions} changed ({changed})", f"{self.unchanged} unchanged",
                 f"{len(self.withdrawn)} withdrawn{gone}"]
        if self.reinstated:
            parts.append(f"{len(self.reinstated)} back")
        if self.skipped_rs:
            parts.append(f"{self.skipped_rs} RS fiches skipped")
        return f"{self.path}: " + ", ".join(parts) + "".join(f"; {n}" for n in self.notes)


def reader_for(path: Path, source: Source, *, include_rs: bool = True) -> ExportReader | CsvExportReader:
    if is_csv_export(path):
        return CsvExportReader(path, source, include_rs=include_rs)
    return ExportReader(path, source, include_rs=include_rs)


def import_export(path: Path | str, con: duckdb.DuckDBPyConnection, *, sha256: str | None = None,
                  include_rs: bool = True, force: bool = False,
                  progress: Callable[[int], None] | None = None) -> ExportSummary:
    """Import the export at ``path`` (a .zip or .xml; the CSV zip too) into the open warehouse ``con``.

    The same bytes already imported: ``unchanged`` at once, unless ``force`` (which re-reads the file and
    writes nothing new).  ``progress`` is called with the number of fiches read, every ``FLUSH``."""
    started = time.perf_counter()
    path = Path(path)
    sha = sha256 or wh.file_sha256(path)
    known = con.execute("SELECT status FROM sources WHERE sha256 = ?", [sha]).fetchone()
    if known is not None and known[0] != "rejected" and not force:
        return ExportSummary(str(path), sha, "unchanged", seconds=time.perf_counter() - started)
    csv = is_csv_export(path)
    source = Source(path=str(path), sha256=sha, format="csv" if csv else "xml", pages=None,
                    size=path.stat().st_size)
    reader = reader_for(path, source, include_rs=include_rs)
    # each batch of fiches is committed as it is written (DuckDB holds a transaction's rows and its index
    # entries in memory: one transaction for 30,000 fiches would grow the process by gigabytes); a failure
    # before the end deletes what the batches wrote, so the export still lands whole or not at all.  The
    # runtime writes into a staging copy published after the outcome: readers never see the batches, and a
    # crash discards them with the staging copy
    before = {name: con.execute(f"SELECT current_setting('{name}')").fetchone() for name in SETTINGS}
    for name, value in SETTINGS.items():
        con.execute(f"SET {name} = '{value}'")
    written: list[str] = []
    # the import allocates millions of short-lived objects (records, rows) and few cycles: the collector's
    # default thresholds spent ~8 % of it walking them (measured at 3,000 fiches); restored after
    thresholds = gc.get_threshold()
    gc.set_threshold(100_000, 50, 100)
    try:
        summary = _import(reader, source, con, progress, written)
    except BaseException as exc:
        with contextlib.suppress(duckdb.Error):  # a transaction the failure left open
            con.rollback()
        _undo(con, source.sha256, written)
        if not isinstance(exc, RejectedInput):
            raise
        wh.record_rejection(source, str(exc), con)
        return ExportSummary(str(path), sha, "rejected", reason=str(exc), seconds=time.perf_counter() - started)
    finally:
        gc.set_threshold(*thresholds)
        # write what the WAL holds (up to 256 MB) now, under the import's memory limit, rather than at close or
        # at publish with the limit restored (the same work, moved; peak RSS at 30,000 fiches 392 MB against
        # 408 MB without: within the noise of one run each)
        with contextlib.suppress(duckdb.Error):  # another transaction open: the WAL is written later
            con.execute("CHECKPOINT")
        with contextlib.suppress(duckdb.Error):  # a transaction a failed undo left aborted
            con.rollback()
        for name, row in before.items():
            if row is not None:
                con.execute(f"SET {name} = '{row[0]}'")
    return ExportSummary(**{**summary.__dict__, "seconds": time.perf_counter() - started})


def _undo(con: duckdb.DuckDBPyConnection, sha: str, written: list[str]) -> None:
    """Delete what an interrupted import committed: its new documents' rows, its fingerprints, its source links."""
    with wh.transaction(con):
        for start in range(0, len(written), 5000):
            ids = written[start:start + 5000]
            for table in wh.DOCUMENT_TABLES:
                key = "id" if table == "documents" else "document_id"
                con.execute(f"DELETE FROM {table} WHERE {key} IN (SELECT unnest(?::VARCHAR[]))", [ids])
        con.execute("DELETE FROM rncp_fiche_fingerprints WHERE source_sha256 = ?", [sha])
        con.execute("DELETE FROM document_sources WHERE source_sha256 = ?", [sha])


@lru_cache(maxsize=1)
def reader_digest() -> bytes:
    """The salt of the fiche fingerprints: a digest of the code that turns a fiche's bytes into its document
    (reader, list splitting, canonical JSON, records), so that fingerprints recorded by another version of
    that code match nothing and its fiches are read again."""
    h = hashlib.sha256()
    for module in (export_xml, fiche_lists, competences, contract, records):
        h.update(Path(module.__file__ or "").read_bytes())
    return h.digest()


def _known(con: duckdb.DuckDBPyConnection) -> Known:
    """Fingerprint -> (document id, code, line offset) for the fingerprints whose document the warehouse still holds."""
    return {str(f): (str(d), str(c), None if o is None else int(o)) for f, d, c, o in con.execute(
        "SELECT f.fingerprint, f.document_id, f.code, f.line_offset FROM rncp_fiche_fingerprints f "
        "JOIN documents d ON d.id = f.document_id").fetchall()}


def _latest(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[int, str]]:
    return {str(k): (int(v), str(i)) for k, v, i in con.execute(
        "SELECT key, max(TRY_CAST(version AS INTEGER)), arg_max(id, TRY_CAST(version AS INTEGER)) FROM documents "
        "WHERE kind = 'rncp' AND key IS NOT NULL GROUP BY key").fetchall()}


def _import(reader: ExportReader | CsvExportReader, source: Source, con: duckdb.DuckDBPyConnection,
            progress: Callable[[int], None] | None, written: list[str]) -> ExportSummary:
    now = wh._now()
    sha = source.sha256
    latest = _latest(con)
    known_ids = {str(r[0]) for r in con.execute("SELECT id FROM documents WHERE kind = 'rncp'").fetchall()}
    batch = ColumnBatch(tables.DOCUMENTS, *tables.RNCP_TABLES)  # the new fiches' rows since the last flush
    # every fiche's source link (document, line) and each fiche read's fingerprint (fingerprint, document,
    # code), as columns: a few bytes a fiche, inserted at the end in one statement each
    link_ids: list[str] = []
    link_lines: list[int | None] = []
    prints: tuple[list[str], list[str], list[str], list[int | None]] = ([], [], [], [])
    seen: dict[str, str] = {}  # code -> document id in this export
    added: list[str] = []
    new_versions: list[str] = []
    unchanged = 0
    notes: list[str] = []
    pending = 0  # new fiches in ``batch``
    today = _today(reader.info)
    for item in _read(reader, con):
        if isinstance(item, KnownFiche):  # these bytes gave this document before: nothing to read or write
            if item.code in seen:
                notes.append(f"{item.code} appears twice in the export (the first is kept)")
                continue
            seen[item.code] = item.document_id
            link_ids.append(item.document_id)
            link_lines.append(item.line)
            unchanged += 1
            if progress and len(link_ids) % FLUSH == 0:
                progress(len(link_ids))
            continue
        doc = split_lists(item.document)
        fiche = doc.rncp
        assert fiche is not None
        key = number_key(doc) or f"DOC-{doc.id}"
        if key in seen:
            notes.append(f"{key} appears twice in the export (the first is kept)")
            continue
        text = canonical_json(content_json(doc))
        doc_id = content_hash(text)
        doc.__dict__["id"] = doc_id  # Document.id, computed once from the bytes already serialised here
        if doc_id in known_ids:
            unchanged += 1
        else:
            if bad := _undecodable(text, doc):  # U+FFFD or mojibake: left out, the export goes on
                notes.append(f"{key} skipped: undecodable text ({bad!r})")
                continue
            last, previous = latest.get(key, (0, None))
            version = VersionInfo(key=key, version=last + 1, valid_from=valid_from(doc, today), previous_id=previous)
            rncp_rows.document_row(batch, doc, version, now)
            rncp_rows.fiche_rows(batch, doc_id, sha, fiche)
            pending += 1
            written.append(doc_id)
            latest[key] = (last + 1, doc_id)
            known_ids.add(doc_id)
            (new_versions if previous else added).append(key)
        seen[key] = doc_id
        link_ids.append(doc_id)
        link_lines.append(_line(doc))
        if item.fingerprint:
            prints[0].append(item.fingerprint)
            prints[1].append(doc_id)
            prints[2].append(key)
            line = link_lines[-1]
            prints[3].append(None if line is None or item.start_line is None else line - item.start_line)
        if pending >= FLUSH:  # one transaction and one statement per table for FLUSH new fiches
            with wh.transaction(con):
                batch.insert(con)
            pending = 0
        if progress and len(link_ids) % FLUSH == 0:
            progress(len(link_ids))
    # the last batch, every fiche's source link and fingerprint, the source, its withdrawals and its export
    # row: committed together
    con.begin()
    batch.insert(con)
    links = ColumnBatch()[tables.DOCUMENT_SOURCES]
    n = len(link_ids)
    links.values.update(document_id=link_ids, source_sha256=[sha] * n, reading_order=link_lines,
                        added_at=[now] * n, unprinted=[None] * n)
    links.count = n
    insert_columns(con, links, or_else="IGNORE")
    fingerprints = ColumnBatch()[tables.RNCP_FICHE_FINGERPRINTS]
    n = len(prints[0])
    fingerprints.values.update(fingerprint=prints[0], document_id=prints[1], code=prints[2], source_sha256=[sha] * n,
                               line_offset=prints[3])
    fingerprints.count = n
    insert_columns(con, fingerprints, or_else="REPLACE")
    con.execute("INSERT OR REPLACE INTO sources (sha256, path, format, pages, size, ingested_at, status, reason) "
                "VALUES (?, ?, ?, NULL, ?, ?, 'loaded', NULL)",
                [sha, source.path, source.format, source.size, now])
    withdrawn, back, late = _withdrawals(con, source, reader.info, seen, latest, now, include_rs=reader.include_rs)
    reorder = bool(new_versions) and _newer_export_known(con, source, reader.info)
    notes += list(getattr(reader, "notes", ()))
    info = reader.info
    con.execute(
        "INSERT OR REPLACE INTO rncp_exports (source_sha256, path, member, format, flux_version, series, export_date, "
        "fiches, added, unchanged, withdrawn, skipped_rs, notes, imported_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [sha, source.path, info.member, source.format, info.flux_version, info.series, info.export_date,
         len(seen), len(added) + len(new_versions), unchanged, len(withdrawn), reader.skipped_rs, notes, now])
    if reorder:  # numbered last + 1 above, but an export older than one imported before brings older versions
        for key in new_versions:
            order_versions(con, key)
    con.commit()
    return ExportSummary(source.path, sha, "loaded", info=info, fiches=len(seen),
                         added=len(added) + len(new_versions), new_versions=len(new_versions), unchanged=unchanged,
                         withdrawn=withdrawn, reinstated=back, skipped_rs=reader.skipped_rs, notes=tuple(notes),
                         changed_codes=tuple(new_versions), added_codes=tuple(added), late=late)


#: a character every match of ``warehouse.MOJIBAKE`` holds: U+FFFD, "Ã" (UTF-8 read as latin-1: "Ã©"), "€" ("â€"); a
#: text holding none of them (nearly every one) is not searched: a one-character ``in`` scans at memchr speed,
#: the pattern's alternation ~5× slower (~45 µs a fiche; measured on the 3,000-fiche export)
_SUSPECT = ("\ufffd", "Ã", "€")


def _undecodable(text: bytes, doc: Document) -> str | None:
    """What ``warehouse.check_text`` would refuse, found in the fiche's JSON (UTF-8) and raw list texts at once."""
    r = doc.rncp
    raws = [] if r is None else [r.activities_raw or "", r.capacities_raw or "",
                                 *(b.competences_raw or "" for b in r.blocks)]
    fffd, a_tilde, euro = _SUSPECT
    for value in (text.decode("utf-8"), *raws):
        if (fffd in value or a_tilde in value or euro in value) and (m := wh.MOJIBAKE.search(value)):
            return m.group()
    return None


def _read(reader: ExportReader | CsvExportReader, con: duckdb.DuckDBPyConnection) -> Iterator[ReadFiche | KnownFiche]:
    """The export's fiches; an XML export's fingerprinted, those already known as ``KnownFiche``."""
    if isinstance(reader, ExportReader):
        yield from reader.read(_known(con), reader_digest())
    else:
        for document in reader:
            yield ReadFiche("", document)




def _line(doc: Document) -> int | None:
    r = doc.rncp
    for items in ((r.certifiers if r else ()), (r.blocks if r else ())):
        for item in items:
            return item.prov.order
    return None


def _today(info: ExportInfo) -> date | None:
    return info.export_date


def _newer_export_known(con: duckdb.DuckDBPyConnection, source: Source, info: ExportInfo) -> bool:
    """Whether an export dated after this one was imported before, of any series: the versions of a fiche are
    ordered by date whatever export brought them (a CSV export's name states no series), so its new versions may
    be earlier ones.  Lateness for the withdrawals and the summary is judged within the series (``_withdrawals``)."""
    if info.export_date is None:
        return False
    row = con.execute("SELECT count(*) FROM rncp_exports WHERE export_date > ? AND source_sha256 <> ?",
                      [info.export_date, source.sha256]).fetchone()
    return bool(row and row[0])


def _withdrawals(con: duckdb.DuckDBPyConnection, source: Source, info: ExportInfo, seen: dict[str, str],
                 latest: dict[str, tuple[int, str]], now: object,
                 include_rs: bool = True) -> tuple[tuple[str, ...], tuple[str, ...], bool]:
    """Record the fiches of the previous export of this series missing from this one (withdrawn) and those
    withdrawn earlier that are back; and say whether this export is late: older than the newest export of its
    series imported before (what the summary's wording uses; an export of another series, say RS, dated later
    says nothing of this one's withdrawals; versions are ordered across series: ``_newer_export_known``).  A late export
    reinstates nothing; its fiches missing from the newest export are withdrawn as of that export.  RS fiches
    left unread (``include_rs`` False, --skip-rs; or the newest export imported so) are not missing: nothing is
    said of them."""
    prev = con.execute(
        "SELECT source_sha256, export_date, skipped_rs FROM rncp_exports WHERE series IS NOT DISTINCT FROM ? "
        "AND source_sha256 <> ? ORDER BY export_date DESC NULLS LAST, imported_at DESC LIMIT 1",
        [info.series, source.sha256]).fetchone()
    state = {str(c): str(e) for c, e in con.execute(
        "SELECT code, arg_max(event, recorded_at) FROM rncp_withdrawals GROUP BY code").fetchall()}
    if prev is None:
        return (), (), False
    newest = {str(r[0]) for r in con.execute(
        "SELECT DISTINCT d.key FROM document_sources x JOIN documents d ON d.id = x.document_id "
        "WHERE x.source_sha256 = ?", [prev[0]]).fetchall()}
    late = bool(info.export_date and prev[1] and info.export_date < prev[1])
    if late:
        withdrawn = sorted(c for c in set(seen) - newest if state.get(c) != "withdrawn"
                           and not (prev[2] and c.startswith("RS")))
        rows = [(c, latest[c][1] if c in latest else seen[c], prev[0], prev[1], "withdrawn", now) for c in withdrawn]
        back: list[str] = []
    else:
        withdrawn = sorted(c for c in newest - set(seen) if include_rs or not c.startswith("RS"))
        back = sorted(code for code in seen if state.get(code) == "withdrawn")
        rows = [(c, latest[c][1] if c in latest else "", source.sha256, info.export_date, "withdrawn", now)
                for c in withdrawn] + [(c, seen[c], source.sha256, info.export_date, "reinstated", now) for c in back]
    if rows:
        wh.insert_rows(con, "rncp_withdrawals",
                       ("code", "document_id", "source_sha256", "export_date", "event", "recorded_at"), rows,
                       or_else="REPLACE")
    return tuple(withdrawn), tuple(back), late
