"""Quality rules: the real findings on the seeds and PDFs, no false alarms, and each rule on a real defect."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

from golden import FIXTURES
from parsed import parsed

from pipeline.link.evidence import link_documents
from pipeline.link.findings import (
    DATED_RULES,
    LINK_RULES,
    content_findings,
    document_findings,
    expiry_finding,
    findings,
)
from pipeline.link.inputs import link_input
from pipeline.records import CodedText, Document, Finding, Registration

SEEDS = sorted((FIXTURES / "seeds").glob("*.txt"))
PDFS = sorted((FIXTURES / "pdf").glob("*.pdf"))
DD, QSE, MGMT, RNCP_QSE, RNCP_RH = SEEDS
BEFORE_END = date(2020, 1, 1)  # both fiches registered 2017-04-21 .. 2022-04-21
AFTER_END = date(2025, 1, 1)


def doc(path: Path) -> Document:
    return parsed(path)


def summary(found: tuple[Finding, ...] | list[Finding]) -> set[tuple[str, str, str, str]]:
    return {(Path(f.source_path).name, f.rule, f.severity, f.subject) for f in found}


def run(paths: list[Path], as_of: date) -> tuple[Finding, ...]:
    documents = [doc(p) for p in paths]
    return findings(documents, link_documents(documents), as_of)


def test_seed_findings_are_the_real_ones_and_only_those() -> None:
    found = run(SEEDS, AFTER_END)
    assert summary(found) == {
        (QSE.name, "capacity_list_wording", "info", "capacity 6"),
        (RNCP_QSE.name, "registration_expired", "warning", "registration"),
        (RNCP_RH.name, "registration_expired", "warning", "registration"),
    }
    wording = next(f for f in found if f.rule == "capacity_list_wording")
    # section I prints "mise en oeuvre", the table "mise en œuvre": same words once normalised
    assert "'oeuvre' / 'œuvre'" in wording.message
    assert wording.document_id == doc(QSE).id and wording.prov is not None and wording.prov.order > 0
    expired = next(f for f in found if f.document_id == doc(RNCP_QSE).id)
    assert "2022-04-21" in expired.message and "2025-01-01" in expired.message


def test_the_run_date_decides_expiry() -> None:
    assert summary(run(SEEDS, BEFORE_END)) == {(QSE.name, "capacity_list_wording", "info", "capacity 6")}


def test_pdf_renderings_raise_no_false_alarm() -> None:
    # section I of the PDFs prints "œuvre" like the table, and the "6)" markers kept by the PDF front
    # end are not a wording difference; the only findings are the ended registrations
    found = run(PDFS, BEFORE_END)
    assert found == ()
    assert {f.rule for f in run(PDFS, AFTER_END)} == {"registration_expired"}


def test_capacity_list_disagreements() -> None:
    qse = doc(QSE)
    assert qse.cqpm is not None
    listed = list(qse.cqpm.listed_capacities)
    listed[2] = dataclasses.replace(listed[2], text="Garantir le pilotage des objectifs par le tableau de bord")
    shorter = dataclasses.replace(qse, cqpm=dataclasses.replace(qse.cqpm, listed_capacities=tuple(listed[:-1])))
    found = document_findings(shorter, BEFORE_END)
    assert summary(found) == {
        (QSE.name, "capacity_list_count", "warning", "capacities"),
        (QSE.name, "capacity_list_wording", "warning", "capacity 3"),
        (QSE.name, "capacity_list_wording", "info", "capacity 6"),
    }
    count = next(f for f in found if f.rule == "capacity_list_count")
    assert "7 capacities" in count.message and "8" in count.message and "only in the table: 8" in count.message


def test_capacity_without_criteria() -> None:
    mgmt = doc(MGMT)
    assert mgmt.cqpm is not None
    caps = list(mgmt.cqpm.capacities)
    caps[4] = dataclasses.replace(caps[4], criteria=())
    broken = dataclasses.replace(mgmt, cqpm=dataclasses.replace(mgmt.cqpm, capacities=tuple(caps)))
    found = document_findings(broken, BEFORE_END)
    assert summary(found) == {(MGMT.name, "capacity_without_criteria", "warning", "capacity 5")}
    assert found[0].prov == caps[4].prov


def test_rncp_blocks_that_miss_repeat_or_invent_a_capacity() -> None:
    rh = doc(RNCP_RH)
    assert rh.rncp is not None
    blocks = list(rh.rncp.blocks)  # 1: C1-C3, 2: C4-C6, 3: C7, 4: C8
    blocks[1] = dataclasses.replace(blocks[1], capacities=("C4", "C5", "C6", "C1"))
    blocks[3] = dataclasses.replace(blocks[3], capacities=("C9",))
    broken = dataclasses.replace(rh, rncp=dataclasses.replace(rh.rncp, blocks=tuple(blocks)))
    assert summary(document_findings(broken, BEFORE_END)) == {
        (RNCP_RH.name, "rncp_block_missing_capacity", "warning", "C8"),
        (RNCP_RH.name, "rncp_block_repeated_capacity", "warning", "C1"),
        (RNCP_RH.name, "rncp_block_unknown_capacity", "warning", "C9"),
    }


def test_registration_that_ends_before_it_starts() -> None:
    rh = doc(RNCP_RH)
    assert rh.rncp is not None
    reg = Registration(decision=date(2017, 4, 7), journal_officiel=date(2017, 4, 21),
                       effective=date(2017, 4, 21), end=date(2012, 4, 21))
    broken = dataclasses.replace(rh, rncp=dataclasses.replace(rh.rncp, registration=reg))
    assert summary(document_findings(broken, BEFORE_END)) == {
        (RNCP_RH.name, "registration_end_before_start", "error", "registration"),
        (RNCP_RH.name, "registration_expired", "warning", "registration"),
    }


def test_linked_documents_with_different_capacity_counts() -> None:
    v2 = FIXTURES / "versions" / "003_b7becefa6c01c81b.s1" / "v2.lo-landscape-hrules.pdf"  # adds C9
    found = [f for f in run([QSE, v2], BEFORE_END) if f.rule.startswith("linked_")]
    assert summary(found) == {(v2.name, "linked_capacity_count", "warning", "link to CQPM 0195")}
    assert found[0].related_document_id == doc(QSE).id
    assert "9 capacities" in found[0].message and "has 8" in found[0].message and "C9" in found[0].message


def test_linked_documents_whose_capacities_do_not_all_correspond() -> None:
    v = FIXTURES / "versions"
    fiche = v / "003_b7becefa6c01c81b.s1" / "v2.lo-landscape-hrules.pdf"  # C9: regulatory watch
    ref = v / "001_1b606db1c3205ecb.s1" / "v2.rl-portrait-grid.pdf"  # 9: running a follow-up meeting
    found = [f for f in run([fiche, ref], BEFORE_END) if f.rule.startswith("linked_")]
    assert summary(found) == {(fiche.name, "linked_capacity_unmatched", "warning", "link to CQPM 0195")}
    assert "C9" in found[0].message and "référentiel: 9" in found[0].message


def test_a_listed_capacity_keeps_its_number_marker_without_an_alarm() -> None:
    qse = doc(QSE)
    assert qse.cqpm is not None
    marked = tuple(CodedText(c.code, f"{c.code}) {c.text}", c.prov) for c in qse.cqpm.listed_capacities)
    again = dataclasses.replace(qse, cqpm=dataclasses.replace(qse.cqpm, listed_capacities=marked))
    assert summary(document_findings(again, BEFORE_END)) == {(QSE.name, "capacity_list_wording", "info", "capacity 6")}


def test_the_three_families_make_the_findings() -> None:
    documents = [doc(p) for p in SEEDS]
    for d in documents:
        expired = expiry_finding(link_input(d), AFTER_END)
        assert document_findings(d, AFTER_END) == content_findings(d) + ([expired] if expired else [])
        assert expiry_finding(d, BEFORE_END) is None
    assert {f.rule for f in run(SEEDS, AFTER_END)} - {"registration_expired"} == {
        f.rule for d in documents for f in content_findings(d)}
    assert all(f.rule not in DATED_RULES | LINK_RULES for d in documents for f in content_findings(d))
