"""A real Prefect server on 127.0.0.1 (a free port, a temporary PREFECT_HOME), shared by the flow tests
that run ``refpipe`` in subprocesses: the deployment test needs one (a schedule cannot live on the
ephemeral server), and the crash and reader tests use it so that each ``refpipe ingest`` does not pay
for starting an ephemeral server (~6 s).  Started once per session (~10 s), always stopped."""

from __future__ import annotations

import subprocess
import time
import urllib.request
from collections.abc import Iterator

import pytest
from procs import PREFECT, free_port, quiet_env, stop

START_TIMEOUT = 90.0
ATTEMPTS = 3  # the free port can be taken by another process before the server binds it
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # 127.0.0.1 never goes through a proxy


@pytest.fixture(scope="session")
def prefect_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``PREFECT_API_URL`` of a server started for the session."""
    home = tmp_path_factory.mktemp("prefect-home")
    for attempt in range(1, ATTEMPTS + 1):
        port = free_port()
        log_path = home / f"server-{attempt}.log"
        with log_path.open("wb") as log:
            proc = subprocess.Popen([str(PREFECT), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                                    env=quiet_env(PREFECT_HOME=str(home)), stdout=log, stderr=subprocess.STDOUT,
                                    start_new_session=True)
        api = f"http://127.0.0.1:{port}/api"
        try:
            if _healthy(proc, api):
                yield api
                return
            if attempt == ATTEMPTS:
                pytest.fail(f"prefect server exited ({proc.returncode}) {ATTEMPTS} times: "
                            f"{log_path.read_text()[-2000:]}")
        finally:
            stop(proc)


def _healthy(proc: subprocess.Popen[bytes], api: str) -> bool:
    """True once the server answers; False if it exited first (a port taken meanwhile: try another)."""
    deadline = time.monotonic() + START_TIMEOUT
    while proc.poll() is None:
        try:
            with _DIRECT.open(f"{api}/health", timeout=2) as r:
                if r.status == 200:
                    return True
        except OSError:
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"prefect server not healthy after {START_TIMEOUT:g} s")
        time.sleep(0.3)
    return False
