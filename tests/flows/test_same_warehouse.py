"""One code path: a one-off ``refpipe ingest`` (``pipeline.runtime.ingest_paths`` in process, no Prefect)
and the Prefect flow (``flows.ingest.ingest_flow``: the same stages as tasks) build the same warehouse from
the same files: every row of every table, but the run ids, the trigger and the times."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import duckdb
import pytest
from golden import FIXTURES

from flows.ingest import ingest_flow, outcomes_of
from pipeline.runtime import IngestOptions, ingest_paths

pytestmark = pytest.mark.e2e  # a Prefect server (the test harness)

#: what differs between two runs by design
RUN_COLUMNS = {"run_id", "trigger"}
#: refpipe_meta rows derived from the load times (a digest of documents.loaded_at)
TIME_DIGESTS = ("links_documents",)


def _inbox(root: Path) -> Path:
    inbox = root / "inbox"
    shutil.copytree(FIXTURES / "seeds", inbox)
    shutil.copy(FIXTURES / "pdf" / "001_1b606db1c3205ecb.rl-portrait-grid.header.pdf", inbox / "z_header.pdf")
    shutil.copy(FIXTURES / "bad" / "letter.pdf", inbox / "letter.pdf")
    (inbox / "empty.pdf").write_bytes(b"")
    return inbox


def tables(root: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every base table's rows, sorted, without the times and run identities; paths relative to ``root``."""
    con = duckdb.connect(str(root / "w.duckdb"), read_only=True)
    try:
        names = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()]
        out: dict[str, list[tuple[Any, ...]]] = {}
        for name in names:
            columns = [c for c, t in con.execute(
                "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = ? ORDER BY column_index",
                [name]).fetchall() if not t.startswith("TIMESTAMP") and c not in RUN_COLUMNS]
            select = ", ".join(f'"{c}"' for c in columns)
            where = f" WHERE key NOT IN {TIME_DIGESTS!r}".replace(",)", ")") if name == "refpipe_meta" else ""
            rows = con.execute(f'SELECT {select} FROM "{name}"{where}').fetchall()
            out[name] = sorted((tuple(_relative(v, str(root)) for v in row) for row in rows), key=repr)
        return out
    finally:
        con.close()


def _relative(value: Any, root: str) -> Any:
    """Paths under ``root`` relative to it (the two runs read two copies of the files)."""
    if isinstance(value, str):
        return value.replace(root, "ROOT")
    if isinstance(value, list):
        return [_relative(v, root) for v in value]
    return value


def test_in_process_and_flow_give_the_same_warehouse(prefect_harness, tmp_path: Path) -> None:
    local = tmp_path / "local"
    flow = tmp_path / "flow"
    local_outcomes = ingest_paths([str(_inbox(local))], local / "w.duckdb", IngestOptions(trigger="cli", workers=2))
    state = ingest_flow([str(_inbox(flow))], str(flow / "w.duckdb"), trigger="flow", workers=2, return_state=True)
    flow_outcomes = outcomes_of(state)

    def statuses(outcomes: list[Any]) -> list[tuple[str, str]]:
        return [(Path(o.path).name, o.status) for o in outcomes]

    assert statuses(local_outcomes) == statuses(flow_outcomes)
    assert {s for _, s in statuses(local_outcomes)} == {"loaded", "partial", "rejected"}
    a, b = tables(local), tables(flow)
    assert a.keys() == b.keys()
    for name in a:
        assert a[name] == b[name], name
    assert a["documents"] and a["cqpm_criteria"] and a["links"] and len(a["runs"]) == 1
