"""Subprocess helpers for the flow tests: the refpipe and prefect executables, a quiet environment,
a free port, stopping a process group."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

PREFECT = Path(sys.executable).parent / "prefect"
REFPIPE = Path(sys.executable).parent / "refpipe"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def quiet_env(**extra: str) -> dict[str, str]:
    """The environment for a refpipe / prefect subprocess (no telemetry, no UI, warnings only; the
    caller's ``REFPIPE_*`` limits and Prefect settings left out, no proxy for the local server)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "REFPIPE_"))}
    env.update(PREFECT_SERVER_ANALYTICS_ENABLED="false", PREFECT_UI_ENABLED="false",
               PREFECT_LOGGING_LEVEL="WARNING", COLUMNS="200", NO_PROXY="127.0.0.1,localhost",
               no_proxy="127.0.0.1,localhost", **extra)
    return env


def stop(proc: subprocess.Popen[bytes] | subprocess.Popen[str], grace: float = 10.0) -> None:
    """SIGTERM the process group, then SIGKILL what is left."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=grace)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
