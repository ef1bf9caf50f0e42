"""Word-level redline of two texts: the segments a report strikes (deleted) or marks (inserted).

Words are compared in the contract's comparison form (case, apostrophes, œ/oe do not count), so a
redline only marks words that really changed; the text shown is the document's own.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from enum import StrEnum

from pipeline.normalize.text import fold_token

_TOKEN = re.compile(r"\w+|\s+|[^\w\s]")


class Op(StrEnum):
    EQUAL = "equal"
    DELETE = "delete"
    INSERT = "insert"


@dataclass(frozen=True)
class Segment:
    op: Op
    text: str


def _fold(token: str) -> str:
    if token.isspace():
        return " "
    return fold_token(token)


def redline(old: str, new: str) -> list[Segment]:
    """Segments turning ``old`` into ``new``: equal runs (new text), deletions and insertions."""
    a, b = _TOKEN.findall(old), _TOKEN.findall(new)
    matcher = difflib.SequenceMatcher(None, [_fold(t) for t in a], [_fold(t) for t in b], autojunk=False)
    out: list[Segment] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            _add(out, Op.EQUAL, "".join(b[j1:j2]))
            continue
        if tag in ("delete", "replace"):
            _add(out, Op.DELETE, "".join(a[i1:i2]))
        if tag in ("insert", "replace"):
            _add(out, Op.INSERT, "".join(b[j1:j2]))
    return out


def _add(out: list[Segment], op: Op, text: str) -> None:
    if not text:
        return
    if op is not Op.EQUAL and text.isspace():
        if op is Op.DELETE:
            return  # a deleted space: the new text keeps its own spacing
        op = Op.EQUAL  # an inserted space is shown as a plain space
    if out and out[-1].op is op:
        out[-1] = Segment(op, out[-1].text + text)
    else:
        out.append(Segment(op, text))


def list_redline(old: tuple[str, ...], new: tuple[str, ...]) -> list[Segment]:
    """A list (block capacity codes) as segments, items separated by ", ": kept, removed, added."""
    items: list[Segment] = []
    matcher = difflib.SequenceMatcher(None, list(old), list(new), autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            items += [Segment(Op.EQUAL, c) for c in new[j1:j2]]
            continue
        items += [Segment(Op.DELETE, c) for c in old[i1:i2] if c not in new]
        items += [Segment(Op.INSERT, c) for c in new[j1:j2] if c not in old]
        items += [Segment(Op.EQUAL, c) for c in new[j1:j2] if c in old]  # only re-ordered
    out: list[Segment] = []
    for k, item in enumerate(items):
        if k:
            out.append(Segment(Op.EQUAL, ", "))
        out.append(item)
    return out
