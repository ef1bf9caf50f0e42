"""What the columns of a CQPM table hold, read from what their header cells say, not where they are.

Every capacity / compétence table of either layout goes through here: the old layout's
"Capacités professionnelles | Conditions de réalisation | Critères … | Modalités d'évaluation", the
newer layout's per-bloc tables (with "Résultats attendus", modalités by letter or in full, a
"Connaissances associées" column), or an "Activités | Compétences | Évaluation" grid.  A header cell
is matched against a lexicon (``role_of``); a cell that matches nothing has no role and is ignored.

Inside a cell, a paragraph that starts with one of the same labels followed by a colon
("Modalités d'évaluation : A – C", "Résultats attendus : …") says what the rest of the cell holds
(``inline_role``), so a column that mixes two contents (criteria and résultats attendus) still reads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from pipeline.parse.cqpm.common import fold
from pipeline.records import Block, Cell


class Role(StrEnum):
    TITLE = "title"  # the capacité / compétence (its label and wording)
    ACTIVITY = "activity"  # an "Activités" column of a grid: the bloc the compétences below belong to
    CONDITIONS = "conditions"
    CRITERIA = "criteria"
    EXPECTED = "expected_results"
    ASSESSMENT = "assessment"  # modalités d'évaluation: letters (A, B…) or names
    KNOWLEDGE = "knowledge"  # connaissances (associées)
    EVALUATION = "evaluation"  # a grid's "Évaluation" column: criteria, with inline "Modalités :" lines


#: header words -> role, first match wins (folded text: no accents, lower case, ' for any apostrophe)
_LEXICON: tuple[tuple[Role, re.Pattern[str]], ...] = (
    (Role.CONDITIONS, re.compile(r"^conditions? (?:de )?(?:realisation|d.exercice|de mise en oeuvre)|^conditions?$")),
    # "Critères observables et/ou mesurables", "… mesurables et observables", "… avec niveau d'exigence",
    # "Critères d'évaluation"; a merged "Critères … et résultats attendus" column is still criteria
    (Role.CRITERIA, re.compile(r"^criteres?\b")),
    (Role.EXPECTED, re.compile(r"^resultats? attendus?")),
    (Role.ASSESSMENT, re.compile(r"^modalites?\b|^mode(?:s|\(s\))? d.evaluation")),
    (Role.KNOWLEDGE, re.compile(r"^(?:savoirs? (?:et )?)?connaissances?\b|^savoirs? associes")),
    (Role.ACTIVITY, re.compile(r"^(?:referentiel d.\s?)?activites?\b")),
    (Role.TITLE, re.compile(r"^(?:referentiel de )?(?:competences?|capacites?)\b")),
    (Role.EVALUATION, re.compile(r"^(?:referentiel d.\s?)?evaluations?\b")),
)

_MAX_HEADER_CELL = 120  # characters: a longer cell is content, not a column label
#: "Modalités d'évaluation : A – C" / "Résultats attendus :" at the start of a paragraph inside a cell
_INLINE_RE = re.compile(r"^(?P<label>[^:]{4,60}?)\s*:\s*(?P<rest>.*)$", re.S)


def role_of(label: str) -> Role | None:
    """The role a header cell gives its column, or None when its words are not in the lexicon."""
    text = fold(label).strip(" :*")
    if not text or len(text) > _MAX_HEADER_CELL:
        return None
    for role, pattern in _LEXICON:
        if pattern.search(text):
            return role
    return None


def inline_role(text: str) -> tuple[Role, str] | None:
    """(role, rest) for a paragraph that labels what follows ("Résultats attendus : …"), else None."""
    m = _INLINE_RE.match(text.strip())
    if not m:
        return None
    role = role_of(m.group("label"))
    if role in (None, Role.TITLE, Role.ACTIVITY):
        return None
    assert role is not None
    return role, m.group("rest").strip()


@dataclass(frozen=True)
class Columns:
    """The role of each column of a table, in column order (None: a column nobody reads)."""

    roles: tuple[Role | None, ...]

    def index(self, role: Role) -> int | None:
        return next((i for i, r in enumerate(self.roles) if r is role), None)

    def has(self, role: Role) -> bool:
        return role in self.roles

    def cell(self, row: Block, index: int | None) -> Cell:
        return row.cells[index] if index is not None and index < len(row.cells) else Cell()

    def content(self, row: Block) -> list[tuple[int, Role]]:
        """(column, role) of the columns holding items (everything but the title and activity)."""
        return [(i, r) for i, r in enumerate(self.roles)
                if r is not None and r not in (Role.TITLE, Role.ACTIVITY) and i < len(row.cells)]


#: the old layout's table when it prints no header: capacité | conditions | critères | modalités
CLASSIC = Columns((Role.TITLE, Role.CONDITIONS, Role.CRITERIA, Role.ASSESSMENT))


def header_roles(row: Block) -> Columns | None:
    """The columns a header row announces, or None when the row is not a header.

    A header has at least two labelled cells, no role twice, and every non-empty cell is a label
    (unless the front end flagged the row as a header: then a cell worded unexpectedly gets its role
    from the old layout's positions).  A row with one filled cell ("Modalités d'évaluation : A – C")
    is content, whatever the front end guessed.
    """
    roles = tuple(role_of(c.text) if not c.empty else None for c in row.cells)
    filled = [c for c in row.cells if not c.empty]
    labelled = [r for r in roles if r is not None]
    if len(labelled) < 2 or len(set(labelled)) != len(labelled):
        return None
    if len(labelled) != len(filled) and not row.header:
        return None
    return complete(Columns(roles), tuple(not c.empty for c in row.cells))


def complete(columns: Columns, worded: tuple[bool, ...]) -> Columns:
    """A header cell worded unexpectedly (``worded`` but no role) takes its role from the old
    layout's positions when that role is missing; an empty header cell stays without a role."""
    roles = list(columns.roles)
    for role in (Role.TITLE, Role.CONDITIONS, Role.CRITERIA):
        pos = CLASSIC.index(role)
        if (role not in roles and pos is not None and pos < len(roles) and roles[pos] is None
                and worded[pos]):
            roles[pos] = role
    return Columns(tuple(roles))
