"""Bring quality_findings up to date (a step of ``links_incremental.update``; the caller owns the transaction).

Findings are numbered per document (``ord``: the position in ``quality.finding_order``), so a document
whose findings change is rewritten whole.  They change for: a new document (its content findings,
computed from the full document by the caller); a fiche a link was added to or removed from (the link
findings of that pair); a fiche whose registration expiry changed at the run date (the message names the
date, so a new date rewrites every expired fiche).  Everything else of a rewritten document is read back
from the table: content findings depend on the document alone, link findings on the pair alone.
``as_of`` is then stamped on every row, as a recompute from scratch would.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterator, Sequence
from datetime import date, datetime

import duckdb

from pipeline.link import findings as quality
from pipeline.link.inputs import LinkInput
from pipeline.load.bulk import PROV, ids_in, insert, prov
from pipeline.query.read import read_findings, read_links
from pipeline.records import Finding

COLUMNS = ("document_id", "source_sha256", *PROV, "rule", "severity", "subject", "message", "related_document_id",
           "as_of", "computed_at")
_CHUNK = 500  # documents rewritten per round
_LINKS = 5_000  # new links read per round (a recompute from scratch reads every link)


def write_findings(con: duckdb.DuckDBPyConnection, inputs: dict[str, LinkInput],
                   content: dict[str, list[Finding]], added: Collection[tuple[str, str]],
                   removed: Collection[tuple[str, str]], day: date, now: datetime, *, redate: bool = True) -> None:
    """Rewrite the findings of the new documents (``content``: their content findings), of the fiches of
    the (fiche, référentiel) pairs that entered (``added``) or left (``removed``) links, and of the fiches
    whose expiry at ``day`` differs from the stored one (``redate``: the stored rows were evaluated at
    another date, and ``inputs`` holds every document; else only the rewritten ones need be in it, since
    a document's expiry at the same date changes only with the document); stamp ``as_of`` on every row.

    A rewritten document keeps its stored findings but the dated ones and the link findings of its
    changed pairs; those are evaluated again (link findings from the stored links, up to date by now)."""
    changed_pairs: dict[str, set[str]] = defaultdict(set)
    for fiche, ref in [*added, *removed]:
        changed_pairs[fiche].add(ref)
    new_links: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for fiche, ref in sorted(added):
        new_links[fiche].append((fiche, ref))
    changed: set[str] = set()
    if redate:  # the stored findings are of another date: every fiche's expiry is evaluated again
        stored = dict(con.execute("SELECT document_id, message FROM quality_findings "
                                  "WHERE rule = 'registration_expired'").fetchall())
        expiry = {i: f for i, inp in inputs.items() if (f := quality.expiry_finding(inp, day))}
        changed = {i for i in stored.keys() | expiry.keys()
                   if stored.get(i) != (expiry[i].message if i in expiry else None)}
    docs = sorted((set(content) | set(changed_pairs) | changed) & inputs.keys())
    expiry = {i: f for i in docs if (f := quality.expiry_finding(inputs[i], day))}
    for chunk in _chunks(docs, new_links):
        kept = _stored_findings(con, [i for i in chunk if i not in content])
        by_doc: dict[str, list[Finding]] = defaultdict(list)
        pairs = [pair for i in chunk for pair in new_links.get(i, ())]
        for f in quality.link_findings(read_links(con, pairs=pairs) if pairs else (), inputs):
            by_doc[f.document_id].append(f)
        rows = []
        for doc_id in chunk:
            old = [f for f in kept.get(doc_id, ()) if f.rule not in quality.LINK_RULES
                   or f.related_document_id not in changed_pairs.get(doc_id, ())]
            found = [*content.get(doc_id, old), *([expiry[doc_id]] if doc_id in expiry else []),
                     *by_doc.get(doc_id, [])]
            found.sort(key=quality.finding_order)  # stable: ties keep the order the rules gave them
            rows += [(f.document_id, f.source_sha256, *prov(k, f.prov), f.rule, f.severity, f.subject, f.message,
                      f.related_document_id, day, now) for k, f in enumerate(found)]
        con.execute(f"DELETE FROM quality_findings WHERE {ids_in('document_id')}", [chunk])
        insert(con, "quality_findings", COLUMNS, rows)
    con.execute("UPDATE quality_findings SET as_of = ? WHERE as_of <> ?", [day, day])


def _chunks(docs: Sequence[str], new_links: dict[str, list[tuple[str, str]]]) -> Iterator[list[str]]:
    """``docs`` in rounds of at most ``_CHUNK`` documents and ``_LINKS`` new links (read per round)."""
    chunk: list[str] = []
    links = 0
    for doc_id in docs:
        n = len(new_links.get(doc_id, ()))
        if chunk and (len(chunk) >= _CHUNK or links + n > _LINKS):
            yield chunk
            chunk, links = [], 0
        chunk.append(doc_id)
        links += n
    if chunk:
        yield chunk


def _stored_findings(con: duckdb.DuckDBPyConnection, ids: Sequence[str]) -> dict[str, list[Finding]]:
    """The stored findings of ``ids`` but the dated ones, in their stored order."""
    out: dict[str, list[Finding]] = defaultdict(list)
    for f in read_findings(con, ids, exclude=quality.DATED_RULES) if ids else ():
        out[f.document_id].append(f)
    return out
