"""Continuity old -> new from both sides, one-sided declarations as findings, and the current successor,
on fiche pages read from the fixtures."""

from __future__ import annotations

from golden import FIXTURES

from pipeline.link.continuity import (
    ONE_SIDED,
    Edge,
    FicheContinuity,
    chain,
    continuity_edges,
    current_of,
    of_document,
    one_sided_findings,
)
from pipeline.parse import extract_document

PAGES = FIXTURES / "rncp-page"
FILES = ["RNCP28301.nfiche.txt", "RNCP34917.html", "RNCP39958.pipes-leading.md", "RNCP37001.pipes.md"]


def fiches() -> dict[str, FicheContinuity]:
    out = {}
    for name in FILES:
        f = of_document(extract_document(PAGES / name))
        assert f is not None
        out[f.code] = f
    return out


def test_graph_is_built_from_both_sides_and_says_who_declared_each_edge() -> None:
    edges = continuity_edges(fiches().values())
    assert edges == [
        # only 34917's "Anciennes versions" names the edge
        Edge("RNCP28301", "RNCP34917", declared_by_old=False, declared_by_new=True),
        # 34917's "Certification remplacée par" and 39958's "Anciennes versions"
        Edge("RNCP34917", "RNCP39958", declared_by_old=True, declared_by_new=True),
    ]


def test_one_sided_declaration_is_a_finding_when_both_fiches_are_known() -> None:
    known = fiches()
    edges = continuity_edges(known.values())
    findings = one_sided_findings(edges, known)
    assert [(f.rule, f.subject, f.document_id, f.related_document_id) for f in findings] == [
        (ONE_SIDED, "continuity RNCP28301 -> RNCP34917", known["RNCP34917"].document_id,
         known["RNCP28301"].document_id)]
    assert "RNCP28301 does not name RNCP34917" in findings[0].message
    # the old fiche not in the warehouse: nobody to ask, no finding
    del known["RNCP28301"]
    assert one_sided_findings(edges, known) == []


def test_expired_fiche_resolves_to_its_current_successor() -> None:
    known = fiches()
    edges = continuity_edges(known.values())
    active = {c: f.active for c, f in known.items()}
    assert current_of("RNCP28301", edges, active) == ("RNCP39958",)
    assert chain("RNCP28301", "RNCP39958", edges) == ("RNCP28301", "RNCP34917", "RNCP39958")
    assert current_of("RNCP39958", edges, active) == ("RNCP39958",)  # in force: itself
    assert current_of("RNCP37001", edges, active) == ("RNCP37001",)  # no continuity at all


def test_split_fiche_prefers_active_ends_and_cycles_stop() -> None:
    edges = [Edge("A", "B", True, False), Edge("A", "C", True, True), Edge("C", "A", False, True)]
    assert current_of("A", edges, {"B": False, "C": True}) == ("C",)
    assert current_of("A", edges, {}) == ("B", "C")  # C leads back to A: the chain ends at C
