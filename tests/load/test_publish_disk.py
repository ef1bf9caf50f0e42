"""Disk space and publishing (issue 17): one extra copy at most, a clean error saying what is needed, and
progress on a nearly full disk (ENOSPC injected through ``shutil.disk_usage`` / ``shutil.copyfile``)."""

from __future__ import annotations

import errno
import shutil
from collections import namedtuple
from pathlib import Path

import pytest

from pipeline.load import publish
from pipeline.load import warehouse as wh

Usage = namedtuple("Usage", "total used free")


def _warehouse(tmp_path: Path) -> Path:
    path = tmp_path / "w.duckdb"
    with publish.write_connection(path) as con:
        con.execute("CREATE TABLE IF NOT EXISTS t AS SELECT 1 AS x")
    return path


def test_no_room_for_the_staging_copy_is_a_clean_error_saying_how_much(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    path = _warehouse(tmp_path)
    before = path.read_bytes()
    monkeypatch.setattr(publish.shutil, "disk_usage", lambda _: Usage(100, 99, 1_000))
    expected = r"not enough free disk space .* MB, and .* 0\.0 MB free"
    with pytest.raises(wh.WarehouseError, match=expected), publish.writing(path):
        pass
    assert path.read_bytes() == before and not publish.side_file(path, "staging").exists()


def test_a_publish_without_room_for_its_copy_is_skipped_and_the_final_rename_publishes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _warehouse(tmp_path)
    with publish.writing(path) as session:
        monkeypatch.setattr(publish, "has_room", lambda folder, size: False)
        con = session.connect()
        con.execute("INSERT INTO t VALUES (2)")
        con.close()
        assert session.publish() is False  # no room: kept for the final publish
        monkeypatch.undo()
        assert session.publish() is True
        con = session.connect()
        con.execute("INSERT INTO t VALUES (3)")
        con.close()
    con = wh.connect(path, read_only=True)
    assert con.execute("SELECT list(x ORDER BY x) FROM t").fetchone() == ([1, 2, 3],)
    con.close()


def test_enospc_while_copying_is_a_clean_error_and_leaves_no_partial_copy(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    path = _warehouse(tmp_path)

    def full(source: Path, target: Path) -> None:
        Path(target).write_bytes(b"partial")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(shutil, "copyfile", full)
    with pytest.raises(wh.WarehouseError, match="no space left"), publish.writing(path):
        pass
    assert not publish.side_file(path, "staging").exists()
