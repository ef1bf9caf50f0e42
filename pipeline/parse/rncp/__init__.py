"""Structural parser of a fiche RNCP ("Résumé descriptif de la certification"): Layout -> Document.

The layout is read as one stream of text units (``rncp_stream``) cut into sections by the fiche's own
headings ("Intitulé", "Convention(s) :", "Les capacités attestées :", …); each section has its reader.
Only the layout model is relied on, so text dumps, markdown conversions and PDFs read alike.  What the
fiche does not state, or states in a way that cannot be told, is None / empty, never a guess; the
document is then PARTIAL and its reasons say what could not be read.
"""

from __future__ import annotations

import re

from pipeline.errors import RejectedInput
from pipeline.normalize.text import fold_aligned as fold
from pipeline.parse.rncp.blocks import read_blocks
from pipeline.parse.rncp.facts import (
    FRENCH_POLYNESIA,
    NEW_CALEDONIA,
    awards_per_year,
    history,
    overseas,
    registration,
)
from pipeline.parse.rncp.items import (
    CONVENTION_RE,
    FORMACODE_RE,
    NSF_RE,
    ROME_RE,
    read_certifiers,
    read_code_labels,
    read_coded,
    read_jobs,
)
from pipeline.parse.rncp.page import is_fiche_page, parse_fiche_page
from pipeline.parse.rncp.stream import Section, Unit, find_sections, join, linearise, strip_end
from pipeline.records import Document, Kind, Layout, RncpFiche, Status

_CODE_RE = re.compile(r"\bcode\s*rncp\s*:?\s*(?:rncp\s*)?(\d{3,6})\b")


def rncp_code(units: list[Unit]) -> str | None:
    """The code as "RNCP28242" from "Code RNCP : 28242"; None when the fiche prints no code."""
    for unit in units:
        m = _CODE_RE.search(unit.folded)
        if m:
            return f"RNCP{int(m.group(1))}"
    return None


def parse_rncp(layout: Layout) -> Document:
    units = linearise(layout)
    code = rncp_code(units)
    if code is None and is_fiche_page(layout):  # today's France Compétences page, not the 2017 print
        return parse_fiche_page(layout)
    if code is None:
        raise RejectedInput(layout.source.path, "fiche RNCP without an RNCP code (no 'Code RNCP : …')")
    sections, positions = find_sections(units)

    def body(name: str) -> tuple[Unit, ...]:
        section = sections.get(name)
        return section.body if section else ()

    def text(name: str) -> str:
        return join(body(name))

    validity = strip_end(join(_first_paragraph(body("validity")))) or None
    caledonia = overseas(layout, NEW_CALEDONIA)
    polynesia = overseas(layout, FRENCH_POLYNESIA)
    fiche = RncpFiche(
        code=code,
        title=text("title") or None,
        certifiers=read_certifiers(body("certifiers"),
                                   sections["certifiers"].anchor.col if "certifiers" in sections else None),
        conventions=read_code_labels(body("conventions"), CONVENTION_RE),
        nsf=read_code_labels(body("nsf"), NSF_RE),
        formacodes=read_code_labels(body("formacodes"), FORMACODE_RE),
        activities=read_coded(body("summary"), "A"),
        capacities=read_coded(body("capacities"), "C"),
        jobs=read_jobs(body("jobs")),
        rome=read_code_labels(body("rome"), ROME_RE),
        blocks=read_blocks(units, set(positions)),
        validity=validity,
        new_caledonia=caledonia.value,
        french_polynesia=polynesia.value,
        registration=registration(text("legal") if "legal" in sections else join(units)),
        awards_per_year=awards_per_year(text("statistics") if "statistics" in sections else join(units)),
        history=history(text("history")),
    )
    reasons = _missing(fiche, sections)
    reasons += [a.reason for a in (caledonia, polynesia) if a.reason]
    return Document(source=layout.source, kind=Kind.RNCP, rncp=fiche,
                    status=Status.PARTIAL if reasons else Status.LOADED, reasons=tuple(reasons))


def _first_paragraph(units: tuple[Unit, ...]) -> tuple[Unit, ...]:
    """The first paragraph of a section (a value printed after its heading), wrapped lines included."""
    if not units or units[0].col is not None:
        return ()
    end = next((k for k, u in enumerate(units[1:], 1) if u.gap or u.col is not None), len(units))
    return units[:end]


def _missing(fiche: RncpFiche, sections: dict[str, Section]) -> list[str]:
    """Fields whose heading the fiche prints (where it always has content) but that could not be read."""
    checks = {
        "title": fiche.title, "certifiers": fiche.certifiers, "capacities": fiche.capacities,
        "rome": fiche.rome, "validity": fiche.validity,
    }
    reasons = [f"{name}: section '{sections[name].anchor.text}' printed but nothing could be read"
               for name, value in checks.items() if name in sections and not value]
    legal = fold(join(sections["legal"].body)) if "legal" in sections else ""
    if "arrete" in legal and not fiche.registration.decision:
        reasons.append("registration: an 'Arrêté' is printed but its date could not be read")
    reasons += [f"{name}: no '{heading}' section" for name, heading in
                (("title", "Intitulé"), ("capacities", "Les capacités attestées")) if name not in sections]
    return reasons
