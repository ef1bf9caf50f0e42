"""The version-2 RNCP views say what `show --json` says: blocs' compétences, certifiers with SIRET, access
routes, statistics, partners — one row per item, in the fiche's order."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from golden import FIXTURES

from pipeline.load import warehouse as wh
from pipeline.load.rncp_export import import_export
from pipeline.query.show import show_json

EXPORTS = FIXTURES / "rncp-export"


@pytest.fixture(scope="module")
def con(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    c = wh.connect(Path(tmp_path_factory.mktemp("v2views")) / "w.duckdb")
    for name in ("export_fiches_RNCP_V4_1_2026-12-07.xml", "export-fiches-rncp-v4-1-2026-11-23.zip"):
        assert import_export(EXPORTS / name, c).status == "loaded"
    yield c
    c.close()


def _rows(con: duckdb.DuckDBPyConnection, sql: str, code: str) -> list[tuple[Any, ...]]:
    return con.execute(sql, [code]).fetchall()


def test_each_fiche_s_v2_items_are_its_view_rows(con: duckdb.DuckDBPyConnection) -> None:
    codes = [r[0] for r in con.execute("SELECT code FROM v_rncp_fiches ORDER BY code").fetchall()]
    assert len(codes) > 300
    # show_json costs ~0.1 s a fiche: every fiche of the hand-written V4.1 export, and every 10th of the other
    codes = [c for i, c in enumerate(codes) if c.startswith("RNCP9000") or i % 10 == 0]
    seen = {"competences": 0, "certifiers": 0, "routes": 0, "statistics": 0, "partners": 0}
    for code in codes:
        rncp = show_json(con, code)["rncp"]
        competences = [(b["code"], b["title"], text) for b in rncp["blocks"] for text in b["competences"]]
        assert _rows(con, "SELECT block_code, block_title, competence FROM v_rncp_block_competences "
                          "WHERE rncp_code = ? AND is_latest ORDER BY block_ord, ord", code) == competences
        certifiers = [(c["name"], c["siret"], c["active"]) for c in rncp["certifier_details"]]
        assert _rows(con, "SELECT certifier, siret, certifier_active FROM v_rncp_certifier_details "
                          "WHERE rncp_code = ? AND is_latest ORDER BY certifier_number", code) == certifiers
        routes = [(r["route"], r["open"], r["jury"]) for r in rncp["access_routes"]]
        assert _rows(con, "SELECT route, route_open, jury FROM v_rncp_access_routes "
                          "WHERE rncp_code = ? AND is_latest ORDER BY ord", code) == routes
        stats = [(s["year"], s["certified"], s["certified_vae"], s["employment_6m"], s["job_2y"])
                 for s in rncp["statistics"]]
        assert _rows(con, "SELECT year, certified, certified_vae, employment_6m, job_2y FROM v_rncp_statistics "
                          "WHERE rncp_code = ? AND is_latest ORDER BY ord", code) == stats
        partners = [(p["name"], p["siret"], p["habilitation"], p["state"]) for p in rncp.get("partners") or []]
        assert _rows(con, "SELECT partner, siret, habilitation, partner_state FROM v_rncp_partners "
                          "WHERE rncp_code = ? AND is_latest ORDER BY ord", code) == partners
        for name, items in (("competences", competences), ("certifiers", certifiers), ("routes", routes),
                            ("statistics", stats), ("partners", partners)):
            seen[name] += len(items)
    # the fixtures hold every kind of item, so each comparison above compared something
    assert all(n > 0 for n in seen.values()), seen


def test_the_views_number_items_from_one_and_keep_the_split_method(con: duckdb.DuckDBPyConnection) -> None:
    firsts = con.execute("SELECT DISTINCT competence_number FROM v_rncp_block_competences WHERE ord = 0").fetchall()
    assert firsts == [(1,)]
    methods = {r[0] for r in con.execute("SELECT DISTINCT split_method FROM v_rncp_block_competences").fetchall()}
    assert methods and None not in methods
