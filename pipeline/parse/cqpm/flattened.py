"""Copies whose line breaks were lost: the page-1 header, the headings and the prose of a newer-layout
référentiel run together on one line ("… Titre du CQPM : X 1. REFERENTIEL D ACTIVITES DU CQPM 1.1.
Mission (s) et activités … portent sur : - La … - La … 1.2. Environnement de travail … ) Interactions
dans l environnement de travail …", as web hosts keep them).

``split_flattened`` cuts such a block at the headings' words (numbers may be lost: ``1.3.`` printed as
``)``), after the lead-in's colon, and at the dashes of the list that follows it; each piece keeps the
block's page and reading order (its provenance is the line it came from).  Blocks that hold one
heading or one paragraph, as every well-formed copy does, are returned unchanged.
"""

from __future__ import annotations

import re
from dataclasses import replace

from pipeline.parse.cqpm.common import is_prose
from pipeline.records import Block, BlockKind

_E = "[ÉEée]"
_HEADINGS = (
    r"REFERENTIEL\s+DU\s+CQPM",
    r"Titre\s+du\s+CQPM\s*:",
    rf"(?:\b1\s*[.)]?\s*)?R{_E}F{_E}RENTIEL\s+D\W?\s*ACT?I?VIT{_E}S\s+DU\s+CQPM",
    rf"(?:\b1\s*\.\s*1\s*\.?\s*)?Missions?\s*\(\s*s\s*\)\s*et\s+activit{_E}s\s+vis{_E}es\s+par\s+la\s+"
    r"(?:qualification|certification\s+professionnelle)",
    r"(?:\b1\s*\.\s*[23]\s*\.?\s*)?Environnement\s+de\s+travail",
    r"(?:\b1\s*\.\s*[23]\s*\.?\s*|\)\s*)?Interactions\s+dans\s+l\W?\s*environnement\s+de\s+travail",
    rf"(?:\b2\s*[.)]?\s*)?R{_E}F{_E}RENTIEL\s+DE\s+COMP{_E}TENCES",
    rf"(?:\b3\s*[.)]?\s*)?R{_E}F{_E}RENTIEL\s+D\W?\s*(?:{_E}VALUATIONS?|CERTIFICATION)",
)
_HEADING_RE = re.compile("|".join(f"(?:{h})" for h in _HEADINGS), re.I)
# a heading ends where its words do; the title label keeps its value ("Titre du CQPM : X")
_KEEPS_TEXT = re.compile(r"^(?:Titre\s+du\s+CQPM|REFERENTIEL\s+DU\s+CQPM)", re.I)
_LEAD_IN_RE = re.compile(r"(?:portent|porter)[^:]{0,80}?\bsur\s*:", re.I)
_DASH_RE = re.compile(r"(?:^|\s)[-–•]\s+(?=\S)")
_LONG = 160  # a block shorter than this is one heading or one sentence: left alone


def _pieces(text: str) -> list[tuple[str, bool]]:
    """(text, is_heading) pieces of a flattened line, in order."""
    out: list[tuple[str, bool]] = []
    pos = 0
    for m in _HEADING_RE.finditer(text):
        if m.start() > pos and text[pos:m.start()].strip():
            out.append((text[pos:m.start()].strip(), False))
        if _KEEPS_TEXT.match(m.group().strip()):
            pos = m.start()  # "Titre du CQPM : X" stays with what follows, up to the next heading
            continue
        out.append((m.group().strip().lstrip(") "), True))
        pos = m.end()
    if text[pos:].strip():
        out.append((text[pos:].strip(), False))
    return out


def _prose_pieces(text: str) -> list[tuple[str, BlockKind]]:
    """A paragraph cut after a list lead-in ("… portent sur :") and at the dashes of its list."""
    lead = _LEAD_IN_RE.search(text)
    if lead is None:
        return [(text, BlockKind.PARAGRAPH)]
    out = [(text[:lead.end()].strip(), BlockKind.PARAGRAPH)]
    items = [i.strip() for i in _DASH_RE.split(text[lead.end():]) if i.strip()]
    out += [(item, BlockKind.LIST_ITEM) for item in items]
    return out


_ANCHOR_RE = re.compile(_HEADINGS[1] + "|" + _HEADINGS[2], re.I)  # never in prose: the title label, section 1


def is_flattened(block: Block) -> bool:
    """A long block holding the title label or section 1's heading and at least one more heading."""
    return (is_prose(block) and len(block.text) > _LONG and _ANCHOR_RE.search(block.text) is not None
            and len(list(_HEADING_RE.finditer(block.text))) >= 2)


def split_flattened(blocks: tuple[Block, ...]) -> tuple[Block, ...]:
    """``blocks`` with each flattened line cut into its headings, paragraphs and list items."""
    if not any(is_flattened(b) for b in blocks):
        return blocks
    out: list[Block] = []
    for block in blocks:
        if not is_flattened(block):
            out.append(block)
            continue
        for text, heading in _pieces(block.text):
            kinds = [(text, BlockKind.PARAGRAPH)] if heading else _prose_pieces(text)
            for piece, kind in kinds:
                out.append(replace(block, kind=kind, text=piece, marker="-" if kind is BlockKind.LIST_ITEM else None,
                                   gap_before=True))
    return tuple(out)
