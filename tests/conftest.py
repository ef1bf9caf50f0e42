"""Shared pytest setup.  Its presence puts tests/ on sys.path, so test modules can import the
helpers that sit beside it (``from golden import norm``)."""

import os
import tempfile

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
