"""Page furniture: the header/footer lines a PDF repeats on every page, and the values they carry.

Two halves, both pure (no pdfplumber here):

* recognising furniture lines: ``furniture_signal(text)`` (page numbers, the CPNE header, the
  qualification code, category, level, last-modification date — whatever their spelling) and
  ``repeated_lines(lines, n_pages)`` (the same text, numbers aside, at the same height on most pages);
* reading values out of them: ``read_furniture(texts) -> PageFurniture``, built from the small
  parsers ``qualification``, ``category``, ``level``, ``last_modified`` and ``page_number``.

The spellings seen in the real référentiels are all accepted: "Page 1 sur 6" / "Page 1 / 6" / "1/6";
"COMMISSION PARITAIRE NATIONALE DE L'EMPLOI DE LA METALLURGIE" (also "COMMISION … DE LE", or split
over lines); "Qualification : MQ 2001 01 89 0195", "2001 01 89 0195", "MQ 1989 0021",
"CQPM 2006 0248", "2000 04 59/35 0186" (the CQPM number is the last four digits); "Catégorie : C*";
"Niveau : 3"; "Dernière modification : 09/01/2007" / "Dernière Modification : 09/01/07".
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from pipeline.normalize.dates import find_french_date
from pipeline.normalize.text import clean
from pipeline.records import PageFurniture

_SP = r"[\s\u00a0]"

# "2001 01 89 0195", "1989 0021", "2000 04 59/35 0186": a year, up to three 2-digit groups, 4 digits.
_QUALIF_ID_RE = re.compile(
    rf"(?<![\d/])((?:19|20)\d{{2}}(?:{_SP}+\d{{2}}(?:/\d{{2}})?){{0,3}}{_SP}+\d{{4}})(?![\d/])"
)
_QUALIF_LABEL_RE = re.compile(rf"qualification{_SP}*(?:n[°o]{_SP}*)?:?{_SP}*(?:mq{_SP}*)?", re.I)
_CODE_LINE_RE = re.compile(rf"^(?:(?:mq|cqpm){_SP}*(?:n[°o]{_SP}*)?)?{_QUALIF_ID_RE.pattern}$", re.I)
_CQPM_NUMBER_RE = re.compile(rf"\bcqpm{_SP}*(?:n[°o]{_SP}*)?:?{_SP}*(\d{{4}})\b(?!{_SP}*\d)", re.I)
_MQ_SHORT_YEAR_RE = re.compile(rf"\bmq(\d{{2}}(?:{_SP}+\d{{2}}){{1,2}}{_SP}+\d{{4}})(?![\d/])", re.I)
_CATEGORY_RE = re.compile(rf"cat[ée]gorie{_SP}*:?{_SP}*([A-Da-d]{_SP}*\*?)(?![\w])", re.I)
_LEVEL_RE = re.compile(rf"\bniveau{_SP}*:{_SP}*(\d{{1,2}}|[IVX]{{1,4}}\b)", re.I)
_MODIFIED_RE = re.compile(rf"dern(?:i[èeé])?re{_SP}+modification{_SP}*(?:le|du|en{_SP}+date{_SP}+du)?{_SP}*:?"
                          rf"{_SP}*(.+)$", re.I)
_PAGE_RE = re.compile(
    rf"^(?:page{_SP}*(\d+)(?:{_SP}*(?:sur|/|de|of){_SP}*(\d+))?"  # Page 1 sur 6, Page 1 / 6, Page 3
    rf"|(\d+){_SP}*/{_SP}*(\d+)"  # 1/6
    rf"|[-–]{_SP}*(\d+){_SP}*[-–])$",  # - 3 -
    re.I,
)
_PAGE_ANYWHERE_RE = re.compile(rf"\bpage{_SP}*\d+{_SP}*(?:sur|/|de|of){_SP}*\d+\b|(?:^|{_SP})\d+{_SP}*/{_SP}*\d+$",
                               re.I)
_COMMISSION_RE = re.compile(
    r"commiss?ion\s+paritaire|paritaire\s+nationale|nationale\s+de\s+l.?emploi"
    r"|l.?emploi\s+de\s+l[ae]?\s*m[ée]tallurgie|^(?:de\s+)?l[ae]?\s*m[ée]tallurgie$|^cpne\b",
    re.I,
)


# ---------------------------------------------------------------------------------------------- values


def qualification(text: str) -> tuple[str | None, str | None]:
    """(qualification id, CQPM number) printed in a furniture line, else (None, None).

    "Qualification : MQ 2001 01 89 0195" and a bare "2001 01 89 0195" code line give
    ("2001 01 89 0195", "0195"); "MQ 1989 0021" gives ("1989 0021", "0021"); "CQPM 0248" gives only
    the number; "MQ89 04 59 0021" (MQ glued to a 2-digit year) gives ("89 04 59 0021", "0021").  The
    "MQ"/"CQPM" prefix is a label, not part of the id.
    """
    text = clean(text)
    label = _QUALIF_LABEL_RE.search(text)
    m = None
    if label:
        m = _QUALIF_ID_RE.search(text, label.end())
    if m is None:
        code = _CODE_LINE_RE.match(text.strip())
        if code:
            m = _QUALIF_ID_RE.search(text)
    if m is None:
        mq = re.search(rf"\b(?:mq|cqpm){_SP}*(?:n[°o]{_SP}*)?", text, re.I)
        if mq:
            m = _QUALIF_ID_RE.match(text, mq.end())
    if m is None:  # "MQ89 04 59 0021": MQ glued to a 2-digit year, kept as printed
        m = _MQ_SHORT_YEAR_RE.search(text)
    if m is not None:
        qid = " ".join(m.group(1).split())
        return qid, qid[-4:]
    num = _CQPM_NUMBER_RE.search(text)
    return None, (num.group(1) if num else None)


def category(text: str) -> str | None:
    m = _CATEGORY_RE.search(clean(text))
    return m.group(1).replace(" ", "").upper() if m else None


def level(text: str) -> str | None:
    m = _LEVEL_RE.search(clean(text))
    return m.group(1).upper() if m else None


def last_modified(text: str) -> date | None:
    m = _MODIFIED_RE.search(clean(text))
    return find_french_date(m.group(1)) if m else None


def page_number(text: str) -> tuple[int, int | None] | None:
    """(page, pages) of a page-number line ("Page 1 sur 6", "Page 1 / 6", "1/6", "- 3 -")."""
    m = _PAGE_RE.match(clean(text))
    if not m:
        return None
    groups = m.groups()
    if groups[0]:
        return int(groups[0]), int(groups[1]) if groups[1] else None
    if groups[2]:
        return int(groups[2]), int(groups[3])
    return int(groups[4]), None


def is_commission(text: str) -> bool:
    return bool(_COMMISSION_RE.search(clean(text)))


def furniture_signal(text: str) -> bool:
    """Does this header/footer line look like page furniture, whatever its spelling?"""
    text = clean(text)
    if not text:
        return False
    return bool(
        page_number(text) or _PAGE_ANYWHERE_RE.search(text) or is_commission(text)
        or _CODE_LINE_RE.match(text) or (_QUALIF_LABEL_RE.match(text) and _QUALIF_ID_RE.search(text))
        or category(text) or level(text) or last_modified(text)
    )


def read_furniture(texts: Iterable[str]) -> PageFurniture:
    """The values printed in furniture lines (the first value found for each field wins)."""
    number = qid = cat = lvl = None
    modified: date | None = None
    for raw in texts:
        text = clean(raw)
        if not text:
            continue
        if qid is None:
            q, n = qualification(text)
            if q is not None:
                qid, number = q, n
            elif n is not None and number is None:
                number = n
        cat = cat or category(text)
        lvl = lvl or level(text)
        modified = modified or last_modified(text)
    return PageFurniture(number=number, qualification_id=qid, category=cat, last_modified=modified, level=lvl)


# ---------------------------------------------------------------------------------------------- repetition


@dataclass(frozen=True)
class FurnitureCandidate:
    """A line (or a piece of one) in a page's top or bottom band."""

    page: int
    top: float
    bottom: float
    text: str


def digit_key(text: str) -> str:
    """Text compared across pages: case, spacing and numbers (page numbers, dates) ignored."""
    return re.sub(r"\d+", "#", clean(text).casefold()).replace(" ", "")


def repeated_lines(lines: Sequence[FurnitureCandidate], n_pages: int, *, tolerance: float = 3.0,
                   min_share: float = 0.5) -> set[int]:
    """Indexes of lines whose text (numbers aside) recurs at the same height on most pages."""
    if n_pages < 2:
        return set()
    need = max(2, math.ceil(min_share * n_pages))
    groups: dict[str, list[int]] = defaultdict(list)
    for i, line in enumerate(lines):
        key = digit_key(line.text)
        if key:
            groups[key].append(i)
    out: set[int] = set()
    for idx in groups.values():
        if len({lines[i].page for i in idx}) < need:
            continue
        idx.sort(key=lambda i: lines[i].top)
        cluster: list[int] = [idx[0]]
        for i in idx[1:] + [-1]:
            if i >= 0 and lines[i].top - lines[cluster[-1]].top <= tolerance:
                cluster.append(i)
                continue
            if len({lines[j].page for j in cluster}) >= need:
                out.update(cluster)
            if i >= 0:
                cluster = [i]
    return out
