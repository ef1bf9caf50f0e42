"""The ingestion flow under Prefect's test harness: real seeds plus bad inputs, run twice."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
from golden import FIXTURES
from prefect.testing.utilities import prefect_test_harness

from flows.ingest import ingest_flow

TABLES_WITH_ROWS = ("sources", "documents", "cqpm_capacities", "cqpm_criteria", "rncp_capacities", "rncp_blocks")


@pytest.fixture(scope="module")
def harness():
    with prefect_test_harness(server_startup_timeout=60):
        yield


def _counts(warehouse: Path) -> dict[str, int]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        names = [r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE'").fetchall()]
        return {n: con.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}  # type: ignore[index]
    finally:
        con.close()


def test_flow_loads_seeds_rejects_bad_files_and_is_idempotent(harness, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    shutil.copytree(FIXTURES / "seeds", inbox)
    (inbox / "notes.txt").write_text("Compte rendu de réunion, rien à voir.\n", encoding="utf-8")
    (inbox / "empty.pdf").write_bytes(b"")
    warehouse = tmp_path / "w.duckdb"

    seen: list[str] = []
    outcomes = ingest_flow([str(inbox)], str(warehouse), on_file=lambda o: seen.append(o.status))

    by_name = {Path(o.path).name: o for o in outcomes}
    assert len(outcomes) == 7 == len(seen)
    assert by_name["notes.txt"].status == "rejected"
    assert "notes.txt" in (by_name["notes.txt"].reason or "")
    assert by_name["empty.pdf"].status == "rejected"
    assert "empty" in (by_name["empty.pdf"].reason or "")
    kinds = sorted((o.kind or "", o.status) for o in outcomes if o.kind)
    assert kinds == [("cqpm", "loaded")] * 3 + [("rncp", "loaded"), ("rncp", "partial")]
    first = _counts(warehouse)
    assert first["documents"] == 5
    assert all(first[t] > 0 for t in TABLES_WITH_ROWS)

    again = ingest_flow([str(inbox)], str(warehouse))
    assert {o.status for o in again if o.kind} == {"unchanged"}
    assert _counts(warehouse) == first
