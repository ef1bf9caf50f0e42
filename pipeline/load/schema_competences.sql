-- Views of the newer CQPM layout (1. référentiel d'activités, 2. de compétences, 3. d'évaluation): activities,
-- blocs de compétences, the bloc of each compétence, connaissances and résultats attendus.  A
-- compétence is a row of cqpm_capacities (its conditions, criteria and modalités are in the same
-- tables as an old-layout capacity's).  Every statement is idempotent (applied on every connection).

-- The tables (cqpm_activities, cqpm_blocks, cqpm_block_capacities, cqpm_knowledge, cqpm_expected_results,
-- cqpm_referentiels.environment/interactions) are declared in pipeline/load/tables.py; these are their views.

-- ------------------------------------------------------------------------------------------- views

CREATE OR REPLACE VIEW v_activities AS
SELECT
    a.document_id, r.number AS cqpm_number, r.title AS cqpm_title,
    a.ord + 1 AS activity_number, a.title AS activity, a.text,
    a.page, a.x0, a.top, a.x1, a.bottom,
    dv.key, dv.version, dv.is_latest, a.ord, a.reading_order, a.source_sha256
FROM cqpm_activities a
JOIN cqpm_referentiels r ON r.document_id = a.document_id
LEFT JOIN document_versions dv ON dv.document_id = a.document_id;

COMMENT ON VIEW v_activities IS
    'Activities of newer-layout CQPM référentiels (section 1.1 "Mission (s) et activités"), one row per activity, in printed order; key, version and is_latest say which référentiel version the row belongs to.';
COMMENT ON COLUMN v_activities.activity_number IS 'Position of the activity in section 1.1, 1-based.';
COMMENT ON COLUMN v_activities.activity IS 'The activity as printed: a nominal heading (L''intervention de maintenance corrective) or a list item.';
COMMENT ON COLUMN v_activities.text IS 'The paragraph(s) under the activity heading; NULL when the activity is a list item.';

CREATE OR REPLACE VIEW v_blocs AS
SELECT
    b.document_id, r.number AS cqpm_number, r.title AS cqpm_title,
    b.number AS bloc_number, b.code AS bloc_code, b.title AS bloc_title,
    COALESCE((SELECT list(bc.capacity_number ORDER BY bc.ord) FROM cqpm_block_capacities bc
              WHERE bc.document_id = b.document_id AND bc.block_ord = b.ord), []::INTEGER[]) AS competences,
    b.page, b.x0, b.top, b.x1, b.bottom,
    dv.key, dv.version, dv.is_latest, b.ord AS block_ord, b.reading_order, b.source_sha256
FROM cqpm_blocks b
JOIN cqpm_referentiels r ON r.document_id = b.document_id
LEFT JOIN document_versions dv ON dv.document_id = b.document_id;

COMMENT ON VIEW v_blocs IS
    'Blocs de compétences of newer-layout CQPM référentiels, one row per bloc, with the numbers of the compétences it holds; key, version and is_latest say which référentiel version the row belongs to.';
COMMENT ON COLUMN v_blocs.bloc_number IS 'Rank of the bloc in its référentiel (1, 2, …), whatever its label prints.';
COMMENT ON COLUMN v_blocs.bloc_code IS 'The RNCP bloc code the label prints (RNCP38622BC01); NULL when it prints none.';
COMMENT ON COLUMN v_blocs.bloc_title IS 'The bloc''s title without its label (Bloc de compétences n°1 :).';
COMMENT ON COLUMN v_blocs.competences IS 'Numbers of the compétences of the bloc (v_competences.capacity_number).';
COMMENT ON COLUMN v_blocs.block_ord IS 'Position of the bloc in its référentiel, 0-based.';

CREATE OR REPLACE VIEW v_competences AS
SELECT
    cap.document_id, r.number AS cqpm_number, r.title AS cqpm_title, r.layout_variant,
    cap.number AS capacity_number, cap.title AS competence,
    b.number AS bloc_number, b.code AS bloc_code, b.title AS bloc_title,
    (SELECT count(*) FROM cqpm_criteria k
      WHERE k.document_id = cap.document_id AND k.capacity_ord = cap.ord) AS criteria,
    (SELECT count(*) FROM cqpm_knowledge k
      WHERE k.document_id = cap.document_id AND k.capacity_ord = cap.ord) AS knowledge,
    (SELECT count(*) FROM cqpm_expected_results k
      WHERE k.document_id = cap.document_id AND k.capacity_ord = cap.ord) AS expected_results,
    cap.page, cap.x0, cap.top, cap.x1, cap.bottom,
    dv.key, dv.version, dv.is_latest, cap.ord AS capacity_ord, cap.reading_order, cap.source_sha256
FROM cqpm_capacities cap
JOIN cqpm_referentiels r ON r.document_id = cap.document_id
LEFT JOIN cqpm_block_capacities bc ON bc.document_id = cap.document_id AND bc.capacity_number = cap.number
LEFT JOIN cqpm_blocks b ON b.document_id = bc.document_id AND b.ord = bc.block_ord
LEFT JOIN document_versions dv ON dv.document_id = cap.document_id;

COMMENT ON VIEW v_competences IS
    'Compétences of CQPM référentiels (the capacités of the old layout) with their bloc: one row per compétence, with how many criteria, connaissances and résultats attendus it has; key, version and is_latest say which référentiel version the row belongs to.';
COMMENT ON COLUMN v_competences.layout_variant IS 'classic (old layout: capacités, no blocs) or activites (newer layout: compétences in blocs).';
COMMENT ON COLUMN v_competences.competence IS 'Wording of the compétence (or capacité) without its label (C1, 1., Compétence 1).';
COMMENT ON COLUMN v_competences.bloc_number IS 'Rank of its bloc de compétences; NULL in the old layout.';
COMMENT ON COLUMN v_competences.bloc_code IS 'RNCP code of its bloc when printed (RNCP38622BC01).';
COMMENT ON COLUMN v_competences.bloc_title IS 'Title of its bloc de compétences.';
COMMENT ON COLUMN v_competences.criteria IS 'Number of its evaluation criteria.';
COMMENT ON COLUMN v_competences.knowledge IS 'Number of its connaissances associées (v_connaissances).';
COMMENT ON COLUMN v_competences.expected_results IS 'Number of its résultats attendus (v_resultats_attendus).';

CREATE OR REPLACE VIEW v_connaissances AS
SELECT
    k.document_id, r.number AS cqpm_number, r.title AS cqpm_title,
    k.capacity_number, cap.title AS capacity_title,
    k.ord + 1 AS knowledge_number, k.text AS connaissance,
    k.page, k.x0, k.top, k.x1, k.bottom,
    dv.key, dv.version, dv.is_latest, k.capacity_ord, k.ord, k.reading_order, k.source_sha256
FROM cqpm_knowledge k
JOIN cqpm_capacities cap ON cap.document_id = k.document_id AND cap.ord = k.capacity_ord
JOIN cqpm_referentiels r ON r.document_id = k.document_id
LEFT JOIN document_versions dv ON dv.document_id = k.document_id;

COMMENT ON VIEW v_connaissances IS
    'Connaissances associées of the compétences of newer-layout CQPM référentiels, one row per connaissance; key, version and is_latest say which référentiel version the row belongs to.';
COMMENT ON COLUMN v_connaissances.knowledge_number IS 'Position of the connaissance within its compétence, 1-based.';
COMMENT ON COLUMN v_connaissances.connaissance IS 'The connaissance as printed.';
COMMENT ON COLUMN v_connaissances.capacity_title IS 'Wording of the compétence.';

CREATE OR REPLACE VIEW v_resultats_attendus AS
SELECT
    e.document_id, r.number AS cqpm_number, r.title AS cqpm_title,
    e.capacity_number, cap.title AS capacity_title,
    e.ord + 1 AS result_number, e.text AS resultat_attendu,
    e.page, e.x0, e.top, e.x1, e.bottom,
    dv.key, dv.version, dv.is_latest, e.capacity_ord, e.ord, e.reading_order, e.source_sha256
FROM cqpm_expected_results e
JOIN cqpm_capacities cap ON cap.document_id = e.document_id AND cap.ord = e.capacity_ord
JOIN cqpm_referentiels r ON r.document_id = e.document_id
LEFT JOIN document_versions dv ON dv.document_id = e.document_id;

COMMENT ON VIEW v_resultats_attendus IS
    'Résultats attendus of the compétences of newer-layout CQPM référentiels (section 3), one row per result; key, version and is_latest say which référentiel version the row belongs to.';
COMMENT ON COLUMN v_resultats_attendus.result_number IS 'Position of the result within its compétence, 1-based.';
COMMENT ON COLUMN v_resultats_attendus.resultat_attendu IS 'The résultat attendu as printed.';
COMMENT ON COLUMN v_resultats_attendus.capacity_title IS 'Wording of the compétence.';
