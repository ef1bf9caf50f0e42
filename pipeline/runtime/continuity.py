"""Keep the ``continuity_one_sided`` findings up to date: a step of the links recompute.

Continuity is cross-document (an edge needs both fiches), so it is evaluated over every fiche's latest
version after the per-document findings are written; only the rows that changed are written.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime

import duckdb

from pipeline.link import continuity
from pipeline.link.continuity import ONE_SIDED
from pipeline.load.bulk import insert
from pipeline.query.continuity import read_fiches


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
