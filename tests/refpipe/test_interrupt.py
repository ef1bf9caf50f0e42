"""Ctrl-C during ``refpipe ingest``: a clean message saying what is kept and what to do, exit 130, no
traceback.  DuckDB turns a SIGINT that lands while a statement runs into "Query interrupted" (a
``RuntimeError``), not a ``KeyboardInterrupt``: both read the same to the user."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_runner import refpipe as run
from golden import FIXTURES

import pipeline.runtime


@pytest.mark.parametrize("signal_as", [KeyboardInterrupt(), RuntimeError("Query interrupted")],
                         ids=["KeyboardInterrupt", "duckdb-query-interrupted"])
def test_ctrl_c_mid_ingest_says_what_is_kept_and_exits_130(
        signal_as: BaseException, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def stopped(*args: object, **kwargs: object) -> None:
        raise signal_as

    monkeypatch.setattr(pipeline.runtime, "ingest_paths", stopped)
    warehouse = tmp_path / "w.duckdb"
    result = run("ingest", str(FIXTURES / "seeds"), "--warehouse", str(warehouse), "-j", "1")
    assert result.returncode == 130
    assert "interrupted:" in result.stderr and "run the same command again" in result.stderr
    assert str(warehouse) in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_another_runtime_error_is_not_taken_for_ctrl_c(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("something else")

    monkeypatch.setattr(pipeline.runtime, "ingest_paths", broken)
    with pytest.raises(RuntimeError, match="something else"):
        run("ingest", str(FIXTURES / "seeds"), "--warehouse", str(tmp_path / "w.duckdb"), "-j", "1")


def test_ctrl_c_while_diff_ingests_its_files_exits_130(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pipeline.runtime.compare

    def stopped(*args: object, **kwargs: object) -> None:
        raise RuntimeError("Query interrupted")

    monkeypatch.setattr(pipeline.runtime.compare, "compare_warehouse", stopped)
    seeds = sorted((FIXTURES / "seeds").glob("*.txt"))
    result = run("diff", str(seeds[0]), str(seeds[1]), "--format", "md", "--warehouse", str(tmp_path / "w.duckdb"))
    assert result.returncode == 130 and "interrupted:" in result.stderr
