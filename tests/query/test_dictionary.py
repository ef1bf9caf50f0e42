"""The analysts' views: present, commented, described by docs/warehouse.md (generated, kept current)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC
from pathlib import Path

import duckdb
import pytest
from golden import FIXTURES
from seed_warehouse import WITH_PDF, seed_warehouse

from pipeline.load import warehouse as wh
from pipeline.normalize.document import normalize_document
from pipeline.parse import extract_document
from pipeline.query import dictionary
from pipeline.records import Document
from pipeline.runtime import links as links_store

DOCS = Path(__file__).resolve().parents[2] / "docs" / "warehouse.md"
REQUIRED_VIEWS = {
    "v_referentiels", "v_capacities", "v_conditions", "v_criteria", "v_assessments", "v_rncp_fiches",
    "v_rncp_blocks", "v_rncp_block_capacities", "v_rncp_rome", "v_rncp_nsf", "v_links", "v_capacity_crosswalk",
    "v_versions", "v_latest", "v_diff_changes", "v_diff_runs", "v_quality_findings", "v_sources", "v_documents",
}
PROVENANCE = {"document_id", "page", "ord", "key", "version", "is_latest", "source_sha256"}


@pytest.fixture(scope="module")
def seeded() -> Iterator[duckdb.DuckDBPyConnection]:
    con = wh.connect(seed_warehouse(WITH_PDF), read_only=True)
    yield con
    con.close()


def test_docs_warehouse_md_is_up_to_date() -> None:
    assert DOCS.is_file(), "docs/warehouse.md is missing: run `refpipe dictionary --output docs/warehouse.md`"
    assert DOCS.read_text(encoding="utf-8") == dictionary.schema_only_markdown(), (
        "docs/warehouse.md is stale: run `refpipe dictionary --output docs/warehouse.md`")


def test_every_view_has_a_comment_and_the_required_views_exist(seeded: duckdb.DuckDBPyConnection) -> None:
    views = dictionary.describe(seeded)
    assert dictionary.uncommented(views) == []
    assert {v.name for v in views} >= REQUIRED_VIEWS


def test_every_view_column_has_a_comment_in_the_catalog(seeded: duckdb.DuckDBPyConnection) -> None:
    """What the DuckDB CLI, DBeaver and the Parquet metadata show: the catalog's own comment, no fallback."""
    blank = seeded.execute(
        "SELECT table_name || '.' || column_name FROM duckdb_columns() WHERE table_name IN "
        "(SELECT view_name FROM duckdb_views() WHERE NOT internal AND view_name LIKE 'v\\_%' ESCAPE '\\') "
        "AND coalesce(trim(comment), '') = '' ORDER BY 1").fetchall()
    assert blank == [], f"{len(blank)} view column(s) without a COMMENT: {[b[0] for b in blank]}"
    views = dictionary.describe(seeded)
    assert sum(len(v.columns) for v in views) > 500
    assert all(c.comment and c.comment.strip() for v in views for c in v.columns)


def test_times_are_utc_timestamptz_and_durations_seconds(seeded: duckdb.DuckDBPyConnection) -> None:
    types = dict(((t, c), ty) for t, c, ty in seeded.execute(
        "SELECT table_name, column_name, data_type FROM duckdb_columns() WHERE table_name LIKE 'v\\_%' ESCAPE '\\'"
    ).fetchall())
    assert types[("v_runs", "duration")] == "DOUBLE"
    assert not [k for k, t in types.items() if t in ("TIMESTAMP", "INTERVAL")]
    assert types[("v_sources", "ingested_at")] == "TIMESTAMP WITH TIME ZONE"
    seeded.execute("SET TimeZone = 'Europe/Paris'")
    try:  # the instant does not depend on the session's zone: the stored UTC time, marked as UTC
        stored, shown = seeded.execute("SELECT s.ingested_at, v.ingested_at FROM sources s "
                                       "JOIN v_sources v ON v.source_sha256 = s.sha256 LIMIT 1").fetchone()
        assert shown.utcoffset() is not None and shown.astimezone(UTC).replace(tzinfo=None) == stored
    finally:
        seeded.execute("SET TimeZone = 'UTC'")


def test_the_dictionary_describes_the_schema_not_the_data(seeded: duckdb.DuckDBPyConnection) -> None:
    assert dictionary.markdown(dictionary.describe(seeded)) == dictionary.schema_only_markdown()


def test_item_views_carry_provenance_and_context(seeded: duckdb.DuckDBPyConnection) -> None:
    items = ("v_capacities", "v_conditions", "v_criteria", "v_assessments", "v_missions", "v_listed_capacities",
             "v_assessment_methods", "v_rncp_blocks", "v_rncp_block_capacities", "v_rncp_rome", "v_rncp_nsf",
             "v_rncp_activities", "v_rncp_jobs", "v_rncp_certifiers", "v_rncp_formacodes", "v_rncp_conventions")
    views = {v.name: v for v in dictionary.describe(seeded)}
    for name in items:
        columns = {c.name for c in views[name].columns}
        assert columns >= PROVENANCE, (name, PROVENANCE - columns)
        assert all(dictionary.column_text(c) for c in views[name].columns if c.name in PROVENANCE), name


def test_latest_views_have_one_row_per_key(seeded: duckdb.DuckDBPyConnection) -> None:
    for view in ("v_referentiels", "v_rncp_fiches"):
        rows = seeded.execute(f"SELECT key, count(*) FROM {view} GROUP BY key").fetchall()
        assert rows and all(n == 1 for _, n in rows), view
    # CQPM 0195 is one version: the seed text, and the PDF that prints its header block (number, date) and
    # says the same otherwise; the PDF holds the rows
    assert seeded.execute("SELECT version, number, source_path LIKE '%.pdf' FROM v_referentiels "
                          "WHERE key = 'CQPM-0195'").fetchall() == [(1, "0195", True)]
    assert seeded.execute("SELECT count(*) FROM v_referentiel_versions WHERE key = 'CQPM-0195'"
                          ).fetchall() == [(1,)]


def test_sources_show_rejections(seeded: duckdb.DuckDBPyConnection) -> None:
    rows = seeded.execute("SELECT path, status, rejected, document_id, reason FROM v_sources WHERE rejected"
                          ).fetchall()
    assert len(rows) == 1
    path, status, rejected, document_id, reason = rows[0]
    assert path.endswith("empty.pdf") and status == "rejected" and rejected and document_id is None
    assert "empty" in reason


def test_block_capacities_join_the_capacity_wording(seeded: duckdb.DuckDBPyConnection) -> None:
    rows = seeded.execute("SELECT block_number, capacity_code, capacity_position, capacity_text "
                          "FROM v_rncp_block_capacities WHERE rncp_code = 'RNCP28242' ORDER BY block_ord, ord"
                          ).fetchall()
    assert [(b, c) for b, c, *_ in rows] == [(1, "C1"), (1, "C2"), (1, "C3"), (2, "C4"), (2, "C5"), (2, "C6"),
                                             (3, "C7"), (3, "C8")]
    assert all(pos == int(code[1:]) and text for _, code, pos, text in rows)


def test_schema_version_is_recorded_and_checked(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    con = wh.connect(path)
    assert dictionary.warehouse_schema_version(con) == dictionary.SCHEMA_VERSION
    dictionary.require_current_views(con)
    con.execute("DELETE FROM refpipe_meta WHERE key = 'schema_version'")
    con.close()
    ro = wh.connect(path, read_only=True)  # a reader never upgrades the schema: it must say so
    try:
        with pytest.raises(dictionary.StaleSchema, match="refpipe ingest"):
            dictionary.require_current_views(ro)
    finally:
        ro.close()


def test_a_schema_1_warehouse_is_upgraded_by_the_next_writer(tmp_path: Path) -> None:
    """Schema 1 kept a référentiel key of its own in criterion_keys (``referentiel``, NOT NULL); the next
    writable connection drops it, so recomputes (which no longer write it) go on, and the views are 2."""
    seeds = sorted((FIXTURES / "seeds").glob("*.txt"))

    def doc(path: Path) -> Document:
        return normalize_document(extract_document(str(path)))

    path = tmp_path / "w.duckdb"
    con = wh.connect(path)
    wh.load(doc(seeds[1]), con)
    links_store.recompute(con)
    # what schema 1 had: the column, NOT NULL, filled on every row, and a view reading it
    con.execute("ALTER TABLE criterion_keys ADD COLUMN referentiel VARCHAR DEFAULT 'CQPM 0195'")
    con.execute("ALTER TABLE criterion_keys ALTER COLUMN referentiel SET NOT NULL")
    con.execute("CREATE OR REPLACE VIEW v_criteria_reuse AS SELECT k.key AS criterion_key, "
                "count(DISTINCT k.referentiel) AS referentiels FROM criterion_keys k GROUP BY k.key")
    con.execute("INSERT OR REPLACE INTO refpipe_meta (key, value) VALUES ('schema_version', '1')")
    con.execute("UPDATE refpipe_meta SET value = 'an older schema.sql' WHERE key = 'schema_sha256'")
    rows = con.execute("SELECT count(*) FROM criterion_keys").fetchone()
    con.close()
    assert rows and rows[0] > 0
    con = wh.connect(path)
    try:
        columns = [r[0] for r in con.execute("DESCRIBE criterion_keys").fetchall()]
        assert "referentiel" not in columns and "key" in columns
        assert con.execute("SELECT count(*) FROM criterion_keys").fetchone() == rows  # the rows stay
        assert dictionary.warehouse_schema_version(con) == str(wh.SCHEMA_VERSION) == dictionary.SCHEMA_VERSION
        for seed in seeds:
            wh.load(doc(seed), con)
        links_store.recompute(con)
        assert con.execute("SELECT referentiel_keys FROM v_criteria_reuse").fetchone()[0][0] == "CQPM-0195"
    finally:
        con.close()
