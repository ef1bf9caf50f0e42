-- Analysts' views of the version-2 RNCP tables (today's fiche: the open-data export, the fiche page):
-- one row per item with the fiche's code and title and its version columns, like the other v_rncp_* views.
-- Every statement idempotent (CREATE OR REPLACE; COMMENT ON overwrites).

CREATE OR REPLACE VIEW v_rncp_block_competences AS
SELECT
    x.document_id, f.code AS rncp_code, f.title AS rncp_title,
    x.block_number, b.code AS block_code, b.title AS block_title,
    x.ord + 1 AS competence_number, x.code AS competence_code, x.text AS competence, b.split_method,
    x.page, x.x0, x.top, x.x1, x.bottom,
    v.key, v.version, v.is_latest, x.block_ord, x.ord, x.reading_order, x.source_sha256
FROM rncp_block_competences x
JOIN rncp_fiches f ON f.document_id = x.document_id
JOIN rncp_blocks b ON b.document_id = x.document_id AND b.ord = x.block_ord
LEFT JOIN document_versions v ON v.document_id = x.document_id;

COMMENT ON VIEW v_rncp_block_competences IS
    'Compétences of each RNCP block (version 2: open-data export, fiche page), one row per item in the block''s order; nested items stay inside their parent''s text.';
COMMENT ON COLUMN v_rncp_block_competences.block_code IS 'Code of the block (RNCP36086BC01), NULL when the source gives none.';
COMMENT ON COLUMN v_rncp_block_competences.competence_number IS 'Number of the compétence within its block, 1-based.';
COMMENT ON COLUMN v_rncp_block_competences.competence_code IS 'Number or code printed before the compétence (1.1, A1C1, C.1), NULL when none.';
COMMENT ON COLUMN v_rncp_block_competences.competence IS 'Wording of the compétence, as written.';
COMMENT ON COLUMN v_rncp_block_competences.split_method IS 'How the block''s list of compétences was split from its text (pipeline/normalize/competences.py).';

CREATE OR REPLACE VIEW v_rncp_certifier_details AS
SELECT
    x.document_id, f.code AS rncp_code, f.title AS rncp_title,
    x.ord + 1 AS certifier_number, x.name AS certifier, x.siret, x.active AS certifier_active,
    x.page, x.x0, x.top, x.x1, x.bottom,
    v.key, v.version, v.is_latest, x.ord, x.reading_order, x.source_sha256
FROM rncp_certifier_details x
JOIN rncp_fiches f ON f.document_id = x.document_id
LEFT JOIN document_versions v ON v.document_id = x.document_id;

COMMENT ON VIEW v_rncp_certifier_details IS
    'Certifiers of RNCP fiches with their SIRET and state (version 2), in the fiche''s order; v_rncp_certifiers has the names as the 2017 print gives them.';
COMMENT ON COLUMN v_rncp_certifier_details.certifier_number IS 'Number of the certifier in the fiche''s list, 1-based.';
COMMENT ON COLUMN v_rncp_certifier_details.certifier IS 'Legal name of the certifier.';
COMMENT ON COLUMN v_rncp_certifier_details.siret IS 'SIRET of the certifier (14 digits), NULL when not given.';
COMMENT ON COLUMN v_rncp_certifier_details.certifier_active IS 'Whether the certifier is active for this fiche (Actif / Inactif), NULL when not given.';

CREATE OR REPLACE VIEW v_rncp_access_routes AS
SELECT
    x.document_id, f.code AS rncp_code, f.title AS rncp_title,
    x.route, x.open AS route_open, x.jury,
    x.page, x.x0, x.top, x.x1, x.bottom,
    v.key, v.version, v.is_latest, x.ord, x.reading_order, x.source_sha256
FROM rncp_access_routes x
JOIN rncp_fiches f ON f.document_id = x.document_id
LEFT JOIN document_versions v ON v.document_id = x.document_id;

COMMENT ON VIEW v_rncp_access_routes IS
    'Voies d''accès of RNCP fiches (version 2): one row per route with whether it is open and its jury.';
COMMENT ON COLUMN v_rncp_access_routes.route IS 'FI élève/étudiant, CA apprentissage, FC formation continue, CQ contrat de professionnalisation, CL candidature individuelle, VAE.';
COMMENT ON COLUMN v_rncp_access_routes.route_open IS 'Whether the route is open, NULL when not given.';
COMMENT ON COLUMN v_rncp_access_routes.jury IS 'Composition of the jury for this route, as text.';

CREATE OR REPLACE VIEW v_rncp_statistics AS
SELECT
    x.document_id, f.code AS rncp_code, f.title AS rncp_title,
    x.year, x.certified, x.certified_vae, x.employment_6m, x.job_2y,
    x.page, x.x0, x.top, x.x1, x.bottom,
    v.key, v.version, v.is_latest, x.ord, x.reading_order, x.source_sha256
FROM rncp_statistics x
JOIN rncp_fiches f ON f.document_id = x.document_id
LEFT JOIN document_versions v ON v.document_id = x.document_id;

COMMENT ON VIEW v_rncp_statistics IS 'Statistics per promotion year of RNCP fiches (version 2).';
COMMENT ON COLUMN v_rncp_statistics.year IS 'Promotion year.';
COMMENT ON COLUMN v_rncp_statistics.certified IS 'Number certified that year.';
COMMENT ON COLUMN v_rncp_statistics.certified_vae IS 'Number certified through VAE that year.';
COMMENT ON COLUMN v_rncp_statistics.employment_6m IS 'Overall employment rate at 6 months, %.';
COMMENT ON COLUMN v_rncp_statistics.job_2y IS 'Employment rate in the target job at 2 years, %.';

CREATE OR REPLACE VIEW v_rncp_partners AS
SELECT
    x.document_id, f.code AS rncp_code, f.title AS rncp_title,
    x.name AS partner, x.siret, x.habilitation, x.state AS partner_state,
    x.page, x.x0, x.top, x.x1, x.bottom,
    v.key, v.version, v.is_latest, x.ord, x.reading_order, x.source_sha256
FROM rncp_partners x
JOIN rncp_fiches f ON f.document_id = x.document_id
LEFT JOIN document_versions v ON v.document_id = x.document_id;

COMMENT ON VIEW v_rncp_partners IS 'Organismes préparant à la certification of RNCP fiches (export PARTENAIRES).';
COMMENT ON COLUMN v_rncp_partners.partner IS 'Name of the organisme.';
COMMENT ON COLUMN v_rncp_partners.siret IS 'SIRET of the organisme, NULL when not given.';
COMMENT ON COLUMN v_rncp_partners.habilitation IS 'HABILITATION_FORMER | HABILITATION_ORGANISER | HABILITATION_ORGA_FORM.';
COMMENT ON COLUMN v_rncp_partners.partner_state IS 'Actif | Inactif | Supprimé.';
