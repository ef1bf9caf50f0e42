"""Ctrl-C inside the runtime stops the run: DuckDB turns a SIGINT that lands while a statement runs into an
ordinary ``RuntimeError("Query interrupted")`` (``duckdb.InterruptException`` for ``interrupt()``), and the
handlers that keep a run going past one step's failure (links, version diffs, a batch's load, a stage)
must not take it for that failure: the run ends with ``KeyboardInterrupt`` and publishes nothing after the
interrupt (no version diffs, no run row, no final publish; the documents a publish within the batch had
already published stay, as designed in ``pipeline.load.publish``)."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
from golden import FIXTURES

from pipeline.errors import is_interrupt
from pipeline.limits import Limits
from pipeline.load import warehouse as wh
from pipeline.records import SourceFile
from pipeline.runtime import Extracted, IngestOptions, InProcess, Pending, executor, ingest_paths
from pipeline.runtime.batch import attempt
from pipeline.runtime.links import RecomputeSummary

SEEDS = sorted((FIXTURES / "seeds").glob("*.txt"))
ENDLESS = "SELECT count(*) FROM range(1000000000000) a, range(1000) b"


def _interrupt(con: duckdb.DuckDBPyConnection) -> None:
    con.interrupt()  # InterruptException; a SIGINT from a timer thread is not used: on one CPU (taskset)
    # DuckDB does not look at signals while the statement runs, so the test would hang


def _sigint_form(con: duckdb.DuckDBPyConnection) -> None:
    raise RuntimeError("Query interrupted")  # what DuckDB raises when a SIGINT lands in a statement


class StuckLinks(InProcess):
    """The real stages, but the links stage runs an endless DuckDB statement on the staging warehouse
    that ``stop`` interrupts half a second after it starts, as a user's Ctrl-C would."""

    def __init__(self, stop: Callable[[duckdb.DuckDBPyConnection], None], published: Path) -> None:
        super().__init__(1)
        self.stop = stop
        self.published = published
        self.at_start: tuple[int, int] | None = None  # the published file when the links stage began

    def link(self, warehouse: str) -> RecomputeSummary:
        self.at_start = _published(self.published)
        con = wh.connect(warehouse)
        try:
            if self.stop is _sigint_form:
                self.stop(con)
            timer = threading.Timer(0.5, self.stop, args=(con,))
            timer.start()
            con.execute(ENDLESS)
            timer.join()
        finally:
            con.close()
        raise AssertionError("the endless statement ended")


def _published(warehouse: Path) -> tuple[int, int]:
    """The published file (its inode: a publish replaces it) and how many runs it records."""
    con = wh.connect(warehouse, read_only=True)
    try:
        row = con.execute("SELECT count(*) FROM runs").fetchone()
    finally:
        con.close()
    assert row is not None
    return warehouse.stat().st_ino, int(row[0])


@pytest.mark.e2e
@pytest.mark.parametrize("stop", [_interrupt, _sigint_form], ids=["connection.interrupt", "query-interrupted"])
def test_ctrl_c_in_the_links_stage_stops_the_run_and_publishes_nothing_new(
        stop: Callable[[duckdb.DuckDBPyConnection], None], tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    options = IngestOptions(limits=Limits(seconds=120), workers=1, links=False)
    ingest_paths([SEEDS[0]], warehouse, options)
    stages = StuckLinks(stop, warehouse)
    with pytest.raises(KeyboardInterrupt):
        ingest_paths([SEEDS[1]], warehouse, IngestOptions(limits=Limits(seconds=120), workers=1), stages=stages)
    stages.close()
    assert stages.at_start is not None and stages.at_start[1] == 1  # the links stage ran, after the first run
    assert _published(warehouse) == stages.at_start  # not published again, no run recorded


def test_a_stage_interrupted_is_not_the_files_rejection() -> None:
    def stopped(path: str) -> None:
        raise RuntimeError("Query interrupted")

    def broken(path: str) -> None:
        raise RuntimeError("something else")

    with pytest.raises(KeyboardInterrupt):
        attempt(stopped, "a.txt")
    assert "internal error RuntimeError: something else" in str(attempt(broken, "a.txt"))


def test_is_interrupt_knows_duckdbs_two_forms_and_nothing_else() -> None:
    con = duckdb.connect()
    timer = threading.Timer(0.3, con.interrupt)
    timer.start()
    with pytest.raises(duckdb.Error) as caught:
        con.execute(ENDLESS)
    timer.join()
    assert is_interrupt(caught.value)
    assert is_interrupt(RuntimeError("Query interrupted")) and is_interrupt(KeyboardInterrupt())
    assert not is_interrupt(RuntimeError("query interrupted by a parser bug"))
    assert not is_interrupt(duckdb.CatalogException("Table with name x does not exist"))


class BusyChild(InProcess):
    """The real stages, but the extraction is a child that sleeps for an hour (a long parse)."""

    def __init__(self) -> None:
        super().__init__(1)
        self.pid: int | None = None
        self.busy = threading.Event()

    def submit_extract(self, sources: list[SourceFile], limits: Limits) -> Pending[list[Extracted]]:
        def extract() -> list[Extracted]:
            with executor._checkout() as worker:
                worker.send(executor.pack(time.sleep, 3600))
                self.pid = worker.pid
                self.busy.set()
                worker.receive(None)
            raise AssertionError("the child slept an hour")

        return self._pool.submit(extract)


def _alive(pid: int) -> bool:
    """The process exists and is not a zombie (a killed child not reaped yet is dead)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


@pytest.mark.e2e
def test_ctrl_c_twice_with_a_busy_extraction_child_leaves_no_child_running(tmp_path: Path) -> None:
    """The user presses Ctrl-C, then again a second later: the busy child must be dead when the run ends.
    (Waiting for it to answer, a second Ctrl-C during the wait left it running, reparented to PID 1.)"""
    stages = BusyChild()
    second_sent = threading.Event()

    def ctrl_c_twice() -> None:
        assert stages.busy.wait(60)
        os.kill(os.getpid(), signal.SIGINT)  # lands while the main thread waits for the chunk
        time.sleep(1.0)
        os.kill(os.getpid(), signal.SIGINT)
        second_sent.set()

    threading.Thread(target=ctrl_c_twice, daemon=True).start()
    try:
        with pytest.raises(KeyboardInterrupt):
            ingest_paths([SEEDS[0]], tmp_path / "w.duckdb", IngestOptions(limits=Limits(seconds=3600), workers=1),
                         stages=stages)
        try:  # the second Ctrl-C, when the run had already ended on the first
            second_sent.wait(10)
            time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        assert stages.pid is not None
        assert not _alive(stages.pid)  # killed when the run ended, not left extracting
    finally:
        if stages.pid is not None and _alive(stages.pid):
            os.kill(stages.pid, signal.SIGKILL)
        stages.close()
