"""Where the sections of a CQPM référentiel start, from their printed headings.

Headings are recognised by their words whatever the block kind (a text conversion gives plain
paragraphs, a PDF front end may give headings), and only when short: a sentence that happens to
start with the same words is prose.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.parse.cqpm.common import fold, is_prose
from pipeline.records import Block

_MAX_HEADING = 100  # characters; longer blocks are prose

# classic layout: "I OBJECTIF PROFESSIONNEL DU CQPM" … "IV MODALITES D'EVALUATION" (some print 1, 2 …)
_NUM = r"(?:[ivx]+|\d)\s*[-.–)]?\s*"
OBJECTIVE_RE = re.compile(rf"^{_NUM}objectif professionnel")
CERTIFICATION_RE = re.compile(rf"^{_NUM}referentiel de certification")
ADMISSIBILITY_RE = re.compile(rf"^{_NUM}conditions d.admissibilite")
ASSESSMENT_RE = re.compile(rf"^{_NUM}modalites d.evaluation")
ASSESSMENT_2_RE = re.compile(r"^iv\s*[.-]?\s*2\b")  # "IV.2 Mise en œuvre des modalités d'évaluation"
# newer layout: "1. REFERENTIEL D'ACTIVITES DU CQPM", "1.1 Mission(s) et activités …", "2. …", "3. …"
ACTIVITIES_RE = re.compile(r"^1\s*[.)]?\s*referentiel d.activites")
# the sentence that introduces the capacity list: "Pour cela, il (elle) doit être capable de :"
CAPABLE_RE = re.compile(r"\bcapables? de\s*:?$")


def is_heading(block: Block, pattern: re.Pattern[str]) -> bool:
    return is_prose(block) and len(block.text) <= _MAX_HEADING and bool(pattern.match(fold(block.text)))


def find_heading(blocks: tuple[Block, ...], pattern: re.Pattern[str], start: int = 0) -> int | None:
    """Index of the first block from ``start`` that is a heading matching ``pattern``."""
    return next((i for i in range(start, len(blocks)) if is_heading(blocks[i], pattern)), None)


@dataclass(frozen=True)
class ClassicSections:
    """Block indices of the classic headings (None when not printed)."""

    objective: int | None
    certification: int | None
    admissibility: int | None
    assessment: int | None

    def end_of(self, start: int | None, total: int) -> int:
        """Where the section starting at ``start`` ends: the next known heading after it."""
        later = [i for i in (self.objective, self.certification, self.admissibility, self.assessment)
                 if i is not None and start is not None and i > start]
        return min(later, default=total)


def classic_sections(blocks: tuple[Block, ...]) -> ClassicSections:
    objective = find_heading(blocks, OBJECTIVE_RE)
    certification = find_heading(blocks, CERTIFICATION_RE, objective or 0)
    admissibility = find_heading(blocks, ADMISSIBILITY_RE, certification or 0)
    assessment = find_heading(blocks, ASSESSMENT_RE, admissibility or certification or 0)
    return ClassicSections(objective, certification, admissibility, assessment)
