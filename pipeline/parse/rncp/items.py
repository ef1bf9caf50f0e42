"""Lists of a fiche RNCP: coded items (A1, C1), code/label lines (convention, NSF, ROME), certifiers, jobs.

Every reader takes the units of its section and returns records with the provenance of the units they
came from.  A printed line that wrapped is joined back: a unit without a gap before it continues the
item above it (coded lists), or, where items carry no code, when it visibly continues a sentence.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from pipeline.normalize.text import fold_aligned as fold
from pipeline.parse.rncp.stream import Unit, clean, join, prov_of, strip_end
from pipeline.records import BlockKind, CodedText, TextItem

_UPPER = "A-ZÀ-ÖØ-Þ"
# The code that opens an item: "A1- ", "C1. ", "C1 : ", "C1) ", "C1 " (then the text).
_SEP = r"(?:\s*[-.–:)]\s*|\s+)"


def _lead_re(letter: str) -> re.Pattern[str]:
    return re.compile(rf"^{letter}(\d{{1,2}}){_SEP}(?=\S)")


def _inline_re(letter: str) -> re.Pattern[str]:
    return re.compile(rf"(?<=\s){letter}(\d{{1,2}}){_SEP}(?=[{_UPPER}])")


def split_coded(text: str, letter: str) -> list[tuple[int | None, str]]:
    """Cut a unit into (number, text) items at its codes: "C1 Identifier … C2 Identifier …".

    A code inside the text only cuts when it is followed by a capital and numbers go up, so that a
    list printed inline in one paragraph is read like a list printed one item a line.  The first
    element has number ``None`` when the unit does not open with a code.
    """
    parts: list[tuple[int | None, str]] = []
    lead = _lead_re(letter).match(text)
    number: int | None = int(lead.group(1)) if lead else None
    pos = lead.end() if lead else 0
    last = number or 0
    for m in _inline_re(letter).finditer(text, pos):
        n = int(m.group(1))
        if n <= last:
            continue
        parts.append((number, text[pos:m.start()].strip()))
        number, pos, last = n, m.end(), n
    parts.append((number, text[pos:].strip()))
    return [(n, t) for n, t in parts if n is not None or t]


def read_coded(units: Sequence[Unit], letter: str) -> tuple[CodedText, ...]:
    """Items coded ``<letter>N`` (activities A1…, capacities C1…), wrapped lines joined."""
    items: list[tuple[int, list[str], list[Unit]]] = []
    open_item = False
    for unit in units:
        if unit.header:
            continue
        for k, (number, text) in enumerate(split_coded(unit.text, letter)):
            if number is None:
                if k == 0 and open_item and not unit.gap:
                    items[-1][1].append(text)
                    items[-1][2].append(unit)
                else:
                    open_item = False
                continue
            items.append((number, [text], [unit]))
            open_item = True
    return tuple(CodedText(code=f"{letter}{n}", text=strip_end(clean(" ".join(texts))), prov=prov_of(us))
                 for n, texts, us in items)


def read_code_labels(units: Sequence[Unit], code_re: re.Pattern[str]) -> tuple[CodedText, ...]:
    """Lines "<code> <label>" (``code_re`` has groups code and label); wrapped label lines joined."""
    items: list[tuple[str, list[str], list[Unit]]] = []
    open_item = False
    for unit in units:
        if unit.header:
            continue
        m = code_re.match(unit.text)
        if m:
            items.append((m.group("code"), [m.group("label")], [unit]))
            open_item = True
        elif open_item and not unit.gap:
            items[-1][1].append(unit.text)
            items[-1][2].append(unit)
        else:
            open_item = False
    return tuple(CodedText(code=code, text=strip_end(clean(" ".join(texts))), prov=prov_of(us))
                 for code, texts, us in items)


CONVENTION_RE = re.compile(r"^(?P<code>\d{3,5})\s*[-–:]\s*(?P<label>\S.*)$")
NSF_RE = re.compile(r"^(?P<code>\d{3}[a-zA-Z]?)\b\s*[-–:]?\s*(?P<label>\S.*)$")
FORMACODE_RE = re.compile(r"^(?P<code>\d{5})\b\s*[-–:]?\s*(?P<label>.*)$")
ROME_RE = re.compile(r"^(?P<code>[A-N]\d{4})\b\s*[-–:]?\s*(?P<label>\S.*)$")


# ---------------------------------------------------------------------------------------------- certifiers

# A signatory's quality ("Directeur emploi formation de l'UIMM"), printed in the column next to the authority.
_ROLE_RE = re.compile(
    r"^(?:(?:le|la|l')\s*)?(?:directeur|directrice|president|presidente|vice-president|delegue|deleguee|"
    r"secretaire|responsable|chef|representant|representante|recteur|rectrice|ministre|gerant|gerante|"
    r"administrateur|administratrice)\b"
)


def read_certifiers(units: Sequence[Unit], column: int | None = None) -> tuple[TextItem, ...]:
    """The authority column of the certifier table, without the signatory's quality.

    In a table the authority is ``column`` (the cell of the "AUTORITÉ RESPONSABLE" header; the first
    one when unknown), one certifier a row.  Without columns (a text dump), each gap-separated group is
    a cell: groups that read as a person's quality are the signatory column and are left out.
    """
    if any(u.col is not None for u in units):
        column = column or 0
        rows: dict[int | None, list[Unit]] = {}
        for u in units:
            if not u.header and u.col == column:
                rows.setdefault(u.row, []).append(u)
        return tuple(TextItem(join(us), prov_of(us)) for us in rows.values() if join(us))
    groups: list[list[Unit]] = []
    for u in units:
        if u.header:
            continue
        if u.gap or not groups:
            groups.append([u])
        else:
            groups[-1].append(u)
    return tuple(TextItem(join(g), prov_of(g)) for g in groups if not _ROLE_RE.match(fold(g[0].text)))



# ---------------------------------------------------------------------------------------------- jobs

# Prose about the sector ("Le ou la titulaire … exerce …") opens with a determiner or a pronoun; a job
# title ("Responsable qualité sécurité environnement (QSE)") is a bare noun phrase.
_PROSE_START_RE = re.compile(
    r"^(?:le|la|les|l'|il|elle|ils|elles|ce|cet|cette|ces|un|une|des|du|dans|en|pour|au|aux|on|sa|son|ses|"
    r"leur|leurs|selon|tout|toute|tous|toutes|quel|quelle)\b"
)


def _continues(unit: Unit) -> bool:
    """A unit that visibly continues the sentence above: no gap, and it opens in lower case or mid-phrase."""
    return not unit.gap and unit.kind is not BlockKind.LIST_ITEM and bool(unit.text) and (
        unit.text[0].islower() or unit.text[0] in "(),;:/&-–")


def _is_prose(text: str) -> bool:
    folded = fold(text)
    return bool(_PROSE_START_RE.match(folded)) or "titulaire" in folded or len(text.split()) > 15


def read_jobs(units: Sequence[Unit]) -> tuple[TextItem, ...]:
    """The jobs listed after the sector sentences: one a line, wrapped lines joined, prose left out."""
    groups: list[list[Unit]] = []
    for u in units:
        if u.header:
            continue
        if groups and _continues(u):
            groups[-1].append(u)
        else:
            groups.append([u])
    jobs: list[TextItem] = []
    for g in groups:
        text = join(g)
        if _is_prose(text) or text.endswith(":"):
            continue
        text = strip_end(text)
        if text:
            jobs.append(TextItem(text, prov_of(g)))
    return tuple(jobs)
