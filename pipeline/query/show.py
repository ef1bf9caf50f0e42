"""``refpipe show``: the contract JSON of the document a reference designates (``pipeline.query.resolve``).

Rebuilt from the warehouse tables, never by re-reading the source file.
"""

from __future__ import annotations

import os

import duckdb

from pipeline.contract import JSON, document_to_json
from pipeline.query.read import AmbiguousReference, DocumentNotFound, read_document
from pipeline.query.resolve import referenced_source, resolve, version_ref

__all__ = ["AmbiguousReference", "DocumentNotFound", "resolve", "show_json", "version_ref"]


def show_json(con: duckdb.DuckDBPyConnection, ref: str | os.PathLike[str]) -> JSON:
    """The contract JSON (``refpipe show REF --json``) of the document ``ref`` designates."""
    doc_id = resolve(con, ref)  # a document read from several files is shown with the one asked for
    return document_to_json(read_document(con, doc_id, referenced_source(con, ref, doc_id)))
