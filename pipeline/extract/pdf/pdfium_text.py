"""The words of a pdfium text page, as pdfplumber's ``extract_words(extra_attrs=["fontname", "size"])`` gives them.

What is read (the rules; ``pdf.pdfium`` says why each holds):

* chars in content order, runs of one font and size, clustered into lines by their top (3 pt),
  sorted by x, split at white space and at gaps over 3 pt.  Characters pdfium generates (the spaces
  and line ends it infers) are skipped: pdfplumber splits on real spaces only;
* a char's left edge is its origin; its right edge is the next char's origin when the next char
  follows it on the same baseline in the same text object, else the loose box's right edge;
* a non-embedded base-14 font: each char moved back by the drift of pdfium's substitute widths and
  ending at its standard width (pdfminer's metrics);
* U+FFFE/U+0002 (pdfium's line-end hyphen) read as ``-``; glyphs without a Unicode mapping become
  U+FFFD (checked char by char in the text objects whose first char has none); ligatures expanded, NFC;
* vertical geometry from the baseline and the font size (``page.DESCENT``).

Why it is written this way: a page holds ~2,500 chars and a per-char Python loop making three ctypes
calls and building a tuple cost ~3.4 µs a char, half of the front end.  Here the per-char pdfium calls
(origin, loose box) run from ``map`` over index ranges, writing straight into numpy arrays (no Python
frame, no out-parameter objects per char); a char's text object is asked for one char in 8 only
(``_object_keys``: pdfium lists an object's chars together); font, size and orientation are read once
per text object; the geometry rules above are numpy expressions over the whole page (the base-14 drift, a
running sum that resets at each line, loops over its few events only); and pdfplumber's word grouping
of upright runs is one stable sort (run, line, x0, position) and array cuts.  Rotated runs go through the
literal transcription of pdfplumber's clustering (``_lines``, ``_split``).  Every float is computed with
the same IEEE operations in the same order as the per-char loop it replaces, so the words are
bit-identical (tests/extract/test_pdf_shortcuts.py checks the shortcuts that rest on a property).
"""

from __future__ import annotations

import ctypes
import functools
import unicodedata
from collections import deque
from collections.abc import Iterator
from itertools import accumulate, repeat
from operator import itemgetter
from typing import Any

import numpy as np
import numpy.typing as npt
import pypdfium2 as pdfium
import pypdfium2.raw as raw

from pipeline.extract.pdf.lines import Word, make_word, word_from_parts
from pipeline.extract.pdf.page import DESCENT

X_TOLERANCE = 3.0  # pdfplumber's extract_words defaults
Y_TOLERANCE = 3.0
LIGATURES = {"ﬀ": "ff", "ﬃ": "ffi", "ﬄ": "ffl", "ﬁ": "fi", "ﬂ": "fl", "ﬆ": "st", "ﬅ": "st"}  # expand_ligatures

_Run = tuple[bool, str, float]  # (upright, font name, size): one interned tuple per kind, compared by identity
# one char of the literal path: text, x0, x1, top, bottom, run, white space
_Char = tuple[str, float, float, float, float, _Run, bool]
_F64 = npt.NDArray[np.float64]
_Bool = npt.NDArray[np.bool_]
_Int = npt.NDArray[np.intp]


def _binding(function: Any, restype: Any, *argtypes: Any) -> Any:
    """A pdfium function with plain handles and addresses: pypdfium2's typed pointers cost a Python-level
    conversion per call, and out-parameters given as addresses let pdfium write into numpy arrays."""
    address = ctypes.cast(function, ctypes.c_void_p).value
    assert address is not None
    return ctypes.CFUNCTYPE(restype, *argtypes)(address)


_VP, _INT = ctypes.c_void_p, ctypes.c_int
_text_object = _binding(raw.FPDFText_GetTextObject, ctypes.c_size_t, _VP, _INT)  # 0 for none
# no result: these only fail for an index out of range (the out-parameters then stay 0)
_origin = _binding(raw.FPDFText_GetCharOrigin, None, _VP, _INT, _VP, _VP)  # two doubles
_loose = _binding(raw.FPDFText_GetLooseCharBox, None, _VP, _INT, _VP)  # FS_RECTF: left, top, right, bottom
_map_error = _binding(raw.FPDFText_HasUnicodeMapError, _INT, _VP, _INT)
_generated = _binding(raw.FPDFText_IsGenerated, _INT, _VP, _INT)
_font_size = _binding(raw.FPDFText_GetFontSize, ctypes.c_double, _VP, _INT)
_char_matrix = _binding(raw.FPDFText_GetMatrix, _INT, _VP, _INT, _VP)  # FS_MATRIX: a, b, c, d, e, f
_object_font = _binding(raw.FPDFTextObj_GetFont, ctypes.c_size_t, _VP)  # 0 for none
_font_name = _binding(raw.FPDFFont_GetBaseFontName, ctypes.c_ulong, _VP, ctypes.c_char_p, ctypes.c_ulong)
_font_embedded = _binding(raw.FPDFFont_GetIsEmbedded, _INT, _VP)


@functools.cache
def _space_table() -> _Bool:
    """``chr(u).isspace()`` for every UTF-16 code unit."""
    return np.array([chr(u).isspace() for u in range(0x10000)], dtype=np.bool_)


class _Font:
    """What the chars of one text object share."""

    __slots__ = ("afm", "run", "size", "unmapped", "upright")

    def __init__(self, run: _Run, afm: dict[str, float] | None, unmapped: bool) -> None:
        self.run, self.afm, self.unmapped = run, afm, unmapped
        self.upright, self.size = run[0], run[2]


def read_words(textpage: pdfium.PdfTextPage, height: float, right_to_left: bool = False
               ) -> tuple[list[Word], int, int]:
    """The page's readable words, how many words there were, how many were unreadable (U+FFFD).

    ``right_to_left``: the document's viewer preferences say ``/Direction /R2L`` (pdfium then reorders
    the neutral chars opening a line)."""
    chars = _read_chars(textpage, height, right_to_left)
    if chars is None:
        return [], 0, 0
    return _words(chars)


class _Chars:
    """The page's chars (generated ones skipped), one array entry each."""

    __slots__ = ("bottom", "runs", "rid", "space", "texts", "top", "x0", "x1")

    def __init__(self, texts: list[str], space: _Bool, x0: _F64, x1: _F64, top: _F64, bottom: _F64,
                 rid: _Int, runs: list[_Run]) -> None:
        self.texts, self.space, self.x0, self.x1, self.top, self.bottom = texts, space, x0, x1, top, bottom
        self.rid, self.runs = rid, runs  # run index per char; the runs


def _read_chars(textpage: pdfium.PdfTextPage, height: float, right_to_left: bool = False) -> _Chars | None:
    n = raw.FPDFText_CountChars(textpage)
    if n <= 0:
        return None
    buf = (ctypes.c_ushort * (n + 1))()
    raw.FPDFText_GetText(textpage, 0, n, buf)
    units = np.frombuffer(buf, dtype=np.uint16, count=n).astype(np.intp)
    # pdfium's mark of a hyphen glyph ending a line (it keeps no trace of whether the PDF mapped the
    # glyph to "-" or to a soft hyphen): a printed hyphen, as pdfminer reads LibreOffice's
    units[(units == 0xFFFE) | (units == 0x02)] = 0x2D
    tp = ctypes.c_void_p(ctypes.cast(textpage.raw, ctypes.c_void_p).value)

    starts, astral = _char_starts(units)
    codes = units[starts]
    space = _space_table()[codes]
    if astral:
        space[list(astral)] = False
    # a space or line end pdfium inferred: pdfplumber only splits on real ones
    maybe = np.flatnonzero(space | (codes == 0))
    generated = np.array(list(map(_generated, repeat(tp), starts[maybe].tolist())), dtype=np.bool_)
    keep = np.ones(len(starts), dtype=np.bool_)
    keep[maybe[generated]] = False
    kept = np.flatnonzero(keep)
    idx = starts[kept]
    codes, space = codes[kept], space[kept]
    m = len(idx)
    if not m:
        return None
    index = idx.tolist()

    # the three per-char calls, straight into arrays
    xy = np.zeros((m, 2), dtype=np.float64)
    a = xy.ctypes.data
    deque(map(_origin, repeat(tp), index, range(a, a + 16 * m, 16), range(a + 8, a + 16 * m, 16)), maxlen=0)
    box = np.zeros((m, 4), dtype=np.float32)
    b = box.ctypes.data
    deque(map(_loose, repeat(tp), index, range(b, b + 16 * m, 16)), maxlen=0)
    keys = _object_keys(tp, idx, not right_to_left and not _bidi(units))

    # one font record per text object, spread over its chars
    change = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
    fonts: dict[int, _Font] = {}
    seg_fonts: list[_Font] = []
    reader = _FontReader(tp)
    for c in change.tolist():
        key = int(keys[c])
        font = fonts.get(key)
        if font is None:
            font = fonts[key] = reader.read(key, index[c])
        seg_fonts.append(font)
    lengths = np.diff(np.append(change, m))
    run_ids: dict[int, int] = {}
    runs: list[_Run] = []
    for f in seg_fonts:
        if id(f.run) not in run_ids:
            run_ids[id(f.run)] = len(runs)
            runs.append(f.run)
    rid = np.repeat(np.array([run_ids[id(f.run)] for f in seg_fonts], dtype=np.intp), lengths)
    upright = np.repeat(np.array([f.upright for f in seg_fonts], dtype=np.bool_), lengths)
    size = np.repeat(np.array([f.size for f in seg_fonts], dtype=np.float64), lengths)

    texts = _texts(codes, space, units, idx, astral, starts, kept, change, lengths, seg_fonts, tp)
    std = _standard(texts, change, lengths, seg_fonts, size)

    ox = xy[:, 0]
    base = height - xy[:, 1]
    box64 = box.astype(np.float64)
    left, btop, right, bbottom = box64[:, 0], box64[:, 1], box64[:, 2], box64[:, 3]
    has_std = ~np.isnan(std)
    p_ox = np.concatenate(([-1e9], ox[:-1]))
    p_base = np.concatenate(([-1e9], base[:-1]))
    newline = (np.abs(p_base - base) >= 0.01) | (ox < p_ox - 0.01)  # positioned by the PDF, not by pdfium's widths
    forward = ~newline & (ox > p_ox)
    p_std = np.concatenate(([np.nan], std[:-1]))
    p_has_std = np.concatenate(([False], has_std[:-1]))
    p_loose = np.concatenate(([0.0], (right - ox)[:-1]))
    # a non-embedded base-14 font: pdfium lays it out with its substitute font's widths, pdfminer with
    # the standard metrics; where pdfium's advance is its glyph's width and not the standard one (no
    # kerning, no char spacing), the rest of the line drifts
    with np.errstate(invalid="ignore"):
        drift = forward & p_has_std & (np.abs(ox - p_ox - p_loose) < 0.01) & (np.abs(p_loose - p_std) > 0.01)
    shift = _shift(newline, drift, p_loose - p_std)

    x0 = np.where(upright, ox - shift, left)
    x1 = np.where(upright, np.where(has_std, x0 + std, right - shift), right)
    top = np.where(upright, base - (1 - DESCENT) * size, height - btop)
    bottom = np.where(upright, base + DESCENT * size, height - bbottom)
    # the advance: where the next char of the same text object starts
    same = np.concatenate(([False], keys[1:] == keys[:-1]))
    nxt = np.flatnonzero(forward & ~p_has_std & same)
    if len(nxt):
        at = ox[nxt] - shift[nxt]
        closer = at < x1[nxt - 1] - 1e-4
        x1[nxt[closer] - 1] = at[closer]
    return _Chars(texts, space, x0, x1, top, bottom, rid, runs)


_SAMPLE = 8  # one char in 8 asked for its text object when objects are contiguous
_BIDI_CLASSES = frozenset({"R", "AL", "AN", "RLE", "RLO", "RLI"})


@functools.cache
def _rtl_table() -> _Bool:
    """For every UTF-16 code unit: a right-to-left char (or a surrogate: astral chars are not checked)."""
    return np.array([0xD800 <= u < 0xE000 or unicodedata.bidirectional(chr(u)) in _BIDI_CLASSES
                     for u in range(0x10000)], dtype=np.bool_)


def _bidi(units: _Int) -> bool:
    """Does the page's text hold right-to-left chars, which pdfium's bidi pass reorders?"""
    return bool(_rtl_table()[units].any())


def _object_keys(tp: ctypes.c_void_p, chars: _Int, contiguous: bool) -> npt.NDArray[np.uint64]:
    """The text object (handle, 0 for none) of each char (``chars``: their indices in the text page).

    pdfium lists a text object's chars together (it appends them object by object; only its bidi pass
    reorders a line, for right-to-left text or in a document read right to left: ``contiguous`` is
    False then).  So when two sampled chars ``_SAMPLE`` apart belong to one object, so does every char
    between them; where they differ, the chars between are asked.  A sampled char without an object
    (not expected among the chars kept) makes the page ask every char."""
    m = len(chars)
    if not contiguous or m <= 4 * _SAMPLE:
        return np.array(list(map(_text_object, repeat(tp), chars.tolist())), dtype=np.uint64)
    at = np.arange(0, m, _SAMPLE)
    if at[-1] != m - 1:
        at = np.append(at, m - 1)
    sampled = np.array(list(map(_text_object, repeat(tp), chars[at].tolist())), dtype=np.uint64)
    if not sampled.all():
        return np.array(list(map(_text_object, repeat(tp), chars.tolist())), dtype=np.uint64)
    keys = np.empty(m, dtype=np.uint64)
    keys[:-1] = np.repeat(sampled[:-1], np.diff(at))
    keys[-1] = sampled[-1]
    differ = np.flatnonzero(sampled[1:] != sampled[:-1])
    first, end = at[differ] + 1, at[differ + 1]  # the chars strictly between two differing samples
    lengths = end - first
    if lengths.sum():
        between = np.repeat(first - np.cumsum(lengths) + lengths, lengths) + np.arange(lengths.sum())
        keys[between] = list(map(_text_object, repeat(tp), chars[between].tolist()))
    return keys


def _char_starts(units: _Int) -> tuple[_Int, dict[int, str]]:
    """Index of each char (a surrogate pair takes two) and the astral chars by their position."""
    n = len(units)
    high = np.flatnonzero((units >= 0xD800) & (units < 0xDC00))
    if not len(high) or (len(high) == 1 and high[0] == n - 1):
        return np.arange(n, dtype=np.intp), {}
    starts: list[int] = []
    astral: dict[int, str] = {}
    i = 0
    while i < n:
        u = int(units[i])
        if 0xD800 <= u < 0xDC00 and i + 1 < n:
            astral[len(starts)] = chr(0x10000 + ((u - 0xD800) << 10) + (int(units[i + 1]) - 0xDC00))
            starts.append(i)
            i += 2
        else:
            starts.append(i)
            i += 1
    return np.array(starts, dtype=np.intp), astral


def _texts(codes: _Int, space: _Bool, units: _Int, idx: _Int, astral: dict[int, str], starts: _Int,
           kept: _Int, change: _Int, lengths: _Int, seg_fonts: list[_Font], tp: ctypes.c_void_p) -> list[str]:
    """Each kept char's text: U+FFFD where its font maps no Unicode, else NFC with ligatures expanded."""
    texts = list(map(chr, codes.tolist()))
    if astral:
        where = {int(s): i for i, s in enumerate(kept.tolist())}
        for pos, text in astral.items():
            if pos in where:
                texts[where[pos]] = text
    nfc = unicodedata.normalize
    for i in np.flatnonzero(~space & (codes > 0x7F)).tolist():
        text = texts[i]
        texts[i] = nfc("NFC", LIGATURES.get(text, text))
    for c, length, font in zip(change.tolist(), lengths.tolist(), seg_fonts, strict=True):
        if font.unmapped:  # a font without Unicode for some glyphs
            for i in range(c, c + length):
                if not space[i] and _map_error(tp, int(idx[i])):
                    texts[i] = "\ufffd"
    return texts


def _standard(texts: list[str], change: _Int, lengths: _Int, seg_fonts: list[_Font], size: _F64) -> _F64:
    """Per char, its standard advance in a non-embedded base-14 font (NaN elsewhere)."""
    widths = np.full(len(texts), np.nan)
    for c, length, font in zip(change.tolist(), lengths.tolist(), seg_fonts, strict=True):
        if font.afm is not None:
            get = font.afm.get
            widths[c:c + length] = [w if (w := get(t)) is not None else np.nan for t in texts[c:c + length]]
    return widths * size


def _shift(newline: _Bool, drift: _Bool, step: _F64) -> _F64:
    """How far pdfium's substitute widths pushed each char right: a running sum of ``step`` over the
    ``drift`` chars, back to 0 at each new line (summed in order, as the per-char loop did)."""
    shift = np.zeros(len(newline))
    if not drift.any():
        return shift
    current, last = 0.0, 0
    for i in np.flatnonzero(newline | drift).tolist():
        shift[last:i] = current
        current = 0.0 if newline[i] else current + float(step[i])
        last = i
    shift[last:] = current
    return shift


class _FontReader:
    """Reads what the chars of a text object share, once per text object of a page.

    The size is pdfminer's: the font size times the vertical scale of the char's whole matrix, page
    transformations included (``FPDFText_GetFontSize`` leaves out a form's or the page's ``cm`` scale,
    as in browser-printed PDFs drawn at 0.75).  A font's name and standard widths are read once per
    font handle of the page (the page's text objects share a few fonts)."""

    def __init__(self, tp: ctypes.c_void_p) -> None:
        self.tp = tp
        self.matrix = raw.FS_MATRIX()
        self.matrix_at = ctypes.addressof(self.matrix)
        self.names: dict[int, tuple[str, dict[str, float] | None]] = {}
        self.buf = ctypes.create_string_buffer(256)

    def read(self, key: int, idx: int) -> _Font:
        """The text object ``key`` (0: none) whose first char is ``idx``: font name, upright, the
        standard widths of a non-embedded base-14 font, size, and whether its first char has no
        Unicode mapping (pdfminer's ``(cid:…)``: only then is every char of the object checked)."""
        tp = self.tp
        name, afm = self._name(_object_font(key) if key else 0)
        upright, size = True, _font_size(tp, idx)
        m = self.matrix
        if _char_matrix(tp, idx, self.matrix_at):
            upright = m.a * m.d > 0 and m.b * m.c <= 0  # pdfminer's LTChar.upright
            size = size * (abs(m.d) if m.c == 0 else (m.c ** 2 + m.d ** 2) ** 0.5)
        size = round(size, 3)
        run = _RUNS.setdefault((upright, name, size), (upright, name, size))
        return _Font(run, afm, bool(_map_error(tp, idx)))

    def _name(self, font: int) -> tuple[str, dict[str, float] | None]:
        known = self.names.get(font)
        if known is None:
            name = ""
            afm: dict[str, float] | None = None
            if font:
                length = _font_name(font, self.buf, len(self.buf))
                name = self.buf.raw[: max(0, length - 1)].decode("utf-8", "replace") if length else ""
                if not _font_embedded(font):
                    afm = _standard_widths(name)
            known = self.names[font] = (name, afm)
        return known


_RUNS: dict[_Run, _Run] = {}  # one tuple per (upright, font, size): runs compare by identity
_STANDARD: dict[str, dict[str, float] | None] = {}


def _standard_widths(name: str) -> dict[str, float] | None:
    """Per char, the advance (per unit of font size) of a base-14 font in pdfminer's metrics."""
    if name not in _STANDARD:
        from pdfminer.fontmetrics import FONT_METRICS

        metrics = FONT_METRICS.get(name)
        _STANDARD[name] = {ch: w / 1000 for ch, w in metrics[1].items()} if metrics else None
    return _STANDARD[name]


# ---------------------------------------------------------------------------------------------- words


def _words(chars: _Chars) -> tuple[list[Word], int, int]:
    """pdfplumber's ``WordExtractor`` (defaults, ``extra_attrs=["fontname", "size"]``) over the chars.

    Runs of consecutive chars of one (upright, font, size); in each, lines clustered on ``top`` (a new
    line where the sorted tops jump by more than 3 pt), each line sorted by ``x0`` (stably), then cut
    into words at white space, at a step back, at a gap over 3 pt, at a top 3 pt away.  Upright runs
    are done with array operations (one stable sort by run, line, x0 and position gives the order
    pdfplumber reads them in); rotated ones by the literal transcription (``_run_words``)."""
    rid, x0, x1, top, space = chars.rid, chars.x0, chars.x1, chars.top, chars.space
    m = len(rid)
    position = np.arange(m)
    run_start = np.flatnonzero(np.concatenate(([True], rid[1:] != rid[:-1])))
    run_length = np.diff(np.append(run_start, m))
    run_upright = np.array([chars.runs[r][0] for r in rid[run_start].tolist()], dtype=np.bool_)
    run_of = np.repeat(np.arange(len(run_start)), run_length)

    # lines: the chars of each run by top; a new line where a top exceeds the previous one by > 3 pt
    by_top = np.lexsort((top, run_of))
    sorted_top = top[by_top]
    new_line = np.ones(m, dtype=np.bool_)
    new_line[1:] = (run_of[by_top][1:] != run_of[by_top][:-1]) | (sorted_top[1:] > sorted_top[:-1] + Y_TOLERANCE)
    line_of = np.empty(m, dtype=np.intp)
    line_of[by_top] = np.cumsum(new_line)
    order = np.lexsort((position, x0, line_of))  # runs and lines in order, x0 along a line, ties as read
    order = order[np.repeat(run_upright, run_length)[order]]

    o_x0, o_x1, o_top, o_space, o_line = x0[order], x1[order], top[order], space[order], line_of[order]
    start = np.ones(len(order), dtype=np.bool_)
    start[1:] = ((o_line[1:] != o_line[:-1]) | o_space[:-1] | (o_x0[1:] < o_x0[:-1])
                 | (o_x0[1:] > o_x1[:-1] + X_TOLERANCE) | (np.abs(o_top[1:] - o_top[:-1]) > Y_TOLERANCE))
    body = np.flatnonzero(~o_space)
    starts = np.flatnonzero(start[body])  # word starts among the non-space chars, in reading order
    texts = [chars.texts[i] for i in order[body].tolist()]
    offsets = [0, *accumulate(map(len, texts))]
    joined = "".join(texts)
    w_first = starts.tolist()
    w_end = [*w_first[1:], len(body)]
    w_run = run_of[order[body][starts]].tolist()
    if len(body):
        b = order[body]
        boxes = (x0[b][starts], np.maximum.reduceat(x1[b], starts), np.minimum.reduceat(top[b], starts),
                 np.maximum.reduceat(chars.bottom[b], starts))
        w_x0, w_x1, w_top, w_bottom = (_round3(v) for v in boxes)
    else:
        boxes = (x0[:0],) * 4
        w_x0 = w_x1 = w_top = w_bottom = []

    words: list[Word] = []
    raw_count = bad = 0
    k, n_words = 0, len(w_first)
    for r, s in enumerate(run_start.tolist()):
        upright, font, size = chars.runs[int(rid[s])]
        if upright:
            while k < n_words and w_run[k] == r:
                text = joined[offsets[w_first[k]]:offsets[w_end[k]]]
                raw_count += 1
                if "\ufffd" in text:
                    bad += 1
                else:
                    # the run's size is rounded already; without one, word_from_parts takes the box's height
                    word = (make_word(text, w_x0[k], w_top[k], w_x1[k], w_bottom[k], size, font) if size else
                            word_from_parts(text, float(boxes[0][k]), float(boxes[2][k]), float(boxes[1][k]),
                                            float(boxes[3][k]), size, font))
                    if word is not None:
                        words.append(word)
                k += 1
            continue
        for group in _run_words(chars, s, s + int(run_length[r]), upright):
            raw_count += 1
            text = "".join([ch[0] for ch in group])
            if "\ufffd" in text:
                bad += 1
                continue
            gx0, gx1 = min([ch[1] for ch in group]), max([ch[2] for ch in group])
            gtop, gbottom = min([ch[3] for ch in group]), max([ch[4] for ch in group])
            word = word_from_parts(text, gx0, gtop, gx1, gbottom, size, font)
            if word is not None:
                words.append(word)
    return words, raw_count, bad


def _round3(values: _F64) -> list[float]:
    """``[round(v, 3) for v in values]``, bit for bit: ``rint(v * 1000) / 1000`` is Python's correctly
    rounded result unless ``v * 1000`` lies within its rounding error of a half (or ``v`` is huge);
    those few go through ``round``."""
    scaled = values * 1000.0
    whole = np.rint(scaled)
    out: list[float] = (whole / 1000.0).tolist()
    risky = (np.abs(np.abs(scaled - whole) - 0.5) < 1e-6) | ~(np.abs(values) < 1e9)
    for i in np.flatnonzero(risky).tolist():
        out[i] = round(float(values[i]), 3)
    return out


def _run_words(chars: _Chars, s: int, e: int, upright: bool) -> Iterator[list[_Char]]:
    """The words of a run that spans lines or steps back: pdfplumber's clustering, literally."""
    run = chars.runs[int(chars.rid[s])]
    rows = zip(chars.texts[s:e], chars.x0[s:e].tolist(), chars.x1[s:e].tolist(), chars.top[s:e].tolist(),
               chars.bottom[s:e].tolist(), chars.space[s:e].tolist(), strict=True)
    line_chars: list[_Char] = [(t, a, b, c, d, run, sp) for t, a, b, c, d, sp in rows]
    for line in _lines(line_chars, upright):
        yield from _split(line, upright)


_BY_X0 = itemgetter(1)
_BY_TOP = itemgetter(3, 4)


def _lines(run: list[_Char], upright: bool) -> list[list[_Char]]:
    """pdfplumber's ``cluster_objects`` on ``top`` (``x0`` when rotated), then sorted along the line."""
    tol = Y_TOLERANCE if upright else X_TOLERANCE
    values: list[float] = [c[3] for c in run] if upright else [c[1] for c in run]
    if max(values) - min(values) <= tol:  # one line
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
