"""The DuckDB CLI installed beside refpipe (`.venv/bin/duckdb`, PyPI duckdb-cli) opens a warehouse that
`refpipe ingest` wrote, read-only, and sees what the library sees: the storage format is pinned for it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from golden import FIXTURES

pytestmark = pytest.mark.e2e

BIN = Path(sys.executable).parent
SEEDS = sorted((FIXTURES / "seeds").glob("*.txt"))
QUERY = ("SELECT kind, count(*) AS n, count(DISTINCT key) AS keys FROM v_documents GROUP BY kind ORDER BY kind")


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("duckdb-cli")
    inbox = work / "inbox"
    inbox.mkdir()
    for seed in SEEDS:
        shutil.copy(seed, inbox / seed.name)
    target = work / "referentiels.duckdb"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "REFPIPE_"))}
    result = subprocess.run([str(BIN / "refpipe"), "ingest", str(inbox), "-w", str(target)],
                            capture_output=True, text=True, env=env, timeout=300)
    assert target.is_file(), result.stderr
    return target


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    duckdb_cli = BIN / "duckdb"
    assert duckdb_cli.is_file(), f"{duckdb_cli} missing: `pip install -e .[dev]` installs duckdb-cli"
    return subprocess.run([str(duckdb_cli), *args], capture_output=True, text=True, timeout=120)


def test_the_installed_cli_reads_a_refpipe_warehouse_read_only(warehouse: Path) -> None:
    version = cli("--version")
    assert version.returncode == 0 and version.stdout.startswith("v1.5."), version.stdout
    result = cli("-readonly", "-json", str(warehouse), "-c", QUERY)
    assert result.returncode == 0, result.stderr
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        expected = [dict(zip(("kind", "n", "keys"), row, strict=True)) for row in con.execute(QUERY).fetchall()]
    finally:
        con.close()
    assert json.loads(result.stdout) == expected
    assert [r["kind"] for r in expected] == ["cqpm", "rncp"]


def test_the_cli_reads_every_view_and_its_comments(warehouse: Path) -> None:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        views = [r[0] for r in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal "
                                           "AND view_name LIKE 'v\\_%' ESCAPE '\\' ORDER BY 1").fetchall()]
    finally:
        con.close()
    script = "\n".join(f"SELECT '{v}' AS view, count(*) AS n FROM {v};" for v in views)
    result = cli("-readonly", "-csv", "-noheader", str(warehouse), "-c", script)
    assert result.returncode == 0, result.stderr
    assert [line.split(",")[0] for line in result.stdout.split()] == views
    comments = cli("-readonly", "-csv", "-noheader", str(warehouse), "-c",
                   "SELECT comment FROM duckdb_columns() WHERE table_name = 'v_documents' AND column_name = 'key'")
    assert comments.returncode == 0 and comments.stdout.strip(), comments.stderr


def test_a_warehouse_is_written_in_the_storage_format_the_cli_reads(warehouse: Path) -> None:
    from pipeline.load import warehouse as wh

    con = wh.connect(warehouse, read_only=True)
    try:
        assert wh.storage_version(con) == f"{wh.STORAGE_VERSION}+"
    finally:
        con.close()
