"""The rows the derived tables must hold, computed in memory from every document at once.

This is the row builder of the recompute from scratch that ``links_store.recompute`` replaced with an
incremental one (links_incremental), kept as the specification the incremental recompute is tested
against: the same documents must give these rows, whatever the batches and the order.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import duckdb

from pipeline.link.evidence import inferred_numbers
from pipeline.normalize.text import comparison_key
from pipeline.records import Provenance
from pipeline.runtime import links as links_store

_PROV = ("ord", "reading_order", "page", "x0", "top", "x1", "bottom")
COLUMNS = {
    "links": ("document_id", "source_sha256", *_PROV, "cqpm_document_id", "rncp_code", "cqpm_number",
              "number_source", "method", "score", "history_score", "title_score", "capacity_score", "reason"),
    "capacity_links": ("document_id", "source_sha256", *_PROV, "cqpm_document_id", "rncp_capacity",
                       "cqpm_capacity_number", "cqpm_ord", "score"),
    "inferred_numbers": ("document_id", "source_sha256", *_PROV, "number", "evidence_document_id",
                         "evidence_field", "rncp_code", "score", "reason"),
    "quality_findings": ("document_id", "source_sha256", *_PROV, "rule", "severity", "subject", "message",
                         "related_document_id", "as_of"),
    "criterion_keys": ("document_id", "source_sha256", "capacity_ord", "capacity_number", *_PROV, "key"),
}


def _prov(ord_: int, p: Provenance | None) -> tuple[Any, ...]:
    b = p.bbox if p else None
    return (ord_, p.order if p else None, p.page if p else None,
            *((b.x0, b.top, b.x1, b.bottom) if b else (None,) * 4))


def _rows(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Sorted, numbers as floats (a DOUBLE column gives 1.0 where the records may hold 1)."""
    def norm(v: Any) -> Any:
        return float(v) if isinstance(v, int) and not isinstance(v, bool) else v
    return sorted((tuple(norm(v) for v in row) for row in rows), key=repr)


def expected(con: duckdb.DuckDBPyConnection, as_of: date) -> dict[str, list[tuple[Any, ...]]]:
    """Every derived table's rows (no computed_at) for the documents in ``con``, sorted like ``stored``."""
    derived = links_store.derive(links_store.read_all(con), as_of)
    docs = {d.id: d for d in derived.documents}
    sha = {i: d.source.sha256 for i, d in docs.items()}
    per_doc: dict[str, int] = {}

    def nth(doc_id: str) -> int:  # ord: position among the rows of the same document
        per_doc[doc_id] = per_doc.get(doc_id, -1) + 1
        return per_doc[doc_id]

    links = [(x.rncp_document_id, sha[x.rncp_document_id], *_prov(nth(x.rncp_document_id), None),
              x.cqpm_document_id, x.rncp_code, x.cqpm_number, x.number_source, x.method, x.score, x.history_score,
              x.title_score, x.capacity_score, x.reason) for x in derived.links]
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
                 f.message, f.related_document_id, derived.as_of) for f in derived.findings]
    criteria = [
        (d.id, d.source.sha256, k, cap.number, *_prov(i, crit.prov), comparison_key(crit.text))
        for d in derived.documents if d.cqpm is not None
        for k, cap in enumerate(d.cqpm.capacities) for i, crit in enumerate(cap.criteria)
    ]
    rows = {"links": links, "capacity_links": capacity_links, "inferred_numbers": inferred,
            "quality_findings": findings, "criterion_keys": criteria}
    return {table: _rows(table_rows) for table, table_rows in rows.items()}


def stored(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[Any, ...]]]:
    """Every derived table's stored rows (no computed_at), sorted."""
    return {table: _rows(con.execute(f"SELECT {', '.join(columns)} FROM {table}").fetchall())
            for table, columns in COLUMNS.items()}
