"""The whole-document redline: the new version's full text with the changes marked inline.

Each version is laid out as the lines a reader sees (``document_lines``: title, general information,
objective, missions, each capacity with its conditions, criteria and assessment, assessment methods;
for a fiche its facts, activities, capacities and blocks).  The two line lists are aligned (lines
equal in the contract's comparison form are kept, a changed line is paired with the most similar
line of the other version and shown with a word-level redline, the others are added or removed at
their place), so the result reads as the new document with deletions struck and insertions marked,
as in a word processor's track changes.

This view shows *where* the text changed; the structured diff (``structured.py``) says *what*
changed (a renumbered capacity is ``moved`` there, a struck number and an inserted one here).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from enum import StrEnum

from pipeline.diff.fields import reading_order
from pipeline.diff.labels import FIELD, date_text
from pipeline.diff.match import match
from pipeline.diff.redline import Op, Segment, list_redline, redline
from pipeline.diff.structured import capacity_score
from pipeline.records import CodedText, CqpmCapacity, CqpmDocument, Document, RncpFiche, TextItem

#: a changed line is paired with a line of the other version at least this similar (word ratio)
PAIR_THRESHOLD = 0.5
_WORD = re.compile(r"\w+", re.UNICODE)


class Style(StrEnum):
    TITLE = "title"
    HEADING = "heading"  # a section
    SUBHEADING = "subheading"  # a capacity, a block
    LABEL = "label"  # "Conditions de réalisation" inside a capacity
    ITEM = "item"  # a list item (criterion, mission, code)
    PARA = "para"


class Status(StrEnum):
    EQUAL = "equal"
    CHANGED = "changed"
    ADDED = "added"
    REMOVED = "removed"


@dataclass(frozen=True)
class Line:
    """A line of text; a fact ("Niveau : 4") keeps its label apart, a list of codes its codes, so a changed
    value is shown whole (old struck, new inserted) and a changed code list item by item."""

    style: Style
    text: str
    label: str | None = None
    value: str | None = None
    codes: tuple[str, ...] | None = None


@dataclass(frozen=True)
class RedlineLine:
    style: Style
    status: Status
    segments: tuple[Segment, ...]


def _items(style: Style, items: tuple[TextItem, ...]) -> list[Line]:
    return [Line(style, i.text) for i in items]


def _coded(items: tuple[CodedText, ...]) -> list[Line]:
    return [Line(Style.ITEM, f"{i.code} — {i.text}" if i.text else i.code) for i in items]


def _fact(name: str, value: object) -> list[Line]:
    if value is None or value == "":
        return []
    if isinstance(value, bool):
        value = "oui" if value else "non"
    elif hasattr(value, "strftime"):
        value = date_text(value)  # type: ignore[arg-type]
    label = FIELD.get(name, name)
    return [Line(Style.PARA, f"{label} : {value}", label=label, value=str(value))]


def _section(title: str, lines: list[Line]) -> list[Line]:
    return [Line(Style.HEADING, title), *lines] if lines else []


_CAPACITIES = "Référentiel de certification"


def _cqpm_head(c: CqpmDocument) -> list[Line]:
    out = [Line(Style.TITLE, c.title or "(sans titre)")]
    for name in ("number", "qualification_id", "category", "last_modified", "level"):
        out += _fact(name, getattr(c, name))
    out += _section("Objectif professionnel", [Line(Style.PARA, c.objective)] if c.objective else [])
    out += _section("Missions", _items(Style.ITEM, c.missions))
    return out


def capacity_lines(cap: CqpmCapacity) -> list[Line]:
    out = [Line(Style.SUBHEADING, f"Capacité {cap.number}. {cap.title}")]
    for label, items in (("Conditions de réalisation", cap.conditions),
                         ("Critères observables et/ou mesurables", cap.criteria),
                         ("Modalités d'évaluation", cap.assessment)):
        if items:
            out += [Line(Style.LABEL, label), *_items(Style.ITEM, items)]
    return out


def _cqpm_tail(c: CqpmDocument) -> list[Line]:
    return _section("Modalités d'évaluation", _items(Style.ITEM, c.assessment_methods))


def cqpm_lines(c: CqpmDocument) -> list[Line]:
    capacities = [line for cap in c.capacities for line in capacity_lines(cap)]
    return [*_cqpm_head(c), *_section(_CAPACITIES, capacities), *_cqpm_tail(c)]


def rncp_lines(r: RncpFiche) -> list[Line]:
    out = [Line(Style.TITLE, r.title or r.code)]
    out += _fact("code", r.code)
    for name in ("validity", "new_caledonia", "french_polynesia", "awards_per_year"):
        out += _fact(name, getattr(r, name))
    for name in ("decision", "journal_officiel", "effective", "end"):
        out += _fact(f"registration.{name}", getattr(r.registration, name))
    h = r.history
    for name in ("cqpm_number", "qualification_id", "first_validated", "version_date", "category"):
        out += _fact(f"history.{name}", getattr(h, name))
    out += _section(FIELD["certifiers"], _items(Style.ITEM, r.certifiers))
    for name in ("conventions", "nsf", "formacodes", "rome"):
        out += _section(FIELD[name], _coded(getattr(r, name)))
    out += _section(FIELD["jobs"], _items(Style.ITEM, r.jobs))
    out += _section(FIELD["activities"], _coded(r.activities))
    out += _section("Capacités", _coded(r.capacities))
    blocks: list[Line] = []
    for b in r.blocks:
        blocks += [Line(Style.SUBHEADING, f"Bloc {b.number}. {b.title}"),
                   Line(Style.PARA, "Capacités : " + ", ".join(b.capacities), label="Capacités",
                        codes=tuple(b.capacities))]
    out += _section("Blocs de compétences", blocks)
    return out


def document_lines(doc: Document) -> list[Line]:
    """The lines a reader sees of ``doc``, in reading order."""
    if doc.cqpm is not None:
        return cqpm_lines(doc.cqpm)
    if doc.rncp is not None:
        return rncp_lines(doc.rncp)
    return []


def _key(line: Line) -> tuple[str, str]:
    text = line.text.casefold().replace("’", "'").replace("œ", "oe").replace("æ", "ae")
    return line.style.value, " ".join(_WORD.findall(text))


def _similarity(a: Line, b: Line) -> float:
    if a.style is not b.style:
        return 0.0
    if a.label is not None and a.label == b.label:
        return 0.99  # the same fact (or code list) with another value
    wa, wb = _key(a)[1].split(), _key(b)[1].split()
    return difflib.SequenceMatcher(None, wa, wb, autojunk=False).ratio()


def _whole(line: Line, status: Status) -> RedlineLine:
    op = Op.INSERT if status is Status.ADDED else Op.DELETE
    return RedlineLine(line.style, status, (Segment(op, line.text),))


def _replace(old: list[Line], new: list[Line]) -> list[RedlineLine]:
    """Lines of a replaced stretch: each new line paired with the most similar old line after the last
    pair (changed), the old lines skipped on the way removed, a new line without a pair added."""
    out: list[RedlineLine] = []
    i = 0
    for line in new:
        best, best_k = PAIR_THRESHOLD, None
        for k in range(i, len(old)):
            score = _similarity(old[k], line)
            if score >= best and (best_k is None or score > best):
                best, best_k = score, k
        if best_k is None:
            out.append(_whole(line, Status.ADDED))
            continue
        out += [_whole(o, Status.REMOVED) for o in old[i:best_k]]
        out.append(RedlineLine(line.style, Status.CHANGED, _changed(old[best_k], line)))
        i = best_k + 1
    out += [_whole(o, Status.REMOVED) for o in old[i:]]
    return out


def _codes(old: tuple[str, ...], new: tuple[str, ...]) -> list[Segment]:
    """A code list item by item, each ", " marked so that accepting gives the new list and rejecting the old."""
    out: list[Segment] = []
    in_old = in_new = 0
    for item in list_redline(old, new)[::2]:  # its items (every other segment is a separator)
        before_old = item.op is not Op.INSERT and in_old > 0
        before_new = item.op is not Op.DELETE and in_new > 0
        if before_old or before_new:
            op = Op.EQUAL if before_old and before_new else Op.DELETE if before_old else Op.INSERT
            out.append(Segment(op, ", "))
        out.append(item)
        in_old += item.op is not Op.INSERT
        in_new += item.op is not Op.DELETE
    return out


def _changed(old: Line, new: Line) -> tuple[Segment, ...]:
    """A changed line: a code list item by item, a fact's value whole, prose word by word."""
    if old.label is not None and old.label == new.label:
        head = Segment(Op.EQUAL, f"{new.label} : ")
        if old.codes is not None and new.codes is not None:
            return (head, *_codes(old.codes, new.codes))
        if old.value is not None and new.value is not None:
            return (head, Segment(Op.DELETE, old.value), Segment(Op.INSERT, new.value))
    return tuple(redline(old.text, new.text))


def redline_document(old: Document, new: Document) -> list[RedlineLine]:
    """The new version's lines, each equal, changed (word redline), added, or a removed old line at its place.

    CQPM capacities are paired as the structured diff pairs them (by content, ``capacity_score``) and
    shown in the new order, each against its own old version: a renumbered capacity reads as its
    number struck and the new one inserted, not as a removed and an added capacity."""
    if old.cqpm is not None and new.cqpm is not None:
        return _cqpm_redline(old.cqpm, new.cqpm)
    return _align(document_lines(old), document_lines(new))


def _cqpm_redline(old: CqpmDocument, new: CqpmDocument) -> list[RedlineLine]:
    out = _align(_cqpm_head(old), _cqpm_head(new))
    if old.capacities or new.capacities:
        status = Status.EQUAL if old.capacities and new.capacities else (
            Status.ADDED if new.capacities else Status.REMOVED)
        op = {Status.EQUAL: Op.EQUAL, Status.ADDED: Op.INSERT, Status.REMOVED: Op.DELETE}[status]
        out.append(RedlineLine(Style.HEADING, status, (Segment(op, _CAPACITIES),)))
    for i, j in reading_order(match(old.capacities, new.capacities, capacity_score)):
        a = capacity_lines(old.capacities[i]) if i is not None else []
        b = capacity_lines(new.capacities[j]) if j is not None else []
        out += _align(a, b)
    return out + _align(_cqpm_tail(old), _cqpm_tail(new))


def _align(a: list[Line], b: list[Line]) -> list[RedlineLine]:
    matcher = difflib.SequenceMatcher(None, [_key(x) for x in a], [_key(x) for x in b], autojunk=False)
    out: list[RedlineLine] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            out += [RedlineLine(x.style, Status.EQUAL, (Segment(Op.EQUAL, x.text),)) for x in b[j1:j2]]
        elif tag == "delete":
            out += [_whole(x, Status.REMOVED) for x in a[i1:i2]]
        elif tag == "insert":
            out += [_whole(x, Status.ADDED) for x in b[j1:j2]]
        else:
            out += _replace(a[i1:i2], b[j1:j2])
    return out
