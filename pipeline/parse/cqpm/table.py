"""Capacity / compétence tables of either CQPM layout -> units (one per capacité or compétence).

A unit starts at a row whose title column carries a label ("1.", "1)", "C1", "C1.1",
"Compétence 1"); the rows below it whose title column is empty continue it.  What each column holds
comes from the header rows (``cqpm_columns``), by the old layout's positions when a table prints
none; a header repeated on each page only re-states the columns.  The same reader serves the old
layout's section II (``read_capacities``) and the newer layout's sections 2 and 3 (``read_units``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from pipeline.extract.furniture import is_commission, qualification
from pipeline.parse.cqpm.columns import CLASSIC, Columns, Role, header_roles, inline_role, role_of
from pipeline.parse.cqpm.common import number_label, prov, squash, trim_item, trim_title
from pipeline.records import Block, Cell, CqpmCapacity, Marker, Para, Provenance, TextItem

# "C1 …", "C 1 -", "C1.2 :", "Compétence 1 :", "Compétence n°3 -"
_COMPETENCE_LABEL_RE = re.compile(
    r"^\s*(?:comp[ée]tence\s*(?:n\s*[°o]\.?\s*)?|C\s?)(\d{1,2}(?:\.\d{1,2})?)\s*(?:[.:)\-–]\s*|\s+)", re.I)


def unit_label(text: str) -> tuple[str, int, str] | None:
    """(printed label, its first number, the title after it) for a labelled title cell, else None."""
    m = _COMPETENCE_LABEL_RE.match(text)
    if m:
        label = m.group(1)
        return label, int(label.split(".")[0]), text[m.end():]
    number, rest = number_label(text)
    if number is None:
        return None
    return str(number), number, rest


def is_furniture_row(row: Block) -> bool:
    """A page header printed as a table row (the CPNE commission, "Qualification : MQ …")."""
    return any(is_commission(c.text) or qualification(c.text) != (None, None) for c in row.cells if not c.empty)


@dataclass
class _Item:
    text: str
    prov: Provenance

    def extend(self, para: Para) -> None:
        self.text += f" • {para.text}" if para.marker is Marker.BULLET else f" {para.text}"


@dataclass
class Unit:
    """A capacité / compétence as its table rows give it (mutable while rows are read)."""

    label: str
    number: int
    title: str
    prov: Provenance
    page: int | None
    activity: str | None = None  # the grid's "Activités" cell in force at this unit (its bloc)
    items: dict[Role, list[_Item]] = field(default_factory=dict)
    # the role a column holds from an inline label on ("Résultats attendus :") until the unit ends
    switched: dict[int, Role] = field(default_factory=dict)

    def texts(self, role: Role) -> tuple[TextItem, ...]:
        return tuple(TextItem(text=trim_item(i.text), prov=i.prov) for i in self.items.get(role, ()) if i.text.strip())

    def capacity(self, number: int | None = None, **extra: object) -> CqpmCapacity:
        return CqpmCapacity(number=self.number if number is None else number, title=trim_title(self.title),
                            conditions=self.texts(Role.CONDITIONS), criteria=self.texts(Role.CRITERIA),
                            assessment=self.texts(Role.ASSESSMENT), prov=self.prov,
                            knowledge=self.texts(Role.KNOWLEDGE), expected_results=self.texts(Role.EXPECTED),
                            **extra)  # type: ignore[arg-type]


def _goes_on(para: Para) -> bool:
    """A paragraph that reads as the rest of the one above (cut by a page break): a lowercase start."""
    return para.marker is None and para.text[:1].islower()


def add_paragraphs(items: list[_Item], paras: Sequence[Para], row: Block, page_turn: bool,
                   bullets_join: bool = True) -> None:
    """Conditions, résultats, modalités: one item per paragraph; a bullet stays in the item above it."""
    for k, para in enumerate(paras):
        joins = (bullets_join and para.marker is Marker.BULLET) or (k == 0 and page_turn and _goes_on(para))
        if items and joins:
            items[-1].extend(para)
        else:
            items.append(_Item(para.text, prov(row, para)))


def add_criteria(items: list[_Item], paras: Sequence[Para], row: Block, page_turn: bool, row_cut: bool) -> None:
    """One criterion per checkbox paragraph, or per row when the cell has no checkbox.

    Bullets and plain paragraphs stay in the criterion above them.  The cell's first paragraphs
    still belong to the previous criterion when they start with a bullet, or when the row is the
    rest of a row cut by a page break.
    """
    if not paras:
        return
    first = paras[0]
    carried = first.marker is Marker.BULLET or (page_turn and (row_cut or _goes_on(first)))
    current = items[-1] if items and carried else None
    for para in paras:
        if para.marker is Marker.CHECKBOX or current is None:
            current = _Item(para.text, prov(row, para))
            items.append(current)
        else:
            current.extend(para)


def _add(unit: Unit, role: Role, paras: Sequence[Para], row: Block, page_turn: bool, row_cut: bool) -> None:
    items = unit.items.setdefault(Role.CRITERIA if role is Role.EVALUATION else role, [])
    if role in (Role.CRITERIA, Role.EVALUATION):
        add_criteria(items, paras, row, page_turn, row_cut)
    else:  # a connaissance per paragraph, whatever glyph introduced it
        add_paragraphs(items, paras, row, page_turn, bullets_join=role is not Role.KNOWLEDGE)


def _read_cell(unit: Unit, column: int, role: Role, cell: Cell, row: Block, page_turn: bool, row_cut: bool) -> None:
    """The cell's paragraphs into the unit, switching role at an inline label ("Modalités : A, C")."""
    role = unit.switched.get(column, role)
    run: list[Para] = []
    for para in cell.paras:
        switch = inline_role(para.text)
        if switch is None:
            run.append(para)
            continue
        _add(unit, role, run, row, page_turn, row_cut)
        run = []
        role = unit.switched[column] = switch[0]
        if switch[1]:
            run.append(Para(text=switch[1], marker=None, page=para.page, bbox=para.bbox))
    _add(unit, role, run, row, page_turn, row_cut)


def _split_title(cell: Cell) -> tuple[list[Para], list[Para]]:
    """A title cell's paragraphs: the title's, then from the first inline label on ("Modalités : A")
    what belongs to other roles."""
    for k, para in enumerate(cell.paras):
        if inline_role(para.text) is not None:
            return list(cell.paras[:k]), list(cell.paras[k:])
    return list(cell.paras), []


def _unlabelled_start(text: str) -> tuple[str, int, str] | None:
    """An unnumbered compétence (RNCP-style lists print none): a title cell starting with a capital;
    a lowercase start is the rest of a title cut by a page break."""
    text = text.strip()
    if not text[:1].isupper() or role_of(text) is not None:  # a lone column label is no compétence
        return None
    return "", 0, text


def read_units(rows: Sequence[Block], columns: Columns = CLASSIC, *, labels: bool = True) -> list[Unit]:
    """Units of table rows, in table order; ``columns`` is what the table holds until a header says.

    With ``labels`` (the old layout) a unit starts only at a labelled title ("1.", "C1"); without,
    any title cell that starts with a capital starts one (a compétence list may print no numbers).
    """
    units: list[Unit] = []
    activity: str | None = None
    for row in rows:
        if is_furniture_row(row):
            continue
        announced = header_roles(row)
        if announced is not None:
            columns = announced
            continue
        title_column = columns.index(Role.TITLE)
        first = columns.cell(row, title_column)
        grid = columns.cell(row, columns.index(Role.ACTIVITY))
        title_paras, labelled_paras = _split_title(first)
        title_text = " ".join(p.text for p in title_paras)
        labelled = unit_label(title_text) if title_paras else None
        if labelled is None and not labels and title_paras:
            labelled = _unlabelled_start(title_text)
        unit = units[-1] if units else None
        if labelled is not None:
            label, number, title = labelled
            if not grid.empty:
                activity = grid.text
            unit = Unit(label, number, title, prov(row, title_paras[0]), row.page, activity=activity)
            units.append(unit)
        elif unit is None:
            if not grid.empty:
                activity = grid.text
            continue  # nothing labelled yet: not a unit row
        elif not grid.empty:  # a grid's activity cell wrapped onto the next row
            activity = unit.activity = squash(f"{unit.activity or ''} {grid.text}")
        page_turn = row.page is not None and unit.page is not None and row.page != unit.page
        row_cut = labelled is None and bool(title_paras)  # the title column goes on: the title was cut
        if row_cut:
            unit.title = squash(f"{unit.title} {title_text}")
        if labelled_paras and title_column is not None:
            _read_cell(unit, title_column, Role.ASSESSMENT, Cell(paras=tuple(labelled_paras)), row, page_turn, False)
        for column, role in columns.content(row):
            _read_cell(unit, column, role, row.cells[column], row, page_turn, row_cut)
        unit.page = row.page
    return units


def read_capacities(rows: Sequence[Block]) -> tuple[CqpmCapacity, ...]:
    """The old layout's section II: capacities numbered as printed, in table order."""
    return tuple(u.capacity() for u in read_units(rows))
