"""``refpipe serve`` refuses to start without a usable server or schedule, with a message saying what to do.
(The schedule itself, on a real server, is tested in tests/flows/test_deploy.py.)  The checks made before any
server is called run in process; the unreachable server is a real process (e2e)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from cli_runner import REFPIPE, refpipe


def test_without_a_server_it_says_how_to_start_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from refpipe import app as app_module

    monkeypatch.setattr(app_module, "_NORMAL_EXIT", False)
    result = refpipe("serve", "--inbox", str(tmp_path), "-w", str(tmp_path / "w.duckdb"),
                     env={"PREFECT_API_URL": None})
    assert result.returncode == 2
    assert "PREFECT_API_URL" in result.stderr and "prefect server start --host 127.0.0.1" in result.stderr
    assert app_module._NORMAL_EXIT  # serve ends with the interpreter's exit, not exit_now's quick one


@pytest.mark.e2e
def test_an_unreachable_server_is_a_transient_failure(tmp_path: Path) -> None:
    env = {**os.environ, "COLUMNS": "200", "PREFECT_API_URL": "http://127.0.0.1:9/api"}
    result = subprocess.run([str(REFPIPE), "serve", "--inbox", str(tmp_path), "-w", str(tmp_path / "w.duckdb")],
                            capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 75 and "does not answer" in result.stderr and "Traceback" not in result.stderr


def test_a_bad_cron_or_inbox_is_a_usage_error(tmp_path: Path) -> None:
    unreachable = {"PREFECT_API_URL": "http://127.0.0.1:9/api"}
    bad_cron = refpipe("serve", "--inbox", str(tmp_path), "-w", str(tmp_path / "w.duckdb"), "--cron", "61 * * *",
                       env=unreachable)
    assert bad_cron.returncode == 2 and "invalid schedule" in bad_cron.stderr
    missing = refpipe("serve", "--inbox", str(tmp_path / "nope"), env=unreachable)
    assert missing.returncode == 2 and "is not a folder" in missing.stderr
