"""Data-quality rules over documents and their links -> findings (pure; the warehouse stores them).

Every finding names its rule, a severity, the document (and the related one for link rules), a
message a person can act on, and the provenance (page, reading order, bbox) of what it is about.

Severities: ``error`` — the document contradicts itself (dates in the wrong order); ``warning`` — two
statements of the same fact disagree, something expected is missing, or the document is out of date
(its registration has ended); ``info`` — worth knowing but not a defect (two spellings of the same
wording).

Rules: ``capacity_list_wording`` and ``capacity_list_count`` (section I's list against the section II
table), ``capacity_without_criteria``, ``rncp_block_missing_capacity``, ``rncp_block_repeated_capacity``,
``rncp_block_unknown_capacity``, ``linked_capacity_count``, ``linked_capacity_unmatched``,
``registration_end_before_start`` and ``registration_expired`` (as of a run date given by the caller,
so results are reproducible).

Three families, because a warehouse recompute evaluates them at different times: ``content_findings``
depend on the document alone (computed once, when the document is new); ``expiry_finding`` depends on
the run date (re-evaluated for every fiche at every recompute, from its ``LinkInput``); ``link_findings``
depend on the links (re-evaluated for the fiches whose links changed).  ``findings`` runs them all.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import date

from pipeline.link.evidence import text_similarity
from pipeline.link.inputs import LinkInput, link_input
from pipeline.normalize.text import clean, comparison_key
from pipeline.records import (
    CqpmDocument,
    Document,
    Finding,
    Kind,
    Link,
    Provenance,
    RncpFiche,
)

ERROR, WARNING, INFO = "error", "warning", "info"
DATED_RULES = frozenset({"registration_expired"})  # depend on the run date
LINK_RULES = frozenset({"linked_capacity_count", "linked_capacity_unmatched"})  # depend on the links
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "´": "'", "`": "'"})
_MARKER = re.compile(r"^\s*(\d+)\s*[).°-]\s*")


def _finding(doc: Document | LinkInput, rule: str, severity: str, subject: str, message: str,
             prov: Provenance | None = None, related: str | None = None) -> Finding:
    sha, path = (doc.sha256, doc.path) if isinstance(doc, LinkInput) else (doc.source.sha256, doc.source.path)
    return Finding(rule=rule, severity=severity, document_id=doc.id, subject=subject, message=message,
                   source_sha256=sha, source_path=path, prov=prov, related_document_id=related)


def finding_order(f: Finding) -> tuple[str, str, str, str, str]:
    """The order findings are listed in, and numbered in within their document (``ord``)."""
    return f.source_path, f.document_id, f.rule, f.subject, f.related_document_id or ""


# ---------------------------------------------------------------------------------------------- CQPM


def _listed_text(code: str, text: str) -> str:
    """Section I's item without a leading "6)" the front end may have kept."""
    m = _MARKER.match(text)
    return text[m.end():] if m and m.group(1) == code else text


def _spelling(text: str) -> str:
    """Printed form up to typography: clean, one apostrophe, no trailing " ;.:," (letters kept as printed)."""
    return clean(text).translate(_APOSTROPHES).rstrip(" ;.:,")


def _word_diff(a: str, b: str) -> str:
    wa, wb = a.split(), b.split()
    parts = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=wa, b=wb, autojunk=False).get_opcodes():
        if op != "equal":
            parts.append(f"'{' '.join(wa[i1:i2])}' / '{' '.join(wb[j1:j2])}'")
    return ", ".join(parts)


def _capacity_list(doc: Document, ref: CqpmDocument) -> list[Finding]:
    if not ref.listed_capacities or not ref.capacities:
        return []
    listed = {c.code: _listed_text(c.code, c.text) for c in ref.listed_capacities}
    table = {str(c.number): c for c in ref.capacities}
    out = []
    only_list, only_table = sorted(listed.keys() - table.keys(), key=_num), sorted(table.keys() - listed.keys(),
                                                                                  key=_num)
    if only_list or only_table or len(ref.listed_capacities) != len(ref.capacities):
        detail = "; ".join(filter(None, [
            f"only in section I: {', '.join(only_list)}" if only_list else "",
            f"only in the table: {', '.join(only_table)}" if only_table else ""]))
        out.append(_finding(doc, "capacity_list_count", WARNING, "capacities",
                            f"section I lists {len(ref.listed_capacities)} capacities, the section II table "
                            f"has {len(ref.capacities)}" + (f" ({detail})" if detail else ""),
                            ref.listed_capacities[0].prov))
    for code in sorted(listed.keys() & table.keys(), key=_num):
        a, cap = listed[code], table[code]
        b = cap.title
        if comparison_key(a) != comparison_key(b):
            out.append(_finding(doc, "capacity_list_wording", WARNING, f"capacity {code}",
                                f"capacity {code} is worded differently in section I and in the table "
                                f"({_word_diff(comparison_key(a), comparison_key(b))}; similarity "
                                f"{text_similarity(a, b):.2f})", cap.prov))
        elif _spelling(a) != _spelling(b):
            out.append(_finding(doc, "capacity_list_wording", INFO, f"capacity {code}",
                                f"capacity {code} is spelled differently in section I and in the table "
                                f"({_word_diff(_spelling(a), _spelling(b))}); same wording once normalised",
                                cap.prov))
    return out


def _num(code: str) -> tuple[int, str]:
    return (int(code), code) if code.isdigit() else (1 << 30, code)


def _criteria(doc: Document, ref: CqpmDocument) -> list[Finding]:
    return [_finding(doc, "capacity_without_criteria", WARNING, f"capacity {cap.number}",
                     f"capacity {cap.number} ({cap.title[:60]}) has no evaluation criteria", cap.prov)
            for cap in ref.capacities if not cap.criteria]


# ---------------------------------------------------------------------------------------------- RNCP


def _blocks(doc: Document, fiche: RncpFiche) -> list[Finding]:
    if not fiche.blocks:
        return []
    declared = [c.code for c in fiche.capacities]
    where: dict[str, list[int]] = {}
    for block in fiche.blocks:
        for code in block.capacities:
            where.setdefault(code, []).append(block.number)
    if not where:  # today's blocs list their compétences, not capacity codes: nothing to check them against
        return []
    out = []
    first = fiche.blocks[0].prov
    for code in declared:
        if code not in where:
            out.append(_finding(doc, "rncp_block_missing_capacity", WARNING, code,
                                f"capacity {code} is attested but no competence block includes it", first))
    for code, numbers in where.items():
        if len(numbers) > 1:
            repeats = ", ".join(f"{n} (x{k})" if k > 1 else str(n) for n, k in Counter(numbers).items())
            out.append(_finding(doc, "rncp_block_repeated_capacity", WARNING, code,
                                f"capacity {code} appears in more than one place: blocks {repeats}",
                                _block_prov(fiche, numbers[1])))
        if declared and code not in declared:
            out.append(_finding(doc, "rncp_block_unknown_capacity", WARNING, code,
                                f"block {numbers[0]} names capacity {code}, which is not among the attested "
                                f"capacities ({', '.join(declared)})", _block_prov(fiche, numbers[0])))
    return out


def _block_prov(fiche: RncpFiche, number: int) -> Provenance | None:
    return next((b.prov for b in fiche.blocks if b.number == number), None)


def _registration(doc: Document, fiche: RncpFiche) -> list[Finding]:
    reg = fiche.registration
    start = reg.effective or reg.journal_officiel or reg.decision
    if reg.end and start and reg.end < start:
        return [_finding(doc, "registration_end_before_start", ERROR, "registration",
                         f"registration ends on {reg.end.isoformat()}, before it starts ({start.isoformat()})")]
    return []


def expiry_finding(doc: Document | LinkInput, as_of: date) -> Finding | None:
    """``registration_expired`` for a fiche whose registration ended before ``as_of``."""
    fiche = link_input(doc)
    end = fiche.registration_end
    if fiche.kind is not Kind.RNCP or not fiche.linkable or end is None or not end < as_of:
        return None
    return _finding(fiche, "registration_expired", WARNING, "registration",
                    f"{fiche.code}: registration ended on {end.isoformat()} (as of {as_of.isoformat()})")


# ---------------------------------------------------------------------------------------------- links


def _link_counts(links: Sequence[Link], by_id: Mapping[str, LinkInput]) -> list[Finding]:
    out = []
    for link in links:
        rncp, cqpm = by_id.get(link.rncp_document_id), by_id.get(link.cqpm_document_id)
        if (rncp is None or cqpm is None or not (rncp.linkable and rncp.kind is Kind.RNCP)
                or not (cqpm.linkable and cqpm.kind is Kind.CQPM)):
            continue
        n_r, n_c = len(rncp.rncp_capacities), len(cqpm.cqpm_capacities)
        unmatched = [c.code for c in rncp.rncp_capacities if c.code not in {m.rncp_code for m in link.capacity_map}]
        extra = [str(c.number) for c in cqpm.cqpm_capacities
                 if c.number not in {m.cqpm_number for m in link.capacity_map}]
        detail = "; ".join(filter(None, [
            f"unmatched in the fiche: {', '.join(unmatched)}" if unmatched else "",
            f"unmatched in the référentiel: {', '.join(extra)}" if extra else ""]))
        subject = f"link to CQPM {link.cqpm_number or '?'}"
        if n_r and n_c and n_r != n_c:
            out.append(_finding(rncp, "linked_capacity_count", WARNING, subject,
                                f"{link.rncp_code} attests {n_r} capacities, the linked référentiel "
                                f"({cqpm.path}) has {n_c}" + (f" ({detail})" if detail else ""),
                                related=cqpm.id))
        elif n_r and n_c and detail:
            out.append(_finding(rncp, "linked_capacity_unmatched", WARNING, subject,
                                f"{link.rncp_code} and the linked référentiel ({cqpm.path}) both have "
                                f"{n_r} capacities but not all correspond ({detail})", related=cqpm.id))
    return out


def link_findings(links: Sequence[Link], inputs: Mapping[str, LinkInput]) -> list[Finding]:
    """Findings on linked documents whose capacities do not all correspond (``inputs``: by document id)."""
    return _link_counts(links, inputs)


# ---------------------------------------------------------------------------------------------- all


def content_findings(doc: Document) -> list[Finding]:
    """The findings that depend on the document alone (not on the run date, not on links)."""
    out: list[Finding] = []
    if doc.cqpm is not None:
        out += _capacity_list(doc, doc.cqpm) + _criteria(doc, doc.cqpm)
    if doc.rncp is not None:
        out += _blocks(doc, doc.rncp) + _registration(doc, doc.rncp)
    return out


def document_findings(doc: Document, as_of: date) -> list[Finding]:
    """The findings on one document as of ``as_of`` (its content and its registration dates)."""
    expired = expiry_finding(doc, as_of) if doc.rncp is not None else None
    return content_findings(doc) + ([expired] if expired else [])


def findings(documents: Iterable[Document], links: Sequence[Link], as_of: date) -> tuple[Finding, ...]:
    """Every finding on ``documents`` and their ``links``, sorted by document, rule, subject."""
    docs = sorted(documents, key=lambda d: d.id)
    out = [f for d in docs for f in document_findings(d, as_of)]
    out += link_findings(links, {d.id: link_input(d) for d in docs})
    return tuple(sorted(out, key=finding_order))
