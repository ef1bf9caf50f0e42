"""The incremental recompute gives the rows of a recompute from scratch, whatever the batches and their
order, and does only the new documents' work: pairs with a new document, new documents read in full."""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable, Iterator
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import pytest
from golden import FIXTURES
from links_oracle import expected, stored
from parsed import parsed

from pipeline.contract import body_id
from pipeline.link import evidence as link_module
from pipeline.link.inputs import link_input
from pipeline.load import warehouse as wh
from pipeline.query.read import read_document, read_link_inputs
from pipeline.records import Document, Source
from pipeline.runtime import links as links_store
from pipeline.runtime import links_incremental

SEEDS = sorted((FIXTURES / "seeds").glob("*.txt"))
PDFS = sorted((FIXTURES / "pdf").glob("*.pdf"))
VERSIONS = sorted((FIXTURES / "versions").glob("*/*.pdf"))
DD, QSE, MGMT, RNCP_QSE, RNCP_RH = SEEDS
ALL = SEEDS + PDFS + VERSIONS
AS_OF = date(2025, 1, 1)


def doc(path: Path) -> Document:
    return parsed(path)


@cache
def twin() -> Document:
    """RNCP_QSE's capacities under another code, naming CQPM 0999, titled exactly like the QSE référentiel:
    it links to the unnumbered QSE référentiel with a better score than RNCP_QSE (title 1.0)."""
    fiche, ref = doc(RNCP_QSE), doc(QSE)
    assert fiche.rncp is not None and ref.cqpm is not None
    return dataclasses.replace(
        fiche, source=Source("twin.txt", "f" * 64, "text", None, 1),
        rncp=dataclasses.replace(fiche.rncp, code="RNCP99999", title=ref.cqpm.title,
                                 history=dataclasses.replace(fiche.rncp.history, cqpm_number="0999")))


def documents(paths: list[Path]) -> list[Document]:
    """The documents of ``paths``, each once (a version fixture may repeat the bytes of another file; a
    rendering printing seed 001's header block is the document its text is a source of: that one is kept)."""
    kept: dict[str, Document] = {}
    for d in (doc(p) for p in paths):
        held = kept.get(body_id(d))
        if held is None or (d.cqpm is not None and held.cqpm is not None and d.cqpm.number and not held.cqpm.number):
            kept[body_id(d)] = d
    return list(kept.values())


@pytest.fixture
def con(tmp_path: Path, new_warehouse: Callable[[Path], Path]) -> Iterator[duckdb.DuckDBPyConnection]:
    c = wh.connect(new_warehouse(tmp_path / "w.duckdb"))
    yield c
    c.close()


def ingest_in_batches(con: duckdb.DuckDBPyConnection, batches: list[list[Document]],
                      as_of: date = AS_OF) -> list[links_store.RecomputeSummary]:
    out = []
    for batch in batches:
        for d in batch:
            assert wh.load(d, con)
        out.append(links_store.recompute(con, as_of=as_of))
        assert links_store.is_current(con)
    return out


def from_scratch(tmp_path: Path, docs: list[Document], as_of: date = AS_OF) -> dict[str, list[tuple[Any, ...]]]:
    """The derived rows of one recompute from scratch over ``docs``, in a warehouse of their own."""
    c = wh.connect(tmp_path / f"scratch-{len(list(tmp_path.iterdir()))}.duckdb")
    try:
        for d in docs:
            wh.load(d, c)
        summary = links_store.recompute(c, as_of=as_of, full=True)
        assert summary.full and summary.added == len(docs)
        return stored(c)
    finally:
        c.close()


def splits(items: list[Document], seed: int) -> list[list[Document]]:
    """``items`` shuffled and cut into batches of 1 to 6 documents."""
    rng = random.Random(seed)
    shuffled = list(items)
    rng.shuffle(shuffled)
    out = []
    while shuffled:
        k = rng.randint(1, 6)
        out.append(shuffled[:k])
        shuffled = shuffled[k:]
    return out


SCENARIOS = {
    "one at a time": lambda docs: [[d] for d in docs],
    "one at a time, backwards": lambda docs: [[d] for d in reversed(docs)],
    "all at once": lambda docs: [docs],
    "fiches first": lambda docs: [[d for d in docs if d.rncp], [d for d in docs if d.cqpm]],
    "référentiels first": lambda docs: [[d for d in docs if d.cqpm], [d for d in docs if d.rncp]],
    **{f"random batches {seed}": (lambda docs, seed=seed: splits(docs, seed)) for seed in range(3)},
}


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[tuple[Any, ...]]]:
    """The rows of one recompute from scratch over every document (the same for every scenario)."""
    return from_scratch(tmp_path_factory.mktemp("scratch"), [*documents(ALL), twin()])


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_batches_give_the_rows_of_a_recompute_from_scratch(scenario: str, con: duckdb.DuckDBPyConnection,
                                                          scratch: dict[str, list[tuple[Any, ...]]]) -> None:
    docs = [*documents(ALL), twin()]
    ingest_in_batches(con, SCENARIOS[scenario](docs))
    got = stored(con)
    assert got == expected(con, AS_OF)  # the in-memory computation over every document
    assert got == scratch
    assert all(got[t] for t in got)  # every table has rows: the comparison is not vacuous
    links_store.recompute(con, as_of=AS_OF, full=True)
    assert stored(con) == got


def test_a_rendering_printing_the_header_later_takes_the_texts_place(con: duckdb.DuckDBPyConnection,
                                                                    tmp_path: Path) -> None:
    """Seed 001's text in one batch, its PDF printing the header block in the next: the header rendering takes
    the text's place (one document), and the derived rows are those of a recompute over the final documents."""
    header = doc(FIXTURES / "pdf" / "001_1b606db1c3205ecb.rl-portrait-grid.header.pdf")
    rest = [d for d in documents(SEEDS) if body_id(d) != body_id(header)]
    ingest_in_batches(con, [[doc(QSE), *rest], [header]])
    assert con.execute("SELECT count(*) FROM documents WHERE id = ?", [doc(QSE).id]).fetchone() == (0,)
    got = stored(con)
    assert got == from_scratch(tmp_path, [header, *rest])
    assert got["links"]


def test_a_better_fiche_changes_the_inferred_number_of_an_old_referentiel(con: duckdb.DuckDBPyConnection) -> None:
    ingest_in_batches(con, [documents([QSE, RNCP_QSE, DD, MGMT])])
    before = stored(con)
    assert [r[3] for r in con.execute("SELECT * FROM v_links").fetchall()] == ["capacities"]
    assert [(r[0], r[9]) for r in before["inferred_numbers"]] == [(doc(QSE).id, "0195")]
    key = "SELECT key FROM documents WHERE id = ?"
    assert con.execute(key, [doc(QSE).id]).fetchone() == ("CQPM-0195",)  # its version chain adopted the number

    ingest_in_batches(con, [[twin()]])
    after = stored(con)
    assert after == expected(con, AS_OF)
    # the twin's inferred link scores better: the référentiel is now CQPM 0999, RNCP_QSE's link is dropped
    assert [(r[0], r[9], r[10]) for r in after["inferred_numbers"]] == [(doc(QSE).id, "0999", twin().id)]
    assert con.execute(key, [doc(QSE).id]).fetchone() == ("CQPM-0195",)  # adoption is one-way (v_versions)
    assert [(r[0], r[9]) for r in after["links"]] == [(twin().id, doc(QSE).id)]
    assert con.execute("SELECT count(*) FROM link_candidates WHERE NOT kept").fetchone() == (1,)

    con.execute("BEGIN")
    wh.delete_document_rows(con, twin().id)  # the twin goes: the old number comes back
    con.execute("COMMIT")
    summary = links_store.recompute(con, as_of=AS_OF)
    assert (summary.added, summary.assessed) == (0, 0)
    assert stored(con) == before == expected(con, AS_OF)


def test_a_reloaded_document_is_computed_again(con: duckdb.DuckDBPyConnection) -> None:
    ingest_in_batches(con, [documents(SEEDS)])
    before = stored(con)
    assert wh.load(doc(QSE), con, replace=True)  # new loaded_at: gone, then new
    assert not links_store.is_current(con)
    summary = links_store.recompute(con, as_of=AS_OF)
    # QSE against the fiche whose words overlap its own (the other, another trade, is blocked)
    assert (summary.added, summary.assessed, summary.full) == (1, 1, False)
    assert stored(con) == before


def test_adding_one_document_assesses_only_its_pairs_and_reads_only_it(
        con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch) -> None:
    old = documents([p for p in ALL if p != RNCP_QSE])
    ingest_in_batches(con, [old])
    assessed: list[tuple[str, str]] = []
    read: list[str] = []
    real_assess, real_read = links_incremental.assess, links_incremental.read_documents

    def counting_assess(fiche: Any, ref: Any) -> Any:
        assessed.append((fiche.id, ref.id))
        return real_assess(fiche, ref)

    def counting_read(c: duckdb.DuckDBPyConnection, ids: list[str]) -> Iterator[Document]:
        read.extend(ids)
        return real_read(c, ids)

    monkeypatch.setattr(links_incremental, "assess", counting_assess)
    monkeypatch.setattr(links_incremental, "read_documents", counting_read)
    new = doc(RNCP_QSE)
    (summary,) = ingest_in_batches(con, [[new]])
    refs = [d.id for d in old if d.cqpm is not None]
    # the new fiche against the référentiels whose words overlap its own (candidate_pairs' blocking)
    assert assessed and set(assessed) <= {(new.id, r) for r in refs}
    assert summary.assessed == len(assessed) and (summary.added, summary.full) == (1, False)
    assert read == [new.id]  # no old document is read in full
    assert stored(con) == expected(con, AS_OF)

    assessed.clear()
    read.clear()
    summary = links_store.recompute(con, as_of=AS_OF)  # nothing new: nothing assessed, nothing read
    assert (assessed, read, summary.assessed, summary.added) == ([], [], 0, 0)


def test_old_capacities_are_not_lemmatised_again(con: duckdb.DuckDBPyConnection,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    ingest_in_batches(con, [documents([QSE, DD, MGMT])])
    keys = dict(con.execute("SELECT document_id, lemma_keys FROM derived_documents").fetchall())
    for d in documents([QSE, DD, MGMT]):
        assert keys[d.id] == link_module.lemma_keys(link_input(d).capacity_texts)
    batches: list[list[str]] = []
    real = link_module.tokens_many

    def recording(texts: Any) -> Any:
        batches.append(list(texts))
        return real(texts)

    monkeypatch.setattr(link_module, "tokens_many", recording)
    monkeypatch.setattr(link_module, "_LEMMA_KEYS", {})  # a fresh process: only the warehouse knows the keys
    ingest_in_batches(con, [[doc(RNCP_QSE)]])
    fiche = link_input(doc(RNCP_QSE))
    assert {t for batch in batches for t in batch} <= set(fiche.capacity_texts)
    assert stored(con) == expected(con, AS_OF)


def test_the_run_date_changes_expiry_without_a_new_document(con: duckdb.DuckDBPyConnection,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    ingest_in_batches(con, [documents(SEEDS)], as_of=date(2020, 1, 1))

    def rules() -> list[tuple[str, str]]:
        return con.execute("SELECT rule, document_id FROM quality_findings ORDER BY ALL").fetchall()

    assert rules() == [("capacity_list_wording", doc(QSE).id)]
    monkeypatch.setattr(links_incremental, "read_documents", None)  # nothing may be read in full
    for day in (date(2025, 1, 1), date(2025, 6, 1), date(2020, 1, 1)):
        summary = links_store.recompute(con, as_of=day)
        assert (summary.added, summary.assessed) == (0, 0)
        assert stored(con) == expected(con, day)
        expired = day > date(2022, 4, 21)  # both fiches' registrations end on 2022-04-21
        assert len(rules()) == (3 if expired else 1)
        assert {r[0] for r in con.execute("SELECT DISTINCT as_of FROM quality_findings").fetchall()} == {day}


def test_tables_of_another_code_are_recomputed_from_scratch(con: duckdb.DuckDBPyConnection) -> None:
    ingest_in_batches(con, [documents(SEEDS)])
    good = stored(con)
    # a warehouse whose derived tables another refpipe wrote: no (or another) state format
    con.execute("DELETE FROM links")
    con.execute("DELETE FROM derived_documents")
    con.execute("DELETE FROM refpipe_meta WHERE key = ?", [links_incremental.FORMAT_KEY])
    summary = links_store.recompute(con, as_of=AS_OF)
    assert summary.full and summary.added == len(SEEDS) and stored(con) == good
    con.execute("UPDATE refpipe_meta SET value = 'other' WHERE key = ?", [links_incremental.FORMAT_KEY])
    con.execute("DELETE FROM capacity_links")
    assert links_store.recompute(con, as_of=AS_OF).full and stored(con) == good
    assert not links_store.recompute(con, as_of=AS_OF).full


def test_link_inputs_read_set_based_are_those_of_the_documents(con: duckdb.DuckDBPyConnection) -> None:
    for d in [*documents(ALL), twin()]:
        wh.load(d, con)
    inputs = read_link_inputs(con)
    assert inputs == tuple(sorted((link_input(read_document(con, i.id)) for i in inputs), key=lambda i: i.id))
    assert {i.id for i in inputs} == {d.id for d in [*documents(ALL), twin()]}
    assert read_link_inputs(con, [doc(DD).id]) == (link_input(read_document(con, doc(DD).id)),)
