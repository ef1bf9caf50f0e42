"""Words, lines and paragraphs of a PDF page (the geometry half of the PDF front end).

A PDF backend (``pipeline.extract.pdf``) gives words with their font name and size; this module turns them
into compact ``Word``s, drops footnote-reference superscripts, groups words into ``Line``s and lines
into paragraphs (``ParaLines``), reading paragraph breaks from the vertical rhythm (a gap larger than
the font's usual leading), from list/checkbox glyphs (printed, or drawn with a dingbat font) and from
indentation.  Nothing here knows about tables or page furniture.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from operator import attrgetter, itemgetter

import numpy as np

from pipeline.records import BBox, Marker

# ---------------------------------------------------------------------------------------------- glyphs

CHECKBOX_GLYPHS = frozenset("☐☑☒□❑❒❏❐▢◻")
BULLET_GLYPHS = frozenset("•●▪■◦‣∙·➢➤►▸✓✔")
DASH_GLYPHS = frozenset("-–—")
SUPERSCRIPT_DIGITS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")

# Symbol/dingbat fonts print their glyphs from plain or private-use codes: in Wingdings/ZapfDingbats
# q/o/p/r/¨ are boxes (þ/ý checked ones), l/n/u/§/Ø/v bullets; in Symbol, · is the bullet.
_DINGBAT_FONT_RE = re.compile(r"wingding|webding|dingbat|zapf|symbol", re.I)
_DINGBAT_CHECKBOX = frozenset("qopr¨þý\uf071\uf06f\uf070\uf072\uf0a8\uf0fe\uf0fd")
_DINGBAT_BULLET = frozenset("lnuv§Ø·ü\uf06c\uf06e\uf075\uf076\uf0a7\uf0d8\uf0b7\uf0fc")
_PUA_CHECKBOX = frozenset("\uf071\uf06f\uf070\uf072\uf0a8\uf0fe\uf0fd")
_PUA_BULLET = frozenset("\uf06c\uf06e\uf075\uf076\uf0a7\uf0d8\uf0b7\uf0fc")
_BOLD_RE = re.compile(r"bold|black|heavy|semibold|demi|,b$", re.I)
_ENUM_RE = re.compile(r"^(?:\d{1,2}|[a-zA-Z])\)$")


@dataclass(slots=True)
class Word:
    text: str
    x0: float
    top: float
    x1: float
    bottom: float
    size: float
    bold: bool = False
    glyph: Marker | None = None  # a checkbox/bullet glyph (printed or from a dingbat font)

    @property
    def xc(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def yc(self) -> float:
        return (self.top + self.bottom) / 2


def word_from_parts(text: str, x0: float, top: float, x1: float, bottom: float, size: float,
                    font: str) -> Word | None:
    """A compact ``Word`` from what either PDF backend reads (``pipeline.extract.pdf``); None when only blanks.

    Coordinates are rounded to 1/1000 pt so that float noise of one backend (pdfium computes in single
    precision, pdfminer in double) cannot tip a comparison the other would not.
    """
    return make_word(text, round(x0, 3), round(top, 3), round(x1, 3), round(bottom, 3),
                     round(size or (bottom - top), 3), font)


def make_word(text: str, x0: float, top: float, x1: float, bottom: float, size: float, font: str) -> Word | None:
    """``word_from_parts`` once the coordinates and the size are rounded to 1/1000 pt."""
    text = text.replace("\u00a0", " ").replace("\u00ad", "").strip()
    if not text:
        return None
    bold, dingbat_font = _font_traits(font)
    glyph: Marker | None = None
    if len(text) == 1:
        dingbat = dingbat_font
        if text in _PUA_CHECKBOX or (dingbat and text in _DINGBAT_CHECKBOX):
            text, glyph = "☐", Marker.CHECKBOX
        elif text in _PUA_BULLET or (dingbat and text in _DINGBAT_BULLET):
            text, glyph = "•", Marker.BULLET
        if glyph is None and text in CHECKBOX_GLYPHS:
            glyph = Marker.CHECKBOX
        elif glyph is None and text in BULLET_GLYPHS:
            glyph = Marker.BULLET
    return Word(text, x0, top, x1, bottom, size, bold, glyph)


@functools.lru_cache(maxsize=4096)  # font names repeat within and across documents
def _font_traits(font: str) -> tuple[bool, bool]:
    """(bold, a symbol/dingbat font) from a font name."""
    return bool(_BOLD_RE.search(font.split("+")[-1])), bool(_DINGBAT_FONT_RE.search(font))


def drop_superscripts(words: list[Word]) -> list[Word]:
    """Remove footnote calls (a small raised number glued to the word before it: ``candidat¹``).

    A raised small non-number (``1er``) is glued to its word instead of being dropped.
    """
    if not words:
        return words
    by_right = sorted(words, key=_X1)
    rights = [w.x1 for w in by_right]
    # the words ending 1.5 pt before to 0.8 pt after each word's start: most words have none
    lefts = np.array([w.x0 for w in words])
    ends = np.array(rights)
    first = np.searchsorted(ends, lefts - 1.5, side="left").tolist()
    last = np.searchsorted(ends, lefts + 0.8, side="right").tolist()
    keep: list[Word] = []
    glue: list[tuple[Word, Word]] = []
    for w, i, end in zip(words, first, last, strict=True):
        if i == end:
            keep.append(w)
            continue
        base = None
        while i < len(by_right) and by_right[i].x1 <= w.x0 + 0.8:
            v = by_right[i]
            if (v is not w and v.size * 0.85 > w.size and v.top < w.bottom < v.bottom - 0.15 * v.size
                    and w.top >= v.top - 0.6 * v.size):
                base = v
                break
            i += 1
        if base is None:
            keep.append(w)
        elif w.text.strip("()").isdigit() or w.text in "*†‡":
            continue
        else:
            glue.append((base, w))
    for base, w in glue:
        base.text += w.text
        base.x1 = max(base.x1, w.x1)
    return keep


# ---------------------------------------------------------------------------------------------- lines

_X0 = attrgetter("x0")
_X1 = attrgetter("x1")
_TOP_X0 = attrgetter("top", "x0")
_BASELINE_X0 = attrgetter("baseline", "x0")
_COUNT = itemgetter(1)


@dataclass(slots=True)
class Line:
    words: list[Word]
    x0: float = 0.0
    top: float = 0.0
    x1: float = 0.0
    bottom: float = 0.0
    baseline: float = 0.0
    size: float = 0.0
    bold: bool = False
    text: str = ""

    def finish(self) -> Line:
        ws = sorted(self.words, key=_X0)
        self.words = ws
        first = ws[0]
        x1, top, bottom = first.x1, first.top, first.bottom
        # per baseline and per size, how many chars: the line's baseline and size are the most common
        # (the first seen on a tie, as ``Counter.most_common``)
        weights: dict[float, int] = {}
        sizes: dict[float, int] = {}
        bold = 0
        total = 0
        for w in ws:
            if w.x1 > x1:
                x1 = w.x1
            if w.top < top:
                top = w.top
            if w.bottom > bottom:
                bottom = w.bottom
            if w.glyph is None:
                n = len(w.text)
                key = round(w.bottom, 1)
                weights[key] = weights.get(key, 0) + n
                key = round(w.size, 1)
                sizes[key] = sizes.get(key, 0) + n
                if w.bold:
                    bold += n
                total += n
        self.x0, self.x1, self.top, self.bottom = first.x0, x1, top, bottom
        if total:
            self.baseline = max(weights.items(), key=_COUNT)[0]
            self.size = max(sizes.items(), key=_COUNT)[0]
            self.bold = bold * 2 > total
        else:
            self.baseline = self.bottom
            self.size = max(w.size for w in ws)
        self.text = join_words(ws)
        return self

    @property
    def bbox(self) -> BBox:
        return BBox(self.x0, self.top, self.x1, self.bottom)

    @property
    def first(self) -> Word:
        return self.words[0]


def join_words(words: Sequence[Word]) -> str:
    """Words of one line, a space between words unless they touch (a font change inside a word)."""
    out: list[str] = []
    prev: Word | None = None
    for w in words:
        if prev is not None:
            smaller = prev.size if prev.size < w.size else w.size  # min(w.size, prev.size)
            if w.x0 - prev.x1 > 0.12 * smaller:
                out.append(" ")
        out.append(w.text)
        prev = w
    return "".join(out)


def group_lines(words: Iterable[Word]) -> list[Line]:
    """Words into lines: a word joins the line whose vertical extent it mostly shares.

    (The conditional expressions are ``min``/``max`` of two floats, written out: this runs for every
    word of every cell.)"""
    lines: list[Line] = []
    current: list[Word] = []
    c_top = c_bottom = 0.0
    for w in sorted(words, key=_TOP_X0):
        top, bottom = w.top, w.bottom
        if current:
            overlap = (bottom if bottom < c_bottom else c_bottom) - (top if top > c_top else c_top)
            line_h, word_h = c_bottom - c_top, bottom - top
            if overlap >= 0.5 * (word_h if word_h < line_h else line_h):
                current.append(w)
                if w.glyph is None:  # a tall glyph must not stretch the line over the next one
                    c_top = top if top < c_top else c_top
                    c_bottom = bottom if bottom > c_bottom else c_bottom
                continue
            lines.append(Line(current).finish())
        current = [w]
        c_top, c_bottom = top, bottom
    if current:
        lines.append(Line(current).finish())
    lines.sort(key=_BASELINE_X0)
    return lines


def split_segments(line: Line, min_gap: float) -> list[Line]:
    """Pieces of a line separated by a wide horizontal gap (``code ......... Page 1 sur 4``)."""
    pieces: list[list[Word]] = [[line.words[0]]]
    for w in line.words[1:]:
        if w.x0 - pieces[-1][-1].x1 > min_gap:
            pieces.append([w])
        else:
            pieces[-1].append(w)
    if len(pieces) == 1:
        return [line]
    return [Line(p).finish() for p in pieces]


# ---------------------------------------------------------------------------------------------- leading


class Leading:
    """The usual baseline-to-baseline distance of wrapped lines, per font size, learnt from the document."""

    def __init__(self) -> None:
        self.samples: dict[float, Counter[float]] = {}
        self._cache: dict[float, float] = {}

    def learn(self, lines: Sequence[Line]) -> None:
        for a, b in zip(lines, lines[1:], strict=False):
            pitch = b.baseline - a.baseline
            size = a.size
            if abs(a.size - b.size) < 0.6 and 0.95 * size <= pitch <= 1.7 * size:
                self.samples.setdefault(round(size * 2) / 2, Counter())[round(pitch * 2) / 2] += 1
        self._cache.clear()

    def of(self, size: float) -> float:
        key = round(size * 2) / 2
        if key not in self._cache:
            counts = self.samples.get(key)
            value = 1.2 * size
            if counts:
                # wrapped lines are the tightest frequent pitch (paragraph and list spacing add to it)
                total = sum(counts.values())
                frequent = [p for p, n in counts.items() if n >= max(2, 0.1 * total)]
                value = min(frequent) if frequent else min(counts)
            self._cache[key] = value
        return self._cache[key]

    def is_break(self, prev: Line, line: Line) -> bool:
        """A vertical gap wider than a wrapped line's: a new paragraph."""
        pitch = line.baseline - prev.baseline
        size = max(prev.size, line.size)
        return pitch > self.of(prev.size) + max(1.0, 0.12 * size)


# ---------------------------------------------------------------------------------------------- paragraphs


@dataclass(slots=True)
class ParaLines:
    """Lines forming one paragraph, with the marker that introduced it."""

    lines: list[Line]
    marker: Marker | None = None
    marker_text: str | None = None  # as printed: "•", "–", "☐", "1)"
    text_x0: float = 0.0  # where the text after the marker starts (for hanging indents)
    gap_before: bool = True

    @property
    def bbox(self) -> BBox:
        first = self.lines[0]
        x0, top, x1, bottom = first.x0, first.top, first.x1, first.bottom
        for ln in self.lines:  # min and max of each side (the first one on a tie, as min/max)
            if ln.x0 < x0:
                x0 = ln.x0
            if ln.top < top:
                top = ln.top
            if ln.x1 > x1:
                x1 = ln.x1
            if ln.bottom > bottom:
                bottom = ln.bottom
        return BBox(x0, top, x1, bottom)

    @property
    def size(self) -> float:
        return self.lines[0].size

    @property
    def bold(self) -> bool:
        return self.lines[0].bold


def line_marker(line: Line) -> tuple[Marker | None, str | None, float]:
    """(marker, printed marker, x where the text starts) of a line starting with a glyph/dash."""
    first = line.words[0]
    rest_x = line.words[1].x0 if len(line.words) > 1 else first.x1
    if first.glyph is not None:
        return first.glyph, first.text, rest_x
    head = first.text[0]
    if head in CHECKBOX_GLYPHS:
        return Marker.CHECKBOX, head, first.x0
    if head in BULLET_GLYPHS and len(first.text) > 1 and head != "·":
        return Marker.BULLET, head, first.x0
    if first.text in DASH_GLYPHS and len(line.words) > 1:
        return Marker.BULLET, first.text, rest_x
    return None, None, first.x0


def enumerator(line: Line) -> str | None:
    """``1)`` / ``a)`` opening a line (it becomes the list item's marker)."""
    first = line.words[0].text
    return first if _ENUM_RE.match(first) and len(line.words) > 1 else None


def paragraphs(lines: Sequence[Line], leading: Leading, *, style_breaks: bool = True,
               enumerations: bool = False) -> list[ParaLines]:
    """Group consecutive lines of one column into paragraphs.

    A new paragraph starts at a checkbox/bullet/dash glyph, after a vertical gap wider than the
    leading, when the font size changes or the weight changes after a short line (``style_breaks``),
    when a line comes back left of a bullet's hanging indent, and (``enumerations``) at an ``1)``/``a)``
    enumerator.  A dash opening a wrapped line is not a list marker (see ``_dash_item``).
    """
    out: list[ParaLines] = []
    right = max((ln.x1 for ln in lines), default=0.0)
    for line in lines:
        marker, printed, text_x = line_marker(line)
        if printed in DASH_GLYPHS and out and not _dash_item(out[-1], line, leading):
            marker, printed, text_x = None, None, line.x0  # a dash at the start of a wrapped line
        enum = enumerator(line) if enumerations and marker is None and not line.bold else None
        cur = out[-1] if out else None
        new = cur is None or marker is not None or enum is not None
        gap = cur is None
        if cur is not None and not new:
            prev = cur.lines[-1]
            gap = leading.is_break(prev, line)
            new = gap
            if not new and style_breaks and (abs(prev.size - line.size) >= 0.6 or (
                    prev.bold != line.bold and prev.x1 < right - 2 * prev.size)):
                new = True  # a heading or a bold lead-in line, not emphasis wrapped onto a new line
            if not new and cur.marker is not None and line.x0 < cur.lines[0].x0 - 1.0:
                new = True  # back at the margin, left of the bullet/checkbox: the list item ended
        elif cur is not None:
            gap = leading.is_break(cur.lines[-1], line)
        if new or cur is None:
            out.append(ParaLines(lines=[line], marker=marker, marker_text=printed or enum,
                                 text_x0=text_x, gap_before=gap))
        else:
            cur.lines.append(line)
    return out


def _dash_item(cur: ParaLines, line: Line, leading: Leading) -> bool:
    """Does a line opening with a dash start a list item (rather than continue a wrapped sentence)?"""
    prev = cur.lines[-1]
    return (leading.is_break(prev, line) or cur.marker_text in DASH_GLYPHS
            or prev.text.rstrip().endswith((":", ";", ".")) or line.x0 > cur.lines[0].x0 + 2)


_TERMINAL = tuple(".:;!?")


def para_text(pl: ParaLines, *, strip_marker: bool = True) -> str:
    """The paragraph's clean text: lines joined (a line ending in a hyphen glued to the next)."""
    parts: list[str] = []
    for i, line in enumerate(pl.lines):
        words = line.words
        if i == 0 and strip_marker and pl.marker is not None:
            first = words[0]
            if first.glyph is not None or first.text in DASH_GLYPHS:
                words = words[1:]
            elif first.text and (first.text[0] in CHECKBOX_GLYPHS or first.text[0] in BULLET_GLYPHS):
                rest = first.text[1:].strip()
                words = ([Word(rest, first.x0, first.top, first.x1, first.bottom, first.size, first.bold)]
                         if rest else []) + list(words[1:])
        # a finished line's text is its words joined already
        text = (line.text if words is line.words and line.text else join_words(words)).strip()
        if not text:
            continue
        if parts and parts[-1].endswith("-") and len(parts[-1]) > 1 and parts[-1][-2].isalpha() \
                and text[:1].islower():
            parts[-1] = parts[-1] + text
        else:
            parts.append(text)
    return normalise_space(" ".join(parts))


def normalise_space(text: str) -> str:
    return " ".join(text.replace("\u00a0", " ").split())


def ends_sentence(text: str) -> bool:
    return text.rstrip().endswith(_TERMINAL)


def rounded(b: BBox) -> BBox:
    return BBox(round(b.x0, 2), round(b.top, 2), round(b.x1, 2), round(b.bottom, 2))
