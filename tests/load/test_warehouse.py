"""The warehouse write side: idempotent, atomic loads; rejections; summary; typed columns."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from gold_documents import document_from_gold, gold_paths

from pipeline.contract import body_id
from pipeline.errors import RejectedInput, TransientError
from pipeline.load import warehouse as wh
from pipeline.query.read import read_document
from pipeline.records import Document, Kind, Source, Status, TextItem

GOLDS = gold_paths()


@pytest.fixture
def con(tmp_path: Path, new_warehouse: Callable[[Path], Path]) -> Iterator[duckdb.DuckDBPyConnection]:
    c = wh.connect(new_warehouse(tmp_path / "w" / "warehouse.duckdb"))
    yield c
    c.close()


def tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    sql = "SELECT table_name FROM duckdb_tables() WHERE table_name <> 'refpipe_meta' ORDER BY 1"
    rows = con.execute(sql).fetchall()
    return [r[0] for r in rows]


def counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables(con)}  # type: ignore[index]


def rows_of(con: duckdb.DuckDBPyConnection, sha: str) -> dict[str, int]:
    """Rows anywhere in the warehouse that belong to the bytes ``sha`` (by sha or document id)."""
    out = {}
    for t in tables(con):
        cols = {r[0] for r in con.execute(f"DESCRIBE {t}").fetchall()}
        key = "sha256" if t == "sources" else "source_sha256"
        assert key in cols, f"{t} has no {key} column"
        n = con.execute(f"SELECT count(*) FROM {t} WHERE {key} = ?", [sha]).fetchone()[0]  # type: ignore[index]
        if "document_id" in cols:
            n += con.execute(f"SELECT count(*) FROM {t} WHERE document_id = ?", [sha[:16]]).fetchone()[0]  # type: ignore[index]
        out[t] = n
    return out


def test_schema_creates_every_table_and_view(con: duckdb.DuckDBPyConnection) -> None:
    expected = {
        "sources", "documents", "cqpm_referentiels", "cqpm_missions", "cqpm_listed_capacities",
        "cqpm_capacities", "cqpm_conditions", "cqpm_criteria", "cqpm_assessments", "cqpm_assessment_methods",
        "rncp_fiches", "rncp_certifiers", "rncp_conventions", "rncp_nsf", "rncp_formacodes",
        "rncp_activities", "rncp_capacities", "rncp_jobs", "rncp_rome", "rncp_blocks",
        "rncp_block_capacities",
    }
    assert expected <= set(tables(con))
    views = dict(con.execute("SELECT view_name, comment FROM duckdb_views() WHERE NOT internal").fetchall())
    for v in ("v_documents", "v_capacities", "v_criteria"):
        assert views.get(v), f"{v} missing or without a comment"


def test_every_list_table_carries_provenance(con: duckdb.DuckDBPyConnection) -> None:
    for t in tables(con):
        if t in ("sources", "documents", "cqpm_referentiels", "rncp_fiches", "document_sources", "rncp_exports",
                 "rncp_withdrawals", "rncp_fiche_fingerprints"):
            continue  # one row per document or per source (or per fiche fingerprint), not a list of a document
        cols = {r[0] for r in con.execute(f"DESCRIBE {t}").fetchall()}
        assert {"document_id", "source_sha256", "ord", "page", "x0", "top", "x1", "bottom"} <= cols, t
    for t in ("cqpm_conditions", "cqpm_criteria", "cqpm_assessments"):
        assert "capacity_number" in {r[0] for r in con.execute(f"DESCRIBE {t}").fetchall()}


def test_schema_is_package_data() -> None:
    assert "CREATE TABLE IF NOT EXISTS sources" in wh.schema_sql()


def test_schema_is_reapplied_when_it_changes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "w.duckdb"
    wh.connect(path).close()
    extra = "\nCREATE OR REPLACE VIEW v_new AS SELECT 1 AS one;\n"
    original = wh.schema_sql
    monkeypatch.setattr(wh, "schema_sql", lambda: original() + extra)
    c = wh.connect(path)
    assert c.execute("SELECT one FROM v_new").fetchone() == (1,)
    c.close()


def test_connect_twice_keeps_data(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    c = wh.connect(path)
    assert wh.load(document_from_gold(GOLDS[0]), c)
    c.close()
    c = wh.connect(path)
    assert counts(c)["documents"] == 1
    c.close()
    ro = wh.connect(path, read_only=True)
    assert counts(ro)["documents"] == 1
    ro.close()


def test_read_only_connect_to_missing_warehouse(tmp_path: Path) -> None:
    with pytest.raises(wh.WarehouseError, match="does not exist"):
        wh.connect(tmp_path / "none.duckdb", read_only=True)
    assert not (tmp_path / "none.duckdb").exists()


@pytest.mark.parametrize("gold", GOLDS, ids=lambda p: p.name)
def test_read_document_is_what_was_loaded(con: duckdb.DuckDBPyConnection, gold: Path) -> None:
    doc = document_from_gold(gold, geometry=True)
    doc = dataclasses.replace(doc, status=Status.PARTIAL, reasons=("no date printed", "level missing"))
    assert wh.load(doc, con) is True
    assert read_document(con, doc.id) == doc


def test_same_bytes_twice_add_nothing(con: duckdb.DuckDBPyConnection) -> None:
    docs = [document_from_gold(g) for g in GOLDS]
    loaded = [wh.load(d, con) for d in docs]
    assert loaded == [d.id not in {e.id for e in docs[:k]} for k, d in enumerate(docs)]
    before = counts(con)
    stamps = con.execute("SELECT sha256, ingested_at FROM sources ORDER BY 1").fetchall()
    assert not any(wh.load(d, con) for d in docs)
    # the same bytes found at another path are the same document
    moved = dataclasses.replace(docs[0], source=dataclasses.replace(docs[0].source, path="other/copy.txt"))
    assert wh.load(moved, con) is False
    assert counts(con) == before
    assert con.execute("SELECT sha256, ingested_at FROM sources ORDER BY 1").fetchall() == stamps
    # a document is its content: the text seed and its PDF renderings with the same content are one
    # document with several sources; the rendering printing seed 001's header block (number, date) is the
    # same document too, holding the rows (tests/load/test_versions.py)
    assert before["documents"] == len({body_id(d) for d in docs}) < len({d.id for d in docs})
    assert before["sources"] == len(GOLDS)
    assert before["document_sources"] == len(GOLDS)


def test_replace_reloads_the_same_bytes(con: duckdb.DuckDBPyConnection) -> None:
    doc = document_from_gold(GOLDS[0])
    assert wh.load(doc, con)
    before = counts(con)
    assert doc.cqpm is not None
    fixed = dataclasses.replace(doc, cqpm=dataclasses.replace(doc.cqpm, title="Titre corrigé"))
    assert wh.load(fixed, con, replace=True) is True
    assert counts(con) == before
    assert read_document(con, fixed.id) == fixed  # new content, new id: it takes the old one's place
    assert con.execute("SELECT count(*) FROM documents WHERE id = ?", [doc.id]).fetchone() == (0,)


class Boom(RuntimeError):
    pass


def _failing_insert(monkeypatch: pytest.MonkeyPatch, after: int) -> None:
    real = wh._insert
    calls = {"n": 0}

    def insert(con: duckdb.DuckDBPyConnection, table: str, columns: Any, rows: Any) -> None:
        if rows:
            calls["n"] += 1
            if calls["n"] > after:
                raise Boom(f"disk gone while writing {table}")
        real(con, table, columns, rows)

    monkeypatch.setattr(wh, "_insert", insert)


@pytest.mark.parametrize("gold", [GOLDS[1], GOLDS[3]], ids=lambda p: p.name)
def test_failure_mid_load_leaves_nothing(con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch,
                                         gold: Path) -> None:
    other = document_from_gold(GOLDS[0])
    assert wh.load(other, con)
    before = counts(con)
    doc = document_from_gold(gold)
    _failing_insert(monkeypatch, after=4)
    with pytest.raises(Boom):
        wh.load(doc, con)
    assert counts(con) == before
    assert sum(rows_of(con, doc.source.sha256).values()) == 0
    monkeypatch.undo()
    assert wh.load(doc, con) is True  # the connection is usable and the document loads afterwards
    assert read_document(con, doc.id) == doc


def test_failure_mid_load_keeps_earlier_rejection(con: duckdb.DuckDBPyConnection,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    doc = document_from_gold(GOLDS[2])
    assert wh.record_rejection(doc.source, "parser crashed", con)
    _failing_insert(monkeypatch, after=2)
    with pytest.raises(Boom):
        wh.load(doc, con)
    assert con.execute("SELECT status, reason FROM sources").fetchall() == [("rejected", "parser crashed")]
    assert counts(con)["documents"] == 0


def test_rejection_is_recorded_with_its_reason(con: duckdb.DuckDBPyConnection) -> None:
    empty_sha = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    src = Source(path="raw/empty.pdf", sha256=empty_sha, format="pdf", pages=None, size=0)
    assert wh.record_rejection(src, "empty file (0 bytes)", con) is True
    assert wh.record_rejection(src, "empty file (0 bytes)", con) is False
    row = con.execute("SELECT path, status, reason, typeof(ingested_at) FROM sources").fetchall()
    assert row == [("raw/empty.pdf", "rejected", "empty file (0 bytes)", "TIMESTAMP")]
    assert {t: n for t, n in rows_of(con, src.sha256).items() if n} == {"sources": 1}
    # a newer diagnosis of the same bytes replaces the reason, still one row
    assert wh.record_rejection(src, "empty file", con) is True
    assert con.execute("SELECT count(*), any_value(reason) FROM sources").fetchone() == (1, "empty file")
    s = wh.summary(con)
    assert s.documents == 0 and [(r.path, r.reason) for r in s.rejected] == [("raw/empty.pdf", "empty file")]


def test_rejection_by_path_hashes_the_bytes(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    f = tmp_path / "letter.pdf"
    f.write_bytes(b"Dear Sir,\n")
    assert wh.record_rejection(f, "not a référentiel", con)
    row = con.execute("SELECT sha256, path, size, status FROM sources").fetchone()
    assert row == (wh.file_sha256(f), str(f), 10, "rejected")


def test_load_after_rejection_replaces_it(con: duckdb.DuckDBPyConnection) -> None:
    doc = document_from_gold(GOLDS[0])
    wh.record_rejection(doc.source, "old parser failed", con)
    assert wh.load(doc, con) is True
    assert con.execute("SELECT count(*), any_value(status), any_value(reason) FROM sources").fetchone() == (
        1, "loaded", None)
    assert wh.summary(con).rejected == ()


def test_rejection_after_load_keeps_the_document(con: duckdb.DuckDBPyConnection) -> None:
    doc = document_from_gold(GOLDS[3])
    wh.load(doc, con)
    before = counts(con)
    assert wh.record_rejection(doc.source, "flaky", con) is False
    assert counts(con) == before
    assert con.execute("SELECT status FROM sources").fetchone() == ("loaded",)


def test_rejected_document_is_recorded_not_loaded(con: duckdb.DuckDBPyConnection) -> None:
    doc = dataclasses.replace(document_from_gold(GOLDS[0]), cqpm=None, status=Status.REJECTED,
                              reasons=("not a CQPM référentiel",))
    assert wh.load(doc, con) is False
    rows = con.execute("SELECT status, reason FROM sources").fetchall()
    assert rows == [("rejected", "not a CQPM référentiel")]
    assert counts(con)["documents"] == 0


def test_partial_document_reason_on_source(con: duckdb.DuckDBPyConnection) -> None:
    doc = dataclasses.replace(document_from_gold(GOLDS[0]), status=Status.PARTIAL, reasons=("a", "b"))
    wh.load(doc, con)
    assert con.execute("SELECT status, reason FROM sources").fetchone() == ("partial", "a; b")
    assert con.execute("SELECT status, reasons FROM documents").fetchone() == ("partial", ["a", "b"])


@pytest.mark.parametrize("bad", ["Ã©tÃ©", "qualit\ufffd", "lâ€™entreprise"])
def test_mojibake_is_never_stored(con: duckdb.DuckDBPyConnection, bad: str) -> None:
    doc = document_from_gold(GOLDS[0])
    assert doc.cqpm is not None
    broken = dataclasses.replace(doc, cqpm=dataclasses.replace(
        doc.cqpm, missions=(*doc.cqpm.missions, TextItem(bad, doc.cqpm.missions[0].prov))))
    with pytest.raises(RejectedInput, match="undecodable text"):
        wh.load(broken, con)
    assert sum(counts(con).values()) == 0


def test_kind_and_payload_must_agree(con: duckdb.DuckDBPyConnection) -> None:
    rncp = document_from_gold(GOLDS[3])
    with pytest.raises(ValueError):
        wh.load(dataclasses.replace(rncp, kind=Kind.CQPM), con)


def test_dates_are_stored_as_date(con: duckdb.DuckDBPyConnection) -> None:
    for g in GOLDS:
        wh.load(document_from_gold(g), con)
    types = {(t, c): ty for t, c, ty in con.execute(
        "SELECT table_name, column_name, data_type FROM information_schema.columns").fetchall()}
    for col in ("registration_decision", "registration_journal_officiel", "registration_effective",
                "registration_end", "history_version_date"):
        assert types[("rncp_fiches", col)] == "DATE"
    assert types[("cqpm_referentiels", "last_modified")] == "DATE"
    assert types[("documents", "valid_from")] == "DATE"
    assert types[("sources", "ingested_at")] == "TIMESTAMP"
    typed = con.execute("SELECT DISTINCT typeof(registration_decision) FROM rncp_fiches").fetchall()
    assert typed == [("DATE",)]
    assert con.execute("SELECT count(*) FROM cqpm_referentiels WHERE last_modified = DATE '2007-01-09'"
                       ).fetchone()[0] > 0  # type: ignore[index]


def test_summary_counts(con: duckdb.DuckDBPyConnection) -> None:
    files = [document_from_gold(g) for g in GOLDS]
    for d in files:
        wh.load(d, con)
    docs = list({body_id(d): d for d in files}.values())  # renderings of the same content are one document
    wh.record_rejection(Source("raw/x.pdf", "f" * 64, "pdf", None, 3), "truncated PDF", con)
    s = wh.summary(con)
    cqpm = [d.cqpm for d in docs if d.cqpm]
    assert s.documents == len(docs) and s.sources == len(files) + 1
    assert s.by_kind == {"cqpm": len(cqpm), "rncp": len(docs) - len(cqpm)}
    assert s.by_status == {"loaded": len(docs)}
    assert s.cqpm_capacities == sum(len(c.capacities) for c in cqpm)
    assert s.cqpm_criteria == sum(len(cap.criteria) for c in cqpm for cap in c.capacities)
    assert s.rncp_capacities == sum(len(d.rncp.capacities) for d in docs if d.rncp)
    assert [(r.path, r.reason) for r in s.rejected] == [("raw/x.pdf", "truncated PDF")]


def test_views_answer(con: duckdb.DuckDBPyConnection) -> None:
    docs: list[Document] = [document_from_gold(g) for g in GOLDS[:5]]
    for d in docs:
        wh.load(d, con)
    assert con.execute("SELECT count(*) FROM v_documents").fetchone() == (5,)
    n_crit = sum(len(cap.criteria) for d in docs if d.cqpm for cap in d.cqpm.capacities)
    assert con.execute("SELECT count(*) FROM v_criteria").fetchone() == (n_crit,)
    assert con.execute("SELECT sum(criteria) FROM v_capacities WHERE kind = 'cqpm'").fetchone() == (n_crit,)
    assert con.execute("SELECT count(*) FROM v_capacities WHERE kind = 'rncp' AND capacity_number IS NULL"
                       ).fetchone() == (0,)


@pytest.mark.e2e  # a second process holds the lock
def test_locked_warehouse_is_a_transient_error(tmp_path: Path) -> None:
    path = tmp_path / "locked.duckdb"
    wh.connect(path).close()
    script = "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('ready', flush=True); "
    script += "sys.stdin.read()"
    holder = subprocess.Popen(
        [sys.executable, "-c", script, str(path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        with pytest.raises(TransientError, match="locked by another process") as e:
            wh.connect(path)
        assert e.value.terminal is False
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=30)


def test_large_document_round_trips(con: duckdb.DuckDBPyConnection) -> None:
    """More rows than one INSERT statement takes, with boxes on some rows and not others."""
    doc = document_from_gold(GOLDS[1], geometry=True)
    assert doc.cqpm is not None
    cap = doc.cqpm.capacities[0]
    many = tuple(dataclasses.replace(cap.criteria[i % 2], text=f"critère {i}",
                                     prov=dataclasses.replace(cap.criteria[i % 2].prov, order=i,
                                                              bbox=None if i % 3 else cap.prov.bbox))
                 for i in range(1234))
    big = dataclasses.replace(doc, cqpm=dataclasses.replace(
        doc.cqpm, capacities=(dataclasses.replace(cap, criteria=many), *doc.cqpm.capacities[1:])))
    assert wh.load(big, con)
    assert read_document(con, big.id) == big


def test_loading_documents_together_writes_what_loading_them_one_at_a_time_writes(tmp_path: Path) -> None:
    """``load_together`` (one transaction, one INSERT per list table) = ``load`` in the same order, versions
    included: two byte-variants of each fixture are two versions of one key."""
    from golden import FIXTURES

    from pipeline.normalize.document import normalize_document
    from pipeline.parse import extract_document

    docs = []
    for i in range(2):
        for seed in sorted((FIXTURES / "seeds").glob("*.txt")):
            path = tmp_path / f"{i}_{seed.name}"
            path.write_bytes(seed.read_bytes() + b"\n" * i)
            doc = normalize_document(extract_document(path))
            if i and doc.cqpm is not None:  # a second version: other content (trailing bytes alone are not)
                doc = dataclasses.replace(doc, cqpm=dataclasses.replace(doc.cqpm, title=f"{doc.cqpm.title} révisé"))
            elif i and doc.rncp is not None:
                doc = dataclasses.replace(doc, rncp=dataclasses.replace(doc.rncp, title=f"{doc.rncp.title} révisé"))
            docs.append(doc)
    one, together = wh.connect(tmp_path / "one.duckdb"), wh.connect(tmp_path / "together.duckdb")
    try:
        assert [wh.load(d, one) for d in docs] == wh.load_together(docs, together) == [True] * len(docs)
        assert wh.load_together(docs[:2], together) == [False, False]  # the same bytes again: nothing
        sql = "SELECT id, key, version, previous_id, status FROM documents ORDER BY id"
        assert one.execute(sql).fetchall() == together.execute(sql).fetchall()
        assert max(int(r[2]) for r in together.execute(sql).fetchall()) == 2
        assert counts(one) == counts(together)
        new = dataclasses.replace(docs[0], source=dataclasses.replace(docs[0].source, sha256="e" * 64))
        assert docs[0].cqpm is not None
        bad = dataclasses.replace(docs[0], source=dataclasses.replace(docs[0].source, sha256="f" * 64),
                                  cqpm=dataclasses.replace(docs[0].cqpm, title="Ã©tude"))
        with pytest.raises(RejectedInput):  # checked before anything is written
            wh.load_together([new, bad], together)
        assert counts(one) == counts(together)  # all or nothing
        # the same content from other bytes: no new document, one more source of it
        assert wh.load_together([new], together) == [False]
        assert together.execute("SELECT count(*) FROM document_sources WHERE document_id = ?",
                                [docs[0].id]).fetchone() == (2,)
    finally:
        one.close()
        together.close()
