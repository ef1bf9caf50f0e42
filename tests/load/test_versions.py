"""Document identity and versions at load time, and stored diffs, on the real version fixtures."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import duckdb
import pytest
from golden import FIXTURES
from parsed import parsed

from pipeline.load import warehouse as wh
from pipeline.load.versions import list_versions, refine_keys, rekey, title_version_key
from pipeline.query.read import read_document
from pipeline.records import Document, Status
from pipeline.runtime.compare import compare
from pipeline.runtime.version_diffs import diff_new_versions

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
def con(tmp_path: Path, new_warehouse: Callable[[Path], Path]) -> Iterator[duckdb.DuckDBPyConnection]:
    c = wh.connect(new_warehouse(tmp_path / "w.duckdb"))
    yield c
    c.close()


def versions(con: duckdb.DuckDBPyConnection) -> list[tuple[str, int, str, date, str | None]]:
    return [(r.key, r.version, r.document_id, r.valid_from, r.previous_id) for r in list_versions(con)]


def test_unnumbered_referentiel_versions_share_a_title_key(con: duckdb.DuckDBPyConnection) -> None:
    v1, v2 = doc(CQPM_V1), doc(CQPM_V2)
    assert v1.cqpm and v1.cqpm.number is None  # neither version prints its CQPM number
    assert wh.load(v1, con) and wh.load(v2, con)
    key = title_version_key(TITLE_001)
    assert key and key.startswith("CQPM-T")
    # v1 states no date: no valid_from (an ingestion date is never mixed in), placed by ingestion order
    assert versions(con) == [(key, 1, v1.id, None, None), (key, 2, v2.id, date(2021, 5, 2), v1.id)]
    sources = con.execute("SELECT version, valid_from_source, ordered_by_ingestion FROM v_versions "
                          "ORDER BY version").fetchall()
    assert sources == [(1, "ingested_at", True), (2, "last_modified", False)]
    assert con.execute("SELECT document_id, version FROM v_latest").fetchall() == [(v2.id, 2)]


def test_rncp_versions_are_keyed_by_code_and_dated_by_the_registration(con: duckdb.DuckDBPyConnection) -> None:
    v1, v2 = doc(RNCP_V1), doc(RNCP_V2)
    wh.load(v1, con)
    wh.load(v2, con)
    assert versions(con) == [("RNCP28242", 1, v1.id, date(2017, 4, 7), None),
                             ("RNCP28242", 2, v2.id, date(2017, 9, 5), v1.id)]
    assert con.execute("SELECT DISTINCT valid_from_source FROM v_versions").fetchall() == [
        ("registration.decision",)]


def test_versions_ingested_newest_first_are_ordered_by_their_stated_dates(con: duckdb.DuckDBPyConnection) -> None:
    """The 2017-04 fiche loaded after the 2017-09 one becomes version 1; previous_id follows, and the
    diff at ingest compares 1 -> 2 (the stale 2 -> 1 pair is not the chain's any more)."""
    v1, v2 = doc(RNCP_V1), doc(RNCP_V2)
    wh.load(v2, con)
    assert diff_new_versions(con).stored == ()  # a chain of one
    wh.load(v1, con)
    rows = [(r.version, r.document_id, r.valid_from, r.previous_id, r.is_latest, r.dated_before_earlier_version)
            for r in list_versions(con)]
    assert rows == [(1, v1.id, date(2017, 4, 7), None, False, False),
                    (2, v2.id, date(2017, 9, 5), v1.id, True, False)]
    assert len(diff_new_versions(con).stored) == 1
    assert con.execute("SELECT old_document_id, new_document_id, old_version, new_version, consecutive "
                       "FROM v_diff_runs").fetchall() == [(v1.id, v2.id, 1, 2, True)]
    assert con.execute("SELECT document_id FROM v_latest").fetchall() == [(v2.id,)]


def test_an_undated_version_keeps_its_ingestion_place(con: duckdb.DuckDBPyConnection) -> None:
    """The CQPM pair: v2 states 2021-05-02, v1 states no date.  Ingested v2 first, v1 cannot be placed by a
    date: it follows the versions ingested before it, flagged as ordered by ingestion."""
    v1, v2 = doc(CQPM_V1), doc(CQPM_V2)
    wh.load(v2, con)
    wh.load(v1, con)
    rows = con.execute("SELECT version, document_id, valid_from, ordered_by_ingestion FROM v_versions "
                       "ORDER BY version").fetchall()
    assert rows == [(1, v2.id, date(2021, 5, 2), False), (2, v1.id, None, True)]


def _cut_copy(full: Document, *, last_modified: date | None = None) -> Document:
    """A copy of ``full`` cut short (its first capacities), loaded ``partial`` as the parser would."""
    assert full.cqpm is not None
    cqpm = dataclasses.replace(full.cqpm, capacities=full.cqpm.capacities[:3],
                               last_modified=last_modified or full.cqpm.last_modified)
    source = dataclasses.replace(full.source, sha256="c" * 64, path="inbox/cut.txt")
    return dataclasses.replace(full, cqpm=cqpm, source=source, status=Status.PARTIAL, reasons=("a cut copy",))


@pytest.mark.parametrize("cut_first", [False, True], ids=["cut-after", "cut-before"])
def test_a_cut_copy_never_hides_the_complete_version_of_the_same_date(con: duckdb.DuckDBPyConnection,
                                                                       cut_first: bool) -> None:
    """A partial copy (a cut file in the inbox) of the version in force states the same date: it became
    the latest version, so `show CQPM-…`, v_referentiels, links and search saw a référentiel missing
    capacities.  The complete one stays the latest whatever the ingestion order."""
    full = doc(CQPM_V2)
    cut = _cut_copy(full)
    for d in ([cut, full] if cut_first else [full, cut]):
        assert wh.load(d, con)
    rows = versions(con)
    assert [(r[1], r[2]) for r in rows] == [(1, cut.id), (2, full.id)]
    assert con.execute("SELECT document_id FROM v_latest").fetchall() == [(full.id,)]


def test_a_cut_copy_loaded_after_both_versions_stays_out_of_the_chain_of_changes(
        con: duckdb.DuckDBPyConnection) -> None:
    """v1, then v2, then a cut copy of v2 (same date): the chain was v1 -> cut -> v2, so the stored diffs
    showed the capacities the cut lacks as removed (v1 -> cut) then added (cut -> v2).  The cut copy is
    listed but chains nowhere: v2 follows v1, and the only stored diff is v1 -> v2."""
    v1, v2 = doc(CQPM_V1), doc(CQPM_V2)
    cut = _cut_copy(v2)
    for d in (v1, v2, cut):
        assert wh.load(d, con)
    diff_new_versions(con)
    chain = {r[2]: (r[1], r[4]) for r in versions(con)}
    assert chain[v1.id][1] is None and chain[v2.id][1] == v1.id  # v2 follows v1, not the cut
    assert chain[cut.id][1] is None  # the cut copy is no change of anything
    assert [c[0] for c in sorted(chain.values())] == [1, 2, 3]
    assert chain[v2.id][0] == 3  # the complete version is the latest
    assert con.execute("SELECT document_id FROM v_latest").fetchall() == [(v2.id,)]
    assert con.execute("SELECT old_document_id, document_id FROM diff_runs").fetchall() == [(v1.id, v2.id)]


def test_a_cut_copy_of_a_later_version_is_the_latest(con: duckdb.DuckDBPyConnection) -> None:
    full = doc(CQPM_V2)
    assert full.cqpm is not None and full.cqpm.last_modified is not None
    later = _cut_copy(full, last_modified=date(2022, 1, 1))
    assert wh.load(full, con) and wh.load(later, con)
    assert [(r[1], r[2]) for r in versions(con)] == [(1, full.id), (2, later.id)]


def test_the_version_in_force_at_a_date(con: duckdb.DuckDBPyConnection) -> None:
    v1, v2 = doc(RNCP_V1), doc(RNCP_V2)
    wh.load(v2, con)
    wh.load(v1, con)
    periods = con.execute("SELECT version, valid_from, valid_to FROM v_versions ORDER BY version").fetchall()
    assert periods == [(1, date(2017, 4, 7), date(2017, 9, 4)), (2, date(2017, 9, 5), date(9999, 12, 31))]
    at = "SELECT document_id FROM v_versions WHERE DATE '{}' BETWEEN valid_from AND valid_to"
    assert con.execute(at.format("2017-06-01")).fetchall() == [(v1.id,)]
    assert con.execute(at.format("2017-09-05")).fetchall() == [(v2.id,)]
    assert con.execute(at.format("2017-01-01")).fetchall() == []  # before its first stated date
    assert con.execute("SELECT document_id FROM versions_as_of('2017-06-01')").fetchall() == [(v1.id,)]


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
    """The header PDF prints the number and date the v1 PDF and the seed text leave out, and otherwise says
    the same: it is v1 with its header, so it takes v1's place (one version, three sources) under
    CQPM-0195, dated 2007-01-09, before v2 (2021-05-02)."""
    seed, header = doc(SEED_001), doc(HEADER_001)
    for d in (doc(CQPM_V1), doc(CQPM_V2), seed):
        wh.load(d, con)
    assert header.cqpm and header.cqpm.number == "0195" and header.cqpm.title == TITLE_001
    assert wh.load(header, con)
    assert seed.id == doc(CQPM_V1).id  # the seed says what the v1 PDF says: one document
    assert versions(con) == [("CQPM-0195", 1, header.id, date(2007, 1, 9), None),
                             ("CQPM-0195", 2, doc(CQPM_V2).id, date(2021, 5, 2), header.id)]
    assert con.execute("SELECT count(*) FROM documents WHERE id = ?", [seed.id]).fetchone() == (0,)
    assert con.execute("SELECT count(*) FROM cqpm_capacities WHERE document_id = ?", [seed.id]).fetchone() == (0,)


def test_one_referentiel_in_every_rendering_is_one_version(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    """Issue 15's Done-when: seed 001 as text, as its two PDFs, as the PDF printing its header block, and a copy
    of the text with trailing bytes give ONE version of CQPM-0195.

    What "one version" means with the header PDF: it prints what the others leave out (number 0195,
    qualification, category, "Dernière modification : 09/01/2007") and says the same otherwise, so the
    identity ignores the header block when one rendering lacks it: the header rendering holds the rows
    (number and date known), the others are its sources.  Headers that contradict each other (two dates)
    would be two versions."""
    trailing = tmp_path / "001_copy.txt"
    trailing.write_bytes(SEED_001.read_bytes() + b"\n\n  \n")
    paths = [SEED_001, FIXTURES / "pdf" / "001_1b606db1c3205ecb.rl-portrait-grid.pdf",
             FIXTURES / "pdf" / "001_1b606db1c3205ecb.lo-landscape-hrules.pdf", trailing, HEADER_001]
    header = doc(HEADER_001)
    for order in (paths, list(reversed(paths))):
        for p in order:
            wh.load(doc(p), con)
        rows = [(r.key, r.version, r.document_id, r.valid_from, r.valid_from_source) for r in list_versions(con)]
        assert rows == [("CQPM-0195", 1, header.id, date(2007, 1, 9), "last_modified")]
        held = {r[0] for r in con.execute("SELECT s.path FROM document_sources x JOIN sources s ON "
                                          "s.sha256 = x.source_sha256 WHERE x.document_id = ?", [header.id]).fetchall()}
        assert held == {str(p) for p in paths}  # every source kept, each with its own sources row
        # each file is shown as it reads: the text does not print the header block the document holds
        as_text = read_document(con, header.id, doc(SEED_001).source.sha256).cqpm
        as_header = read_document(con, header.id, header.source.sha256).cqpm
        assert as_text is not None and as_header is not None
        assert (as_text.number, as_text.last_modified) == (None, None)
        assert (as_header.number, as_header.last_modified) == ("0195", date(2007, 1, 9))
        con.execute("DELETE FROM document_sources")
        for table in wh.DOCUMENT_TABLES:
            con.execute(f"DELETE FROM {table}")


def test_sources_of_stored_content_loaded_together_are_those_loaded_one_at_a_time(tmp_path: Path) -> None:
    """``load_together`` adds the sources of stored content in one statement per table, after the documents
    stored before them in the batch: the same rows as ``load`` file by file, including a batch where the
    header rendering absorbs a stored rendering and a later copy of that rendering must go to the header."""

    def copy(d: Document, n: int) -> Document:  # other bytes, same content
        return dataclasses.replace(d, source=dataclasses.replace(d.source, sha256=f"{n:064x}", path=f"copy-{n}.txt"))

    seed, header = doc(SEED_001), doc(HEADER_001)
    pdf = doc(FIXTURES / "pdf" / "001_1b606db1c3205ecb.rl-portrait-grid.pdf")
    assert pdf.id == seed.id != header.id
    before = [seed]  # stored first, in a batch of its own
    batch = [copy(seed, 1), pdf, copy(seed, 2), header, copy(seed, 3), copy(header, 4), doc(RNCP_V1), copy(seed, 5)]
    one, together = wh.connect(tmp_path / "one.duckdb"), wh.connect(tmp_path / "together.duckdb")
    try:
        assert [wh.load(d, one) for d in before] == wh.load_together(before, together) == [True]
        assert [wh.load(d, one) for d in batch] == wh.load_together(batch, together)
        for sql in ("SELECT id, key, version FROM documents ORDER BY id",
                    "SELECT document_id, source_sha256 FROM document_sources ORDER BY ALL",
                    "SELECT sha256, path, status FROM sources ORDER BY sha256"):
            assert one.execute(sql).fetchall() == together.execute(sql).fetchall(), sql
        held = together.execute("SELECT count(*) FROM document_sources WHERE document_id = ?", [header.id]).fetchone()
        assert held == (8,)  # seed, its 4 copies, the PDF, the header and its copy
    finally:
        one.close()
        together.close()


def test_an_unnumbered_version_joins_the_numbered_key_of_its_title(con: duckdb.DuckDBPyConnection) -> None:
    wh.load(doc(HEADER_001), con)
    wh.load(doc(CQPM_V2), con)  # prints no number, changes the body: a later version of CQPM-0195
    assert [(k, v, i) for k, v, i, *_ in versions(con)] == [("CQPM-0195", 1, doc(HEADER_001).id),
                                                           ("CQPM-0195", 2, doc(CQPM_V2).id)]


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
