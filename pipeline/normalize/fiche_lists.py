"""Split the list texts a front end left whole (``*_raw`` of an export fiche) into the fiche's items.

Blocs get their ``competences`` (top-level items, nested ones inside) and ``split_method``; the fiche
gets ``activities`` and ``capacities`` (code = the printed number or code, "" when unnumbered).  The raw
texts stay on the record (kept in the warehouse beside the items).  Documents without raw texts
(2017 prints, the fiche page's lists) are returned unchanged.
"""

from __future__ import annotations

import dataclasses
from functools import lru_cache

from pipeline.normalize.competences import split_list
from pipeline.records import CodedText, Competence, Document, Provenance, RncpBlock, RncpFiche


@lru_cache(maxsize=8192)  # lists repeat across fiches (a certifier's fiches share blocs): split each text once
def _split(raw: str | None) -> tuple[tuple[Competence, ...], str]:
    return split_list(raw)


def _coded(raw: str | None, prov: Provenance) -> tuple[CodedText, ...]:
    return tuple(CodedText(code=c.code or "", text=c.text, prov=prov) for c in _split(raw)[0])


def _block(b: RncpBlock) -> RncpBlock:
    if b.competences_raw is None or b.competences:
        return b
    competences, method = _split(b.competences_raw)
    return dataclasses.replace(b, competences=competences, split_method=method)


def split_fiche(fiche: RncpFiche, prov: Provenance | None = None) -> RncpFiche:
    where = prov or Provenance(None, 0)
    changes: dict[str, object] = {}
    if fiche.activities_raw is not None and not fiche.activities:
        changes["activities"] = _coded(fiche.activities_raw, where)
    if fiche.capacities_raw is not None and not fiche.capacities:
        changes["capacities"] = _coded(fiche.capacities_raw, where)
    if any(b.competences_raw is not None and not b.competences for b in fiche.blocks):
        changes["blocks"] = tuple(_block(b) for b in fiche.blocks)
    return dataclasses.replace(fiche, **changes) if changes else fiche  # type: ignore[arg-type]


def split_lists(document: Document) -> Document:
    if document.rncp is None:
        return document
    fiche = split_fiche(document.rncp, document.rncp.jobs[0].prov if document.rncp.jobs else None)
    return document if fiche is document.rncp else dataclasses.replace(document, rncp=fiche)
