"""The data dictionary of the analysts' views, generated from the live schema.

``describe`` reads every ``v_*`` view, its columns, types and comments from DuckDB's catalog
(``duckdb_views()``, ``duckdb_columns()``); ``markdown`` renders them as ``docs/warehouse.md``
(``refpipe dictionary`` writes it; a test checks the committed file is up to date).  Columns without a
``COMMENT ON COLUMN`` of their own are described by ``COMMON_COLUMNS`` (the provenance and version
columns every item view shares).  Nothing here depends on the data: the dictionary of an empty
warehouse and of a full one are the same.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from pipeline.errors import PipelineError

#: version of the analysts' interface (the v_* views); also stored by schema_views.sql in refpipe_meta
SCHEMA_VERSION = "2"

#: what the shared columns mean, where a view does not comment them itself
COMMON_COLUMNS: dict[str, str] = {
    "kind": "cqpm (a CQPM référentiel) or rncp (an RNCP fiche).",
    "status": "loaded, or partial when part of the document could not be read with certainty "
              "(the reasons say what); v_sources also has rejected.",
    "title": "Title of the référentiel or fiche.",
    "reference": "The CQPM number the référentiel prints (NULL when it prints none) or the RNCP code.",
    "text": "The item's wording as printed.",
    "block_number": "Number of the RNCP block of competences in its fiche (1, 2, …).",
    "block_title": "Title of the RNCP block of competences.",
    "capacity_code": "Code of an RNCP capacity (C1, C2, …).",
    "capacity_codes": "Codes of the RNCP capacities of the block, in the fiche's order.",
    "code": "The code as printed.",
    "label": "The label of the code as printed.",
    "document_id": "The document the row belongs to: the first 16 hex digits of its source file's sha256.",
    "source_sha256": "sha256 of the source file's bytes (v_sources has the file).",
    "key": "Which référentiel or fiche the document is a version of: CQPM-<number>, RNCP<code>, or "
           "CQPM-T<hash of the title> for a référentiel that prints no number.",
    "version": "Version of the document within its key: 1, 2, … by the date the document states, then by "
               "ingestion order (v_versions).",
    "is_latest": "True for the latest version of the key.",
    "ord": "Position of the item within its list, 0-based (the order the document gives).",
    "reading_order": "Position of the item in the reading order of the source.",
    "page": "Page of the source PDF, 1-based; NULL for text inputs.",
    "x0": "Left edge of the item's box on the page, in PDF points (NULL when unknown).",
    "top": "Top edge of the item's box, in PDF points from the top of the page (NULL when unknown).",
    "x1": "Right edge of the item's box, in PDF points (NULL when unknown).",
    "bottom": "Bottom edge of the item's box, in PDF points from the top of the page (NULL when unknown).",
    "capacity_ord": "Position of the CQPM capacity in its référentiel's table, 0-based.",
    "block_ord": "Position of the RNCP block in its fiche, 0-based.",
    "cqpm_number": "The CQPM number the référentiel prints (NULL when it prints none).",
    "cqpm_title": "Title of the CQPM référentiel.",
    "rncp_code": "RNCP code of the fiche (RNCP28242).",
    "rncp_title": "Title of the RNCP fiche.",
    "capacity_number": "Number of the CQPM capacity in its référentiel (1, 2, …).",
    "capacity_title": "Wording of the CQPM capacity.",
    "source_path": "Path the source file was ingested from.",
    "valid_from": "The date the document states (valid_from_source says which); NULL when it states none.",
    "valid_from_source": "Where valid_from comes from: last_modified, registration.decision, "
                         "registration.effective, registration.journal_officiel, export_date, or ingested_at "
                         "(no date stated: valid_from NULL, ordered by ingestion).",
    "previous_id": "document_id of the previous version of the key (NULL for version 1).",
    "previous_version": "Version number of the previous version (NULL for version 1).",
    "loaded_at": "When the document was loaded (UTC).",
    "ingested_at": "When the source file was ingested (UTC).",
    "computed_at": "When the derived row was computed (UTC).",
}


#: views that select from another view: their columns fall back on that view's column comments
SAME_COLUMNS_AS = {"v_latest": "v_versions", "v_referentiels": "v_referentiel_versions",
                   "v_rncp_fiches": "v_rncp_fiche_versions", "v_links": "v_link_versions",
                   "v_quality_findings": "v_quality_finding_versions"}


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    comment: str | None


@dataclass(frozen=True)
class View:
    name: str
    comment: str | None
    columns: tuple[Column, ...]


def describe(con: duckdb.DuckDBPyConnection) -> tuple[View, ...]:
    """Every v_* view of the main schema, by name, with its columns in order."""
    views = con.execute(
        "SELECT view_name, comment FROM duckdb_views() "
        "WHERE NOT internal AND schema_name = 'main' AND view_name LIKE 'v\\_%' ESCAPE '\\' "
        "ORDER BY view_name").fetchall()
    columns = con.execute(
        "SELECT table_name, column_name, data_type, comment FROM duckdb_columns() "
        "WHERE schema_name = 'main' AND table_name IN (SELECT view_name FROM duckdb_views() WHERE NOT internal) "
        "ORDER BY table_name, column_index").fetchall()
    by_view: dict[str, list[Column]] = {}
    for view, name, type_, comment in columns:
        by_view.setdefault(view, []).append(Column(name, type_, comment or None))
    comments = {(view, c.name): c.comment for view, cols in by_view.items() for c in cols if c.comment}
    for view, base in SAME_COLUMNS_AS.items():
        by_view[view] = [c if c.comment else Column(c.name, c.type, comments.get((base, c.name)))
                         for c in by_view.get(view, [])]
    return tuple(View(name, comment or None, tuple(by_view.get(name, ()))) for name, comment in views)


def warehouse_schema_version(con: duckdb.DuckDBPyConnection) -> str | None:
    """The schema_version schema_views.sql recorded in this warehouse (None: the views predate it)."""
    try:
        rows = con.execute("SELECT value FROM refpipe_meta WHERE key = 'schema_version'").fetchall()
    except duckdb.CatalogException:
        return None
    return str(rows[0][0]) if rows else None


class StaleSchema(PipelineError):
    """The warehouse's views are not the ones this refpipe describes (opened read-only, never upgraded)."""


def require_current_views(con: duckdb.DuckDBPyConnection) -> None:
    """Raise ``StaleSchema`` unless the warehouse's views are at this refpipe's ``SCHEMA_VERSION``.

    A read-only connection never applies the schema; a warehouse last written by an older refpipe
    gets the current views the next time a writer (``refpipe ingest``) opens it.
    """
    found = warehouse_schema_version(con)
    if found != SCHEMA_VERSION:
        what = f"version {found}" if found else "older than versioned views"
        raise StaleSchema(f"the warehouse's views are {what}, this refpipe needs version {SCHEMA_VERSION}: "
                          "run `refpipe ingest` once (any writer upgrades the schema), then try again")


def uncommented(views: tuple[View, ...]) -> list[str]:
    """Views without a COMMENT ON VIEW (every view must have one)."""
    return [v.name for v in views if not v.comment]


def column_text(column: Column) -> str:
    return column.comment or COMMON_COLUMNS.get(column.name, "")


def _cell(text: str) -> str:
    escaped = text.replace("|", "\\|").replace("<", "\\<").replace(">", "\\>")
    return " ".join(escaped.split())


def markdown(views: tuple[View, ...], schema_version: str = SCHEMA_VERSION) -> str:
    """The data dictionary as markdown (deterministic: same schema, same text)."""
    lines = [
        "# Warehouse data dictionary",
        "",
        "<!-- Generated by `refpipe dictionary` from the live schema: do not edit by hand. -->",
        "",
        f"Schema version **{schema_version}**. These `v_*` views are the stable interface of the warehouse "
        "(`warehouse/referentiels.duckdb`) and of `refpipe export`, which writes one dataset per view; the "
        "tables behind them may change. Item views list every version of every document: filter on "
        "`is_latest` for the current ones. Texts are as printed (UTF-8); dates are `DATE`, times UTC `TIMESTAMP`.",
        "",
        "Views: " + ", ".join(f"[`{v.name}`](#{v.name})" for v in views) + ".",
    ]
    lines += ["", "## Columns shared by the item views", "",
              "Where a view does not say otherwise, these columns mean:", "", "| column | meaning |", "|---|---|"]
    lines += [f"| `{name}` | {_cell(text)} |" for name, text in COMMON_COLUMNS.items()]
    for v in views:
        lines += ["", f"## {v.name}", "", _cell(v.comment or ""), "", "| column | type | description |",
                  "|---|---|---|"]
        lines += [f"| `{c.name}` | `{c.type}` | {_cell(column_text(c))} |" for c in v.columns]
    return "\n".join(lines) + "\n"


def schema_only_markdown() -> str:
    """The dictionary of the current schema files (an empty in-memory warehouse)."""
    from pipeline.load import warehouse as wh

    con = wh.connect(":memory:")
    try:
        return markdown(describe(con), warehouse_schema_version(con) or SCHEMA_VERSION)
    finally:
        con.close()
