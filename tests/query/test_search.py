"""French search by lemma over capacities and criteria (pipeline.query.search)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from golden import FIXTURES
from seed_warehouse import SEEDS, SEEDS_ONLY, WITH_PDF, seed_warehouse

from pipeline.load import warehouse as wh
from pipeline.query import search_terms
from pipeline.query.search import Item, SearchError, query_words, rank, search
from pipeline.query.search_terms import fold, terms_many
from pipeline.runtime import IngestOptions, ingest_paths

VERSIONS = FIXTURES / "versions"


@pytest.fixture(scope="module")
def seeds() -> Iterator[duckdb.DuckDBPyConnection]:
    con = wh.connect(seed_warehouse(SEEDS_ONLY), read_only=True)
    yield con
    con.close()


@pytest.fixture(scope="module")
def with_pdf() -> Iterator[duckdb.DuckDBPyConnection]:
    con = wh.connect(seed_warehouse(WITH_PDF), read_only=True)
    yield con
    con.close()


@pytest.fixture(autouse=True)
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("REFPIPE_CACHE_DIR", str(tmp_path / "cache"))  # never the user's cache
    return tmp_path / "cache"


def test_indicateur_finds_the_seed_001_criterion_about_indicateurs_by_lemma(seeds: duckdb.DuckDBPyConnection) -> None:
    hits = search(seeds, "indicateur", limit=50)
    seed_001 = [h for h in hits if h.item.source_path.endswith(SEEDS[1].name) and h.item.item == "criterion"]
    first = next(h for h in seed_001 if (h.item.capacity, h.item.criterion) == ("3", 1))
    assert first.item.text.startswith("Le pilotage s'appuie sur l'élaboration d'indicateurs")
    assert " indicateur " not in f" {first.item.text} "  # found by its lemma, not by the letters
    assert first.matched == ("indicateur",)
    assert first.item.key == "CQPM-0195" and first.item.kind == "cqpm"
    assert first.item.capacity_title == "Garantir l'efficacité du pilotage des objectifs par des indicateurs appropriés"
    start, end = first.highlights[0]
    assert first.snippet[start:end] == "indicateurs"
    # every seed-001 criterion that mentions indicators is found (capacity 3: 1 and 3; capacity 4: 4)
    assert {(h.item.capacity, h.item.criterion) for h in seed_001} == {("3", 1), ("3", 3), ("4", 4)}


def test_hits_give_document_capacity_and_page(with_pdf: duckdb.DuckDBPyConnection) -> None:
    hits = search(with_pdf, "indicateur", kind="cqpm")
    pdf = [h for h in hits if h.item.key == "CQPM-0195"]
    # the text of seed 001 and its PDF printing the header block are one version, its rows the PDF's (pages)
    assert pdf and all(h.item.version == 1 and h.item.page == 2 for h in pdf)
    assert all(h.item.title and h.item.document_id for h in hits)
    assert [h.rank for h in hits] == list(range(1, len(hits) + 1))
    assert all(a.score >= b.score for a, b in zip(hits, hits[1:], strict=False))  # one word: BM25 order


def test_only_the_latest_versions_unless_asked(tmp_path: Path) -> None:
    pair = VERSIONS / "001_1b606db1c3205ecb.s1"
    warehouse = tmp_path / "w.duckdb"
    ingest_paths([pair / "v1.rl-portrait-grid.pdf", pair / "v2.rl-portrait-grid.pdf"], warehouse,
                 IngestOptions(workers=1, links=False))
    con = wh.connect(warehouse, read_only=True)
    try:
        latest = search(con, "indicateur", limit=100)
        every = search(con, "indicateur", limit=100, all_versions=True)
    finally:
        con.close()
    assert latest and {h.item.version for h in latest} == {2}
    assert {h.item.version for h in every} == {1, 2}


def test_search_by_kind(with_pdf: duckdb.DuckDBPyConnection) -> None:
    assert {h.item.kind for h in search(with_pdf, "indicateur", kind="rncp")} == {"rncp"}


def test_more_query_words_matched_rank_first(seeds: duckdb.DuckDBPyConnection) -> None:
    hits = search(seeds, "pilotage indicateurs", limit=10)
    assert hits[0].matched == ("pilotage", "indicateurs")
    assert len(hits[-1].matched) <= len(hits[0].matched)
    counts = [len(h.matched) for h in hits]
    assert counts == sorted(counts, reverse=True)


def test_ranking_rewards_coverage_then_rarity_and_shortness() -> None:
    texts = ["Mesurer les indicateurs de performance", "Les indicateurs sont suivis",
             "Des indicateurs, des indicateurs et encore des tableaux de bord détaillés pour tout le monde",
             "Rédiger le rapport"]
    items = [Item("capacity", "cqpm", f"d{k}", "CQPM-0001", 1, True, "0001", "T", str(k), t, None, None, t, "x")
             for k, t in enumerate(texts)]
    hits = rank(query_words("mesurent indicateur"), items, terms_many(texts), limit=10)
    assert [h.item.text for h in hits][:1] == [texts[0]]  # "mesurent" -> mesurer, "indicateur" -> indicateurs
    assert {h.item.text for h in hits} == set(texts[:3])
    assert hits[1].item.text == texts[1]  # shorter than the third at one match each


def test_accents_and_case_do_not_matter(seeds: duckdb.DuckDBPyConnection) -> None:
    for query in ("creer cohesion", "CRÉER la cohésion"):
        hits = search(seeds, query, limit=1)
        assert hits[0].item.text == "Créer la cohésion de l'équipe" and len(hits[0].matched) == 2
    assert fold("Élaboration") == "elaboration"


def test_a_query_of_stop_words_is_an_error(seeds: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(SearchError, match="no word"):
        search(seeds, "les de la")


def test_long_texts_are_cut_around_the_match() -> None:
    text = " ".join(["mot"] * 80) + " indicateurs " + " ".join(["fin"] * 80)
    item = Item("criterion", "cqpm", "d", "K", 1, True, None, "T", "1", "cap", 1, None, text, "x")
    hit = rank(query_words("indicateur"), [item], terms_many([text]), limit=1)[0]
    assert len(hit.snippet) <= 202 and hit.snippet.startswith("…") and hit.snippet.endswith("…")
    (start, end), = hit.highlights
    assert hit.snippet[start:end] == "indicateurs"


class _NoBatches:
    """The spaCy pipeline, except that lemmatising texts in batch (the items) fails."""

    def __init__(self, model: Any) -> None:
        self.model = model

    def __call__(self, text: str) -> Any:
        return self.model(text)

    def get_pipe(self, name: str) -> Any:
        return self.model.get_pipe(name)

    def pipe(self, *args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the items' lemmas should come from the disk cache")


def test_lemmas_are_cached_on_disk(seeds: duckdb.DuckDBPyConnection, cache: Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search_terms, "_MEMORY", {})
    before = [(h.item.document_id, h.item.text) for h in search(seeds, "indicateur")]
    assert list(cache.glob("search-terms-*.json"))
    monkeypatch.setattr(search_terms, "_MEMORY", {})  # a new process: only the disk cache is left
    model = search_terms.nlp()
    monkeypatch.setattr(search_terms, "nlp", lambda: _NoBatches(model))
    assert [(h.item.document_id, h.item.text) for h in search(seeds, "indicateur")] == before


def test_no_duckdb_extension_is_needed(seeds: duckdb.DuckDBPyConnection) -> None:
    search(seeds, "indicateur")
    loaded = seeds.execute("SELECT extension_name FROM duckdb_extensions() "
                           "WHERE loaded AND install_mode <> 'STATICALLY_LINKED'").fetchall()
    assert loaded == []


def test_a_query_of_cached_words_is_answered_without_spacy(seeds: duckdb.DuckDBPyConnection,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    search_terms._MEMORY.clear()  # earlier tests filled it: this test's disk cache must get every text
    first = search(seeds, "mesurent les indicateurs d'audit", limit=20)  # spaCy analyses it, the words are cached
    search_terms._MEMORY.clear()  # a new process: only the disk caches are left

    def no_spacy() -> Any:
        raise AssertionError("spaCy loaded for a query whose words are all cached")

    monkeypatch.setattr(search_terms, "nlp", no_spacy)
    again = search(seeds, "mesurent les indicateurs d'audit", limit=20)
    assert [(h.item.text, h.matched, h.highlights) for h in again] == [
        (h.item.text, h.matched, h.highlights) for h in first]
    reordered = search(seeds, "Audit indicateurs", limit=20)  # the same words, another query: still cached
    assert reordered and {m for h in reordered for m in h.matched} <= {"Audit", "indicateurs"}
    with pytest.raises(AssertionError, match="spaCy loaded"):
        search(seeds, "soudure", limit=5)  # a word never analysed: spaCy is needed
    with pytest.raises(AssertionError, match="spaCy loaded"):
        search(seeds, "audit-qualité", limit=5)  # not plain words: spaCy tokenises it
