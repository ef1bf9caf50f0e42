"""``refpipe diff`` ingests new files through ``ingest_paths`` (same limits, links and findings as an ingest
run); a rejected file ends the comparison with its reason; a failing links recompute does not cost the diff."""

from __future__ import annotations

from pathlib import Path

import pytest
from golden import FIXTURES

from pipeline.errors import RejectedInput
from pipeline.limits import Limits
from pipeline.load import warehouse as wh
from pipeline.runtime import links as links_store
from pipeline.runtime.compare import compare_warehouse, ingest_references

SEED = FIXTURES / "seeds" / "002_59b883e404a36628.txt"


def test_a_file_is_ingested_before_the_comparison(tmp_path: Path) -> None:
    w = tmp_path / "w.duckdb"
    ingest_references(w, (SEED, "CQPM-0195"), Limits(seconds=60))
    con = wh.connect(w, read_only=True)
    try:
        assert con.execute("SELECT count(*), min(s.path) FROM documents d JOIN sources s "
                           "ON s.sha256 = d.source_sha256").fetchone() == (1, str(SEED))
        assert con.execute("SELECT trigger FROM runs").fetchall() == [("diff",)]
    finally:
        con.close()


def test_a_file_over_the_time_limit_is_rejected_and_recorded(tmp_path: Path) -> None:
    slow = tmp_path / "slow.txt"
    seed = SEED.read_bytes()
    slow.write_bytes(seed * (45_000_000 // len(seed)))  # ~45 MB: ~8 s to parse, the seed milliseconds
    w = tmp_path / "w.duckdb"

    with pytest.raises(RejectedInput, match="time limit") as raised:
        compare_warehouse(w, slow, SEED, Limits(seconds=1, max_bytes=0))

    assert str(raised.value).startswith(f"{slow}: ") and str(raised.value).count(str(slow)) == 1
    con = wh.connect(w, read_only=True)
    try:
        assert con.execute("SELECT status, reason FROM sources WHERE path = ?", [str(slow)]).fetchall() == [
            ("rejected", str(raised.value))]
    finally:
        con.close()


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
