"""Every text seed and every CQPM référentiel PDF (both layouts of seeds 000-002, and the PDF printing the
real page header) against its gold: scored as the conformance scorer scores them (tests/fixtures/score.py,
the copy of the shared scorer: no false or missed item, F1 1.000), then field by field for a readable
failure.  The RNCP PDFs are checked in tests/parse/test_rncp.py."""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from golden import FIXTURES, assert_same_document, load_gold
from parsed import parsed

from pipeline.contract import document_to_json

SEEDS = sorted((FIXTURES / "seeds").glob("*.txt"))
CQPM_PDFS = sorted((FIXTURES / "pdf").glob("00[0-2]_*.pdf"))


@cache
def scorer() -> ModuleType:
    spec = importlib.util.spec_from_file_location("refpipe_scorer", FIXTURES / "score.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def gold_of(path: Path) -> Path:
    if path.suffix == ".pdf":
        return path.with_name(path.name.removesuffix(".pdf") + ".gold.json")
    return FIXTURES / "gold" / f"{path.stem}.json"


def shown(path: Path) -> dict[str, Any]:
    """What ``refpipe show --json`` prints for the file (the normalised document as contract JSON)."""
    return document_to_json(parsed(path))


def test_the_seven_cqpm_pdfs_are_all_here() -> None:
    assert len(CQPM_PDFS) == 7 and all(gold_of(p).is_file() for p in CQPM_PDFS)


@pytest.mark.parametrize("path", SEEDS + CQPM_PDFS, ids=lambda p: p.name)
def test_scores_1_against_its_gold(path: Path) -> None:
    gold, got = load_gold(gold_of(path)), shown(path)
    stats, differences = scorer().score_doc(gold, got)
    total = scorer().Stats()
    for group in stats.values():
        total.add(group)
    assert total.tp > 0 and (total.fp, total.fn) == (0, 0), "\n".join(differences)
    assert total.f1 == 1.0
    assert_same_document(got, gold, path.name)
