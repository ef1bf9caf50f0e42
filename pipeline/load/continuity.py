"""Continuity between fiches in the warehouse: declarations read back, one-sided ones kept as findings,
an expired fiche resolved to its current successor (``refpipe show RNCP24895 --current``).

The graph itself is computed by ``pipeline.normalize.continuity`` from the latest version of every
fiche (``v_latest``) and what it declares (``rncp_continuity``); the view ``v_rncp_continuity`` shows
the same edges to SQL users.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime

import duckdb

from pipeline.load.bulk import insert
from pipeline.normalize import continuity
from pipeline.normalize.continuity import ONE_SIDED, FicheContinuity
from pipeline.records import Provenance


def read_fiches(con: duckdb.DuckDBPyConnection) -> dict[str, FicheContinuity]:
    """Every fiche at its latest version, with the continuity it declares (``code`` -> fiche)."""
    rows = con.execute("""
        SELECT f.code, f.document_id, d.source_sha256, s.path, f.active,
               list(c.code ORDER BY c.ord) FILTER (WHERE c.direction = 'replaces'),
               list(c.code ORDER BY c.ord) FILTER (WHERE c.direction = 'replaced_by'),
               min(c.reading_order), min(c.page)
        FROM v_latest l
        JOIN rncp_fiches f ON f.document_id = l.document_id
        JOIN documents d ON d.id = f.document_id
        JOIN sources s ON s.sha256 = d.source_sha256
        LEFT JOIN rncp_continuity c ON c.document_id = f.document_id
        GROUP BY ALL ORDER BY f.code""").fetchall()
    out: dict[str, FicheContinuity] = {}
    for code, doc_id, sha, path, active, replaces, replaced_by, order, page in rows:
        prov = Provenance(page=page, order=order) if order is not None else None
        out[code] = FicheContinuity(code=code, document_id=doc_id, source_sha256=sha, source_path=path,
                                    active=active, replaces=tuple(replaces or ()),
                                    replaced_by=tuple(replaced_by or ()), prov=prov)
    return out


def write_findings(con: duckdb.DuckDBPyConnection, day: date, now: datetime) -> int:
    """Bring the ``continuity_one_sided`` findings up to date (only the ones that changed are written);
    the number of such findings.  A step of the links recompute; the caller owns the transaction."""
    fiches = read_fiches(con)
    found = continuity.one_sided_findings(continuity.continuity_edges(fiches.values()), fiches)
    want = {(f.document_id, f.subject, f.message, f.related_document_id): f for f in found}
    stored = {tuple(r) for r in con.execute(
        "SELECT document_id, subject, message, related_document_id FROM quality_findings WHERE rule = ?",
        [ONE_SIDED]).fetchall()}
    for doc_id, subject, message, related in stored - want.keys():
        con.execute("DELETE FROM quality_findings WHERE rule = ? AND document_id = ? AND subject = ? "
                    "AND message = ? AND related_document_id IS NOT DISTINCT FROM ?",
                    [ONE_SIDED, doc_id, subject, message, related])
    new = [f for key, f in sorted(want.items(), key=lambda kv: kv[0][:2]) if key not in stored]
    if new:
        next_ord = defaultdict(int, con.execute(
            "SELECT document_id, max(ord) + 1 FROM quality_findings GROUP BY document_id").fetchall())
        rows = []
        for f in new:
            k = next_ord[f.document_id]
            next_ord[f.document_id] += 1
            p = f.prov
            rows.append((f.document_id, f.source_sha256, k, p.order if p else None, p.page if p else None,
                         None, None, None, None, f.rule, f.severity, f.subject, f.message,
                         f.related_document_id, day, now))
        insert(con, "quality_findings", ("document_id", "source_sha256", "ord", "reading_order", "page", "x0",
                                         "top", "x1", "bottom", "rule", "severity", "subject", "message",
                                         "related_document_id", "as_of", "computed_at"), rows)
    return len(want)


class NoCurrentFiche(LookupError):
    """The fiche's successor chain ends in fiches the warehouse does not hold, or in several."""


def current_fiche(con: duckdb.DuckDBPyConnection, code: str) -> tuple[str, tuple[str, ...]]:
    """(document id of the fiche in force for ``code``, the chain code -> … -> current).

    Raises ``NoCurrentFiche`` when the chain leads to a fiche not in the warehouse or splits into
    several fiches in force (the message names them)."""
    fiches = read_fiches(con)
    code = code.upper()
    if code not in fiches:
        raise NoCurrentFiche(f"{code} is not in the warehouse")
    edges = continuity.continuity_edges(fiches.values())
    ends = continuity.current_of(code, edges, {c: f.active for c, f in fiches.items()})
    if len(ends) > 1:
        raise NoCurrentFiche(f"{code} has several current successors: {', '.join(ends)} (show each)")
    end = ends[0]
    path = continuity.chain(code, end, edges)
    if end not in fiches:
        raise NoCurrentFiche(f"{code} leads to {' -> '.join(path)}, but {end} is not in the warehouse "
                             "(ingest its fiche)")
    return fiches[end].document_id, path
