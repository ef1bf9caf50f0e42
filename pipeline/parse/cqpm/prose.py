"""The running text of a CQPM référentiel: the title, section I (objective, missions, the numbered
capacity list) and the assessment methods of section IV.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from pipeline.parse.cqpm.common import (
    block_label,
    fold,
    is_prose,
    prov,
    squash,
    trim_item,
    trim_title,
)
from pipeline.parse.cqpm.sections import (
    ACTIVITIES_RE,
    ADMISSIBILITY_RE,
    ASSESSMENT_RE,
    CAPABLE_RE,
    CERTIFICATION_RE,
    OBJECTIVE_RE,
    is_heading,
)
from pipeline.records import BBox, Block, BlockKind, CodedText, TextItem

TITLE_RE = re.compile(r"^\s*(?:TITRE|INTITUL[EÉ])\s+DU\s+CQPM\s*:?\s*", re.I)
_SECTION_HEADINGS = (OBJECTIVE_RE, CERTIFICATION_RE, ADMISSIBILITY_RE, ASSESSMENT_RE, ACTIVITIES_RE)
_SENTENCE_END_RE = re.compile(r"[.!?…]\s+")


def is_capacity_intro(block: Block) -> bool:
    """ "Pour cela, il (elle) doit être capable de :" """
    return CAPABLE_RE.search(fold(block.text)) is not None


def is_structural(block: Block) -> bool:
    """A block that starts something (heading, labelled item, list intro), so never a wrapped line."""
    return (
        block_label(block)[0] is not None
        or is_capacity_intro(block)
        or TITLE_RE.match(block.text) is not None
        or any(is_heading(block, pattern) for pattern in _SECTION_HEADINGS)
    )


def merge_wrapped(blocks: Sequence[Block]) -> list[Block]:
    """Prose blocks with wrapped continuations (a paragraph with no gap before it) joined to the
    paragraph or list item they continue; footnotes and table rows are left out."""
    merged: list[Block] = []
    for block in blocks:
        if not is_prose(block):
            continue
        prev = merged[-1] if merged else None
        if (prev is not None and block.kind is BlockKind.PARAGRAPH and not block.gap_before
                and prev.kind in (BlockKind.PARAGRAPH, BlockKind.LIST_ITEM) and not is_structural(block)):
            bbox = BBox.around((prev.bbox, block.bbox)) if prev.page == block.page else prev.bbox
            merged[-1] = replace(prev, text=f"{prev.text} {block.text}", bbox=bbox)
        else:
            merged.append(block)
    return merged


def read_title(blocks: Sequence[Block]) -> str | None:
    """The text after "TITRE DU CQPM :", with its wrapped lines; on the next line if the label is alone."""
    prose = [b for b in blocks if is_prose(b)]
    for i, block in enumerate(prose):
        m = TITLE_RE.match(block.text)
        if not m:
            continue
        text, rest = block.text[m.end():], prose[i + 1:]
        if not text.strip() and rest and not is_structural(rest[0]):
            text, rest = rest[0].text, rest[1:]
        for nxt in rest:
            if nxt.gap_before or nxt.kind is not BlockKind.PARAGRAPH or is_structural(nxt):
                break
            text = f"{text} {nxt.text}"
        return trim_title(text) or None
    return None


def drop_list_intro(text: str) -> str:
    """Without its last sentence when that sentence only introduces a list ("… sur :")."""
    text = squash(text)
    if not text.endswith(":"):
        return text
    # a sentence ends at . ! ? followed by a capitalised word
    ends = [m for m in _SENTENCE_END_RE.finditer(text) if text[m.end():m.end() + 1].isupper()]
    return text[:ends[-1].start() + 1] if ends else ""


def _is_mission(block: Block) -> bool:
    return block.kind is BlockKind.LIST_ITEM and block_label(block)[0] is None


def _first_list_run(lines: Sequence[Block]) -> tuple[TextItem, ...]:
    start = next((i for i, line in enumerate(lines) if _is_mission(line)), len(lines))
    run: list[TextItem] = []
    for line in lines[start:]:
        if not _is_mission(line):
            break
        run.append(TextItem(text=trim_item(line.text), prov=prov(line)))
    return tuple(run)


@dataclass(frozen=True)
class SectionOne:
    objective: str | None
    missions: tuple[TextItem, ...]
    listed_capacities: tuple[CodedText, ...]


def read_section_one(blocks: Sequence[Block]) -> SectionOne:
    """Objective = the prose before the first list; missions = that list (unnumbered items);
    listed capacities = the numbered items after "… doit être capable de :"."""
    lines = merge_wrapped(blocks)
    prose: list[str] = []
    for line in lines:
        if line.kind is BlockKind.LIST_ITEM or is_structural(line):
            break
        prose.append(line.text)
    objective = drop_list_intro(" ".join(prose)) or None

    intro = next((i for i, line in enumerate(lines) if is_capacity_intro(line)), len(lines))
    missions = _first_list_run(lines[:intro])

    listed: list[CodedText] = []
    for line in lines[intro + 1:]:
        label, text = block_label(line)
        if label is None or not label.isdigit():
            break
        listed.append(CodedText(code=label, text=trim_title(text), prov=prov(line)))
    return SectionOne(objective, missions, tuple(listed))


def read_assessment_methods(blocks: Sequence[Block]) -> tuple[TextItem, ...]:
    """The headings a), b), c)… that follow "B) Définition des différentes modalités d'évaluation"
    (or, without that heading, the first such run), in order; a footnote between them is skipped."""
    prose = [b for b in blocks if is_prose(b)]
    start = next((i + 1 for i, b in enumerate(prose) if block_label(b)[0] == "B"), 0)
    methods: list[TextItem] = []
    expected = "a"
    for block in prose[start:]:
        label, text = block_label(block)
        if label == expected:
            methods.append(TextItem(text=trim_title(text), prov=prov(block)))
            expected = chr(ord(expected) + 1)
        elif methods and label is not None and label.isupper():
            break  # "C) …": the next part of IV.2
    return tuple(methods)
