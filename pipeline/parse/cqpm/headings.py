"""Headings of the newer CQPM layout, recognised by their words (numbers are often lost or shifted).

"1. REFERENTIEL D'ACTIVITES DU CQPM" (also ``D’``, ``D ACTIVITES``, ``D`ACTVITES``, no number),
"1.1. Mission (s) et activités visées …", "1.2. Environnement de travail", "1.3. Interactions dans
l'environnement de travail" (or 1.2), "2. REFERENTIEL DE COMPETENCES …", "3. REFERENTIEL
D'EVALUATION(S) …" / "… DE CERTIFICATION", the closing "Modalités d'évaluation" list, and bloc
headings ("Bloc de compétences n°1 : …", "Bloc 1 - …", "RNCP38622BC01 - …").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.extract.furniture import furniture_signal
from pipeline.parse.cqpm.common import fold, is_prose, trim_title
from pipeline.records import Block, BlockKind, Provenance

_MAX_HEADING = 130  # characters; a longer block is prose
_NUM = r"(?:\d{1,2}\s*(?:[.)]\s*\d{0,2}\s*)*[.)]?\s*)?"  # "1.", "1.1.", "1.3 ", "2)" or nothing

ACTIVITIES_RE = re.compile(rf"^{_NUM}referentiel d\W?\s*act?i?vites")
MISSIONS_RE = re.compile(rf"^{_NUM}missions?\s*(?:\(\s*s\s*\))?\s+(?:et\s+)?activites")
ENVIRONMENT_RE = re.compile(rf"^{_NUM}environnement de travail")
INTERACTIONS_RE = re.compile(rf"^{_NUM}interactions?\b")
COMPETENCES_RE = re.compile(rf"^{_NUM}referentiel de competences")
EVALUATION_RE = re.compile(rf"^{_NUM}referentiel (?:d\W?\s*evaluations?|de certification)")
METHODS_RE = re.compile(rf"^{_NUM}(?:les\s+)?(?:differentes\s+)?modalites d\W?\s*evaluations?\s*:?$")

_BLOC_RE = re.compile(
    r"^\s*(?:bloc(?:s)?\s*(?:de\s+comp[ée]tences?\s*)?(?:n\s*[°o]\.?\s*)?(?P<number>\d{1,2})\b"
    r"|(?P<code>RNCP\s?\d{3,6}\s?BC\s?\d{1,2}))\s*", re.I)
_CODE_RE = re.compile(r"\(?\s*(RNCP\s?\d{3,6}\s?BC\s?\d{1,2})\s*\)?", re.I)
_SEPARATOR_RE = re.compile(r"^[\s:.\-–—)]+")


# a running line: "MQ 2004 0233 - Technicien …", "CQPM 2006 0248 : …", "Page 2 sur 12 MQ 2004 0233 - …"
_RUNNING_RE = re.compile(r"^(?:page\s*\d+\s*(?:sur|/)\s*\d+\s*)?(?:(?:mq|cqpm)\s*)?(?:19|20)\d{2}"
                         r"(?:\s+\d{2}(?:/\d{2})?){0,3}\s+\d{4}\b(?:\s*[-:–]\s*\S.*)?$", re.I)
_MAX_FURNITURE = 160


def is_furniture_line(block: Block) -> bool:
    """A page header or footer left in the body of a text conversion (page number, running line,
    commission, qualification code, catégorie/niveau/date line)."""
    text = block.text.strip()
    return (is_prose(block) and len(text) <= _MAX_FURNITURE
            and (furniture_signal(text) or bool(_RUNNING_RE.match(text))))


def is_heading(block: Block, pattern: re.Pattern[str]) -> bool:
    return is_prose(block) and len(block.text) <= _MAX_HEADING and bool(pattern.match(fold(block.text)))


def find(blocks: tuple[Block, ...], pattern: re.Pattern[str], start: int = 0, end: int | None = None) -> int | None:
    stop = len(blocks) if end is None else end
    return next((i for i in range(start, stop) if is_heading(blocks[i], pattern)), None)


def find_last(blocks: tuple[Block, ...], pattern: re.Pattern[str], start: int = 0) -> int | None:
    return next((i for i in range(len(blocks) - 1, start - 1, -1) if is_heading(blocks[i], pattern)), None)


def is_new_layout(blocks: tuple[Block, ...]) -> bool:
    """Section 1 is the référentiel d'activités (the old layout opens with "I OBJECTIF PROFESSIONNEL")."""
    return find(blocks, ACTIVITIES_RE) is not None


@dataclass(frozen=True)
class BlocHeading:
    printed: int | None  # the number the label prints ("Bloc 2"), None for a code-only label
    code: str | None  # "RNCP38622BC01" when printed
    title: str
    order: int
    prov: Provenance


def bloc_heading(block: Block) -> BlocHeading | None:
    """A bloc label: a short paragraph, or a table row whose only filled cell is the label (a caption)."""
    if block.kind is BlockKind.TABLE_ROW:
        filled = [c for c in block.cells if not c.empty]
        if len(filled) != 1:
            return None
        text = filled[0].text
    elif is_prose(block):
        text = block.text
    else:
        return None
    if len(text) > 2 * _MAX_HEADING:
        return None
    m = _BLOC_RE.match(text)
    if not m:
        return None
    rest = text[m.end():]
    code = m.group("code")
    if code is None:
        c = _CODE_RE.match(_SEPARATOR_RE.sub("", rest) if rest.strip()[:1] in "-–:" else rest)
        if c is not None:
            code = c.group(1)
            rest = (_SEPARATOR_RE.sub("", rest) if rest.strip()[:1] in "-–:" else rest)[c.end():]
    title = trim_title(_SEPARATOR_RE.sub("", rest))
    if not title:
        return None
    printed = int(m.group("number")) if m.group("number") else None
    return BlocHeading(printed, code.replace(" ", "").upper() if code else None, title, block.order,
                       Provenance(page=block.page, order=block.order, bbox=block.bbox))
