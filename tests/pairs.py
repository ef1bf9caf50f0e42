"""The version pairs of tests/fixtures/versions, parsed once per process, and the scorer's change key."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from golden import FIXTURES, norm
from parsed import parsed

from pipeline.diff.changes import DiffReport, Side
from pipeline.diff.structured import diff_documents
from pipeline.records import Document, TextItem

VERSIONS = FIXTURES / "versions"
PAIRS = sorted(p for p in VERSIONS.iterdir() if (p / "expected_diff.json").is_file())
SEED_001 = FIXTURES / "seeds" / "001_1b606db1c3205ecb.txt"
PDF_001 = FIXTURES / "pdf" / "001_1b606db1c3205ecb.rl-portrait-grid.pdf"
HEADER_PDF_001 = FIXTURES / "pdf" / "001_1b606db1c3205ecb.rl-portrait-grid.header.pdf"


def expected(pair: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((pair / "expected_diff.json").read_text(encoding="utf-8"))
    return data


def versions_of(pair: Path) -> tuple[Document, Document]:
    exp = expected(pair)
    return parsed(pair / exp["v1"]), parsed(pair / exp["v2"])


def change_key(c: dict[str, Any]) -> tuple[Any, ...]:
    """What the scorer compares: kind, entity, old, new (normalised; lists as sorted tuples)."""
    def val(v: Any) -> Any:
        if isinstance(v, list):
            return tuple(sorted(norm(str(x)) for x in v))
        return norm(str(v)) if v is not None else None
    return (c["kind"], c["entity"], val(c.get("old")), val(c.get("new")))


SCRIPT = "<script>document.title='pwned'</script> Les mesures <b>sont</b> & restent tracées."


def report_of(old: Document, new: Document) -> DiffReport:
    def side(d: Document, version: int) -> Side:
        title = d.cqpm.title if d.cqpm else d.rncp.title if d.rncp else None
        return Side(d.id, d.kind.value, d.source.path, title, None, key="K", version=version,
                    pages=d.source.pages, sha256=d.source.sha256)
    return DiffReport(side(old, 1), side(new, 2), diff_documents(old, new), documents=(old, new))


def report_001() -> DiffReport:
    return report_of(*versions_of(next(p for p in PAIRS if p.name.startswith("001"))))


def with_script_criterion() -> DiffReport:
    doc = parsed(PDF_001)
    assert doc.cqpm is not None
    cap = doc.cqpm.capacities[0]
    hostile = dataclasses.replace(cap, criteria=(*cap.criteria, TextItem(SCRIPT, cap.criteria[0].prov)))
    new = dataclasses.replace(doc, cqpm=dataclasses.replace(doc.cqpm, capacities=(hostile,
                                                                                  *doc.cqpm.capacities[1:])))
    return report_of(doc, new)
