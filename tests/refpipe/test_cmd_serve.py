"""``refpipe serve`` refuses to start without a usable server or schedule, with a message saying what to do.
(The schedule itself, on a real server, is tested in tests/flows/test_deploy.py.)"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REFPIPE = Path(sys.executable).parent / "refpipe"


def serve(tmp_path: Path, *args: str, api: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env.update(COLUMNS="200", **({"PREFECT_API_URL": api} if api else {}))
    return subprocess.run([str(REFPIPE), "serve", "--inbox", str(tmp_path), "-w", str(tmp_path / "w.duckdb"), *args],
                          capture_output=True, text=True, timeout=120, env=env)


def test_without_a_server_it_says_how_to_start_one(tmp_path: Path) -> None:
    result = serve(tmp_path)
    assert result.returncode == 2
    assert "PREFECT_API_URL" in result.stderr and "prefect server start --host 127.0.0.1" in result.stderr


def test_an_unreachable_server_is_a_transient_failure(tmp_path: Path) -> None:
    result = serve(tmp_path, api="http://127.0.0.1:9/api")
    assert result.returncode == 75 and "does not answer" in result.stderr and "Traceback" not in result.stderr


def test_a_bad_cron_or_inbox_is_a_usage_error(tmp_path: Path) -> None:
    bad_cron = serve(tmp_path, "--cron", "61 * * *", api="http://127.0.0.1:9/api")
    assert bad_cron.returncode == 2 and "invalid schedule" in bad_cron.stderr
    missing = subprocess.run([str(REFPIPE), "serve", "--inbox", str(tmp_path / "nope")], capture_output=True,
                             text=True, timeout=120, env={**os.environ, "PREFECT_API_URL": "http://127.0.0.1:9/api"})
    assert missing.returncode == 2 and "is not a folder" in missing.stderr
