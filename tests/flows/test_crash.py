"""Crash safety: ``refpipe ingest`` killed with SIGKILL at several points, then run again.

After each kill the published warehouse is still a consistent database (every document in it complete,
no WAL beside it); the rerun completes, and every table ends with the row counts of an uninterrupted run
(and the same documents, keys and versions).  Kill points: the test hook ``REFPIPE_TEST_CRASH_AT``
(inert unless set) between the fsync and the rename of the first publish (nothing published yet) and
of the second (a published file exists by then), right after a rename, after the links and the run
row were written but before the final rename; and a SIGKILL from outside just after the first
publish, while the run goes on (extractions, loads, publishes).

How many publishes a run makes depends on timing (``Session.document_done`` publishes when the last one
cost at most 10 % of the time since), so the hooks only count on what every run does: a publish after
its first document and a final one.  A kill at the third publish passed here and failed on a slower CI
machine, whose run made only two.

The runs at a hook are one-off ``refpipe ingest`` runs in process (no Prefect server: the publish
protocol under test is the same, without a server's round trips per task); the run killed from outside
reports to a real Prefect server, as a scheduled run does.

The corpus is CQPM référentiels only (RNCP fiches would make every rerun load spaCy to link them,
seconds that test nothing here): 3 content variants of each text seed (a document is its content, so
byte variants would be one document), the same bytes resaved (``unchanged``: one more source of a
document), a PDF (the original content of a seed: one more version) and a bad file.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
from pathlib import Path

import duckdb
import pytest
from golden import FIXTURES
from procs import REFPIPE, quiet_env, stop
from variants import content_variant

from pipeline.load.warehouse import DOCUMENT_TABLES

pytestmark = pytest.mark.e2e  # kills refpipe processes on a real Prefect server

SEEDS = sorted((FIXTURES / "seeds").glob("00[0-2]_*.txt"))  # the CQPM référentiels
PDF = FIXTURES / "pdf" / "001_1b606db1c3205ecb.rl-portrait-grid.pdf"


@pytest.fixture(scope="module")
def inbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """9 texts (3 content variants of each seed: 3 versions of each document), a resaved text (new bytes,
    same content), a PDF (a 4th version of one référentiel) and a bad file."""
    root = tmp_path_factory.mktemp("crash") / "inbox"
    root.mkdir()
    for i in range(3):
        for seed in SEEDS:
            (root / f"{i}_{seed.name}").write_text(content_variant(seed.read_text(encoding="utf-8"), i),
                                                  encoding="utf-8")
    (root / "3_resaved.txt").write_bytes((root / f"0_{SEEDS[0].name}").read_bytes() + b"\n")
    shutil.copy(PDF, root / "4_referentiel.pdf")
    shutil.copy(FIXTURES / "bad" / "png_named.pdf", root / "5_png_named.pdf")
    return root


def ingest(inbox: Path, warehouse: Path, crash: str | None = None, api: str | None = None
           ) -> subprocess.CompletedProcess[str]:
    """``refpipe ingest`` as a process: in process mode unless ``api`` names a Prefect server."""
    env = quiet_env(**({"REFPIPE_TEST_CRASH_AT": crash} if crash else {}), **({"PREFECT_API_URL": api} if api else {}))
    return subprocess.run([str(REFPIPE), "ingest", str(inbox), "-w", str(warehouse)], env=env, capture_output=True,
                          text=True, timeout=180)


def counts(warehouse: Path) -> dict[str, int]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        names = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
        return {n: int(con.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0]) for n in names}  # type: ignore[index]
    finally:
        con.close()


def per_document(warehouse: Path) -> dict[str, tuple[int, ...]]:
    """Rows of each document in every document table, and its (key, version)."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        ids = [r[0] for r in con.execute("SELECT id FROM documents ORDER BY id").fetchall()]
        out: dict[str, tuple[int, ...]] = {}
        for doc_id in ids:
            rows = [int(con.execute(f"SELECT count(*) FROM {t} WHERE {'id' if t == 'documents' else 'document_id'} = ?",
                                    [doc_id]).fetchone()[0]) for t in DOCUMENT_TABLES]  # type: ignore[index]
            source = con.execute("SELECT count(*) FROM sources s JOIN documents d ON d.source_sha256 = s.sha256 "
                                 "WHERE d.id = ?", [doc_id]).fetchone()
            out[doc_id] = (*rows, int(source[0]))  # type: ignore[index]
        return out
    finally:
        con.close()


def versions(warehouse: Path) -> list[tuple[str, str, str]]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute("SELECT id, key, version FROM documents ORDER BY id").fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def clean(inbox: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    warehouse = tmp_path_factory.mktemp("clean") / "w.duckdb"
    result = ingest(inbox, warehouse)
    assert result.returncode == 1, result.stderr  # the bad file
    assert "10 loaded" in result.stdout and "1 unchanged" in result.stdout and "1 rejected" in result.stdout, \
        result.stdout
    rows = counts(warehouse)
    assert rows["document_sources"] == rows["documents"] + 1  # the resaved text: one more source, no document
    return warehouse


def assert_consistent_after_kill(warehouse: Path, clean: Path) -> None:
    """What a reader sees after the kill: nothing, or complete documents (as in the clean run)."""
    assert not Path(f"{warehouse}.wal").exists()
    if not warehouse.exists():
        return
    expected = per_document(clean)
    for doc_id, rows in per_document(warehouse).items():
        assert rows == expected[doc_id], f"document {doc_id} is incomplete after the kill"


def assert_converged(warehouse: Path, clean: Path) -> None:
    got, want = counts(warehouse), counts(clean)
    assert got.pop("runs") >= 1 and want.pop("runs") == 1  # a run killed after its final publish is a run too
    assert got == want
    assert versions(warehouse) == versions(clean)
    assert not Path(f"{warehouse}.wal").exists() and not Path(f"{warehouse}.staging").exists()


@pytest.mark.parametrize("point", ["publish:1", "publish:2", "published:1", "final:1"])
def test_a_run_killed_at_a_hook_converges_on_the_rerun(point: str, inbox: Path, clean: Path, tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    killed = ingest(inbox, warehouse, crash=point)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert_consistent_after_kill(warehouse, clean)
    rerun = ingest(inbox, warehouse)
    assert rerun.returncode in (0, 1) and "Traceback" not in rerun.stderr, rerun.stderr
    assert_converged(warehouse, clean)


def test_a_run_killed_from_outside_converges_on_the_rerun(inbox: Path, clean: Path, prefect_api: str,
                                                          tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    proc = subprocess.Popen([str(REFPIPE), "ingest", str(inbox), "-w", str(warehouse)],
                            env=quiet_env(PREFECT_API_URL=prefect_api), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        # after the first publish (always after the first document) and before the end, whatever the speed
        # of the machine: 9 more documents, the links and the run row are still to come
        while not warehouse.exists() and proc.poll() is None:
            assert time.monotonic() < deadline, "the ingest never published"
            time.sleep(0.005)
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(timeout=10) == -signal.SIGKILL, "the run ended before the kill"
    finally:
        stop(proc, grace=0)
    assert_consistent_after_kill(warehouse, clean)
    rerun = ingest(inbox, warehouse, api=prefect_api)
    assert rerun.returncode in (0, 1) and "Traceback" not in rerun.stderr, rerun.stderr
    assert_converged(warehouse, clean)
