"""Derived tables: links, capacity maps, inferred numbers, quality findings, criterion keys.

``recompute`` brings them up to date with the documents in the warehouse (read back with
``pipeline.query.read``, never from the raw files), in one transaction, after each ingest batch.  It works
incrementally (``pipeline.runtime.links_incremental``): only the documents loaded since the last recompute
are read in full and paired with the others, and only the rows they change are rewritten, yet the rows
are exactly those of a recompute from scratch (``recompute(con, full=True)``), so the result depends only
on which documents are in the warehouse, not on the order or the batches they came in.  The set of
documents it was computed for is remembered in ``refpipe_meta`` (``links_documents``), so readers can
tell when the tables are stale (documents loaded by another route) and compute the answer in memory.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from pipeline.link import findings as quality
from pipeline.link.evidence import link_documents
from pipeline.load import warehouse as wh
from pipeline.load.versions import refine_keys
from pipeline.query.read import read_document, read_findings, read_link_inputs, read_links
from pipeline.records import Document, Finding, Kind, Link
from pipeline.runtime import links_incremental
from pipeline.runtime.links_incremental import DERIVED_TABLES

__all__ = ["DERIVED_TABLES", "Derived", "RecomputeSummary", "current_links", "derive", "findings_at", "is_current",
           "latest_documents", "latest_findings", "latest_links", "read_all", "read_links", "recompute",
           "recompute_warehouse", "unlinked_fiches"]

_STATE_KEY = "links_documents"


@dataclass(frozen=True)
class Derived:
    """Links and findings computed in memory from documents (what ``recompute`` stores for them): for
    readers of stale tables; holds every document given."""

    documents: tuple[Document, ...]
    links: tuple[Link, ...]
    findings: tuple[Finding, ...]
    as_of: date


@dataclass(frozen=True)
class RecomputeSummary:
    documents: int
    links: int
    capacity_links: int
    inferred_numbers: int
    findings: int
    added: int = 0  # documents new to the derived tables (all of them when full)
    assessed: int = 0  # (fiche, référentiel) pairs assessed: those with at least one new document
    full: bool = False  # recomputed from scratch (asked, or the stored state was another code's)


def read_all(con: duckdb.DuckDBPyConnection) -> tuple[Document, ...]:
    """Every document in full (memory grows with the warehouse: in-memory callers only; ``recompute``
    reads a document in full only when it is new)."""
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


def recompute(con: duckdb.DuckDBPyConnection, *, as_of: date | None = None, full: bool = False) -> RecomputeSummary:
    """Bring the derived tables up to date with the documents in the warehouse, in one transaction.

    ``as_of`` (default: today) is the date time-dependent rules (registration expired) are evaluated at,
    for every fiche, even when no document is new.  ``full`` recomputes from scratch (the same rows)."""
    day = as_of or date.today()
    with wh.transaction(con):  # one transaction, rolled back on error, lock errors typed
        done = links_incremental.update(con, day, full=full)
        # a référentiel that prints no number joins its number's version chain once a link infers it
        refine_keys(con)
        con.execute("INSERT OR REPLACE INTO refpipe_meta (key, value) VALUES (?, ?)", [_STATE_KEY, _state(con)])
        counts = con.execute(
            "SELECT (SELECT count(*) FROM links), (SELECT count(*) FROM capacity_links), "
            "(SELECT count(*) FROM inferred_numbers), (SELECT count(*) FROM quality_findings)").fetchone() or (0,) * 4
    return RecomputeSummary(documents=done.documents, links=counts[0], capacity_links=counts[1],
                            inferred_numbers=counts[2], findings=counts[3], added=done.added,
                            assessed=done.assessed, full=done.full)


def recompute_warehouse(warehouse: Path | str, *, as_of: date | None = None, full: bool = False,
                        ) -> RecomputeSummary:
    """``recompute`` on the warehouse file (opened for writing, closed afterwards)."""
    con = wh.connect(warehouse)
    try:
        return recompute(con, as_of=as_of, full=full)
    finally:
        con.close()


# ---------------------------------------------------------------------------------------------- read side


def current_links(con: duckdb.DuckDBPyConnection) -> tuple[tuple[Link, ...], bool]:
    """(links, stale): the stored links, or when they are stale, links computed in memory (nothing written)."""
    if is_current(con):
        return read_links(con), False
    return link_documents(read_link_inputs(con)), True


def findings_at(con: duckdb.DuckDBPyConnection, day: date | None = None,
                ) -> tuple[tuple[Finding, ...], date | None]:
    """(findings, the date they were evaluated at): the stored ones, or those at ``day`` (only the rules
    that depend on the date, ``quality.DATED_RULES``, are evaluated again, from the light inputs of the
    fiches: what a recompute at ``day`` would store, no document read in full); when the stored tables
    are stale, findings computed in memory.  Nothing is written.  The date is None for no stored finding.
    Findings by document in ``quality.finding_order``, as stored."""
    if not is_current(con):
        derived = derive(read_all(con), day)
        return derived.findings, derived.as_of
    if day is None:
        row = con.execute("SELECT max(as_of) FROM quality_findings").fetchone()
        return read_findings(con), row[0] if row else None
    fiches = [r[0] for r in con.execute("SELECT id FROM documents WHERE kind = ? ORDER BY id", [Kind.RNCP.value])
              .fetchall()]
    dated = [f for inp in read_link_inputs(con, fiches) if (f := quality.expiry_finding(inp, day))]
    found = sorted((*read_findings(con, exclude=quality.DATED_RULES), *dated), key=quality.finding_order)
    return tuple(found), day


def latest_documents(con: duckdb.DuckDBPyConnection) -> frozenset[str]:
    """The ids of the latest version of each référentiel and fiche (``v_latest``)."""
    return frozenset(str(r[0]) for r in con.execute("SELECT document_id FROM v_latest").fetchall())


def latest_links(links: Sequence[Link], latest: frozenset[str]) -> tuple[Link, ...]:
    """The links between latest versions: what ``refpipe links`` lists unless asked for the history (links
    are computed between every pair of versions, so that history can be asked for)."""
    return tuple(x for x in links if x.rncp_document_id in latest and x.cqpm_document_id in latest)


def latest_findings(findings: Sequence[Finding], latest: frozenset[str]) -> tuple[Finding, ...]:
    """The findings about latest versions (and, for a finding about a pair, whose other side is one too)."""
    return tuple(f for f in findings if f.document_id in latest
                 and (f.related_document_id is None or f.related_document_id in latest))


def unlinked_fiches(con: duckdb.DuckDBPyConnection, links: Sequence[Link],
                    among: frozenset[str] | None = None) -> list[tuple[str, str, str]]:
    """(RNCP code, source path, why) for every fiche without a link (only those in ``among`` if given)."""
    linked = {x.rncp_document_id for x in links}
    rows = con.execute(
        "SELECT f.document_id, f.code, s.path, f.history_cqpm_number FROM rncp_fiches f "
        "JOIN sources s ON s.sha256 = f.source_sha256 ORDER BY f.code, s.path").fetchall()
    out = []
    for doc_id, code, path, named in rows:
        if doc_id in linked or (among is not None and doc_id not in among):
            continue
        why = (f"history names CQPM {named}: no ingested référentiel prints that number or matches the capacities"
               if named else "history names no CQPM number and no référentiel matches the capacities")
        out.append((code, path, why))
    return out
