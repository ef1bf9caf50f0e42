"""Continuity and the branch view in a warehouse of fiche pages: v_rncp_continuity from both sides, the
one-sided declaration as a quality finding, ``show --current`` (function and CLI), v_branch_fiches."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import duckdb
import pytest
from golden import FIXTURES
from typer.testing import CliRunner

from pipeline.load import warehouse as wh
from pipeline.normalize.document import normalize_document
from pipeline.parse import extract_document
from pipeline.query.show import DocumentNotFound, show_json
from pipeline.runtime import links as links_store
from refpipe.cli import app

PAGES = FIXTURES / "rncp-page"
FICHES = ["RNCP28301.nfiche.txt", "RNCP34917.html", "RNCP39958.pipes-leading.md", "RNCP37001.pipes.md"]
SEED_003 = FIXTURES / "seeds" / "003_b7becefa6c01c81b.txt"  # RNCP28242, 2017 print, CPNE/UIMM, no SIRET


def build(target: Path, names: list[str], extra: tuple[Path, ...] = ()) -> Path:
    con = wh.connect(target)
    try:
        for path in [*(PAGES / n for n in names), *extra]:
            wh.load(normalize_document(extract_document(str(path))), con)
        links_store.recompute(con, as_of=date(2026, 12, 1))
    finally:
        con.close()
    return target


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("continuity") / "w.duckdb", FICHES, (SEED_003,))


@pytest.fixture
def con(warehouse: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    c = wh.connect(warehouse, read_only=True)
    yield c
    c.close()


def test_continuity_view_draws_edges_from_both_sides(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute("SELECT old_code, new_code, declared_by_old, declared_by_new, one_sided "
                       "FROM v_rncp_continuity").fetchall()
    assert rows == [("RNCP28301", "RNCP34917", False, True, True),
                    ("RNCP34917", "RNCP39958", True, True, False)]


def test_one_sided_declaration_is_a_quality_finding(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute("SELECT rule, severity, reference, subject FROM v_quality_findings "
                       "WHERE rule = 'continuity_one_sided'").fetchall()
    assert rows == [("continuity_one_sided", "warning", "RNCP34917", "continuity RNCP28301 -> RNCP34917")]


def test_show_current_follows_the_chain_to_the_fiche_in_force(con: duckdb.DuckDBPyConnection) -> None:
    data = show_json(con, "RNCP28301", current=True)
    assert data["rncp"]["code"] == "RNCP39958" and data["rncp"]["active"] is True
    assert data["current_of"] == {"reference": "RNCP28301", "chain": ["RNCP28301", "RNCP34917", "RNCP39958"]}
    assert show_json(con, "RNCP39958", current=True)["rncp"]["code"] == "RNCP39958"
    assert "current_of" not in show_json(con, "RNCP28301")  # without --current: the fiche asked for


def test_show_current_says_when_the_successor_is_not_in_the_warehouse(tmp_path: Path) -> None:
    target = build(tmp_path / "w.duckdb", ["RNCP34917.html"])
    con = wh.connect(target, read_only=True)
    try:
        with pytest.raises(DocumentNotFound, match="RNCP39958 is not in the warehouse"):
            show_json(con, "RNCP34917", current=True)
    finally:
        con.close()


def test_cli_show_current(warehouse: Path) -> None:
    result = CliRunner().invoke(app, ["show", "RNCP34917", "--current", "--warehouse", str(warehouse)])
    assert result.exit_code == 0, result.output
    assert "RNCP34917 -> RNCP39958" in result.output and "CQP Pilote de cellule" in result.output


def test_branch_view_selects_by_any_rule_and_says_which(con: duckdb.DuckDBPyConnection) -> None:
    rows = {r[0]: r[1] for r in con.execute("SELECT code, matched_rules FROM v_branch_fiches").fetchall()}
    assert rows == {
        "RNCP28242": ["uimm_name", "cpne", "ccn_3109", "title_cqpm"],  # 2017: CPNE – UIMM, no SIRET
        "RNCP28301": ["uimm_name", "cpne", "ccn_3109", "title_cqpm"],
        "RNCP34917": ["siret", "uimm_name", "cpne", "ccn_3109", "title_cqpm"],
        "RNCP39958": ["siret", "uimm_name"],  # 2025 name, no CCN line, no "(CQPM)"
    }  # RNCP37001: another branch's CPNE and CQP, not selected
    comment = con.execute("SELECT comment FROM duckdb_views() WHERE view_name = 'v_branch_fiches'").fetchone()
    assert comment and all(rule in comment[0] for rule in ("siret", "uimm_name", "cpne", "ccn_3109", "title_cqpm"))


def test_findings_follow_ingestion_one_file_at_a_time(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    """Batches in any order end with the findings of a single batch (the finding appears when the
    second fiche of the pair arrives)."""
    query = ("SELECT reference, subject, message FROM v_quality_findings WHERE rule = 'continuity_one_sided' "
             "ORDER BY ALL")
    target = tmp_path / "w.duckdb"
    seen = []
    for name in reversed(FICHES):
        build(target, [name])
        c = wh.connect(target, read_only=True)
        try:
            seen.append(len(c.execute(query).fetchall()))
            final = c.execute(query).fetchall()
        finally:
            c.close()
    assert seen == [0, 0, 0, 1]  # RNCP28301 comes last: only then are both sides known
    assert final == con.execute(query).fetchall()


def test_blocs_that_list_competences_not_capacity_codes_raise_no_block_findings(
        con: duckdb.DuckDBPyConnection) -> None:
    """A current fiche's blocs name no capacity codes: the 2017 block/capacity rules have nothing to check."""
    rules = {r[0] for r in con.execute("SELECT DISTINCT rule FROM v_quality_findings WHERE reference IN "
                                       "('RNCP34917', 'RNCP39958')").fetchall()}
    assert not any(rule.startswith("rncp_block_") for rule in rules), rules
