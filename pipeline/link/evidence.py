"""Link RNCP fiches to CQPM référentiels from the documents themselves; map their capacities.

Pure functions over ``Document`` records or their light ``LinkInput`` (identity, numbers, titles and
capacities: what linking reads, a few hundred bytes where a ``Document`` holds every criterion, so a
warehouse recompute can hold one per document); nothing here touches the warehouse.

Evidence, for one (fiche, référentiel) pair:

* **history** — the CQPM number the fiche's "Historique" names ("CQPM 0195") against the number the
  référentiel prints.  Equal: the pair is linked (method ``history``).  Different: never linked,
  whatever the other evidence says (two CQPMs may share capacities; a number is an identity).
* **capacities** — the fiche's capacities (C1…Cn, in the fiche's order) matched one-to-one to the
  référentiel's table capacities by text similarity (comparison keys and spaCy lemmas, so œ/oe,
  apostrophes, trailing periods and "mise en œuvre"/"mise œuvre" drift do not matter).  The set
  score is the sum of the matched similarities over the larger of the two counts.
* **title** — similarity of the titles once the RNCP "CQP : Certificat de qualification
  professionnelle … (CQPM)" wrapping is removed.  Titles share words across unrelated CQPMs
  ("Coordonnateur du développement …"), so a title never decides alone when capacities can be compared.

A référentiel that does not print its number is linked when the fiche's history names a number and the
capacities agree (score ≥ ``CAPACITIES_MIN``): the capacities decided (method ``capacities``) and the
number is *inferred* from the fiche (``number_source = "inferred"``); the document's own ``number``
is left as printed (None).  Without capacities on one side, near-identical titles (≥ ``TITLE_ALONE_MIN``)
may decide (method ``title``).  Anything weaker is no link.

The combined ``score`` is the weighted mean of the evidence that could be measured (history 0.4,
capacities 0.4, title 0.2); ``method`` says which evidence decided.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

from rapidfuzz import fuzz, utils

from pipeline.link.inputs import CapacityTitle, LinkInput, link_input
from pipeline.normalize import lemma_cache
from pipeline.normalize.lemmas import lemma_key, tokens_many
from pipeline.normalize.text import comparison_key
from pipeline.records import CapacityLink, CodedText, Document, InferredNumber, Kind, Link

PAIR_MIN = 0.70  # two capacities below this similarity are never mapped to each other
CAPACITIES_MIN = 0.75  # capacity-set score from which the capacities agree
TITLE_ALONE_MIN = 0.90  # title similarity that may decide when capacities cannot be compared
WEIGHTS = {"history": 0.4, "capacities": 0.4, "title": 0.2}

_RNCP_WRAPPER = re.compile(
    r"^(?:cqpm?\s*:\s*)?(?:certificat de qualification (?:paritaire )?professionnelle"
    r"(?: de la m[ée]tallurgie)?\s*)?")
_CQPM_SUFFIX = re.compile(r"\s*\(cqpm\)$")
_DIGITS = re.compile(r"\d+")


def cqpm_number(value: str | None) -> str | None:
    """"195", "0195", "CQPM 0195" -> "0195"; None when no digits."""
    m = _DIGITS.search(value or "")
    return m.group().zfill(4) if m else None


@lru_cache(maxsize=1 << 14)
def title_key(title: str | None) -> str:
    """The comparison form of a certification title without the RNCP "CQP : …" / "(CQPM)" wrapping."""
    key = comparison_key(title)
    while (stripped := comparison_key(_CQPM_SUFFIX.sub("", _RNCP_WRAPPER.sub("", key)))) != key:
        key = stripped
    return key


def title_similarity(a: str | None, b: str | None) -> float | None:
    ka, kb = title_key(a), title_key(b)
    if not ka or not kb:
        return None
    return fuzz.token_sort_ratio(ka, kb, processor=utils.default_process) / 100


# text -> its content lemmas joined (``lemmas.lemma_key``): filled from spaCy in batches, or from what the
# warehouse stored for documents already linked (``remember_lemma_keys``), so that pairing a new document
# with old ones needs no spaCy pass over the old ones
_LEMMA_KEYS: dict[str, str] = {}
_LEMMA_KEYS_MAX = 200_000  # texts (~200 bytes each); a recompute primes one per capacity of the warehouse


def lemma_keys(texts: Sequence[str]) -> list[str]:
    """``lemma_key`` of each text; the unknown ones come from the disk cache (``lemma_cache``), else from one
    spaCy batch (the model is loaded only then), and are added to the disk cache."""
    todo = [t for t in dict.fromkeys(texts) if t not in _LEMMA_KEYS]
    if todo:
        if len(_LEMMA_KEYS) + len(todo) > _LEMMA_KEYS_MAX:
            _LEMMA_KEYS.clear()
            todo = list(dict.fromkeys(texts))
        stored = lemma_cache.load()
        digests = {t: lemma_cache.digest(t) for t in todo}
        _LEMMA_KEYS.update((t, stored[d]) for t, d in digests.items() if d in stored)
        todo = [t for t in todo if t not in _LEMMA_KEYS]
        for start in range(0, len(todo), 1000):  # spaCy batches, each read back before lemmas' cache moves on
            batch = todo[start:start + 1000]
            tokens_many(batch)
            _LEMMA_KEYS.update((t, lemma_key(t)) for t in batch)
        lemma_cache.add({digests[t]: _LEMMA_KEYS[t] for t in todo})
    return [_LEMMA_KEYS[t] for t in texts]


def remember_lemma_keys(pairs: Iterable[tuple[str, str]]) -> None:
    """Give (text, lemma key) pairs computed earlier (by ``lemma_keys``, e.g. stored by a recompute)."""
    if len(_LEMMA_KEYS) > _LEMMA_KEYS_MAX:
        _LEMMA_KEYS.clear()
    _LEMMA_KEYS.update(pairs)


_key = lru_cache(maxsize=1 << 16)(comparison_key)


def _similarity(ka: str, la: str, kb: str, lb: str) -> float:
    """``text_similarity`` from the comparison keys (k) and lemma keys (l) of the two texts."""
    if ka == kb:
        return 1.0 if ka else 0.0
    chars = fuzz.ratio(ka, kb) / 100
    words = fuzz.token_sort_ratio(la, lb) / 100
    return round(max(chars, words), 4)


def text_similarity(a: str, b: str) -> float:
    """0..1: the better of character similarity of the comparison keys and of the content lemmas."""
    la, lb = lemma_keys([a, b])
    return _similarity(_key(a), la, _key(b), lb)


def map_capacities(rncp: Sequence[CodedText], cqpm: Sequence[CapacityTitle],
                   ) -> tuple[tuple[CapacityLink, ...], float | None]:
    """One-to-one capacity map (best pairs first, each ≥ PAIR_MIN) and the capacity-set score."""
    if not rncp or not cqpm:
        return (), None
    lemmas = lemma_keys([c.text for c in rncp] + [c.title for c in cqpm])  # one spaCy batch for the lemmas
    left = [(_key(r.text), lemmas[i]) for i, r in enumerate(rncp)]
    right = [(_key(c.title), lemmas[len(rncp) + j]) for j, c in enumerate(cqpm)]
    scored = sorted(((_similarity(*left[i], *right[j]), i, j) for i in range(len(rncp))
                     for j in range(len(cqpm))), key=lambda t: (-t[0], t[1], t[2]))
    used_r: set[int] = set()
    used_c: set[int] = set()
    pairs: list[CapacityLink] = []
    for sim, i, j in scored:
        if sim < PAIR_MIN:
            break
        if i in used_r or j in used_c:
            continue
        used_r.add(i)
        used_c.add(j)
        pairs.append(CapacityLink(rncp[i].code, cqpm[j].number, sim, i, j))
    pairs.sort(key=lambda p: p.rncp_ord)
    score = sum(p.score for p in pairs) / max(len(rncp), len(cqpm))
    return tuple(pairs), round(score, 4)


def _combined(parts: dict[str, float | None]) -> float:
    known = {k: v for k, v in parts.items() if v is not None}
    if not known:
        return 0.0
    return round(sum(WEIGHTS[k] * v for k, v in known.items()) / sum(WEIGHTS[k] for k in known), 4)


def assess(rncp_doc: Document | LinkInput, cqpm_doc: Document | LinkInput) -> Link | None:
    """The link between a fiche and a référentiel, or None when the evidence is weak or conflicting."""
    fiche, ref = link_input(rncp_doc), link_input(cqpm_doc)
    if not (fiche.linkable and fiche.kind is Kind.RNCP and ref.linkable and ref.kind is Kind.CQPM):
        return None
    named, printed = cqpm_number(fiche.named_number), cqpm_number(ref.printed_number)
    if named and printed and named != printed:
        return None
    cmap, caps = map_capacities(fiche.rncp_capacities, ref.cqpm_capacities)
    title = title_similarity(fiche.title, ref.title)
    history = 1.0 if named and printed else None
    number: str | None
    source: str | None
    counts = f"{len(cmap)}/{max(len(fiche.rncp_capacities), len(ref.cqpm_capacities))} capacities matched"
    facts = [f"capacities {caps:.2f} ({counts})" if caps is not None else "no capacities to compare",
             f"title {title:.2f}" if title is not None else "no title to compare"]
    if history is not None:
        method, number, source = "history", printed, "printed"
        facts.insert(0, f"history of {fiche.code} names CQPM {named}, the number the référentiel prints")
    elif (caps is not None and caps >= CAPACITIES_MIN) or (
            caps is None and title is not None and title >= TITLE_ALONE_MIN):
        method, number = ("capacities" if caps is not None else "title"), printed or named
        source = "printed" if printed else "inferred" if named else None
        facts.insert(0, f"référentiel prints no number; history of {fiche.code} names CQPM {named}" if named
                     else f"history of {fiche.code} names no CQPM number")
    else:
        return None
    return Link(
        rncp_document_id=fiche.id, cqpm_document_id=ref.id, rncp_code=fiche.code,
        cqpm_number=number, number_source=source, method=method,
        score=_combined({"history": history, "capacities": caps, "title": title}),
        history_score=history, title_score=title, capacity_score=caps,
        reason=f"{method}: " + "; ".join(facts), capacity_map=cmap,
        rncp_source=fiche.path, cqpm_source=ref.path,
    )


def candidate_pairs(documents: Iterable[Document | LinkInput],
                    new: Iterable[str] | None = None) -> list[tuple[LinkInput, LinkInput]]:
    """The (fiche, référentiel) pairs ``assess`` may link, by id; with ``new``, only pairs with a document in it.

    No all-pairs scan: pairs are blocked by number, then by capacities, and a pair is left out only when
    ``assess`` provably returns None for it, so the links are those of assessing every pair:

    * a fiche naming a CQPM number and a référentiel printing one: only the pair with the same number;
    * otherwise, both with capacities: the capacity score must be able to reach ``CAPACITIES_MIN``; its
      upper bound (each capacity matched to its best counterpart, one-to-one ignored) comes from the
      similarity of every capacity to every other computed in bulk (``_capacity_bounds``);
    * a side without capacities (the title may decide): always assessed.
    """
    inputs = sorted((link_input(d) for d in documents), key=lambda d: d.id)
    fiches = [d for d in inputs if d.kind is Kind.RNCP and d.linkable]
    refs = [d for d in inputs if d.kind is Kind.CQPM and d.linkable]
    fresh = None if new is None else set(new)
    by_number: dict[str, list[LinkInput]] = {}
    for r in refs:
        if printed := cqpm_number(r.printed_number):
            by_number.setdefault(printed, []).append(r)
    unnumbered = [r for r in refs if not cqpm_number(r.printed_number)]
    keep: list[tuple[LinkInput, LinkInput]] = []
    check: list[tuple[LinkInput, LinkInput]] = []  # pairs the capacities must decide
    for f in fiches:
        named = cqpm_number(f.named_number)
        for r in (by_number.get(named, []) + unnumbered) if named else refs:
            if fresh is not None and f.id not in fresh and r.id not in fresh:
                continue
            if named and cqpm_number(r.printed_number) or not f.rncp_capacities or not r.cqpm_capacities:
                keep.append((f, r))
            else:
                check.append((f, r))
    if check:
        bounds = _capacity_bounds(check)
        keep += [pair for pair, bound in zip(check, bounds, strict=True) if bound >= CAPACITIES_MIN - 1e-9]
    order = {d.id: i for i, d in enumerate(inputs)}
    keep.sort(key=lambda p: (order[p[0].id], order[p[1].id]))
    return keep


def _capacity_bounds(pairs: Sequence[tuple[LinkInput, LinkInput]]) -> list[float]:
    """Per pair, an upper bound of ``map_capacities``' score: the similarities of every capacity of the fiches
    to every capacity of the référentiels in a few bulk ``rapidfuzz`` calls; a capacity counts its best
    counterpart at ``PAIR_MIN`` or more (a one-to-one map cannot do better), on the side that bounds lower."""
    import numpy as np
    from rapidfuzz import process

    fiches = list({f.id: f for f, _ in pairs}.values())
    refs = list({r.id: r for _, r in pairs}.values())
    f_texts = [c.text for f in fiches for c in f.rncp_capacities]
    r_texts = [c.title for r in refs for c in r.cqpm_capacities]
    f_lemmas, r_lemmas = lemma_keys(f_texts), lemma_keys(r_texts)
    f_start = np.cumsum([0] + [len(f.rncp_capacities) for f in fiches])
    r_start = np.cumsum([0] + [len(r.cqpm_capacities) for r in refs])
    f_at = {f.id: i for i, f in enumerate(fiches)}
    r_at = {r.id: j for j, r in enumerate(refs)}
    cutoff = PAIR_MIN * 100 - 1e-6
    partial: dict[int, Any] = {}  # a fiche cut by a chunk: the running best per référentiel capacity
    row_sum = np.zeros((len(fiches), len(refs)))  # per pair: sum over the fiche's capacities of their best
    col_sum = np.zeros((len(fiches), len(refs)))  # ... and over the référentiel's capacities
    step = 512  # fiche capacities per bulk call (a few MB of scores)
    for a in range(0, len(f_texts), step):
        b = min(len(f_texts), a + step)
        chars = process.cdist([_key(t) for t in f_texts[a:b]], [_key(t) for t in r_texts], scorer=fuzz.ratio,
                              score_cutoff=cutoff, dtype=np.float32)
        words = process.cdist(f_lemmas[a:b], r_lemmas, scorer=fuzz.token_sort_ratio, score_cutoff=cutoff,
                              dtype=np.float32)
        sim = np.maximum(chars, words).astype(np.float64) / 100  # ≥ _similarity (exact up to rounding)
        sim[sim < PAIR_MIN - 1e-6] = 0.0
        best_over_refs = np.maximum.reduceat(sim, r_start[:-1], axis=1) if len(r_texts) else sim
        for i in range(len(fiches)):  # the fiches whose capacities fall in rows a..b
            lo, hi = max(int(f_start[i]), a), min(int(f_start[i + 1]), b)
            if lo >= hi:
                continue
            row_sum[i] += best_over_refs[lo - a:hi - a].sum(axis=0)
            best_over_fiche = sim[lo - a:hi - a].max(axis=0)  # per référentiel capacity, over this fiche's
            if lo == int(f_start[i]) and hi == int(f_start[i + 1]):
                col_sum[i] += np.add.reduceat(best_over_fiche, r_start[:-1])
            else:
                running = partial.setdefault(i, np.zeros(len(r_texts)))
                np.maximum(running, best_over_fiche, out=running)
                if hi == int(f_start[i + 1]):
                    col_sum[i] += np.add.reduceat(partial.pop(i), r_start[:-1])
    out: list[float] = []
    for f, r in pairs:
        i, j = f_at[f.id], r_at[r.id]
        bound = min(row_sum[i, j], col_sum[i, j]) / max(len(f.rncp_capacities), len(r.cqpm_capacities))
        out.append(float(bound) + 1e-4)  # scores are rounded to 4 places
    return out


def link_order(link: Link) -> tuple[str, str, str, str]:
    """The order links are listed and numbered in: RNCP code, CQPM number, then the two document ids."""
    return link.rncp_code, link.cqpm_number or "", link.rncp_document_id, link.cqpm_document_id


def inferred_choice(candidates: Iterable[tuple[str, str, float, str | None]]) -> dict[str, str | None]:
    """référentiel id -> the number its best inferred link names, from (référentiel id, fiche id, score,
    number) of every link whose number is inferred: the higher score wins, then the higher fiche id."""
    best: dict[str, tuple[float, str, str | None]] = {}
    for cqpm_id, rncp_id, score, number in candidates:
        held = best.get(cqpm_id)
        if held is None or (score, rncp_id) > held[:2]:
            best[cqpm_id] = (score, rncp_id, number)
    return {cqpm_id: held[2] for cqpm_id, held in best.items()}


def select_links(candidates: Iterable[Link]) -> tuple[Link, ...]:
    """The links kept among what ``assess`` found, sorted (``link_order``).

    An unnumbered référentiel whose capacities match fiches naming *different* numbers keeps only the
    links carrying the number of its best-scoring link (an inferred identity must be unambiguous)."""
    links = list(candidates)
    best = inferred_choice((x.cqpm_document_id, x.rncp_document_id, x.score, x.cqpm_number)
                           for x in links if x.number_source == "inferred")
    kept = [x for x in links if x.number_source != "inferred" or x.cqpm_number == best[x.cqpm_document_id]]
    return tuple(sorted(kept, key=link_order))


def link_documents(documents: Iterable[Document | LinkInput]) -> tuple[Link, ...]:
    """Every link among ``documents`` (any order in, the same links out, sorted); see ``select_links``."""
    return select_links(link for f, r in candidate_pairs(documents) if (link := assess(f, r)) is not None)


def inferred_numbers(links: Sequence[Link]) -> tuple[InferredNumber, ...]:
    """The numbers inferred for référentiels that do not print theirs, with the fiche that gave each."""
    return tuple(
        InferredNumber(document_id=link.cqpm_document_id, number=link.cqpm_number,
                       evidence_document_id=link.rncp_document_id, rncp_code=link.rncp_code,
                       score=link.score, reason=link.reason)
        for link in links if link.number_source == "inferred" and link.cqpm_number
    )
