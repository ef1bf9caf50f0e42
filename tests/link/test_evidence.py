"""RNCP <-> CQPM linking on the real fixtures: seeds, the PDF renderings and the version pairs."""

from __future__ import annotations

import dataclasses
import itertools
import random
from pathlib import Path

import pytest
from golden import FIXTURES, load_gold
from hypothesis import given, settings
from hypothesis import strategies as st
from parsed import parsed

from pipeline.link.evidence import (
    TITLE_ALONE_MIN,
    assess,
    bare_title_key,
    candidate_pairs,
    capacity_bound,
    cqpm_number,
    inferred_choice,
    inferred_numbers,
    lemma_keys,
    link_documents,
    map_capacities,
    may_link,
    plausible,
    remember_lemma_keys,
    text_similarity,
    title_similarity,
)
from pipeline.link.inputs import link_input
from pipeline.link.render import contract_links
from pipeline.normalize.lemmas import lemma_key
from pipeline.normalize.text import comparison_key
from pipeline.records import Document, Source

SEEDS = sorted((FIXTURES / "seeds").glob("*.txt"))
PDFS = sorted((FIXTURES / "pdf").glob("*.pdf"))
DD, QSE, MGMT, RNCP_QSE, RNCP_RH = SEEDS  # 001: CQPM 0195 (prints no number); 003: RNCP28242; 004: RNCP28235
GOLD_MAP = {(m["rncp"], m["cqpm"]) for m in load_gold(FIXTURES / "gold" / "links.json")[0]["capacity_map"]}


def doc(path: Path) -> Document:
    return parsed(path)


def docs(paths: list[Path]) -> list[Document]:
    return [doc(p) for p in paths]


def pdf(name: str) -> Path:
    return FIXTURES / "pdf" / name


def test_seeds_link_28242_to_the_unnumbered_qse_referentiel_by_its_capacities() -> None:
    links = link_documents(docs(SEEDS))
    assert len(links) == 1
    link = links[0]
    assert (link.rncp_code, link.cqpm_number, link.number_source, link.method) == (
        "RNCP28242", "0195", "inferred", "capacities")
    assert (link.rncp_document_id, link.cqpm_document_id) == (doc(RNCP_QSE).id, doc(QSE).id)
    assert {(c.rncp_code, c.cqpm_number) for c in link.capacity_map} == GOLD_MAP
    assert all(c.score >= 0.99 for c in link.capacity_map)  # œ/oe, ’/' and trailing periods do not count
    assert link.capacity_score == 1.0 and link.history_score is None and 0.9 < link.score <= 1
    assert "0195" in link.reason and "8/8" in link.reason
    assert doc(QSE).cqpm is not None and doc(QSE).cqpm.number is None  # the document keeps what the file says
    assert [(n.document_id, n.number, n.evidence_document_id) for n in inferred_numbers(links)] == [
        (doc(QSE).id, "0195", doc(RNCP_QSE).id)]


def test_28235_names_an_absent_cqpm_and_is_not_linked_on_shared_title_words() -> None:
    rh = doc(RNCP_RH)
    assert rh.rncp is not None and rh.rncp.history.cqpm_number == "0264"
    for ref in (DD, QSE, MGMT):
        assert assess(rh, doc(ref)) is None
    # "Coordonnateur … du développement …" is shared, but the titles are not near-identical
    similarity = title_similarity(rh.rncp.title, doc(DD).cqpm.title)  # type: ignore[union-attr]
    assert similarity is not None and 0.4 < similarity < TITLE_ALONE_MIN


@pytest.mark.parametrize("seed", range(4))
def test_links_do_not_depend_on_document_order(seed: int) -> None:
    base = link_documents(docs(SEEDS + PDFS))
    shuffled = docs(SEEDS + PDFS)
    random.Random(seed).shuffle(shuffled)
    assert link_documents(shuffled) == base
    assert link_documents(list(reversed(shuffled))) == base


def test_a_printed_number_decides_by_history() -> None:
    header = doc(pdf("001_1b606db1c3205ecb.rl-portrait-grid.header.pdf"))
    link = assess(doc(RNCP_QSE), header)
    assert link is not None
    assert (link.method, link.cqpm_number, link.number_source, link.history_score) == (
        "history", "0195", "printed", 1.0)
    assert {(c.rncp_code, c.cqpm_number) for c in link.capacity_map} == GOLD_MAP


def test_a_conflicting_number_is_never_linked_even_with_matching_capacities() -> None:
    header = doc(pdf("001_1b606db1c3205ecb.rl-portrait-grid.header.pdf"))
    assert header.cqpm is not None
    other = dataclasses.replace(header, cqpm=dataclasses.replace(header.cqpm, number="0999"))
    assert assess(doc(RNCP_QSE), other) is None


def test_every_pdf_rendering_links_like_the_text() -> None:
    links = link_documents(docs(SEEDS + PDFS))
    fiches = {d.id for d in docs(SEEDS + PDFS) if d.rncp and d.rncp.code == "RNCP28242"}
    refs = {d.id for d in docs(SEEDS + PDFS) if d.cqpm and d.cqpm.title and "Q, S, E" in d.cqpm.title}
    # 3 fiche files and 4 référentiel files; those with the same content are one document (content identity)
    assert len(fiches) == 2 and 1 < len(refs) < 4
    assert {(x.rncp_document_id, x.cqpm_document_id) for x in links} == set(itertools.product(fiches, refs))
    assert {(c.rncp_code, c.cqpm_number) for x in links for c in x.capacity_map} == GOLD_MAP
    assert {x.cqpm_number for x in links} == {"0195"}
    assert {x.method for x in links} == {"history", "capacities"}  # history: the header PDF prints 0195


def test_contract_lists_each_logical_link_once_with_its_documents() -> None:
    entries = contract_links(link_documents(docs(SEEDS + PDFS)))
    assert len(entries) == 1
    e = entries[0]
    assert (e["rncp"], e["cqpm"], e["method"]) == ("RNCP28242", "0195", "history")  # best evidence: header PDF
    assert {(m["rncp"], m["cqpm"]) for m in e["capacity_map"]} == GOLD_MAP
    fiches = {d.id for d in docs(SEEDS + PDFS) if d.rncp and d.rncp.code == "RNCP28242"}
    refs = {d.id for d in docs(SEEDS + PDFS) if d.cqpm and d.cqpm.title and "Q, S, E" in d.cqpm.title}
    # one entry per document pair: files with the same content are one document
    assert len(e["documents"]) == len(fiches) * len(refs) and e["cqpm_source"].endswith(".header.pdf")
    assert {"rncp_source", "cqpm_source", "rncp_document", "cqpm_document", "score"} <= e.keys()

    seeds_only = contract_links(link_documents(docs(SEEDS)))
    assert [(x["rncp"], x["cqpm"], x["method"], x["rncp_source"], x["cqpm_source"]) for x in seeds_only] == [
        ("RNCP28242", "0195", "capacities", str(RNCP_QSE), str(QSE))]


def test_versions_with_another_order_or_an_extra_capacity() -> None:
    v = FIXTURES / "versions"
    ref_v2 = doc(v / "001_1b606db1c3205ecb.s1" / "v2.rl-portrait-grid.pdf")  # capacities 2 and 4 swapped, + 9
    fiche_v2 = doc(v / "003_b7becefa6c01c81b.s1" / "v2.lo-landscape-hrules.pdf")  # C6 reworded, + C9
    moved = assess(doc(RNCP_QSE), ref_v2)
    assert moved is not None and moved.method == "capacities"
    assert {(c.rncp_code, c.cqpm_number) for c in moved.capacity_map} == (
        GOLD_MAP - {("C2", 4), ("C4", 2)} | {("C2", 2), ("C4", 4)})
    grown = assess(fiche_v2, doc(QSE))
    assert grown is not None
    mapped = {c.rncp_code: c for c in grown.capacity_map}
    assert "C9" not in mapped and mapped["C6"].cqpm_number == 6 and 0.7 < mapped["C6"].score < 1
    assert 0.75 < (grown.capacity_score or 0) < 0.9  # 8 of 9 capacities
    entries = contract_links(link_documents([doc(RNCP_QSE), doc(QSE), ref_v2]))
    assert len(entries) == 2  # same pair, two different capacity maps: kept apart


def test_an_unnumbered_referentiel_takes_one_inferred_number() -> None:
    fiche = doc(RNCP_QSE)
    assert fiche.rncp is not None
    twin = dataclasses.replace(
        fiche, source=Source("copy.txt", "f" * 64, "text", None, 1),
        rncp=dataclasses.replace(fiche.rncp, code="RNCP99999",
                                 history=dataclasses.replace(fiche.rncp.history, cqpm_number="0999")))
    links = link_documents([fiche, twin, doc(QSE)])
    assert len(links) == 1 and links[0].cqpm_number in ("0195", "0999")
    assert len({n.number for n in inferred_numbers(links)}) == 1


def test_text_similarity_absorbs_wording_drift() -> None:
    assert text_similarity("Coordonner la mise en œuvre d’outils.", "coordonner la mise oeuvre d'outils") >= 0.9
    assert text_similarity("Préparer un plan de formation", "Réaliser un audit au regard d'un référentiel") < 0.7
    assert text_similarity("", "") == 0.0


def test_titles_and_numbers() -> None:
    assert bare_title_key("CQP : Certificat de qualification professionnelle Coordonnateur(trice) QSE (CQPM)") == (
        "coordonnateur(trice) qse")
    assert cqpm_number("CQPM 195") == "0195" and cqpm_number("0264") == "0264" and cqpm_number(None) is None


@given(st.text())
def test_bare_title_key_is_idempotent_and_total(text: str) -> None:
    assert bare_title_key(bare_title_key(text)) == bare_title_key(text)


@settings(max_examples=50, deadline=None)
@given(st.text(max_size=50), st.text(max_size=50))
def test_text_similarity_is_a_symmetric_score_and_total(a: str, b: str) -> None:
    s = text_similarity(a, b)
    assert 0.0 <= s <= 1.0 and s == text_similarity(b, a)
    assert text_similarity(a, a) == (1.0 if comparison_key(a) else 0.0)


def test_near_identical_titles_decide_only_when_capacities_cannot_be_compared() -> None:
    qse, rh = doc(RNCP_QSE), doc(RNCP_RH)
    assert qse.rncp is not None and rh.rncp is not None
    no_caps = dataclasses.replace(qse, rncp=dataclasses.replace(qse.rncp, capacities=()))
    link = assess(no_caps, doc(QSE))
    assert link is not None and (link.method, link.cqpm_number, link.capacity_map) == ("title", "0195", ())
    assert assess(dataclasses.replace(rh, rncp=dataclasses.replace(rh.rncp, capacities=())), doc(DD)) is None


def test_link_inputs_link_like_the_documents_and_pair_only_new_documents() -> None:
    documents = docs(SEEDS + PDFS)
    inputs = [link_input(d) for d in documents]
    assert link_documents(inputs) == link_documents(documents)
    assert link_input(inputs[0]) is inputs[0]
    new = {doc(RNCP_QSE).id, doc(QSE).id}
    pairs = candidate_pairs(documents, new)
    assert pairs and all(f.id in new or r.id in new for f, r in pairs)
    # every pair is considered (files with the same content are one document), but only those whose words
    # overlap are assessed: the blocked ones are exactly those that would not link
    unique = {i.id: i for i in inputs}.values()
    fiches = [i for i in unique if i.kind.value == "rncp"]
    refs = [i for i in unique if i.kind.value == "cqpm"]
    everything = {(f.id, r.id) for f in fiches for r in refs}
    kept = {(f.id, r.id) for f, r in candidate_pairs(documents)}
    linked = {(f.id, r.id) for f in fiches for r in refs if assess(f, r) is not None}
    assert linked <= kept < everything
    assert {(f.id, r.id) for f, r in pairs} == {p for p in kept if new & set(p)}


def test_the_best_inferred_link_decides_the_number_whatever_the_order() -> None:
    rows = [("ref", "fiche-a", 0.9, "0195"), ("ref", "fiche-b", 0.95, "0999"), ("ref", "fiche-c", 0.95, "0777")]
    assert inferred_choice(rows) == inferred_choice(list(reversed(rows))) == {"ref": "0777"}  # tie: higher id


def test_remembered_lemma_keys_stand_for_spacy() -> None:
    a, b = "Coordonner la mise en œuvre d’outils.", "coordonner la mise oeuvre d'outils"
    keys = lemma_keys([a, b])
    assert keys == [lemma_key(a), lemma_key(b)]
    remember_lemma_keys([("un texte jamais vu", "clé")])
    assert lemma_keys(["un texte jamais vu"]) == ["clé"]


def test_a_full_lemma_memo_starts_again_without_losing_a_text(monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline.link import evidence as link

    a, b = "Préparer un plan de formation", "Réaliser un audit au regard d'un référentiel"
    expected = lemma_keys([a, b])
    monkeypatch.setattr(link, "_LEMMA_KEYS", {a: expected[0]})
    monkeypatch.setattr(link, "_LEMMA_KEYS_MAX", 1)  # a is known, b is not: the memo is full
    assert lemma_keys([a, b]) == expected


def test_blocking_without_numbers_keeps_every_pair_the_capacities_link() -> None:
    """Without numbers, only the capacities and titles decide: blocking must keep every pair ``assess`` links."""
    inputs = [dataclasses.replace(link_input(d), named_number=None, printed_number=None)
              for d in docs(SEEDS + PDFS)]
    fiches = [d for d in inputs if d.kind.value == "rncp" and d.linkable]
    refs = [d for d in inputs if d.kind.value == "cqpm" and d.linkable]
    every = [(f, r) for f in fiches for r in refs]
    linked = {(f.id, r.id) for f, r in every if assess(f, r) is not None}
    kept = {(f.id, r.id) for f, r in candidate_pairs(inputs)}
    assert linked and linked <= kept and len(kept) < len(every)


def test_lemma_keys_come_from_the_disk_cache_without_spacy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A text lemmatised by an earlier process: its key is read from the cache and spaCy is not loaded."""
    from pipeline.link import evidence as link
    from pipeline.normalize import lemma_cache

    monkeypatch.setenv("REFPIPE_CACHE_DIR", str(tmp_path))
    texts = ["Organiser la mise en œuvre des actions correctives", "Contrôler la conformité des pièces usinées"]
    monkeypatch.setattr(link, "_LEMMA_KEYS", {})
    expected = link.lemma_keys(texts)  # computed by spaCy, written to the cache (at exit, or now)
    lemma_cache.flush()
    monkeypatch.setattr(lemma_cache, "_LOADED", {})  # a new process: the file is all it has
    monkeypatch.setattr(link, "_LEMMA_KEYS", {})
    assert lemma_cache.load() == {lemma_cache.digest(t): k for t, k in zip(texts, expected, strict=True)}

    def no_spacy(batch):  # noqa: ANN001, ANN202
        raise AssertionError("spaCy used for a cached text")

    monkeypatch.setattr(link, "tokens_many", no_spacy)
    assert link.lemma_keys(texts) == expected


def test_the_capacity_bound_is_never_below_the_score_and_may_link_loses_no_link() -> None:
    """Sampled pairs (fixture fiches and référentiels, capacities cut at random so the counts vary, numbers
    kept or dropped): ``capacity_bound`` ≥ the score ``map_capacities`` gives, and a pair ``may_link`` rules
    out is never linked by ``assess`` (the blocking that lets an increment skip reading most fiches)."""
    inputs = [link_input(d) for d in docs(SEEDS + PDFS)]
    fiches = [d for d in inputs if d.kind.value == "rncp" and d.linkable]
    refs = [d for d in inputs if d.kind.value == "cqpm" and d.linkable]
    rng = random.Random(13)
    ruled_out = linked = 0
    for _ in range(60):
        f, r = rng.choice(fiches), rng.choice(refs)
        f = dataclasses.replace(f, rncp_capacities=f.rncp_capacities[:rng.randint(0, len(f.rncp_capacities))],
                                named_number=rng.choice([f.named_number, None]))
        r = dataclasses.replace(r, cqpm_capacities=r.cqpm_capacities[:rng.randint(0, len(r.cqpm_capacities))],
                                printed_number=rng.choice([r.printed_number, None]))
        n, m = len(f.rncp_capacities), len(r.cqpm_capacities)
        bound = capacity_bound(n, m)
        _, score = map_capacities(f.rncp_capacities, r.cqpm_capacities)
        assert (bound is None) == (score is None)
        assert score is None or bound is not None and bound >= score
        link = assess(f, r)
        linked += link is not None
        if not may_link(f.named_number, n, r.printed_number, m):
            ruled_out += 1
            assert link is None
        if link is not None:
            assert plausible(f, r)
    assert ruled_out and linked  # the sample exercised both sides
