"""Shared pytest setup.  Its presence puts tests/ on sys.path, so test modules can import the
helpers that sit beside it (``from golden import norm``).

``prefect_harness``: one Prefect test harness (a temporary database and server) for the whole session,
shared by every test that runs a flow in this process: starting one costs ~10-20 s, so it is started at
most once, and only when an (``e2e``) test asks for it."""

import os
import tempfile
from collections.abc import Iterator

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
# ... and the lemma-key cache a run leaves behind (pipeline.normalize.lemma_cache) is the session's own,
# never the user's: a test sees spaCy's keys, computed or cached by the session.
os.environ["REFPIPE_CACHE_DIR"] = tempfile.mkdtemp(prefix="refpipe-test-cache-")

# No per-example deadline: a loaded CI machine makes timings, not outcomes, vary.
settings.register_profile("refpipe", deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "refpipe"))


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=90):
        yield
