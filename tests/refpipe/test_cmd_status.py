"""``refpipe status`` as a user runs it: last runs, documents, the quarantine, a running or interrupted load."""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from cli_runner import refpipe as run
from golden import FIXTURES

from pipeline.limits import Limits
from pipeline.load import publish, runs
from pipeline.load import warehouse as wh
from pipeline.normalize.document import normalize_document
from pipeline.parse import extract_document
from pipeline.records import Source


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    w = tmp_path_factory.mktemp("status") / "w.duckdb"
    t0 = datetime(2024, 5, 6, 6, 0)
    with publish.write_connection(w) as con:
        wh.load(normalize_document(extract_document(FIXTURES / "seeds" / "000_8d1bcbb53b7e0a76.txt")), con)
        wh.record_rejection(Source("inbox/letter.pdf", "a" * 64, "pdf", 1, 2073),
                            "inbox/letter.pdf: not a CQPM référentiel or RNCP fiche", con)
        runs.record_run(con, runs.RunRecord("run-1", t0, t0 + timedelta(seconds=4), "deployment:inbox", ("inbox",),
                                            {"loaded": 1, "rejected": 1}, Limits()))
        runs.record_run(con, runs.RunRecord("run-2", t0 + timedelta(days=1), t0 + timedelta(days=1, seconds=1),
                                            "deployment:inbox", ("inbox",), {"unchanged": 1, "quarantined": 1},
                                            Limits(), "the previous writer (pid 7) was interrupted"))
    return w


def test_status_lists_runs_documents_and_the_quarantine(warehouse: Path) -> None:
    result = run("status", "-w", str(warehouse))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    runs_at = [i for i, line in enumerate(lines) if "deployment:inbox" in line]
    assert len(runs_at) == 2 and "2024-05-07 06:00:00" in lines[runs_at[0]]  # latest first
    assert "Documents: cqpm loaded 1" in result.stdout and "quarantined: 1" in result.stdout
    assert "inbox/letter.pdf" in result.stdout and "not a CQPM référentiel or RNCP fiche" in result.stdout
    assert "previous writer (pid 7) was interrupted" in result.stdout


def test_status_json(warehouse: Path) -> None:
    data = json.loads(run("status", "--json", "--runs", "1", "-w", str(warehouse)).stdout)
    assert [r["run_id"] for r in data["runs"]] == ["run-2"]
    assert data["runs"][0]["quarantined"] == 1 and data["runs"][0]["seconds"] == 1.0
    assert data["quarantine"][0]["path"] == "inbox/letter.pdf"
    assert data["writer"] == {"running": False, "interrupted": False}


def test_status_says_a_load_is_running_and_never_waits_for_it(warehouse: Path) -> None:
    with publish.writing(warehouse, command="refpipe ingest (cli)"):
        result = run("status", "-w", str(warehouse))
    assert result.returncode == 0, result.stderr
    assert "A load is running" in result.stdout and f"pid {os.getpid()}" in result.stdout


def test_status_reports_an_interrupted_load(tmp_path: Path) -> None:
    w = tmp_path / "w.duckdb"
    with publish.write_connection(w):
        pass
    Path(f"{w}.lock").write_text(json.dumps({"pid": 99999, "command": "refpipe ingest (cli)",
                                             "started_at": "2024-05-06T06:00:00+00:00"}))
    result = run("status", "-w", str(w))
    assert result.returncode == 0, result.stderr
    assert "last load was interrupted" in result.stdout and "99999" in result.stdout
    assert "No run recorded yet" in result.stdout


def test_status_of_a_missing_warehouse_fails_cleanly(tmp_path: Path) -> None:
    result = run("status", "-w", str(tmp_path / "none.duckdb"))
    assert result.returncode == 1 and "does not exist" in result.stderr and "Traceback" not in result.stderr
