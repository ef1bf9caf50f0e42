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

import dataclasses
from typing import Any

from pipeline.errors import RejectedInput
from pipeline.extract.furniture import read_furniture
from pipeline.parse.cqpm.common import fold, is_prose
from pipeline.parse.cqpm.flattened import split_flattened
from pipeline.parse.cqpm.headings import ACTIVITIES_RE, is_heading, is_new_layout
from pipeline.parse.cqpm.newlayout import read_new_layout
from pipeline.parse.cqpm.prose import (
    TITLE_RE,
    read_assessment_methods,
    read_section_one,
    read_title,
)
from pipeline.parse.cqpm.sections import (
    ASSESSMENT_2_RE,
    OBJECTIVE_RE,
    ClassicSections,
    classic_sections,
    find_heading,
)
from pipeline.parse.cqpm.table import read_capacities
from pipeline.records import (
    Block,
    BlockKind,
    CqpmDocument,
    Document,
    Kind,
    Layout,
    PageFurniture,
    Status,
    TextItem,
)

NO_TABLE = "CQPM référentiel without a section II capacity table"


def parse_cqpm(layout: Layout) -> Document:
    blocks = split_flattened(layout.blocks)  # a copy whose line breaks were lost
    if blocks is not layout.blocks:
        layout = dataclasses.replace(layout, blocks=blocks)
    if is_new_layout(layout.blocks) and find_heading(layout.blocks, OBJECTIVE_RE) is None:
        return _parse_new(layout)
    return _parse_classic(layout)


def header_texts(blocks: tuple[Block, ...]) -> list[str]:
    """The page-1 header block: every text before "REFERENTIEL DU CQPM" / "Titre du CQPM" / section 1
    (a text conversion keeps it in the body; a table row gives each cell paragraph)."""
    texts: list[str] = []
    for b in blocks:
        folded = fold(b.text)
        stop = folded.find("referentiel du cqpm")
        if is_prose(b) and (TITLE_RE.match(b.text) or stop == 0 or is_heading(b, ACTIVITIES_RE)
                            or is_heading(b, OBJECTIVE_RE)):
            break
        if b.kind is BlockKind.TABLE_ROW:
            texts += [p.text for c in b.cells for p in c.paras]
        else:
            texts.append(b.text)
        if stop > 0:  # "Dernière Modification : 28/04/2020 REFERENTIEL DU CQPM": glued to the title
            break
    return texts


def _furniture(layout: Layout) -> PageFurniture:
    """The page furniture the front end read, completed by the page-1 header block of the body."""
    found = layout.furniture
    missing = [f.name for f in dataclasses.fields(found) if getattr(found, f.name) is None]
    if not missing:
        return found
    header = read_furniture(header_texts(layout.blocks))
    if found.qualification_id is None and header.qualification_id is not None:
        found = dataclasses.replace(found, number=header.number, qualification_id=header.qualification_id)
    fill = {name: getattr(header, name) for name in missing if getattr(found, name) is None}
    return dataclasses.replace(found, **{k: v for k, v in fill.items() if v is not None})


def _with_furniture(layout: Layout, **fields: Any) -> CqpmDocument:
    """The document with the header metadata printed in the page furniture or the page-1 header."""
    f = _furniture(layout)
    return CqpmDocument(number=f.number, qualification_id=f.qualification_id, category=f.category,
                        last_modified=f.last_modified, level=f.level, **fields)


def _parse_classic(layout: Layout) -> Document:
    blocks = layout.blocks
    sections = classic_sections(blocks)
    total = len(blocks)

    rows = _section_two_rows(blocks, sections)
    capacities = read_capacities(rows)
    title = read_title(blocks)
    no_table = None
    if not capacities:
        no_table = _without_table(layout, sections.certification, rows)
        if title is None:  # not even the title block: nothing says this is a référentiel
            raise no_table

    if sections.objective is not None:
        one = read_section_one(blocks[sections.objective + 1:sections.end_of(sections.objective, total)])
    else:
        one = None

    methods: tuple[TextItem, ...] = ()
    if sections.assessment is not None:
        part_2 = find_heading(blocks, ASSESSMENT_2_RE, sections.assessment)
        methods = read_assessment_methods(blocks[part_2 if part_2 is not None else sections.assessment:])

    reasons = [reason for missing, reason in (
        (no_table is not None, f"{no_table.reason if no_table else ''}: a cut copy? capacities not read"),
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


def _without_table(layout: Layout, heading: int | None, rows: list[Block]) -> RejectedInput:
    where = layout.blocks[heading].page if heading is not None else None
    if heading is None and not rows:
        reason = f"{NO_TABLE} (no 'II REFERENTIEL DE CERTIFICATION' heading, no table)"
    elif not rows:
        reason = f"{NO_TABLE} (no table after the 'REFERENTIEL DE CERTIFICATION' heading)"
    else:
        reason = f"{NO_TABLE} (its table has no numbered capacity such as '1. …')"
        where = rows[0].page
    return RejectedInput(layout.source.path, reason, page=where)


def _parse_new(layout: Layout) -> Document:
    new = read_new_layout(layout.blocks)
    title = read_title(layout.blocks)
    reasons = list(new.reasons)
    if title is None:
        reasons.insert(0, "no 'Titre du CQPM' line: title not read")
    cqpm = _with_furniture(
        layout,
        title=title,
        objective=new.objective,
        missions=tuple(TextItem(text=a.title, prov=a.prov) for a in new.activities),
        capacities=new.capacities,
        assessment_methods=new.assessment_methods,
        layout_variant="activites",
        activities=new.activities,
        environment=new.environment,
        interactions=new.interactions,
        blocks=new.blocks,
    )
    return Document(source=layout.source, kind=Kind.CQPM, cqpm=cqpm,
                    status=Status.PARTIAL if reasons else Status.LOADED, reasons=tuple(reasons))
