"""The canonical JSON (``pipeline.contract.canonical_json``): the bytes of ``json.dumps`` with sorted keys, no
spaces and UTF-8 unescaped, so that the content ids of existing warehouses stay the same."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from golden import FIXTURES

from pipeline.contract import canonical_json, content_id, content_json
from pipeline.extract.export_xml import ExportReader
from pipeline.records import Source


def reference(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


@pytest.mark.parametrize("value", [
    {"b": ["\x00\x01\x1f\x7f", "\"\\/", "\u2028\u2029", "😀 é e\u0301", "\t\n\r\b\f"], "a": [None, True, False, 0, -5],
     "é": {}, "A": {"z": [], "y": ""}},
    {"rncp": None, "cqpm": {"level": 2**62, "title": "Soudage « TIG »"}, "kind": "cqpm"},
])
def test_the_canonical_bytes_are_those_of_json_dumps(value: Any) -> None:
    assert canonical_json(value) == reference(value)


def test_every_fixture_fiche_keeps_its_content_id() -> None:
    path = FIXTURES / "rncp-export" / "export_fiches_RNCP_V2_0_2023-05-28.xml"
    source = Source(path=str(path), sha256="0" * 64, format="xml", pages=None, size=0)
    documents = list(ExportReader(path, source))
    assert documents
    for document in documents:
        content = content_json(document)
        assert canonical_json(content) == reference(content)
        assert content_id(document) == hashlib.sha256(reference(content)).hexdigest()[:16]
