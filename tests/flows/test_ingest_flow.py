"""The ingestion flow under Prefect's test prefect_harness: real seeds plus bad inputs, run twice; incremental
runs (unchanged and quarantined bytes are not parsed again, a changed file is a new version, a deleted
file deletes nothing); per-document limits."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest
from golden import FIXTURES

import pipeline.runtime
from flows.ingest import ingest_flow, outcomes_of
from pipeline.limits import Limits
from pipeline.records import FileOutcome, SourceFile
from pipeline.runtime.executor import extract_batch

pytestmark = pytest.mark.e2e  # the flow on Prefect's test harness

# the words of each MANIFEST reason that our reason must also say
BAD_REASON_WORDS = {
    "empty.pdf": "empty", "truncated.pdf": "truncated", "encrypted.pdf": "password",
    "image_only.pdf": "no text layer", "png_named.pdf": "PNG", "letter.pdf": "not a CQPM référentiel or RNCP fiche",
}
TABLES_WITH_ROWS = ("sources", "documents", "cqpm_capacities", "cqpm_criteria", "rncp_capacities", "rncp_blocks")


def ingest(*args: object, **kwargs: object) -> list[FileOutcome]:
    """The flow's outcomes, whether it ended Completed or Failed (a file was rejected)."""
    return outcomes_of(ingest_flow(*args, return_state=True, **kwargs))  # type: ignore[call-overload]


def _counts(warehouse: Path) -> dict[str, int]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        names = [r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE'").fetchall()]
        return {n: con.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}  # type: ignore[index]
    finally:
        con.close()


def test_flow_loads_seeds_rejects_bad_files_and_is_idempotent(prefect_harness, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    shutil.copytree(FIXTURES / "seeds", inbox)
    (inbox / "notes.txt").write_text("Compte rendu de réunion, rien à voir.\n", encoding="utf-8")
    (inbox / "empty.pdf").write_bytes(b"")
    warehouse = tmp_path / "w.duckdb"

    seen: list[str] = []
    outcomes = ingest([str(inbox)], str(warehouse), on_file=lambda o: seen.append(o.status))

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

    again = ingest([str(inbox)], str(warehouse))
    assert {o.status for o in again if o.kind} == {"unchanged"}
    assert {Path(o.path).name: o.status for o in again if not o.kind} == {"notes.txt": "quarantined",
                                                                          "empty.pdf": "quarantined"}
    after = _counts(warehouse)
    assert (first.pop("runs"), after.pop("runs")) == (1, 2)  # every completed run leaves a row
    assert after == first


def test_flow_survives_every_bad_input_without_partial_rows(prefect_harness, tmp_path: Path) -> None:
    inbox = tmp_path / "bad"
    manifest = json.loads((FIXTURES / "bad" / "MANIFEST.json").read_text(encoding="utf-8"))
    inbox.mkdir()
    for entry in manifest["files"]:
        shutil.copy(FIXTURES / "bad" / entry["file"], inbox / entry["file"])
    shutil.copy(FIXTURES / "seeds" / "002_59b883e404a36628.txt", inbox / "good.txt")
    warehouse = tmp_path / "w.duckdb"

    outcomes = {Path(o.path).name: o for o in ingest([str(inbox)], str(warehouse))}

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


def _forbid_extraction(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Make the flow record (and fail) any extraction: what an incremental run must not parse."""
    parsed: list[str] = []

    def spy(sources: list[SourceFile], limits: Limits):  # noqa: ANN202
        parsed.extend(Path(s.path).name for s in sources)
        return extract_batch(sources, limits)

    monkeypatch.setattr(pipeline.runtime, "extract_batch", spy)
    return parsed


def test_the_whole_bad_corpus_ends_in_quarantine_and_is_not_parsed_again(
        prefect_harness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    inbox = tmp_path / "bad"
    shutil.copytree(FIXTURES / "bad", inbox)
    (inbox / "MANIFEST.json").unlink()
    warehouse = tmp_path / "w.duckdb"
    first = {Path(o.path).name: o for o in ingest([str(inbox)], str(warehouse))}
    assert {n for n, o in first.items() if o.status == "rejected"} == set(BAD_REASON_WORDS)

    parsed = _forbid_extraction(monkeypatch)
    again = {Path(o.path).name: o for o in ingest([str(inbox)], str(warehouse))}
    assert parsed == []  # nothing read again: known bytes are skipped on their sha256
    assert {n: o.status for n, o in again.items()} == {**dict.fromkeys(BAD_REASON_WORDS, "quarantined"),
                                                      "latin1_referentiel.txt": "unchanged"}
    for name, words in BAD_REASON_WORDS.items():
        assert again[name].reason == first[name].reason and words in (again[name].reason or "")
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        quarantine = dict(con.execute("SELECT path, reason FROM v_quarantine").fetchall())
        runs = con.execute("SELECT rejected, quarantined, unchanged, loaded FROM runs ORDER BY started_at").fetchall()
    finally:
        con.close()
    assert {Path(p).name for p in quarantine} == set(BAD_REASON_WORDS)
    assert all(words in quarantine[str(inbox / name)] for name, words in BAD_REASON_WORDS.items())
    assert runs == [(6, 0, 0, 1), (0, 6, 1, 0)]

    parsed.clear()  # --retry-quarantined parses them again (and they are rejected again, nothing new)
    retried = ingest([str(inbox)], str(warehouse), retry_quarantined=True)
    assert sorted(parsed) == sorted(BAD_REASON_WORDS)
    assert {o.status for o in retried if Path(o.path).name in BAD_REASON_WORDS} == {"rejected"}


def test_a_changed_file_is_a_new_version_and_a_deleted_file_deletes_nothing(
        prefect_harness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    seeds = sorted((FIXTURES / "seeds").glob("00[0-2]*.txt"))
    for seed in seeds:
        shutil.copy(seed, inbox / seed.name)
    warehouse = tmp_path / "w.duckdb"
    ingest([str(inbox)], str(warehouse))
    before = _counts(warehouse)

    changed = inbox / seeds[0].name
    text = changed.read_text(encoding="utf-8")  # a changed criterion: new content (not only new bytes)
    assert "Les actions retenues sont formulées" in text
    changed.write_text(text.replace("Les actions retenues sont formulées", "Les actions choisies sont formulées", 1),
                       encoding="utf-8")
    (inbox / seeds[1].name).unlink()
    parsed = _forbid_extraction(monkeypatch)
    outcomes = {Path(o.path).name: o.status for o in ingest([str(inbox)], str(warehouse))}

    assert outcomes == {seeds[0].name: "loaded", seeds[2].name: "unchanged"}
    assert parsed == [seeds[0].name]
    after = _counts(warehouse)
    assert after["documents"] == before["documents"] + 1 and after["sources"] == before["sources"] + 1
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        versions = con.execute("SELECT key, version, is_latest FROM v_versions WHERE source_path = ? "
                               "OR document_id IN (SELECT previous_id FROM documents WHERE previous_id IS NOT NULL) "
                               "ORDER BY version", [str(changed)]).fetchall()
        deleted = con.execute("SELECT count(*) FROM sources WHERE path = ?", [str(inbox / seeds[1].name)]).fetchone()
    finally:
        con.close()
    assert [(v, latest) for _, v, latest in versions] == [(1, False), (2, True)] and versions[0][0] == versions[1][0]
    assert deleted == (1,)  # the deleted file's document stays


def test_files_over_a_limit_are_rejected_with_that_reason_and_the_batch_goes_on(prefect_harness,
                                                                                tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(FIXTURES / "pdf" / "000_8d1bcbb53b7e0a76.rl-portrait-grid.pdf", inbox / "long.pdf")
    shutil.copy(FIXTURES / "seeds" / "002_59b883e404a36628.txt", inbox / "fine.txt")
    (inbox / "big.txt").write_bytes((inbox / "fine.txt").read_bytes() + b" " * 40_000)
    limits = Limits(max_bytes=40_000, max_pages=2, seconds=60)  # the PDF has 35 KB and 4 pages
    outcomes = {Path(o.path).name: o for o in ingest([str(inbox)], str(tmp_path / "w.duckdb"), limits=limits)}
    assert outcomes["long.pdf"].status == "rejected" and "page limit of 2" in (outcomes["long.pdf"].reason or "")
    assert outcomes["big.txt"].status == "rejected" and "size limit" in (outcomes["big.txt"].reason or "")
    assert outcomes["fine.txt"].status == "loaded"
