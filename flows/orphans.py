"""No orphan Prefect server: the ephemeral API server Prefect starts dies with the process that started it.

Without ``PREFECT_API_URL``, a flow run (``--dask``, a scheduled run tried locally) makes Prefect start a
temporary API server, a ``python -m uvicorn`` child (~230 MB) that Prefect stops at exit (``atexit``).  A
``kill -9`` of the main process alone skips ``atexit`` and left that server running forever.  So the
server is started through a small launcher (``_LAUNCHER``): a thread in the server process polls its
parent pid and terminates the server when the parent is gone (re-parented: the pid changes), whatever
killed it.  Polling rather than ``PR_SET_PDEATHSIG``: that signal follows the *thread* that started the
child, and Prefect may start its server from one of its worker threads.

``install`` swaps the ``subprocess`` that Prefect's server module uses for a proxy that rewrites only the
uvicorn command; everything else it does (stop, wait, timeouts) is unchanged.
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

#: seconds between two looks at the parent pid
POLL = 0.5

_LAUNCHER = """
import os, runpy, signal, sys, threading, time
parent = int(sys.argv[1])
del sys.argv[1:4]  # the parent pid, then "-m uvicorn"
sys.argv[0] = "uvicorn"
def watch():
    while os.getppid() == parent:
        time.sleep(POLL)
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(10)
    os._exit(1)
threading.Thread(target=watch, name="refpipe-parent-watch", daemon=True).start()
runpy.run_module("uvicorn", run_name="__main__", alter_sys=True)
""".replace("POLL", repr(POLL))


class _Subprocess:
    """``subprocess`` as Prefect's server module sees it: ``Popen`` of ``python -m uvicorn`` goes through
    the launcher, all else is the real module."""

    def __getattr__(self, name: str) -> Any:
        return getattr(subprocess, name)

    @staticmethod
    def Popen(args: Any, *rest: Any, **kwargs: Any) -> subprocess.Popen[Any]:  # noqa: N802 - subprocess's name
        if isinstance(args, list) and args[1:3] == ["-m", "uvicorn"]:
            args = [args[0], "-c", _LAUNCHER, str(os.getpid()), *args[1:]]
        return subprocess.Popen(args, *rest, **kwargs)


def install() -> None:
    """Route Prefect's ephemeral server through the launcher (idempotent; only when a server may be
    started here, i.e. without ``PREFECT_API_URL``)."""
    if os.environ.get("PREFECT_API_URL"):
        return
    from prefect.server.api import server

    if not isinstance(server.subprocess, _Subprocess):
        server.subprocess = _Subprocess()  # type: ignore[assignment]


def server_pids() -> list[int]:
    """The pids of the ephemeral servers this process started and has not stopped (for tests)."""
    module = sys.modules.get("prefect.server.api.server")
    if module is None:
        return []
    instances = getattr(module.SubprocessASGIServer, "_instances", {})
    return [s.server_process.pid for s in instances.values() if getattr(s, "server_process", None) is not None]
