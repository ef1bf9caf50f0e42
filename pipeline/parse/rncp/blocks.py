"""The "Bloc de compétence n°N de la fiche n° NNNNN - titre" entries and the capacities each one takes up.

In a table the first column holds the bloc's title and the others its description; a row that does not
open a new bloc (a table cut by a page break) continues the bloc above.  Without a table, the title
runs from its heading line over the lines wrapped after it, and the description follows.  Capacities
are read in the description before "Modalités d'évaluation", as "C7 …" or as "7) …" (read "C7").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from pipeline.normalize.text import fold_aligned as fold
from pipeline.parse.rncp.stream import Unit, clean, prov_of
from pipeline.records import RncpBlock

BLOC_START_RE = re.compile(r"^blocs? de competences?\s*n\s*[°o]?\s*\d")
_NUMBER_RE = re.compile(r"^blocs? de competences?\s*n\s*[°o]?\s*(?P<number>\d+)")
_TITLE_RE = re.compile(r"(?:\s*de\s+la\s+fiche(?:\s*n\s*[°o]?)?\s*(?:rncp\s*)?\d+)?\s*[-–:]\s*(?P<title>.*)$")
# Where a bloc's title stops: its description ("Descriptif :", "Ce bloc de compétences reprend …") or a
# capacity line, when a layout runs the description column into the title column's lines.
_DESCRIPTIF_RE = re.compile(r"^(?:descriptif\b|ce bloc de competences?\b|modalites d'\s*evaluation)")
_DESCRIPTIF_LABEL_RE = re.compile(r"(?:^|\s)descriptif\s*:")
_DESCRIPTION_RE = re.compile(r"\s+ce bloc de competences?\b")
_DESCRIPTION_SENTENCE_RE = re.compile(
    r"\s+ce bloc de competences? reprend (?:les|la) capacites? professionnelles? suivantes?\s*:?")
_TABLE_LABEL_RE = re.compile(
    r"^(?:intitule|descriptif et modalites d'evaluation)(?:\s+descriptif et modalites d'evaluation)?$")
_ASSESSMENT_RE = re.compile(r"modalites d'\s*evaluation")
# "C7 Organiser …" or "7) Organiser …": a code followed by a capitalised capacity text.
_CAPACITY_RE = re.compile(r"(?:(?<=\s)|^)(?:C(\d{1,2})\b(?:\s*[-.–:)])?|(\d{1,2})\))\s+(?=[A-ZÀ-ÖØ-Þ])")


@dataclass
class _Bloc:
    start: Unit
    title: list[Unit] = field(default_factory=list)
    description: list[str] = field(default_factory=list)
    in_title: bool = True


def read_blocks(units: Sequence[Unit], stops: set[int]) -> tuple[RncpBlock, ...]:
    """Blocs found anywhere in ``units``; a bloc ends at the next bloc or at a section anchor (``stops``)."""
    blocs: list[_Bloc] = []
    current: _Bloc | None = None
    for i, unit in enumerate(units):
        key = unit.folded
        if BLOC_START_RE.match(key):
            current = _Bloc(start=unit, title=[unit])
            blocs.append(current)
            continue
        if i in stops:
            current = None
        if current is None or unit.header or _TABLE_LABEL_RE.match(key):
            continue
        if unit.col is not None:  # a table: the title column, then the description columns
            if unit.col == (current.start.col or 0):
                current.title.append(unit)
            else:
                current.description.append(unit.text)
        elif current.in_title and not unit.gap and not _DESCRIPTIF_RE.match(key) \
                and not _CAPACITY_RE.match(unit.text):
            current.title.append(unit)
        else:
            current.in_title = False
            current.description.append(unit.text)
    return tuple(b for b in map(_to_block, blocs) if b is not None)


def _to_block(bloc: _Bloc) -> RncpBlock | None:
    text = clean(" ".join(u.text for u in bloc.title))
    # a layout that ran the description column into the title's lines: drop its label, cut its sentence
    label = _DESCRIPTIF_LABEL_RE.search(fold(text))
    if label:
        text = clean(f"{text[:label.start()]} {text[label.end():]}")
    sentence = _DESCRIPTION_SENTENCE_RE.search(fold(text))
    if sentence:
        text = clean(f"{text[:sentence.start()]} {text[sentence.end():]}")
    cut = _DESCRIPTION_RE.search(fold(text))
    if cut:
        text = text[:cut.start()]
    number = _NUMBER_RE.match(fold(text))
    if not number:
        return None
    m = _TITLE_RE.match(fold(text), number.end())
    title = clean(text[m.start("title"):]) if m else ""  # no "fiche n° … -" before it: the title is not sure
    return RncpBlock(number=int(number.group("number")), title=title,
                     capacities=block_capacities(" ".join(bloc.description)), prov=prov_of(bloc.title))


def block_capacities(description: str) -> tuple[str, ...]:
    """RNCP capacity codes named in a bloc's description, before its assessment part: ("C1", "C7", …)."""
    text = clean(description)
    m = _ASSESSMENT_RE.search(fold(text))
    if m:
        text = text[:m.start()]
    codes: list[str] = []
    for c in _CAPACITY_RE.finditer(text):
        code = f"C{int(c.group(1) or c.group(2))}"
        if code not in codes:
            codes.append(code)
    return tuple(codes)
