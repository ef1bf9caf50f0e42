"""The ingestion flow under Prefect's test harness: real seeds plus bad inputs, run twice."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest
from golden import FIXTURES
from prefect.testing.utilities import prefect_test_harness

from flows.ingest import ingest_flow

# the words of each MANIFEST reason that our reason must also say
BAD_REASON_WORDS = {
    "empty.pdf": "empty", "truncated.pdf": "truncated", "encrypted.pdf": "password",
    "image_only.pdf": "no text layer", "png_named.pdf": "PNG", "letter.pdf": "not a CQPM référentiel or RNCP fiche",
}
TABLES_WITH_ROWS = ("sources", "documents", "cqpm_capacities", "cqpm_criteria", "rncp_capacities", "rncp_blocks")


@pytest.fixture(scope="module")
def harness():
    with prefect_test_harness(server_startup_timeout=60):
        yield


def _counts(warehouse: Path) -> dict[str, int]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        names = [r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE'").fetchall()]
        return {n: con.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}  # type: ignore[index]
    finally:
        con.close()


def test_flow_loads_seeds_rejects_bad_files_and_is_idempotent(harness, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    shutil.copytree(FIXTURES / "seeds", inbox)
    (inbox / "notes.txt").write_text("Compte rendu de réunion, rien à voir.\n", encoding="utf-8")
    (inbox / "empty.pdf").write_bytes(b"")
    warehouse = tmp_path / "w.duckdb"

    seen: list[str] = []
    outcomes = ingest_flow([str(inbox)], str(warehouse), on_file=lambda o: seen.append(o.status))

    by_name = {Path(o.path).name: o for o in outcomes}
    assert len(outcomes) == 7 == len(seen)
    assert by_name["notes.txt"].status == "rejected"
    assert "notes.txt" in (by_name["notes.txt"].reason or "")
    assert by_name["empty.pdf"].status == "rejected"
    assert "empty" in (by_name["empty.pdf"].reason or "")
    kinds = sorted((o.kind or "", o.status) for o in outcomes if o.kind)
    assert kinds == [("cqpm", "loaded")] * 3 + [("rncp", "loaded"), ("rncp", "partial")]
    first = _counts(warehouse)
    assert first["documents"] == 5
    assert all(first[t] > 0 for t in TABLES_WITH_ROWS)

    again = ingest_flow([str(inbox)], str(warehouse))
    assert {o.status for o in again if o.kind} == {"unchanged"}
    assert _counts(warehouse) == first


def test_flow_survives_every_bad_input_without_partial_rows(harness, tmp_path: Path) -> None:
    inbox = tmp_path / "bad"
    manifest = json.loads((FIXTURES / "bad" / "MANIFEST.json").read_text(encoding="utf-8"))
    inbox.mkdir()
    for entry in manifest["files"]:
        shutil.copy(FIXTURES / "bad" / entry["file"], inbox / entry["file"])
    shutil.copy(FIXTURES / "seeds" / "002_59b883e404a36628.txt", inbox / "good.txt")
    warehouse = tmp_path / "w.duckdb"

    outcomes = {Path(o.path).name: o for o in ingest_flow([str(inbox)], str(warehouse))}

    for name, words in BAD_REASON_WORDS.items():
        assert outcomes[name].status == "rejected", name
        assert words in (outcomes[name].reason or "") and name in (outcomes[name].reason or ""), name
    # the Latin-1 text is transcoded and loaded whole (2 capacities, 4 criteria), never with mojibake
    latin1 = outcomes["latin1_referentiel.txt"]
    assert latin1.status == "loaded" and "Latin-1" in (latin1.reason or "")
    assert outcomes["good.txt"].status == "loaded"
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rejected = con.execute("SELECT count(*) FROM sources WHERE status = 'rejected'").fetchone()
        assert rejected == (len(BAD_REASON_WORDS),)
        # no row of any rejected file in any document table
        assert con.execute("SELECT count(*) FROM documents").fetchone() == (2,)
        titles = [r[0] for r in con.execute(
            "SELECT title FROM cqpm_capacities c JOIN documents d ON d.id = c.document_id "
            "JOIN sources s ON s.sha256 = d.source_sha256 WHERE s.path LIKE '%latin1%' ORDER BY c.ord").fetchall()]
        assert titles == ["Réaliser une intervention de maintenance préventive",
                          "Diagnostiquer une défaillance d'un équipement"]
        criteria = con.execute("SELECT string_agg(text, ' ') FROM cqpm_criteria").fetchone()
        assert criteria is not None and "Ã" not in criteria[0] and "\ufffd" not in criteria[0]
    finally:
        con.close()
