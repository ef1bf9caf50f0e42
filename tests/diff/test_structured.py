"""The structured diff on the real version pairs: each expected change, and nothing else."""

from __future__ import annotations

import dataclasses
from collections import Counter
from pathlib import Path

import pytest
from golden import norm
from pairs import HEADER_PDF_001, PAIRS, PDF_001, SEED_001, change_key, expected, versions_of
from parsed import parsed

from pipeline.diff.render_json import change_json
from pipeline.diff.structured import DiffError, diff_documents
from pipeline.records import ChangeKind, CqpmCapacity, Document, Entity, TextItem


@pytest.mark.parametrize("pair", PAIRS, ids=[p.name for p in PAIRS])
def test_pair_gives_exactly_the_expected_changes(pair: Path) -> None:
    old, new = versions_of(pair)
    got = Counter(change_key(change_json(c)) for c in diff_documents(old, new))
    want = Counter(change_key(c) for c in expected(pair)["changes"])
    assert got == want


def test_001_swapped_capacities_are_moved_and_added_capacity_carries_its_content() -> None:
    pair = next(p for p in PAIRS if p.name.startswith("001"))
    changes = diff_documents(*versions_of(pair))
    moved = {(c.old, c.new) for c in changes if c.kind is ChangeKind.MOVED}
    assert moved == {(2, 4), (4, 2)}
    added = next(c for c in changes if c.kind is ChangeKind.ADDED and c.entity is Entity.CAPACITY)
    want = next(c for c in expected(pair)["changes"] if c["entity"] == "capacity" and c["kind"] == "added")
    assert norm(change_json(added)["detail"]) == norm(want["detail"])
    # the added capacity's criteria are in its detail, not reported one by one
    assert not [c for c in changes if c.entity is Entity.CRITERION and c.capacity == added.new]
    # numbering and pages of both versions
    changed = next(c for c in changes if c.kind is ChangeKind.CHANGED and c.entity is Entity.CRITERION)
    assert (changed.key, changed.old_number, changed.new_number) == ("capacity 8, criterion 3", "8.3", "8.3")
    assert changed.old_page and changed.new_page


def test_seed_001_against_its_own_pdf_rendering_reports_nothing() -> None:
    assert diff_documents(parsed(SEED_001), parsed(PDF_001)) == ()


def test_header_rendering_after_the_text_rendering_adds_only_its_date() -> None:
    """The .header.pdf prints number, qualification id, category and date in its page headers, the text
    none of them.  Printing the number, qualification id or category is no change, as not printing them is
    none (the test below): `refpipe diff text.txt header.pdf` said "Numéro de CQPM : (non renseigné) → 0195".
    A date stated for the first time stays a change (as in the version gold)."""
    header = parsed(HEADER_PDF_001)
    assert header.cqpm is not None and header.cqpm.number and header.cqpm.category  # it does print them
    changes = diff_documents(parsed(SEED_001), header)
    assert [(c.kind, c.entity, c.key, c.old, c.new) for c in changes] == [
        (ChangeKind.CHANGED, Entity.FIELD, "last_modified", None, "2007-01-09")]


def test_a_header_field_both_versions_print_differently_is_a_change() -> None:
    header = parsed(HEADER_PDF_001)
    assert header.cqpm is not None and header.cqpm.category
    other = dataclasses.replace(header, cqpm=dataclasses.replace(header.cqpm, category="Z"))
    changes = diff_documents(header, other)
    assert [(c.key, c.old, c.new) for c in changes] == [("category", header.cqpm.category, "Z")]


def test_a_new_version_without_the_header_block_does_not_remove_the_header() -> None:
    """The warehouse keeps the fullest rendering of a référentiel (seed 001's header PDF holds its text and
    plain PDFs), so v1 may carry the page-header fields a v2 file does not print.  Not printing them is no
    change: the same référentiel in its text rendering after its header rendering differs in nothing, and
    the revised v2 gives the expected changes, no "number: 0195 → (none)"."""
    assert diff_documents(parsed(HEADER_PDF_001), parsed(SEED_001)) == ()
    pair = next(p for p in PAIRS if p.name.startswith("001"))
    _, new = versions_of(pair)
    changes = diff_documents(parsed(HEADER_PDF_001), new)
    assert not [c for c in changes if c.key in ("number", "qualification_id", "category")]
    got = Counter(change_key(change_json(c)) for c in changes if c.key != "last_modified")
    want = Counter(change_key(c) for c in expected(pair)["changes"] if c.get("key") != "last_modified")
    assert got == want
    dated = [c for c in changes if c.key == "last_modified"]  # both print a date: that is a change
    assert [(c.old, c.new) for c in dated] == [("2007-01-09", "2021-05-02")]


def _reformatted(text: str) -> str:
    """The same words: other spaces, typographic apostrophes, œ, a trailing ' ;'."""
    return "  " + text.replace("'", "’").replace("oe", "œ").replace(" ", "  ") + " ;"


def test_formatting_only_edits_are_not_changes() -> None:
    doc = parsed(PDF_001)
    assert doc.cqpm is not None

    def cap(c: CqpmCapacity) -> CqpmCapacity:
        return dataclasses.replace(
            c, title=_reformatted(c.title),
            criteria=tuple(TextItem(_reformatted(t.text), t.prov) for t in c.criteria),
            conditions=tuple(TextItem(_reformatted(t.text), t.prov) for t in c.conditions))

    cqpm = dataclasses.replace(doc.cqpm, capacities=tuple(cap(c) for c in doc.cqpm.capacities),
                               title=_reformatted(doc.cqpm.title or ""))
    assert diff_documents(doc, dataclasses.replace(doc, cqpm=cqpm)) == ()


def test_a_renumbered_capacity_is_moved_with_its_rewording_not_removed_and_added() -> None:
    doc = parsed(PDF_001)
    assert doc.cqpm is not None
    caps = doc.cqpm.capacities
    first = caps[0]
    reworded = dataclasses.replace(first, criteria=(
        TextItem(first.criteria[1].text.replace("formalisés", "rédigés"), first.criteria[1].prov),
        first.criteria[0]))
    moved = [*caps[1:], dataclasses.replace(reworded, number=len(caps))]
    moved = [dataclasses.replace(c, number=n) for n, c in enumerate(moved, start=1)]
    changes = diff_documents(doc, dataclasses.replace(doc, cqpm=dataclasses.replace(doc.cqpm,
                                                                                    capacities=tuple(moved))))
    assert not [c for c in changes if c.kind in (ChangeKind.ADDED, ChangeKind.REMOVED)
                and c.entity is Entity.CAPACITY]
    assert (ChangeKind.MOVED, 1, len(caps)) in {(c.kind, c.old, c.new) for c in changes}
    reword = [c for c in changes if c.entity is Entity.CRITERION]
    assert [(c.kind, c.key) for c in reword] == [(ChangeKind.CHANGED, "capacity 1, criterion 2")]


def test_documents_of_different_kinds_cannot_be_compared() -> None:
    rncp = next(p for p in PAIRS if p.name.startswith("003"))
    cqpm_doc: Document = parsed(PDF_001)
    with pytest.raises(DiffError, match="same kind"):
        diff_documents(cqpm_doc, versions_of(rncp)[0])
