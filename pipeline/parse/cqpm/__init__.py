"""Layout -> CQPM référentiel (``parse_cqpm``).

The classic layout: TITRE DU CQPM, I OBJECTIF PROFESSIONNEL (objective, missions, "doit être
capable de : 1) …"), II REFERENTIEL DE CERTIFICATION (the capacity table), III CONDITIONS
D'ADMISSIBILITE, IV MODALITES D'EVALUATION (IV.2 B) a), b) … the assessment methods).  The newer
layout (1. REFERENTIEL D'ACTIVITES / 2. … COMPETENCES / 3. … CERTIFICATION) is recognised and only
partly read.  Header metadata (number, qualification id, …) comes from the page furniture the PDF
front end collected; nothing is guessed when it is not printed.

Only the layout model is read (block kinds, cells, paragraph markers, pages), never the quirks of
one source format.
"""

from __future__ import annotations

from typing import Any

from pipeline.errors import RejectedInput
from pipeline.parse.cqpm.common import is_prose
from pipeline.parse.cqpm.prose import (
    read_activities_missions,
    read_assessment_methods,
    read_section_one,
    read_title,
)
from pipeline.parse.cqpm.sections import (
    ASSESSMENT_2_RE,
    ClassicSections,
    classic_sections,
    find_heading,
    is_activities_layout,
)
from pipeline.parse.cqpm.table import read_capacities
from pipeline.records import Block, BlockKind, CqpmDocument, Document, Kind, Layout, Status, TextItem

NO_TABLE = "CQPM référentiel without a section II capacity table"
ACTIVITIES_PARTIAL = ("newer CQPM layout (1. référentiel d'activités, 2. compétences, 3. certification): "
                      "objective, capacities and assessment methods were not read")


def parse_cqpm(layout: Layout) -> Document:
    if is_activities_layout(layout.blocks):
        return _parse_activities(layout)
    return _parse_classic(layout)


def _with_furniture(layout: Layout, **fields: Any) -> CqpmDocument:
    """The document with the header metadata the front end read from the page furniture."""
    f = layout.furniture
    return CqpmDocument(number=f.number, qualification_id=f.qualification_id, category=f.category,
                        last_modified=f.last_modified, level=f.level, **fields)


def _parse_classic(layout: Layout) -> Document:
    blocks = layout.blocks
    sections = classic_sections(blocks)
    total = len(blocks)

    rows = _section_two_rows(blocks, sections)
    capacities = read_capacities(rows)
    if not capacities:
        _reject_without_table(layout, sections.certification, rows)

    if sections.objective is not None:
        one = read_section_one(blocks[sections.objective + 1:sections.end_of(sections.objective, total)])
    else:
        one = None

    methods: tuple[TextItem, ...] = ()
    if sections.assessment is not None:
        part_2 = find_heading(blocks, ASSESSMENT_2_RE, sections.assessment)
        methods = read_assessment_methods(blocks[part_2 if part_2 is not None else sections.assessment:])

    title = read_title(blocks)
    reasons = [reason for missing, reason in (
        (title is None, "no 'TITRE DU CQPM' line: title not read"),
        (one is None or one.objective is None,
         "no section I 'OBJECTIF PROFESSIONNEL' prose: objective not read"),
        # a référentiel without section IV has no methods to read; one with it but no a), b)… does
        (sections.assessment is not None and not methods,
         "section IV printed without IV.2 B) a), b)… headings: assessment methods not read"),
    ) if missing]
    cqpm = _with_furniture(
        layout,
        title=title,
        objective=one.objective if one else None,
        missions=one.missions if one else (),
        capacities=capacities,
        assessment_methods=methods,
        listed_capacities=one.listed_capacities if one else (),
        layout_variant="classic",
    )
    return Document(source=layout.source, kind=Kind.CQPM, cqpm=cqpm,
                    status=Status.PARTIAL if reasons else Status.LOADED, reasons=tuple(reasons))


def _section_two_rows(blocks: tuple[Block, ...], sections: ClassicSections) -> list[Block]:
    """Table rows of section II (of the whole document when its heading is not printed)."""
    start, end = 0, len(blocks)
    if sections.certification is not None:
        start, end = sections.certification + 1, sections.end_of(sections.certification, end)
    return [b for b in blocks[start:end] if b.kind is BlockKind.TABLE_ROW]


def _reject_without_table(layout: Layout, heading: int | None, rows: list[Block]) -> None:
    where = layout.blocks[heading].page if heading is not None else None
    if heading is None and not rows:
        reason = f"{NO_TABLE} (no 'II REFERENTIEL DE CERTIFICATION' heading, no table)"
    elif not rows:
        reason = f"{NO_TABLE} (no table after the 'REFERENTIEL DE CERTIFICATION' heading)"
    else:
        reason = f"{NO_TABLE} (its table has no numbered capacity such as '1. …')"
        where = rows[0].page
    raise RejectedInput(layout.source.path, reason, page=where)


def _parse_activities(layout: Layout) -> Document:
    cqpm = _with_furniture(
        layout,
        title=read_title(layout.blocks),
        objective=None,
        missions=read_activities_missions([b for b in layout.blocks if is_prose(b)]),
        capacities=(),
        assessment_methods=(),
        layout_variant="activites",
    )
    return Document(source=layout.source, kind=Kind.CQPM, cqpm=cqpm, status=Status.PARTIAL,
                    reasons=(ACTIVITIES_PARTIAL,))
