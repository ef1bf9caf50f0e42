"""Single facts of a fiche RNCP: overseas availability, registration dates, awards a year, history."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from pipeline.normalize.dates import DATE_PATTERN, find_french_date, parse_french_date
from pipeline.normalize.text import fold_aligned as fold
from pipeline.parse.rncp.stream import clean
from pipeline.records import BBox, Block, BlockKind, History, Layout, Registration

# ---------------------------------------------------------------------------------------------- overseas

NEW_CALEDONIA = "accessible en nouvelle caledonie"
FRENCH_POLYNESIA = "accessible en polynesie francaise"
_MARK = {"x", "☒", "☑", "✓", "✔", "✗", "✘"}


@dataclass(frozen=True)
class Answer:
    value: bool | None
    reason: str | None = None  # why the value could not be read although the fiche prints the line


def overseas(layout: Layout, label: str) -> Answer:
    """The OUI/NON answer of an "Accessible en …" line: True, False, or None when it cannot be told.

    The mark is placed by its column: by the header cell it sits under when the layout has boxes, by
    its cell index when the row and the header have the same cells.  A line that only prints the
    label and an "X" (a text dump that lost the columns) cannot be told: None, with a reason.
    """
    blocks = layout.blocks
    for i, block in enumerate(blocks):
        if block.kind is BlockKind.TABLE_ROW:
            cells = [c for c in block.cells if not c.empty]
            if not block.header and cells and fold(clean(cells[0].text)).startswith(label):
                return _from_row(blocks, i, label)
        elif block.kind in (BlockKind.PARAGRAPH, BlockKind.LIST_ITEM, BlockKind.HEADING):
            text = fold(clean(block.text))
            if text.startswith(label):
                rest = text[len(label):].strip(" :")
                if rest in ("oui", "non"):
                    return Answer(rest == "oui")
                return Answer(None, f"{_name(label)}: the OUI/NON columns are lost in this layout, the mark "
                                    "cannot be placed")
    return Answer(None)


def _name(label: str) -> str:
    return "new_caledonia" if label == NEW_CALEDONIA else "french_polynesia"


def _from_row(blocks: Sequence[Block], i: int, label: str) -> Answer:
    row = blocks[i]
    marks = [k for k, c in enumerate(row.cells) if fold(clean(c.text)) in _MARK]
    header = _yes_no_header(blocks, i)
    if len(marks) != 1 or header is None:
        return Answer(None, f"{_name(label)}: {'no single mark' if len(marks) != 1 else 'no OUI/NON header'} "
                            "in its table row")
    mark = row.cells[marks[0]]
    column: str | None = None
    header_boxes = [(fold(clean(c.text)), c.bbox) for c in header.cells]
    if mark.bbox is not None and all(b is not None for t, b in header_boxes if t in ("oui", "non")):
        column = _under(mark.bbox, header_boxes)
    elif len(header.cells) == len(row.cells):
        column = fold(clean(header.cells[marks[0]].text))
    if column not in ("oui", "non"):
        return Answer(None, f"{_name(label)}: the mark is under no OUI/NON column")
    return Answer(column == "oui")


def _yes_no_header(blocks: Sequence[Block], i: int) -> Block | None:
    """The nearest row above (same table) with separate OUI and NON cells."""
    table = blocks[i].table
    for block in reversed(blocks[:i]):
        if block.kind is not BlockKind.TABLE_ROW or block.table != table:
            break
        texts = {fold(clean(c.text)) for c in block.cells}
        if {"oui", "non"} <= texts:
            return block
    return None


def _under(box: BBox, header: list[tuple[str, BBox | None]]) -> str | None:
    best, overlap = None, 0.0
    for text, hb in header:
        if hb is None or text not in ("oui", "non"):
            continue
        width = min(box.x1, hb.x1) - max(box.x0, hb.x0)
        if width > overlap:
            best, overlap = text, width
    return best


# ---------------------------------------------------------------------------------------------- registration

_D = rf"({DATE_PATTERN})"
_DECISION_RE = re.compile(rf"\barr[eê]t[eé]\s+du\s+{_D}", re.I)
_JO_RE = re.compile(rf"\bjournal\s+officiel\s+du\s+{_D}", re.I)
_EFFECTIVE_RE = re.compile(rf"\bavec\s+effet\s+au\s+{_D}", re.I)
_END_RE = re.compile(rf"\bjusqu['’]\s*au\s+{_D}", re.I)


def _date_after(pattern: re.Pattern[str], text: str, start: int = 0) -> date | None:
    m = pattern.search(text, start)
    return parse_french_date(m.group(1)) if m else None


def registration(text: str) -> Registration:
    """The first "Arrêté du … publié au Journal Officiel du … avec effet au …, jusqu'au …" of the text."""
    text = clean(text)
    m = _DECISION_RE.search(text)
    start = m.start() if m else 0
    return Registration(
        decision=parse_french_date(m.group(1)) if m else None,
        journal_officiel=_date_after(_JO_RE, text, start),
        effective=_date_after(_EFFECTIVE_RE, text, start),
        end=_date_after(_END_RE, text, start),
    )


_AWARDS_RE = re.compile(
    r"d[ée]livr[ée]e?s?\s+en\s+moyenne\s+(\d{1,3}(?:[ .\u00a0]\d{3})*|\d+)\s+fois\s+par\s+an", re.I)


def awards_per_year(text: str) -> int | None:
    m = _AWARDS_RE.search(clean(text))
    return int(re.sub(r"\D", "", m.group(1))) if m else None


# ---------------------------------------------------------------------------------------------- history

_CQPM_RE = re.compile(r"\(\s*CQPM\s*(?:n\s*[°o]\s*)?(\d{1,4})\s*\)", re.I)
_QUALIFICATION_RE = re.compile(r"\bsous\s+le\s+n\s*[°o]\s*(\d{4})\s*(\d{2})\s*(\d{2})\s*(\d{4})\b", re.I)
_CATEGORY_RE = re.compile(r"\bcat[ée]gorie\s+([A-D]\*?)(?![\w*])", re.I)
_SENTENCE_RE = re.compile(r"(?<=[.!?])\s+(?=[A-ZÀ-ÖØ-Þ«\"])")
_VALIDATED_RE = re.compile(r"\ba\s+[ée]t[ée]\s+valid[ée]e?\b", re.I)
_VALIDATED_WHEN_RE = re.compile(rf"\b(?:en\s+(\d{{4}})\b|du\s+({DATE_PATTERN}))", re.I)
_CURRENT_VERSION_RE = re.compile(r"\bversion\s+actuelle\b", re.I)


def history(text: str) -> History:
    """What "Historique de la certification" states about the CQPM; unstated facts stay None.

    ``first_validated`` is the year of the CQPM's own validation; ``version_date`` the date of the
    decision that validated the current version, which is that first validation when the history names
    no later version.
    """
    text = clean(text)
    cqpm = _CQPM_RE.search(text)
    qualification = _QUALIFICATION_RE.search(text)
    category = _CATEGORY_RE.search(text)
    first_year: str | None = None
    first_date: date | None = None
    version_date: date | None = None
    for sentence in _SENTENCE_RE.split(text):
        validated = _VALIDATED_RE.search(sentence)
        if not validated:
            continue
        tail = sentence[validated.end():]
        if qualification and qualification.group(0) in tail:
            tail = tail[:tail.index(qualification.group(0))]
        when = _VALIDATED_WHEN_RE.search(tail)
        if _CURRENT_VERSION_RE.search(sentence[:validated.start()]):
            version_date = version_date or find_french_date(tail)
        elif first_year is None and when:
            first_date = parse_french_date(when.group(2)) if when.group(2) else None
            first_year = when.group(1) or (str(first_date.year) if first_date else None)
    return History(
        cqpm_number=cqpm.group(1).zfill(4) if cqpm else None,
        qualification_id=" ".join(qualification.groups()) if qualification else None,
        first_validated=first_year,
        version_date=version_date or first_date,
        category=category.group(1).upper() if category else None,
    )
