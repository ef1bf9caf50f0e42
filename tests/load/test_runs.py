"""The runs table and the quarantine view."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from pipeline.limits import Limits
from pipeline.load import runs
from pipeline.load import warehouse as wh
from pipeline.records import FileOutcome, Source


@pytest.fixture
def con(tmp_path: Path, new_warehouse: Callable[[Path], Path]) -> Iterator[duckdb.DuckDBPyConnection]:
    c = wh.connect(new_warehouse(tmp_path / "w.duckdb"))
    yield c
    c.close()


def test_runs_round_trip_latest_first(con: duckdb.DuckDBPyConnection) -> None:
    t0 = datetime(2024, 3, 4, 6, 0, 0)
    outcomes = [FileOutcome("a.txt", "a" * 64, "loaded"), FileOutcome("b.pdf", "b" * 64, "rejected", reason="x"),
                FileOutcome("c.txt", "c" * 64, "unchanged"), FileOutcome("d.pdf", "d" * 64, "quarantined")]
    first = runs.RunRecord("r1", t0, t0 + timedelta(seconds=5), "cli", ("raw",), runs.count_outcomes(outcomes),
                           Limits(), None)
    second = runs.RunRecord("r2", t0 + timedelta(days=1), t0 + timedelta(days=1, seconds=1), "deployment:inbox",
                            ("/data/inbox",), runs.count_outcomes(outcomes[2:]), Limits(max_pages=10),
                            "the previous writer was interrupted")
    runs.record_run(con, first)
    runs.record_run(con, second)
    got = runs.last_runs(con)
    assert [r.run_id for r in got] == ["r2", "r1"]
    assert got[1] == first and got[1].files == 4
    assert got[0].counts["quarantined"] == 1 and got[0].limits == Limits(max_pages=10) and got[0].note
    assert runs.last_runs(con, 1) == [got[0]]
    assert con.execute("SELECT duration FROM v_runs WHERE run_id = 'r1'").fetchone() == (5.0,)


def test_the_quarantine_is_the_rejected_sources(con: duckdb.DuckDBPyConnection) -> None:
    wh.record_rejection(Source("inbox/b.pdf", "b" * 64, "pdf", None, 3), "inbox/b.pdf: truncated PDF", con)
    wh.record_rejection(Source("inbox/a.pdf", "a" * 64, "pdf", None, 3), "inbox/a.pdf: empty file", con)
    got = runs.quarantine(con)
    assert [(q.path, q.reason) for q in got] == [("inbox/a.pdf", "inbox/a.pdf: empty file"),
                                                 ("inbox/b.pdf", "inbox/b.pdf: truncated PDF")]


def test_a_rejected_file_fixed_in_place_leaves_the_quarantine_list(con: duckdb.DuckDBPyConnection) -> None:
    """The user replaces a truncated PDF by a good one at the same path: the new bytes load, and `refpipe
    status` stops listing the path as quarantined (the old bytes stay rejected in v_quarantine)."""
    import dataclasses
    import time

    from gold_documents import document_from_gold, gold_paths

    wh.record_rejection(Source("inbox/a.pdf", "a" * 64, "pdf", None, 3), "inbox/a.pdf: truncated PDF", con)
    wh.record_rejection(Source("inbox/b.pdf", "b" * 64, "pdf", None, 3), "inbox/b.pdf: empty file", con)
    time.sleep(0.01)  # a later ingestion
    good = document_from_gold(gold_paths()[0])
    assert wh.load(dataclasses.replace(good, source=dataclasses.replace(good.source, path="inbox/a.pdf")), con)
    assert [q.path for q in runs.quarantine(con)] == ["inbox/b.pdf"]
    assert con.execute("SELECT count(*) FROM v_quarantine").fetchone() == (2,)


def test_runs_and_quarantine_are_documented(con: duckdb.DuckDBPyConnection) -> None:
    views = dict(con.execute("SELECT view_name, comment FROM duckdb_views() WHERE NOT internal").fetchall())
    assert views.get("v_runs") and views.get("v_quarantine")
    tables = dict(con.execute("SELECT table_name, comment FROM duckdb_tables()").fetchall())
    assert tables.get("runs")
