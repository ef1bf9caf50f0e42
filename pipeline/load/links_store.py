"""Derived tables: links, capacity maps, inferred numbers, quality findings, criterion keys.

``recompute`` reads every document back from the warehouse (``read.read_document``, never the raw
files), links them, runs the quality rules and replaces the derived tables in one transaction.  It is
run after each ingest batch, so the result depends only on which documents are in the warehouse, not on
the order or the batches they came in.  The set of documents it was computed for is remembered in
``refpipe_meta`` (``links_documents``), so readers can tell when the tables are stale (documents loaded
by another route) and compute the answer in memory instead.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb

from pipeline.load import warehouse as wh
from pipeline.load.read import read_document
from pipeline.load.versions import refine_keys
from pipeline.normalize import quality
from pipeline.normalize.link import (
    CapacityLink,
    Link,
    inferred_numbers,
    link_documents,
    referentiel_keys,
)
from pipeline.normalize.text import comparison_key
from pipeline.records import Document, Provenance

_STATE_KEY = "links_documents"
DERIVED_TABLES = ("links", "capacity_links", "inferred_numbers", "quality_findings", "criterion_keys")


@dataclass(frozen=True)
class Derived:
    """Everything ``recompute`` writes, computed from the documents (pure data, nothing stored yet)."""

    documents: tuple[Document, ...]
    links: tuple[Link, ...]
    findings: tuple[quality.Finding, ...]
    as_of: date


@dataclass(frozen=True)
class RecomputeSummary:
    documents: int
    links: int
    capacity_links: int
    inferred_numbers: int
    findings: int


def read_all(con: duckdb.DuckDBPyConnection) -> tuple[Document, ...]:
    ids = [r[0] for r in con.execute("SELECT id FROM documents ORDER BY id").fetchall()]
    return tuple(read_document(con, i) for i in ids)


def derive(documents: Sequence[Document], as_of: date | None = None) -> Derived:
    """Links and findings for ``documents`` as of ``as_of`` (default: today)."""
    day = as_of or date.today()
    links = link_documents(documents)
    return Derived(tuple(documents), links, quality.findings(documents, links, day), day)


def _state(con: duckdb.DuckDBPyConnection) -> str:
    """A digest of which documents (and which load of each) the warehouse holds."""
    rows = con.execute("SELECT id, loaded_at FROM documents ORDER BY id").fetchall()
    return hashlib.sha256("\n".join(f"{i} {t}" for i, t in rows).encode()).hexdigest()


def is_current(con: duckdb.DuckDBPyConnection) -> bool:
    """True when the derived tables were computed for exactly the documents now in the warehouse."""
    row = con.execute("SELECT value FROM refpipe_meta WHERE key = ?", [_STATE_KEY]).fetchone()
    return row is not None and row[0] == _state(con)


def recompute(con: duckdb.DuckDBPyConnection, *, as_of: date | None = None) -> RecomputeSummary:
    """Rebuild the derived tables from the documents in the warehouse, in one transaction."""
    derived = derive(read_all(con), as_of)
    rows = _rows(derived)
    with wh.transaction(con):  # one transaction, rolled back on error, lock errors typed
        for table in DERIVED_TABLES:
            con.execute(f"DELETE FROM {table}")
        for table, table_rows in rows.items():
            if table_rows:
                columns = _COLUMNS[table]
                con.executemany(f"INSERT INTO {table} ({', '.join(columns)}) "
                                f"VALUES ({', '.join('?' for _ in columns)})", table_rows)
        # a référentiel that prints no number joins its number's version chain once a link infers it
        refine_keys(con)
        con.execute("INSERT OR REPLACE INTO refpipe_meta (key, value) VALUES (?, ?)", [_STATE_KEY, _state(con)])
    return RecomputeSummary(
        documents=len(derived.documents), links=len(rows["links"]), capacity_links=len(rows["capacity_links"]),
        inferred_numbers=len(rows["inferred_numbers"]), findings=len(rows["quality_findings"]),
    )


def recompute_warehouse(warehouse: Path | str, *, as_of: date | None = None) -> RecomputeSummary:
    """``recompute`` on the warehouse file (opened for writing, closed afterwards)."""
    con = wh.connect(warehouse)
    try:
        return recompute(con, as_of=as_of)
    finally:
        con.close()


_PROV = ("ord", "reading_order", "page", "x0", "top", "x1", "bottom")
_COLUMNS = {
    "links": ("document_id", "source_sha256", *_PROV, "cqpm_document_id", "rncp_code", "cqpm_number",
              "number_source", "method", "score", "history_score", "title_score", "capacity_score", "reason",
              "computed_at"),
    "capacity_links": ("document_id", "source_sha256", *_PROV, "cqpm_document_id", "rncp_capacity",
                       "cqpm_capacity_number", "cqpm_ord", "score"),
    "inferred_numbers": ("document_id", "source_sha256", *_PROV, "number", "evidence_document_id",
                         "evidence_field", "rncp_code", "score", "reason"),
    "quality_findings": ("document_id", "source_sha256", *_PROV, "rule", "severity", "subject", "message",
                         "related_document_id", "as_of", "computed_at"),
    "criterion_keys": ("document_id", "source_sha256", "capacity_ord", "capacity_number", *_PROV, "referentiel",
                       "key"),
}


def _prov(ord_: int, p: Provenance | None) -> tuple[Any, ...]:
    b = p.bbox if p else None
    return (ord_, p.order if p else None, p.page if p else None,
            *((b.x0, b.top, b.x1, b.bottom) if b else (None,) * 4))


def _rows(derived: Derived) -> dict[str, list[tuple[Any, ...]]]:
    now = datetime.now(UTC).replace(tzinfo=None)
    docs = {d.id: d for d in derived.documents}
    sha = {i: d.source.sha256 for i, d in docs.items()}
    keys = referentiel_keys(derived.documents, derived.links)
    per_doc: dict[str, int] = {}

    def nth(doc_id: str) -> int:  # ord: position among the rows of the same document
        per_doc[doc_id] = per_doc.get(doc_id, -1) + 1
        return per_doc[doc_id]

    links = [(x.rncp_document_id, sha[x.rncp_document_id], *_prov(nth(x.rncp_document_id), None),
              x.cqpm_document_id, x.rncp_code, x.cqpm_number, x.number_source, x.method, x.score, x.history_score,
              x.title_score, x.capacity_score, x.reason, now) for x in derived.links]
    capacity_links = []
    for x in derived.links:
        fiche = docs[x.rncp_document_id].rncp
        capacities = fiche.capacities if fiche else ()
        capacity_links += [(x.rncp_document_id, sha[x.rncp_document_id],
                            *_prov(c.rncp_ord, capacities[c.rncp_ord].prov), x.cqpm_document_id, c.rncp_code,
                            c.cqpm_number, c.cqpm_ord, c.score) for c in x.capacity_map]
    per_doc.clear()
    inferred = [(n.document_id, sha[n.document_id], *_prov(nth(n.document_id), None), n.number,
                 n.evidence_document_id, "rncp_fiches.history_cqpm_number", n.rncp_code, n.score, n.reason)
                for n in inferred_numbers(derived.links)]
    per_doc.clear()
    findings = [(f.document_id, f.source_sha256, *_prov(nth(f.document_id), f.prov), f.rule, f.severity, f.subject,
                 f.message, f.related_document_id, derived.as_of, now) for f in derived.findings]
    criteria = [
        (d.id, d.source.sha256, k, cap.number, *_prov(i, crit.prov), keys[d.id], comparison_key(crit.text))
        for d in derived.documents if d.cqpm is not None
        for k, cap in enumerate(d.cqpm.capacities) for i, crit in enumerate(cap.criteria)
    ]
    return {"links": links, "capacity_links": capacity_links, "inferred_numbers": inferred,
            "quality_findings": findings, "criterion_keys": criteria}


# ---------------------------------------------------------------------------------------------- read side


def read_links(con: duckdb.DuckDBPyConnection) -> tuple[Link, ...]:
    """The stored links with their capacity maps and source paths, as ``Link`` records."""
    maps: dict[tuple[str, str], list[CapacityLink]] = {}
    for r_id, c_id, code, number, score, r_ord, c_ord in con.execute(
            "SELECT document_id, cqpm_document_id, rncp_capacity, cqpm_capacity_number, score, ord, cqpm_ord "
            "FROM capacity_links ORDER BY document_id, cqpm_document_id, ord").fetchall():
        maps.setdefault((r_id, c_id), []).append(CapacityLink(code, number, score, r_ord, c_ord))
    rows = con.execute(
        "SELECT l.document_id, l.cqpm_document_id, l.rncp_code, l.cqpm_number, l.number_source, l.method, "
        "l.score, l.history_score, l.title_score, l.capacity_score, l.reason, rs.path, cs.path "
        "FROM links l JOIN documents rd ON rd.id = l.document_id "
        "JOIN sources rs ON rs.sha256 = rd.source_sha256 JOIN documents cd ON cd.id = l.cqpm_document_id "
        "JOIN sources cs ON cs.sha256 = cd.source_sha256 "
        "ORDER BY l.rncp_code, l.cqpm_number, l.document_id, l.cqpm_document_id").fetchall()
    return tuple(
        Link(rncp_document_id=r[0], cqpm_document_id=r[1], rncp_code=r[2], cqpm_number=r[3], number_source=r[4],
             method=r[5], score=r[6], history_score=r[7], title_score=r[8], capacity_score=r[9], reason=r[10],
             capacity_map=tuple(maps.get((r[0], r[1]), ())), rncp_source=r[11], cqpm_source=r[12])
        for r in rows
    )


def current_links(con: duckdb.DuckDBPyConnection) -> tuple[tuple[Link, ...], bool]:
    """(links, stale): the stored links, or when they are stale, links computed in memory (nothing written)."""
    if is_current(con):
        return read_links(con), False
    return link_documents(read_all(con)), True


def unlinked_fiches(con: duckdb.DuckDBPyConnection, links: Sequence[Link]) -> list[tuple[str, str, str]]:
    """(RNCP code, source path, why) for every fiche without a link."""
    linked = {x.rncp_document_id for x in links}
    rows = con.execute(
        "SELECT f.document_id, f.code, s.path, f.history_cqpm_number FROM rncp_fiches f "
        "JOIN sources s ON s.sha256 = f.source_sha256 ORDER BY f.code, s.path").fetchall()
    out = []
    for doc_id, code, path, named in rows:
        if doc_id in linked:
            continue
        why = (f"history names CQPM {named}: no ingested référentiel prints that number or matches the capacities"
               if named else "history names no CQPM number and no référentiel matches the capacities")
        out.append((code, path, why))
    return out
