"""Parallel extraction: N workers load the same warehouse as 1 (documents, keys, versions, every table's rows),
in discovery order; rejections and the per-document time limit still work with several workers."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
from golden import FIXTURES
from variants import content_variant

from flows.ingest import run_ingest
from pipeline.limits import Limits
from pipeline.runtime import CHUNK_MAX, chunk_size
from pipeline.runtime.executor import pool_size

SEEDS = sorted((FIXTURES / "seeds").glob("*.txt"))
PDFS = sorted((FIXTURES / "pdf").glob("00[0-4]_*.rl-portrait-grid.pdf"))


def _facts(warehouse: Path) -> tuple[list[tuple[object, ...]], dict[str, int]]:
    """(id, key, version, previous id, status) of every document, and every table's row count but ``runs``."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        docs = con.execute("SELECT id, key, version, previous_id, status FROM documents ORDER BY id").fetchall()
        tables = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE table_name <> 'runs'")
                  .fetchall()]
        counts = {t: int(con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]) for t in tables}  # type: ignore[index]
        return docs, counts
    finally:
        con.close()


def test_chunks_shrink_towards_the_end_of_a_batch() -> None:
    assert chunk_size(1000, 2) == CHUNK_MAX
    assert [chunk_size(n, 2) for n in (40, 16, 9, 5, 2, 1)] == [10, 4, 4, 4, 2, 1]


@pytest.mark.e2e
def test_two_workers_load_the_same_warehouse_as_one(prefect_harness: None, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for seed in SEEDS:  # each seed and two variants of its content: three versions of each document
        text = seed.read_text(encoding="utf-8")
        (inbox / f"0_{seed.name}").write_text(text, encoding="utf-8")
        for i in (1, 2):
            (inbox / f"{i}_{seed.name}").write_text(content_variant(text, i), encoding="utf-8")
    for pdf in PDFS:  # the same référentiels and fiches as PDFs: more versions of the same keys
        shutil.copy(pdf, inbox / f"2_{pdf.name}")
    shutil.copy(SEEDS[0], inbox / "3_copy_of_a_seed.txt")  # the same bytes twice in one batch
    (inbox / "3_resaved_seed.txt").write_bytes(SEEDS[1].read_bytes() + b"\n")  # new bytes, same content
    shutil.copy(FIXTURES / "bad" / "truncated.pdf", inbox / "4_truncated.pdf")

    one = run_ingest([str(inbox)], str(tmp_path / "w1.duckdb"), workers=1)
    two = run_ingest([str(inbox)], str(tmp_path / "w2.duckdb"), workers=2)

    names = sorted(p.name for p in inbox.iterdir())
    assert [Path(o.path).name for o in two] == names  # discovery order
    assert [(o.path, o.status, o.document_id, o.reason) for o in two] == [
        (o.path, o.status, o.document_id, o.reason) for o in one]
    by_name = {Path(o.path).name: o for o in two}
    assert by_name["3_copy_of_a_seed.txt"].status == "unchanged" and by_name["4_truncated.pdf"].status == "rejected"
    resaved = by_name["3_resaved_seed.txt"]  # one more source of the seed's document
    assert resaved.status == "unchanged" and resaved.document_id == by_name[f"0_{SEEDS[1].name}"].document_id
    variants = [by_name[f"{i}_{seed.name}"].document_id for seed in SEEDS for i in range(3)]
    assert len(set(variants)) == 3 * len(SEEDS)  # the variants really are other content
    docs, counts = _facts(tmp_path / "w2.duckdb")
    assert (docs, counts) == _facts(tmp_path / "w1.duckdb")
    assert max(int(version) for _, _, version, _, _ in docs) >= 3  # versions depend on the load order
    assert counts["links"] > 0 and counts["document_sources"] > counts["documents"]
    assert pool_size() == 0  # the run stopped its extraction processes


@pytest.mark.e2e
def test_rejections_and_the_time_limit_still_work_with_parallel_workers(prefect_harness: None, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for seed in SEEDS[:3]:
        shutil.copy(seed, inbox / seed.name)
    seed = SEEDS[2].read_bytes()
    # ~45 MB (under the 50 MB size limit): ~8 s to parse here, 4x the time limit; killed at the limit, so
    # its size costs only the write and the hash
    (inbox / "1_slow.txt").write_bytes(seed * (45_000_000 // len(seed)))
    (inbox / "2_notes.txt").write_text("Compte rendu de réunion, rien à voir.\n", encoding="utf-8")
    shutil.copy(FIXTURES / "bad" / "truncated.pdf", inbox / "3_truncated.pdf")
    limits = Limits(seconds=2)  # a seed takes milliseconds

    outcomes = run_ingest([str(inbox)], str(tmp_path / "w.duckdb"), workers=2, limits=limits, links=False)

    by_name = {Path(o.path).name: o for o in outcomes}
    assert [Path(o.path).name for o in outcomes] == sorted(by_name)
    assert by_name["1_slow.txt"].status == "rejected"
    assert "per-document time limit" in (by_name["1_slow.txt"].reason or "")
    assert by_name["2_notes.txt"].status == "rejected" and by_name["3_truncated.pdf"].status == "rejected"
    assert {by_name[s.name].status for s in SEEDS[:3]} == {"loaded"}
    con = duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True)
    try:
        rejected = dict(con.execute("SELECT path, reason FROM sources WHERE status = 'rejected'").fetchall())
        assert con.execute("SELECT count(*) FROM documents").fetchone() == (3,)
    finally:
        con.close()
    assert {Path(p).name for p in rejected} == {"1_slow.txt", "2_notes.txt", "3_truncated.pdf"}
    assert "time limit" in rejected[str(inbox / "1_slow.txt")]
    assert pool_size() == 0
