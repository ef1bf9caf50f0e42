"""Apply ``clean`` to every text field of a Document (a structural map over the frozen records)."""

from __future__ import annotations

import dataclasses
from enum import Enum
from typing import Any, TypeVar

from pipeline.normalize.text import clean
from pipeline.records import BBox, Document, Provenance, Source

T = TypeVar("T")
_UNTOUCHED = (Source, Provenance, BBox)  # paths, hashes and positions are not prose


def _clean_value(value: Any) -> Any:
    if isinstance(value, Enum):  # Kind/Status are str enums: not prose
        return value
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, tuple):
        return tuple(_clean_value(v) for v in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, (type, *_UNTOUCHED)):
        return _clean_record(value)
    return value


def _clean_record(record: T) -> T:
    changes = {f.name: _clean_value(getattr(record, f.name)) for f in dataclasses.fields(record)}  # type: ignore[arg-type]
    return dataclasses.replace(record, **changes)  # type: ignore[type-var]


def normalize_document(document: Document) -> Document:
    """The document with display-safe text everywhere (see ``pipeline.normalize.text.clean``)."""
    return _clean_record(document)
