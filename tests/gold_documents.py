"""Build ``Document`` records from contract gold JSON, to test the warehouse without the parsers.

Golds: ``tests/fixtures/gold/*.json`` (text seeds) and ``tests/fixtures/pdf/*.gold.json`` (rendered PDFs,
with page counts and header metadata).  Items get provenance ``order = index``, ``page = None``; with
``geometry=True`` they get synthetic pages and boxes, and the fields the contract does not carry
(level, listed capacities, layout variant) get values, so a round trip can be checked exactly.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from pipeline.records import (
    BBox,
    CodedText,
    CqpmCapacity,
    CqpmDocument,
    Document,
    History,
    Kind,
    Provenance,
    Registration,
    RncpBlock,
    RncpFiche,
    Source,
    TextItem,
)

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def gold_paths() -> list[Path]:
    return sorted((FIXTURES / "gold").glob("0*.json")) + sorted((FIXTURES / "pdf").glob("*.gold.json"))


def source_file(gold: dict[str, Any]) -> Path | None:
    """The fixture file the gold describes (same basename under tests/fixtures), if present."""
    name = Path(gold["source"]["path"]).name
    return next((p for p in sorted(FIXTURES.glob(f"*/{name}")) if p.is_file()), None)


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


class _Prov:
    def __init__(self, geometry: bool) -> None:
        self.geometry = geometry
        self.n = 0

    def __call__(self, index: int) -> Provenance:
        self.n += 1
        if not self.geometry:
            return Provenance(page=None, order=index)
        k = self.n  # distinct, exactly representable values
        return Provenance(page=1 + k // 7, order=k,
                          bbox=BBox(x0=k + 0.5, top=2.0 * k + 0.25, x1=k + 100.5, bottom=2.0 * k + 12.75))


def _texts(values: list[str], prov: _Prov) -> tuple[TextItem, ...]:
    return tuple(TextItem(v, prov(i)) for i, v in enumerate(values))


def _coded(values: list[dict[str, str]], key: str, prov: _Prov) -> tuple[CodedText, ...]:
    return tuple(CodedText(v["code"], v[key], prov(i)) for i, v in enumerate(values))


def _cqpm(g: dict[str, Any], prov: _Prov, geometry: bool) -> CqpmDocument:
    capacities = tuple(
        CqpmCapacity(number=c["number"], title=c["title"], conditions=_texts(c["conditions"], prov),
                     criteria=_texts(c["criteria"], prov), assessment=_texts(c["assessment"], prov),
                     prov=prov(i))
        for i, c in enumerate(g["capacities"])
    )
    listed = tuple(CodedText(f"{c.number})", c.title, prov(i)) for i, c in enumerate(capacities))
    listed = listed if geometry else ()
    return CqpmDocument(
        number=g["number"], qualification_id=g["qualification_id"], category=g["category"],
        last_modified=_date(g["last_modified"]), level=g.get("level", "3" if geometry else None),
        title=g["title"],
        objective=g["objective"], missions=_texts(g["missions"], prov), capacities=capacities,
        assessment_methods=_texts(g["assessment_methods"], prov), listed_capacities=listed,
        layout_variant="activites" if geometry else "classic",
    )


def _formacode(i: int, value: str, prov: _Prov) -> CodedText:
    code, _, label = value.partition(" ")
    return CodedText(code, label, prov(i))


def _rncp(g: dict[str, Any], prov: _Prov) -> RncpFiche:
    reg, hist = g["registration"], g["history"]
    return RncpFiche(
        code=g["code"], title=g["title"], certifiers=_texts(g["certifiers"], prov),
        conventions=_coded(g["conventions"], "label", prov), nsf=_coded(g["nsf"], "label", prov),
        formacodes=tuple(_formacode(i, f, prov) for i, f in enumerate(g["formacodes"])),
        activities=_coded(g["activities"], "text", prov), capacities=_coded(g["capacities"], "text", prov),
        jobs=_texts(g["jobs"], prov), rome=_coded(g["rome"], "label", prov),
        blocks=tuple(RncpBlock(b["number"], b["title"], tuple(b["capacities"]), prov(i))
                     for i, b in enumerate(g["blocks"])),
        validity=g["validity"], new_caledonia=g["new_caledonia"], french_polynesia=g["french_polynesia"],
        registration=Registration(decision=_date(reg["decision"]),
                                  journal_officiel=_date(reg["journal_officiel"]),
                                  effective=_date(reg["effective"]), end=_date(reg["end"])),
        awards_per_year=g["awards_per_year"],
        history=History(cqpm_number=hist["cqpm_number"], qualification_id=hist["qualification_id"],
                        first_validated=hist["first_validated"], version_date=_date(hist["version_date"]),
                        category=hist["category"]),
    )


def load_gold(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def document_from_gold(gold: dict[str, Any] | Path, *, geometry: bool = False) -> Document:
    g = load_gold(gold) if isinstance(gold, Path) else gold
    src = g["source"]
    file = source_file(g)
    source = Source(path=src["path"], sha256=src["sha256"], format=src["format"], pages=src["pages"],
                    size=file.stat().st_size if file else 0)
    prov = _Prov(geometry)
    kind = Kind(g["kind"])
    return Document(
        source=source, kind=kind,
        cqpm=_cqpm(g["cqpm"], prov, geometry) if kind is Kind.CQPM else None,
        rncp=_rncp(g["rncp"], prov) if kind is Kind.RNCP else None,
    )
