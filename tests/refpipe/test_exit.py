"""The console script's quick exit (``refpipe.app.exit_now``): exit handlers run, output is flushed, the
status is the command's, and a thread still working is waited for."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e  # each case is a Python process

ROOT = Path(__file__).resolve().parents[2]


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)")
def test_output_that_cannot_be_written_is_not_exit_0() -> None:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}  # a user's stdout: block-buffered
    with open("/dev/full", "w") as full:  # a full disk
        done = subprocess.run([sys.executable, "-c", "import sys; from refpipe.app import exit_now\n"
                                                     "sys.stdout.write('a report'); exit_now(0)"],
                              cwd=ROOT, stdout=full, stderr=subprocess.PIPE, text=True, timeout=60, env=env)
    assert done.returncode == 120  # as the interpreter's own exit says it (the report was lost)
    assert "No space left on device" in done.stderr


def test_the_exit_handlers_run_and_the_output_is_flushed_with_the_commands_status() -> None:
    done = _run("import atexit; from refpipe.app import exit_now\n"
                "atexit.register(lambda: print('handler ran', flush=True))\n"
                "print('buffered output', end='; ')\n"
                "exit_now(3)")
    assert done.returncode == 3
    assert done.stdout == "buffered output; handler ran\n"


def test_a_message_is_printed_and_exits_1_as_sys_exit_does() -> None:
    done = _run("from refpipe.app import exit_now; exit_now('no such warehouse')")
    assert (done.returncode, done.stderr) == (1, "no such warehouse\n")
    assert _run("from refpipe.app import exit_now; exit_now(None)").returncode == 0


def test_a_thread_still_working_is_waited_for(tmp_path: Path) -> None:
    marker = tmp_path / "written"
    done = _run("import threading, time; from refpipe.app import exit_now\n"
                f"def work():\n    time.sleep(0.5)\n    open({str(marker)!r}, 'w').write('done')\n"
                "threading.Thread(target=work).start()\n"
                "exit_now(0)")
    assert done.returncode == 0 and marker.read_text() == "done"


_TORN_DOWN = ("import sys\n"
              "class Witness:\n"
              "    def __del__(self):\n"
              "        sys.stderr.write('torn down')\n"
              "witness = Witness()\n")


def test_the_teardown_is_skipped_unless_the_command_asks_for_a_normal_exit() -> None:
    quick = _run(_TORN_DOWN + "from refpipe.app import exit_now; exit_now(0)")
    normal = _run(_TORN_DOWN + "from refpipe.app import exit_now, normal_exit; normal_exit(); exit_now(0)")
    assert (quick.returncode, quick.stderr) == (0, "")  # the module's objects were never freed
    assert (normal.returncode, normal.stderr) == (0, "torn down")  # `refpipe serve`: the interpreter's exit
