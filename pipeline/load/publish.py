"""How every writer changes the warehouse: one writer at a time, on a staging copy, published atomically.

DuckDB lets one process write a database file *or* several read it, not both: a writer cannot even
open the file while an analyst holds it read-only.  So no writer ever opens the published file
``warehouse.duckdb``:

1. ``writing(warehouse)`` takes the writer lock, ``fcntl.flock`` on ``warehouse.duckdb.lock`` (waits
   up to ``REFPIPE_LOCK_TIMEOUT`` seconds, default 30, then raises ``TransientError``: exit 75).  The
   lock is released by the kernel when the process dies, even on ``kill -9``;
2. it copies the published file to ``warehouse.duckdb.staging`` (or starts an empty one) and the
   writer works there, each document in its own transaction;
3. publishing = ``CHECKPOINT`` the staging file (no WAL left), then ``os.replace`` it onto the
   published name (atomic on POSIX; fsync'd before and after); a publish within a batch then copies
   the new published file back to a staging file for the next documents.  A reader that opened the old file keeps
   its consistent snapshot; a reader opening afterwards sees the new file.  Readers never wait and are
   never refused, and never see a half-loaded document.

A crash at any point (kill -9 included) leaves the published file as it was at the last publish, with
no WAL beside it; the next ``writing`` discards the leftover staging files and starts again from the
published file, so a rerun converges to the same rows as an uninterrupted run.  The lock file names the
writer while it works and is emptied when it finishes; a writer killed, or stopped by an exception inside
its session (Ctrl-C), leaves it filled, so ``writer`` (``refpipe status``) and the next writer's
``Session.interrupted`` (its run's note) say that a load did not finish.

Disk: a writer needs room for one extra copy of the warehouse, never more (the staging file; a publish
renames it, then copies it back).  ``writing`` checks the free space before the staging copy and
raises a ``WarehouseError`` saying how much is needed; a publish within the batch is skipped (and the
work kept for the final rename, which needs no room) when the disk has no room for its copy, so a rerun
on a nearly full disk makes progress.  A folder the writer cannot write (read-only, permission) is a
``WarehouseError`` naming it, not a traceback.

When to publish within a batch (``Session.document_done``): after a document when the last publish cost
at most ``PUBLISH_OVERHEAD`` of the time spent since; always at the end.  Copying is linear in the file
size, so on a small warehouse that is after nearly every document (readers see documents arrive, a crash
loses at most one document's work), and on a large one the copies stay a bounded share of the run
(figures in benchmarks/README.md, "Design figures").  The final publish is a rename, not a copy.

Every writer goes through here: the ingest flow (one ``Session`` for its loads, rejections, links
recompute and run record) and ``refpipe diff`` (``write_connection``).  Readers (``show``, ``sql``,
``links``, ``quality``, ``versions``, ``status``) open the published file read-only with
``warehouse.connect(..., read_only=True)``.  An analyst must open it read-only too (``duckdb -readonly``):
a writable connection would lock the published file and its writes would be replaced at the next publish.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import shutil
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from pipeline.errors import TransientError
from pipeline.load import warehouse as wh

PUBLISH_OVERHEAD = 0.10
ENV_LOCK_TIMEOUT = "REFPIPE_LOCK_TIMEOUT"
ENV_CRASH = "REFPIPE_TEST_CRASH_AT"


def side_file(warehouse: Path | str, suffix: str) -> Path:
    return Path(f"{os.fspath(warehouse)}.{suffix}")


@dataclass(frozen=True)
class WriterInfo:
    """What the lock file says about the current (or last, if it died) writer."""

    pid: int
    started_at: str
    command: str


def _lock_timeout() -> float:
    try:
        return float(os.environ.get(ENV_LOCK_TIMEOUT, "30"))
    except ValueError:
        return 30.0


class Session:
    """A writer's hold on the warehouse: ``path`` is the staging file to open and write."""

    def __init__(self, published: Path, previous: WriterInfo | None) -> None:
        self.published = published
        self.path = side_file(published, "staging")
        self.interrupted = previous  # a writer that died holding the lock (its unpublished work is gone)
        self.publishes = 0
        self._since = time.monotonic()
        self._cost = 0.0
        self._keeper: duckdb.DuckDBPyConnection | None = None

    def connect(self) -> duckdb.DuckDBPyConnection:
        return wh.connect(self.path)

    def _hold(self) -> None:
        """Keep the staging database open for the session (a connection that does nothing).

        DuckDB shares one database instance between the connections of a process to the same file and
        closes it with the last one, checkpointing.  Without a keeper each writer's connect/close (the
        flow's load of every chunk) re-opened the file and checkpointed it: 50 ms a chunk, against 2 ms
        (and 25 % less CPU for the load itself, measured on chunks of the fixture PDFs)."""
        if self._keeper is None:
            self._keeper = wh.connect(self.path)  # creates it / applies the schema, so a reader never needs to

    def _release(self) -> None:
        """Close the keeper (the last connection: DuckDB checkpoints) before the file is renamed or removed;
        a later connect in this process must not find the instance of a file that is gone."""
        if self._keeper is not None:
            self._keeper.close()
            self._keeper = None

    def document_done(self) -> bool:
        """One more document is in the staging file (no transaction open); publish if due.  True if done."""
        _crash_point("document")
        if time.monotonic() - self._since >= self._cost / PUBLISH_OVERHEAD:
            return self.publish()
        return False

    def publish(self) -> bool:
        """Publish the staging file now and go on writing a copy of it; True if published.

        The staging file is renamed onto the published one, then copied back: one extra copy at most on
        the disk.  Without room for that copy (checked first) nothing happens: the work stays in the
        staging file for the final publish (a rename), and publishes resume when room comes back."""
        started = time.monotonic()
        self._release()
        _checkpoint(self.path)
        size = self.path.stat().st_size
        if not has_room(self.path.parent, size):
            self._hold()
            self._since = time.monotonic()
            return False
        self._replace(self.path)
        try:
            _copy(self.published, self.path)
        except BaseException:
            self.path.unlink(missing_ok=True)
            raise
        self._hold()
        self._since = time.monotonic()
        self._cost = self._since - started
        return True

    def _finish(self) -> None:
        self._release()
        _checkpoint(self.path)
        _crash_point("final")
        self._replace(self.path)

    def _replace(self, source: Path) -> None:
        _fsync(source)
        _crash_point("publish")
        os.replace(source, self.published)
        _fsync(self.published.parent)
        self.publishes += 1
        _crash_point("published")


@contextlib.contextmanager
def writing(warehouse: Path | str, *, timeout: float | None = None, command: str = "refpipe",
            keep_on: tuple[type[BaseException], ...] = ()) -> Iterator[Session]:
    """Hold the writer lock and a staging copy; publish when the block ends.

    On an exception the staging copy is discarded (nothing since the last publish is kept), unless it is
    one of ``keep_on``: expected errors raised between transactions, whose committed work is still
    published before the exception goes on (``refpipe diff`` keeps a rejection it recorded)."""
    published = Path(warehouse)
    if os.fspath(warehouse) == ":memory:" or published.suffix in (".staging", ".publishing"):
        raise ValueError(f"writing() takes the published warehouse file, not {warehouse}")
    if published.is_dir():
        raise wh.WarehouseError(wh.folder_given(published))
    with _unwritable(published.parent):
        published.parent.mkdir(parents=True, exist_ok=True)
    unfinished: list[bool] = []  # the block raised (Ctrl-C, a crash): the lock file keeps who was writing
    with _writer_lock(published, _lock_timeout() if timeout is None else timeout, command, unfinished) as previous:
        session = Session(published, previous)
        _discard(published)
        _recover_wal(published)
        if published.exists():
            need = published.stat().st_size + HEADROOM
            if not has_room(published.parent, need):
                free = shutil.disk_usage(published.parent).free
                raise wh.WarehouseError(
                    f"not enough free disk space to write {published}: a run needs one copy of the warehouse "
                    f"and room to grow, {_mb(need)} MB, and {published.parent} has {_mb(free)} MB free")
            with _unwritable(published.parent):
                _copy(published, session.path)
        try:
            session._hold()
        except BaseException as exc:  # the staging copy cannot be opened: publish nothing
            session._release()
            _discard(published)
            if isinstance(exc, wh.WarehouseError):  # it is about the copy: name the user's file
                raise wh.WarehouseError(str(exc).replace(str(session.path), str(published))) from exc
            raise
        try:
            yield session
        except keep_on:
            session._finish()
            raise
        except BaseException:
            unfinished.append(True)  # `refpipe status` and the next writer say this one did not finish
            raise
        else:
            session._finish()
        finally:
            session._release()
            _discard(published)


@contextlib.contextmanager
def write_connection(warehouse: Path | str, *, timeout: float | None = None, command: str = "refpipe",
                     keep_on: tuple[type[BaseException], ...] = ()) -> Iterator[duckdb.DuckDBPyConnection]:
    """``writing`` for a single connection, closed before the changes are published."""
    with writing(warehouse, timeout=timeout, command=command, keep_on=keep_on) as session:
        con = session.connect()
        try:
            yield con
        finally:
            con.close()


def writer(warehouse: Path | str) -> tuple[bool, WriterInfo | None]:
    """(a writer holds the lock now, what the lock file says): a running load, or one that died."""
    lock = side_file(warehouse, "lock")
    if not lock.exists():
        return False, None
    with open(lock) as fh:  # a shared lock needs no write access
        try:
            fcntl.flock(fh, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True, _read_info(fh.read())
        try:
            return False, _read_info(fh.read())
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


# ---------------------------------------------------------------------------------------------- internals


@contextlib.contextmanager
def _writer_lock(published: Path, timeout: float, command: str, unfinished: list[bool] | None = None
                 ) -> Iterator[WriterInfo | None]:
    with _unwritable(published.parent):
        fd = os.open(side_file(published, "lock"), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    info = _read_info(os.pread(fd, 4096, 0).decode("utf-8", "replace"))
                    who = f" (pid {info.pid}, {info.command}, since {info.started_at})" if info else ""
                    raise TransientError(f"warehouse {published} is being written by another process{who}; "
                                         f"waited {timeout:g} s, try again later") from None
                time.sleep(0.1)
        previous = _read_info(os.pread(fd, 4096, 0).decode("utf-8", "replace"))
        mine = json.dumps({"pid": os.getpid(), "command": command,
                           "started_at": datetime.now(UTC).isoformat(timespec="seconds")})
        os.ftruncate(fd, 0)
        os.pwrite(fd, mine.encode(), 0)
        try:
            yield previous
        finally:
            if not unfinished:  # an empty lock file: the last writer finished (kill -9, Ctrl-C leave it filled)
                os.ftruncate(fd, 0)
    finally:
        os.close(fd)  # releases the flock


#: room a run wants beyond the copy of the warehouse (its new documents; a publish skips when short)
HEADROOM = 16_000_000


def has_room(folder: Path, size: int) -> bool:
    """True when ``folder``'s file system has ``size`` bytes free (unknown: assume it has)."""
    try:
        return shutil.disk_usage(folder).free >= size
    except OSError:
        return True


def _mb(size: int) -> str:
    return f"{size / 1e6:,.1f}"


def _copy(source: Path, target: Path) -> None:
    """Copy the warehouse file; a disk that fills meanwhile is a clean error, the partial copy removed."""
    try:
        shutil.copyfile(source, target)
    except OSError as exc:
        target.unlink(missing_ok=True)
        if exc.errno == errno.ENOSPC:
            raise wh.WarehouseError(f"no space left on the disk of {target.parent} while copying the warehouse "
                                    f"({_mb(source.stat().st_size)} MB needed); free some space and run again"
                                    ) from exc
        raise


@contextlib.contextmanager
def _unwritable(folder: Path) -> Iterator[None]:
    """A folder the writer may not write (read-only file system, permissions): a clean error naming it."""
    try:
        yield
    except OSError as exc:
        if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            raise wh.WarehouseError(f"cannot write in {folder} ({exc.strerror}): the warehouse folder must be "
                                    "writable (the lock and the staging copy live beside the warehouse)") from exc
        if exc.errno in (errno.EEXIST, errno.ENOTDIR):  # a file where a folder of the path should be
            blocker = next((p for p in (folder, *folder.parents) if p.exists() and not p.is_dir()), folder)
            raise wh.WarehouseError(f"cannot create the warehouse folder {folder}: {blocker} is a file, not a "
                                    "folder (give a warehouse path under a folder)") from exc
        raise


def _read_info(text: str) -> WriterInfo | None:
    try:
        data = json.loads(text)
        return WriterInfo(pid=int(data["pid"]), started_at=str(data["started_at"]), command=str(data["command"]))
    except (ValueError, KeyError, TypeError):
        return None


def _discard(published: Path) -> None:
    """Remove what a writer leaves beside the published file (we hold the lock: nobody else uses them)."""
    for suffix in ("staging", "staging.wal", "publishing"):
        side_file(published, suffix).unlink(missing_ok=True)


def _recover_wal(published: Path) -> None:
    """Fold a WAL left beside the published file (a writer that bypassed ``writing`` and crashed)."""
    if not side_file(published, "wal").exists() or not published.exists():
        return
    con = wh.connect(published)  # replays the WAL; locked (TransientError) while a reader holds the file
    try:
        con.execute("CHECKPOINT")
    finally:
        con.close()


def _checkpoint(path: Path) -> None:
    """Fold the staging WAL into the file: what is copied or renamed is the whole database.

    DuckDB checkpoints when the last connection closes, so there is usually no WAL left to fold (and
    opening the file just to find that out would cost ~25 ms per publish)."""
    wal = side_file(path, "wal")
    if not wal.exists():
        return
    try:
        con = duckdb.connect(str(path))
        try:
            con.execute("CHECKPOINT")
        finally:
            con.close()
    except duckdb.IOException as exc:  # a full disk, typically: nothing is published, the last publish stands
        raise TransientError(f"warehouse {path}: cannot fold the write-ahead log ({exc}); nothing more was "
                             "published, the warehouse is as it was at its last publish") from exc
    if wal.exists() and wal.stat().st_size:
        raise RuntimeError(f"{path}: a connection is still open (WAL not empty after CHECKPOINT)")
    wal.unlink(missing_ok=True)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


_passes: dict[str, int] = {}


def _crash_point(name: str) -> None:
    """Test hook, inert unless ``REFPIPE_TEST_CRASH_AT=name:n``: SIGKILL this process at the n-th pass."""
    spec = os.environ.get(ENV_CRASH)
    if not spec:
        return
    _passes[name] = _passes.get(name, 0) + 1
    point, _, nth = spec.partition(":")
    if point == name and _passes[name] == int(nth or "1"):
        os.kill(os.getpid(), signal.SIGKILL)
