"""``ingest_file``: the on-the-fly ingestion of ``refpipe diff`` runs under the same limits as the flow;
``compare_warehouse`` brings the links up to date after it, and a failure there does not cost the diff."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from golden import FIXTURES

from pipeline.diff.compare import compare_warehouse, ingest_file
from pipeline.errors import RejectedInput
from pipeline.executor import shutdown
from pipeline.limits import Limits
from pipeline.load import links_store
from pipeline.load import warehouse as wh

SEED = FIXTURES / "seeds" / "002_59b883e404a36628.txt"


@pytest.fixture
def con(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = wh.connect(tmp_path / "w.duckdb")
    yield connection
    connection.close()
    shutdown()


def test_a_file_is_loaded_and_its_id_returned(con: duckdb.DuckDBPyConnection) -> None:
    doc_id = ingest_file(con, SEED, Limits(seconds=60))
    assert con.execute("SELECT count(*) FROM documents WHERE id = ?", [doc_id]).fetchone() == (1,)


def test_a_file_over_the_time_limit_is_rejected_and_recorded(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    slow = tmp_path / "slow.txt"
    seed = SEED.read_bytes()
    slow.write_bytes(seed * (45_000_000 // len(seed)))  # ~45 MB: ~8 s to parse, the seed milliseconds

    with pytest.raises(RejectedInput, match="time limit") as raised:
        ingest_file(con, slow, Limits(seconds=1))

    assert str(raised.value).startswith(f"{slow}: ") and str(raised.value).count(str(slow)) == 1
    assert con.execute("SELECT count(*) FROM documents").fetchone() == (0,)
    assert con.execute("SELECT status, reason FROM sources").fetchall() == [("rejected", str(raised.value))]


PAIR = FIXTURES / "versions" / "003_b7becefa6c01c81b.s1"


def test_the_diff_ingests_its_files_into_the_links_too(tmp_path: Path) -> None:
    w = tmp_path / "w.duckdb"
    report = compare_warehouse(w, PAIR / "v1.lo-landscape-hrules.pdf", PAIR / "v2.lo-landscape-hrules.pdf")
    assert (report.old.label, report.new.label) == ("RNCP28242@1", "RNCP28242@2") and report.changes
    con = wh.connect(w, read_only=True)
    try:
        assert links_store.is_current(con)
    finally:
        con.close()


def test_a_failing_links_recompute_does_not_cost_the_diff(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("a bug in the linker")

    monkeypatch.setattr(links_store, "recompute", broken)
    w = tmp_path / "w.duckdb"
    report = compare_warehouse(w, PAIR / "v1.lo-landscape-hrules.pdf", PAIR / "v2.lo-landscape-hrules.pdf")
    assert report.changes and report.run_id
    assert "not brought up to date (RuntimeError: a bug in the linker)" in caplog.text
    con = wh.connect(w, read_only=True)
    try:  # the files and the stored diff were published; the links are stale, as readers can tell
        assert con.execute("SELECT count(*) FROM documents").fetchone() == (2,)
        assert con.execute("SELECT count(*) FROM diff_runs WHERE run_id = ?", [report.run_id]).fetchone() == (1,)
        assert not links_store.is_current(con)
    finally:
        con.close()
