"""Scale-out: the same ingest flow with its extractions on a Dask cluster (``refpipe ingest --dask``).

A ``distributed.LocalCluster`` on 127.0.0.1 (two worker processes) stands in for a real cluster: the
flow connects to its scheduler address, the ``extract`` tasks run on the Dask workers (each drives its
own extraction process, under the time limit), the documents come back to the flow, which loads them
alone, in order.  Every wait is bounded; the cluster is always closed.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import distributed
import duckdb
import pytest
from golden import FIXTURES
from variants import content_variant

from flows.ingest import run_ingest
from pipeline.limits import Limits

pytestmark = pytest.mark.e2e  # a Dask cluster and a Prefect harness

START_TIMEOUT = 60


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    """The scheduler address of a 2-process LocalCluster on 127.0.0.1."""
    local = distributed.LocalCluster(host="127.0.0.1", n_workers=2, threads_per_worker=1, processes=True,
                                     dashboard_address=None, timeout=START_TIMEOUT)
    try:
        yield local.scheduler_address
    finally:
        local.close(timeout=START_TIMEOUT)


def test_the_flow_runs_its_extractions_on_a_dask_cluster(cluster: str, prefect_harness: None, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    pdfs = sorted((FIXTURES / "pdf").glob("00[0-3]_*.rl-portrait-grid.pdf"))
    for pdf in pdfs:
        shutil.copy(pdf, inbox / pdf.name)
    # a version of the 002 référentiel whose content differs from its PDF's (same content would be unchanged)
    seed = (FIXTURES / "seeds" / "002_59b883e404a36628.txt").read_text(encoding="utf-8")
    (inbox / "seed.txt").write_text(content_variant(seed, 1), encoding="utf-8")
    shutil.copy(FIXTURES / "bad" / "truncated.pdf", inbox / "truncated.pdf")
    warehouse = tmp_path / "w.duckdb"

    client = distributed.Client(cluster, timeout=START_TIMEOUT)
    try:
        workers = client.run(lambda: __import__("os").getpid())  # the Dask worker processes
        outcomes = run_ingest([str(inbox)], str(warehouse), dask=cluster, limits=Limits(seconds=60), links=False)
        # the extractions ran on the Dask workers: each started its extraction process there
        started = client.run(_extraction_processes)
    finally:
        client.close()

    by_name = {Path(o.path).name: o for o in outcomes}
    assert [Path(o.path).name for o in outcomes] == sorted(by_name)  # discovery order
    assert {n: o.status for n, o in by_name.items()} == {
        **{p.name: "loaded" for p in pdfs}, "seed.txt": "loaded", "truncated.pdf": "rejected"}
    assert "truncated" in (by_name["truncated.pdf"].reason or "")
    assert len(workers) == 2 and sum(started.values()) >= 1
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM documents").fetchone() == (len(pdfs) + 1,)
        assert con.execute("SELECT count(*) FROM sources WHERE status = 'rejected'").fetchone() == (1,)
        assert con.execute("SELECT count(*) FROM cqpm_criteria").fetchone()[0] > 0  # type: ignore[index]
    finally:
        con.close()


def _extraction_processes() -> int:
    from pipeline.runtime.executor import pool_size

    return pool_size()
