"""Structural parsers: ``parse(layout) -> Document``, one parser per kind, the kind read from the content.

A parser reads only the layout model (``pipeline.records.Layout``), whatever front end made it.
``extract_document`` is the whole read of one file: front end, then parser.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from pipeline.extract import extract
from pipeline.parse.kind import detect_kind
from pipeline.records import Document, Kind, Layout


def parse(layout: Layout) -> Document:
    """The structural parser of the document's kind, detected from its content."""
    kind = detect_kind(layout)
    if kind is Kind.CQPM:
        from pipeline.parse.cqpm import parse_cqpm

        document = parse_cqpm(layout)
    else:
        from pipeline.parse.rncp import parse_rncp

        document = parse_rncp(layout)
    if layout.notes:
        document = dataclasses.replace(document, reasons=document.reasons + layout.notes)
    return document


def extract_document(path: Path | str, data: bytes | None = None) -> Document:
    """Read one file (or its ``data`` already read) into its Document: front end (by content), then the
    parser of its kind."""
    return parse(extract(path, data))


__all__ = ["parse", "extract_document"]
