"""The extraction child: calls sent ahead (pipelined batches) and what a killed child loses."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest

from pipeline.limits import Limits
from pipeline.records import Document, Rejection, SourceFile
from pipeline.runtime import executor
from pipeline.runtime.batch import discover
from pipeline.runtime.executor import Worker, WorkerDied, extract_batch, pack

pytestmark = pytest.mark.e2e  # child processes, killed on purpose


def _pid_after(seconds: float) -> int:
    time.sleep(seconds)
    return os.getpid()


def _fake_extract(path: str, data: bytes, limits: Limits) -> Rejection:
    """Stands for the child's extraction: hangs or dies on the file its content names, else answers which
    child read it."""
    if data.startswith(b"hang"):
        time.sleep(60)
    if data.startswith(b"die"):
        os._exit(3)
    if data.startswith(b"interrupt"):
        raise KeyboardInterrupt  # Ctrl-C reaches the child too; not a rejection: it goes through the batch
    return Rejection(path=path, reason=f"read by {os.getpid()}")


def test_a_call_sent_ahead_runs_after_the_one_before_and_the_answers_come_in_order() -> None:
    worker = Worker()
    try:
        worker.send(pack(_pid_after, 0.3))
        ahead = pack(_pid_after, 0.0)
        assert 0 < len(ahead) <= worker.room()  # the pipe takes it while the child works
        started = time.monotonic()
        worker.send(ahead)
        assert time.monotonic() - started < 0.2  # sent without waiting for the first answer
        first, second = worker.receive(10), worker.receive(10)
        assert first == second == worker.pid
    finally:
        worker.close()


def _big_answer(size: int, padding: bytes = b"") -> bytes:
    return b"a" * size


def test_a_call_of_room_bytes_fits_behind_a_small_call_the_child_has_not_read_yet() -> None:
    """The child late to read the call before (stopped here; descheduled on a busy machine): the call sent
    ahead must still fit in the pipe, whatever page its length header shares with the one before, or this
    process blocks writing it while the child blocks writing an answer bigger than its pipe (a deadlock no
    time limit ends)."""
    worker = Worker()
    sender: threading.Thread | None = None
    try:
        worker.send(pack(os.getpid))
        pid = worker.receive(10)
        os.kill(pid, signal.SIGSTOP)
        small = pack(_big_answer, 200_000, b"x" * 1800)  # one write, its last page part full; answer > its pipe
        worker.send(small)
        padding = worker.room()
        while len(ahead := pack(_big_answer, 0, b"b" * padding)) > worker.room():
            padding -= len(ahead) - worker.room()  # the pickle's framing
        assert len(ahead) == worker.room() and len(small) % 4096 > 1024
        sender = threading.Thread(target=worker.send, args=(ahead,), daemon=True)
        sender.start()
        sender.join(5)
        sent_while_stopped = not sender.is_alive()
        os.kill(pid, signal.SIGCONT)
        assert sent_while_stopped  # the pipe took it all while the child was not reading
        assert len(worker.receive(30)) == 200_000 and worker.receive(30) == b""
    finally:
        if sender is not None and sender.is_alive() and worker._proc is not None:
            worker._proc.kill()  # the deadlock: end the child so that the blocked write fails
            sender.join(10)
        worker.close()


def test_a_child_dead_with_a_call_unanswered_is_not_replaced_behind_it() -> None:
    worker = Worker()
    try:
        worker.send(pack(os._exit, 3))
        assert worker._proc is not None
        worker._proc.wait(timeout=30)  # dead before the next call is sent
        with pytest.raises(WorkerDied, match="died on an earlier call"):
            worker.send(pack(os.getpid))  # not answered by a fresh child in the dead one's place
        with pytest.raises(WorkerDied, match="exit code 3"):
            worker.receive(10)  # the death is the first call's
        assert worker.call(os.getpid) == worker.pid  # then a fresh child
    finally:
        worker.close()


def _sources(tmp_path: Path, contents: list[bytes]) -> list[SourceFile]:
    paths = []
    for i, content in enumerate(contents):
        path = tmp_path / f"{i}.txt"
        path.write_bytes(content)
        paths.append(str(path))
    found = discover(paths, Limits())
    assert [Path(s.path).name for s in found] == [f"{i}.txt" for i in range(len(contents))]
    return found


def _rejections(results: list[Document | Rejection]) -> list[Rejection]:
    assert all(isinstance(r, Rejection) for r in results)  # what _fake_extract answers
    return [r for r in results if isinstance(r, Rejection)]


def test_a_batch_sends_again_the_call_lost_with_a_child_killed_at_the_time_limit(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(executor, "_extract_in_child", _fake_extract)
    sources = _sources(tmp_path, [b"first", b"hang", b"after the hang", b"last"])
    try:
        got = _rejections(extract_batch(sources, Limits(seconds=2)))
    finally:
        executor.shutdown()
    assert [Path(r.path).name for r in got] == ["0.txt", "1.txt", "2.txt", "3.txt"]
    reasons = [r.reason for r in got]
    assert reasons[1].endswith("over the per-document time limit (raise it with --time-limit or "
                               "REFPIPE_TIME_LIMIT)"), reasons[1]
    readers = [reason.rsplit(" ", 1)[1] for reason in (reasons[0], reasons[2], reasons[3])]
    assert readers[0] != readers[1] == readers[2]  # the file sent ahead to the killed child: read by the next one


def test_a_child_dying_on_a_file_is_that_files_rejection_not_the_next_ones(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(executor, "_extract_in_child", _fake_extract)
    sources = _sources(tmp_path, [b"first", b"die", b"after the crash"])
    try:
        got = _rejections(extract_batch(sources, Limits(seconds=30)))
    finally:
        executor.shutdown()
    assert [Path(r.path).name for r in got] == ["0.txt", "1.txt", "2.txt"]
    assert got[0].reason.startswith("read by ") and got[2].reason.startswith("read by ")
    assert got[1].reason.endswith("1.txt: extraction crashed: the extraction process died (exit code 3)")
    assert got[0].reason != got[2].reason  # the file sent ahead to the dead child was read by the next one


def test_a_batch_ended_by_an_exception_leaves_no_call_in_flight_for_the_next_batch(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(executor, "_extract_in_child", _fake_extract)
    interrupted, sent_ahead, next_batch = _sources(tmp_path, [b"interrupt", b"sent ahead", b"next batch"])
    try:
        with pytest.raises(KeyboardInterrupt):
            extract_batch([interrupted, sent_ahead], Limits(seconds=30))
        got = extract_batch([next_batch], Limits(seconds=30))  # the same worker of the pool (the idle one)
    finally:
        executor.shutdown()
    assert [r.path for r in got] == [next_batch.path]  # not the answer to the call sent ahead in the batch before


def test_ctrl_c_reaching_the_child_is_left_to_the_parent() -> None:
    """Ctrl-C signals the whole process group: the child neither dies (a crash of the file it reads, once
    the parent carries on) nor prints a KeyboardInterrupt traceback; it answers, and exits with its input."""
    worker = Worker()
    try:
        worker.send(pack(_pid_after, 0.5))
        pid = worker.pid
        assert pid is not None
        time.sleep(0.2)  # the child is working
        os.kill(pid, signal.SIGINT)
        assert worker.receive(10) == pid
        os.kill(pid, signal.SIGINT)  # idle, waiting for a call
        assert worker.call(_pid_after, 0.0, timeout=10) == pid
    finally:
        worker.close()
