"""Run extraction in a child process, so a runaway parse can be stopped: the per-document time limit.

pdfminer can spend minutes (or all the memory) on a hostile PDF, and a thread cannot be stopped, so
``extract_limited`` runs ``extract_document`` (sniff, front end, structural parser) in a ``Worker``: one
child Python process that serves calls one at a time over a pipe.  The parent waits at most
``limits.seconds`` for the answer; when the time is up it kills the child (SIGKILL) and returns a
rejection naming the limit; the next file gets a fresh child.  A child that dies on its own (segfault,
OOM killer) is a rejection too, so neither can end the batch.  Memory: before each file the child sets
its ``RLIMIT_AS`` to what it maps now plus ``limits.max_memory``, so a decompression bomb fails with
``MemoryError`` in the child and the file is rejected naming the limit (the child is then replaced).

The parent reads the file once (``batch.read_source``: the bytes discovery hashed, or "changed while
read") and sends those bytes to the child: the bytes parsed are the bytes hashed.

The child is started once and reused (its start and imports are paid once per run, not per file);
what each file costs is pickling its ``Document`` back, within the noise of parsing it (figures in
benchmarks/README.md, "Design figures").  A batch (``extract_batch``: the files of one task) is
pipelined: the next file is read here and sent while the child parses the current one, so the child
never waits for this process between files.  The child is a plain ``python -c`` process (not
``multiprocessing``'s spawn or fork): it never re-imports the parent's ``__main__`` (the CLI, pytest,
Prefect's engine) and never inherits the parent's threads or locks.  It gets the parent's ``sys.path``
and exits when the parent's end of the pipe closes (the parent died).

Parallel extraction: ``extract_limited`` may be called from several threads at once (the flow's
task runner runs one extraction per thread); each call checks a ``Worker`` out of a pool (an idle one,
or a new child when all are busy), so N concurrent calls use N child processes, each with its own time
limit, and the children are reused across files.  The child also normalises the document
(``normalize_document``): that work is then parallel too, and the parent only loads.  ``shutdown``
stops every child of the pool (the flow calls it at the end of a run).  A process that never calls
``shutdown`` (a Dask worker) keeps its children for its next calls; they exit when it does.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import pickle
import signal
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection
from multiprocessing.reduction import ForkingPickler
from pathlib import Path
from typing import Any, TypeVar

from pipeline.errors import RejectedInput
from pipeline.limits import Limits, activate, over_memory, over_time
from pipeline.records import Document, Rejection, SourceFile
from pipeline.runtime.batch import SourceChanged, attempt, read_source

T = TypeVar("T")

_BOOT = "import sys; from pipeline.runtime.executor import _child_main; _child_main(int(sys.argv[1]), int(sys.argv[2]))"
_PACKAGE_ROOT = str(Path(__file__).resolve().parent.parent)


class TimedOut(Exception):
    """The call did not answer within its time; the child was killed."""


class WorkerDied(Exception):
    """The child process ended without answering (killed, crashed)."""


#: bytes the pipe to a child is asked to hold (Linux: F_SETPIPE_SZ; 1 MiB is the default most an unprivileged
#: process may ask): a call that fits can be sent while the child still works on the one before
PIPE_BYTES = 1 << 20
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096  # the unit a pipe's room is counted in


class Worker:
    """One child process running calls one at a time; killed and replaced when a call overruns.

    ``call`` sends a call and waits for its answer.  ``send`` and ``receive`` split it, so that a caller can
    send the next call while the child still works on the current one (``extract_batch``): the child then
    starts it as soon as it has answered, without waiting for this process to read the answer and send
    again.  Only a call that fits in the pipe (``room``) may be sent ahead: this process never blocks
    writing while the child blocks writing its answer.  The answers come back in the order of the calls."""

    def __init__(self, start_timeout: float = 60.0) -> None:
        self.start_timeout = start_timeout
        self._proc: subprocess.Popen[bytes] | None = None
        self._send: Connection | None = None
        self._recv: Connection | None = None
        self._room = 0  # bytes the pipe to the child holds (0: unknown, never send ahead)
        self._unanswered = 0  # calls sent to this child whose answer was not received yet

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def _start(self) -> None:
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([_PACKAGE_ROOT, os.environ.get("PYTHONPATH", "")])}
        try:
            self._proc = subprocess.Popen(
                [sys.executable, "-c", _BOOT, str(to_child_r), str(from_child_w)],
                pass_fds=(to_child_r, from_child_w), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, env=env)
        finally:
            os.close(to_child_r)
            os.close(from_child_w)
        self._send, self._recv = Connection(to_child_w, readable=False), Connection(from_child_r, writable=False)
        self._room = _widen_pipe(to_child_w)
        self._send.send(list(sys.path))
        if not self._recv.poll(self.start_timeout):
            self.kill()
            raise WorkerDied(f"the extraction process did not start within {self.start_timeout:g} s")
        self._answer()  # the child's "ready"

    def call(self, fn: Callable[..., T], *args: Any, timeout: float | None = None) -> T:
        """``fn(*args)`` in the child (both picklable); its exception is raised here.  ``timeout`` None: wait."""
        self.send(pack(fn, *args))
        result: T = self.receive(timeout)
        return result

    def send(self, call: bytes) -> None:
        """Send a ``pack``ed call (starting a child if there is none); its answer is ``receive``d later.

        A child that died with calls unanswered is not replaced here: ``WorkerDied`` says this call was not
        sent, and ``receive`` then gives the death to the call it belongs to (a fresh child would answer
        this call in the place of the lost one)."""
        if self._proc is not None and self._proc.poll() is not None and self._unanswered:
            raise WorkerDied("the extraction process died on an earlier call")
        if self._proc is None or self._proc.poll() is not None:
            self.kill()
            self._start()
        assert self._send is not None
        try:
            self._send.send_bytes(call)
        except (BrokenPipeError, OSError) as exc:
            if not self._unanswered:
                self.kill()
            raise WorkerDied(f"the extraction process is gone ({exc})") from exc
        self._unanswered += 1

    @property
    def unanswered(self) -> int:
        """Calls sent to this child whose answer was not received yet."""
        return self._unanswered

    def room(self) -> int:
        """The size of a ``pack``ed call that may be sent while the child works on another (0: none).

        The pipe holds pages, not bytes: the call's length header may go in the last page of the call before
        it (a small one, not read yet by a child still busy), a page that stays taken until the child reads
        that header, i.e. after it has answered; the call itself then needs up to one page more than its
        bytes fill.  Two pages less than the pipe holds, so that it always fits (1 MiB less 1 KiB could take
        257 pages of 256: this process blocked writing, the child blocked writing its answer)."""
        return self._room - 2 * _PAGE if self._proc is not None and self._room > 2 * _PAGE else 0

    def receive(self, timeout: float | None = None) -> Any:
        """The answer to the oldest call sent and not yet answered; its exception is raised here.  The child is
        killed when it does not answer within ``timeout`` seconds (None: wait) or dies."""
        if self._recv is None:
            raise WorkerDied("the extraction process is gone (killed before it answered)")
        if not self._recv.poll(timeout):
            self.kill()
            raise TimedOut(f"no answer within {timeout:g} s")
        ok, value = self._answer()
        self._unanswered -= 1
        if not ok:
            raise value
        return value

    def _answer(self) -> tuple[bool, Any]:
        assert self._recv is not None
        try:
            answer: tuple[bool, Any] = self._recv.recv()
            return answer
        except (EOFError, OSError) as exc:
            code = self._proc.wait(timeout=5) if self._proc is not None else None
            self.kill()
            raise WorkerDied(f"the extraction process died (exit code {code})") from exc

    def kill(self) -> None:
        """Stop the child now (SIGKILL) and forget it; the next call starts a new one."""
        for conn in (self._send, self._recv):
            if conn is not None:
                conn.close()
        self._send = self._recv = None
        self._unanswered = 0
        if self._proc is not None:
            if self._proc.poll() is None:
                self._proc.kill()
            self._proc.wait()
            self._proc = None

    def stop(self) -> None:
        """SIGKILL the child, from any thread: the one waiting for its answer gets ``WorkerDied`` (its own
        ``kill`` then cleans up).  Unlike ``kill``, it leaves the pipes to that thread."""
        proc = self._proc
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()

    def close(self) -> None:
        """Let the child exit on its own (end of its input), then make sure it is gone."""
        self.end_input()
        if self._proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._proc.wait(timeout=5)
        self.kill()

    def end_input(self) -> None:
        """Close the child's input: it exits when it has answered (``close`` then waits for it)."""
        if self._proc is not None and self._send is not None:
            self._send.close()
            self._send = None


def pack(fn: Callable[..., Any], *args: Any) -> bytes:
    """A call as ``Worker.send`` sends it (what ``Connection.send`` would write)."""
    return bytes(ForkingPickler.dumps((fn, args)))


def _widen_pipe(fd: int) -> int:
    """Ask the pipe ``fd`` to hold ``PIPE_BYTES``; the bytes it holds (0 where that cannot be known)."""
    try:
        import fcntl

        set_size, get_size = fcntl.F_SETPIPE_SZ, fcntl.F_GETPIPE_SZ
    except (ImportError, AttributeError):  # not Linux
        return 0
    with contextlib.suppress(OSError):  # over the system's pipe-max-size: keep the default
        fcntl.fcntl(fd, set_size, PIPE_BYTES)
    try:
        return int(fcntl.fcntl(fd, get_size))
    except OSError:
        return 0


def _child_main(read_fd: int, write_fd: int) -> None:
    """The child's loop: receive ``sys.path``, say ready, then answer ``(fn, args)`` calls until EOF.

    Ctrl-C in a terminal signals the whole process group: the parent decides (it stops the run, and this
    child exits at the end of its input), so the child ignores SIGINT instead of printing a
    ``KeyboardInterrupt`` traceback over the user's terminal or dying, which would read as a crash of the
    file it was reading."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    recv, send = Connection(read_fd, writable=False), Connection(write_fd, readable=False)
    sys.path[:] = recv.recv()
    send.send((True, None))
    while True:
        try:
            fn, args = recv.recv()
        except (EOFError, OSError):
            _exit_now()
        try:
            answer: tuple[bool, Any] = (True, fn(*args))
        except BaseException as exc:  # noqa: BLE001 - every failure goes back to the parent
            answer = (False, exc)
        try:
            send.send(answer)
        except (pickle.PicklingError, TypeError, AttributeError):
            send.send((False, RuntimeError(f"unpicklable result: {answer[1]!r}"[:2000])))
        except (BrokenPipeError, OSError):
            _exit_now()


def _exit_now() -> None:
    """End the child without tearing its interpreter down (freeing every object of the parsers' modules took
    ~0.3 s a child, which the run's end waited for): the exit handlers run, nothing else is left to do."""
    import atexit

    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(0)


# ---------------------------------------------------------------------------------------------- extraction

_lock = threading.Lock()
_idle: list[Worker] = []  # started or not, free for the next call
_pool: set[Worker] = set()  # every worker of this process's pool (idle or in use), for ``shutdown``


@contextlib.contextmanager
def _checkout() -> Iterator[Worker]:
    """A worker of the pool for one call (an idle one, else a new one), returned to the pool after it."""
    with _lock:
        worker = _idle.pop() if _idle else None
        if worker is None:
            worker = Worker()
            _pool.add(worker)
    try:
        yield worker
    finally:
        if worker.unanswered:  # left with a call in flight (an exception went through the caller): its answer
            worker.kill()  # would be taken by the next caller for its own call
        with _lock:
            if worker in _pool:  # not shut down meanwhile
                _idle.append(worker)


def _limit_memory(limits: Limits) -> None:
    """Let this (child) process grow by at most ``limits.max_memory`` bytes of address space for the next
    file: RLIMIT_AS set to what it maps now plus the limit (the imports' own mappings are not the file's).
    A bigger allocation fails with MemoryError (the file's rejection); the hard limit stays as it was, so
    the next file can be given its own allowance."""
    import resource

    if not limits.max_memory:
        resource.setrlimit(resource.RLIMIT_AS, (resource.RLIM_INFINITY, resource.getrlimit(resource.RLIMIT_AS)[1]))
        return
    try:
        with open("/proc/self/statm") as fh:
            mapped = int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return  # not Linux: the time limit still applies
    hard = resource.getrlimit(resource.RLIMIT_AS)[1]
    soft = mapped + limits.max_memory
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def _extract_in_child(path: str, data: bytes, limits: Limits) -> Document | Rejection:
    from pipeline.normalize.document import normalize_document
    from pipeline.parse import extract_document

    activate(limits)
    _limit_memory(limits)
    step = attempt(extract_document, path, data)
    if isinstance(step, Rejection):
        return step
    result = attempt(normalize_document, step)
    return result


def extract_limited(source: SourceFile | str, limits: Limits) -> Document | Rejection:
    """Extract, parse and normalise one file under ``limits``; every limit hit is a ``Rejection`` naming it.

    The bytes are read here, once, and checked to be the bytes discovery hashed (``read_source``): the
    child parses exactly those.  A source refused at discovery is returned as its rejection (no child is
    started); a file that changed since discovery is a ``Rejection`` with ``changed`` (not recorded).
    Thread-safe: concurrent calls run in different child processes."""
    if isinstance(source, str):  # a path alone (scripts, tests): discovered here
        from pipeline.runtime.batch import discover

        found = discover([source], limits)
        if len(found) != 1:
            return Rejection(path=source, reason=f"{source}: a container; ingest it with `refpipe ingest`")
        source = found[0]
    return extract_batch([source], limits)[0]


def _prepared(source: SourceFile, limits: Limits) -> bytes | Rejection:
    """The call that extracts ``source`` in a child (``pack``ed, its bytes read and checked), or why none is
    needed: the source's rejection."""
    path = source.path
    if source.rejected is not None:
        return Rejection(path=path, reason=f"{path}: {source.rejected}")
    try:
        data = read_source(source, limits)
    except SourceChanged as exc:
        return Rejection(path=path, reason=str(exc), changed=True)
    except RejectedInput as exc:
        return Rejection(path=path, reason=str(exc))
    return pack(_extract_in_child, path, data, limits)


def _answer_for(worker: Worker, source: SourceFile, limits: Limits) -> Document | Rejection:
    """The child's answer for ``source`` (the oldest call sent to ``worker``), every failure a ``Rejection``
    naming its cause; a child that failed so is killed (the next call gets a fresh one)."""
    path = source.path
    try:
        result: Document | Rejection = worker.receive(limits.seconds or None)
    except TimedOut:
        return Rejection(path=path, reason=f"{path}: {over_time(limits)}")
    except WorkerDied as exc:
        if limits.max_memory and "exit code -6" in str(exc):  # SIGABRT: a C library (pdfium) out of memory
            return Rejection(path=path, reason=f"{path}: extraction crashed ({exc}, a native library aborted): "
                                               f"most likely {over_memory(limits)}")
        return Rejection(path=path, reason=f"{path}: extraction crashed: {exc}")
    except MemoryError:
        worker.kill()
        return Rejection(path=path, reason=f"{path}: {over_memory(limits)}")
    if isinstance(result, Rejection) and result.reason.endswith(over_memory(limits)):
        worker.kill()  # a child that ran out of memory may hold broken state: the next file gets a new one
    if isinstance(result, Document) and source.parent is not None:
        result = dataclasses.replace(result, source=dataclasses.replace(result.source, parent=source.parent))
    return result


def extract_batch(sources: list[SourceFile], limits: Limits) -> list[Document | Rejection]:
    """``extract_limited`` on each source in turn, in one child process (one task for several small files).

    Pipelined: while the child parses a file, the next one is read here and sent to it when the call fits
    in the pipe (``Worker.room``), so the child goes from one file to the next without waiting for this
    process (which may be busy loading, or waiting for the GIL).  Each file keeps its own time limit,
    counted from the moment this process waits for its answer; a child killed on a file (time, memory,
    crash) loses the call sent after it, which is sent again to the next child."""
    results: list[Document | Rejection | None] = [None] * len(sources)
    upcoming = iter(range(len(sources)))
    todo: deque[tuple[int, bytes]] = deque()  # prepared calls, not sent (a lost one goes back in front)
    sent: deque[tuple[int, bytes]] = deque()  # sent to the child, answer not read yet (at most two)

    def prepare_next() -> None:
        for i in upcoming:
            call = _prepared(sources[i], limits)
            if isinstance(call, Rejection):
                results[i] = call
                continue
            todo.append((i, call))
            return

    with _checkout() as worker:
        prepare_next()
        while todo or sent:
            while todo and (not sent or (len(sent) == 1 and len(todo[0][1]) <= worker.room())):
                i, call = todo.popleft()
                try:
                    worker.send(call)
                except WorkerDied as exc:
                    if sent:  # the child died on the call before: that call's answer says so; this one waits
                        todo.appendleft((i, call))
                        break
                    path = sources[i].path
                    results[i] = Rejection(path=path, reason=f"{path}: extraction crashed: {exc}")
                    continue
                sent.append((i, call))
                if not todo:
                    prepare_next()
            if not sent:
                continue
            i, _ = sent.popleft()
            results[i] = _answer_for(worker, sources[i], limits)
            if sent and worker.pid is None:  # killed on that file: the call sent after it went with the child
                todo.extendleft(reversed(sent))
                sent.clear()
    done = [r for r in results if r is not None]
    assert len(done) == len(sources)  # every source answered once, in order
    return done


def pool_size() -> int:
    """How many extraction processes this process has started and not shut down (idle or busy)."""
    with _lock:
        return sum(1 for w in _pool if w.pid is not None)


def shutdown(now: bool = False) -> None:
    """Stop every extraction process of this process (the flow calls it at the end of a run).

    ``now``: the run ends on an exception (Ctrl-C, a crash): kill them (SIGKILL) instead of letting each
    finish the file it is on; a busy child ignores SIGINT, so ending its input would make the user wait for
    its answer (up to the time limit, the threads waiting for it included) and a second Ctrl-C during that
    wait would leave it running with no parent to enforce its limit."""
    if now:
        with _lock:
            busy = list(_pool)
        for worker in busy:  # the threads waiting for their answers see them die and end at once
            worker.stop()
    with _lock:
        workers = list(_pool)
        _pool.clear()
        _idle.clear()
    for worker in workers:  # all of them exit at once, then each is waited for
        worker.end_input()
    for worker in workers:
        worker.close()
