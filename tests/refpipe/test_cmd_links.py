"""`refpipe links` and `refpipe quality`, on warehouses filled by the real flow (one file at a time, in
two orders) and by the pipeline functions; the links JSON is scored against the contract's gold."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from cli_runner import refpipe
from golden import FIXTURES, load_gold
from parsed import parsed
from seed_warehouse import SEEDS_ONLY, seed_warehouse
from typer.testing import CliRunner

from pipeline.load import warehouse as wh
from pipeline.runtime import links as links_store
from refpipe.cli import app

SCORE = Path(__file__).resolve().parents[1] / "fixtures" / "score.py"  # copy of ../shared/tools/score.py
SEEDS = sorted((FIXTURES / "seeds").glob("*.txt"))
GOLD_PATH = FIXTURES / "gold" / "links.json"
ORDERS = {"forward": SEEDS, "backward": list(reversed(SEEDS))}
runner = CliRunner()


def pairs_and_maps(links: list[dict[str, object]]) -> tuple[set[tuple[str, str]], set[tuple[str, str, object]]]:
    pairs = {(str(x["rncp"]), str(x["cqpm"])) for x in links}
    maps = {(str(x["rncp"]), str(m["rncp"]), m["cqpm"]) for x in links for m in x["capacity_map"]}  # type: ignore[attr-defined]
    return pairs, maps


def score(pred: Path) -> str:
    """The shared scorer's summary line (``links: pair_f1=… capmap_f1=…``)."""
    assert SCORE.is_file(), f"the conformance scorer is missing: {SCORE}"
    result = subprocess.run([sys.executable, str(SCORE), "links", str(GOLD_PATH), str(pred)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    return next(line for line in result.stdout.splitlines() if line.startswith("links:"))


@pytest.fixture(scope="module")
def flow_warehouses(prefect_harness: None, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One warehouse per order, each seed ingested by its own flow run (links recomputed every time)."""
    from flows.ingest import ingest_flow

    out = {}
    for name, order in ORDERS.items():
        warehouse = tmp_path_factory.mktemp(name) / "w.duckdb"
        for path in order:
            outcomes = ingest_flow([str(path)], str(warehouse))
            assert [o.status for o in outcomes] in (["loaded"], ["partial"])
        out[name] = warehouse
    return out


@pytest.mark.e2e
@pytest.mark.parametrize("order", list(ORDERS))
def test_links_json_scores_f1_1_whatever_the_ingest_order(flow_warehouses: dict[str, Path], order: str,
                                                           tmp_path: Path) -> None:
    result = refpipe("links", "--json", "-w", str(flow_warehouses[order]))
    assert result.returncode == 0, result.stderr
    assert "note:" not in result.stderr  # the flow stored the links: nothing computed on the fly
    links = json.loads(result.stdout)
    assert pairs_and_maps(links) == pairs_and_maps(load_gold(GOLD_PATH))
    assert [(x["method"], x["cqpm_number_source"]) for x in links] == [("capacities", "inferred")]
    assert Path(links[0]["rncp_source"]).name == SEEDS[3].name and Path(links[0]["cqpm_source"]).name == SEEDS[1].name
    pred = tmp_path / "links.json"
    pred.write_text(result.stdout, encoding="utf-8")
    assert re.search(r"pair_f1=1\.000 capmap_f1=1\.000", score(pred))


@pytest.fixture(scope="module")
def seeded() -> Path:
    """The shared seed warehouse (links recomputed as of 2025-01-01); these commands only read it."""
    return seed_warehouse(SEEDS_ONLY)


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "200"})
    return result.exit_code, result.output


def test_links_prints_a_readable_summary(seeded: Path) -> None:
    code, output = invoke("links", "-w", str(seeded))
    assert code == 0, output
    assert "RNCP28242 ↔ CQPM 0195 (inferred)  method=capacities" in output
    assert "C1→1  C2→4  C3→5  C4→2  C5→3  C6→6  C7→7  C8→8" in output
    assert "not linked: RNCP28235" in output and "CQPM 0264" in output


def test_quality_lists_the_stored_findings(seeded: Path) -> None:
    code, output = invoke("quality", "--json", "-w", str(seeded))
    assert code == 0, output
    rows = json.loads(output)
    assert [(r["severity"], r["rule"], Path(r["source_path"]).name, r["as_of"]) for r in rows] == [
        ("warning", "registration_expired", SEEDS[3].name, "2025-01-01"),
        ("warning", "registration_expired", SEEDS[4].name, "2025-01-01"),
        ("info", "capacity_list_wording", SEEDS[1].name, "2025-01-01"),
    ]
    code, output = invoke("quality", "-w", str(seeded))
    assert code == 0 and "3 finding(s), as of 2025-01-01" in output and "'oeuvre' / 'œuvre'" in output


def test_quality_as_of_another_date(seeded: Path) -> None:
    code, output = invoke("quality", "--json", "--as-of", "2020-01-01", "-w", str(seeded))
    assert code == 0, output
    assert [r["rule"] for r in json.loads(output)] == ["capacity_list_wording"]
    code, output = invoke("quality", "--as-of", "yesterday", "-w", str(seeded))
    assert code == 2 and "not a date" in output


@pytest.mark.parametrize("day", ["2020-01-01", "2025-01-01", "2031-06-30"])
def test_quality_as_of_a_date_on_current_tables_is_what_a_recompute_at_that_date_finds(seeded: Path, day: str) -> None:
    """The stored findings with only the dated rules evaluated again (no document read in full) give the
    findings a recompute from scratch at that date gives."""
    code, output = invoke("quality", "--json", "--as-of", day, "-w", str(seeded))
    assert code == 0, output
    con = wh.connect(seeded, read_only=True)
    try:
        assert links_store.is_current(con)  # the stored path, not the in-memory one
        derived = links_store.derive(links_store.read_all(con), date.fromisoformat(day))
    finally:
        con.close()
    fields = ("severity", "rule", "document_id", "subject", "message", "page", "reading_order", "as_of")
    got = sorted(tuple(r[k] for k in fields) for r in json.loads(output))
    want = sorted((f.severity, f.rule, f.document_id, f.subject, f.message, f.prov.page if f.prov else None,
                   f.prov.order if f.prov else None, day) for f in derived.findings)
    assert got == want and got


def test_stale_links_are_computed_on_the_fly_without_writing(tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    con = wh.connect(warehouse)
    try:
        for path in SEEDS:  # loaded without the flow: no recompute
            wh.load(parsed(path), con)
    finally:
        con.close()
    result = runner.invoke(app, ["links", "--json", "-w", str(warehouse)], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    links = json.loads(result.stdout)
    assert pairs_and_maps(links) == pairs_and_maps(load_gold(GOLD_PATH))
    con = wh.connect(warehouse, read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM links").fetchone() == (0,)
    finally:
        con.close()


def test_missing_warehouse_is_a_clean_error(tmp_path: Path) -> None:
    for command in ("links", "quality"):
        code, output = invoke(command, "-w", str(tmp_path / "nothing.duckdb"))
        assert code == 1 and "does not exist" in output and "Traceback" not in output


@pytest.mark.parametrize("command", ["links", "quality"])
def test_help_has_an_example(command: str) -> None:
    result = refpipe(command, "--help")
    assert result.returncode == 0 and "Example" in result.stdout and f"refpipe {command}" in result.stdout


VERSIONS = FIXTURES / "versions"


@pytest.fixture(scope="module")
def versioned(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """RNCP 28242 in two versions ingested newest first (2017-09 then 2017-04), and CQPM 0195 as its
    header PDF (2007-01-09) and the 2021-05-02 PDF, newest first too."""
    warehouse = tmp_path_factory.mktemp("versioned") / "w.duckdb"
    con = wh.connect(warehouse)
    try:
        for path in (VERSIONS / "003_b7becefa6c01c81b.s1" / "v2.lo-landscape-hrules.pdf",
                     VERSIONS / "003_b7becefa6c01c81b.s1" / "v1.lo-landscape-hrules.pdf",
                     VERSIONS / "001_1b606db1c3205ecb.s1" / "v2.rl-portrait-grid.pdf",
                     FIXTURES / "pdf" / "001_1b606db1c3205ecb.rl-portrait-grid.header.pdf"):
            wh.load(parsed(path), con)
        links_store.recompute(con, as_of=date(2025, 1, 1))
    finally:
        con.close()
    return warehouse


def test_links_and_quality_show_the_latest_versions_unless_asked_for_all(versioned: Path) -> None:
    code, output = invoke("links", "--json", "-w", str(versioned))
    assert code == 0, output
    latest = json.loads(output)
    assert [(e["rncp"], e["cqpm"], len(e["documents"])) for e in latest] == [("RNCP28242", "0195", 1)]
    code, output = invoke("links", "--json", "--all-versions", "-w", str(versioned))
    assert code == 0, output
    history = json.loads(output)  # 2 fiche versions x 2 référentiel versions
    assert {(e["rncp"], e["cqpm"]) for e in history} == {("RNCP28242", "0195")}
    assert sum(len(e["documents"]) for e in history) == 4
    code, output = invoke("quality", "--json", "-w", str(versioned))
    assert code == 0, output
    expired = [r for r in json.loads(output) if r["rule"] == "registration_expired"]
    assert len(expired) == 1  # the expired fiche once, not once per version
    code, output = invoke("quality", "--json", "--all-versions", "-w", str(versioned))
    assert len([r for r in json.loads(output) if r["rule"] == "registration_expired"]) == 2


def test_show_as_of_a_date_gives_the_version_in_force(versioned: Path) -> None:
    code, output = invoke("show", "CQPM-0195", "--as-of", "2015-01-01", "--json", "-w", str(versioned))
    assert code == 0, output
    data = json.loads(output)
    assert data["cqpm"]["last_modified"] == "2007-01-09"
    assert data["as_of"] == {"date": "2015-01-01", "key": "CQPM-0195", "version": 1, "valid_from": "2007-01-09",
                             "valid_to": "2021-05-01"}
    code, output = invoke("show", "CQPM-0195", "--as-of", "2022-01-01", "--json", "-w", str(versioned))
    assert json.loads(output)["cqpm"]["last_modified"] == "2021-05-02"
    code, output = invoke("show", "RNCP28242", "--as-of", "2017-06-30", "-w", str(versioned))
    assert code == 0 and "RNCP28242 version 1, in force 2017-04-07 → 2017-09-04" in output
    code, output = invoke("show", "CQPM-0195", "--as-of", "2001-01-01", "-w", str(versioned))
    assert code != 0 and "no version in force on 2001-01-01 (its first stated date is 2007-01-09)" in output
    code, output = invoke("show", "CQPM-0195", "--as-of", "2022-02-30", "-w", str(versioned))
    assert code == 2 and "--as-of '2022-02-30' is not a date (YYYY-MM-DD)" in output
