"""What the columns the analysts' views share mean, written into the catalog as column comments.

The item views repeat the same provenance and version columns (document_id, key, version, page, x0, …);
rather than repeating one ``COMMENT ON COLUMN`` per view in the schema files, ``comment_shared_columns``
gives every v_* column that has no comment of its own the meaning below (or that of the view it is
selected from: ``SAME_COLUMNS_AS``).  So the DuckDB CLI, DBeaver, the Parquet field metadata and
``refpipe dictionary`` all see a description for every column (a test fails on a blank one).
"""

from __future__ import annotations

import duckdb

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
    "document_id": "The document the row belongs to (documents.id: the first 16 hex digits of the sha256 of "
                   "its canonical content; one document may come from many source files).",
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
                   "v_rncp_fiches": "v_rncp_fiche_versions", "v_link_versions": "v_links",
                   "v_quality_finding_versions": "v_quality_findings"}


def comment_shared_columns(con: duckdb.DuckDBPyConnection) -> None:
    """COMMENT ON COLUMN every v_* view column without a comment that a shared meaning describes."""
    rows = con.execute(
        "SELECT table_name, column_name, comment FROM duckdb_columns() WHERE schema_name = 'main' "
        "AND table_name IN (SELECT view_name FROM duckdb_views() WHERE NOT internal "
        "AND view_name LIKE 'v\\_%' ESCAPE '\\')").fetchall()
    own = {(view, column): comment for view, column, comment in rows if comment}
    for view, column, comment in rows:
        if comment:
            continue
        text = own.get((SAME_COLUMNS_AS.get(view, ""), column)) or COMMON_COLUMNS.get(column)
        if text:
            literal = text.replace("'", "''")
            con.execute(f'COMMENT ON COLUMN "{view}"."{column}" IS \'{literal}\'')


def shared_text() -> str:
    """The meanings as text (part of the schema digest: a changed meaning is applied again)."""
    return repr(sorted(COMMON_COLUMNS.items())) + repr(sorted(SAME_COLUMNS_AS.items()))
