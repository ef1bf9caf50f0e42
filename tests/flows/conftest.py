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


@pytest.fixture(scope="session")
def prefect_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``PREFECT_API_URL`` of a server started for the session."""
    home = tmp_path_factory.mktemp("prefect-home")
    port = free_port()
    log = (home / "server.log").open("wb")
    proc = subprocess.Popen([str(PREFECT), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                            env=quiet_env(PREFECT_HOME=str(home)), stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    api = f"http://127.0.0.1:{port}/api"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if proc.poll() is not None:
                pytest.fail(f"prefect server exited ({proc.returncode}): {(home / 'server.log').read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{api}/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"prefect server not healthy after {START_TIMEOUT:g} s")
            time.sleep(0.3)
        yield api
    finally:
        stop(proc)
        log.close()
