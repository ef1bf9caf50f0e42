-- Views of the newer CQPM layout (1. référentiel d'activités, 2. de compétences, 3. d'évaluation): activities,
-- blocs de compétences, the bloc of each compétence, connaissances and résultats attendus.  A
-- compétence is a row of cqpm_capacities (its conditions, criteria and modalités are in the same
-- tables as an old-layout capacity's).  Every statement is idempotent (applied on every connection).

-- The tables (cqpm_activities, cqpm_blocks, cqpm_block_capacities, cqpm_knowledge, cqpm_expected_results,
-- cqpm_referentiels.environment/interactions) are declared in pipeline/load/tables.py; these are the views
-- that count or gather (blocs, compétences).  The views of one list each (v_activities, v_connaissances,
-- v_resultats_attendus) are declared in pipeline/load/views.py and generated.

-- ------------------------------------------------------------------------------------------- views

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
