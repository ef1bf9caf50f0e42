"""The canonical JSON of a document (the contract of ``refpipe show DOC --json``).

``show`` rebuilds a ``Document`` from the warehouse tables and renders it here, so this module is
the one place where the contract's shape is written down in code.
"""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

import orjson

from pipeline.records import CodedText, CqpmDocument, Document, RncpFiche, TextItem

JSON = dict[str, Any]


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def _texts(items: tuple[TextItem, ...]) -> list[str]:
    return [i.text for i in items]


def _coded(items: tuple[CodedText, ...], value: str) -> list[dict[str, str | None]]:
    return [{"code": i.code or None, value: i.text} for i in items]  # "" = unnumbered (version 2)


def cqpm_to_json(c: CqpmDocument) -> JSON:
    return {
        "number": c.number,
        "qualification_id": c.qualification_id,
        "category": c.category,
        "last_modified": _iso(c.last_modified),
        "level": c.level,
        "title": c.title,
        "objective": c.objective,
        "missions": _texts(c.missions),
        "layout": c.layout,
        "activities": [{"title": a.title, "text": a.text} for a in c.activities],
        "environment": c.environment,
        "interactions": c.interactions,
        "blocks": [{"number": b.number, "code": b.code, "title": b.title, "capacities": list(b.capacities)}
                   for b in c.blocks],
        "capacities": [
            {
                "number": cap.number,
                "title": cap.title,
                "block": cap.block,
                "knowledge": _texts(cap.knowledge),
                "conditions": _texts(cap.conditions),
                "criteria": _texts(cap.criteria),
                "expected_results": _texts(cap.expected_results),
                "assessment": _texts(cap.assessment),
            }
            for cap in c.capacities
        ],
        "assessment_methods": _texts(c.assessment_methods),
    }


def rncp_to_json(r: RncpFiche) -> JSON:
    reg, hist = r.registration, r.history
    return {
        "code": r.code,
        "title": r.title,
        "certifiers": _texts(r.certifiers),
        "conventions": _coded(r.conventions, "label"),
        "nsf": _coded(r.nsf, "label"),
        "formacodes": [f.code if not f.text else f"{f.code} {f.text}" for f in r.formacodes],
        "activities": _coded(r.activities, "text"),
        "capacities": _coded(r.capacities, "text"),
        "jobs": _texts(r.jobs),
        "rome": _coded(r.rome, "label"),
        "blocks": [
            {
                "number": b.number,
                "code": b.code,
                "title": b.title,
                "capacities": list(b.capacities),
                "competences": [c.text for c in b.competences],
                "assessment": b.assessment,
            }
            for b in r.blocks
        ],
        "validity": r.validity,
        "new_caledonia": r.new_caledonia,
        "french_polynesia": r.french_polynesia,
        "registration": {
            "decision": _iso(reg.decision),
            "journal_officiel": _iso(reg.journal_officiel),
            "effective": _iso(reg.effective),
            "end": _iso(reg.end),
            "start_of_pathways": _iso(reg.start_of_pathways),
        },
        "awards_per_year": r.awards_per_year,
        "history": {
            "cqpm_number": hist.cqpm_number,
            "qualification_id": hist.qualification_id,
            "first_validated": hist.first_validated,
            "version_date": _iso(hist.version_date),
            "category": hist.category,
        },
        "active": r.active,
        "state": r.state,
        "level": r.level,
        "certifier_details": [{"name": c.name, "siret": c.siret, "active": c.active} for c in r.certifier_details],
        "objectives": r.objectives,
        "access_routes": [{"route": a.route, "open": a.open, "jury": a.jury} for a in r.access_routes],
        "statistics": [
            {"year": s.year, "certified": s.certified, "certified_vae": s.certified_vae,
             "employment_6m": s.employment_6m, "job_2y": s.job_2y}
            for s in r.statistics
        ],
        "replaces": list(r.replaces),
        "replaced_by": list(r.replaced_by),
        "partners": [{"name": p.name, "siret": p.siret, "habilitation": p.habilitation, "state": p.state}
                     for p in r.partners],
    }


def content_json(doc: Document) -> JSON:
    """What a document says, without where it was read from (source, status, reasons, provenance)."""
    return {
        "kind": doc.kind.value,
        "cqpm": cqpm_to_json(doc.cqpm) if doc.cqpm else None,
        "rncp": rncp_to_json(doc.rncp) if doc.rncp else None,
    }


def canonical_json(content: JSON) -> bytes:
    """The canonical bytes of a JSON value: keys sorted, no spaces, UTF-8 unescaped — the bytes of
    ``json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))``, written by orjson in C
    (~10× faster; the ids of existing warehouses stay the same: tests/test_contract_ids.py)."""
    return orjson.dumps(content, option=orjson.OPT_SORT_KEYS)


def content_id(doc: Document) -> str:
    """The document's identity: sha256 of its canonical content JSON, first 16 hex digits."""
    return content_hash(canonical_json(content_json(doc)))


#: the CQPM header block ("Qualification :", "Catégorie :", "Dernière modification :" and the number in the
#: running header): printed by some renderings of a référentiel and left out by others (its text version)
HEADER_FIELDS = ("number", "qualification_id", "category", "last_modified")


def body_id(doc: Document) -> str:
    """``content_id`` without the CQPM header fields: two renderings of one référentiel, one printing the
    header block and one not, have the same body id (``pipeline.load.warehouse`` makes them one document
    when their headers do not contradict each other).  An RNCP fiche's body id is its content id."""
    content = content_json(doc)
    if isinstance(content.get("cqpm"), dict):
        content = {**content, "cqpm": {**content["cqpm"], **dict.fromkeys(HEADER_FIELDS)}}
    return content_hash(canonical_json(content))


def content_hash(text: str | bytes) -> str:
    """``content_id`` of a document whose canonical content JSON (sorted keys, no spaces) is ``text``."""
    return hashlib.sha256(text.encode("utf-8") if isinstance(text, str) else text).hexdigest()[:16]


def document_to_json(doc: Document) -> JSON:
    return {
        "id": doc.id,
        "kind": doc.kind.value,
        "status": doc.status.value,
        "reasons": list(doc.reasons),
        "source": {
            "path": doc.source.path,
            "sha256": doc.source.sha256,
            "format": doc.source.format,
            "pages": doc.source.pages,
        },
        "cqpm": cqpm_to_json(doc.cqpm) if doc.cqpm else None,
        "rncp": rncp_to_json(doc.rncp) if doc.rncp else None,
    }
