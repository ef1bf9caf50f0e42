"""The writer mechanism: lock, staging copy, atomic publish, crash leftovers, readers holding the file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from gold_documents import document_from_gold, gold_paths

from pipeline.errors import TransientError
from pipeline.load import publish
from pipeline.load import warehouse as wh

GOLDS = gold_paths()


def count(path: Path, table: str = "documents") -> int:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return int(con.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # type: ignore[index]
    finally:
        con.close()


def leftovers(published: Path) -> list[str]:
    return sorted(p.name for p in published.parent.iterdir() if p.name != published.name)


def test_a_session_publishes_a_new_warehouse_and_leaves_only_the_lock(tmp_path: Path) -> None:
    w = tmp_path / "w.duckdb"
    with publish.writing(w) as session:
        assert session.path.name == "w.duckdb.staging" and not w.exists()
        con = session.connect()
        wh.load(document_from_gold(GOLDS[0]), con)
        con.close()
    assert count(w) == 1
    assert leftovers(w) == ["w.duckdb.lock"] and (tmp_path / "w.duckdb.lock").read_text() == ""


def test_an_error_discards_the_staging_copy_and_keeps_the_published_file(tmp_path: Path) -> None:
    w = tmp_path / "w.duckdb"
    with publish.write_connection(w) as con:
        wh.load(document_from_gold(GOLDS[0]), con)
    with pytest.raises(RuntimeError), publish.write_connection(w) as con:
        wh.load(document_from_gold(GOLDS[1]), con)
        raise RuntimeError("boom")
    assert count(w) == 1 and leftovers(w) == ["w.duckdb.lock"]


@pytest.mark.parametrize("stop", [KeyboardInterrupt(), RuntimeError("Query interrupted")],
                         ids=["ctrl-c", "duckdb-interrupted"])
def test_a_writer_stopped_mid_session_is_reported_as_interrupted(tmp_path: Path, stop: BaseException) -> None:
    """Ctrl-C (or a crash) ends the session with an exception: the lock file kept only for kill -9, so
    `refpipe status` and the next run's note never said that a load had been interrupted, while what it
    had published mid-batch stayed without a run row."""
    w = tmp_path / "w.duckdb"
    with publish.write_connection(w) as con:
        wh.load(document_from_gold(GOLDS[0]), con)
    assert publish.writer(w) == (False, None)
    with pytest.raises(type(stop)), publish.write_connection(w, command="refpipe ingest (cli)") as con:
        wh.load(document_from_gold(GOLDS[1]), con)
        raise stop
    running, info = publish.writer(w)
    assert not running and info is not None and info.pid == os.getpid() and info.command == "refpipe ingest (cli)"
    with publish.writing(w) as session:
        assert session.interrupted is not None and session.interrupted.pid == os.getpid()
    assert publish.writer(w) == (False, None)  # that one finished
    with pytest.raises(TransientError), publish.write_connection(w, keep_on=(TransientError,)):
        raise TransientError("expected: its work is published, the writer finished")
    assert publish.writer(w) == (False, None)


def test_keep_on_publishes_the_committed_work_before_the_error_goes_on(tmp_path: Path) -> None:
    w = tmp_path / "w.duckdb"
    with pytest.raises(TransientError), publish.write_connection(w, keep_on=(TransientError,)) as con:
        wh.load(document_from_gold(GOLDS[0]), con)
        raise TransientError("expected")
    assert count(w) == 1


def test_a_reader_holding_the_file_keeps_its_snapshot_and_never_blocks_the_writer(tmp_path: Path) -> None:
    w = tmp_path / "w.duckdb"
    with publish.write_connection(w) as con:
        wh.load(document_from_gold(GOLDS[0]), con)
    reader = wh.connect(w, read_only=True)
    try:
        with publish.writing(w) as session:
            for g in GOLDS[1:3]:
                con = session.connect()
                wh.load(document_from_gold(g), con)
                con.close()
                session.document_done()  # mid-batch publishes while the reader holds the old file
        assert reader.execute("SELECT count(*) FROM documents").fetchone() == (1,)
    finally:
        reader.close()
    assert count(w) == 3


def test_document_done_publishes_when_the_copy_is_cheap(tmp_path: Path) -> None:
    w = tmp_path / "w.duckdb"
    with publish.writing(w) as session:
        con = session.connect()
        wh.load(document_from_gold(GOLDS[0]), con)
        con.close()
        assert session.document_done()  # the first one always: the cost is not known yet
        assert count(w) == 1 and session.publishes == 1
        session._cost = 3600.0  # a (pretend) huge copy: not again before an hour of work
        assert not session.document_done()
    assert session.publishes == 2  # the final publish (a rename)


def test_a_publish_after_an_update_of_stored_rows_is_not_blocked_by_the_idle_keeper(tmp_path: Path) -> None:
    """A re-keyed version chain is an UPDATE of rows already in the file.  The session's keeper connection
    must hold no transaction open (it once kept the result of its schema check unread), or the CHECKPOINT
    of the publish fails with "other write transactions active"."""
    w = tmp_path / "w.duckdb"
    doc = document_from_gold(GOLDS[0])
    with publish.writing(w) as session:  # a first run: the row is in the published file
        con = session.connect()
        wh.load(doc, con)
        con.close()
    with publish.writing(w) as session:  # the next run updates it
        con = session.connect()
        with wh.transaction(con):
            con.execute("UPDATE documents SET key = 'CQPM-9999', version = '1' WHERE id = ?", [doc.id])
        con.close()
        assert session.document_done()  # the first one is always due
    con = duckdb.connect(str(w), read_only=True)
    try:
        assert con.execute("SELECT key FROM documents").fetchall() == [("CQPM-9999",)]
    finally:
        con.close()


def test_a_second_writer_waits_then_fails_as_transient(tmp_path: Path) -> None:
    w = tmp_path / "w.duckdb"
    with publish.writing(w, command="first"):
        running, info = publish.writer(w)
        assert running and info is not None and info.command == "first" and info.pid == os.getpid()
        with pytest.raises(TransientError, match="being written by another process.*first"), \
                publish.writing(w, timeout=0.3):
            pass
    assert publish.writer(w) == (False, None)


def test_leftovers_of_a_killed_writer_are_discarded_and_reported(tmp_path: Path) -> None:
    w = tmp_path / "w.duckdb"
    with publish.write_connection(w) as con:
        wh.load(document_from_gold(GOLDS[0]), con)
    # what kill -9 leaves: a filled lock file (not locked: the kernel released it), half-written side files
    (tmp_path / "w.duckdb.lock").write_text(json.dumps({"pid": 4242, "command": "refpipe ingest (cli)",
                                                         "started_at": "2024-01-01T06:00:00+00:00"}))
    for junk in ("w.duckdb.staging", "w.duckdb.staging.wal", "w.duckdb.publishing"):
        (tmp_path / junk).write_bytes(b"garbage")
    running, info = publish.writer(w)
    assert not running and info is not None and info.pid == 4242
    with publish.writing(w) as session:
        assert session.interrupted is not None and session.interrupted.pid == 4242
        con = session.connect()
        wh.load(document_from_gold(GOLDS[1]), con)
        con.close()
    assert count(w) == 2 and leftovers(w) == ["w.duckdb.lock"]


@pytest.mark.e2e  # a killed process leaves the WAL
def test_a_wal_left_beside_the_published_file_is_folded_in_first(tmp_path: Path) -> None:
    w = tmp_path / "w.duckdb"
    with publish.write_connection(w) as con:
        wh.load(document_from_gold(GOLDS[0]), con)
    # a writer that bypassed the mechanism and died: its committed rows are only in the WAL
    script = ("import duckdb, os, sys; c = duckdb.connect(sys.argv[1]); "
              "c.execute('CREATE TABLE legacy AS SELECT 1 AS x'); os._exit(0)")
    subprocess.run([sys.executable, "-c", script, str(w)], check=True)
    assert (tmp_path / "w.duckdb.wal").exists()
    with publish.writing(w):
        pass
    assert not (tmp_path / "w.duckdb.wal").exists()
    assert count(w, "legacy") == 1 and count(w) == 1


def test_writing_refuses_a_side_file(tmp_path: Path) -> None:
    with pytest.raises(ValueError), publish.writing(tmp_path / "w.duckdb.staging"):
        pass


def test_the_crash_hook_is_inert_unless_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(publish.ENV_CRASH, raising=False)
    publish._crash_point("document")  # nothing happens
    monkeypatch.setenv(publish.ENV_CRASH, "elsewhere:1")
    publish._crash_point("document")


def test_a_folder_or_a_file_that_is_not_duckdb_is_refused_naming_the_users_path(tmp_path: Path) -> None:
    with pytest.raises(wh.WarehouseError, match="is a folder: give the warehouse file"):
        publish.writing(tmp_path).__enter__()
    assert not Path(f"{tmp_path}.lock").exists()  # nothing written beside the folder
    fake = tmp_path / "notes.duckdb"
    fake.write_text("not a database\n" * 100, encoding="utf-8")
    with pytest.raises(wh.WarehouseError) as raised, publish.writing(fake):
        pass
    assert f"warehouse {fake} is not a DuckDB database" in str(raised.value) and ".staging" not in str(raised.value)
    assert fake.read_text(encoding="utf-8").startswith("not a database")  # left as it was
    inode = fake.stat().st_ino
    with pytest.raises(wh.WarehouseError), publish.writing(fake, keep_on=(wh.WarehouseError,)):
        pass  # (refpipe diff keeps what it wrote on such errors: here it wrote nothing, nothing is published)
    assert fake.stat().st_ino == inode and not Path(f"{fake}.staging").exists()


@pytest.mark.parametrize("under", ["w.duckdb", "sub/w.duckdb"])
def test_a_warehouse_path_under_a_file_is_a_clean_error_naming_the_file(tmp_path: Path, under: str) -> None:
    """`-w notes.txt/w.duckdb`: mkdir of the folder met a file, a FileExistsError traceback."""
    blocker = tmp_path / "notes.txt"
    blocker.write_text("not a folder")
    with pytest.raises(wh.WarehouseError, match=f"{blocker} is a file, not a folder"), \
            publish.writing(blocker / under):
        pass
