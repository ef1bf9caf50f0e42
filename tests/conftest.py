"""Shared pytest setup.  Its presence puts tests/ on sys.path, so test modules can import the
helpers that sit beside it (``from golden import norm``)."""

import os

import pytest
from hypothesis import settings

# Prefect servers started by tests (harness or real) must not try to phone home: there is no network.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

# No per-example deadline: a loaded CI machine makes timings, not outcomes, vary.
settings.register_profile("refpipe", deadline=None)
settings.load_profile("refpipe")


@pytest.fixture(autouse=True)
def _no_refpipe_settings_from_the_shell(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests assert the defaults (limits, time limit, cache): a ``REFPIPE_*`` variable set in the shell
    that runs them must not change what they see."""
    for name in [n for n in os.environ if n.startswith("REFPIPE_")]:
        monkeypatch.delenv(name)
