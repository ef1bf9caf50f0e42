"""Link RNCP fiches to CQPM référentiels from the documents themselves; map their capacities.

Pure functions over ``Document`` records; nothing here touches the warehouse.

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
from dataclasses import dataclass

from rapidfuzz import fuzz, utils

from pipeline.normalize.lemmas import lemma_key, tokens_many
from pipeline.normalize.text import comparison_key
from pipeline.records import CqpmDocument, Document, Kind, RncpFiche

PAIR_MIN = 0.70  # two capacities below this similarity are never mapped to each other
CAPACITIES_MIN = 0.75  # capacity-set score from which the capacities agree
TITLE_ALONE_MIN = 0.90  # title similarity that may decide when capacities cannot be compared
WEIGHTS = {"history": 0.4, "capacities": 0.4, "title": 0.2}

_RNCP_WRAPPER = re.compile(
    r"^(?:cqpm?\s*:\s*)?(?:certificat de qualification (?:paritaire )?professionnelle"
    r"(?: de la m[ée]tallurgie)?\s*)?")
_CQPM_SUFFIX = re.compile(r"\s*\(cqpm\)$")
_DIGITS = re.compile(r"\d+")


@dataclass(frozen=True)
class CapacityLink:
    """One RNCP capacity (code, position in the fiche) mapped to one CQPM capacity (number, position)."""

    rncp_code: str
    cqpm_number: int
    score: float
    rncp_ord: int
    cqpm_ord: int


@dataclass(frozen=True)
class Link:
    rncp_document_id: str
    cqpm_document_id: str
    rncp_code: str
    cqpm_number: str | None  # printed by the référentiel, or inferred from the fiche's history
    number_source: str | None  # "printed" | "inferred" | None (no number anywhere)
    method: str  # "history" | "capacities" | "title": the evidence that decided
    score: float
    history_score: float | None  # 1.0 printed number = named number; None when not comparable
    title_score: float | None
    capacity_score: float | None
    reason: str
    capacity_map: tuple[CapacityLink, ...]
    rncp_source: str
    cqpm_source: str


@dataclass(frozen=True)
class InferredNumber:
    """A CQPM number a référentiel does not print, inferred from a linked fiche's history."""

    document_id: str
    number: str
    evidence_document_id: str
    rncp_code: str
    score: float
    reason: str


def cqpm_number(value: str | None) -> str | None:
    """"195", "0195", "CQPM 0195" -> "0195"; None when no digits."""
    m = _DIGITS.search(value or "")
    return m.group().zfill(4) if m else None


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


def text_similarity(a: str, b: str) -> float:
    """0..1: the better of character similarity of the comparison keys and of the content lemmas."""
    ka, kb = comparison_key(a), comparison_key(b)
    if ka == kb:
        return 1.0 if ka else 0.0
    chars = fuzz.ratio(ka, kb) / 100
    words = fuzz.token_sort_ratio(lemma_key(a), lemma_key(b)) / 100
    return round(max(chars, words), 4)


def map_capacities(fiche: RncpFiche, ref: CqpmDocument) -> tuple[tuple[CapacityLink, ...], float | None]:
    """One-to-one capacity map (best pairs first, each ≥ PAIR_MIN) and the capacity-set score."""
    rncp, cqpm = fiche.capacities, ref.capacities
    if not rncp or not cqpm:
        return (), None
    tokens_many([c.text for c in rncp] + [c.title for c in cqpm])  # one spaCy batch for the lemmas
    scored = sorted(((text_similarity(r.text, c.title), i, j) for i, r in enumerate(rncp)
                     for j, c in enumerate(cqpm)), key=lambda t: (-t[0], t[1], t[2]))
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


def assess(rncp_doc: Document, cqpm_doc: Document) -> Link | None:
    """The link between a fiche and a référentiel, or None when the evidence is weak or conflicting."""
    fiche, ref = rncp_doc.rncp, cqpm_doc.cqpm
    if fiche is None or ref is None:
        return None
    named, printed = cqpm_number(fiche.history.cqpm_number), cqpm_number(ref.number)
    if named and printed and named != printed:
        return None
    cmap, caps = map_capacities(fiche, ref)
    title = title_similarity(fiche.title, ref.title)
    history = 1.0 if named and printed else None
    number: str | None
    source: str | None
    counts = f"{len(cmap)}/{max(len(fiche.capacities), len(ref.capacities))} capacities matched"
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
        rncp_document_id=rncp_doc.id, cqpm_document_id=cqpm_doc.id, rncp_code=fiche.code,
        cqpm_number=number, number_source=source, method=method,
        score=_combined({"history": history, "capacities": caps, "title": title}),
        history_score=history, title_score=title, capacity_score=caps,
        reason=f"{method}: " + "; ".join(facts), capacity_map=cmap,
        rncp_source=rncp_doc.source.path, cqpm_source=cqpm_doc.source.path,
    )


def link_documents(documents: Iterable[Document]) -> tuple[Link, ...]:
    """Every link among ``documents`` (any order in, the same links out, sorted).

    An unnumbered référentiel whose capacities match fiches naming *different* numbers keeps only the
    links carrying the number of its best-scoring link (an inferred identity must be unambiguous).
    """
    docs = sorted(documents, key=lambda d: d.id)
    fiches = [d for d in docs if d.kind is Kind.RNCP and d.rncp is not None]
    refs = [d for d in docs if d.kind is Kind.CQPM and d.cqpm is not None]
    links = [link for f in fiches for r in refs if (link := assess(f, r)) is not None]
    best: dict[str, Link] = {}
    for link in links:
        if link.number_source == "inferred":
            held = best.get(link.cqpm_document_id)
            if held is None or (link.score, link.rncp_document_id) > (held.score, held.rncp_document_id):
                best[link.cqpm_document_id] = link
    kept = [link for link in links if link.number_source != "inferred"
            or link.cqpm_number == best[link.cqpm_document_id].cqpm_number]
    return tuple(sorted(kept, key=lambda x: (x.rncp_code, x.cqpm_number or "", x.rncp_document_id,
                                             x.cqpm_document_id)))


def inferred_numbers(links: Sequence[Link]) -> tuple[InferredNumber, ...]:
    """The numbers inferred for référentiels that do not print theirs, with the fiche that gave each."""
    return tuple(
        InferredNumber(document_id=link.cqpm_document_id, number=link.cqpm_number,
                       evidence_document_id=link.rncp_document_id, rncp_code=link.rncp_code,
                       score=link.score, reason=link.reason)
        for link in links if link.number_source == "inferred" and link.cqpm_number
    )


def referentiel_keys(documents: Iterable[Document], links: Sequence[Link]) -> dict[str, str]:
    """document id -> what identifies its référentiel across renderings and versions.

    The printed number, else the inferred one, else the title's comparison key: a text and a PDF of the
    same CQPM (or two versions of it) share a key, so reuse is counted across référentiels, not files.
    """
    inferred = {n.document_id: n.number for n in inferred_numbers(links)}
    out: dict[str, str] = {}
    for d in documents:
        if d.cqpm is None:
            continue
        number = cqpm_number(d.cqpm.number) or inferred.get(d.id)
        out[d.id] = f"CQPM {number}" if number else f"title: {title_key(d.cqpm.title) or d.id}"
    return out
