"""``refpipe show``: the contract JSON of the document a reference designates (``pipeline.query.resolve``).

Rebuilt from the warehouse tables, never by re-reading the source file.
"""

from __future__ import annotations

import os

import duckdb

from pipeline.contract import JSON, document_to_json
from pipeline.query.read import AmbiguousReference, DocumentNotFound, read_document
from pipeline.query.resolve import resolve, version_ref

__all__ = ["AmbiguousReference", "DocumentNotFound", "resolve", "show_json", "version_ref"]


def show_json(con: duckdb.DuckDBPyConnection, ref: str | os.PathLike[str]) -> JSON:
    """The contract JSON (``refpipe show REF --json``) of the document ``ref`` designates."""
    return document_to_json(read_document(con, resolve(con, ref)))
