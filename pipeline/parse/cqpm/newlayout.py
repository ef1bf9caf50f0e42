"""The newer CQPM layout (accord du 8 novembre 2019, art. 51) -> CqpmDocument.

1. référentiel d'activités: 1.1 missions and activités (the prose before the lead-in "Les missions ou
   activités … portent sur :" is the objective; then activities as nominal sub-headings with their
   paragraphs, or as a list), 1.2 environnement de travail, 1.3 interactions;
2. référentiel de compétences: blocs, their compétences (a list, or a table with the connaissances);
3. référentiel d'évaluation: per compétence conditions, critères, résultats attendus, modalités (by
   letter, resolved against the closing lettered list, or in full).

Sections are found by their words, tables read by what their columns say (``cqpm_table`` with
``cqpm_columns``), so a table shape nobody has seen yet still reads.  What cannot be read is left
empty and named in the document's reasons (``partial``); nothing is guessed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from pipeline.parse.cqpm.columns import CLASSIC, Columns, Role
from pipeline.parse.cqpm.common import block_label, fold, is_prose, prov, squash, trim_item, trim_title
from pipeline.parse.cqpm.headings import (
    ACTIVITIES_RE,
    COMPETENCES_RE,
    ENVIRONMENT_RE,
    EVALUATION_RE,
    INTERACTIONS_RE,
    METHODS_RE,
    MISSIONS_RE,
    BlocHeading,
    bloc_heading,
    find,
    find_last,
    is_furniture_line,
)
from pipeline.parse.cqpm.prose import drop_list_intro, merge_wrapped
from pipeline.parse.cqpm.table import Unit, read_units, unit_label
from pipeline.records import (
    Block,
    BlockKind,
    CqpmActivity,
    CqpmBlock,
    CqpmCapacity,
    Provenance,
    TextItem,
)

#: section 2 without a header row: compétence | connaissances
_COMPETENCE_TABLE = Columns((Role.TITLE, Role.KNOWLEDGE))
_LETTERS_RE = re.compile(r"^[A-H](?:\s*(?:,|;|/|&|–|-|—|\bet\b|\bou\b)?\s*[A-H])*\s*\.?$")
_METHOD_RE = re.compile(r"^\s*([A-H])\s*[.)\-–—:]\s+(\S.*)$")
_KNOWLEDGE_INTRO_RE = re.compile(r"^(?:savoirs? (?:et )?)?connaissances?\b.*:?\s*$")
_TERMINAL = ".:;!?…"


@dataclass(frozen=True)
class SectionOne:
    objective: str | None
    activities: tuple[CqpmActivity, ...]
    environment: str | None
    interactions: str | None


@dataclass
class Competence:
    """A compétence as section 2 lists it (its bloc by rank, its connaissances)."""

    label: str
    title: str
    bloc: int | None
    prov: Provenance
    knowledge: list[TextItem] = field(default_factory=list)


@dataclass(frozen=True)
class NewLayout:
    """What the three référentiels gave; ``reasons`` name what could not be read."""

    objective: str | None
    activities: tuple[CqpmActivity, ...]
    environment: str | None
    interactions: str | None
    blocks: tuple[CqpmBlock, ...]
    capacities: tuple[CqpmCapacity, ...]
    assessment_methods: tuple[TextItem, ...]
    reasons: tuple[str, ...]


# ---------------------------------------------------------------------------------------------- section 1


def _prose(blocks: Sequence[Block]) -> list[Block]:
    return [b for b in merge_wrapped(blocks) if b.kind in (BlockKind.PARAGRAPH, BlockKind.LIST_ITEM, BlockKind.HEADING)]


def _joined(blocks: Sequence[Block]) -> str | None:
    text = "\n".join(squash(b.text) for b in blocks if b.text.strip())
    return text or None


def _is_lead_in(block: Block) -> bool:
    """ "Les missions ou activités … portent sur :" (any sentence ending in a colon before the list)."""
    return block.kind is not BlockKind.LIST_ITEM and block.text.rstrip().endswith(":")


def _is_sub_heading(block: Block) -> bool:
    """A nominal activity heading: short, no sentence end ("L'intervention de maintenance corrective")."""
    text = block.text.strip()
    return (block.kind is not BlockKind.LIST_ITEM and len(text) <= 200 and text[-1:] not in _TERMINAL
            and text[:1].isupper())


def read_activities(blocks: Sequence[Block]) -> tuple[str | None, tuple[CqpmActivity, ...]]:
    """(objective, activities) of 1.1: the prose before the lead-in, then the items after it."""
    lines = _prose(blocks)
    lead = next((i for i, b in enumerate(lines) if _is_lead_in(b)), None)
    if lead is None:  # no lead-in: the prose runs up to the first list item or sub-heading
        lead = next((i for i, b in enumerate(lines) if b.kind is BlockKind.LIST_ITEM or _is_sub_heading(b)),
                    len(lines))
        before, after = lines[:lead], lines[lead:]
    else:
        before, after = lines[:lead], lines[lead + 1:]
        rest = drop_list_intro(lines[lead].text)  # "… fonctionnement. Les missions … portent sur :" on one line
        if rest:
            before = [*before, replace(lines[lead], text=rest)]
    objective = _joined(before)
    activities: list[CqpmActivity] = []
    if any(b.kind is BlockKind.LIST_ITEM for b in after[:1]) or all(b.kind is BlockKind.LIST_ITEM for b in after):
        for b in after:
            if b.kind is not BlockKind.LIST_ITEM:
                break
            activities.append(CqpmActivity(title=trim_item(b.text), text=None, prov=prov(b)))
        return objective, tuple(activities)
    heading: Block | None = None
    body: list[Block] = []

    def flush() -> None:
        if heading is not None:
            activities.append(CqpmActivity(title=trim_item(heading.text), text=_joined(body), prov=prov(heading)))

    for b in after:
        if _is_sub_heading(b):
            flush()
            heading, body = b, []
        elif heading is not None:
            body.append(b)
    flush()
    return objective, tuple(activities)


def read_section_one(blocks: tuple[Block, ...], start: int, end: int) -> SectionOne:
    """1.1, 1.2 and 1.3 between ``start`` (the section heading) and ``end``, found by their words."""
    missions = find(blocks, MISSIONS_RE, start, end)
    environment = find(blocks, ENVIRONMENT_RE, start, end)
    interactions = find(blocks, INTERACTIONS_RE, start, end)
    marks = sorted(i for i in (missions, environment, interactions) if i is not None)

    def body(at: int | None) -> list[Block]:
        if at is None:
            return []
        stop = next((m for m in marks if m > at), end)
        return list(blocks[at + 1:stop])

    first = marks[0] if marks else end
    objective, activities = read_activities(body(missions) if missions is not None else list(blocks[start + 1:first]))
    return SectionOne(
        objective=objective,
        activities=activities,
        environment=_joined(_prose(body(environment))),
        interactions=_joined(_prose(body(interactions))),
    )


# ---------------------------------------------------------------------------------------------- sections 2, 3


def _blocs_in(blocks: Sequence[Block]) -> list[BlocHeading]:
    return [h for b in blocks if (h := bloc_heading(b)) is not None]


def _bloc_at(headings: Sequence[BlocHeading], order: int) -> int | None:
    """Rank (0-based) of the last bloc heading before reading order ``order``."""
    rank = None
    for k, h in enumerate(headings):
        if h.order <= order:
            rank = k
    return rank


def _rows(blocks: Sequence[Block]) -> list[Block]:
    return [b for b in blocks if b.kind is BlockKind.TABLE_ROW and bloc_heading(b) is None]


def read_competences(blocks: Sequence[Block]) -> tuple[list[BlocHeading], list[Competence]]:
    """Section 2: bloc headings and their compétences (a labelled list, or a table with connaissances)."""
    headings = _blocs_in(blocks)
    found: list[Competence] = []
    knowledge_open = False
    for b in merge_wrapped(blocks):
        if bloc_heading(b) is not None:
            knowledge_open = False
            continue
        labelled = unit_label(b.text)
        if labelled is not None and b.kind is not BlockKind.LIST_ITEM:
            found.append(Competence(labelled[0], trim_title(labelled[2]), _bloc_at(headings, b.order), prov(b)))
            knowledge_open = False
        elif found and _KNOWLEDGE_INTRO_RE.match(fold(b.text)) and len(b.text) < 80:
            knowledge_open = True
        elif found and knowledge_open and b.kind is BlockKind.LIST_ITEM:
            found[-1].knowledge.append(TextItem(text=trim_item(b.text), prov=prov(b)))
    units = [(u, _bloc_at(headings, u.prov.order)) for u in read_units(_rows(blocks), _COMPETENCE_TABLE,
                                                                      labels=False)]
    if not headings and any(u.activity for u, _ in units):
        headings, units = _grid_blocs(units)
    for unit, bloc in units:
        found.append(Competence(unit.label, trim_title(unit.title), bloc, unit.prov, list(unit.texts(Role.KNOWLEDGE))))
    found.sort(key=lambda c: c.prov.order)
    return headings, found


def read_evaluation(blocks: Sequence[Block]) -> tuple[list[BlocHeading], list[tuple[Unit, int | None]]]:
    """Section 3: bloc headings and the units of its tables, each with the rank of its bloc heading."""
    headings = _blocs_in(blocks)
    units = read_units(_rows(blocks), CLASSIC, labels=False)
    return headings, [(u, _bloc_at(headings, u.prov.order)) for u in units]


def read_methods(blocks: Sequence[Block]) -> tuple[TextItem, ...]:
    """The lettered list "A. Évaluation en situation professionnelle réelle", "B - …": names, in order."""
    methods: list[TextItem] = []
    expected = "A"
    for b in blocks:
        if not is_prose(b):
            continue
        label, text = block_label(b)  # a front end may keep "A)" as the list marker
        m = _METHOD_RE.match(b.text)
        if m is not None:
            label, text = m.group(1), m.group(2)
        if label is not None and label.upper() == expected and len(text) <= 150:
            methods.append(TextItem(text=trim_title(text), prov=prov(b)))
            expected = chr(ord(expected) + 1)
    return tuple(methods)


def resolve_assessment(items: Sequence[TextItem], methods: Sequence[TextItem]) -> tuple[TextItem, ...]:
    """Letters ("A, C", "A – C") -> the methods' names; a name printed in full -> the list's spelling."""
    names = {chr(ord("A") + k): m.text for k, m in enumerate(methods)}
    by_fold = {fold(m.text): m.text for m in methods}
    out: list[TextItem] = []
    seen: set[str] = set()
    for item in items:
        text = item.text.strip()
        if _LETTERS_RE.match(text) and names:
            resolved = [names.get(letter, letter) for letter in re.findall(r"[A-H]", text)]
        else:
            resolved = [by_fold.get(fold(text).rstrip(" ."), text)]
        for name in resolved:
            if name not in seen:
                seen.add(name)
                out.append(TextItem(text=name, prov=item.prov))
    return tuple(out)


# ---------------------------------------------------------------------------------------------- assembly


def _match(comps: Sequence[Competence], units: Sequence[tuple[Unit, int | None]]) -> list[int | None]:
    """For each section-2 compétence, the index of its section-3 unit: same wording, else same label
    in the same bloc, else the next unused unit in order."""
    used: set[int] = set()
    out: list[int | None] = []
    for comp in comps:
        key = fold(comp.title)
        k = next((i for i, (u, _) in enumerate(units) if i not in used and fold(trim_title(u.title)) == key), None)
        if k is None:
            k = next((i for i, (u, bloc) in enumerate(units)
                      if i not in used and u.label == comp.label and bloc == comp.bloc), None)
        if k is None:
            after = max(used, default=-1)
            k = next((i for i in range(after + 1, len(units)) if i not in used), None)
        if k is not None:
            used.add(k)
        out.append(k)
    return out


def _blocks(headings: Sequence[BlocHeading], capacity_blocs: Sequence[int | None]) -> tuple[CqpmBlock, ...]:
    out = []
    for k, h in enumerate(headings):
        members = tuple(n + 1 for n, bloc in enumerate(capacity_blocs) if bloc == k)
        out.append(CqpmBlock(number=k + 1, code=h.code, title=h.title, capacities=members, prov=h.prov))
    return tuple(out)


def _grid_blocs(units: Sequence[tuple[Unit, int | None]]) -> tuple[list[BlocHeading], list[tuple[Unit, int | None]]]:
    """Blocs from a grid's "Activités" column, when no bloc heading is printed."""
    headings: list[BlocHeading] = []
    out = []
    for unit, _ in units:
        if unit.activity and (not headings or headings[-1].title != trim_title(unit.activity)):
            headings.append(BlocHeading(None, None, trim_title(unit.activity), unit.prov.order, unit.prov))
        out.append((unit, len(headings) - 1 if headings else None))
    return headings, out


def without_furniture(blocks: tuple[Block, ...]) -> tuple[Block, ...]:
    """The body without the running headers a text conversion keeps (page numbers, the commission
    split over lines with its stray "de", the qualification and date lines)."""
    furniture = [is_furniture_line(b) for b in blocks]
    for k, b in enumerate(blocks):  # "Commission paritaire nationale / l'emploi de la métallurgie / de"
        near = (k > 0 and furniture[k - 1]) or (k + 1 < len(blocks) and furniture[k + 1])
        if near and is_prose(b) and len(b.text.strip()) <= 3 and b.text.strip().islower():
            furniture[k] = True
    return tuple(b for b, skip in zip(blocks, furniture, strict=True) if not skip)


def read_new_layout(blocks: tuple[Block, ...]) -> NewLayout:
    blocks = without_furniture(blocks)
    reasons: list[str] = []
    s1 = find(blocks, ACTIVITIES_RE)
    s2 = find(blocks, COMPETENCES_RE, (s1 or 0) + 1)
    s3 = find(blocks, EVALUATION_RE, (s2 or s1 or 0) + 1)
    end_1 = min((i for i in (s2, s3) if i is not None), default=len(blocks))
    one = read_section_one(blocks, s1 or 0, end_1)
    if not one.activities:
        reasons.append("newer layout: no activity found under 1.1 'Mission (s) et activités'")

    tail = s3 if s3 is not None else len(blocks)
    methods_at = find_last(blocks, METHODS_RE, tail)
    end_3 = methods_at if methods_at is not None else len(blocks)
    headings2, comps = read_competences(blocks[s2 + 1:s3 if s3 is not None else end_3]) if s2 is not None else ([], [])
    headings3, units = read_evaluation(blocks[s3 + 1:end_3]) if s3 is not None else ([], [])
    methods = read_methods(blocks[methods_at:]) if methods_at is not None else ()

    if not headings2 and not headings3 and any(u.activity for u, _ in units):
        headings3, units = _grid_blocs(units)
    headings = headings2 or headings3

    capacities: list[CqpmCapacity] = []
    blocs: list[int | None] = []
    if comps:
        missing = []
        for n, (comp, k) in enumerate(zip(comps, _match(comps, units), strict=True), start=1):
            bloc = comp.bloc if headings2 else (units[k][1] if k is not None else None)
            if k is None:
                missing.append(str(n))
                capacities.append(CqpmCapacity(number=n, title=comp.title, conditions=(), criteria=(),
                                               assessment=(), prov=comp.prov, knowledge=tuple(comp.knowledge),
                                               block=None if bloc is None else bloc + 1))
            else:
                unit = units[k][0]
                cap = unit.capacity(number=n, block=None if bloc is None else bloc + 1)
                capacities.append(_with(cap, title=comp.title, prov=comp.prov,
                                        knowledge=tuple(comp.knowledge) or cap.knowledge))
            blocs.append(bloc)
        if missing:
            reasons.append(f"newer layout: compétence(s) {', '.join(missing)} of section 2 not found in the "
                           "section 3 évaluation tables (kept with empty lists)")
    else:
        for n, (unit, bloc) in enumerate(units, start=1):
            capacities.append(unit.capacity(number=n, block=None if bloc is None else bloc + 1))
            blocs.append(bloc)
    if not methods and any(_LETTERS_RE.match(a.text.strip()) for c in capacities for a in c.assessment):
        reasons.append("newer layout: modalités given by letter but no lettered 'Modalités d'évaluation' list "
                       "to resolve them: the letters are kept")
    capacities = [_with(c, assessment=resolve_assessment(c.assessment, methods)) for c in capacities]

    if s2 is None and s3 is None:
        reasons.append("newer layout: no '2. REFERENTIEL DE COMPETENCES' nor '3. REFERENTIEL D'EVALUATION' "
                       "section: blocs and compétences not read")
    elif not capacities:
        reasons.append("newer layout: sections 2/3 printed but no compétence could be read from them")
    elif s3 is None or not units:
        reasons.append("newer layout: no section 3 évaluation table: conditions, critères and modalités not read")
    return NewLayout(
        objective=one.objective, activities=one.activities, environment=one.environment,
        interactions=one.interactions, blocks=_blocks(headings, blocs), capacities=tuple(capacities),
        assessment_methods=methods, reasons=tuple(reasons),
    )


def _with(cap: CqpmCapacity, **changes: object) -> CqpmCapacity:
    return replace(cap, **changes)  # type: ignore[arg-type]
