-- Column comments of the analysts' views that the shared meanings (pipeline/load/column_docs.py, applied
-- after every schema file) do not cover.  Applied last of the schema files (zz: after every view is
-- created); every statement idempotent.
-- Every v_* column must be described (tests/query/test_dictionary.py fails on a blank one): the DuckDB
-- CLI, DBeaver and `refpipe dictionary` read these comments from the catalog (duckdb_columns()).

-- v_documents
COMMENT ON COLUMN v_documents.reasons IS 'Why a partial document is partial (what could not be read with certainty); empty when loaded whole.';
COMMENT ON COLUMN v_documents.last_modified IS 'CQPM: the date of last modification the référentiel prints (NULL for RNCP fiches).';
COMMENT ON COLUMN v_documents.registration_decision IS 'RNCP: the date of the registration decision the fiche prints (NULL for CQPM référentiels).';
COMMENT ON COLUMN v_documents.source_format IS 'Format of the source file: pdf or text.';
COMMENT ON COLUMN v_documents.source_pages IS 'Number of pages of a PDF source (NULL for text).';

-- v_capacities
COMMENT ON COLUMN v_capacities.certification_title IS 'Title of the CQPM référentiel or RNCP fiche the capacity belongs to.';

-- v_referentiel_versions (v_referentiels takes them over)
COMMENT ON COLUMN v_referentiel_versions.category IS 'Category of the CQPM (A, B, C, …) as printed, NULL when it prints none.';
COMMENT ON COLUMN v_referentiel_versions.level IS 'Level of the qualification as printed, NULL when it prints none.';

-- v_rncp_fiche_versions (v_rncp_fiches takes them over)
COMMENT ON COLUMN v_rncp_fiche_versions.validity IS 'Validity of the acquired components ("Validité des composantes acquises"), as printed.';
COMMENT ON COLUMN v_rncp_fiche_versions.french_polynesia IS 'Accessible in French Polynesia (NULL when the document does not say).';
COMMENT ON COLUMN v_rncp_fiche_versions.registration_journal_officiel IS 'Date of publication of the registration in the Journal officiel.';
COMMENT ON COLUMN v_rncp_fiche_versions.history_qualification_id IS 'Qualification identifier of the CQPM the fiche''s history names.';
COMMENT ON COLUMN v_rncp_fiche_versions.history_first_validated IS 'Year the CQPM the history names was first validated, as printed.';
COMMENT ON COLUMN v_rncp_fiche_versions.history_version_date IS 'Date of the CQPM version the history names.';
COMMENT ON COLUMN v_rncp_fiche_versions.history_category IS 'Category of the CQPM the history names, as printed.';

-- v_links
COMMENT ON COLUMN v_links.rncp IS 'RNCP code of the linked fiche (RNCP28242).';
COMMENT ON COLUMN v_links.cqpm IS 'CQPM number of the linked référentiel: printed, or inferred from the fiche history (cqpm_number_source).';
COMMENT ON COLUMN v_links.cqpm_number_source IS 'printed (the référentiel prints cqpm) or inferred (the fiche history names it and the capacities agree).';
COMMENT ON COLUMN v_links.method IS 'The evidence that decided the link: history, capacities or title.';
COMMENT ON COLUMN v_links.score IS 'Confidence 0..1: weighted mean of the evidence measured (history 0.4, capacities 0.4, title 0.2).';
COMMENT ON COLUMN v_links.history_score IS 'Agreement of the fiche history (CQPM number, identifier) with the référentiel, 0..1 (NULL when not measurable).';
COMMENT ON COLUMN v_links.capacity_score IS 'Similarity of the two lists of capacities, 0..1 (NULL when one side has none).';
COMMENT ON COLUMN v_links.title_score IS 'Similarity of the titles once the RNCP wrapping is removed, 0..1.';
COMMENT ON COLUMN v_links.reason IS 'Why the documents are linked, in words.';
COMMENT ON COLUMN v_links.mapped_capacities IS 'Number of RNCP capacities mapped to a CQPM capacity (rows of v_capacity_crosswalk with both sides).';
COMMENT ON COLUMN v_links.cqpm_printed_number IS 'The CQPM number the référentiel itself prints (NULL when it prints none).';
COMMENT ON COLUMN v_links.rncp_document_id IS 'document_id of the RNCP fiche.';
COMMENT ON COLUMN v_links.cqpm_document_id IS 'document_id of the CQPM référentiel.';
COMMENT ON COLUMN v_links.rncp_source IS 'Path the RNCP fiche was ingested from.';
COMMENT ON COLUMN v_links.cqpm_source IS 'Path the CQPM référentiel was ingested from.';

-- v_capacity_crosswalk
COMMENT ON COLUMN v_capacity_crosswalk.rncp IS 'RNCP code of the linked fiche.';
COMMENT ON COLUMN v_capacity_crosswalk.cqpm IS 'CQPM number of the linked référentiel (printed or inferred, as in v_links).';
COMMENT ON COLUMN v_capacity_crosswalk.rncp_position IS 'Position of the RNCP capacity in the fiche, 1-based (NULL: a CQPM capacity without counterpart).';
COMMENT ON COLUMN v_capacity_crosswalk.rncp_capacity IS 'Code of the RNCP capacity (C1, C2, …); NULL when the CQPM capacity has no counterpart.';
COMMENT ON COLUMN v_capacity_crosswalk.rncp_text IS 'Wording of the RNCP capacity.';
COMMENT ON COLUMN v_capacity_crosswalk.cqpm_position IS 'Position of the CQPM capacity in the référentiel table, 1-based (NULL: no counterpart).';
COMMENT ON COLUMN v_capacity_crosswalk.cqpm_capacity IS 'Number of the CQPM capacity it corresponds to (NULL: no counterpart).';
COMMENT ON COLUMN v_capacity_crosswalk.cqpm_text IS 'Wording of the CQPM capacity.';
COMMENT ON COLUMN v_capacity_crosswalk.score IS 'Similarity of the two wordings, 0..1 (NULL where one side is missing).';
COMMENT ON COLUMN v_capacity_crosswalk.reordered IS 'True when the two positions differ (NULL where one side is missing).';
COMMENT ON COLUMN v_capacity_crosswalk.rncp_document_id IS 'document_id of the RNCP fiche.';
COMMENT ON COLUMN v_capacity_crosswalk.cqpm_document_id IS 'document_id of the CQPM référentiel.';

-- v_quality_findings
COMMENT ON COLUMN v_quality_findings.severity IS 'error, warning or info.';
COMMENT ON COLUMN v_quality_findings.rule IS 'Name of the quality rule that fired (registration_expired, …).';
COMMENT ON COLUMN v_quality_findings.subject IS 'What the finding is about within the document (a capacity, a field, a linked document).';
COMMENT ON COLUMN v_quality_findings.message IS 'The finding in words.';
COMMENT ON COLUMN v_quality_findings.related_document_id IS 'The other document of a link rule (NULL for single-document rules).';
COMMENT ON COLUMN v_quality_findings.related_source_path IS 'Path of the related document''s source file.';
COMMENT ON COLUMN v_quality_findings.as_of IS 'Date time-dependent rules (registration_expired) were evaluated at.';

-- v_criteria_reuse
COMMENT ON COLUMN v_criteria_reuse.criterion_key IS 'Normalised text of the criterion (comparison key: case, œ/oe, apostrophes, markup, trailing punctuation folded).';
COMMENT ON COLUMN v_criteria_reuse.criterion IS 'One printed wording of the criterion (the first in text order).';
COMMENT ON COLUMN v_criteria_reuse.referentiels IS 'Number of référentiels (version keys) that use the criterion.';
COMMENT ON COLUMN v_criteria_reuse.documents IS 'Number of documents (all versions) that use it.';
COMMENT ON COLUMN v_criteria_reuse.occurrences IS 'Number of times it occurs over all documents and capacities.';
COMMENT ON COLUMN v_criteria_reuse.referentiel_keys IS 'Version keys of the référentiels that use it (v_versions.key).';
COMMENT ON COLUMN v_criteria_reuse.referentiel_titles IS 'Titles of the référentiels that use it.';

-- v_diff_runs and v_diff_changes
COMMENT ON COLUMN v_diff_runs.run_id IS 'Identifier of the comparison: sha256 of (old id, new id, differ), 16 hex digits.';
COMMENT ON COLUMN v_diff_runs.old_document_id IS 'document_id of the old version compared.';
COMMENT ON COLUMN v_diff_runs.new_document_id IS 'document_id of the new version compared.';
COMMENT ON COLUMN v_diff_runs.old_key IS 'Version key of the old document.';
COMMENT ON COLUMN v_diff_runs.old_version IS 'Version number of the old document within its key.';
COMMENT ON COLUMN v_diff_runs.new_key IS 'Version key of the new document.';
COMMENT ON COLUMN v_diff_runs.new_version IS 'Version number of the new document within its key.';
COMMENT ON COLUMN v_diff_runs.added IS 'Number of items added in the new version.';
COMMENT ON COLUMN v_diff_runs.removed IS 'Number of items removed from the old version.';
COMMENT ON COLUMN v_diff_runs.changed IS 'Number of items whose wording or value changed.';
COMMENT ON COLUMN v_diff_runs.moved IS 'Number of items that moved (same wording, another place).';
COMMENT ON COLUMN v_diff_runs.created_at IS 'When the comparison was stored (UTC).';
COMMENT ON COLUMN v_diff_changes.run_id IS 'The comparison the change belongs to (v_diff_runs.run_id).';
COMMENT ON COLUMN v_diff_changes.old_document_id IS 'document_id of the old version compared.';
COMMENT ON COLUMN v_diff_changes.new_document_id IS 'document_id of the new version compared.';
COMMENT ON COLUMN v_diff_changes.old_key IS 'Version key of the old document.';
COMMENT ON COLUMN v_diff_changes.old_version IS 'Version number of the old document within its key.';
COMMENT ON COLUMN v_diff_changes.new_key IS 'Version key of the new document.';
COMMENT ON COLUMN v_diff_changes.new_version IS 'Version number of the new document within its key.';
COMMENT ON COLUMN v_diff_changes.created_at IS 'When the comparison was stored (UTC).';
COMMENT ON COLUMN v_diff_changes.change_number IS 'Position of the change in the report, 1-based.';
COMMENT ON COLUMN v_diff_changes.entity IS 'What kind of item changed: capacity, criterion, condition, assessment, block or field.';
COMMENT ON COLUMN v_diff_changes.capacity IS 'Title of the CQPM capacity the item belongs to (NULL for other items).';
COMMENT ON COLUMN v_diff_changes.old_number IS 'Numbering of the item in the old version (8.3, C6, 2; NULL when added).';
COMMENT ON COLUMN v_diff_changes.new_number IS 'Numbering of the item in the new version (NULL when removed).';
COMMENT ON COLUMN v_diff_changes.old_page IS 'Page of the item in the old version (NULL for text sources or when added).';
COMMENT ON COLUMN v_diff_changes.new_page IS 'Page of the item in the new version (NULL for text sources or when removed).';
COMMENT ON COLUMN v_diff_changes.detail IS 'JSON: an added or removed capacity or block in full (NULL for other changes).';

-- v_rncp_continuity (schema_views_continuity.sql)
COMMENT ON COLUMN v_rncp_continuity.old_code IS 'RNCP code of the older certification (the edge''s origin).';
COMMENT ON COLUMN v_rncp_continuity.new_code IS 'RNCP code of the certification that replaces it.';
COMMENT ON COLUMN v_rncp_continuity.declared_by_old IS 'True when the old fiche names the new one ("Certification remplacée par" / NOUVELLES_CERTIFICATIONS).';
COMMENT ON COLUMN v_rncp_continuity.declared_by_new IS 'True when the new fiche names the old one ("Anciennes versions" / ANCIENNES_CERTIFICATIONS).';
COMMENT ON COLUMN v_rncp_continuity.old_document_id IS 'document_id of the old fiche''s latest version (NULL when it is not in the warehouse).';
COMMENT ON COLUMN v_rncp_continuity.new_document_id IS 'document_id of the new fiche''s latest version (NULL when it is not in the warehouse).';
COMMENT ON COLUMN v_rncp_continuity.old_title IS 'Title of the old fiche (NULL when it is not in the warehouse).';
COMMENT ON COLUMN v_rncp_continuity.new_title IS 'Title of the new fiche (NULL when it is not in the warehouse).';
COMMENT ON COLUMN v_rncp_continuity.old_active IS 'Whether the old fiche is active (NULL when unknown or not in the warehouse).';
COMMENT ON COLUMN v_rncp_continuity.new_active IS 'Whether the new fiche is active (NULL when unknown or not in the warehouse).';
COMMENT ON COLUMN v_rncp_continuity.one_sided IS 'True when both fiches are in the warehouse but only one of them declares the edge.';

-- v_branch_fiches (schema_views_continuity.sql)
COMMENT ON COLUMN v_branch_fiches.active IS 'Whether the fiche is active (NULL when the source does not say).';
COMMENT ON COLUMN v_branch_fiches.level IS 'Qualification level of the fiche, as given.';
COMMENT ON COLUMN v_branch_fiches.registration_end IS 'Date the RNCP registration ends.';
COMMENT ON COLUMN v_branch_fiches.by_siret IS 'Rule siret: a certifier has SIRET 78471719100018 (UIMM).';
COMMENT ON COLUMN v_branch_fiches.by_uimm_name IS 'Rule uimm_name: a certifier is named as the UIMM (older or 2025 name, or the word UIMM).';
COMMENT ON COLUMN v_branch_fiches.by_cpne IS 'Rule cpne: a certifier is the Commission paritaire nationale de l''emploi de la métallurgie.';
COMMENT ON COLUMN v_branch_fiches.by_ccn_3109 IS 'Rule ccn_3109: the fiche names the collective agreement 3109 (Métallurgie).';
COMMENT ON COLUMN v_branch_fiches.by_title_cqpm IS 'Rule title_cqpm: the title contains "(CQPM)".';
COMMENT ON COLUMN v_branch_fiches.title_cqp IS 'The title names a CQP (shown only: selects nothing alone, other branches have CQPs).';
COMMENT ON COLUMN v_branch_fiches.matched_rules IS 'The rules the fiche meets: siret, uimm_name, cpne, ccn_3109, title_cqpm.';
