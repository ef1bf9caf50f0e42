"""The structured diff of two versions of a document: ``diff_documents(old, new) -> (Change, …)``.

Capacities, blocks and list items are matched by content (``match.py``), never by position, so a
renumbered capacity is ``moved`` and keeps its criteria diff; only items that differ after the
contract's normalisation are reported.  Conventions (those of the corpus' ``expected_diff.json``):

* CQPM capacities are keyed by their old number (``capacity 3``; an added one by its new number) and
  named by title; a matched capacity whose number differs is ``moved`` (old/new = the two numbers).
* Criteria, conditions and assessments are diffed inside each pair of matched capacities; positions
  are 1-based, old positions for changed/removed items and new positions for added ones.  The items of
  an added or removed capacity are not reported one by one: they are in the change's ``detail``.
* RNCP capacities are keyed by code (a matched capacity with another code is ``moved``), blocks by
  ``block N``; a block whose capacity set changed is a ``changed`` block with the two lists.
* Order: metadata fields first, then the items in the new version's reading order (a removed item
  right after the item that preceded it in the old version).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Protocol

from pipeline.diff.changes import Locus
from pipeline.diff.fields import (
    coded_by_code,
    coded_by_text,
    cqpm_scalar_changes,
    reading_order,
    rncp_scalars,
    rncp_v2_scalar_changes,
    scalar_changes,
    text_list_changes,
    texts,
)
from pipeline.diff.match import (
    CAPACITY_THRESHOLD,
    CAPACITY_TITLE_ALONE,
    TEXT_THRESHOLD,
    Matching,
    match,
    match_texts,
    same_text,
    text_score,
    text_similarity,
    word_similarity,
    words,
)
from pipeline.errors import PipelineError
from pipeline.records import (
    Change,
    ChangeKind,
    CodedText,
    CqpmCapacity,
    CqpmDocument,
    DetailValue,
    Document,
    Entity,
    Provenance,
    RncpBlock,
    RncpFiche,
    TextItem,
)

#: a split: each new part's title words are mostly (this share) words of the old capacity's title
SPLIT_COVERAGE = 0.7


class DiffError(PipelineError):
    """The two documents cannot be compared (a CQPM référentiel against an RNCP fiche)."""


def diff_documents(old: Document, new: Document) -> tuple[Change, ...]:
    """Every difference between ``old`` and ``new`` (two versions of one référentiel or fiche)."""
    if old.kind is not new.kind:
        raise DiffError(f"cannot compare a {old.kind.value} document ({old.id}) with a {new.kind.value} "
                        f"document ({new.id}): a diff compares two versions of the same kind")
    if old.cqpm is not None and new.cqpm is not None:
        return tuple(cqpm_changes(old.cqpm, new.cqpm))
    if old.rncp is not None and new.rncp is not None:
        return tuple(rncp_changes(old.rncp, new.rncp))
    raise DiffError(f"document {old.id if old.cqpm is None and old.rncp is None else new.id} has no content")


# ---------------------------------------------------------------------------------------------- CQPM


def _body(c: CqpmCapacity) -> tuple[str, ...]:
    return tuple(w for item in (*c.conditions, *c.criteria) for w in words(item.text))


def capacity_score(a: CqpmCapacity, b: CqpmCapacity) -> float | None:
    """Mean of title and body similarity (title alone when a side has no body); None if too far."""
    title = text_similarity(a.title, b.title)
    body_a, body_b = _body(a), _body(b)
    score = (title + word_similarity(body_a, body_b)) / 2 if body_a and body_b else title
    return score if score >= CAPACITY_THRESHOLD or title >= CAPACITY_TITLE_ALONE else None


def capacity_detail(c: CqpmCapacity) -> tuple[tuple[str, DetailValue], ...]:
    detail: tuple[tuple[str, DetailValue], ...] = (
        ("number", c.number), ("title", c.title), ("conditions", tuple(t.text for t in c.conditions)),
        ("criteria", tuple(t.text for t in c.criteria)), ("assessment", tuple(t.text for t in c.assessment)))
    if c.block is not None:
        detail += (("block", c.block),)
    if c.knowledge:
        detail += (("knowledge", tuple(t.text for t in c.knowledge)),)
    if c.expected_results:
        detail += (("expected_results", tuple(t.text for t in c.expected_results)),)
    return detail


def _covered(part: str, whole: str) -> float:
    """Share of ``part``'s title words that ``whole``'s title has."""
    mine, theirs = words(part), set(words(whole))
    return sum(w in theirs for w in mine) / len(mine) if mine else 0.0


def unsplit(m: Matching, old: Sequence[CqpmCapacity], new: Sequence[CqpmCapacity]) -> Matching:
    """A capacity split in two reads as the old one removed and both new ones added (the contract):
    an old capacity matched to one new capacity, while another, unmatched new capacity also takes
    its title words from it (and neither new title is the old one)."""
    pairs, removed, added = list(m.pairs), list(m.removed), list(m.added)
    for pair in m.pairs:
        a, b = old[pair.old], new[pair.new]
        if text_similarity(a.title, b.title) >= CAPACITY_TITLE_ALONE or _covered(b.title, a.title) < SPLIT_COVERAGE:
            continue
        other = next((j for j in added if _covered(new[j].title, a.title) >= SPLIT_COVERAGE
                      and text_similarity(a.title, new[j].title) < CAPACITY_TITLE_ALONE), None)
        if other is None:
            continue
        pairs.remove(pair)
        removed.append(pair.old)
        added.append(pair.new)
    return Matching(pairs=tuple(pairs), removed=tuple(sorted(removed)), added=tuple(sorted(added)))


def cqpm_changes(old: CqpmDocument, new: CqpmDocument) -> list[Change]:
    out = cqpm_scalar_changes(old, new)
    out += text_list_changes("missions", old.missions, new.missions)
    m = unsplit(match(old.capacities, new.capacities, capacity_score), old.capacities, new.capacities)
    for i, j in reading_order(m):
        a = old.capacities[i] if i is not None else None
        b = new.capacities[j] if j is not None else None
        if a is not None and b is not None:
            out += _capacity_pair(a, b)
        elif b is not None:
            at = Locus(new_number=str(b.number), new_prov=b.prov, capacity=b.title)
            out.append(at.change(ChangeKind.ADDED, Entity.CAPACITY, f"capacity {b.number}", None, b.title,
                                 capacity_detail(b)))
        elif a is not None:
            at = Locus(old_number=str(a.number), old_prov=a.prov, capacity=a.title)
            out.append(at.change(ChangeKind.REMOVED, Entity.CAPACITY, f"capacity {a.number}", a.title, None,
                                 capacity_detail(a)))
    out += _blocks(old.blocks, new.blocks)
    out += text_list_changes("assessment_methods", old.assessment_methods, new.assessment_methods)
    return out


def _capacity_pair(a: CqpmCapacity, b: CqpmCapacity) -> list[Change]:
    key = f"capacity {a.number}"
    at = Locus(str(a.number), str(b.number), a.prov, b.prov, capacity=b.title)
    out: list[Change] = []
    if a.number != b.number:
        out.append(at.change(ChangeKind.MOVED, Entity.CAPACITY, key, a.number, b.number))
    if not same_text(a.title, b.title):
        out.append(at.change(ChangeKind.CHANGED, Entity.CAPACITY, key, a.title, b.title))
    for entity, name, old_items, new_items in (
        (Entity.CONDITION, "condition", a.conditions, b.conditions),
        (Entity.CRITERION, "criterion", a.criteria, b.criteria),
        (Entity.ASSESSMENT, "assessment", a.assessment, b.assessment),
        (Entity.KNOWLEDGE, "knowledge", a.knowledge, b.knowledge),
        (Entity.EXPECTED_RESULT, "expected result", a.expected_results, b.expected_results),
    ):
        out += _items(entity, name, a, b, old_items, new_items)
    return out


def _items(entity: Entity, name: str, a: CqpmCapacity, b: CqpmCapacity, old: Sequence[TextItem],
           new: Sequence[TextItem]) -> list[Change]:
    out: list[Change] = []
    for i, j in reading_order(match_texts([t.text for t in old], [t.text for t in new])):
        x = old[i] if i is not None else None
        y = new[j] if j is not None else None
        if x is not None and y is not None and same_text(x.text, y.text):
            continue
        kind = ChangeKind.CHANGED if x and y else ChangeKind.REMOVED if x else ChangeKind.ADDED
        position = (i if i is not None else j or 0) + 1
        at = Locus(f"{a.number}.{i + 1}" if i is not None else None,
                   f"{b.number}.{j + 1}" if j is not None else None,
                   x.prov if x else None, y.prov if y else None, capacity=b.title)
        out.append(at.change(kind, entity, f"capacity {a.number}, {name} {position}",
                             x.text if x else None, y.text if y else None))
    return out


# ---------------------------------------------------------------------------------------------- RNCP


def rncp_changes(old: RncpFiche, new: RncpFiche) -> list[Change]:
    out = scalar_changes(rncp_scalars(old), rncp_scalars(new))
    out += text_list_changes("certifiers", old.certifiers, new.certifiers)
    for path in ("conventions", "nsf", "formacodes", "rome"):
        out += coded_by_code(path, getattr(old, path), getattr(new, path))
    out += text_list_changes("jobs", old.jobs, new.jobs)
    out += coded_by_text("activities", old.activities, new.activities)
    out += _rncp_capacities(old.capacities, new.capacities)
    out += _blocks(old.blocks, new.blocks)
    out += rncp_v2_scalar_changes(old, new)
    for path, side in (("certifier_details", _certifier_lines), ("replaces", lambda r: r.replaces),
                       ("replaced_by", lambda r: r.replaced_by), ("partners", _partner_lines)):
        out += text_list_changes(path, texts(side(old)), texts(side(new)))
    return out


def _certifier_lines(r: RncpFiche) -> tuple[str, ...]:
    state = {True: "actif", False: "inactif", None: ""}
    return tuple(" · ".join(x for x in (c.name, c.siret or "", state[c.active]) if x) for c in r.certifier_details)


def _partner_lines(r: RncpFiche) -> tuple[str, ...]:
    return tuple(" · ".join(x for x in (p.name, p.siret or "", p.habilitation or "", p.state or "") if x)
                 for p in r.partners)


def _rncp_capacities(old: Sequence[CodedText], new: Sequence[CodedText]) -> list[Change]:
    def score(a: CodedText, b: CodedText) -> float | None:
        s = text_score(a.text, b.text)
        return None if s is None else s + (1e-6 if a.code == b.code else 0.0)  # ties: same code first

    out: list[Change] = []
    for i, j in reading_order(match(old, new, score)):
        a = old[i] if i is not None else None
        b = new[j] if j is not None else None
        at = Locus(a.code if a else None, b.code if b else None, a.prov if a else None, b.prov if b else None)
        if a is not None and b is not None:
            if a.code != b.code:
                out.append(at.change(ChangeKind.MOVED, Entity.CAPACITY, a.code, a.code, b.code))
            if not same_text(a.text, b.text):
                out.append(at.change(ChangeKind.CHANGED, Entity.CAPACITY, a.code, a.text, b.text))
        elif b is not None:
            out.append(at.change(ChangeKind.ADDED, Entity.CAPACITY, b.code, None, b.text))
        elif a is not None:
            out.append(at.change(ChangeKind.REMOVED, Entity.CAPACITY, a.code, a.text, None))
    return out


class _Block(Protocol):
    """A bloc de compétences of either kind (an RNCP fiche's, a newer-layout référentiel's)."""

    @property
    def number(self) -> int: ...
    @property
    def title(self) -> str: ...
    @property
    def capacities(self) -> tuple[str, ...] | tuple[int, ...]: ...
    @property
    def prov(self) -> Provenance: ...


def _members(b: _Block) -> tuple[str, ...]:
    return tuple(str(c) for c in b.capacities)


def block_score(a: _Block, b: _Block) -> float | None:
    """A block is its title and its capacity set: the better of title similarity and set overlap."""
    sa, sb = set(_members(a)), set(_members(b))
    overlap = len(sa & sb) / len(sa | sb) if sa | sb else 0.0
    score = max(text_similarity(a.title, b.title), overlap)
    return score if score >= TEXT_THRESHOLD else None


def _block_detail(b: _Block) -> tuple[tuple[str, DetailValue], ...]:
    detail: tuple[tuple[str, DetailValue], ...] = (("number", b.number), ("title", b.title),
                                                   ("capacities", _members(b)))
    if isinstance(b, RncpBlock) and (b.code or b.competences):  # version 2
        detail += (("code", b.code), ("competences", tuple(c.text for c in b.competences)))
    return detail


def _rncp_block_v2(at: Locus, key: str, a: RncpBlock, b: RncpBlock) -> list[Change]:
    out: list[Change] = []
    if (a.code or b.code) and a.code != b.code:
        out.append(at.change(ChangeKind.CHANGED, Entity.BLOCK, f"{key}, code", a.code, b.code))
    if not same_text(a.assessment, b.assessment):
        out.append(at.change(ChangeKind.CHANGED, Entity.BLOCK, f"{key}, modalités d'évaluation",
                             a.assessment, b.assessment))
    for c in text_list_changes("competences", texts([x.text for x in a.competences]),
                               texts([x.text for x in b.competences])):
        out.append(dataclasses.replace(c, entity=Entity.BLOCK, key=f"{key}, compétence"))
    return out


def _blocks(old: Sequence[_Block], new: Sequence[_Block]) -> list[Change]:
    out: list[Change] = []
    for i, j in reading_order(match(old, new, block_score)):
        a = old[i] if i is not None else None
        b = new[j] if j is not None else None
        at = Locus(str(a.number) if a else None, str(b.number) if b else None,
                   a.prov if a else None, b.prov if b else None)
        if a is not None and b is not None:
            key = f"block {a.number}"
            if a.number != b.number:
                out.append(at.change(ChangeKind.MOVED, Entity.BLOCK, key, a.number, b.number))
            if not same_text(a.title, b.title):
                out.append(at.change(ChangeKind.CHANGED, Entity.BLOCK, key, a.title, b.title))
            if set(_members(a)) != set(_members(b)):
                out.append(at.change(ChangeKind.CHANGED, Entity.BLOCK, key, _members(a), _members(b)))
            if isinstance(a, RncpBlock) and isinstance(b, RncpBlock):  # version 2: code, modalités, compétences
                out += _rncp_block_v2(at, key, a, b)
        elif b is not None:
            out.append(at.change(ChangeKind.ADDED, Entity.BLOCK, f"block {b.number}", None, b.title,
                                 _block_detail(b)))
        elif a is not None:
            out.append(at.change(ChangeKind.REMOVED, Entity.BLOCK, f"block {a.number}", a.title, None,
                                 _block_detail(a)))
    return out
