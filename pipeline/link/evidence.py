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

Where both sides have blocs de compétences (a newer-layout référentiel, a fiche's RNCPnnnnnBCnn blocs),
the link carries a ``block_map``: each fiche bloc paired with the référentiel bloc that prints its code,
else that shares its capacities (through the capacity map) or its title (``map_blocks``).

The combined ``score`` is the weighted mean of the evidence that could be measured (history 0.4,
capacities 0.4, title 0.2); ``method`` says which evidence decided.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache

from rapidfuzz import fuzz, utils

from pipeline.link.inputs import BlockTitle, CapacityTitle, LinkInput, link_input
from pipeline.normalize import lemma_cache
from pipeline.normalize.lemmas import lemma_key, tokens_many
from pipeline.normalize.matching import greedy_pairs
from pipeline.normalize.text import comparison_key
from pipeline.records import BlockLink, CapacityLink, CodedText, Document, InferredNumber, Kind, Link

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
def bare_title_key(title: str | None) -> str:
    """The comparison form of a certification title without the RNCP "CQP : …" / "(CQPM)" wrapping."""
    key = comparison_key(title)
    while (stripped := comparison_key(_CQPM_SUFFIX.sub("", _RNCP_WRAPPER.sub("", key)))) != key:
        key = stripped
    return key


def title_similarity(a: str | None, b: str | None) -> float | None:
    ka, kb = bare_title_key(a), bare_title_key(b)
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
    scored = ((_similarity(*left[i], *right[j]), i, j) for i in range(len(rncp)) for j in range(len(cqpm)))
    pairs = [CapacityLink(rncp[i].code, cqpm[j].number, sim, i, j)
             for sim, i, j in greedy_pairs(c for c in scored if c[0] >= PAIR_MIN)]
    pairs.sort(key=lambda p: p.rncp_ord)
    score = sum(p.score for p in pairs) / max(len(rncp), len(cqpm))
    return tuple(pairs), round(score, 4)


def _block_score(rncp: BlockTitle, cqpm: BlockTitle, numbers: dict[str, int], title: float) -> float:
    """A printed code decides; else the better of member overlap (fiche capacities through the capacity
    map against the bloc's compétences) and title similarity."""
    if cqpm.code and cqpm.code.replace(" ", "").upper() == (rncp.code or "").upper():
        return 1.0
    mapped = {str(numbers[c]) for c in rncp.capacities if c in numbers}
    members = set(cqpm.capacities)
    overlap = len(mapped & members) / len(mapped | members) if mapped | members else 0.0
    return round(max(overlap, title), 4)


def map_blocks(rncp: Sequence[BlockTitle], cqpm: Sequence[BlockTitle], capacity_map: Sequence[CapacityLink],
               ) -> tuple[BlockLink, ...]:
    """One-to-one bloc map, best pairs first (each ≥ PAIR_MIN), in the fiche's bloc order."""
    if not rncp or not cqpm:
        return ()
    numbers = {c.rncp_code: c.cqpm_number for c in capacity_map}
    lemmas = lemma_keys([b.title for b in rncp] + [b.title for b in cqpm])
    titles = {(i, j): _similarity(_key(a.title), lemmas[i], _key(b.title), lemmas[len(rncp) + j])
              for i, a in enumerate(rncp) for j, b in enumerate(cqpm)}
    scored = sorted(((_block_score(a, b, numbers, titles[i, j]), i, j) for i, a in enumerate(rncp)
                     for j, b in enumerate(cqpm)), key=lambda t: (-t[0], t[1], t[2]))
    used_r: set[int] = set()
    used_c: set[int] = set()
    pairs: list[BlockLink] = []
    for score, i, j in scored:
        if score < PAIR_MIN:
            break
        if i in used_r or j in used_c:
            continue
        used_r.add(i)
        used_c.add(j)
        pairs.append(BlockLink(rncp[i].code or "", cqpm[j].number, score, rncp[i].ord, cqpm[j].ord))
    return tuple(sorted(pairs, key=lambda p: p.rncp_ord))


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
        block_map=map_blocks(fiche.rncp_blocks, ref.cqpm_blocks, cmap),
    )


#: share of the smaller side's words (title and capacities, 4+ letters) two documents must have in common
#: to be assessed: a link needs capacities matching at ≥ CAPACITIES_MIN (each pair ≥ PAIR_MIN) or titles at
#: ≥ TITLE_ALONE_MIN, which share far more; an export's 30,000 fiches are thus not each lemmatised and
#: compared with every référentiel
BLOCK_MIN = 0.2
_WORD = re.compile(r"\w{4,}")
_STOP = frozenset({"pour", "dans", "avec", "sont", "leur", "leurs", "selon", "ainsi", "tout", "toute", "toutes",
                   "tous", "cette", "entre", "afin", "vers", "être", "avoir", "mettre", "partir", "niveau"})


@lru_cache(maxsize=1 << 17)
def _words(text: str) -> frozenset[str]:
    return frozenset(_WORD.findall(_key(text))) - _STOP


def _profile(d: LinkInput) -> frozenset[str]:
    out: set[str] = set(_words(d.title or ""))
    for text in d.capacity_texts:
        out |= _words(text)
    return frozenset(out)


def capacity_bound(fiche_capacities: int, ref_capacities: int) -> float | None:
    """An upper bound of the capacity-set score ``map_capacities`` can give two documents with these many
    capacities (None: no score, one side has none): at most min(n, m) pairs, each ≤ 1, over max(n, m),
    rounded as the score is (rounding keeps the order)."""
    if not fiche_capacities or not ref_capacities:
        return None
    return round(min(fiche_capacities, ref_capacities) / max(fiche_capacities, ref_capacities), 4)


def may_link(named_number: str | None, fiche_capacities: int, printed_number: str | None,
             ref_capacities: int) -> bool:
    """Whether ``assess`` can link a fiche and a référentiel, from their numbers and capacity counts alone
    (what the warehouse gives without reading any text): False only when it provably cannot (numbers that
    differ; a capacity-set score bound, ``capacity_bound``, below ``CAPACITIES_MIN`` when no history decides)."""
    named, printed = cqpm_number(named_number), cqpm_number(printed_number)
    if named and printed:
        return named == printed
    bound = capacity_bound(fiche_capacities, ref_capacities)
    return bound is None or bound >= CAPACITIES_MIN


def plausible(fiche: LinkInput, ref: LinkInput, profiles: dict[str, frozenset[str]] | None = None) -> bool:
    """Whether a pair may link at all: the fiche's history names the référentiel's number, or ``may_link``
    and their words overlap (``BLOCK_MIN``); a pair with nothing to compare is assessed."""
    named, printed = cqpm_number(fiche.named_number), cqpm_number(ref.printed_number)
    if named and printed:
        return named == printed
    if not may_link(fiche.named_number, len(fiche.rncp_capacities), ref.printed_number, len(ref.cqpm_capacities)):
        return False
    if not fiche.rncp_capacities or not ref.cqpm_capacities:  # only near-identical titles can decide
        title = title_similarity(fiche.title, ref.title)
        return title is not None and title >= TITLE_ALONE_MIN
    cache = profiles if profiles is not None else {}
    a = cache[fiche.id] if fiche.id in cache else cache.setdefault(fiche.id, _profile(fiche))
    b = cache[ref.id] if ref.id in cache else cache.setdefault(ref.id, _profile(ref))
    if not a or not b:
        return True
    return len(a & b) / min(len(a), len(b)) >= BLOCK_MIN


def candidate_pairs(documents: Iterable[Document | LinkInput],
                    new: Iterable[str] | None = None) -> list[tuple[LinkInput, LinkInput]]:
    """Every (fiche, référentiel) pair to assess, by id (``plausible`` ones only); with ``new``, only pairs
    with a document in it."""
    # documents with the same content (a text and its PDF) have one id: one of them, the first by path
    inputs = list({d.id: d for d in sorted((link_input(d) for d in documents), key=lambda d: (d.id, d.path),
                                           reverse=True)}.values())
    inputs.sort(key=lambda d: d.id)
    fiches = [d for d in inputs if d.kind is Kind.RNCP and d.linkable]
    refs = [d for d in inputs if d.kind is Kind.CQPM and d.linkable]
    fresh = None if new is None else set(new)
    profiles: dict[str, frozenset[str]] = {}
    return [(f, r) for f in fiches for r in refs
            if (fresh is None or f.id in fresh or r.id in fresh) and plausible(f, r, profiles)]


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
