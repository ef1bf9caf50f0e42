"""Nothing hangs, nothing is lost (issue 17): whole runs on hostile folders, changing files, bombs, full and
read-only disks, schema upgrades, zips.  Each test runs the real ingest (extraction processes): e2e."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from bombs import flate_bomb_pdf
from golden import FIXTURES

from pipeline.limits import Limits
from pipeline.load import warehouse as wh
from pipeline.records import FileOutcome
from pipeline.runtime import IngestOptions, ingest_paths

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
SEEDS = sorted((FIXTURES / "seeds").glob("*.txt"))
PDFS = [FIXTURES / "pdf" / "000_8d1bcbb53b7e0a76.rl-portrait-grid.pdf",
        FIXTURES / "pdf" / "002_59b883e404a36628.lo-landscape-hrules.pdf"]
SEED = FIXTURES / "seeds" / "001_1b606db1c3205ecb.txt"


def ingest(paths: list[Path], warehouse: Path, **options: object) -> dict[str, FileOutcome]:
    opts = IngestOptions(limits=options.pop("limits", Limits(seconds=120)), workers=1, links=False,  # type: ignore[arg-type]
                         **options)  # type: ignore[arg-type]
    return {Path(o.path).name: o for o in ingest_paths(paths, warehouse, opts)}


def rows(warehouse: Path, sql: str) -> list[tuple[object, ...]]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def cli(*args: str, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    # tables as wide as the temporary paths they show (longer under xdist: .../popen-gw0/...)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "400"}
    env.pop("PREFECT_API_URL", None)
    return subprocess.run([sys.executable, "-m", "refpipe.cli", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)


def test_a_hostile_drop_folder_ends_loads_the_good_file_and_rejects_each_bad_path(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(SEED, inbox / "good.txt")
    os.mkfifo(inbox / "fifo.txt")
    (inbox / "zero.txt").symlink_to("/dev/zero")
    (inbox / "dangling.txt").symlink_to(inbox / "gone.txt")
    (inbox / "loop.txt").symlink_to(inbox / "loop.txt")
    (inbox / os.fsdecode(b"nom-\xff.txt")).write_bytes(SEED.read_bytes())
    with open(inbox / "sparse.txt", "wb") as fh:
        fh.truncate(10 * 10**9)
    started = time.monotonic()
    result = cli("ingest", str(inbox), "-w", str(tmp_path / "w.duckdb"), "-j", "1", cwd=tmp_path)
    assert time.monotonic() - started < 240
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    status = dict(rows(tmp_path / "w.duckdb", "SELECT regexp_extract(path, '[^/]*$'), status || ': ' || "
                                               "coalesce(reason, '') FROM sources"))
    assert status.pop("good.txt").startswith("loaded")
    assert "named pipe" in status.pop("fifo.txt")
    assert "outside the folder" in status.pop("zero.txt")
    assert "dangling symbolic link" in status.pop("dangling.txt")
    assert "symbolic link loop" in status.pop("loop.txt")
    assert "over the size limit" in status.pop("sparse.txt")
    assert "not valid UTF-8" in status.pop("nom-\\xff.txt")
    assert status == {}
    again = cli("ingest", str(inbox), "-w", str(tmp_path / "w.duckdb"), "-j", "1", cwd=tmp_path)
    assert again.returncode == 0, again.stderr  # nothing new: the bad paths are in quarantine, the good unchanged
    shown = cli("status", "-w", str(tmp_path / "w.duckdb"), cwd=tmp_path)
    assert shown.returncode == 0 and "named pipe" in shown.stdout and "nom-\\xff.txt" in shown.stdout


def test_a_file_truncated_during_the_run_is_not_quarantined_and_loads_whole_once_restored(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    doc = inbox / "doc.txt"
    doc.write_bytes(SEED.read_bytes())
    reference = ingest([SEED], tmp_path / "ref.duckdb")["001_1b606db1c3205ecb.txt"]
    warehouse = tmp_path / "w.duckdb"

    def truncate(_: int) -> None:  # after discovery hashed it, before extraction reads it
        doc.write_bytes(SEED.read_bytes()[: len(SEED.read_bytes()) // 2])

    opts = IngestOptions(limits=Limits(seconds=120), workers=1, links=False)
    [outcome] = ingest_paths([inbox], warehouse, opts, on_discovered=truncate)
    assert outcome.status == "failed" and "changed while read" in (outcome.reason or "")
    assert rows(warehouse, "SELECT count(*) FROM sources") == [(0,)]  # nothing recorded under any hash
    doc.write_bytes(SEED.read_bytes())  # put back
    again = ingest([inbox], warehouse)["doc.txt"]
    assert again.status == "loaded" and again.document_id == reference.document_id
    count = "SELECT count(*) FROM cqpm_capacities"
    assert rows(warehouse, count) == rows(tmp_path / "ref.duckdb", count) == [(8,)]


def test_a_flate_bomb_is_rejected_for_memory_and_the_batch_goes_on(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    bomb = flate_bomb_pdf(2 << 30)  # 2 GiB from a few KB
    assert len(bomb) < 10_000
    (inbox / "bomb.pdf").write_bytes(bomb)
    shutil.copy(SEED, inbox / "good.txt")
    got = ingest([inbox], tmp_path / "w.duckdb", limits=Limits(seconds=120, max_memory=300_000_000))
    assert got["good.txt"].status == "loaded"
    assert got["bomb.pdf"].status == "rejected"
    # pypdfium2 (the default backend) aborts in C on a failed allocation; pdfplumber raises MemoryError
    assert "over the per-document memory limit" in (got["bomb.pdf"].reason or "")


@contextlib.contextmanager
def tmpfs(where: Path, size: str, *options: str) -> Iterator[Path]:
    where.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", ",".join([f"size={size}", *options]), "tmpfs",
                           str(where)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def test_a_full_disk_is_a_clean_error_and_a_nearly_full_one_still_makes_progress(tmp_path: Path) -> None:
    ref = tmp_path / "ref.duckdb"
    ingest(SEEDS[:2], ref)
    size = ref.stat().st_size
    with tmpfs(tmp_path / "disk", f"{(2 * size + 40_000_000) // 1_000_000}M") as disk:
        warehouse = disk / "w.duckdb"
        shutil.copy(ref, warehouse)
        free = shutil.disk_usage(disk).free
        ballast = disk / "ballast"
        ballast.write_bytes(b"\0" * (free - size // 2))  # no room for a copy of the warehouse
        inbox = tmp_path / "inbox"
        inbox.mkdir()
        for seed in SEEDS:
            shutil.copy(seed, inbox / seed.name)
        before = warehouse.read_bytes()
        full = cli("ingest", str(inbox), "-w", str(warehouse), "-j", "1", cwd=tmp_path)
        assert full.returncode == 1 and "Traceback" not in full.stderr, full.stderr
        assert "not enough free disk space" in full.stderr and "MB" in full.stderr
        assert warehouse.read_bytes() == before  # the last good state
        ballast.unlink()
        ballast.write_bytes(b"\0" * (shutil.disk_usage(disk).free - size - 17_000_000))  # one copy fits, not two
        nearly = cli("ingest", str(inbox), "-w", str(warehouse), "-j", "1", cwd=tmp_path)
        assert nearly.returncode == 0, nearly.stderr
        assert rows(warehouse, "SELECT count(*) FROM documents") == [(len(SEEDS),)]


def test_a_read_only_warehouse_folder_is_a_clean_error_naming_it(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "ro", "1M", "ro") as ro:
        result = cli("ingest", str(SEED), "-w", str(ro / "w.duckdb"), cwd=tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert str(ro) in result.stderr and "Read-only file system" in result.stderr


def test_a_schema_migration_keeps_a_backup_and_a_newer_schema_is_refused(tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    ingest([SEED], warehouse)
    con = duckdb.connect(str(warehouse))  # make it look like a warehouse of schema 1 (before numbering)
    con.execute("DELETE FROM refpipe_meta WHERE key = 'schema_version'")
    con.execute("UPDATE refpipe_meta SET value = 'old' WHERE key = 'schema_sha256'")
    con.close()
    old = warehouse.read_bytes()
    result = cli("ingest", str(SEEDS[0]), "-w", str(warehouse), "-j", "1", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    backup = wh.backup_name(warehouse, 1)
    assert backup.read_bytes() == old and str(backup) in result.stderr
    assert rows(warehouse, "SELECT value FROM refpipe_meta WHERE key = 'schema_version'") == \
        [(str(wh.SCHEMA_VERSION),)]
    con = duckdb.connect(str(warehouse))
    con.execute("UPDATE refpipe_meta SET value = '99' WHERE key = 'schema_version'")
    con.close()
    newer = cli("ingest", str(SEEDS[1]), "-w", str(warehouse), "-j", "1", cwd=tmp_path)
    assert newer.returncode == 1 and "Traceback" not in newer.stderr, newer.stderr
    assert "schema version 99" in newer.stderr and "upgrade refpipe" in newer.stderr


KILLED_RUN = """
import sys, time
from flows import orphans
from flows.ingest import run_ingest
from pipeline.limits import Limits
run_ingest([sys.argv[1]], sys.argv[2], workers=1, limits=Limits(seconds=120), links=False)
print("SERVERS", *orphans.server_pids(), flush=True)
time.sleep(600)
"""


def test_kill_9_of_the_main_process_alone_leaves_no_prefect_server(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PREFECT_HOME": str(tmp_path / "prefect"),
           "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180"}
    env.pop("PREFECT_API_URL", None)
    main = subprocess.Popen([sys.executable, "-c", KILLED_RUN, str(SEED), str(tmp_path / "w.duckdb")], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        line = ""
        deadline = time.monotonic() + 300
        while not line.startswith("SERVERS") and time.monotonic() < deadline:
            line = main.stdout.readline() if main.stdout else ""
            if not line and main.poll() is not None:
                break
        servers = [int(p) for p in line.split()[1:]]
        assert servers, "the run started no ephemeral server"
        os.kill(main.pid, 9)  # the main process alone, not its group
        main.wait()
        deadline = time.monotonic() + 20
        while any(_alive(p) for p in servers) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not any(_alive(p) for p in servers)
    finally:
        if main.poll() is None:
            main.kill()


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def _zip(path: Path, method: int) -> Path:
    with zipfile.ZipFile(path, "w", compression=method) as z:
        for i, f in enumerate([*SEEDS, *PDFS]):
            z.write(f, f"dossier/{'sous/' if i % 2 else ''}{f.name}")
    return path


@pytest.mark.parametrize("method", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED], ids=["stored", "deflated"])
def test_a_zip_ingests_to_exactly_the_documents_of_the_loose_files(tmp_path: Path, method: int) -> None:
    loose = tmp_path / "loose.duckdb"
    by_name = ingest([*SEEDS, *PDFS], loose)
    (tmp_path / "inbox").mkdir()
    archive = _zip(tmp_path / "inbox" / "lot.zip", method)
    zipped = tmp_path / "zipped.duckdb"
    got = ingest([tmp_path / "inbox"], zipped)
    # each file the same document (the first of a document's sources loads it, the others are unchanged)
    assert {n: o.document_id for n, o in got.items()} == {n: o.document_id for n, o in by_name.items()}
    assert {o.status for o in got.values()} <= {"loaded", "partial", "unchanged"}
    docs = "SELECT id, kind, status FROM documents ORDER BY id"
    assert rows(zipped, docs) == rows(loose, docs)
    for table in ("cqpm_capacities", "cqpm_criteria", "rncp_capacities"):
        assert rows(zipped, f"SELECT count(*) FROM {table}") == rows(loose, f"SELECT count(*) FROM {table}")
    parents = rows(zipped, "SELECT DISTINCT parent FROM sources")
    assert parents == [(hashlib.sha256(archive.read_bytes()).hexdigest(),)]
    assert all("lot.zip!/dossier/" in p for (p,) in rows(zipped, "SELECT path FROM sources"))


def test_hostile_zips_are_refused_and_the_batch_goes_on(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    with zipfile.ZipFile(inbox / "traversal.zip", "w") as z:
        z.writestr("ok.txt", SEED.read_bytes())
        z.writestr("../../etc/evil.txt", b"x")
    with zipfile.ZipFile(inbox / "bomb.zip", "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("bomb.txt", b"\0" * 50_000_000)
    shutil.copy(SEED, inbox / "good.txt")
    got = ingest([inbox], tmp_path / "w.duckdb")
    assert got["good.txt"].status == "loaded"
    assert got["traversal.zip"].status == "rejected" and "path traversal" in (got["traversal.zip"].reason or "")
    assert got["bomb.zip"].status == "rejected" and "zip bomb" in (got["bomb.zip"].reason or "")
    assert not (tmp_path / "etc").exists()
