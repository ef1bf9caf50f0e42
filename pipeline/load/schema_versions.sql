-- Versions and diffs (applied after schema.sql; every statement idempotent).
--
-- Versions: documents.key groups the versions of one référentiel or fiche ('CQPM-0195', 'RNCP28242',
-- 'CQPM-T<10 hex>' for a CQPM référentiel that prints no number: a hash of its normalised title);
-- documents.version is 1, 2, … within a key by the date the document states, then ingestion order
-- (stored as text, exposed as INTEGER by the views); documents.previous_id is the version before it;
-- valid_from is the document's own date (CQPM "Dernière modification", RNCP date of the registration
-- decision, else its effective / Journal officiel date, the export date for an export's fiche) or NULL.
-- versions_as_of(DATE) is the version of each key in force that day.  Rows are never
-- overwritten: a changed file is a new document and a new version.  See pipeline/load/versions.py.
-- (documents.previous_id is declared in pipeline/load/tables.py)

-- One row per comparison (refpipe diff OLD NEW).  document_id / source_sha256 are those of the NEW
-- document (the version the diff describes); the provenance columns exist only so that every table
-- carries them, and are always NULL (a run is not on a page).
CREATE TABLE IF NOT EXISTS diff_runs (
    run_id             VARCHAR PRIMARY KEY,   -- sha256(old id, new id, differ)[:16]
    document_id        VARCHAR NOT NULL,      -- NEW document
    source_sha256      VARCHAR NOT NULL,
    old_document_id    VARCHAR NOT NULL,
    old_source_sha256  VARCHAR NOT NULL,
    old_key            VARCHAR,
    old_version        INTEGER,
    new_key            VARCHAR,
    new_version        INTEGER,
    differ             VARCHAR NOT NULL,      -- version of the diff algorithm
    changes            INTEGER NOT NULL,
    added              INTEGER NOT NULL,
    removed            INTEGER NOT NULL,
    changed            INTEGER NOT NULL,
    moved              INTEGER NOT NULL,
    created_at         TIMESTAMP NOT NULL,
    ord INTEGER, page INTEGER, x0 DOUBLE, top DOUBLE, x1 DOUBLE, bottom DOUBLE
);

-- One row per change of a run, in report order (ord, 0-based).  page/bbox: where the item is in the
-- NEW version (in the OLD one for a removed item); old_page/new_page give both.  old_value/new_value:
-- text as printed, numbers and dates as text, block capacity lists as a JSON array; NULL on the side
-- where the item does not exist.
CREATE TABLE IF NOT EXISTS diff_items (
    run_id         VARCHAR NOT NULL,
    document_id    VARCHAR NOT NULL,
    source_sha256  VARCHAR NOT NULL,
    ord            INTEGER NOT NULL,
    page           INTEGER, x0 DOUBLE, top DOUBLE, x1 DOUBLE, bottom DOUBLE,
    kind           VARCHAR NOT NULL CHECK (kind IN ('added', 'removed', 'changed', 'moved')),
    entity         VARCHAR NOT NULL,          -- capacity | criterion | condition | assessment | block | field
    key            VARCHAR NOT NULL,          -- 'capacity 8, criterion 3', 'C6', 'block 1', 'last_modified'
    capacity       VARCHAR,                   -- title of the CQPM capacity the item belongs to
    old_value      VARCHAR,
    new_value      VARCHAR,
    old_number     VARCHAR,                   -- numbering in each version ('8.3', 'C6', '2')
    new_number     VARCHAR,
    old_page       INTEGER,
    new_page       INTEGER,
    detail         VARCHAR,                   -- JSON: an added/removed capacity or block in full
    PRIMARY KEY (run_id, ord)
);

CREATE OR REPLACE VIEW v_versions AS
WITH dated AS (                               -- which date of the document valid_from is
    SELECT
        d.id,
        CASE
            WHEN d.valid_from IS NULL THEN 'ingested_at'
            WHEN c.last_modified IS NOT NULL AND d.valid_from = c.last_modified THEN 'last_modified'
            WHEN f.registration_decision IS NOT NULL AND d.valid_from = f.registration_decision
                THEN 'registration.decision'
            WHEN f.registration_effective IS NOT NULL AND d.valid_from = f.registration_effective
                THEN 'registration.effective'
            WHEN f.registration_journal_officiel IS NOT NULL AND d.valid_from = f.registration_journal_officiel
                THEN 'registration.journal_officiel'
            WHEN EXISTS (SELECT 1 FROM document_sources x JOIN rncp_exports e ON e.source_sha256 = x.source_sha256
                         WHERE x.document_id = d.id AND e.export_date = d.valid_from) THEN 'export_date'
            ELSE 'ingested_at'                -- a warehouse written when undated versions got their ingestion date
        END AS valid_from_source
    FROM documents d
    LEFT JOIN cqpm_referentiels c ON c.document_id = d.id
    LEFT JOIN rncp_fiches f ON f.document_id = d.id
),
listed AS (
    SELECT
        d.key,
        TRY_CAST(d.version AS INTEGER)            AS version,
        d.id                                      AS document_id,
        d.kind,
        d.status,
        COALESCE(c.number, f.code)                AS reference,
        COALESCE(c.title, f.title)                AS title,
        CASE WHEN dd.valid_from_source <> 'ingested_at' THEN d.valid_from END AS valid_from,
        dd.valid_from_source,
        d.previous_id,
        TRY_CAST(p.version AS INTEGER)            AS previous_version,
        d.loaded_at AT TIME ZONE 'UTC'            AS loaded_at,
        s.path                                    AS source_path,
        s.sha256                                  AS source_sha256
    FROM documents d
    JOIN sources s ON s.sha256 = d.source_sha256
    JOIN dated dd ON dd.id = d.id
    LEFT JOIN documents p ON p.id = d.previous_id
    LEFT JOIN cqpm_referentiels c ON c.document_id = d.id
    LEFT JOIN rncp_fiches f ON f.document_id = d.id
    WHERE d.key IS NOT NULL
)
SELECT
    key, version, document_id, kind, status, reference, title, valid_from,
    CASE WHEN valid_from IS NOT NULL THEN COALESCE(min(valid_from) OVER (
             PARTITION BY key ORDER BY version ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) - 1,
             DATE '9999-12-31') END                AS valid_to,
    valid_from_source,
    valid_from IS NULL                        AS ordered_by_ingestion,
    previous_id, previous_version,
    version = max(version) OVER (PARTITION BY key) AS is_latest,
    loaded_at, source_path, source_sha256,
    COALESCE(valid_from < max(valid_from) OVER (
                 PARTITION BY key ORDER BY version ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), false)
                                              AS dated_before_earlier_version,
    (SELECT count(*) FROM document_sources x WHERE x.document_id = listed.document_id) AS source_files
FROM listed;

COMMENT ON VIEW v_versions IS
    'Every version of every référentiel/fiche: key (CQPM-<number>, RNCP<code>, or CQPM-T<hash of the title> for a référentiel without a printed number), version (1, 2, … ordered by the date the document states, then by ingestion order), valid_from/valid_to (the period it is in force: WHERE DATE ''2015-01-01'' BETWEEN valid_from AND valid_to gives the version in force that day), previous version; old versions stay queryable.';
COMMENT ON COLUMN v_versions.valid_from IS
    'The date the document states (valid_from_source says which: CQPM last_modified, RNCP registration decision/effective/Journal officiel date, export_date for a fiche of an open-data export); NULL when it states none (never an ingestion date).';
COMMENT ON COLUMN v_versions.valid_to IS
    'The day before the next dated version''s valid_from; 9999-12-31 for the latest dated version; NULL when valid_from is NULL.';
COMMENT ON COLUMN v_versions.valid_from_source IS
    'Where valid_from comes from: last_modified, registration.decision, registration.effective, registration.journal_officiel, export_date; ingested_at when the document states no date (valid_from NULL, placed by ingestion order).';
COMMENT ON COLUMN v_versions.ordered_by_ingestion IS
    'True when the document states no date: its version number follows ingestion order (after the versions ingested before it).';
COMMENT ON COLUMN v_versions.dated_before_earlier_version IS
    'True when this version states an older date than a lower-numbered version: never after versions are ordered by date (refpipe orders them at every load); kept for warehouses ordered by ingestion.';
COMMENT ON COLUMN v_versions.source_files IS
    'How many source files hold this version (text, PDF renderings, copies with other bytes: document_sources).';

CREATE OR REPLACE MACRO versions_as_of(day) AS TABLE
    SELECT * FROM v_versions WHERE CAST(day AS DATE) BETWEEN valid_from AND valid_to;

CREATE OR REPLACE VIEW v_latest AS
SELECT * EXCLUDE (is_latest) FROM v_versions WHERE is_latest;

COMMENT ON VIEW v_latest IS
    'The latest version (highest version number: the latest stated date) of each key: one row per référentiel or fiche.';

CREATE OR REPLACE VIEW v_diff_changes AS
SELECT
    r.run_id, r.old_document_id, r.document_id AS new_document_id,
    COALESCE(od.key, r.old_key) AS old_key,                       -- current key (a chain may be re-keyed)
    COALESCE(TRY_CAST(od.version AS INTEGER), r.old_version) AS old_version,
    COALESCE(nd.key, r.new_key) AS new_key,
    COALESCE(TRY_CAST(nd.version AS INTEGER), r.new_version) AS new_version,
    r.created_at AT TIME ZONE 'UTC' AS created_at,
    COALESCE(nd.previous_id = r.old_document_id, false) AS consecutive,
    i.ord + 1 AS change_number, i.kind, i.entity, i.key, i.capacity,
    i.old_value, i.new_value, i.old_number, i.new_number, i.old_page, i.new_page, i.detail
FROM diff_items i
JOIN diff_runs r ON r.run_id = i.run_id
LEFT JOIN documents od ON od.id = r.old_document_id
LEFT JOIN documents nd ON nd.id = r.document_id;

COMMENT ON VIEW v_diff_changes IS
    'Every stored change of every diff run (refpipe diff OLD NEW), with both versions'' keys and numbering: kind added/removed/changed/moved, entity capacity/criterion/condition/assessment/block/field.';
COMMENT ON COLUMN v_diff_changes.consecutive IS 'True when the old document is the new one''s previous version now (the diffs computed at ingest; WHERE consecutive gives each version''s changes against the one before it).';
COMMENT ON COLUMN v_diff_changes.kind IS 'What happened to the item: added, removed, changed or moved.';
COMMENT ON COLUMN v_diff_changes.key IS 'Which item changed, in words: ''capacity 8, criterion 3'', ''C6'', ''block 1'', ''last_modified''.';
COMMENT ON COLUMN v_diff_changes.old_value IS 'The item in the old version (text as printed; numbers and dates as text; NULL when added).';
COMMENT ON COLUMN v_diff_changes.new_value IS 'The item in the new version (NULL when removed).';

COMMENT ON TABLE diff_runs IS 'One row per stored comparison of two documents (document_id = the new one), with change counts.';
COMMENT ON TABLE diff_items IS 'The changes of each diff run, in report order, with the page of the item in each version.';
