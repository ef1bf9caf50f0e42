"""Continuity between fiches in the warehouse, read side: what each fiche declares, and an expired
fiche resolved to its current successor (``refpipe show RNCP24895 --current``).

The graph itself is computed by ``pipeline.link.continuity`` from the latest version of every fiche
(``v_latest``) and what it declares (``rncp_continuity``); the view ``v_rncp_continuity`` shows the
same edges to SQL users; ``pipeline.runtime.continuity`` keeps the one-sided ones as findings.
"""

from __future__ import annotations

from collections.abc import Collection

import duckdb

from pipeline.link import continuity
from pipeline.link.continuity import FicheContinuity
from pipeline.records import Provenance

_FICHES = """
    SELECT f.code, f.document_id, d.source_sha256, s.path, f.active,
           list(c.code ORDER BY c.ord) FILTER (WHERE c.direction = 'replaces'),
           list(c.code ORDER BY c.ord) FILTER (WHERE c.direction = 'replaced_by'),
           min(c.reading_order), min(c.page)
    FROM {latest} l
    JOIN rncp_fiches f ON f.document_id = l.document_id
    JOIN documents d ON d.id = f.document_id
    JOIN sources s ON s.sha256 = d.source_sha256
    LEFT JOIN rncp_continuity c ON c.document_id = f.document_id
    GROUP BY ALL ORDER BY f.code"""
# the latest version of the fiches named, and of the fiches that declare replacing one of them (v_latest's
# rule: the highest version of the key) without computing v_latest over the whole warehouse
_AROUND = """(
    SELECT d.id AS document_id FROM documents d
    WHERE d.key IS NOT NULL
      AND d.id IN (SELECT document_id FROM rncp_fiches WHERE code IN (SELECT unnest(?::VARCHAR[]))
                   UNION SELECT document_id FROM rncp_continuity
                   WHERE direction = 'replaces' AND code IN (SELECT unnest(?::VARCHAR[])))
      AND TRY_CAST(d.version AS INTEGER) = (SELECT max(TRY_CAST(v.version AS INTEGER)) FROM documents v
                                            WHERE v.key = d.key))"""


def read_fiches(con: duckdb.DuckDBPyConnection, around: Collection[str] | None = None) -> dict[str, FicheContinuity]:
    """Fiches at their latest version, with the continuity they declare (``code`` -> fiche): every fiche,
    or (``around``) the fiches of those codes and the fiches that declare they replace one of them."""
    if around is None:
        rows = con.execute(_FICHES.format(latest="v_latest")).fetchall()
    else:
        codes = sorted(around)
        rows = con.execute(_FICHES.format(latest=_AROUND), [codes, codes]).fetchall()
    out: dict[str, FicheContinuity] = {}
    for code, doc_id, sha, path, active, replaces, replaced_by, order, page in rows:
        prov = Provenance(page=page, order=order) if order is not None else None
        out[code] = FicheContinuity(code=code, document_id=doc_id, source_sha256=sha, source_path=path,
                                    active=active, replaces=tuple(replaces or ()),
                                    replaced_by=tuple(replaced_by or ()), prov=prov)
    return out


def _neighbourhood(con: duckdb.DuckDBPyConnection, code: str) -> dict[str, FicheContinuity]:
    """The fiches of ``code``'s successor chains, read a step at a time (not the whole warehouse)."""
    known: dict[str, FicheContinuity] = {}
    asked: set[str] = set()
    frontier = {code}
    while frontier:
        asked |= frontier
        known.update(read_fiches(con, frontier))
        edges = continuity.continuity_edges(known.values())
        frontier = {e.new for e in edges if e.old in asked} - asked
    return known


class NoCurrentFiche(LookupError):
    """The fiche's successor chain ends in fiches the warehouse does not hold, or in several."""


def current_fiche(con: duckdb.DuckDBPyConnection, code: str) -> tuple[str, tuple[str, ...]]:
    """(document id of the fiche in force for ``code``, the chain code -> … -> current).

    Raises ``NoCurrentFiche`` when the chain leads to a fiche not in the warehouse or splits into
    several fiches in force (the message names them)."""
    code = code.upper()
    fiches = _neighbourhood(con, code)
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
