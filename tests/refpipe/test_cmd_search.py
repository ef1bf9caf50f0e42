"""`refpipe search` as a user runs it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from seed_warehouse import SEEDS_ONLY, WITH_PDF, seed_warehouse
from typer.testing import CliRunner

from refpipe.cli import app

runner = CliRunner()


@pytest.fixture(autouse=True)
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REFPIPE_CACHE_DIR", str(tmp_path / "cache"))


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "200"})
    return result.exit_code, result.output


def test_search_json_finds_the_seed_001_criterion() -> None:
    code, output = invoke("search", "indicateur", "--json", "--limit", "50", "-w", str(seed_warehouse(SEEDS_ONLY)))
    assert code == 0, output
    hits = json.loads(output)
    hit = next(h for h in hits if h["source_path"].endswith("001_1b606db1c3205ecb.txt")
               and h["item"] == "criterion" and h["capacity"] == "3" and h["criterion"] == 1)
    assert "d'indicateurs" in hit["text"] and hit["matched"] == ["indicateur"] and hit["key"] == "CQPM-0195"
    assert hit.keys() >= {"rank", "score", "kind", "document_id", "version", "title", "capacity_title", "page",
                          "snippet"}


def test_search_prints_document_capacity_and_page() -> None:
    code, output = invoke("search", "mesurer indicateurs", "-n", "3", "-w", str(seed_warehouse(WITH_PDF)))
    assert code == 0, output
    assert "1. CQPM-0195 v1" in output and "page " in output and "criterion " in output
    assert "3 hit(s) for 'mesurer indicateurs'" in output


def test_search_errors_are_clean() -> None:
    warehouse = str(seed_warehouse(SEEDS_ONLY))
    code, output = invoke("search", "les de", "-w", warehouse)
    assert code == 1 and "no word" in output and "Traceback" not in output
    code, output = invoke("search", "indicateur", "--kind", "bts", "-w", warehouse)
    assert code == 2
    code, output = invoke("search", "  ", "-w", warehouse)
    assert code == 2 and "the query is empty" in output
