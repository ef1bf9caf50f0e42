"""The two PDF backends read every PDF the project knows into the same document.

pdfplumber is the reference; pypdfium2 the default.  For every PDF of tests/fixtures but the bad
ones (the rendered corpus, its versions, the new-layout référentiels, printed RNCP pages) both give
byte-identical canonical JSON (the contract of ``show --json``) and the same layout and document
records once their bboxes are taken out, and every bbox within 1 pt.

Known differences the model absorbs (see ``pipeline/extract/pdf/page.py`` and ``pdf/pdfium.py``):
vertical boxes come from the baseline and the font size in both backends (pdfminer would put a word on
the font's declared descent, 0 for the LibreOffice exports' DejaVu fonts, pdfium on the font
program's); a char's right edge is the next char's origin where pdfium knows it, else its loose box,
which for a non-embedded font's substitute glyph (``»``) can be wider than the declared width.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from pipeline.contract import document_to_json
from pipeline.errors import RejectedInput
from pipeline.extract import source_of
from pipeline.extract.pdf import extract_pdf, pdf_backend
from pipeline.parse import parse
from pipeline.records import BBox

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
ALL_PDFS = sorted(p.relative_to(FIXTURES).as_posix() for p in FIXTURES.rglob("*.pdf")
                  if p.relative_to(FIXTURES).parts[0] != "bad")
BAD_PDFS = sorted(p.name for p in (FIXTURES / "bad").glob("*.pdf"))
TOLERANCE = 1.0  # points


def _split_bboxes(value: Any, boxes: list[tuple[str, BBox]], where: str = "") -> Any:
    """``value`` as plain JSON data with every bbox replaced by None; the bboxes collected in order."""
    if isinstance(value, BBox):
        boxes.append((where, value))
        return None
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _split_bboxes(getattr(value, f.name), boxes, f"{where}.{f.name}")
                for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [_split_bboxes(v, boxes, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, dict):
        return {str(k): _split_bboxes(v, boxes, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)  # enums, dates


def _read(rel: str, backend: str) -> tuple[str, str, list[tuple[str, BBox]]]:
    path = FIXTURES / rel
    data = path.read_bytes()
    layout = extract_pdf(path, data, source_of(path, data, "pdf"), backend=backend)
    document = parse(layout)
    boxes: list[tuple[str, BBox]] = []
    records = json.dumps(_split_bboxes({"layout": layout, "document": document}, boxes), sort_keys=True,
                         ensure_ascii=False)
    contract = json.dumps(document_to_json(document), sort_keys=True, ensure_ascii=False, indent=1)
    return contract, records, boxes


def test_every_pdf_fixture_is_compared() -> None:
    # the rendered corpus (11), its versions (4), the new-layout référentiels, printed RNCP pages, …
    assert len(ALL_PDFS) >= 19 and {rel.split("/")[0] for rel in ALL_PDFS} >= {"pdf", "versions", "new-layout"}


@pytest.mark.parametrize("rel", ALL_PDFS)
def test_both_backends_read_the_same_document(rel: str) -> None:
    ref_contract, ref_records, ref_boxes = _read(rel, "pdfplumber")
    fast_contract, fast_records, fast_boxes = _read(rel, "pdfium")
    assert fast_contract == ref_contract
    assert fast_records == ref_records
    assert [w for w, _ in fast_boxes] == [w for w, _ in ref_boxes]
    off = [(w, a, b) for (w, a), (_, b) in zip(ref_boxes, fast_boxes, strict=True)
           if max(abs(x - y) for x, y in zip(dataclasses.astuple(a), dataclasses.astuple(b), strict=True))
           > TOLERANCE]
    assert not off, f"{len(off)} of {len(ref_boxes)} bboxes differ by more than {TOLERANCE} pt: {off[:5]}"


@pytest.mark.parametrize("name", BAD_PDFS)
def test_both_backends_reject_a_bad_pdf_alike(name: str) -> None:
    path = FIXTURES / "bad" / name
    data = path.read_bytes()
    reasons: dict[str, str | None] = {}
    for backend in ("pdfplumber", "pdfium"):
        try:
            parse(extract_pdf(path, data, source_of(path, data, "pdf"), backend=backend))
            reasons[backend] = None
        except RejectedInput as exc:
            reasons[backend] = exc.reason.split(" (")[0]  # the reason, without the parser's own words
    assert reasons["pdfium"] == reasons["pdfplumber"]
    assert name == "letter.pdf" or reasons["pdfium"] is not None


def test_backend_choice() -> None:
    assert pdf_backend() in ("pdfium", "pdfplumber")
    assert pdf_backend("PDFplumber") == "pdfplumber"
    with pytest.raises(ValueError, match="unknown PDF backend 'mupdf'.*pdfium, pdfplumber"):
        pdf_backend("mupdf")
