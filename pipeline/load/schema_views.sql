-- refpipe warehouse: the analysts' views (applied last, after schema.sql and every other
-- schema_<feature>.sql; every statement idempotent).  These v_* views are the stable interface that
-- `refpipe export` writes out and docs/warehouse.md describes (`refpipe dictionary` regenerates it);
-- the tables behind them may change.  Change a view compatibly (add columns, never drop or rename one);
-- an incompatible change bumps pipeline.load.warehouse.SCHEMA_VERSION (the one version of the warehouse).
--
-- Shape of the item views: the document (document_id, then its readable reference and title), the
-- item (number, text), where it is (page and bbox), then key, version, is_latest (which référentiel
-- or fiche and which version of it) and the provenance columns (ord, reading_order, source_sha256).
-- They list every version of every document; filter on is_latest for the current ones
-- (document_versions, in schema.sql, gives key, version and is_latest).  The views of one list table
-- each (v_criteria, v_conditions, v_missions, …, v_rncp_rome, …) are declared in pipeline/load/views.py
-- and generated; the item views written here gather more than one list (counts, lists of codes).
-- Older views defined elsewhere: v_documents, v_capacities (schema.sql); v_links,
-- v_capacity_crosswalk, v_quality_findings, v_criteria_reuse (schema_links.sql); v_versions,
-- v_latest, v_diff_changes (schema_versions.sql), and those of the other schema_<feature>.sql files.

-- Version history: 2 — v_criteria_reuse.referentiel_keys (and the référentiels it counts) are the version
-- keys of v_versions (CQPM-0195, CQPM-T…), no longer a spelling of their own (CQPM 0195, title: …);
-- the column criterion_keys.referentiel is dropped, so a refpipe of schema 1 can no longer write a
-- warehouse upgraded to 2 (its view needs the column): upgrades are one-way.
-- 3 — times are TIMESTAMPTZ (UTC) in every view (were TIMESTAMP, UTC by convention); v_runs.duration is
-- seconds (DOUBLE, was an INTERVAL most dataframe readers cannot take); every view column has a COMMENT.
-- 4 — see pipeline.load.warehouse.SCHEMA_VERSION (written there, after this file is applied).

-- ------------------------------------------------------------------------------------------- sources

CREATE OR REPLACE VIEW v_sources AS
SELECT
    s.sha256                                  AS source_sha256,
    s.path, s.format, s.pages, s.size,
    s.status,
    s.reason,
    s.status = 'rejected'                     AS rejected,
    d.id                                      AS document_id,
    d.kind,
    d.key,
    TRY_CAST(d.version AS INTEGER)            AS version,
    s.ingested_at AT TIME ZONE 'UTC'        AS ingested_at
FROM sources s
LEFT JOIN documents d ON d.source_sha256 = s.sha256;

COMMENT ON VIEW v_sources IS
    'Every input file seen, by content hash: loaded, partial (what it misses in reason) or rejected (quarantined: why in reason, no row in any other view; later runs skip the same bytes); the document it became, if any.';
COMMENT ON COLUMN v_sources.rejected IS 'True when the file was rejected (quarantined): it has no document and no row in any other view.';
COMMENT ON COLUMN v_sources.reason IS 'Why the file was rejected (naming the file and page when known), or what a partial document misses.';
COMMENT ON COLUMN v_sources.size IS 'File size in bytes.';
COMMENT ON COLUMN v_sources.path IS 'Path the file was ingested from (the last path seen for these bytes).';
COMMENT ON COLUMN v_sources.format IS 'pdf, text, docx (Word) or odt (OpenDocument): what the content sniffer saw (unknown for some rejected files).';
COMMENT ON COLUMN v_sources.pages IS 'Number of pages of a PDF (NULL for text).';
COMMENT ON COLUMN v_sources.kind IS 'cqpm or rncp for a loaded or partial document; NULL for a rejected file.';

-- ------------------------------------------------------------------------------- CQPM référentiels

CREATE OR REPLACE VIEW v_referentiel_versions AS
SELECT
    v.key, v.version, v.is_latest, v.document_id, v.status,
    r.number,
    (SELECT min(i.number) FROM inferred_numbers i WHERE i.document_id = r.document_id) AS inferred_number,
    r.qualification_id, r.category, r.level, r.last_modified, r.title, r.objective, r.layout_variant,
    COALESCE((SELECT list(DISTINCT l.rncp_code ORDER BY l.rncp_code) FROM links l
              WHERE l.cqpm_document_id = r.document_id), []::VARCHAR[])      AS rncp_codes,
    (SELECT count(*) FROM cqpm_capacities c WHERE c.document_id = r.document_id) AS capacities,
    (SELECT count(*) FROM cqpm_criteria c WHERE c.document_id = r.document_id)   AS criteria,
    v.valid_from, v.valid_from_source, v.previous_id, v.previous_version,
    v.source_path, v.source_sha256, v.loaded_at
FROM v_versions v
JOIN cqpm_referentiels r ON r.document_id = v.document_id;

COMMENT ON VIEW v_referentiel_versions IS
    'Every version of every CQPM référentiel (one row per document): printed number or the number inferred from a linked RNCP fiche, header metadata, linked RNCP codes, capacity and criterion counts, validity date and source.';
COMMENT ON COLUMN v_referentiel_versions.number IS 'The CQPM number the référentiel prints (NULL when it prints none).';
COMMENT ON COLUMN v_referentiel_versions.inferred_number IS 'The CQPM number named by a linked RNCP fiche''s history when the référentiel prints none.';
COMMENT ON COLUMN v_referentiel_versions.qualification_id IS 'Qualification identifier printed in the page header (2001 01 89 0195).';
COMMENT ON COLUMN v_referentiel_versions.last_modified IS 'Date of last modification printed by the référentiel.';
COMMENT ON COLUMN v_referentiel_versions.objective IS 'The objective of the qualification, as printed.';
COMMENT ON COLUMN v_referentiel_versions.layout_variant IS 'Which layout the référentiel was read in: classic (I objectif, II capacités), or activites (the newer layout: 1. activités, 2. blocs de compétences, 3. évaluation; v_activities, v_blocs, v_competences).';
COMMENT ON COLUMN v_referentiel_versions.capacities IS 'Number of capacities in the evaluation table.';
COMMENT ON COLUMN v_referentiel_versions.criteria IS 'Number of evaluation criteria over all capacities.';
COMMENT ON COLUMN v_referentiel_versions.rncp_codes IS 'RNCP codes of the fiches linked to this document (v_links).';

CREATE OR REPLACE VIEW v_referentiels AS
SELECT * EXCLUDE (is_latest) FROM v_referentiel_versions WHERE is_latest;

COMMENT ON VIEW v_referentiels IS
    'CQPM référentiels at their latest version: one row per key (CQPM-<number>, or CQPM-T<hash> for one that prints no number); older versions are in v_referentiel_versions.';

-- The views of one CQPM list each (criteria, conditions, assessments, missions, listed capacities,
-- assessment methods, and the newer layout's activities, connaissances, résultats attendus) are declared in
-- pipeline/load/views.py and generated.

-- ------------------------------------------------------------------------------------- RNCP fiches

CREATE OR REPLACE VIEW v_rncp_fiche_versions AS
SELECT
    v.key, v.version, v.is_latest, v.document_id, v.status,
    f.code, f.title, f.validity, f.new_caledonia, f.french_polynesia,
    f.registration_decision, f.registration_journal_officiel, f.registration_effective, f.registration_end,
    f.awards_per_year,
    f.history_cqpm_number, f.history_qualification_id, f.history_first_validated, f.history_version_date,
    f.history_category,
    COALESCE((SELECT list(DISTINCT l.cqpm_number ORDER BY l.cqpm_number) FROM links l
              WHERE l.document_id = f.document_id AND l.cqpm_number IS NOT NULL), []::VARCHAR[]) AS cqpm_numbers,
    (SELECT count(*) FROM rncp_capacities c WHERE c.document_id = f.document_id) AS capacities,
    (SELECT count(*) FROM rncp_blocks b WHERE b.document_id = f.document_id)     AS blocks,
    v.valid_from, v.valid_from_source, v.previous_id, v.previous_version,
    v.source_path, v.source_sha256, v.loaded_at
FROM v_versions v
JOIN rncp_fiches f ON f.document_id = v.document_id;

COMMENT ON VIEW v_rncp_fiche_versions IS
    'Every version of every RNCP fiche (one row per document): code, title, registration dates (registration_end: when the registration expires), history of the CQPM it certifies, linked CQPM numbers, counts, validity date and source.';
COMMENT ON COLUMN v_rncp_fiche_versions.registration_end IS 'Date the RNCP registration ends ("Date d''échéance de l''enregistrement").';
COMMENT ON COLUMN v_rncp_fiche_versions.history_cqpm_number IS 'The CQPM number the fiche''s history names (the évolution/historique section).';
COMMENT ON COLUMN v_rncp_fiche_versions.cqpm_numbers IS 'CQPM numbers (printed or inferred) of the référentiels linked to this fiche (v_links).';
COMMENT ON COLUMN v_rncp_fiche_versions.registration_decision IS 'Date of the registration decision.';
COMMENT ON COLUMN v_rncp_fiche_versions.registration_effective IS 'Date the registration takes effect.';
COMMENT ON COLUMN v_rncp_fiche_versions.awards_per_year IS 'Number of certifications awarded per year, as printed.';
COMMENT ON COLUMN v_rncp_fiche_versions.capacities IS 'Number of capacities the fiche lists.';
COMMENT ON COLUMN v_rncp_fiche_versions.blocks IS 'Number of blocks of competences.';
COMMENT ON COLUMN v_rncp_fiche_versions.new_caledonia IS 'Accessible in New Caledonia (NULL when the document does not say).';

CREATE OR REPLACE VIEW v_rncp_fiches AS
SELECT * EXCLUDE (is_latest) FROM v_rncp_fiche_versions WHERE is_latest;

COMMENT ON VIEW v_rncp_fiches IS
    'RNCP fiches at their latest version: one row per RNCP code; older versions are in v_rncp_fiche_versions.';

CREATE OR REPLACE VIEW v_rncp_blocks AS
SELECT
    b.document_id, f.code AS rncp_code, f.title AS rncp_title,
    b.number AS block_number, b.title AS block_title,
    COALESCE((SELECT list(c.capacity_code ORDER BY c.ord) FROM rncp_block_capacities c
              WHERE c.document_id = b.document_id AND c.block_ord = b.ord), []::VARCHAR[]) AS capacity_codes,
    b.page, b.x0, b.top, b.x1, b.bottom,
    v.key, v.version, v.is_latest, b.ord, b.reading_order, b.source_sha256
FROM rncp_blocks b
JOIN rncp_fiches f ON f.document_id = b.document_id
LEFT JOIN document_versions v ON v.document_id = b.document_id;

COMMENT ON VIEW v_rncp_blocks IS
    'Blocks of competences ("blocs de compétences") of RNCP fiches, one row per block with the codes of the capacities it groups, in document order.';

CREATE OR REPLACE VIEW v_rncp_block_capacities AS
SELECT
    bc.document_id, f.code AS rncp_code, f.title AS rncp_title,
    bc.block_number, b.title AS block_title,
    bc.ord + 1 AS position, bc.capacity_code,
    c.text AS capacity_text, c.ord + 1 AS capacity_position,
    bc.page, bc.x0, bc.top, bc.x1, bc.bottom,
    v.key, v.version, v.is_latest, bc.block_ord, bc.ord, bc.reading_order, bc.source_sha256
FROM rncp_block_capacities bc
JOIN rncp_fiches f ON f.document_id = bc.document_id
JOIN rncp_blocks b ON b.document_id = bc.document_id AND b.ord = bc.block_ord
LEFT JOIN (SELECT document_id, code, min(ord) AS ord, arg_min(text, ord) AS text
           FROM rncp_capacities GROUP BY document_id, code) c
    ON c.document_id = bc.document_id AND c.code = bc.capacity_code
LEFT JOIN document_versions v ON v.document_id = bc.document_id;

COMMENT ON VIEW v_rncp_block_capacities IS
    'Which RNCP capacity belongs to which block, one row per (block, capacity code), with the capacity''s wording; page and bbox are the block''s (the fiche gives none per code).';
COMMENT ON COLUMN v_rncp_block_capacities.capacity_text IS 'Wording of the capacity in the fiche''s list of capacities.';
COMMENT ON COLUMN v_rncp_block_capacities.position IS 'Position of the capacity code within its block, 1-based.';
COMMENT ON COLUMN v_rncp_block_capacities.capacity_position IS 'Position of the capacity in the fiche''s list of capacities, 1-based (NULL when the code is not in that list).';

-- The views of one RNCP list table each (ROME, NSF, formacodes, conventions, activities, jobs,
-- certifiers and the version-2 lists) are declared in pipeline/load/views.py and generated.

-- ------------------------------------------------------------------------------------------- diffs

CREATE OR REPLACE VIEW v_diff_runs AS
SELECT
    r.run_id, r.old_document_id, r.document_id AS new_document_id,
    COALESCE(od.key, r.old_key) AS old_key,
    COALESCE(TRY_CAST(od.version AS INTEGER), r.old_version) AS old_version,
    COALESCE(nd.key, r.new_key) AS new_key,
    COALESCE(TRY_CAST(nd.version AS INTEGER), r.new_version) AS new_version,
    r.differ, r.changes, r.added, r.removed, r.changed, r.moved,
    r.created_at AT TIME ZONE 'UTC' AS created_at,
    COALESCE(nd.previous_id = r.old_document_id, false) AS consecutive
FROM diff_runs r
LEFT JOIN documents od ON od.id = r.old_document_id
LEFT JOIN documents nd ON nd.id = r.document_id;

COMMENT ON VIEW v_diff_runs IS
    'One row per stored comparison of two versions (refpipe diff OLD NEW), with the number of changes by kind; the changes themselves are in v_diff_changes (same run_id).';
COMMENT ON COLUMN v_diff_runs.changes IS 'Number of changes of the run (added + removed + changed + moved).';
COMMENT ON COLUMN v_diff_runs.differ IS 'Version of the diff algorithm that produced the run.';
COMMENT ON COLUMN v_diff_runs.consecutive IS 'True when the old document is the new one''s previous version now (the diff computed at ingest for each version; a version placed earlier by its stated date gets new consecutive diffs, the older pair''s run stays, not consecutive).';
