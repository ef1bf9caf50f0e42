-- refpipe warehouse: cross-links (RNCP fiche <-> CQPM référentiel), capacity maps, inferred CQPM
-- numbers, data-quality findings and criterion comparison keys.  Applied after schema.sql by
-- pipeline.load.warehouse.connect.  These tables are derived: pipeline.load.links_store.recompute
-- brings all of them up to date with the document tables in one transaction after every ingest batch,
-- working only on what the documents loaded since the last recompute change (the internal tables at
-- the end keep what it needs for that), with the rows a recompute from scratch gives, so they never
-- depend on the order or the batches documents were ingested in.

-- Like the document tables, every row carries document_id, source_sha256 and the provenance columns
-- (ord, reading_order, page, bbox; NULL where the records hold none): a link and its capacity map
-- belong to the RNCP fiche, an inferred number to the référentiel, a finding to the document it is about.

-- one row per linked (RNCP document, CQPM document) pair; the same fiche or référentiel ingested in
-- several renderings (text, PDFs) gives several rows, all with the same rncp_code and cqpm_number
CREATE TABLE IF NOT EXISTS links (
    document_id VARCHAR NOT NULL, source_sha256 VARCHAR NOT NULL, ord INTEGER NOT NULL,  -- the RNCP fiche
    reading_order INTEGER, page INTEGER, x0 DOUBLE, top DOUBLE, x1 DOUBLE, bottom DOUBLE,
    cqpm_document_id  VARCHAR NOT NULL,
    rncp_code         VARCHAR NOT NULL,           -- 'RNCP28242'
    cqpm_number       VARCHAR,                    -- printed by the référentiel, else inferred ('0195')
    number_source     VARCHAR CHECK (number_source IN ('printed', 'inferred')),
    method            VARCHAR NOT NULL CHECK (method IN ('history', 'capacities', 'title')),
    score             DOUBLE NOT NULL,            -- weighted mean of the measured evidence, 0..1
    history_score     DOUBLE,                     -- 1: the named number is the printed one; NULL: not comparable
    title_score       DOUBLE,
    capacity_score    DOUBLE,
    reason            VARCHAR NOT NULL,
    computed_at       TIMESTAMP NOT NULL,
    PRIMARY KEY (document_id, cqpm_document_id)
);

-- one row per mapped RNCP capacity of a link; ord and provenance are the RNCP capacity's
CREATE TABLE IF NOT EXISTS capacity_links (
    document_id VARCHAR NOT NULL, source_sha256 VARCHAR NOT NULL, ord INTEGER NOT NULL,  -- the RNCP fiche
    reading_order INTEGER, page INTEGER, x0 DOUBLE, top DOUBLE, x1 DOUBLE, bottom DOUBLE,
    cqpm_document_id      VARCHAR NOT NULL,
    rncp_capacity         VARCHAR NOT NULL,       -- 'C2' (ord = its rncp_capacities.ord)
    cqpm_capacity_number  INTEGER NOT NULL,       -- 4
    cqpm_ord              INTEGER NOT NULL,       -- cqpm_capacities.ord
    score                 DOUBLE NOT NULL,
    PRIMARY KEY (document_id, cqpm_document_id, ord)
);

-- one row per mapped bloc of a link where both sides have blocs (a newer-layout référentiel and a fiche
-- with RNCPnnnnnBCnn blocs); ord and provenance are the RNCP bloc's position in the fiche
CREATE TABLE IF NOT EXISTS block_links (
    document_id VARCHAR NOT NULL, source_sha256 VARCHAR NOT NULL, ord INTEGER NOT NULL,  -- the RNCP fiche
    reading_order INTEGER, page INTEGER, x0 DOUBLE, top DOUBLE, x1 DOUBLE, bottom DOUBLE,
    cqpm_document_id  VARCHAR NOT NULL,
    rncp_block        VARCHAR NOT NULL,           -- 'RNCP38622BC01' (printed, else RNCP<code>BC<nn>)
    cqpm_block        INTEGER NOT NULL,           -- the référentiel's bloc number (cqpm_blocks.number)
    cqpm_ord          INTEGER NOT NULL,           -- cqpm_blocks.ord
    score             DOUBLE NOT NULL,
    PRIMARY KEY (document_id, cqpm_document_id, ord)
);

CREATE TABLE IF NOT EXISTS block_link_candidates (
    document_id VARCHAR NOT NULL, source_sha256 VARCHAR NOT NULL, ord INTEGER NOT NULL,
    reading_order INTEGER, page INTEGER, x0 DOUBLE, top DOUBLE, x1 DOUBLE, bottom DOUBLE,
    cqpm_document_id  VARCHAR NOT NULL,
    rncp_block        VARCHAR NOT NULL,
    cqpm_block        INTEGER NOT NULL,
    cqpm_ord          INTEGER NOT NULL,
    score             DOUBLE NOT NULL,
    PRIMARY KEY (document_id, cqpm_document_id, ord)
);

COMMENT ON TABLE block_links IS 'Bloc map of a link: a fiche bloc (RNCPnnnnnBCnn) paired with a newer-layout référentiel bloc.';
COMMENT ON TABLE block_link_candidates IS 'Internal (links recompute state, not an interface): the bloc map of every link candidate.';

-- a CQPM number the référentiel does not print, inferred from a linked fiche's history; the
-- référentiel's own cqpm_referentiels.number stays what the file says (NULL)
CREATE TABLE IF NOT EXISTS inferred_numbers (
    document_id VARCHAR NOT NULL, source_sha256 VARCHAR NOT NULL, ord INTEGER NOT NULL,  -- the référentiel
    reading_order INTEGER, page INTEGER, x0 DOUBLE, top DOUBLE, x1 DOUBLE, bottom DOUBLE,
    number                VARCHAR NOT NULL,
    evidence_document_id  VARCHAR NOT NULL,       -- the RNCP fiche whose history names the number
    evidence_field        VARCHAR NOT NULL,       -- where in that fiche: 'rncp_fiches.history_cqpm_number'
    rncp_code             VARCHAR NOT NULL,
    score                 DOUBLE NOT NULL,
    reason                VARCHAR NOT NULL,
    PRIMARY KEY (document_id, evidence_document_id)
);

CREATE TABLE IF NOT EXISTS quality_findings (
    document_id VARCHAR NOT NULL, source_sha256 VARCHAR NOT NULL, ord INTEGER NOT NULL,  -- what it is about
    reading_order INTEGER, page INTEGER, x0 DOUBLE, top DOUBLE, x1 DOUBLE, bottom DOUBLE,
    rule                 VARCHAR NOT NULL,
    severity             VARCHAR NOT NULL CHECK (severity IN ('error', 'warning', 'info')),
    subject              VARCHAR NOT NULL,        -- 'capacity 6', 'C7', 'registration', 'link to CQPM 0195'
    message              VARCHAR NOT NULL,
    related_document_id  VARCHAR,                 -- the other document of a link rule
    as_of                DATE NOT NULL,           -- the run date time-dependent rules were evaluated at
    computed_at          TIMESTAMP NOT NULL,
    PRIMARY KEY (document_id, ord)
);

-- the comparison key (pipeline.normalize.text.comparison_key) of every CQPM criterion, beside the text
-- (never in its place); the référentiel it belongs to is its document's key (documents.key)
CREATE TABLE IF NOT EXISTS criterion_keys (
    document_id VARCHAR NOT NULL, source_sha256 VARCHAR NOT NULL,
    capacity_ord INTEGER NOT NULL, capacity_number INTEGER NOT NULL, ord INTEGER NOT NULL,
    reading_order INTEGER, page INTEGER, x0 DOUBLE, top DOUBLE, x1 DOUBLE, bottom DOUBLE,
    key              VARCHAR NOT NULL,
    PRIMARY KEY (document_id, capacity_ord, ord)
);
-- schema 1 kept the linker's own référentiel key here ('CQPM 0195' | 'title: …'), another spelling of
-- documents.key: gone
ALTER TABLE criterion_keys DROP COLUMN IF EXISTS referentiel;

-- ---------------------------------------------------------------------------------------- internal
-- Internal state of pipeline.load.links_incremental, not an interface (no view reads it; it may change
-- with any release: a recompute by another version of the linking code starts again from scratch).
-- Like every table, rows carry document_id, source_sha256 and the provenance columns (NULL here where
-- a row is not about a place in a document).

-- internal: one row per document the derived tables were computed for, as it was loaded then (a
-- document re-loaded since has another loaded_at and is computed again), with the spaCy lemma keys
-- (pipeline.normalize.link.lemma_keys) of its capacities in order, so that pairing a new document with
-- it needs no spaCy pass over its texts
CREATE TABLE IF NOT EXISTS derived_documents (
    document_id VARCHAR NOT NULL, source_sha256 VARCHAR NOT NULL, ord INTEGER,
    reading_order INTEGER, page INTEGER, x0 DOUBLE, top DOUBLE, x1 DOUBLE, bottom DOUBLE,
    loaded_at    TIMESTAMP NOT NULL,            -- documents.loaded_at when it was computed
    lemma_keys   VARCHAR[] NOT NULL,            -- RNCP capacities C1…Cn, or the CQPM table's capacities
    PRIMARY KEY (document_id)
);

-- internal: every (RNCP document, CQPM document) pair pipeline.normalize.link.assess linked, before the
-- rule that an unnumbered référentiel keeps one inferred number (select_links); kept: the pair passes
-- that rule, and links holds it.  Columns as in links (ord and provenance NULL: links numbers them).
CREATE TABLE IF NOT EXISTS link_candidates (
    document_id VARCHAR NOT NULL, source_sha256 VARCHAR NOT NULL, ord INTEGER,  -- the RNCP fiche
    reading_order INTEGER, page INTEGER, x0 DOUBLE, top DOUBLE, x1 DOUBLE, bottom DOUBLE,
    cqpm_document_id  VARCHAR NOT NULL,
    rncp_code         VARCHAR NOT NULL,
    cqpm_number       VARCHAR,
    number_source     VARCHAR,
    method            VARCHAR NOT NULL,
    score             DOUBLE NOT NULL,
    history_score     DOUBLE,
    title_score       DOUBLE,
    capacity_score    DOUBLE,
    reason            VARCHAR NOT NULL,
    kept              BOOLEAN NOT NULL,
    PRIMARY KEY (document_id, cqpm_document_id)
);

-- internal: the capacity map of every link candidate, rows as capacity_links holds them for kept ones
CREATE TABLE IF NOT EXISTS capacity_link_candidates (
    document_id VARCHAR NOT NULL, source_sha256 VARCHAR NOT NULL, ord INTEGER NOT NULL,  -- the RNCP fiche
    reading_order INTEGER, page INTEGER, x0 DOUBLE, top DOUBLE, x1 DOUBLE, bottom DOUBLE,
    cqpm_document_id      VARCHAR NOT NULL,
    rncp_capacity         VARCHAR NOT NULL,
    cqpm_capacity_number  INTEGER NOT NULL,
    cqpm_ord              INTEGER NOT NULL,
    score                 DOUBLE NOT NULL,
    PRIMARY KEY (document_id, cqpm_document_id, ord)
);

-- ------------------------------------------------------------------------------------------- views

CREATE OR REPLACE VIEW v_link_versions AS
SELECT
    l.rncp_code                       AS rncp,
    l.cqpm_number                     AS cqpm,
    l.number_source                   AS cqpm_number_source,
    l.method, l.score, l.history_score, l.capacity_score, l.title_score, l.reason,
    (SELECT count(*) FROM capacity_links m
      WHERE m.document_id = l.document_id AND m.cqpm_document_id = l.cqpm_document_id)
                                      AS mapped_capacities,
    f.title                           AS rncp_title,
    r.title                           AS cqpm_title,
    r.number                          AS cqpm_printed_number,
    l.document_id AS rncp_document_id, l.cqpm_document_id,
    rs.path                           AS rncp_source,
    cs.path                           AS cqpm_source,
    l.computed_at AT TIME ZONE 'UTC'        AS computed_at,
    COALESCE(rv.is_latest AND cv.is_latest, false) AS is_latest
FROM links l
JOIN rncp_fiches f ON f.document_id = l.document_id
JOIN cqpm_referentiels r ON r.document_id = l.cqpm_document_id
JOIN sources rs ON rs.sha256 = f.source_sha256
JOIN sources cs ON cs.sha256 = r.source_sha256
LEFT JOIN document_versions rv ON rv.document_id = l.document_id
LEFT JOIN document_versions cv ON cv.document_id = l.cqpm_document_id;

COMMENT ON VIEW v_link_versions IS
    'RNCP fiche <-> CQPM référentiel links between every version of each (the history; v_links has the latest versions), one row per (RNCP document, CQPM document): cqpm is the printed number or, when the référentiel prints none, the number inferred from the fiche history (cqpm_number_source); method is the evidence that decided (history | capacities | title), score 0..1, reason in words.';
COMMENT ON COLUMN v_link_versions.is_latest IS 'True when both the fiche and the référentiel are the latest version of their key.';

CREATE OR REPLACE VIEW v_links AS
SELECT * EXCLUDE (is_latest) FROM v_link_versions WHERE is_latest;

COMMENT ON VIEW v_links IS
    'RNCP fiche <-> CQPM référentiel links between the latest version of each fiche and référentiel (v_link_versions: every version), one row per (RNCP document, CQPM document): cqpm is the printed number or, when the référentiel prints none, the number inferred from the fiche history (cqpm_number_source); method is the evidence that decided (history | capacities | title), score 0..1, reason in words.';

CREATE OR REPLACE VIEW v_capacity_crosswalk AS
WITH rncp AS (
    SELECT l.document_id AS rncp_document_id, l.cqpm_document_id, l.rncp_code, l.cqpm_number,
           c.ord, c.code, c.text
    FROM links l JOIN rncp_capacities c ON c.document_id = l.document_id
), cqpm AS (
    SELECT l.document_id AS rncp_document_id, l.cqpm_document_id, l.rncp_code, l.cqpm_number,
           c.ord, c.number, c.title
    FROM links l JOIN cqpm_capacities c ON c.document_id = l.cqpm_document_id
), paired AS (
    SELECT r.rncp_document_id, r.cqpm_document_id, r.rncp_code, r.cqpm_number,
           r.ord AS rncp_ord, r.code AS rncp_capacity, r.text AS rncp_text,
           q.ord AS cqpm_ord, q.number AS cqpm_capacity, q.title AS cqpm_text, m.score
    FROM rncp r
    LEFT JOIN capacity_links m ON m.document_id = r.rncp_document_id
        AND m.cqpm_document_id = r.cqpm_document_id AND m.ord = r.ord
    LEFT JOIN cqpm q ON q.rncp_document_id = r.rncp_document_id
        AND q.cqpm_document_id = r.cqpm_document_id AND q.ord = m.cqpm_ord
    UNION ALL
    SELECT q.rncp_document_id, q.cqpm_document_id, q.rncp_code, q.cqpm_number,
           NULL, NULL, NULL, q.ord, q.number, q.title, NULL
    FROM cqpm q
    WHERE NOT EXISTS (SELECT 1 FROM capacity_links m WHERE m.document_id = q.rncp_document_id
                      AND m.cqpm_document_id = q.cqpm_document_id AND m.cqpm_ord = q.ord)
), latest AS (
    SELECT document_id AS id FROM document_versions WHERE is_latest
)
SELECT
    rncp_code AS rncp, cqpm_number AS cqpm,
    rncp_ord + 1 AS rncp_position, rncp_capacity, rncp_text,
    cqpm_ord + 1 AS cqpm_position, cqpm_capacity, cqpm_text,
    score,
    CASE WHEN rncp_ord IS NULL OR cqpm_ord IS NULL THEN NULL ELSE rncp_ord <> cqpm_ord END AS reordered,
    rncp_document_id, cqpm_document_id
FROM paired
WHERE rncp_document_id IN (SELECT id FROM latest) AND cqpm_document_id IN (SELECT id FROM latest)
ORDER BY rncp, cqpm, rncp_document_id, cqpm_document_id, coalesce(rncp_ord, 1000000), cqpm_ord;

COMMENT ON VIEW v_capacity_crosswalk IS
    'Capacity map of every link between latest versions (the links table has older versions'' maps), the two orders side by side: each RNCP capacity (code, position in the fiche) with the CQPM capacity it corresponds to (number, position in the référentiel table) and a similarity score; reordered is true where the positions differ (RNCP 28242: C2 is CQPM capacity 4). Capacities without a counterpart appear with NULLs on the other side.';

CREATE OR REPLACE VIEW v_quality_finding_versions AS
SELECT
    q.severity, q.rule, q.subject, q.message,
    q.document_id, d.kind, COALESCE(c.number, f.code) AS reference, s.path AS source_path,
    q.related_document_id, rs.path AS related_source_path,
    q.page, q.reading_order, q.x0, q.top, q.x1, q.bottom, q.source_sha256, q.as_of,
    q.computed_at AT TIME ZONE 'UTC' AS computed_at,
    COALESCE(v.is_latest AND (q.related_document_id IS NULL OR rv.is_latest), false) AS is_latest
FROM quality_findings q
JOIN documents d ON d.id = q.document_id
JOIN sources s ON s.sha256 = q.source_sha256
LEFT JOIN cqpm_referentiels c ON c.document_id = q.document_id
LEFT JOIN rncp_fiches f ON f.document_id = q.document_id
LEFT JOIN documents rd ON rd.id = q.related_document_id
LEFT JOIN sources rs ON rs.sha256 = rd.source_sha256
LEFT JOIN document_versions v ON v.document_id = q.document_id
LEFT JOIN document_versions rv ON rv.document_id = q.related_document_id
ORDER BY CASE q.severity WHEN 'error' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END, s.path, q.rule, q.subject;

COMMENT ON VIEW v_quality_finding_versions IS
    'Data-quality findings about every version of every document (the history; v_quality_findings has the latest versions): rule, severity error|warning|info, document, message, with provenance (source path, page, reading order, bbox) and the run date (as_of) time-dependent rules such as registration_expired were evaluated at.';
COMMENT ON COLUMN v_quality_finding_versions.is_latest IS 'True when the document (and the related document, if any) is the latest version of its key.';

CREATE OR REPLACE VIEW v_quality_findings AS
SELECT * EXCLUDE (is_latest) FROM v_quality_finding_versions WHERE is_latest;

COMMENT ON VIEW v_quality_findings IS
    'Data-quality findings about the latest version of each document (v_quality_finding_versions: every version): rule, severity error|warning|info, document, message, with provenance (source path, page, reading order, bbox) and the run date (as_of) time-dependent rules such as registration_expired were evaluated at.';

CREATE OR REPLACE VIEW v_criteria_reuse AS
SELECT
    k.key                                             AS criterion_key,
    min(c.text)                                       AS criterion,
    count(DISTINCT d.key)                             AS referentiels,
    count(DISTINCT k.document_id)                     AS documents,
    count(*)                                          AS occurrences,
    list(DISTINCT d.key ORDER BY d.key)               AS referentiel_keys,
    list(DISTINCT r.title ORDER BY r.title)           AS referentiel_titles
FROM criterion_keys k
JOIN cqpm_criteria c ON c.document_id = k.document_id AND c.capacity_ord = k.capacity_ord AND c.ord = k.ord
JOIN cqpm_referentiels r ON r.document_id = k.document_id
JOIN documents d ON d.id = k.document_id
GROUP BY k.key
HAVING count(DISTINCT d.key) > 1
ORDER BY referentiels DESC, occurrences DESC, criterion_key;

COMMENT ON VIEW v_criteria_reuse IS
    'Evaluation criteria that occur, by normalised text (comparison key: case, œ/oe, apostrophes, markup and trailing punctuation folded), in several référentiels; a référentiel is its version key (key in v_versions: CQPM-<number> once its version chain has a number, printed, or adopted from a numbered version of the same title or from an inferred number, never undone; else CQPM-T + a digest of the title; DOC-<document id> without a title), so renderings and versions of one CQPM count once.';

COMMENT ON TABLE links IS 'RNCP <-> CQPM links per document pair (derived; brought up to date after every ingest batch).';
COMMENT ON TABLE capacity_links IS 'RNCP capacity code -> CQPM capacity number for every link, with a similarity score.';
COMMENT ON TABLE inferred_numbers IS 'CQPM numbers inferred for référentiels that do not print theirs, with the fiche that named it.';
COMMENT ON TABLE quality_findings IS 'Data-quality findings (derived; brought up to date after every ingest batch).';
COMMENT ON TABLE derived_documents IS 'Internal (links recompute state, not an interface): the documents the derived tables were computed for, with their capacities'' lemma keys.';
COMMENT ON TABLE link_candidates IS 'Internal (links recompute state, not an interface): every pair the linker linked, before the one-inferred-number rule; kept pairs are in links.';
COMMENT ON TABLE capacity_link_candidates IS 'Internal (links recompute state, not an interface): the capacity map of every link candidate.';
