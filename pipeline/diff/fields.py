"""Diffs of metadata: scalar fields of the contract and its plain lists (missions, jobs, ROME codes …).

Every change here has entity ``field`` and the contract's JSON path as its key (``last_modified``,
``registration.decision``, ``missions``).  A field that goes from null to a value (a date printed in the
new version only) is a ``changed`` field: what the document states changed.  The CQPM header block
(``pipeline.contract.HEADER_FIELDS``: number, qualification id, category, last modified) is the exception
the other way: some renderings of a référentiel print it and others leave it out, and a warehouse document
holds the fullest rendering, so a header field the new version does not print is not a change, nor a
number, qualification id or category the old one does not print (``cqpm_scalar_changes``).  List items are matched
by content (``match.match_texts``) or, for classification codes (ROME, NSF, conventions, formacodes),
by their code; a list whose items were only re-ordered is not reported.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date

from pipeline.contract import HEADER_FIELDS
from pipeline.diff.changes import Locus
from pipeline.diff.match import Matching, match, match_texts, same_text, text_score
from pipeline.records import (
    Change,
    ChangeKind,
    CodedText,
    CqpmDocument,
    Entity,
    Provenance,
    RncpFiche,
    TextItem,
    Value,
)


def _value(v: object) -> Value:
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, str):
        return v if v.strip() else None
    if v is None or isinstance(v, bool | int):
        return v
    raise TypeError(f"not a field value: {v!r}")


def cqpm_scalars(c: CqpmDocument) -> dict[str, Value]:
    return {name: _value(getattr(c, name)) for name in
            ("number", "qualification_id", "category", "last_modified", "level", "title", "objective",
             "layout", "environment", "interactions")}


def rncp_scalars(r: RncpFiche) -> dict[str, Value]:
    reg, hist = r.registration, r.history
    out: dict[str, Value] = {name: _value(getattr(r, name)) for name in
                             ("code", "title", "validity", "new_caledonia", "french_polynesia")}
    out.update({f"registration.{n}": _value(getattr(reg, n)) for n in ("decision", "journal_officiel",
                                                                         "effective", "end")})
    out["awards_per_year"] = _value(r.awards_per_year)
    out.update({f"history.{n}": _value(getattr(hist, n)) for n in ("cqpm_number", "qualification_id",
                                                                     "first_validated", "version_date",
                                                                     "category")})
    # version 2: the fiche's state, level, objectives, start of pathways; each access route and each
    # statistics year as its own fields (a route opened, a jury recomposed, a year's figures revised)
    out.update({name: _value(getattr(r, name)) for name in ("active", "state", "level", "objectives")})
    out["registration.start_of_pathways"] = _value(reg.start_of_pathways)
    for a in r.access_routes:
        out[f"access_routes.{a.route}.open"] = _value(a.open)
        out[f"access_routes.{a.route}.jury"] = _value(a.jury)
    for st in r.statistics:
        for n in ("certified", "certified_vae", "employment_6m", "job_2y"):
            out[f"statistics.{st.year}.{n}"] = _value(getattr(st, n))
    return out


def rncp_v2_scalar_changes(old: RncpFiche, new: RncpFiche) -> list[Change]:
    """Fields of one version only (an access route or a statistics year added or removed): null on the other
    side.  ``scalar_changes`` sees only the old version's keys."""
    a, b = rncp_scalars(old), rncp_scalars(new)
    return [Change(ChangeKind.CHANGED, Entity.FIELD, path, None, b[path])
            for path in b if path not in a and b[path] is not None]


def texts(values: Sequence[str]) -> tuple[TextItem, ...]:
    """Plain strings as list items (no place in the source) for ``text_list_changes``."""
    return tuple(TextItem(v, Provenance(None, k)) for k, v in enumerate(values))


def same_value(a: Value, b: Value) -> bool:
    """Texts compare in the contract's normalisation (null and "" are the same); the rest by value."""
    if (a is None or isinstance(a, str)) and (b is None or isinstance(b, str)):
        return same_text(a, b)
    return a == b


def scalar_changes(old: dict[str, Value], new: dict[str, Value]) -> list[Change]:
    return [Change(ChangeKind.CHANGED, Entity.FIELD, path, old[path], new.get(path))
            for path in old if not same_value(old[path], new.get(path))]


def cqpm_scalar_changes(old: CqpmDocument, new: CqpmDocument) -> list[Change]:
    """``scalar_changes`` of two référentiels, less the header fields one of the two leaves out: a file
    without the page-header block (a text conversion, a re-saved PDF) says nothing about the number, the
    qualification id, the category or the date, so the new version not printing one is no change.  The
    other way, an old version that does not print the number, qualification id or category does not make
    the new one's new (``refpipe diff text.txt header.pdf``); the date is the exception: a version that
    starts stating its "Dernière modification" is a change (the version gold: v1 undated, v2 dated).  A
    header field both print and that differs is a change."""
    return [c for c in scalar_changes(cqpm_scalars(old), cqpm_scalars(new))
            if not (c.key in HEADER_FIELDS and (c.new is None or (c.old is None and c.key in _IDENTITY)))]


#: the header fields that say which référentiel it is (not when it was revised)
_IDENTITY = tuple(f for f in HEADER_FIELDS if f != "last_modified")


def reading_order(m: Matching) -> Iterator[tuple[int | None, int | None]]:
    """(old, new) index pairs in the new version's order, removed items after their old predecessor."""
    anchored: list[tuple[float, int, int | None, int | None]] = [(p.new, 0, p.old, p.new) for p in m.pairs]
    anchored += [(j, 0, None, j) for j in m.added]
    for gone in m.removed:
        before = [p for p in m.pairs if p.old < gone]
        anchor = max(before, key=lambda p: p.old).new if before else -1
        anchored.append((anchor + 0.5, gone, gone, None))
    for *_, old, new in sorted(anchored, key=lambda t: (t[0], t[1])):
        yield old, new


def text_list_changes(path: str, old: Sequence[TextItem], new: Sequence[TextItem]) -> list[Change]:
    m = match_texts([t.text for t in old], [t.text for t in new])
    out: list[Change] = []
    for i, j in reading_order(m):
        a = old[i] if i is not None else None
        b = new[j] if j is not None else None
        if a is not None and b is not None and same_text(a.text, b.text):
            continue
        kind = ChangeKind.CHANGED if a and b else ChangeKind.REMOVED if a else ChangeKind.ADDED
        at = Locus(str(i + 1) if i is not None else None, str(j + 1) if j is not None else None,
                   a.prov if a else None, b.prov if b else None)
        out.append(at.change(kind, Entity.FIELD, path, a.text if a else None, b.text if b else None))
    return out


def _coded_text(c: CodedText) -> str:
    return f"{c.code} {c.text}".strip()


def coded_by_code(path: str, old: Sequence[CodedText], new: Sequence[CodedText]) -> list[Change]:
    """Classification codes: an item is its code; a new label for the same code is a change."""
    def code_score(a: CodedText, b: CodedText) -> float | None:
        return 1.0 if a.code.strip().casefold() == b.code.strip().casefold() else None
    return _coded(path, old, new, match(old, new, code_score), by_code=True)


def coded_by_text(path: str, old: Sequence[CodedText], new: Sequence[CodedText]) -> list[Change]:
    """Numbered statements (RNCP activities A1…): matched by text, so a renumbered one is moved."""
    def score(a: CodedText, b: CodedText) -> float | None:
        s = text_score(a.text, b.text)
        return None if s is None else s + (1e-6 if a.code == b.code else 0.0)
    return _coded(path, old, new, match(old, new, score), by_code=False)


def _coded(path: str, old: Sequence[CodedText], new: Sequence[CodedText], m: Matching,
           *, by_code: bool) -> list[Change]:
    out: list[Change] = []
    for i, j in reading_order(m):
        a = old[i] if i is not None else None
        b = new[j] if j is not None else None
        if a is None and b is not None:
            out.append(_coded_change(ChangeKind.ADDED, path, None, _coded_text(b), a, b))
        elif b is None and a is not None:
            out.append(_coded_change(ChangeKind.REMOVED, path, _coded_text(a), None, a, b))
        elif a is not None and b is not None:
            if not by_code and a.code != b.code:
                out.append(_coded_change(ChangeKind.MOVED, f"{path} {a.code}", a.code, b.code, a, b))
            if not same_text(a.text, b.text):
                out.append(_coded_change(ChangeKind.CHANGED, f"{path} {a.code}", a.text or None,
                                         b.text or None, a, b))
    return out


def _coded_change(kind: ChangeKind, key: str, old: Value, new: Value, a: CodedText | None,
                  b: CodedText | None) -> Change:
    at = Locus(a.code if a else None, b.code if b else None, a.prov if a else None, b.prov if b else None)
    return at.change(kind, Entity.FIELD, key, old, new)
