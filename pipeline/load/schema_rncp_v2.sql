-- RNCP version 2 (today's fiche: open-data export, fiche page) and document identity by content
-- (applied after schema.sql; every statement idempotent).
--
-- Identity: a document is its content.  documents.id = sha256 of the canonical contract JSON without
-- its source [:16]; documents.source_sha256 is the source that first brought it.  document_sources
-- lists every source a document was read from: an open-data export (one source) holds thousands of
-- documents, and the same référentiel as text, PDF or with trailing bytes is one document with several
-- sources.  Warehouses written before content ids keep their ids (a document was its bytes then).
CREATE TABLE IF NOT EXISTS document_sources (
    document_id    VARCHAR NOT NULL,
    source_sha256  VARCHAR NOT NULL,
    reading_order  INTEGER,                    -- where in the source (an export: the fiche's line)
    added_at       TIMESTAMP NOT NULL,
    PRIMARY KEY (document_id, source_sha256)
);

ALTER TABLE rncp_fiches ADD COLUMN IF NOT EXISTS active BOOLEAN;
ALTER TABLE rncp_fiches ADD COLUMN IF NOT EXISTS state VARCHAR;
ALTER TABLE rncp_fiches ADD COLUMN IF NOT EXISTS level INTEGER;
ALTER TABLE rncp_fiches ADD COLUMN IF NOT EXISTS objectives VARCHAR;
ALTER TABLE rncp_fiches ADD COLUMN IF NOT EXISTS registration_start_of_pathways DATE;
ALTER TABLE rncp_fiches ADD COLUMN IF NOT EXISTS activities_raw VARCHAR;   -- list texts as the source wrote them
ALTER TABLE rncp_fiches ADD COLUMN IF NOT EXISTS capacities_raw VARCHAR;

ALTER TABLE rncp_blocks ADD COLUMN IF NOT EXISTS code VARCHAR;             -- RNCP36086BC01
ALTER TABLE rncp_blocks ADD COLUMN IF NOT EXISTS assessment VARCHAR;       -- modalités d'évaluation
ALTER TABLE rncp_blocks ADD COLUMN IF NOT EXISTS split_method VARCHAR;     -- how competences were split
ALTER TABLE rncp_blocks ADD COLUMN IF NOT EXISTS competences_raw VARCHAR;  -- LISTE_COMPETENCES as written

-- one row per compétence of a bloc (nested items inside their parent's text); provenance is the bloc's
CREATE TABLE IF NOT EXISTS rncp_block_competences (
    document_id VARCHAR NOT NULL, source_sha256 VARCHAR NOT NULL,
    block_ord INTEGER NOT NULL, block_code VARCHAR, ord INTEGER NOT NULL,
    reading_order INTEGER NOT NULL, page INTEGER, x0 DOUBLE, top DOUBLE, x1 DOUBLE, bottom DOUBLE,
    code VARCHAR,                                -- printed number or code (1.1, A1C1, C.1), else NULL
    text VARCHAR NOT NULL,
    PRIMARY KEY (document_id, block_ord, ord)
);

CREATE TABLE IF NOT EXISTS rncp_certifier_details (
    document_id VARCHAR NOT NULL, source_sha256 VARCHAR NOT NULL, ord INTEGER NOT NULL,
    reading_order INTEGER NOT NULL, page INTEGER, x0 DOUBLE, top DOUBLE, x1 DOUBLE, bottom DOUBLE,
    name VARCHAR NOT NULL, siret VARCHAR, active BOOLEAN,
    PRIMARY KEY (document_id, ord)
);

CREATE TABLE IF NOT EXISTS rncp_access_routes (
    document_id VARCHAR NOT NULL, source_sha256 VARCHAR NOT NULL, ord INTEGER NOT NULL,
    reading_order INTEGER NOT NULL, page INTEGER, x0 DOUBLE, top DOUBLE, x1 DOUBLE, bottom DOUBLE,
    route VARCHAR NOT NULL CHECK (route IN ('FI', 'CA', 'FC', 'CQ', 'CL', 'VAE')),
    open BOOLEAN, jury VARCHAR,
    PRIMARY KEY (document_id, ord)
);

CREATE TABLE IF NOT EXISTS rncp_statistics (
    document_id VARCHAR NOT NULL, source_sha256 VARCHAR NOT NULL, ord INTEGER NOT NULL,
    reading_order INTEGER NOT NULL, page INTEGER, x0 DOUBLE, top DOUBLE, x1 DOUBLE, bottom DOUBLE,
    year INTEGER NOT NULL, certified INTEGER, certified_vae INTEGER, employment_6m INTEGER, job_2y INTEGER,
    PRIMARY KEY (document_id, ord)
);

-- continuity as the fiche declares it: direction 'replaces' (an older fiche) or 'replaced_by' (a newer one)
CREATE TABLE IF NOT EXISTS rncp_continuity (
    document_id VARCHAR NOT NULL, source_sha256 VARCHAR NOT NULL, ord INTEGER NOT NULL,
    reading_order INTEGER NOT NULL, page INTEGER, x0 DOUBLE, top DOUBLE, x1 DOUBLE, bottom DOUBLE,
    direction VARCHAR NOT NULL CHECK (direction IN ('replaces', 'replaced_by')),
    code VARCHAR NOT NULL,
    PRIMARY KEY (document_id, direction, ord)
);

CREATE TABLE IF NOT EXISTS rncp_partners (
    document_id VARCHAR NOT NULL, source_sha256 VARCHAR NOT NULL, ord INTEGER NOT NULL,
    reading_order INTEGER NOT NULL, page INTEGER, x0 DOUBLE, top DOUBLE, x1 DOUBLE, bottom DOUBLE,
    name VARCHAR NOT NULL, siret VARCHAR, habilitation VARCHAR, state VARCHAR,
    PRIMARY KEY (document_id, ord)
);

-- one row per open-data export imported (a source holding many fiches)
CREATE TABLE IF NOT EXISTS rncp_exports (
    source_sha256  VARCHAR PRIMARY KEY,
    path           VARCHAR NOT NULL,
    member         VARCHAR,                      -- the XML/CSV member read inside the zip
    format         VARCHAR NOT NULL,             -- xml | csv
    flux_version   VARCHAR,                      -- VERSION_FLUX (4.1)
    series         VARCHAR,                      -- RNCP | RS | NULL (both)
    export_date    DATE,
    fiches         INTEGER NOT NULL,
    added          INTEGER NOT NULL,             -- fiches whose content was new (a first or a new version)
    unchanged      INTEGER NOT NULL,
    withdrawn      INTEGER NOT NULL,             -- fiches of the previous export missing from this one
    skipped_rs     INTEGER NOT NULL,
    notes          VARCHAR[] NOT NULL,           -- what this format could not give (the CSV: no compétence lists)
    imported_at    TIMESTAMP NOT NULL
);

-- a fiche that disappeared from an export (never deleted: its versions stay) or came back
CREATE TABLE IF NOT EXISTS rncp_withdrawals (
    code           VARCHAR NOT NULL,
    document_id    VARCHAR NOT NULL,             -- its latest version at that export
    source_sha256  VARCHAR NOT NULL,             -- the export it is missing from (or back in)
    export_date    DATE,
    event          VARCHAR NOT NULL CHECK (event IN ('withdrawn', 'reinstated')),
    recorded_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (code, source_sha256)
);
