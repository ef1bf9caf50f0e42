"""Continuity between RNCP fiches: which fiche replaced which (old -> new), from both sides (pure).

A fiche declares its predecessors (``replaces``: the export's ANCIENNES_CERTIFICATIONS, the page's
"Anciennes versions de la certification professionnelle") and its successors (``replaced_by``: the
export's NOUVELLES_CERTIFICATIONS, the page's "Certification remplacée par").  Either side alone is
enough to draw the edge old -> new: the graph is the union of both sides' declarations, each edge
saying who declared it.  When both fiches are known and only one of them declares the edge, the other
is out of step: a ``continuity_one_sided`` data-quality finding (on the fiche that declares it, the
silent one as the related document).  A fiche that is not in the warehouse cannot be asked, so its
edges are never findings.

``current_of`` resolves an expired fiche to the fiche(s) in force today: follow the successors to
the end of every chain (cycles stop), and prefer the ends that are active.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from pipeline.link.findings import WARNING
from pipeline.records import Document, Finding, Provenance

ONE_SIDED = "continuity_one_sided"


@dataclass(frozen=True)
class FicheContinuity:
    """What one fiche (its latest version) declares, and what a finding about it needs."""

    code: str
    document_id: str
    source_sha256: str
    source_path: str
    active: bool | None = None
    replaces: tuple[str, ...] = ()
    replaced_by: tuple[str, ...] = ()
    prov: Provenance | None = None


def of_document(doc: Document) -> FicheContinuity | None:
    """The continuity a parsed fiche declares (None for a référentiel)."""
    if doc.rncp is None:
        return None
    r = doc.rncp
    return FicheContinuity(code=r.code, document_id=doc.id, source_sha256=doc.source.sha256,
                           source_path=doc.source.path, active=r.active, replaces=r.replaces,
                           replaced_by=r.replaced_by)


@dataclass(frozen=True)
class Edge:
    old: str
    new: str
    declared_by_old: bool  # the old fiche names the new one as its successor ("remplacée par")
    declared_by_new: bool  # the new fiche names the old one among the certifications it replaces


def continuity_edges(fiches: Iterable[FicheContinuity]) -> list[Edge]:
    """Every old -> new edge either side declares, ordered by (old, new); a fiche naming itself is dropped."""
    by_old: dict[tuple[str, str], list[bool]] = {}
    for f in fiches:
        for new in f.replaced_by:
            if new != f.code:
                by_old.setdefault((f.code, new), [False, False])[0] = True
        for old in f.replaces:
            if old != f.code:
                by_old.setdefault((old, f.code), [False, False])[1] = True
    return [Edge(old, new, flags[0], flags[1]) for (old, new), flags in sorted(by_old.items())]


def one_sided_findings(edges: Iterable[Edge], fiches: Mapping[str, FicheContinuity]) -> list[Finding]:
    """A finding for each edge both of whose fiches are known but only one declares."""
    out: list[Finding] = []
    for e in edges:
        old, new = fiches.get(e.old), fiches.get(e.new)
        if old is None or new is None or e.declared_by_old == e.declared_by_new:
            continue
        if e.declared_by_old:
            says, silent = old, new
            message = (f"{e.old} says it is replaced by {e.new}, but {e.new} does not name {e.old} among the "
                       "certifications it replaces")
        else:
            says, silent = new, old
            message = (f"{e.new} says it replaces {e.old}, but {e.old} does not name {e.new} as the "
                       "certification that replaced it")
        out.append(Finding(rule=ONE_SIDED, severity=WARNING, document_id=says.document_id,
                           subject=f"continuity {e.old} -> {e.new}", message=message,
                           source_sha256=says.source_sha256, source_path=says.source_path, prov=says.prov,
                           related_document_id=silent.document_id))
    return out


def successors(edges: Iterable[Edge]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for e in edges:
        out.setdefault(e.old, []).append(e.new)
    return out


def current_of(code: str, edges: Iterable[Edge], active: Mapping[str, bool | None]) -> tuple[str, ...]:
    """The fiche(s) in force for ``code``: the ends of its successor chains (itself when it has none).

    Among several ends (a fiche split in two, or a chain that runs into a fiche the warehouse lacks),
    the active ones are preferred; ends are in code order.  A cycle ends where it comes back.
    """
    nxt = successors(edges)
    ends: set[str] = set()
    seen = {code}
    stack = [code]
    while stack:
        node = stack.pop()
        follow = [n for n in nxt.get(node, ()) if n not in seen]
        if not follow:
            ends.add(node)
        for n in follow:
            seen.add(n)
            stack.append(n)
    alive = sorted(e for e in ends if active.get(e) is True)
    return tuple(alive) if alive else tuple(sorted(ends))


def chain(code: str, current: str, edges: Iterable[Edge]) -> tuple[str, ...]:
    """The path code -> … -> current through the successor edges (shortest), ``(code,)`` when equal."""
    nxt = successors(edges)
    paths: dict[str, tuple[str, ...]] = {code: (code,)}
    queue = [code]
    while queue:
        node = queue.pop(0)
        if node == current:
            return paths[node]
        for n in nxt.get(node, ()):
            if n not in paths:
                paths[n] = (*paths[node], n)
                queue.append(n)
    return (code,)
