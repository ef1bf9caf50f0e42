"""Derived tables: recomputed from the warehouse, independent of ingest order, queried through the views."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest
from golden import FIXTURES, load_gold
from parsed import parsed

from pipeline.link.render import contract_links
from pipeline.load import warehouse as wh
from pipeline.records import Document
from pipeline.runtime import links as links_store

SEEDS = sorted((FIXTURES / "seeds").glob("*.txt"))
PDFS = sorted((FIXTURES / "pdf").glob("*.pdf"))
DD, QSE, MGMT, RNCP_QSE, RNCP_RH = SEEDS
AS_OF = date(2025, 1, 1)
GOLD = load_gold(FIXTURES / "gold" / "links.json")
GOLD_MAP = [(m["rncp"], m["cqpm"]) for m in GOLD[0]["capacity_map"]]


def doc(path: Path) -> Document:
    return parsed(path)


@pytest.fixture
def con(tmp_path: Path, new_warehouse: Callable[[Path], Path]) -> Iterator[duckdb.DuckDBPyConnection]:
    c = wh.connect(new_warehouse(tmp_path / "w.duckdb"))
    yield c
    c.close()


def snapshot(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[Any, ...]]]:
    """Every derived table's rows without the computation timestamp."""
    out = {}
    for table in links_store.DERIVED_TABLES:
        cols = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall() if r[0] != "computed_at"]
        out[table] = sorted(con.execute(f"SELECT {', '.join(cols)} FROM {table}").fetchall(), key=repr)
    return out


def ingest_one_at_a_time(con: duckdb.DuckDBPyConnection, paths: list[Path]) -> None:
    for path in paths:
        assert wh.load(doc(path), con)
        links_store.recompute(con, as_of=AS_OF)


def test_recompute_stores_the_seed_link_its_map_and_the_inferred_number(con: duckdb.DuckDBPyConnection) -> None:
    ingest_one_at_a_time(con, SEEDS)
    assert con.execute("SELECT rncp, cqpm, cqpm_number_source, method, mapped_capacities, cqpm_printed_number "
                       "FROM v_links").fetchall() == [("RNCP28242", "0195", "inferred", "capacities", 8, None)]
    rows = con.execute("SELECT rncp_capacity, cqpm_capacity, rncp_position, cqpm_position, reordered "
                       "FROM v_capacity_crosswalk").fetchall()
    assert [(r, c) for r, c, *_ in rows] == GOLD_MAP
    assert [r[4] for r in rows] == [False, True, True, True, True, False, False, False]  # C2..C5 moved
    assert rows[1][2:4] == (2, 4)  # C2 is 2nd in the fiche and 4th in the référentiel
    assert con.execute("SELECT document_id, number, evidence_document_id, evidence_field FROM inferred_numbers"
                       ).fetchall() == [(doc(QSE).id, "0195", doc(RNCP_QSE).id, "rncp_fiches.history_cqpm_number")]
    # the contract's number stays what the file says
    assert con.execute("SELECT number FROM cqpm_referentiels WHERE document_id = ?", [doc(QSE).id]).fetchone() == (
        None,)


def test_ingest_order_does_not_matter(tmp_path: Path) -> None:
    snapshots = []
    for k, order in enumerate([SEEDS, list(reversed(SEEDS)), [RNCP_QSE, DD, RNCP_RH, QSE, MGMT]]):
        c = wh.connect(tmp_path / f"w{k}.duckdb")
        try:
            ingest_one_at_a_time(c, order)
            snapshots.append(snapshot(c))
        finally:
            c.close()
    assert snapshots[0] == snapshots[1] == snapshots[2]
    assert len(snapshots[0]["links"]) == 1 and len(snapshots[0]["capacity_links"]) == 8


def test_a_link_appears_when_its_referentiel_arrives(con: duckdb.DuckDBPyConnection) -> None:
    ingest_one_at_a_time(con, [RNCP_QSE, RNCP_RH, DD])
    assert con.execute("SELECT count(*) FROM links").fetchone() == (0,)
    assert links_store.is_current(con)
    assert wh.load(doc(QSE), con)
    assert not links_store.is_current(con)  # a document arrived since: readers compute in memory
    found, stale = links_store.current_links(con)
    assert stale and [(x.rncp_code, x.cqpm_number) for x in found] == [("RNCP28242", "0195")]
    assert con.execute("SELECT count(*) FROM links").fetchone() == (0,)  # nothing written by a reader
    links_store.recompute(con, as_of=AS_OF)
    assert links_store.is_current(con) and links_store.current_links(con) == (found, False)


def test_recompute_replaces_rather_than_appends(con: duckdb.DuckDBPyConnection) -> None:
    ingest_one_at_a_time(con, SEEDS)
    first = snapshot(con)
    summary = links_store.recompute(con, as_of=AS_OF)
    assert snapshot(con) == first
    assert (summary.documents, summary.links, summary.capacity_links, summary.inferred_numbers, summary.findings) == (
        5, 1, 8, 1, 3)


def test_quality_findings_view(con: duckdb.DuckDBPyConnection) -> None:
    ingest_one_at_a_time(con, SEEDS)
    rows = con.execute("SELECT severity, rule, subject, source_path, reference, as_of FROM v_quality_findings"
                       ).fetchall()
    assert rows == [
        ("warning", "registration_expired", "registration", str(RNCP_QSE), "RNCP28242", AS_OF),
        ("warning", "registration_expired", "registration", str(RNCP_RH), "RNCP28235", AS_OF),
        ("info", "capacity_list_wording", "capacity 6", str(QSE), None, AS_OF),
    ]
    links_store.recompute(con, as_of=date(2020, 1, 1))
    assert con.execute("SELECT rule FROM quality_findings").fetchall() == [("capacity_list_wording",)]


def test_criteria_reuse_counts_referentiels_not_renderings(con: duckdb.DuckDBPyConnection) -> None:
    ingest_one_at_a_time(con, SEEDS)
    rows = con.execute("SELECT criterion, referentiels, documents, referentiel_keys FROM v_criteria_reuse").fetchall()
    shared = "Les méthodes de collecte, de traitement, de suivi et de diffusion des informations sont décrites"
    assert [(r[0][:len(shared)], r[1], r[2]) for r in rows] == [(shared, 2, 2)]
    # the version keys (documents.key): QSE prints no number, the fiche's history gave it 0195
    dd_key = con.execute("SELECT key FROM documents WHERE id = ?", [doc(DD).id]).fetchone()
    assert dd_key and dd_key[0].startswith("CQPM-T") and rows[0][3] == ["CQPM-0195", dd_key[0]]
    for path in PDFS:  # the same référentiels again, as PDFs: still 2 référentiels, more documents
        wh.load(doc(path), con)
    links_store.recompute(con, as_of=AS_OF)
    rows = con.execute("SELECT referentiels, documents FROM v_criteria_reuse").fetchall()
    # 7 files, 2 documents: PDFs saying what a text says are its sources, and the PDF printing seed 001's
    # header block (number, date) the text leaves out is that same document (it holds the rows)
    assert rows == [(2, 2)]


def test_text_and_pdf_renderings_give_one_row_per_document_pair_and_one_contract_link(
        con: duckdb.DuckDBPyConnection) -> None:
    for path in SEEDS + PDFS:
        wh.load(doc(path), con)
    links_store.recompute(con, as_of=AS_OF)
    pairs = con.execute("SELECT rncp, cqpm, method, is_latest, count(*) FROM v_link_versions "
                        "GROUP BY ALL ORDER BY ALL").fetchall()
    # 3 fiche files and 4 référentiel files, 2 and 1 distinct contents (the header PDF of seed 001 is the
    # référentiel with its header; the fiche's text reads no "Accessible en Nouvelle Calédonie" where its PDFs
    # read False: two documents, two versions of RNCP28242 with one date): 2 document pairs (were 12 file pairs)
    assert pairs == [("RNCP28242", "0195", "history", False, 1), ("RNCP28242", "0195", "history", True, 1)]
    assert con.execute("SELECT rncp, cqpm, count(*) FROM v_links GROUP BY ALL").fetchall() == [
        ("RNCP28242", "0195", 1)]  # the latest versions only
    entries = contract_links(links_store.read_links(con))
    assert [(e["rncp"], e["cqpm"], len(e["documents"])) for e in entries] == [("RNCP28242", "0195", 2)]
    assert [(m["rncp"], m["cqpm"]) for m in entries[0]["capacity_map"]] == GOLD_MAP
    crosswalk = con.execute("SELECT count(*), count(DISTINCT rncp_document_id || cqpm_document_id) "
                            "FROM v_capacity_crosswalk").fetchone()
    assert crosswalk == (8, 1)


def test_read_links_round_trips_the_computed_links(con: duckdb.DuckDBPyConnection) -> None:
    for path in itertools.chain(SEEDS, PDFS):
        wh.load(doc(path), con)
    links_store.recompute(con, as_of=AS_OF)
    computed = links_store.derive(links_store.read_all(con), AS_OF).links
    assert links_store.read_links(con) == tuple(sorted(computed, key=lambda x: (
        x.rncp_code, x.cqpm_number or "", x.rncp_document_id, x.cqpm_document_id)))


def test_findings_at_reads_back_what_derive_computes_at_any_date(con: duckdb.DuckDBPyConnection) -> None:
    """Stored findings come back as the ``Finding`` records computed (provenance included); at another
    date only the dated rules change, as a computation from scratch at that date finds; stale tables
    are computed in memory."""
    for path in itertools.chain(SEEDS, PDFS):
        wh.load(doc(path), con)
    links_store.recompute(con, as_of=AS_OF)

    def by_doc(found: tuple[Any, ...]) -> list[Any]:
        return sorted(found, key=lambda f: (f.document_id, f.rule, f.subject, f.related_document_id or "", repr(f)))

    for day in (None, date(2020, 1, 1), date(2031, 6, 30)):
        found, as_of = links_store.findings_at(con, day)
        assert as_of == (day or AS_OF)
        assert by_doc(found) == by_doc(links_store.derive(links_store.read_all(con), as_of).findings)
    assert {f.rule for f in links_store.findings_at(con, date(2031, 6, 30))[0]} > {
        f.rule for f in links_store.findings_at(con, date(2020, 1, 1))[0]}  # registration_expired appears
    wh.load(doc(SEEDS[0]), con, replace=True)  # a document loaded by another route: the tables are stale
    assert not links_store.is_current(con)
    before = date.today()
    found, as_of = links_store.findings_at(con, None)
    assert as_of in {before, date.today()}
    assert by_doc(found) == by_doc(links_store.derive(links_store.read_all(con), as_of).findings)


def test_views_are_documented_and_derived_rows_carry_provenance(con: duckdb.DuckDBPyConnection) -> None:
    views = dict(con.execute("SELECT view_name, comment FROM duckdb_views() WHERE NOT internal").fetchall())
    for view in ("v_links", "v_capacity_crosswalk", "v_quality_findings", "v_criteria_reuse"):
        assert views.get(view), f"{view} missing or without a comment"
    ingest_one_at_a_time(con, SEEDS)
    pages = con.execute("SELECT reading_order FROM capacity_links ORDER BY ord").fetchall()
    assert all(r[0] is not None for r in pages)  # each mapped RNCP capacity keeps its place in the fiche
    assert con.execute("SELECT count(*) FROM criterion_keys").fetchone() == (95,)


def test_unlinked_fiches_say_why(con: duckdb.DuckDBPyConnection) -> None:
    ingest_one_at_a_time(con, SEEDS)
    unlinked = links_store.unlinked_fiches(con, links_store.read_links(con))
    assert [(code, why[:25]) for code, _, why in unlinked] == [("RNCP28235", "history names CQPM 0264: ")]


def test_recompute_warehouse_opens_and_closes_the_file(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    c = wh.connect(path)
    for seed in SEEDS:
        wh.load(doc(seed), c)
    c.close()
    assert links_store.recompute_warehouse(path, as_of=AS_OF).links == 1
    c = wh.connect(path, read_only=True)
    try:
        assert links_store.is_current(c)
    finally:
        c.close()


def test_recompute_moves_an_unnumbered_referentiel_under_its_inferred_number(con) -> None:
    wh.load(doc(QSE), con)
    (key_before,) = con.execute("SELECT key FROM documents").fetchone()
    assert key_before.startswith("CQPM-T")  # seed 001 prints no number: a title key at first
    wh.load(doc(RNCP_QSE), con)
    links_store.recompute(con, as_of=AS_OF)
    keys = dict(con.execute("SELECT kind, key FROM documents").fetchall())
    assert keys == {"cqpm": "CQPM-0195", "rncp": "RNCP28242"}
