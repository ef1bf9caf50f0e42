"""The layout of a fiche RNCP as one stream of text units, cut into sections by the fiche's headings.

A unit is a paragraph, a list item, or one paragraph of a table cell, in reading order, with the
provenance of the block or cell paragraph it came from.  Nothing here depends on how a front end
produced the layout (text dump, markdown, PDF): only on the layout model of ``pipeline.records``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from pipeline.normalize.text import fold_aligned as fold
from pipeline.records import BBox, BlockKind, Layout, Provenance


@dataclass(frozen=True)
class Unit:
    text: str  # whitespace collapsed, otherwise as printed
    prov: Provenance
    gap: bool = True  # starts a new paragraph (False: a wrapped continuation of the unit before)
    kind: BlockKind = BlockKind.PARAGRAPH
    table: int | None = None
    row: int | None = None  # the order of its table row
    col: int | None = None  # its cell's index in the row (None outside tables)
    header: bool = False  # comes from a table header row

    @property
    def folded(self) -> str:
        return fold(self.text)


def clean(text: str) -> str:
    return " ".join(text.replace("\u00a0", " ").split())


# A page footer left in the body by a front end ("RNCP 28242 – Résumé descriptif de la certification 1/4").
_FURNITURE_RE = re.compile(r"^rncp\s*\d+\s*[-–]\s*resume descriptif de la certification\s*\d+\s*/\s*\d+$")


def linearise(layout: Layout) -> list[Unit]:
    """Paragraphs, list items and table-cell paragraphs in reading order; footnotes left out."""
    units: list[Unit] = []
    for block in layout.blocks:
        if block.kind is BlockKind.FOOTNOTE:
            continue
        if block.kind is BlockKind.TABLE_ROW:
            for col, cell in enumerate(block.cells):
                first = True
                for para in cell.paras:
                    text = clean(para.text)
                    if not text:
                        continue
                    prov = Provenance(
                        page=para.page if para.page is not None else block.page,
                        order=block.order,
                        bbox=para.bbox or cell.bbox or block.bbox,
                    )
                    units.append(Unit(text, prov, gap=first, kind=block.kind, table=block.table,
                                      row=block.order, col=col, header=block.header))
                    first = False
            continue
        text = clean(block.text)
        if not text or _FURNITURE_RE.match(fold(text)):
            continue
        units.append(Unit(text, Provenance(page=block.page, order=block.order, bbox=block.bbox),
                          gap=block.gap_before, kind=block.kind))
    return units


# ---------------------------------------------------------------------------------------------- sections


@dataclass(frozen=True)
class Anchor:
    """A section heading of the fiche: a pattern on the folded unit, the full heading when it may wrap."""

    name: str
    pattern: re.Pattern[str]
    full: str = ""  # the whole heading (folded), to absorb its wrapped continuation lines
    in_tables: bool = True  # may be a table header cell (else only a plain paragraph)


def _a(name: str, pattern: str, full: str = "", in_tables: bool = True) -> Anchor:
    return Anchor(name, re.compile(pattern), full, in_tables)


# ``rest`` captures what the heading line carries after its colon ("Convention(s) : 3109 - Métallurgie").
ANCHORS: tuple[Anchor, ...] = (
    _a("title", r"^intitule\b\s*:?\s*(?P<rest>.*)$", in_tables=False),
    _a("certifiers", r"^autorite responsable\b",
       "autorite responsable de la certification qualite du(es) signataire(s) de la certification"),
    _a("level", r"^niveau et/ou domaine d'activite"),
    _a("conventions", r"^convention\(?s?\)?\s*:?\s*(?P<rest>.*)$"),
    _a("nsf", r"^code\(?s?\)?\s*nsf\s*:?\s*(?P<rest>.*)$"),
    _a("formacodes", r"^formacode\(?s?\)?\s*:?\s*(?P<rest>.*)$"),
    _a("summary", r"^resume du referentiel\b",
       "resume du referentiel d'emploi ou elements de competence acquis"),
    _a("capacities", r"^les (?:capacites|competences) (?:attestees|attendues)\s*:?\s*(?P<rest>.*)$"),
    _a("jobs", r"^secteurs d'activite\b",
       "secteurs d'activite ou types d'emplois accessibles par le detenteur de ce diplome, ce titre ou ce "
       "certificat"),
    _a("rome", r"^codes? des fiches rome\b[^:]*:?\s*(?P<rest>.*)$", "codes des fiches rome les plus proches"),
    _a("access", r"^modalites d'acces a cette certification\b"),
    _a("components", r"^descriptif des composantes de la certification\b"),
    _a("blocks", r"^blocs? de competences?\s*:?\s*$"),
    _a("validity", r"^validite des composantes acquises\s*:?\s*(?P<rest>.*)$"),
    _a("conditions", r"^conditions d'inscription\b"),
    _a("links", r"^liens avec d'autres certifications\b"),
    _a("legal", r"^base legale\b"),
    _a("more", r"^pour plus d'informations\b"),
    _a("statistics", r"^statistiques\s*:?\s*(?P<rest>.*)$"),
    _a("sources", r"^autres sources d'information\b"),
    _a("places", r"^lieu\(?x?\)? de (?:certification|preparation)\b"),
    _a("history", r"^historique de la certification\s*:?\s*(?P<rest>.*)$"),
)


def _heading_key(text: str) -> str:
    return clean(fold(text)).rstrip(" :")


@dataclass(frozen=True)
class Section:
    anchor: Unit
    units: tuple[Unit, ...]  # the content, header rows included (readers skip them)

    @property
    def body(self) -> tuple[Unit, ...]:
        return tuple(u for u in self.units if not u.header)


def find_sections(units: Sequence[Unit]) -> tuple[dict[str, Section], list[int]]:
    """Each anchor's first occurrence with its content up to the next anchor; and the anchors' positions."""
    found: dict[str, tuple[int, int, Unit | None]] = {}  # name -> (anchor index, content start, rest unit)
    for i, unit in enumerate(units):
        key = unit.folded
        for anchor in ANCHORS:
            if anchor.name in found or (not anchor.in_tables and (unit.col is not None or unit.header)):
                continue
            m = anchor.pattern.match(key)
            if not m or (_rest(m) and ":" not in key[:m.start("rest")]):
                continue  # a value on the heading's line follows a colon; else it is prose that starts alike
            start = i + 1
            if anchor.full:
                start = _absorb_heading(units, i, anchor.full)
            rest = replace(unit, text=clean(unit.text[m.start("rest"):])) if _rest(m) else None
            found[anchor.name] = (i, start, rest)
            break
    positions = sorted(i for i, _, _ in found.values())
    sections: dict[str, Section] = {}
    for name, (i, start, rest) in found.items():
        end = next((p for p in positions if p > i), len(units))
        content = tuple(units[max(start, i + 1):end])
        if rest is not None:
            content = (rest, *content)
        sections[name] = Section(units[i], content)
    return sections, positions


def _rest(m: re.Match[str]) -> bool:
    return "rest" in m.re.groupindex and bool(m.group("rest").strip())


def _absorb_heading(units: Sequence[Unit], i: int, full: str) -> int:
    """The index after a heading that wrapped over several units (continuations without a gap)."""
    text = _heading_key(units[i].text)
    j = i + 1
    while j < len(units) and not units[j].gap and text != full:
        longer = f"{text} {_heading_key(units[j].text)}"
        if not full.startswith(longer):
            break
        text, j = longer, j + 1
    return j


# ---------------------------------------------------------------------------------------------- joining


def join(units: Iterable[Unit]) -> str:
    return clean(" ".join(u.text for u in units))


def prov_of(units: Sequence[Unit]) -> Provenance:
    """The first unit's provenance, its box grown over the following units of the same page."""
    first = units[0].prov
    boxes = [u.prov.bbox for u in units if u.prov.page == first.page and u.prov.bbox is not None]
    if not boxes or first.bbox is None:
        return first
    return Provenance(page=first.page, order=first.order, bbox=BBox(
        x0=min(b.x0 for b in boxes), top=min(b.top for b in boxes),
        x1=max(b.x1 for b in boxes), bottom=max(b.bottom for b in boxes)))


def strip_end(text: str, chars: str = ";.,") -> str:
    """Drop the list punctuation a printed item ends with ("… politique QSE ;" -> "… politique QSE")."""
    return re.sub(rf"[\s{re.escape(chars)}]+$", "", text).strip()
