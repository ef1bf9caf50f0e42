"""``refpipe diff`` and ``refpipe versions`` as a user runs them (in process), on the real version pairs."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import duckdb
import pytest
from cli_runner import refpipe as run
from golden import FIXTURES, norm

PAIRS = sorted(p for p in (FIXTURES / "versions").iterdir() if (p / "expected_diff.json").is_file())


def change_key(c: dict[str, Any]) -> tuple[Any, ...]:
    def val(v: Any) -> Any:
        return tuple(sorted(norm(str(x)) for x in v)) if isinstance(v, list) else norm(str(v)) if v is not None \
            else None
    return (c["kind"], c["entity"], val(c.get("old")), val(c.get("new")))


@pytest.mark.parametrize("pair", PAIRS, ids=[p.name for p in PAIRS])
def test_diff_of_two_files_on_a_fresh_warehouse(pair: Path, tmp_path: Path) -> None:
    """What the scorer runs: file paths, ingested on the fly, JSON on stdout."""
    exp = json.loads((pair / "expected_diff.json").read_text(encoding="utf-8"))
    result = run("diff", str(pair / exp["v1"]), str(pair / exp["v2"]), "--format", "json",
                 "--warehouse", str(tmp_path / "w.duckdb"))
    assert result.returncode == 0, result.stderr
    got = json.loads(result.stdout)
    assert Counter(map(change_key, got["changes"])) == Counter(map(change_key, exp["changes"]))
    assert (got["old"]["version"], got["new"]["version"]) == (1, 2)
    con = duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True)
    try:  # the report names the date's source as v_versions does
        stored = dict(con.execute("SELECT document_id, valid_from_source FROM v_versions").fetchall())
    finally:
        con.close()
    for side in ("old", "new"):
        assert got[side]["valid_from_source"] == stored[got[side]["document_id"]]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    w = tmp_path_factory.mktemp("diffcli") / "w.duckdb"
    pair = next(p for p in PAIRS if p.name.startswith("003"))
    result = run("diff", str(pair / "v1.lo-landscape-hrules.pdf"), str(pair / "v2.lo-landscape-hrules.pdf"),
                 "--format", "md", "--warehouse", str(w))
    assert result.returncode == 0, result.stderr
    assert "~~Coordonner~~ **Piloter** la mise en oeuvre" in result.stdout
    return w


def test_versions_lists_the_key_and_both_versions(warehouse: Path) -> None:
    result = run("versions", "RNCP28242", "--json", "--warehouse", str(warehouse))
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [(r["key"], r["version"], r["valid_from"], r["is_latest"]) for r in rows] == [
        ("RNCP28242", 1, "2017-04-07", False), ("RNCP28242", 2, "2017-09-05", True)]
    table = run("versions", "--warehouse", str(warehouse))
    assert table.returncode == 0 and "RNCP28242" in table.stdout and "(latest)" in table.stdout


def test_versions_takes_the_key_as_people_write_it(warehouse: Path) -> None:
    want = run("versions", "RNCP28242", "--json", "--warehouse", str(warehouse))
    for spelled in ("RNCP 28242", "rncp28242"):
        result = run("versions", spelled, "--json", "--warehouse", str(warehouse))
        assert result.returncode == 0, result.stderr
        assert result.stdout == want.stdout


def test_an_undated_version_says_so_instead_of_an_empty_date(tmp_path: Path) -> None:
    """A référentiel that prints no date has valid_from NULL (placed by ingestion order): the table said
    " (ingested_at)", an empty date with the name of a column."""
    w = tmp_path / "w.duckdb"
    undated = FIXTURES / "seeds" / "000_8d1bcbb53b7e0a76.txt"
    assert run("ingest", str(undated), "--warehouse", str(w), "-j", "1").returncode == 0
    rows = json.loads(run("versions", "--json", "--warehouse", str(w)).stdout)
    assert [(r["valid_from"], r["valid_from_source"]) for r in rows] == [(None, "ingested_at")]
    table = run("versions", "--warehouse", str(w)).stdout
    assert "undated (ingestion order)" in table and " (ingested_at)" not in table


def test_diff_by_key_and_version_writes_an_html_file(warehouse: Path, tmp_path: Path) -> None:
    out = tmp_path / "rapport.html"
    result = run("diff", "RNCP28242@1", "RNCP28242", "--format", "html", "--output", str(out),
                 "--warehouse", str(warehouse))
    assert result.returncode == 0, result.stderr
    assert "5 change(s) between RNCP28242@1 and RNCP28242@2" in result.stdout
    page = out.read_text(encoding="utf-8")
    assert "<del>Coordonner</del> <ins>Piloter</ins>" in page
    assert "<del>C7</del>, C8, <ins>C9</ins>" in page


def test_diff_stored_runs_are_queryable_with_sql(warehouse: Path) -> None:
    result = run("sql", "SELECT key, old_value, new_value FROM v_diff_changes WHERE entity = 'field'",
                 "--json", "--warehouse", str(warehouse))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)[0] == {"key": "registration.decision", "old_value": "2017-04-07",
                                           "new_value": "2017-09-05"}


@pytest.mark.parametrize("args, message", [
    (("RNCP28242@7", "RNCP28242@2"), "no version 7 of 'RNCP28242'"),
    (("RNCP28242@x", "RNCP28242@2"), "must be a number"),
    (("nothing-like-this", "RNCP28242@2"), "no document matches"),
])
def test_bad_references_exit_1_with_a_clear_message(warehouse: Path, args: tuple[str, str], message: str) -> None:
    result = run("diff", *args, "--warehouse", str(warehouse))
    assert result.returncode == 1
    assert message in result.stderr and "Traceback" not in result.stderr


def test_a_rejected_file_is_reported_and_exits_1(warehouse: Path) -> None:
    result = run("diff", str(FIXTURES / "bad" / "png_named.pdf"), "RNCP28242@2", "--warehouse", str(warehouse))
    assert result.returncode == 1
    assert "png_named.pdf" in result.stderr and "Traceback" not in result.stderr


def test_diff_of_a_cqpm_against_an_rncp_fiche_is_refused(warehouse: Path) -> None:
    result = run("diff", str(FIXTURES / "seeds" / "001_1b606db1c3205ecb.txt"), "RNCP28242",
                 "--warehouse", str(warehouse))
    assert result.returncode == 1 and "same kind" in result.stderr


def test_two_different_documents_get_a_note_and_the_links_stay_current(tmp_path: Path) -> None:
    from pipeline.load import warehouse as wh
    from pipeline.runtime import links as links_store

    old, new = (next((FIXTURES / "seeds").glob(f"{n}_*.txt")) for n in ("000", "002"))
    w = tmp_path / "w.duckdb"
    result = run("diff", str(old), str(new), "--warehouse", str(w))
    assert result.returncode == 0, result.stderr
    assert "are not versions of one document (their keys differ)" in result.stderr
    con = wh.connect(w, read_only=True)
    try:  # the files it ingested are in the links and findings, as after an ingest run
        assert links_store.is_current(con)
    finally:
        con.close()


def test_a_diff_of_keys_on_a_missing_warehouse_creates_nothing(tmp_path: Path) -> None:
    result = run("diff", "CQPM-0195@1", "CQPM-0195@2", "--warehouse", str(tmp_path / "new" / "w.duckdb"))
    assert result.returncode == 1 and "does not exist" in result.stderr and "refpipe ingest" in result.stderr
    assert not (tmp_path / "new").exists()


@pytest.mark.parametrize("command", ["diff", "versions"])
def test_help_has_an_example(command: str) -> None:
    result = run(command, "--help")
    assert result.returncode == 0 and "Example" in result.stdout


def test_pdf_without_chromium_fails_before_ingesting_anything(tmp_path: Path) -> None:
    pair = PAIRS[0]
    exp = json.loads((pair / "expected_diff.json").read_text(encoding="utf-8"))
    result = run("diff", str(pair / exp["v1"]), str(pair / exp["v2"]), "--format", "pdf", "-o", str(tmp_path / "r.pdf"),
                 "--warehouse", str(tmp_path / "w.duckdb"),
                 env={"REFPIPE_CHROMIUM": str(tmp_path / "no-chromium"), "COLUMNS": "300"})
    assert result.returncode == 1, result.stderr
    assert "needs Chromium" in result.stderr and "scripts/ensure_chromium.sh" in result.stderr
    assert not (tmp_path / "w.duckdb").exists() and not (tmp_path / "r.pdf").exists()
