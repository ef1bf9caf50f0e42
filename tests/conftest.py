"""Shared pytest setup.  Its presence puts tests/ on sys.path, so test modules can import the
helpers that sit beside it (``from golden import norm``).

``prefect_harness``: one Prefect test harness (a temporary database and server) for the whole session,
shared by every test that runs a flow in this process: starting one costs ~10-20 s, so it is started at
most once, and only when an (``e2e``) test asks for it.

``new_warehouse(path)``: an empty warehouse at ``path``, as ``wh.connect`` of a new file makes it; a copy of
one made once per session (the schema's DDL costs ~0.5 s of CPU, the copy ~0.05 s), for the tests that
start each from an empty warehouse.

The make targets run the tests on two pytest-xdist workers (``-n 2 --dist loadfile``).  Each worker is
its own session: a session or module fixture is built once per worker that runs one of its tests.  So the
tests go to the workers a file at a time (a module fixture is built once), and every file that names a
Prefect server fixture (``prefect_harness``, ``prefect_api``) goes with the others to one worker (one
harness and one server started, ~10 s of CPU each, not two).  That unit goes first, then the other files
with ``e2e`` tests: they are the long ones, and the many short files then even out the end of the run.  (xdist's
``--dist loadgroup`` would say this with marks, but it does not group under pytest 9.2: pytest-xdist
issue 1386.)"""

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

# Prefect servers started by tests (harness or real) must not try to phone home: there is no network.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
# The test servers listen on 127.0.0.1: never through a proxy the shell may name (httpx, urllib).
for _name in ("NO_PROXY", "no_proxy"):
    os.environ[_name] = ",".join(filter(None, [os.environ.get(_name), "127.0.0.1", "localhost"]))
# Tests assert the defaults (limits, time limit, cache): a REFPIPE_* variable set in the shell that runs
# them must not change what they see, in any fixture scope.
for _name in [n for n in os.environ if n.startswith("REFPIPE_")]:
    del os.environ[_name]
# Nor may the width of the terminal that runs them: tests that read a table set COLUMNS themselves (cli_runner,
# procs.quiet_env), anything else lays it out for 200 columns (refpipe.app).  GNU readline, imported by pytest,
# exports COLUMNS=80 into the C environment, which xdist's workers inherit as a real variable.
for _name in ("COLUMNS", "LINES"):
    os.environ.pop(_name, None)
    os.unsetenv(_name)
# ... and the lemma-key cache a run leaves behind (pipeline.normalize.lemma_cache) is the session's own,
# never the user's: a test sees spaCy's keys, computed or cached by the session.
os.environ["REFPIPE_CACHE_DIR"] = tempfile.mkdtemp(prefix="refpipe-test-cache-")

# No per-example deadline: a loaded CI machine makes timings, not outcomes, vary.
settings.register_profile("refpipe", deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "refpipe"))


PREFECT_SERVER_FIXTURES = ("prefect_harness", "prefect_api")


@cache
def names_a_prefect_server(path: Path) -> bool:
    """Whether a test file asks for a Prefect server fixture (by its text: xdist's controller, which
    schedules the files, collects no test)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return False
    return any(name in text for name in PREFECT_SERVER_FIXTURES)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """``--dist loadfile``, with the files that use a Prefect server as one unit."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class FilesAndOneServer(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = super()._split_scope(nodeid)
            return "prefect-server" if names_a_prefect_server(config.rootpath / path) else path

    config.option.loadscopereorder = False  # the units in the workers' order (below), not by size
    return FilesAndOneServer(config, log)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On an xdist worker, the longest units first: the Prefect server files, then the other files with
    ``e2e`` tests, then the rest (a stable sort: each file's tests stay together and in order)."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return
    long_files = {item.path for item in items if item.get_closest_marker("e2e")}
    items.sort(key=lambda item: (not names_a_prefect_server(item.path), item.path not in long_files))


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=90):
        yield


@pytest.fixture(scope="session")
def _empty_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from pipeline.load import warehouse as wh

    path = tmp_path_factory.mktemp("empty-warehouse") / "w.duckdb"
    wh.connect(path).close()
    return path


@pytest.fixture
def new_warehouse(_empty_warehouse: Path) -> Callable[[Path], Path]:
    def make(path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(_empty_warehouse, path)
        return path

    return make
