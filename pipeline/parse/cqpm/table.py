"""Section II of a CQPM référentiel: the capacity table -> capacities.

A capacity starts at a row whose first column is numbered ("1. Etablir …"); the rows below it
whose first column is empty continue it.  Columns are found from the header row ("Capacités
professionnelles | Conditions de réalisation | Critères … | Modalités d'évaluation"), by position
when there is none; header rows repeated on each page are skipped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from pipeline.parse.cqpm.common import fold, number_label, prov, squash, trim_item, trim_title
from pipeline.records import Block, Cell, CqpmCapacity, Marker, Para, Provenance, TextItem

_NO_CELL = Cell()


@dataclass(frozen=True)
class Columns:
    """Which cell of a row holds what (None: the table has no such column)."""

    title: int = 0
    conditions: int | None = 1
    criteria: int | None = 2
    assessment: int | None = 3

    def cell(self, row: Block, index: int | None) -> Cell:
        return row.cells[index] if index is not None and index < len(row.cells) else _NO_CELL


def _role(label: str) -> str | None:
    label = fold(label)
    if "condition" in label:
        return "conditions"
    if label.startswith("crit"):  # before "evaluation": newer tables print "Critères d'évaluation"
        return "criteria"
    if "modalite" in label or "evaluation" in label:
        return "assessment"
    if "capacite" in label:
        return "title"
    return None


def columns_from_header(row: Block) -> Columns:
    found: dict[str, int] = {}
    for i, cell in enumerate(row.cells):
        role = _role(cell.text)
        if role is not None and role not in found:
            found[role] = i
    default = Columns()
    taken = set(found.values())
    for role in ("conditions", "criteria"):  # a header worded unexpectedly: fall back on position
        if role not in found and getattr(default, role) not in taken:
            found[role] = getattr(default, role)
    return Columns(title=found.get("title", 0), conditions=found.get("conditions"),
                   criteria=found.get("criteria"), assessment=found.get("assessment"))


def looks_like_header(row: Block) -> bool:
    """A header row the front end did not flag: "Capacités …" over "Conditions …"/"Critères …"."""
    texts = [fold(c.text) for c in row.cells]
    return (bool(texts) and texts[0].startswith("capacite")
            and any(_role(t) in ("conditions", "criteria") for t in texts[1:]))


@dataclass
class _Item:
    text: str
    prov: Provenance

    def extend(self, para: Para) -> None:
        self.text += f" • {para.text}" if para.marker is Marker.BULLET else f" {para.text}"


@dataclass
class _Draft:
    number: int
    title: str
    prov: Provenance
    page: int | None
    conditions: list[_Item] = field(default_factory=list)
    criteria: list[_Item] = field(default_factory=list)
    assessment: list[_Item] = field(default_factory=list)

    def build(self) -> CqpmCapacity:
        def items(drafts: list[_Item]) -> tuple[TextItem, ...]:
            return tuple(TextItem(text=trim_item(i.text), prov=i.prov) for i in drafts if i.text.strip())

        return CqpmCapacity(number=self.number, title=trim_title(self.title),
                            conditions=items(self.conditions), criteria=items(self.criteria),
                            assessment=items(self.assessment), prov=self.prov)


def _goes_on(para: Para) -> bool:
    """A paragraph that reads as the rest of the one above (cut by a page break): a lowercase start."""
    return para.marker is None and para.text[:1].islower()


def add_paragraphs(items: list[_Item], cell: Cell, row: Block, page_turn: bool) -> None:
    """Conditions and assessment: one item per paragraph; a bullet stays in the item above it."""
    for k, para in enumerate(cell.paras):
        if items and (para.marker is Marker.BULLET or (k == 0 and page_turn and _goes_on(para))):
            items[-1].extend(para)
        else:
            items.append(_Item(para.text, prov(row, para)))


def add_criteria(items: list[_Item], cell: Cell, row: Block, page_turn: bool, row_cut: bool) -> None:
    """One criterion per checkbox paragraph, or per row when the cell has no checkbox.

    Bullets and plain paragraphs stay in the criterion above them.  The cell's first paragraphs
    still belong to the previous criterion when they start with a bullet, or when the row is the
    rest of a row cut by a page break.
    """
    if not cell.paras:
        return
    first = cell.paras[0]
    carried = first.marker is Marker.BULLET or (page_turn and (row_cut or _goes_on(first)))
    current = items[-1] if items and carried else None
    for para in cell.paras:
        if para.marker is Marker.CHECKBOX or current is None:
            current = _Item(para.text, prov(row, para))
            items.append(current)
        else:
            current.extend(para)


def read_capacities(rows: Sequence[Block]) -> tuple[CqpmCapacity, ...]:
    """Capacities of the table rows of section II, in table order."""
    columns = Columns()
    drafts: list[_Draft] = []
    for row in rows:
        if row.header or looks_like_header(row):
            columns = columns_from_header(row)
            continue
        first = columns.cell(row, columns.title)
        number, title = number_label(first.text)
        draft = drafts[-1] if drafts else None
        if number is not None:
            draft = _Draft(number, title, prov(row, first.paras[0] if first.paras else None), row.page)
            drafts.append(draft)
        elif draft is None:
            continue  # nothing numbered yet: not a capacity row
        page_turn = row.page is not None and draft.page is not None and row.page != draft.page
        row_cut = number is None and not first.empty  # the first column goes on: the title was cut
        if row_cut:
            draft.title = squash(f"{draft.title} {first.text}")
        add_paragraphs(draft.conditions, columns.cell(row, columns.conditions), row, page_turn)
        add_criteria(draft.criteria, columns.cell(row, columns.criteria), row, page_turn, row_cut)
        add_paragraphs(draft.assessment, columns.cell(row, columns.assessment), row, page_turn)
        draft.page = row.page
    return tuple(d.build() for d in drafts)
