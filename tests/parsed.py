"""Fixture files read once per test session, whichever test module asks first.

``layout(path)`` is ``extract(path)`` (the front end's layout) and ``parsed(path)`` is
``normalize_document(extract_document(path))`` built on that layout, both cached by the path and the
file's sha256 (a test that rewrites a file at the same path gets its new layout and document).  Layouts
and documents are frozen records, so tests can share them; before this, each module extracted the seeds
and fixture PDFs again."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from pipeline.extract import extract
from pipeline.normalize.document import normalize_document
from pipeline.parse import parse
from pipeline.records import Document, Layout


def _sha256(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def layout(path: str | Path) -> Layout:
    """The layout a front end reads from a fixture file (extracted on first use in the session)."""
    return _layout(str(path), _sha256(path))


def parsed(path: str | Path) -> Document:
    """The normalised document of a fixture file (parsed on first use in the session)."""
    return _parsed(str(path), _sha256(path))


@cache
def _layout(path: str, sha256: str) -> Layout:
    return extract(path)


@cache
def _parsed(path: str, sha256: str) -> Document:
    return normalize_document(parse(_layout(path, sha256)))
