"""The PDF front end's shortcuts give exactly what the computations they replace give.

Speed-ups in ``pipeline/extract/pdf`` (issue 16) that rest on a property rather than on doing the same
steps: each is checked here against the plain computation, on the fixture PDFs where pdfium or
pdfplumber is involved, and on generated values otherwise.

* ``pdfium_text._round3``: word coordinates rounded as arrays, ``round(v, 3)`` bit for bit;
* ``pdfium_text._object_keys``: a char's text object found by sampling one char in 8 and bisecting,
  which relies on pdfium listing an object's chars together (not so under its bidi pass, which the
  right-to-left checks switch off);
* ``page._cells``: pdfplumber's ``intersections_to_cells`` with edge sets built once;
* chars beyond the BMP (a surrogate pair in pdfium's UTF-16), which the corpus lacks, read as pdfplumber
  reads them.
"""

from __future__ import annotations

import ctypes
import io
import random
from itertools import repeat
from pathlib import Path

import numpy as np
import pdfplumber
import pypdfium2 as pdfium
import pypdfium2.raw as raw
import pytest
from pdfplumber.table import TableFinder, TableSettings, edges_to_intersections, intersections_to_cells
from test_pdf import Page, build

from pipeline.extract.pdf import pdfium_text, plumber_page_objects
from pipeline.extract.pdf.page import PageGraphics, _cells
from pipeline.extract.pdf.pdfium import _right_to_left, read_pdfium_page
from pipeline.extract.pdf.tables import GRID_SETTINGS

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
PDFS = sorted(p.relative_to(FIXTURES).as_posix() for p in FIXTURES.rglob("*.pdf")
              if p.relative_to(FIXTURES).parts[0] != "bad")


def test_round3_is_pythons_round() -> None:
    rng = np.random.default_rng(16)
    values = np.concatenate([
        rng.uniform(-2000, 2000, 200_000),
        np.round(rng.uniform(0, 1000, 50_000), 3) + 0.0005,  # halves at the third decimal
        np.arange(0, 50, 0.0005),  # exact and inexact ties
        rng.uniform(0, 900, 100_000).astype(np.float32).astype(np.float64),  # pdfium's single precision
        np.array([0.0, -0.0, -0.0004, 0.0004, 0.0625, 2.5e-4, -2.5e-4, 1e12, -1e12, 123.4565]),
    ])
    expected = [round(v, 3) for v in values.tolist()]
    got = pdfium_text._round3(values)
    assert got == expected
    assert [repr(v) for v in got] == [repr(v) for v in expected]  # signs of zero too


def _kept_chars(textpage: pdfium.PdfTextPage) -> list[int]:
    return [i for i in range(raw.FPDFText_CountChars(textpage)) if not raw.FPDFText_IsGenerated(textpage, i)]


@pytest.mark.parametrize("rel", PDFS)
def test_text_objects_by_sampling_are_those_of_every_char(rel: str) -> None:
    pdf = pdfium.PdfDocument((FIXTURES / rel).read_bytes())
    sampled_pages = 0
    try:
        for i in range(len(pdf)):
            page = pdf[i]
            textpage = page.get_textpage()
            try:
                handle = ctypes.c_void_p(ctypes.cast(textpage.raw, ctypes.c_void_p).value)
                index = _kept_chars(textpage)
                every = np.array(list(map(pdfium_text._text_object, repeat(handle), index)), dtype=np.uint64)
                assert pdfium_text._object_keys(handle, np.array(index), contiguous=True).tolist() == every.tolist()
                sampled_pages += len(index) > 4 * pdfium_text._SAMPLE
            finally:
                textpage.close()
                page.close()
    finally:
        pdf.close()
    assert sampled_pages  # the sampling path ran


def test_right_to_left_text_or_documents_ask_every_char(monkeypatch: pytest.MonkeyPatch) -> None:
    assert pdfium_text._bidi(np.array([ord(c) for c in "Capacité שלום"]))
    assert pdfium_text._bidi(np.array([ord(c) for c in "نص"]))
    assert not pdfium_text._bidi(np.array([ord(c) for c in "Capacités professionnelles « 1er » – 2 €"]))

    lines = ["Préparer une intervention de maintenance sur un équipement industriel",
             "Les documents sont identifiés et classés avant l'intervention."]
    page = Page().text(60, 100, lines[0], 10).text(60, 120, lines[1], 10)
    plain, r2l = build([page]), build([page], catalog=b" /ViewerPreferences << /Direction /R2L >>")
    asked: list[bool] = []
    real = pdfium_text._object_keys

    def spy(tp: ctypes.c_void_p, chars: np.ndarray, contiguous: bool) -> np.ndarray:
        asked.append(contiguous)
        return real(tp, chars, contiguous)

    monkeypatch.setattr(pdfium_text, "_object_keys", spy)
    words = []
    for data in (plain, r2l):
        pdf = pdfium.PdfDocument(data)
        try:
            p = pdf[0]
            try:
                words.append(read_pdfium_page(p).words)
            finally:
                p.close()
            assert _right_to_left(pdf) is (data is r2l)
        finally:
            pdf.close()
    assert asked == [True, False]
    assert [w.text for w in words[0]] == [w.text for w in words[1]] == " ".join(lines).split()


def _finder_inputs(rel: str) -> list[PageGraphics]:
    pdf = pdfium.PdfDocument((FIXTURES / rel).read_bytes())
    pages = []
    try:
        for i in range(len(pdf)):
            page = pdf[i]
            try:
                pages.append(read_pdfium_page(page).graphics)
            finally:
                page.close()
    finally:
        pdf.close()
    return pages


@pytest.mark.parametrize("rel", [r for r in PDFS if r.startswith("pdf/") and "grid" in r])
def test_cells_are_pdfplumbers(rel: str) -> None:
    grids = 0
    for graphics in _finder_inputs(rel):
        finder = TableFinder(graphics, TableSettings.resolve(GRID_SETTINGS))  # type: ignore[arg-type]
        assert _cells(finder.intersections) == intersections_to_cells(finder.intersections)
        grids += bool(finder.cells)
    assert grids


def test_cells_are_pdfplumbers_on_broken_grids() -> None:
    """Random grids with missing and partial rules: spanned cells, open sides, stray segments."""
    rng = random.Random(16)
    cells = 0
    for _ in range(300):
        xs = sorted(rng.sample(range(0, 400, 10), rng.randint(2, 7)))
        ys = sorted(rng.sample(range(0, 400, 10), rng.randint(2, 7)))
        edges = []
        for y in ys:
            a, b = sorted(rng.sample(xs, 2)) if rng.random() < 0.3 else (xs[0], xs[-1])
            if rng.random() < 0.9:
                edges.append({"x0": float(a), "x1": float(b), "top": float(y), "bottom": float(y),
                              "width": float(b - a), "height": 0.0, "orientation": "h"})
        for x in xs:
            a, b = sorted(rng.sample(ys, 2)) if rng.random() < 0.3 else (ys[0], ys[-1])
            if rng.random() < 0.9:
                edges.append({"x0": float(x), "x1": float(x), "top": float(a), "bottom": float(b), "width": 0.0,
                              "height": float(b - a), "orientation": "v"})
        intersections = edges_to_intersections(edges, 1, 1)
        found = _cells(intersections)
        assert found == intersections_to_cells(intersections)
        cells += len(found)
    assert cells > 1000


def _astral_pdf() -> bytes:
    """Helvetica whose ToUnicode map reads "A" as U+1D400 (a surrogate pair in pdfium's UTF-16) and "B" as a space."""
    cmap = (b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap /CMapName /X def 1 begincodespacerange "
            b"<00> <FF> endcodespacerange 2 beginbfchar <41> <D835DC00> <42> <0020> endbfchar endcmap "
            b"CMapName currentdict /CMap defineresource pop end end")
    content = b"BT /F1 12 Tf 60 700 Td (Math ABA libre A B fin) Tj ET"
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
            b"/Resources << /Font << /F1 5 0 R >> >> >>",
            b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding /ToUnicode 6 0 R >>",
            b"<< /Length %d >>\nstream\n%s\nendstream" % (len(cmap), cmap)]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (i, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1) + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)


def test_surrogate_pairs_read_as_one_char_as_pdfplumber_reads_them() -> None:
    data = _astral_pdf()
    with pdfplumber.open(io.BytesIO(data), unicode_norm="NFC") as plumber:
        reference = [w.text for w in plumber_page_objects(plumber.pages[0]).words]
    pdf = pdfium.PdfDocument(data)
    try:
        page = pdf[0]
        try:
            words = [w.text for w in read_pdfium_page(page).words]
        finally:
            page.close()
    finally:
        pdf.close()
    assert words == reference == ["Math", "\U0001d400", "\U0001d400", "libre", "\U0001d400", "fin"]
