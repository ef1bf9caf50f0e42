"""``ingest_file``: the on-the-fly ingestion of ``refpipe diff`` runs under the same limits as the flow."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from golden import FIXTURES

from pipeline.diff.compare import ingest_file
from pipeline.errors import RejectedInput
from pipeline.executor import shutdown
from pipeline.limits import Limits
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
