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
        words, raw_count, bad = read_words(textpage, height, _right_to_left(page.pdf))
    finally:
        textpage.close()
    lines: list[T_obj] = []
    rects: list[T_obj] = []
    curves: list[T_obj] = []
    images: list[tuple[float, float, float, float]] = []
    out = _Out()
    for obj, matrix in _objects(ctypes.cast(page.raw, ctypes.c_void_p).value or 0, out):
        kind = _object_type(obj)
        if kind == raw.FPDF_PAGEOBJ_PATH:
            _path(obj, matrix, height, lines, rects, curves, out)
        elif kind == raw.FPDF_PAGEOBJ_IMAGE and _object_bounds(obj, out.f0, out.f1, out.f2, out.f3):
            left, bottom, right, top = out.v0.value, out.v1.value, out.v2.value, out.v3.value
            images.append((left, height - top, right, height - bottom))
    graphics = PageGraphics((0.0, 0.0, width, height), lines, rects, curves)
    return PageObjects(width=width, height=height, words=words, graphics=graphics, images=images,
                       raw_words=raw_count, bad_words=bad)


def _right_to_left(pdf: pdfium.PdfDocument) -> bool:
    """Do the document's viewer preferences say ``/Direction /R2L``?"""
    buf = ctypes.create_string_buffer(8)
    length = raw.FPDF_VIEWERREF_GetName(pdf.raw, b"Direction", buf, len(buf))
    return bool(length) and buf.value == b"R2L"


# ---------------------------------------------------------------------------------------------- graphics


def _binding(function: Any, restype: Any, *argtypes: Any) -> Any:
    """A pdfium function over plain handles (ints) and out-parameter pointers: no typed-pointer conversions."""
    address = ctypes.cast(function, ctypes.c_void_p).value
    assert address is not None
    return ctypes.CFUNCTYPE(restype, *argtypes)(address)


_H, _INT, _VP = ctypes.c_size_t, ctypes.c_int, ctypes.c_void_p  # a handle (0: none), an int, an out-pointer
_page_count = _binding(raw.FPDFPage_CountObjects, _INT, _H)
_page_object = _binding(raw.FPDFPage_GetObject, _H, _H, _INT)
_form_count = _binding(raw.FPDFFormObj_CountObjects, _INT, _H)
_form_object = _binding(raw.FPDFFormObj_GetObject, _H, _H, ctypes.c_ulong)
_object_type = _binding(raw.FPDFPageObj_GetType, _INT, _H)
_object_matrix = _binding(raw.FPDFPageObj_GetMatrix, _INT, _H, _VP)
_object_bounds = _binding(raw.FPDFPageObj_GetBounds, _INT, _H, _VP, _VP, _VP, _VP)
_stroke_width = _binding(raw.FPDFPageObj_GetStrokeWidth, _INT, _H, _VP)
_draw_mode = _binding(raw.FPDFPath_GetDrawMode, _INT, _H, _VP, _VP)
_segment_count = _binding(raw.FPDFPath_CountSegments, _INT, _H)
_segment = _binding(raw.FPDFPath_GetPathSegment, _H, _H, _INT)
_segment_point = _binding(raw.FPDFPathSegment_GetPoint, _INT, _H, _VP, _VP)
_segment_type = _binding(raw.FPDFPathSegment_GetType, _INT, _H)
_segment_close = _binding(raw.FPDFPathSegment_GetClose, _INT, _H)


class _Out:
    """Out-parameters reused for every call of a page (their addresses given as plain pointers)."""

    def __init__(self) -> None:
        self.matrix = raw.FS_MATRIX()
        self.pm = ctypes.addressof(self.matrix)
        self.v0, self.v1, self.v2, self.v3 = (ctypes.c_float() for _ in range(4))
        self.f0, self.f1, self.f2, self.f3 = (ctypes.addressof(v) for v in (self.v0, self.v1, self.v2, self.v3))
        self.i0, self.i1 = ctypes.c_int(), ctypes.c_int()
        self.n0, self.n1 = ctypes.addressof(self.i0), ctypes.addressof(self.i1)

    def object_matrix(self, obj: int) -> tuple[float, ...] | None:
        m = self.matrix
        return (m.a, m.b, m.c, m.d, m.e, m.f) if _object_matrix(obj, self.pm) else None


def _objects(page: int, out: _Out) -> Iterator[tuple[int, tuple[float, ...]]]:
    """Page objects, form XObjects opened, each with its matrix to page space."""
    def walk(count: int, get: Callable[[int], int], parent: tuple[float, ...]
             ) -> Iterator[tuple[int, tuple[float, ...]]]:
        for i in range(count):
            obj = get(i)
            if not obj:
                continue
            if _object_type(obj) == raw.FPDF_PAGEOBJ_FORM:
                own = out.object_matrix(obj)
                yield from walk(_form_count(obj), functools.partial(_form_object, obj),
                                _mul(own, parent) if own is not None else parent)
            else:
                yield obj, parent
    yield from walk(_page_count(page), functools.partial(_page_object, page), (1.0, 0.0, 0.0, 1.0, 0.0, 0.0))


def _mul(a: tuple[float, ...], b: tuple[float, ...]) -> tuple[float, ...]:
    """``a`` then ``b`` (row-vector PDF matrices)."""
    return (a[0] * b[0] + a[1] * b[2], a[0] * b[1] + a[1] * b[3],
            a[2] * b[0] + a[3] * b[2], a[2] * b[1] + a[3] * b[3],
            a[4] * b[0] + a[5] * b[2] + b[4], a[4] * b[1] + a[5] * b[3] + b[5])


def _path(obj: int, parent: tuple[float, ...], height: float,
          lines: list[T_obj], rects: list[T_obj], curves: list[T_obj], out: _Out) -> None:
    """One path object as pdfminer's ``paint_path`` would add it: lines, rects and curves."""
    _draw_mode(obj, out.n0, out.n1)
    fill, stroked = out.i0.value != 0, bool(out.i1.value)
    mat = _mul(out.object_matrix(obj) or (1.0, 0.0, 0.0, 1.0, 0.0, 0.0), parent)
    linewidth = out.v0.value if _stroke_width(obj, out.f0) else 1.0
    ops: list[str] = []
    pts: list[tuple[float, float]] = []
    bezier = 0
    start: tuple[float, float] | None = None
    px, py = out.f0, out.f1
    vx, vy = out.v0, out.v1
    for i in range(_segment_count(obj)):
        seg = _segment(obj, i)
        _segment_point(seg, px, py)
        x, y = vx.value, vy.value
        pt = (mat[0] * x + mat[2] * y + mat[4], mat[1] * x + mat[3] * y + mat[5])
        kind = _segment_type(seg)
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
        if _segment_close(seg) and start is not None:
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
