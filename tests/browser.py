"""Headless Chromium for the report tests: the binary (skip on a workstation without it, fail under CI)
and one way to run it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else shutil.which("chromium")
REFPIPE = Path(sys.executable).parent / "refpipe"


def chromium_binary() -> str:
    """Debian's chromium (``scripts/ensure_chromium.sh``); skipped when missing, except under CI."""
    if CHROMIUM is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("chromium is missing: run scripts/ensure_chromium.sh (CI must run this test)")
        pytest.skip("chromium is not installed (scripts/ensure_chromium.sh installs it)")
    return CHROMIUM


def run_chromium(binary: str, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions",
           f"--user-data-dir={profile}", *args]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr[-2000:]
    return result
