-- RNCP continuity (old -> new) and the metallurgy branch's fiches: views over the latest version of
-- every fiche.  Applied after schema_rncp_v2.sql (rncp_continuity, rncp_certifier_details) and
-- schema_versions.sql (v_latest); every statement idempotent.

CREATE OR REPLACE VIEW v_rncp_continuity AS
WITH latest AS (
    SELECT f.code, f.document_id, f.active, f.title
    FROM v_latest l JOIN rncp_fiches f ON f.document_id = l.document_id
),
declared AS (
    SELECT c.code AS old_code, l.code AS new_code, false AS by_old, true AS by_new
    FROM rncp_continuity c JOIN latest l ON l.document_id = c.document_id
    WHERE c.direction = 'replaces'
    UNION ALL
    SELECT l.code, c.code, true, false
    FROM rncp_continuity c JOIN latest l ON l.document_id = c.document_id
    WHERE c.direction = 'replaced_by'
),
edges AS (
    SELECT old_code, new_code, bool_or(by_old) AS declared_by_old, bool_or(by_new) AS declared_by_new
    FROM declared WHERE old_code <> new_code GROUP BY old_code, new_code
)
SELECT
    e.old_code, e.new_code, e.declared_by_old, e.declared_by_new,
    o.document_id AS old_document_id, n.document_id AS new_document_id,
    o.title AS old_title, n.title AS new_title, o.active AS old_active, n.active AS new_active,
    (o.document_id IS NOT NULL AND n.document_id IS NOT NULL AND e.declared_by_old <> e.declared_by_new)
        AS one_sided
FROM edges e
LEFT JOIN latest o ON o.code = e.old_code
LEFT JOIN latest n ON n.code = e.new_code
ORDER BY e.old_code, e.new_code;

COMMENT ON VIEW v_rncp_continuity IS
    'Continuity between RNCP fiches as a graph of edges old_code -> new_code, built from both sides: the old fiche''s "Certification remplacée par" / NOUVELLES_CERTIFICATIONS (declared_by_old) and the new fiche''s "Anciennes versions" / ANCIENNES_CERTIFICATIONS (declared_by_new), latest version of each fiche. A side not in the warehouse has NULL document and title; one_sided is true when both fiches are in the warehouse but only one declares the edge (also a continuity_one_sided row in v_quality_findings). `refpipe show CODE --current` follows these edges to the fiche in force.';

CREATE OR REPLACE VIEW v_branch_fiches AS
WITH latest AS (
    SELECT f.* FROM v_latest l JOIN rncp_fiches f ON f.document_id = l.document_id
),
names AS (   -- every certifier of a fiche: the 2017 print's names and today's (name, SIRET) rows, folded
    SELECT document_id, upper(strip_accents(replace(text, '’', ''''))) AS name, NULL::VARCHAR AS siret
    FROM rncp_certifiers
    UNION ALL
    SELECT document_id, upper(strip_accents(replace(name, '’', ''''))), replace(trim(siret), ' ', '')
    FROM rncp_certifier_details
),
rules AS (
    SELECT
        f.document_id,
        COALESCE(bool_or(n.siret = '78471719100018'), false) AS by_siret,
        COALESCE(bool_or(n.name LIKE '%UNION%INDUSTRIES%METALLURGIQUES%MINIERES%'
                         OR n.name LIKE '%UNION DES INDUSTRIES ET DES METIERS DE LA METALLURGIE%'
                         OR n.name LIKE '%UNION DES INDUSTRIES ET METIERS DE LA METALLURGIE%'
                         OR regexp_matches(n.name, '\bUIMM\b')), false) AS by_uimm_name,
        COALESCE(bool_or(n.name LIKE '%COMMISSION PARITAIRE NATIONALE DE L%EMPLOI%METALLURGIE%'
                         OR regexp_matches(n.name, '\bCPNE\b.*\bMETALLURGIE\b')), false) AS by_cpne
    FROM latest f LEFT JOIN names n ON n.document_id = f.document_id
    GROUP BY f.document_id
),
flags AS (
    SELECT
        f.code, f.title, f.active, f.level, f.registration_end, f.document_id,
        r.by_siret, r.by_uimm_name, r.by_cpne,
        EXISTS (SELECT 1 FROM rncp_conventions c WHERE c.document_id = f.document_id
                AND ltrim(c.code, '0') = '3109') AS by_ccn_3109,
        COALESCE(regexp_matches(upper(f.title), '\(\s*CQPM\b'), false) AS by_title_cqpm,
        COALESCE(regexp_matches(upper(f.title), '(^|[^A-Z])CQP([^A-Z]|$)'), false) AS title_cqp
    FROM latest f JOIN rules r ON r.document_id = f.document_id
)
SELECT
    *,
    (CASE WHEN by_siret THEN ['siret'] ELSE []::VARCHAR[] END)
        || (CASE WHEN by_uimm_name THEN ['uimm_name'] ELSE []::VARCHAR[] END)
        || (CASE WHEN by_cpne THEN ['cpne'] ELSE []::VARCHAR[] END)
        || (CASE WHEN by_ccn_3109 THEN ['ccn_3109'] ELSE []::VARCHAR[] END)
        || (CASE WHEN by_title_cqpm THEN ['title_cqpm'] ELSE []::VARCHAR[] END) AS matched_rules
FROM flags
WHERE by_siret OR by_uimm_name OR by_cpne OR by_ccn_3109 OR by_title_cqpm
ORDER BY code;

COMMENT ON VIEW v_branch_fiches IS
    'The metallurgy branch''s RNCP fiches (latest version of each), selected by any of five rules because no single key is complete: siret (a certifier with SIRET 78471719100018, UIMM), uimm_name (a certifier named UNION INDUSTRIES METALLURGIQUES MINIERES on older fiches, UNION DES INDUSTRIES ET DES METIERS DE LA METALLURGIE (UIMM) on 2025 ones, or naming UIMM, e.g. the 2017 "CPNE de la métallurgie – UIMM"), cpne (the co-certifier Commission paritaire nationale de l''emploi de la métallurgie, which has no SIRET), ccn_3109 (convention collective 3109 Métallurgie, missing on some UIMM fiches), title_cqpm (a title with "(CQPM)"). Names are compared upper-case without accents. matched_rules lists the rules a fiche meets. title_cqp (a "CQP" title) is shown but selects nothing alone: other branches have CQPs too.';
