"""Shared pytest setup.  Its presence puts tests/ on sys.path, so test modules can import the
helpers that sit beside it (``from golden import norm``)."""

import os

# Prefect servers started by tests (harness or real) must not try to phone home: there is no network.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
