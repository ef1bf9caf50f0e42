"""An RNCP fiche's rows, column by column (``columns.ColumnBatch``): the one mapping of a fiche to its tables.

``warehouse.document_rows`` (one document) and the export import (thousands of fiches a batch) both build a
fiche's rows here; each list of the record is appended with a few ``extend`` calls, not one dict a row.
Provenance: each list row carries its item's place (``ord`` its rank in the list, ``reading_order`` the
line or order the front end gave, page and box when known); a bloc's capacities and compétences carry
the bloc's; continuity rows have no place of their own (their rank).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pipeline.load import tables
from pipeline.load.columns import ColumnBatch, Columns
from pipeline.load.versions import VersionInfo
from pipeline.records import CodedText, Document, Provenance, RncpFiche, TextItem

T = tables.TABLES
CERTIFIERS, CONVENTIONS, NSF, FORMACODES = (T["rncp_certifiers"], T["rncp_conventions"], T["rncp_nsf"],
                                            T["rncp_formacodes"])
ACTIVITIES, CAPACITIES, JOBS, ROME = T["rncp_activities"], T["rncp_capacities"], T["rncp_jobs"], T["rncp_rome"]
BLOCK_CAPACITIES, BLOCK_COMPETENCES = T["rncp_block_capacities"], T["rncp_block_competences"]
CERTIFIER_DETAILS, ACCESS_ROUTES, STATISTICS = (T["rncp_certifier_details"], T["rncp_access_routes"],
                                                T["rncp_statistics"])
CONTINUITY, PARTNERS = T["rncp_continuity"], T["rncp_partners"]


def _ranked(provs: Sequence[Provenance | None]) -> list[Provenance]:
    """Each item's provenance, or its rank when the front end gave none."""
    return [p if p is not None else Provenance(page=None, order=k) for k, p in enumerate(provs)]


def _coded(c: Columns, doc: str, sha: str, items: Sequence[CodedText], value: str) -> None:
    if items:
        c.list_rows(doc, sha, [i.prov for i in items], {"code": [i.code for i in items],
                                                         value: [i.text for i in items]})


def _texts(c: Columns, doc: str, sha: str, items: Sequence[TextItem]) -> None:
    if items:
        c.list_rows(doc, sha, [i.prov for i in items], {"text": [i.text for i in items]})


def fiche_rows(batch: ColumnBatch, document_id: str, source_sha256: str, r: RncpFiche) -> None:
    """Append every row of fiche ``r`` (document ``document_id``, read from ``source_sha256``) to ``batch``;
    the ``documents`` row is the caller's (it carries the version)."""
    doc, sha = document_id, source_sha256
    reg, hist = r.registration, r.history
    fiche = batch[tables.RNCP_FICHES]
    for name, value in (
            ("document_id", doc), ("source_sha256", sha), ("code", r.code), ("title", r.title),
            ("validity", r.validity), ("new_caledonia", r.new_caledonia), ("french_polynesia", r.french_polynesia),
            ("registration_decision", reg.decision), ("registration_journal_officiel", reg.journal_officiel),
            ("registration_effective", reg.effective), ("registration_end", reg.end),
            ("awards_per_year", r.awards_per_year), ("history_cqpm_number", hist.cqpm_number),
            ("history_qualification_id", hist.qualification_id), ("history_first_validated", hist.first_validated),
            ("history_version_date", hist.version_date), ("history_category", hist.category),
            ("active", r.active), ("state", r.state), ("level", r.level), ("objectives", r.objectives),
            ("registration_start_of_pathways", reg.start_of_pathways), ("activities_raw", r.activities_raw),
            ("capacities_raw", r.capacities_raw)):
        fiche.values[name].append(value)
    fiche.count += 1
    _texts(batch[CERTIFIERS], doc, sha, r.certifiers)
    _coded(batch[CONVENTIONS], doc, sha, r.conventions, "label")
    _coded(batch[NSF], doc, sha, r.nsf, "label")
    _coded(batch[FORMACODES], doc, sha, r.formacodes, "label")
    _coded(batch[ROME], doc, sha, r.rome, "label")
    _coded(batch[ACTIVITIES], doc, sha, r.activities, "text")
    _coded(batch[CAPACITIES], doc, sha, r.capacities, "text")
    _texts(batch[JOBS], doc, sha, r.jobs)
    blocks = r.blocks
    if blocks:
        batch[tables.RNCP_BLOCKS].list_rows(doc, sha, [b.prov for b in blocks], {
            "number": [b.number for b in blocks], "title": [b.title for b in blocks],
            "code": [b.code for b in blocks], "assessment": [b.assessment for b in blocks],
            "split_method": [b.split_method for b in blocks], "competences_raw": [b.competences_raw for b in blocks]})
        members, competences = batch[BLOCK_CAPACITIES], batch[BLOCK_COMPETENCES]
        for k, b in enumerate(blocks):
            if b.capacities:
                n = len(b.capacities)
                members.list_rows(doc, sha, [b.prov] * n, {"block_ord": [k] * n, "block_number": [b.number] * n,
                                                          "capacity_code": b.capacities})
            if b.competences:
                n = len(b.competences)
                competences.list_rows(doc, sha, [b.prov] * n, {
                    "block_ord": [k] * n, "block_number": [b.number] * n,
                    "code": [c.code for c in b.competences], "text": [c.text for c in b.competences]})
    _v2_rows(batch, doc, sha, r)


def _v2_rows(batch: ColumnBatch, doc: str, sha: str, r: RncpFiche) -> None:
    """The lists of today's fiche (version 2): certifier details, access routes, statistics, continuity,
    partners (empty on a 2017 print)."""
    if details := r.certifier_details:
        batch[CERTIFIER_DETAILS].list_rows(doc, sha, _ranked([c.prov for c in details]), {
            "name": [c.name for c in details], "siret": [c.siret for c in details],
            "active": [c.active for c in details]})
    if routes := r.access_routes:
        batch[ACCESS_ROUTES].list_rows(doc, sha, _ranked([a.prov for a in routes]), {
            "route": [a.route for a in routes], "open": [a.open for a in routes], "jury": [a.jury for a in routes]})
    if stats := r.statistics:
        batch[STATISTICS].list_rows(doc, sha, _ranked([s.prov for s in stats]), {
            "year": [s.year for s in stats], "certified": [s.certified for s in stats],
            "certified_vae": [s.certified_vae for s in stats], "employment_6m": [s.employment_6m for s in stats],
            "job_2y": [s.job_2y for s in stats]})
    links = [("replaces", c) for c in r.replaces] + [("replaced_by", c) for c in r.replaced_by]
    if links:
        batch[CONTINUITY].list_rows(doc, sha, _ranked([None] * len(links)), {
            "direction": [d for d, _ in links], "code": [c for _, c in links]})
    if partners := r.partners:
        batch[PARTNERS].list_rows(doc, sha, _ranked([p.prov for p in partners]), {
            "name": [p.name for p in partners], "siret": [p.siret for p in partners],
            "habilitation": [p.habilitation for p in partners], "state": [p.state for p in partners]})


def document_row(batch: ColumnBatch, document: Document, version: VersionInfo, loaded_at: datetime) -> None:
    """Append the ``documents`` row of an RNCP fiche with its version (what ``warehouse.document_rows`` and
    ``versions.with_version`` give it; its body id is its content id: a fiche has no header block)."""
    values = batch[tables.DOCUMENTS].values
    for name, value in (("id", document.id), ("source_sha256", document.source.sha256),
                        ("kind", document.kind.value), ("status", document.status.value),
                        ("reasons", list(document.reasons)), ("key", version.key), ("version", str(version.version)),
                        ("valid_from", version.valid_from), ("loaded_at", loaded_at),
                        ("previous_id", version.previous_id), ("body_id", document.id)):
        values[name].append(value)
    batch[tables.DOCUMENTS].count += 1
