"""Per-document limits: configuration, and each limit stopping a file (size, pages, time) in the executor."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from golden import FIXTURES

from pipeline.limits import Limits, parse_size
from pipeline.records import Document, Rejection
from pipeline.runtime.executor import TimedOut, Worker, WorkerDied, extract_limited, shutdown

PDF = FIXTURES / "pdf" / "000_8d1bcbb53b7e0a76.rl-portrait-grid.pdf"
TEXT = FIXTURES / "seeds" / "001_1b606db1c3205ecb.txt"


def test_defaults_environment_and_overrides() -> None:
    assert Limits.from_env({}) == Limits(max_bytes=50_000_000, max_pages=500, seconds=120.0)
    env = {"REFPIPE_MAX_BYTES": "2M", "REFPIPE_MAX_PAGES": "40", "REFPIPE_TIME_LIMIT": "7.5"}
    assert Limits.from_env(env) == Limits(2_000_000, 40, 7.5)
    assert Limits.from_env(env).override(max_pages=0) == Limits(2_000_000, 0, 7.5)
    assert [parse_size(t) for t in ("1000", "50MB", "1.5G", "0")] == [1000, 50_000_000, 1_500_000_000, 0]
    with pytest.raises(ValueError, match="REFPIPE_MAX_PAGES"):
        Limits.from_env({"REFPIPE_MAX_PAGES": "many"})
    with pytest.raises(ValueError, match="negative"):
        parse_size("-1")


@pytest.fixture(autouse=True)
def _stop_worker():
    yield
    shutdown()


def test_a_file_over_the_size_limit_is_rejected_before_it_is_read() -> None:
    got = extract_limited(str(TEXT), Limits(max_bytes=1000))
    assert isinstance(got, Rejection) and "size limit of 1,000 bytes" in got.reason and str(TEXT) in got.reason


def test_a_pdf_over_the_page_limit_is_rejected_before_its_pages_are_parsed() -> None:
    got = extract_limited(str(PDF), Limits(max_pages=2))
    assert isinstance(got, Rejection) and "page limit of 2" in got.reason and "--max-pages" in got.reason
    assert isinstance(extract_limited(str(PDF), Limits(max_pages=0)), Document)  # 0: no limit


@pytest.mark.e2e  # kills the extraction process
def test_a_runaway_extraction_is_stopped_at_the_time_limit_and_the_next_file_goes_on() -> None:
    started = time.monotonic()
    got = extract_limited(str(PDF), Limits(seconds=0.05))  # a PDF takes a few tenths of a second
    assert isinstance(got, Rejection) and "per-document time limit" in got.reason
    assert time.monotonic() - started < 20  # no hang: the rejection above says the limit fired
    assert isinstance(extract_limited(str(TEXT), Limits()), Document)  # a fresh extraction process


@pytest.mark.e2e  # kills and crashes child processes
def test_the_worker_kills_an_overrunning_call_and_survives_crashes() -> None:
    worker = Worker()
    try:
        first = worker.pid
        assert worker.call(os.getpid) != os.getpid()
        started = time.monotonic()
        with pytest.raises(TimedOut):
            worker.call(time.sleep, 30, timeout=0.2)
        assert time.monotonic() - started < 20 and worker.pid is None  # killed, not waited for (30 s)
        assert worker.call(sum, [1, 2]) == 3 and worker.pid != first
        with pytest.raises(WorkerDied, match="exit code -9"):
            worker.call(os.kill, worker.pid, 9)
        with pytest.raises(ValueError, match="invalid literal"):  # the call's own error comes back as is
            worker.call(int, "x")
    finally:
        worker.close()
    assert worker.pid is None


@pytest.mark.e2e  # a child process
def test_the_child_gets_the_callers_sys_path(tmp_path: Path) -> None:
    worker = Worker()
    try:
        import golden

        assert worker.call(_module_file, "golden") == golden.__file__
    finally:
        worker.close()


def _module_file(name: str) -> str:
    import importlib

    return str(importlib.import_module(name).__file__)
