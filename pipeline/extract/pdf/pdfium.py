"""The pypdfium2 backend: one open pdfium page -> ``PageObjects`` (words, lines, rects, curves, images).

pdfium (C++, through pypdfium2's ctypes bindings) parses a page about ten times faster than pdfminer
builds its Python objects, so this is the default backend; pdfplumber stays as the reference it is
tested against (tests/extract/test_pdf_backends.py).  It reproduces what the front end takes from
pdfplumber:

* words as ``Page.extract_words(extra_attrs=["fontname", "size"])`` groups them (``pdf.pdfium_text``):
  chars in content order, runs of one font and size, clustered into lines by their top (3 pt), sorted
  by x, split at white space and at gaps over 3 pt.  Characters pdfium generates (the spaces and line
  ends it infers) are skipped: pdfplumber splits on real spaces only;
* a char's left edge is its origin (pdfminer's box starts there; pdfium's loose box also covers a
  glyph's overhang, as in ``j``); its right edge is the next char's origin when the next char follows
  it on the same baseline in the same text object (the advance from the PDF's widths), else the loose
  box's right edge;
* a non-embedded base-14 font (Helvetica in the ReportLab exports) is laid out by pdfium with its
  substitute font's widths, by pdfminer with the standard metrics: where they differ (``«``, ``»``) the
  rest of pdfium's line drifts right, so each char is moved back by the drift and ends at its standard
  width (pdfminer's own metric tables);
* a hyphen pdfium took for a line-end one comes back as U+FFFE/U+0002: it is read as ``-``; glyphs
  without a Unicode mapping (pdfminer's ``(cid:…)``) become U+FFFD, checked char by char in the text
  objects whose first char has none;
* vertical geometry from the baseline and the font size (``page.DESCENT``), as for pdfplumber;
* paths split into subpaths and classified as pdfminer does (``ml`` line, closed axis-aligned
  ``mlllh`` rect, anything else a curve); images by their bounds.

Every pdfium handle is closed after use (they are not garbage-collected): the text page here, the page
and the document by the caller (``pipeline.extract.pdf``).  pdfium is not thread-safe: documents are
read one at a time per process (the executor's extraction processes).
"""

from __future__ import annotations

import ctypes
import functools
import re
from collections.abc import Callable, Iterator
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as raw

from pipeline.extract.pdf.page import PageGraphics, PageObjects, T_obj, path_object
from pipeline.extract.pdf.pdfium_text import read_words

_SUBPATH_RE = re.compile(r"m[^m]+")


def read_pdfium_page(page: pdfium.PdfPage) -> PageObjects:
    """Words and graphics of an open page; its text page is closed here, the page by the caller."""
    width, height = float(page.get_width()), float(page.get_height())
    textpage = page.get_textpage()
    try:
        words, raw_count, bad = read_words(textpage, height)
    finally:
        textpage.close()
    lines: list[T_obj] = []
    rects: list[T_obj] = []
    curves: list[T_obj] = []
    images: list[tuple[float, float, float, float]] = []
    for obj, matrix in _objects(page):
        kind = raw.FPDFPageObj_GetType(obj)
        if kind == raw.FPDF_PAGEOBJ_PATH:
            _path(obj, matrix, height, lines, rects, curves)
        elif kind == raw.FPDF_PAGEOBJ_IMAGE:
            left, bottom, right, top = (ctypes.c_float() for _ in range(4))
            if raw.FPDFPageObj_GetBounds(obj, left, bottom, right, top):
                images.append((left.value, height - top.value, right.value, height - bottom.value))
    graphics = PageGraphics((0.0, 0.0, width, height), lines, rects, curves)
    return PageObjects(width=width, height=height, words=words, graphics=graphics, images=images,
                       raw_words=raw_count, bad_words=bad)


# ---------------------------------------------------------------------------------------------- graphics


def _form_object(form: Any, k: int) -> Any:
    return raw.FPDFFormObj_GetObject(form, k)


def _objects(page: pdfium.PdfPage) -> Iterator[tuple[raw.FPDF_PAGEOBJECT, tuple[float, ...]]]:
    """Page objects, form XObjects opened, each with its matrix to page space."""
    def walk(count: int, get: Callable[[int], Any], parent: tuple[float, ...]
             ) -> Iterator[tuple[raw.FPDF_PAGEOBJECT, tuple[float, ...]]]:
        m = raw.FS_MATRIX()
        for i in range(count):
            obj = get(i)
            if not obj:
                continue
            if raw.FPDFPageObj_GetType(obj) == raw.FPDF_PAGEOBJ_FORM:
                own = _mul((m.a, m.b, m.c, m.d, m.e, m.f), parent) if raw.FPDFPageObj_GetMatrix(obj, m) else parent
                yield from walk(raw.FPDFFormObj_CountObjects(obj), functools.partial(_form_object, obj), own)
            else:
                yield obj, parent
    yield from walk(raw.FPDFPage_CountObjects(page), lambda k: raw.FPDFPage_GetObject(page, k),
                    (1.0, 0.0, 0.0, 1.0, 0.0, 0.0))


def _mul(a: tuple[float, ...], b: tuple[float, ...]) -> tuple[float, ...]:
    """``a`` then ``b`` (row-vector PDF matrices)."""
    return (a[0] * b[0] + a[1] * b[2], a[0] * b[1] + a[1] * b[3],
            a[2] * b[0] + a[3] * b[2], a[2] * b[1] + a[3] * b[3],
            a[4] * b[0] + a[5] * b[2] + b[4], a[4] * b[1] + a[5] * b[3] + b[5])


def _path(obj: raw.FPDF_PAGEOBJECT, parent: tuple[float, ...], height: float,
          lines: list[T_obj], rects: list[T_obj], curves: list[T_obj]) -> None:
    """One path object as pdfminer's ``paint_path`` would add it: lines, rects and curves."""
    fillmode, stroke = ctypes.c_int(), ctypes.c_int()
    raw.FPDFPath_GetDrawMode(obj, fillmode, stroke)
    fill, stroked = fillmode.value != 0, bool(stroke.value)
    m = raw.FS_MATRIX()
    own = (m.a, m.b, m.c, m.d, m.e, m.f) if raw.FPDFPageObj_GetMatrix(obj, m) else (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
    mat = _mul(own, parent)
    width = ctypes.c_float()
    linewidth = width.value if raw.FPDFPageObj_GetStrokeWidth(obj, width) else 1.0
    ops: list[str] = []
    pts: list[tuple[float, float]] = []
    x, y = ctypes.c_float(), ctypes.c_float()
    bezier = 0
    start: tuple[float, float] | None = None
    for i in range(raw.FPDFPath_CountSegments(obj)):
        seg = raw.FPDFPath_GetPathSegment(obj, i)
        raw.FPDFPathSegment_GetPoint(seg, x, y)
        pt = (mat[0] * x.value + mat[2] * y.value + mat[4], mat[1] * x.value + mat[3] * y.value + mat[5])
        kind = raw.FPDFPathSegment_GetType(seg)
        if kind == raw.FPDF_SEGMENT_MOVETO:
            ops.append("m")
            pts.append(pt)
            start = pt
            bezier = 0
        elif kind == raw.FPDF_SEGMENT_BEZIERTO:
            bezier += 1
            if bezier == 3:  # pdfminer keeps a curve's end point only
                ops.append("c")
                pts.append(pt)
                bezier = 0
        else:
            ops.append("l")
            pts.append(pt)
        if raw.FPDFPathSegment_GetClose(seg) and start is not None:
            ops.append("h")
            pts.append(start)
    shape = "".join(ops)
    if shape[:1] != "m":
        return
    for sub in _SUBPATH_RE.finditer(shape):
        _subpath(shape[sub.start():sub.end()], pts[sub.start():sub.end()], height, fill, stroked, linewidth,
                 lines, rects, curves)


def _subpath(shape: str, pts: list[tuple[float, float]], height: float, fill: bool, stroke: bool,
             linewidth: float, lines: list[T_obj], rects: list[T_obj], curves: list[T_obj]) -> None:
    pts = list(pts)
    if len(shape) > 3 and shape[-2:] == "lh" and pts[-2] == pts[0]:  # a redundant l before h
        shape = shape[:-2] + "h"
        pts.pop()
    if shape in ("mlh", "ml"):
        lines.append(path_object("line", pts[:2], height, fill, stroke, linewidth))
        return
    if shape in ("mlllh", "mllll"):
        (x0, y0), (x1, y1), (x2, y2), (x3, y3), _ = pts
        square = (x0 == x1 and y1 == y2 and x2 == x3 and y3 == y0) or (y0 == y1 and x1 == x2 and y2 == y3 and x3 == x0)
        if pts[0] == pts[4] and square:
            rects.append(path_object("rect", [pts[0], pts[2]], height, fill, stroke, linewidth))
            return
    curves.append(path_object("curve", pts, height, fill, stroke, linewidth))
