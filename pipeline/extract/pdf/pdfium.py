"""The pypdfium2 backend: one open pdfium page -> ``PageObjects`` (words, lines, rects, curves, images).

pdfium (C++, through pypdfium2's ctypes bindings) parses a page about ten times faster than pdfminer
builds its Python objects, so this is the default backend; pdfplumber stays as the reference it is
tested against (tests/extract/test_pdf_backends.py).  It reproduces what the front end takes from
pdfplumber:

* words as ``Page.extract_words(extra_attrs=["fontname", "size"])`` groups them: chars in content
  order, runs of one font and size, clustered into lines by their top (3 pt), sorted by x, split at
  white space and at gaps over 3 pt (``_words``).  Characters pdfium generates (the spaces and line
  ends it infers) are skipped: pdfplumber splits on real spaces only;
* a char's left edge is its origin (pdfminer's box starts there; pdfium's loose box also covers a
  glyph's overhang, as in ``j``); its right edge is the next char's origin when the next char follows
  it on the same baseline in the same text object (the advance from the PDF's widths), else the loose
  box's right edge;
* a non-embedded base-14 font (Helvetica in the ReportLab exports) is laid out by pdfium with its
  substitute font's widths, by pdfminer with the standard metrics: where they differ (``«``, ``»``) the
  rest of pdfium's line drifts right, so each char is moved back by the drift and ends at its standard
  width (``_standard_widths``: pdfminer's own metric tables);
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
import unicodedata
from collections.abc import Callable, Iterator
from operator import itemgetter
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as raw

from pipeline.extract.pdf.lines import Word, word_from_parts
from pipeline.extract.pdf.page import DESCENT, PageGraphics, PageObjects, T_obj, path_object

X_TOLERANCE = 3.0  # pdfplumber's extract_words defaults
Y_TOLERANCE = 3.0
LIGATURES = {"ﬀ": "ff", "ﬃ": "ffi", "ﬄ": "ffl", "ﬁ": "fi", "ﬂ": "fl", "ﬆ": "st", "ﬅ": "st"}  # expand_ligatures
_SUBPATH_RE = re.compile(r"m[^m]+")

# one char: text, x0, x1, top, bottom, run (one interned (upright, font, size) tuple per run kind), white space
_Run = tuple[bool, str, float]
_Char = tuple[str, float, float, float, float, _Run, bool]


def read_pdfium_page(page: pdfium.PdfPage) -> PageObjects:
    """Words and graphics of an open page; its text page is closed here, the page by the caller."""
    width, height = float(page.get_width()), float(page.get_height())
    textpage = page.get_textpage()
    try:
        chars = _chars(textpage, height)
    finally:
        textpage.close()
    words, raw_count, bad = _words(chars)
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


# ---------------------------------------------------------------------------------------------- text


def _binding(function: Any, restype: Any, *argtypes: Any) -> Any:
    """A pdfium function with plain ``c_void_p`` handles: pypdfium2's typed pointers cost a Python-level
    conversion per call, and the char loop makes a few calls per char."""
    address = ctypes.cast(function, ctypes.c_void_p).value
    assert address is not None
    return ctypes.CFUNCTYPE(restype, *argtypes)(address)


_VP, _INT, _DBL = ctypes.c_void_p, ctypes.c_int, ctypes.POINTER(ctypes.c_double)
_text_object = _binding(raw.FPDFText_GetTextObject, _VP, _VP, _INT)
_origin = _binding(raw.FPDFText_GetCharOrigin, _INT, _VP, _INT, _DBL, _DBL)
_loose = _binding(raw.FPDFText_GetLooseCharBox, _INT, _VP, _INT, ctypes.POINTER(raw.FS_RECTF))
_map_error = _binding(raw.FPDFText_HasUnicodeMapError, _INT, _VP, _INT)
_generated = _binding(raw.FPDFText_IsGenerated, _INT, _VP, _INT)
_font_size = _binding(raw.FPDFText_GetFontSize, ctypes.c_double, _VP, _INT)


def _chars(textpage: pdfium.PdfTextPage, height: float) -> list[_Char]:
    n = raw.FPDFText_CountChars(textpage)
    if n <= 0:
        return []
    buf = (ctypes.c_ushort * (n + 1))()
    raw.FPDFText_GetText(textpage, 0, n, buf)
    units = buf[:n]
    tp = ctypes.cast(textpage.raw, ctypes.c_void_p).value
    x, y = ctypes.c_double(), ctypes.c_double()
    px, py = ctypes.byref(x), ctypes.byref(y)
    box = raw.FS_RECTF()
    pbox = ctypes.byref(box)
    # text object -> font name, upright, standard widths (base-14), size, unmapped glyphs
    fonts: dict[int, tuple[str, bool, dict[str, float] | None, float, bool, _Run]] = {}
    name_buf = ctypes.create_string_buffer(256)
    matrix = raw.FS_MATRIX()
    out: list[_Char] = []
    # the last char: origin x, baseline, text object, loose width, standard width (base-14 fonts)
    p_ox = p_base = -1e9
    p_key, p_loose, p_std = -1, 0.0, None
    shift = 0.0  # how far pdfium's substitute widths pushed this line's chars right of the PDF's widths
    nfc = unicodedata.normalize
    i = 0
    while i < n:
        idx, u = i, units[i]
        if u == 0xFFFE or u == 0x02:
            # pdfium's mark of a hyphen glyph ending a line (it keeps no trace of whether the PDF mapped
            # the glyph to "-" or to a soft hyphen): a printed hyphen, as pdfminer reads LibreOffice's
            u = 0x2D
        if 0xD800 <= u < 0xDC00 and i + 1 < n:  # a surrogate pair takes two char indices
            text = chr(0x10000 + ((u - 0xD800) << 10) + (units[i + 1] - 0xDC00))
            i += 2
        else:
            text = chr(u)
            i += 1
        space = u == 0x20 or text.isspace()
        if (space or u == 0) and _generated(tp, idx):
            continue  # a space or line end pdfium inferred: pdfplumber only splits on real ones
        key = _text_object(tp, idx) or 0
        info = fonts.get(key)
        if info is None:
            info = fonts[key] = _font(ctypes.cast(key, raw.FPDF_PAGEOBJECT) if key else None, name_buf, matrix,
                                      textpage, idx, _font_size(tp, idx), bool(_map_error(tp, idx)))
        font, upright, afm, size, unmapped, run = info
        _origin(tp, idx, px, py)
        ox, base = x.value, height - y.value
        _loose(tp, idx, pbox)
        right = box.right
        if abs(p_base - base) >= 0.01 or ox < p_ox - 0.01:
            shift = 0.0  # a new line: positioned by the PDF, not by pdfium's widths
        elif ox > p_ox:
            if p_std is not None:
                # a non-embedded base-14 font: pdfium lays it out with its substitute font's widths,
                # pdfminer with the standard metrics; where pdfium's advance is its glyph's width and
                # not the standard one (no kerning, no char spacing), the rest of the line drifts
                if abs(ox - p_ox - p_loose) < 0.01 and abs(p_loose - p_std) > 0.01:
                    shift += p_loose - p_std
            elif p_key == key:
                c = out[-1]
                if ox - shift < c[2] - 1e-4:  # the advance: where the next char of the same text object starts
                    out[-1] = (c[0], c[1], ox - shift, c[3], c[4], c[5], c[6])
        if not space:
            if unmapped and _map_error(tp, idx):  # a font without Unicode for some glyphs
                text = "\ufffd"
            elif u > 0x7F:
                text = nfc("NFC", LIGATURES.get(text, text))
        p_std = afm[text] * size if afm is not None and text in afm else None
        p_ox, p_base, p_key, p_loose = ox, base, key, right - ox
        if upright:
            x0 = ox - shift
            out.append((text, x0, x0 + p_std if p_std is not None else right - shift,
                        base - (1 - DESCENT) * size, base + DESCENT * size, run, space))
        else:  # rotated text: pdfium's loose box, as pdfminer's box of a rotated char
            out.append((text, box.left, right, height - box.top, height - box.bottom, run, space))
    return out


def _font(obj: Any, buf: ctypes.Array[ctypes.c_char], matrix: raw.FS_MATRIX, textpage: pdfium.PdfTextPage, idx: int,
          font_size: float, unmapped: bool) -> tuple[str, bool, dict[str, float] | None, float, bool, _Run]:
    """A text object's font name, whether it is upright, the standard widths of a base-14 font, its size
    and whether its first char has no Unicode mapping (pdfminer's ``(cid:…)``: only then is every char
    of the object checked).

    The size is pdfminer's: the font size times the vertical scale of the char's whole matrix, page
    transformations included (``FPDFText_GetFontSize`` leaves out a form's or the page's ``cm`` scale,
    as in browser-printed PDFs drawn at 0.75)."""
    font = raw.FPDFTextObj_GetFont(obj) if obj is not None else None
    name = ""
    afm: dict[str, float] | None = None
    if font:
        length = raw.FPDFFont_GetBaseFontName(font, buf, len(buf))
        name = buf.raw[: max(0, length - 1)].decode("utf-8", "replace") if length else ""
        if not raw.FPDFFont_GetIsEmbedded(font):
            afm = _standard_widths(name)
    upright, size = True, font_size
    if raw.FPDFText_GetMatrix(textpage, idx, matrix):
        upright = matrix.a * matrix.d > 0 and matrix.b * matrix.c <= 0  # pdfminer's LTChar.upright
        size = font_size * (abs(matrix.d) if matrix.c == 0 else (matrix.c ** 2 + matrix.d ** 2) ** 0.5)
    size = round(size, 3)
    return name, upright, afm, size, unmapped, _RUNS.setdefault((upright, name, size), (upright, name, size))


_RUNS: dict[_Run, _Run] = {}  # one tuple per (upright, font, size): runs compare by identity


_STANDARD: dict[str, dict[str, float] | None] = {}


def _standard_widths(name: str) -> dict[str, float] | None:
    """Per char, the advance (per unit of font size) of a base-14 font in pdfminer's metrics."""
    if name not in _STANDARD:
        from pdfminer.fontmetrics import FONT_METRICS

        metrics = FONT_METRICS.get(name)
        _STANDARD[name] = {ch: w / 1000 for ch, w in metrics[1].items()} if metrics else None
    return _STANDARD[name]


def _words(chars: list[_Char]) -> tuple[list[Word], int, int]:
    """pdfplumber's ``WordExtractor`` (defaults, ``extra_attrs=["fontname", "size"]``) over the chars."""
    words: list[Word] = []
    raw_count = bad = 0
    start, n = 0, len(chars)
    while start < n:  # runs of consecutive chars of one (upright, font, size)
        run = chars[start][5]
        end = start + 1
        while end < n and chars[end][5] is run:
            end += 1
        upright, font, size = run
        for line in _lines(chars[start:end], upright):
            for group in _split(line, upright):
                raw_count += 1
                text = "".join([ch[0] for ch in group])
                if "\ufffd" in text:
                    bad += 1
                    continue
                if upright and len(group) > 1:
                    x0, x1 = group[0][1], max([ch[2] for ch in group])  # sorted by x0
                    top, bottom = min([ch[3] for ch in group]), max([ch[4] for ch in group])
                elif upright:
                    x0, x1, top, bottom = group[0][1:5]
                else:
                    x0, x1 = min([ch[1] for ch in group]), max([ch[2] for ch in group])
                    top, bottom = min([ch[3] for ch in group]), max([ch[4] for ch in group])
                word = word_from_parts(text, x0, top, x1, bottom, size, font)
                if word is not None:
                    words.append(word)
        start = end
    return words, raw_count, bad


_BY_X0 = itemgetter(1)
_BY_TOP = itemgetter(3, 4)


def _lines(run: list[_Char], upright: bool) -> list[list[_Char]]:
    """pdfplumber's ``cluster_objects`` on ``top`` (``x0`` when rotated), then sorted along the line."""
    tol = Y_TOLERANCE if upright else X_TOLERANCE
    values: list[float] = [c[3] for c in run] if upright else [c[1] for c in run]
    if max(values) - min(values) <= tol:  # one line (the usual run: one text object)
        run.sort(key=_BY_X0 if upright else _BY_TOP)
        return [run]
    cluster: dict[float, int] = {}
    group, last = -1, 0.0
    for v in sorted(set(values)):
        if group < 0 or v > last + tol:
            group += 1
        cluster[v] = group
        last = v
    buckets: dict[int, list[_Char]] = {}
    for c, v in zip(run, values, strict=True):
        buckets.setdefault(cluster[v], []).append(c)
    return [sorted(buckets[g], key=_BY_X0 if upright else _BY_TOP) for g in sorted(buckets)]


def _split(line: list[_Char], upright: bool) -> Iterator[list[_Char]]:
    """Words of one line: split at white space, at a step back, at a gap over 3 pt, at a line change."""
    cur: list[_Char] = []
    for c in line:
        if c[6]:
            if cur:
                yield cur
            cur = []
            continue
        if cur:
            p = cur[-1]
            if upright:
                new = c[1] < p[1] or c[1] > p[2] + X_TOLERANCE or abs(c[3] - p[3]) > Y_TOLERANCE
            else:
                new = c[3] < p[3] or c[3] > p[4] + Y_TOLERANCE or abs(c[1] - p[1]) > X_TOLERANCE
            if new:
                yield cur
                cur = []
        cur.append(c)
    if cur:
        yield cur


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
