-- refpipe warehouse schema (DuckDB).  Applied by pipeline.load.warehouse.connect on every writable
-- connection, so every statement is idempotent.  Analysts read the v_* views; the tables are the
-- pipeline's storage and may change.
--
-- Conventions
--   * A document is its bytes: documents.id = sources.sha256[:16]; every row of every document table
--     carries document_id and source_sha256.
--   * List tables carry provenance: ord (position within its list, 0-based, the order show renders),
--     reading_order (Provenance.order: reading order in the source), page (1-based, NULL for text
--     inputs) and x0/top/x1/bottom (PDF points, origin top-left, NULL when unknown).
--   * Rows of a CQPM capacity carry capacity_ord (position of the capacity) and capacity_number.
--   * Dates are DATE, never text.

-- which schema.sql text was last applied (connect skips re-applying the same text)
CREATE TABLE IF NOT EXISTS refpipe_meta (
    key    VARCHAR PRIMARY KEY,
    value  VARCHAR
);

CREATE TABLE IF NOT EXISTS sources (
    sha256       VARCHAR PRIMARY KEY,
    path         VARCHAR NOT NULL,
    format       VARCHAR NOT NULL,            -- 'pdf' | 'text' (or what the sniffer saw, for rejects)
    pages        INTEGER,
    size         BIGINT,
    ingested_at  TIMESTAMP NOT NULL,
    status       VARCHAR NOT NULL CHECK (status IN ('loaded', 'partial', 'rejected')),
    reason       VARCHAR                       -- why rejected / what a partial document misses
);

CREATE TABLE IF NOT EXISTS documents (
    id             VARCHAR PRIMARY KEY,        -- sha256[:16]
    source_sha256  VARCHAR NOT NULL UNIQUE,
    kind           VARCHAR NOT NULL CHECK (kind IN ('cqpm', 'rncp')),
    status         VARCHAR NOT NULL CHECK (status IN ('loaded', 'partial')),
    reasons        VARCHAR[] NOT NULL,
    key            VARCHAR,                    -- version grouping key (filled by the versioning stage)
    version        VARCHAR,
    valid_from     DATE,
    loaded_at      TIMESTAMP NOT NULL
);

-- ------------------------------------------------------------------------------------------- CQPM

CREATE TABLE IF NOT EXISTS cqpm_referentiels (
    document_id       VARCHAR PRIMARY KEY,
    source_sha256     VARCHAR NOT NULL,
    number            VARCHAR,
    qualification_id  VARCHAR,
    category          VARCHAR,
    last_modified     DATE,
    level             VARCHAR,
    title             VARCHAR,
    objective         VARCHAR,
    layout_variant    VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS cqpm_missions (
    document_id VARCHAR NOT NULL, source_sha256 VARCHAR NOT NULL, ord INTEGER NOT NULL,
    reading_order INTEGER NOT NULL, page INTEGER, x0 DOUBLE, top DOUBLE, x1 DOUBLE, bottom DOUBLE,
    text VARCHAR NOT NULL,
    PRIMARY KEY (document_id, ord)
);

CREATE TABLE IF NOT EXISTS cqpm_listed_capacities (
    document_id VARCHAR NOT NULL, source_sha256 VARCHAR NOT NULL, ord INTEGER NOT NULL,
    reading_order INTEGER NOT NULL, page INTEGER, x0 DOUBLE, top DOUBLE, x1 DOUBLE, bottom DOUBLE,
    code VARCHAR NOT NULL,
    text VARCHAR NOT NULL,
    PRIMARY KEY (document_id, ord)
);

CREATE TABLE IF NOT EXISTS cqpm_capacities (
    document_id VARCHAR NOT NULL, source_sha256 VARCHAR NOT NULL, ord INTEGER NOT NULL,
    reading_order INTEGER NOT NULL, page INTEGER, x0 DOUBLE, top DOUBLE, x1 DOUBLE, bottom DOUBLE,
    number INTEGER NOT NULL,
    title VARCHAR NOT NULL,
    PRIMARY KEY (document_id, ord)
);

CREATE TABLE IF NOT EXISTS cqpm_conditions (
    document_id VARCHAR NOT NULL, source_sha256 VARCHAR NOT NULL,
    capacity_ord INTEGER NOT NULL, capacity_number INTEGER NOT NULL, ord INTEGER NOT NULL,
    reading_order INTEGER NOT NULL, page INTEGER, x0 DOUBLE, top DOUBLE, x1 DOUBLE, bottom DOUBLE,
    text VARCHAR NOT NULL,
    PRIMARY KEY (document_id, capacity_ord, ord)
);

CREATE TABLE IF NOT EXISTS cqpm_criteria (
    document_id VARCHAR NOT NULL, source_sha256 VARCHAR NOT NULL,
    capacity_ord INTEGER NOT NULL, capacity_number INTEGER NOT NULL, ord INTEGER NOT NULL,
    reading_order INTEGER NOT NULL, page INTEGER, x0 DOUBLE, top DOUBLE, x1 DOUBLE, bottom DOUBLE,
    text VARCHAR NOT NULL,
    PRIMARY KEY (document_id, capacity_ord, ord)
);

CREATE TABLE IF NOT EXISTS cqpm_assessments (
    document_id VARCHAR NOT NULL, source_sha256 VARCHAR NOT NULL,
    capacity_ord INTEGER NOT NULL, capacity_number INTEGER NOT NULL, ord INTEGER NOT NULL,
    reading_order INTEGER NOT NULL, page INTEGER, x0 DOUBLE, top DOUBLE, x1 DOUBLE, bottom DOUBLE,
    text VARCHAR NOT NULL,
    PRIMARY KEY (document_id, capacity_ord, ord)
);

CREATE TABLE IF NOT EXISTS cqpm_assessment_methods (
    document_id VARCHAR NOT NULL, source_sha256 VARCHAR NOT NULL, ord INTEGER NOT NULL,
    reading_order INTEGER NOT NULL, page INTEGER, x0 DOUBLE, top DOUBLE, x1 DOUBLE, bottom DOUBLE,
    text VARCHAR NOT NULL,
    PRIMARY KEY (document_id, ord)
);

-- ------------------------------------------------------------------------------------------- RNCP

CREATE TABLE IF NOT EXISTS rncp_fiches (
    document_id                    VARCHAR PRIMARY KEY,
    source_sha256                  VARCHAR NOT NULL,
    code                           VARCHAR NOT NULL,
    title                          VARCHAR,
    validity                       VARCHAR,
    new_caledonia                  BOOLEAN,
    french_polynesia               BOOLEAN,
    registration_decision          DATE,
    registration_journal_officiel  DATE,
    registration_effective         DATE,
    registration_end               DATE,
    awards_per_year                INTEGER,
    history_cqpm_number            VARCHAR,
    history_qualification_id       VARCHAR,
    history_first_validated        VARCHAR,
    history_version_date           DATE,
    history_category               VARCHAR
);

CREATE TABLE IF NOT EXISTS rncp_certifiers (
    document_id VARCHAR NOT NULL, source_sha256 VARCHAR NOT NULL, ord INTEGER NOT NULL,
    reading_order INTEGER NOT NULL, page INTEGER, x0 DOUBLE, top DOUBLE, x1 DOUBLE, bottom DOUBLE,
    text VARCHAR NOT NULL,
    PRIMARY KEY (document_id, ord)
);

CREATE TABLE IF NOT EXISTS rncp_conventions (
    document_id VARCHAR NOT NULL, source_sha256 VARCHAR NOT NULL, ord INTEGER NOT NULL,
    reading_order INTEGER NOT NULL, page INTEGER, x0 DOUBLE, top DOUBLE, x1 DOUBLE, bottom DOUBLE,
    code VARCHAR NOT NULL,
    label VARCHAR NOT NULL,
    PRIMARY KEY (document_id, ord)
);

CREATE TABLE IF NOT EXISTS rncp_nsf (
    document_id VARCHAR NOT NULL, source_sha256 VARCHAR NOT NULL, ord INTEGER NOT NULL,
    reading_order INTEGER NOT NULL, page INTEGER, x0 DOUBLE, top DOUBLE, x1 DOUBLE, bottom DOUBLE,
    code VARCHAR NOT NULL,
    label VARCHAR NOT NULL,
    PRIMARY KEY (document_id, ord)
);

CREATE TABLE IF NOT EXISTS rncp_formacodes (
    document_id VARCHAR NOT NULL, source_sha256 VARCHAR NOT NULL, ord INTEGER NOT NULL,
    reading_order INTEGER NOT NULL, page INTEGER, x0 DOUBLE, top DOUBLE, x1 DOUBLE, bottom DOUBLE,
    code VARCHAR NOT NULL,
    label VARCHAR NOT NULL,
    PRIMARY KEY (document_id, ord)
);

CREATE TABLE IF NOT EXISTS rncp_activities (
    document_id VARCHAR NOT NULL, source_sha256 VARCHAR NOT NULL, ord INTEGER NOT NULL,
    reading_order INTEGER NOT NULL, page INTEGER, x0 DOUBLE, top DOUBLE, x1 DOUBLE, bottom DOUBLE,
    code VARCHAR NOT NULL,
    text VARCHAR NOT NULL,
    PRIMARY KEY (document_id, ord)
);

CREATE TABLE IF NOT EXISTS rncp_capacities (
    document_id VARCHAR NOT NULL, source_sha256 VARCHAR NOT NULL, ord INTEGER NOT NULL,
    reading_order INTEGER NOT NULL, page INTEGER, x0 DOUBLE, top DOUBLE, x1 DOUBLE, bottom DOUBLE,
    code VARCHAR NOT NULL,
    text VARCHAR NOT NULL,
    PRIMARY KEY (document_id, ord)
);

CREATE TABLE IF NOT EXISTS rncp_jobs (
    document_id VARCHAR NOT NULL, source_sha256 VARCHAR NOT NULL, ord INTEGER NOT NULL,
    reading_order INTEGER NOT NULL, page INTEGER, x0 DOUBLE, top DOUBLE, x1 DOUBLE, bottom DOUBLE,
    text VARCHAR NOT NULL,
    PRIMARY KEY (document_id, ord)
);

CREATE TABLE IF NOT EXISTS rncp_rome (
    document_id VARCHAR NOT NULL, source_sha256 VARCHAR NOT NULL, ord INTEGER NOT NULL,
    reading_order INTEGER NOT NULL, page INTEGER, x0 DOUBLE, top DOUBLE, x1 DOUBLE, bottom DOUBLE,
    code VARCHAR NOT NULL,
    label VARCHAR NOT NULL,
    PRIMARY KEY (document_id, ord)
);

CREATE TABLE IF NOT EXISTS rncp_blocks (
    document_id VARCHAR NOT NULL, source_sha256 VARCHAR NOT NULL, ord INTEGER NOT NULL,
    reading_order INTEGER NOT NULL, page INTEGER, x0 DOUBLE, top DOUBLE, x1 DOUBLE, bottom DOUBLE,
    number INTEGER NOT NULL,
    title VARCHAR NOT NULL,
    PRIMARY KEY (document_id, ord)
);

-- one row per capacity code of a block; provenance is the block's (the records keep none per code)
CREATE TABLE IF NOT EXISTS rncp_block_capacities (
    document_id VARCHAR NOT NULL, source_sha256 VARCHAR NOT NULL,
    block_ord INTEGER NOT NULL, block_number INTEGER NOT NULL, ord INTEGER NOT NULL,
    reading_order INTEGER NOT NULL, page INTEGER, x0 DOUBLE, top DOUBLE, x1 DOUBLE, bottom DOUBLE,
    capacity_code VARCHAR NOT NULL,
    PRIMARY KEY (document_id, block_ord, ord)
);

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

CREATE OR REPLACE VIEW v_criteria AS
SELECT
    k.document_id, r.number AS cqpm_number, r.title AS cqpm_title,
    k.capacity_number, cap.title AS capacity_title,
    k.ord + 1 AS criterion_number, k.text AS criterion,
    k.page, k.x0, k.top, k.x1, k.bottom,
    dv.key, dv.version, dv.is_latest, k.capacity_ord, k.ord, k.reading_order, k.source_sha256
FROM cqpm_criteria k
JOIN cqpm_capacities cap ON cap.document_id = k.document_id AND cap.ord = k.capacity_ord
JOIN cqpm_referentiels r ON r.document_id = k.document_id
LEFT JOIN document_versions dv ON dv.document_id = k.document_id;

COMMENT ON VIEW v_criteria IS
    'Evaluation criteria of CQPM capacities, one row per criterion (criterion_number is 1-based within its capacity), with page and bbox; key, version and is_latest say which référentiel version the row belongs to.';
COMMENT ON COLUMN v_criteria.cqpm_number IS 'The CQPM number the référentiel prints; NULL when it prints none (key then holds the inferred or title-based key).';

COMMENT ON TABLE sources IS 'Every input file seen, by content hash: loaded, partial or rejected (with its reason).';
COMMENT ON TABLE documents IS 'One row per loaded document; id = sources.sha256[:16].';
