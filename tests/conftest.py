"""Shared pytest setup.  Its presence puts tests/ on sys.path, so test modules can import the
helpers that sit beside it (``from golden import norm``)."""
