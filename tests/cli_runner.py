"""``refpipe`` commands run in this process with typer's ``CliRunner``: the exit code, stdout and stderr a
user sees, without a Python start and its imports per call (~3 s each on a loaded machine).  The console
script itself (entry point, a real process) is run by a few ``e2e`` tests, one per concern."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from typer.testing import CliRunner

from refpipe.cli import app

#: the console script, for the e2e tests that run it as a process
REFPIPE = Path(sys.executable).parent / "refpipe"


@dataclass(frozen=True)
class Ran:
    """What a run of the command gave, named like ``subprocess.CompletedProcess``."""

    returncode: int
    stdout: str
    stderr: str


def refpipe(*args: str, env: Mapping[str, str | None] | None = None) -> Ran:
    """Run ``refpipe *args`` in process; an exception the CLI did not turn into an exit code is raised."""
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "200", **(env or {})})
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Ran(result.exit_code, result.stdout, result.stderr)


def environ_without(*names: str) -> dict[str, str | None]:
    """An ``env`` for ``refpipe`` that unsets these variables for the run."""
    return {n: None for n in names if n in os.environ}
