"""Document identity and versions at load time, and stored diffs, on the real version fixtures."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pytest
from golden import FIXTURES
from parsed import parsed

from pipeline.load import warehouse as wh
from pipeline.load.versions import list_versions, refine_keys, rekey, title_version_key
from pipeline.records import Document
from pipeline.runtime.compare import compare

CQPM_PAIR = FIXTURES / "versions" / "001_1b606db1c3205ecb.s1"
RNCP_PAIR = FIXTURES / "versions" / "003_b7becefa6c01c81b.s1"
SEED_001 = FIXTURES / "seeds" / "001_1b606db1c3205ecb.txt"
HEADER_001 = FIXTURES / "pdf" / "001_1b606db1c3205ecb.rl-portrait-grid.header.pdf"
TITLE_001 = "Coordonnateur (trice) de système Q, S, E (Qualité, Sécurité, Environnement)"


def doc(path: Path) -> Document:
    return parsed(path)


CQPM_V1 = CQPM_PAIR / "v1.rl-portrait-grid.pdf"
CQPM_V2 = CQPM_PAIR / "v2.rl-portrait-grid.pdf"
RNCP_V1 = RNCP_PAIR / "v1.lo-landscape-hrules.pdf"
RNCP_V2 = RNCP_PAIR / "v2.lo-landscape-hrules.pdf"


@pytest.fixture
def con(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    c = wh.connect(tmp_path / "w.duckdb")
    yield c
    c.close()


def versions(con: duckdb.DuckDBPyConnection) -> list[tuple[str, int, str, date, str | None]]:
    return [(r.key, r.version, r.document_id, r.valid_from, r.previous_id) for r in list_versions(con)]


def test_unnumbered_referentiel_versions_share_a_title_key(con: duckdb.DuckDBPyConnection) -> None:
    v1, v2 = doc(CQPM_V1), doc(CQPM_V2)
    assert v1.cqpm and v1.cqpm.number is None  # neither version prints its CQPM number
    before = datetime.now(UTC).date()
    assert wh.load(v1, con) and wh.load(v2, con)
    key = title_version_key(TITLE_001)
    assert key and key.startswith("CQPM-T")
    ingested = versions(con)[0][3]
    assert ingested in {before, datetime.now(UTC).date()}  # the ingestion date (UTC)
    assert versions(con) == [(key, 1, v1.id, ingested, None), (key, 2, v2.id, date(2021, 5, 2), v1.id)]
    sources = dict(con.execute("SELECT version, valid_from_source FROM v_versions").fetchall())
    assert sources == {1: "ingested_at", 2: "last_modified"}
    assert con.execute("SELECT document_id, version FROM v_latest").fetchall() == [(v2.id, 2)]


def test_rncp_versions_are_keyed_by_code_and_dated_by_the_registration(con: duckdb.DuckDBPyConnection) -> None:
    v1, v2 = doc(RNCP_V1), doc(RNCP_V2)
    wh.load(v1, con)
    wh.load(v2, con)
    assert versions(con) == [("RNCP28242", 1, v1.id, date(2017, 4, 7), None),
                             ("RNCP28242", 2, v2.id, date(2017, 9, 5), v1.id)]
    assert con.execute("SELECT DISTINCT valid_from_source FROM v_versions").fetchall() == [
        ("registration.decision",)]


def test_a_version_ingested_out_of_order_is_flagged(con: duckdb.DuckDBPyConnection) -> None:
    """Versions follow ingestion: the 2017-04 fiche loaded after the 2017-09 one is version 2 (the latest),
    and says that it prints an older date than an earlier version."""
    v1, v2 = doc(RNCP_V1), doc(RNCP_V2)
    wh.load(v2, con)
    wh.load(v1, con)
    rows = [(r.version, r.document_id, r.valid_from, r.is_latest, r.dated_before_earlier_version)
            for r in list_versions(con)]
    assert rows == [(1, v2.id, date(2017, 9, 5), False, False), (2, v1.id, date(2017, 4, 7), True, True)]
    wh.load(doc(CQPM_V1), con)  # a chain of one, and an undated first version: never flagged
    assert con.execute("SELECT count(*) FROM v_versions WHERE dated_before_earlier_version").fetchone() == (1,)


def test_versions_are_listed_on_views_older_than_the_flag(tmp_path: Path) -> None:
    """A reader never upgrades the views: on a warehouse whose v_versions predates the column, the
    versions are listed all the same (none flagged)."""
    path = tmp_path / "old.duckdb"
    con = wh.connect(path)
    wh.load(doc(RNCP_V1), con)
    con.execute("CREATE TABLE old_rows AS SELECT * EXCLUDE (dated_before_earlier_version) FROM v_versions")
    con.execute("CREATE OR REPLACE VIEW v_versions AS SELECT * FROM old_rows")  # the shape of the older views
    con.close()
    con = wh.connect(path, read_only=True)
    try:
        assert [(r.key, r.version, r.dated_before_earlier_version) for r in list_versions(con)] == [
            ("RNCP28242", 1, False)]
    finally:
        con.close()


def test_same_bytes_add_no_version_and_nothing_is_overwritten(con: duckdb.DuckDBPyConnection) -> None:
    wh.load(doc(RNCP_V1), con)
    wh.load(doc(RNCP_V2), con)
    before = versions(con)
    assert not wh.load(doc(RNCP_V1), con)
    assert versions(con) == before
    # the old version is still whole: its capacities can be read next to the new one's
    counts = dict(con.execute("SELECT document_id, count(*) FROM rncp_capacities GROUP BY 1").fetchall())
    assert counts == {doc(RNCP_V1).id: 8, doc(RNCP_V2).id: 9}


def test_replace_keeps_the_version(con: duckdb.DuckDBPyConnection) -> None:
    wh.load(doc(RNCP_V1), con)
    wh.load(doc(RNCP_V2), con)
    before = versions(con)
    assert wh.load(doc(RNCP_V1), con, replace=True)
    assert versions(con) == before


def test_a_numbered_version_adopts_the_title_keyed_chain(con: duckdb.DuckDBPyConnection) -> None:
    seed, header = doc(SEED_001), doc(HEADER_001)
    for d in (doc(CQPM_V1), doc(CQPM_V2), seed):
        wh.load(d, con)
    assert header.cqpm and header.cqpm.number == "0195" and header.cqpm.title == TITLE_001
    wh.load(header, con)
    rows = versions(con)
    # the seed says what the v1 PDF says: one document (content identity), so no version of its own
    assert seed.id == doc(CQPM_V1).id
    assert [(k, v, i) for k, v, i, _, _ in rows] == [
        ("CQPM-0195", 1, doc(CQPM_V1).id), ("CQPM-0195", 2, doc(CQPM_V2).id), ("CQPM-0195", 3, header.id)]
    assert [p for *_, p in rows] == [None, doc(CQPM_V1).id, doc(CQPM_V2).id]
    assert rows[2][3] == date(2007, 1, 9)


def test_an_unnumbered_version_joins_the_numbered_key_of_its_title(con: duckdb.DuckDBPyConnection) -> None:
    wh.load(doc(HEADER_001), con)
    wh.load(doc(SEED_001), con)
    assert [(k, v) for k, v, *_ in versions(con)] == [("CQPM-0195", 1), ("CQPM-0195", 2)]


def test_rekey_appends_a_chain_after_the_target_chain(con: duckdb.DuckDBPyConnection) -> None:
    for d in (doc(CQPM_V1), doc(CQPM_V2)):
        wh.load(d, con)
    key = title_version_key(TITLE_001)
    assert key
    con.execute("UPDATE documents SET key = 'CQPM-9999' WHERE id = ?", [doc(CQPM_V1).id])
    con.execute("UPDATE documents SET version = '1', previous_id = NULL WHERE id = ?", [doc(CQPM_V2).id])
    assert rekey(con, key, "CQPM-9999") == (doc(CQPM_V2).id,)
    assert [(k, v, p) for k, v, _, _, p in versions(con)] == [("CQPM-9999", 1, None),
                                                                ("CQPM-9999", 2, doc(CQPM_V1).id)]


def test_views_and_diff_tables_are_documented(con: duckdb.DuckDBPyConnection) -> None:
    views = dict(con.execute("SELECT view_name, comment FROM duckdb_views() WHERE NOT internal").fetchall())
    for name in ("v_versions", "v_latest", "v_diff_changes"):
        assert views.get(name), f"{name} missing or without a comment"
    tables = dict(con.execute("SELECT table_name, comment FROM duckdb_tables()").fetchall())
    assert tables.get("diff_runs") and tables.get("diff_items")
    assert "previous_id" in {r[0] for r in con.execute("DESCRIBE documents").fetchall()}


def test_diffs_are_stored_and_queryable(con: duckdb.DuckDBPyConnection) -> None:
    for path in (CQPM_V1, CQPM_V2):
        wh.load(doc(path), con)
    report = compare(con, str(CQPM_V1), str(CQPM_V2))
    assert report.run_id and (report.old.version, report.new.version) == (1, 2)
    again = compare(con, f"{report.old.key}@1", f"{report.new.key}@latest")
    assert again.run_id == report.run_id  # the same comparison replaces its rows
    runs = con.execute("SELECT changes, added, removed, changed, moved FROM diff_runs").fetchall()
    assert runs == [(7, 2, 1, 2, 2)]
    row = con.execute(
        "SELECT old_value, new_value, old_number, new_number, old_page, new_page, capacity FROM v_diff_changes "
        "WHERE entity = 'criterion' AND kind = 'changed'").fetchone()
    assert row is not None
    assert row[0].endswith("sont cohérentes avec la politique Q, S, E.")
    assert row[1].endswith("sont conformes avec la politique Q, S, E.")
    assert row[2:6] == ("8.3", "8.3", 3, 3)
    assert row[6] == "Réaliser un audit au regard d'un référentiel interne ou externe"
    moved = con.execute("SELECT old_value, new_value FROM v_diff_changes WHERE kind = 'moved' "
                        "ORDER BY change_number").fetchall()
    assert moved == [("4", "2"), ("2", "4")]
    added = con.execute("SELECT detail::JSON->>'$.criteria[1]' FROM diff_items WHERE entity = 'capacity' "
                        "AND kind = 'added'").fetchone()
    assert added == ("Les écarts constatés sont analysés et donnent lieu à des propositions d'amélioration "
                     "chiffrées.",)


def test_an_inferred_number_refines_a_title_key(con: duckdb.DuckDBPyConnection) -> None:
    """The linker found the number of the unnumbered référentiel in RNCP 28242's history."""
    v1, v2, fiche = doc(CQPM_V1), doc(CQPM_V2), doc(RNCP_V1)
    for d in (v1, v2, fiche):
        wh.load(d, con)
    assert refine_keys(con) == ()  # nothing inferred yet
    con.execute("CREATE TABLE IF NOT EXISTS inferred_numbers (document_id VARCHAR, source_sha256 VARCHAR, "
                "ord INTEGER, number VARCHAR, evidence_document_id VARCHAR, evidence_field VARCHAR, "
                "rncp_code VARCHAR, score DOUBLE, reason VARCHAR)")
    con.execute("INSERT INTO inferred_numbers (document_id, source_sha256, ord, number, evidence_document_id, "
                "evidence_field, rncp_code, score, reason) VALUES (?, ?, 0, '0195', ?, "
                "'rncp_fiches.history_cqpm_number', 'RNCP28242', 0.95, 'test')",
                [v2.id, v2.source.sha256, fiche.id])
    assert refine_keys(con) == (v1.id, v2.id)
    assert [(k, v, i) for k, v, i, _, _ in versions(con)] == [
        ("CQPM-0195", 1, v1.id), ("CQPM-0195", 2, v2.id), ("RNCP28242", 1, fiche.id)]
    assert not wh.load(doc(SEED_001), con)  # the seed says what v1 says: the same document, a new source
    seed = doc(SEED_001)
    assert seed.cqpm is not None
    later = dataclasses.replace(seed, cqpm=dataclasses.replace(seed.cqpm, objective=f"{seed.cqpm.objective} (révisé)"))
    wh.load(later, con)  # a later unnumbered version of the same title joins the numbered key
    assert versions(con)[2][:2] == ("CQPM-0195", 3)
