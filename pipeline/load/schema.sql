-- refpipe warehouse schema (DuckDB): the views over the document tables.  The tables themselves are
-- declared once, in pipeline/load/tables.py (columns, types, comments), and created from there before
-- this file runs.  Applied by pipeline.load.warehouse.connect on every writable connection, so every
-- statement is idempotent.  Analysts read the v_* views; the tables are the pipeline's storage and may
-- change.

-- ------------------------------------------------------------------------------------------- views

-- key, version (as INTEGER) and is_latest of every document: a helper of the item views, which carry
-- them (v_versions, the analysts' view of versions, is in schema_versions.sql)
CREATE OR REPLACE VIEW document_versions AS
SELECT id AS document_id, key, TRY_CAST(version AS INTEGER) AS version,
       TRY_CAST(version AS INTEGER) = max(TRY_CAST(version AS INTEGER)) OVER (PARTITION BY key) AS is_latest
FROM documents;

COMMENT ON VIEW document_versions IS 'Helper of the v_* views: key, version (INTEGER) and is_latest of every document; analysts use v_versions.';

CREATE OR REPLACE VIEW v_documents AS
SELECT
    d.id                                   AS document_id,
    d.kind,
    d.status,
    d.reasons,
    COALESCE(c.number, f.code)             AS reference,
    COALESCE(c.title, f.title)             AS title,
    c.last_modified,
    f.registration_decision,
    d.key,
    d.version,
    d.valid_from,
    s.path                                 AS source_path,
    s.format                               AS source_format,
    s.pages                                AS source_pages,
    s.sha256                               AS source_sha256,
    s.ingested_at AT TIME ZONE 'UTC'             AS ingested_at,
    dv.is_latest
FROM documents d
JOIN document_versions dv ON dv.document_id = d.id
JOIN sources s ON s.sha256 = d.source_sha256
LEFT JOIN cqpm_referentiels c ON c.document_id = d.id
LEFT JOIN rncp_fiches f ON f.document_id = d.id;

COMMENT ON VIEW v_documents IS
    'One row per loaded document (CQPM référentiel or RNCP fiche): reference is the CQPM number or the RNCP code; rejected inputs are in sources, not here; is_latest marks the latest version of its key.';
COMMENT ON COLUMN v_documents.version IS 'Version number within key, as text (v_versions and the other views have it as INTEGER).';
COMMENT ON COLUMN v_documents.reference IS 'The CQPM number the référentiel prints (NULL when it prints none) or the RNCP code.';

CREATE OR REPLACE VIEW v_capacities AS
SELECT
    cap.document_id, 'cqpm' AS kind, r.number AS reference, r.title AS certification_title,
    CAST(cap.number AS VARCHAR) AS capacity, cap.number AS capacity_number, cap.title AS text,
    (SELECT count(*) FROM cqpm_criteria k
      WHERE k.document_id = cap.document_id AND k.capacity_ord = cap.ord) AS criteria,
    cap.ord, cap.page, cap.x0, cap.top, cap.x1, cap.bottom,
    dv.key, dv.version, dv.is_latest, cap.reading_order, cap.source_sha256
FROM cqpm_capacities cap
JOIN cqpm_referentiels r ON r.document_id = cap.document_id
LEFT JOIN document_versions dv ON dv.document_id = cap.document_id
UNION ALL
SELECT
    cap.document_id, 'rncp' AS kind, f.code AS reference, f.title AS certification_title,
    cap.code AS capacity, TRY_CAST(regexp_extract(cap.code, '[0-9]+') AS INTEGER) AS capacity_number,
    cap.text, NULL AS criteria,
    cap.ord, cap.page, cap.x0, cap.top, cap.x1, cap.bottom,
    dv.key, dv.version, dv.is_latest, cap.reading_order, cap.source_sha256
FROM rncp_capacities cap
JOIN rncp_fiches f ON f.document_id = cap.document_id
LEFT JOIN document_versions dv ON dv.document_id = cap.document_id;

COMMENT ON VIEW v_capacities IS
    'Capacities of every document: CQPM table capacities (capacity = its number, criteria = how many) and RNCP capacities (capacity = code such as C7), with page and bbox; key, version and is_latest say which référentiel or fiche version the row belongs to.';
COMMENT ON COLUMN v_capacities.capacity IS 'CQPM: the capacity number as text; RNCP: the capacity code (C1, C2, …).';
COMMENT ON COLUMN v_capacities.criteria IS 'Number of evaluation criteria of a CQPM capacity (NULL for RNCP capacities).';
COMMENT ON COLUMN v_capacities.ord IS 'Position of the capacity in its document, 0-based: RNCP order for fiches, table order for référentiels.';
