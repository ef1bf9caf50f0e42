"""A new version is diffed against the previous one at ingest: ``v_diff_changes`` holds its changes
without a ``refpipe diff`` call; a failure there costs no document; nothing is recomputed for nothing new."""

from __future__ import annotations

import json
import logging
from collections import Counter
from pathlib import Path

import pytest
from pairs import PAIRS, change_key, expected

import pipeline.runtime as runtime
from pipeline.load import warehouse as wh
from pipeline.runtime import IngestOptions, ingest_paths

pytestmark = pytest.mark.e2e  # extraction processes and PDF pairs: ~45 s

OPTIONS = IngestOptions(workers=1, trigger="test")


def _stored_changes(w: Path) -> tuple[list[tuple[object, ...]], Counter[tuple[object, ...]]]:
    con = wh.connect(w, read_only=True)
    try:
        runs = con.execute("SELECT old_key, old_version, new_key, new_version, changes, created_at "
                           "FROM diff_runs ORDER BY created_at").fetchall()
        rows = con.execute("SELECT kind, entity, old_value, new_value FROM v_diff_changes").fetchall()
    finally:
        con.close()
    changes = Counter(change_key({"kind": k, "entity": e, "old": _value(o), "new": _value(n)}) for k, e, o, n in rows)
    return runs, changes


def _value(v: str | None) -> object:
    if v is not None and v.startswith("["):
        return json.loads(v)
    return v


@pytest.mark.parametrize("pair", PAIRS, ids=lambda p: p.name)
def test_ingesting_v1_then_v2_stores_their_diff(pair: Path, tmp_path: Path) -> None:
    exp = expected(pair)
    w = tmp_path / "w.duckdb"
    ingest_paths([pair / exp["v1"]], w, OPTIONS)
    runs, _ = _stored_changes(w)
    assert runs == []  # a first version has nothing to be compared with

    ingest_paths([pair / exp["v2"]], w, OPTIONS)
    runs, changes = _stored_changes(w)
    assert len(runs) == 1
    old_key, old_version, new_key, new_version, count, created = runs[0]
    assert (old_key, old_version, new_version) == (new_key, 1, 2)
    assert changes == Counter(change_key(c) for c in exp["changes"]) and count == len(exp["changes"])

    ingest_paths([pair / exp["v1"], pair / exp["v2"]], w, OPTIONS)  # nothing new: nothing recomputed
    assert _stored_changes(w)[0] == runs


def test_a_failing_diff_costs_no_document_and_the_next_run_stores_it(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch,
                                                                     caplog: pytest.LogCaptureFixture) -> None:
    pair = PAIRS[0]
    exp = expected(pair)
    w = tmp_path / "w.duckdb"

    def broken(con: object) -> None:
        raise RuntimeError("differ exploded")

    monkeypatch.setattr(runtime, "diff_new_versions", broken)
    with caplog.at_level(logging.WARNING, logger="pipeline.runtime"):
        outcomes = ingest_paths([pair / exp["v1"], pair / exp["v2"]], w, OPTIONS)
    assert [o.status for o in outcomes] == ["loaded", "loaded"]
    assert "differ exploded" in caplog.text
    assert _stored_changes(w)[0] == []
    con = wh.connect(w, read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM documents").fetchone() == (2,)
        assert con.execute("SELECT count(*) FROM runs").fetchone() == (1,)
    finally:
        con.close()

    monkeypatch.undo()
    seed = Path(__file__).resolve().parent.parent / "fixtures" / "seeds" / "002_59b883e404a36628.txt"
    ingest_paths([seed], w, OPTIONS)  # the next run that loads something fills the missing diff
    runs, changes = _stored_changes(w)
    assert len(runs) == 1 and changes == Counter(change_key(c) for c in exp["changes"])
