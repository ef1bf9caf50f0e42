"""Tables of a PDF page: ruled grids and tables drawn with horizontal rules only.

Finding (``find_page_tables``, over the page's lines and rects as either backend read them,
``page.PageGraphics``; the grid algorithm is pdfplumber's ``TableFinder``):

* ruled grids: ``Page.find_tables`` with the ``lines`` strategies.  A grid cut by a page break has
  no rule under its last row, so pdfplumber would drop that row: the frame is closed with an explicit
  horizontal line, and the columns left open are remembered (their cells continue on the next page);
* horizontal-rules-only tables: runs of full-width rules whose bands hold text in several columns.
  Column boundaries come from the vertical gutters of the words between the rules (snapped to the
  ends of partial rules, which separate sub-rows inside one column); the region is cropped and
  ``find_tables`` runs with those ``explicit_vertical_lines`` and the ``lines`` horizontal strategy.

pdfplumber's rows give each cell where it starts: a cell spanning several rows (a capacity spanning
its criteria) sits in its first row and leaves ``None`` below, which becomes the empty first cells of
the text front end's continuation rows.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pipeline.extract.pdf.lines import Word
from pipeline.extract.pdf.page import PageGraphics

T_box = tuple[float, float, float, float]

GRID_SETTINGS: dict[str, object] = {"vertical_strategy": "lines", "horizontal_strategy": "lines"}
_MIN_GUTTER = 4.5


@dataclass
class RawTable:
    """One table on one page: column boundaries and, per row, the cells starting in that row."""

    bbox: T_box
    xs: list[float]  # column boundaries, len = columns + 1
    rows: list[list[T_box | None]]
    ruled: bool  # vertical rules (a grid); False: horizontal rules only
    open_bottom: list[bool] | None = None  # grid: per column, cut by the bottom of the page
    fills: list[T_box] = field(default_factory=list)  # filled backgrounds inside (header shading)

    @property
    def columns(self) -> int:
        return len(self.xs) - 1


def _edge(x0: float, x1: float, y: float) -> dict[str, Any]:
    return {"object_type": "line", "orientation": "h", "x0": x0, "x1": x1, "top": y, "bottom": y,
            "width": x1 - x0, "height": 0.0, "doctop": y, "y0": y, "y1": y}


def _cluster(values: Sequence[float], tol: float) -> list[float]:
    out: list[list[float]] = []
    for v in sorted(values):
        if out and v - out[-1][-1] <= tol:
            out[-1].append(v)
        else:
            out.append([v])
    return [sum(c) / len(c) for c in out]


def _coverage(segments: list[tuple[float, float]], a: float, b: float) -> float:
    """Fraction of [a, b] covered by the segments."""
    if b <= a:
        return 1.0
    covered = 0.0
    pos = a
    for s0, s1 in sorted(segments):
        s0, s1 = max(s0, pos), min(s1, b)
        if s1 > s0:
            covered += s1 - s0
            pos = s1
    return covered / (b - a)


Edge = dict[str, Any]  # a pdfplumber edge


def _grid_closers(h: list[Edge], v: list[Edge]) -> tuple[list[Edge], list[tuple[float, list[tuple[float, float]]]]]:
    """Explicit lines closing grids that a page break left open, and their open column spans."""
    closers: list[dict[str, Any]] = []
    open_spans: list[tuple[float, list[tuple[float, float]]]] = []
    groups: list[list[dict[str, Any]]] = []
    for e in sorted(v, key=lambda e: e["top"]):
        for g in groups:
            if e["top"] <= max(x["bottom"] for x in g) + 3 and e["bottom"] >= min(x["top"] for x in g) - 3:
                g.append(e)
                break
        else:
            groups.append([e])
    for g in groups:
        for side in ("bottom", "top"):
            y = max(e["bottom"] for e in g) if side == "bottom" else min(e["top"] for e in g)
            reach = [e for e in g if abs(e[side] - y) <= 3]
            xs = _cluster([e["x0"] for e in reach], 3)
            if len(xs) < 2:
                continue
            segs = [(e["x0"], e["x1"]) for e in h if abs(e["top"] - y) <= 3]
            spans = [(a, b) for a, b in zip(xs, xs[1:], strict=False) if _coverage(segs, a, b) < 0.9]
            if spans:
                closers.append(_edge(xs[0], xs[-1], y))
                if side == "bottom":
                    open_spans.append((y, spans))
    return closers, open_spans


def _table_from_pdfplumber(table: Any, ruled: bool) -> RawTable | None:  # a pdfplumber Table
    rows = table.rows
    if not rows:
        return None
    xs = sorted({c[0] for r in rows for c in r.cells if c})
    if len(xs) < 2:
        return None
    x1 = table.bbox[2]
    out_rows: list[list[T_box | None]] = [[tuple(c) if c else None for c in r.cells] for r in rows]
    return RawTable(bbox=tuple(table.bbox), xs=[*xs, x1], rows=out_rows, ruled=ruled)


def _gutters(words: Sequence[Word], x0: float, x1: float) -> list[tuple[float, float]]:
    """Vertical white gaps between the words of a region (column separators)."""
    spans = sorted((w.x0, w.x1) for w in words)
    gaps: list[tuple[float, float]] = []
    if not spans:
        return gaps
    cur1 = spans[0][1]
    for s0, s1 in spans[1:]:
        if s0 - cur1 >= _MIN_GUTTER:
            gaps.append((cur1, s0))
            cur1 = s1
        else:
            cur1 = max(cur1, s1)
    return [(a, b) for a, b in gaps if a > x0 and b < x1]


def _columns_in(words: Sequence[Word], x0: float, x1: float) -> int:
    return len(_gutters(words, x0, x1)) + 1 if words else 0


@dataclass
class _Frame:
    y: float
    x0: float
    x1: float


def _merge_rules(h: list[dict[str, Any]]) -> list[tuple[float, float, float]]:
    """(y, x0, x1) horizontal rules with collinear touching pieces joined."""
    rules: list[list[float]] = []
    for e in sorted(h, key=lambda e: (round(e["top"], 1), e["x0"])):
        y = (e["top"] + e["bottom"]) / 2
        if rules and abs(rules[-1][0] - y) <= 1.5 and e["x0"] <= rules[-1][2] + 2:
            rules[-1][2] = max(rules[-1][2], e["x1"])
        else:
            rules.append([y, e["x0"], e["x1"]])
    return [(r[0], r[1], r[2]) for r in rules]


def _hrule_regions(rules: list[tuple[float, float, float]], words: Sequence[Word], width: float,
                   prev: RawTable | None, head: float) -> list[tuple[T_box, list[float]]]:
    """Tables drawn with horizontal rules only: (bbox, column boundaries) per region.

    ``prev`` is the last table of the previous page: a region opening the page (no text above it but
    the page header zone, ``head``) with the same frame continues it and may reuse its columns.
    """
    frames = [_Frame(y, x0, x1) for y, x0, x1 in rules if x1 - x0 >= 0.4 * width]
    regions: list[tuple[T_box, list[float]]] = []
    centres = _Centres(words) if len(frames) > 1 else None
    used: set[int] = set()
    for i, f in enumerate(frames):
        if i in used:
            continue
        run = [f]
        multi = False
        for j in range(i + 1, len(frames)):
            g = frames[j]
            if abs(g.x0 - f.x0) > 5 or abs(g.x1 - f.x1) > 5:
                continue
            top = run[-1].y
            assert centres is not None
            band = centres.within(top, g.y, f.x0 - 2, f.x1 + 2)
            if not band:
                if g.y - top < 10:
                    break  # a thin empty band: the gap between two tables
            else:
                cols = _columns_in(band, f.x0, f.x1)
                inset = min(w.x0 for w in band) >= f.x0 + 1.5
                if cols >= 2:
                    multi = True
                elif not inset:
                    break  # text from the margin: the table ended
            run.append(g)
            used.add(j)
        if len(run) < 2:
            continue
        x0, x1 = min(r.x0 for r in run), max(r.x1 for r in run)
        top, bottom = run[0].y, run[-1].y
        assert centres is not None
        inside = centres.within(top, bottom, x0 - 2, x1 + 2)
        continues = (prev is not None and not prev.ruled and not regions and abs(prev.bbox[0] - x0) <= 5
                     and abs(prev.bbox[2] - x1) <= 5 and not any(head < w.bottom <= top for w in words))
        if not multi and not continues:
            continue
        partial = [(rx0, rx1) for y, rx0, rx1 in rules if top < y < bottom and rx1 - rx0 < 0.97 * (x1 - x0)]
        bounds = _boundaries(inside, x0, x1, partial)
        if continues and prev is not None and len(bounds) < len(prev.xs) - 2:
            bounds = prev.xs[1:-1]
        if not bounds:
            continue
        regions.append(((x0, top, x1, bottom), bounds))
    # partial rules inside a table (sub-rows of one column) can look like a table of their own
    return [r for r in regions if not any(o is not r and _contains(o[0], r[0]) for o in regions)]


class _Centres:
    """Words by their vertical centre, to pick those whose centre lies in a box without scanning them all."""

    def __init__(self, words: Sequence[Word]) -> None:
        placed = sorted(((w.top + w.bottom) / 2, i) for i, w in enumerate(words))
        self.ys = [y for y, _ in placed]
        self.order = [i for _, i in placed]
        self.words = words
        self.xs = [(w.x0 + w.x1) / 2 for w in words]

    def within(self, top: float, bottom: float, x0: float, x1: float) -> list[Word]:
        """The words with ``top < yc < bottom`` and ``x0 <= xc <= x1``, in their order."""
        lo, hi = bisect.bisect_right(self.ys, top), bisect.bisect_left(self.ys, bottom)
        xs = self.xs
        return [self.words[i] for i in sorted(self.order[lo:hi]) if x0 <= xs[i] <= x1]


def _contains(outer: T_box, inner: T_box, tol: float = 2.0) -> bool:
    return (outer[0] - tol <= inner[0] and outer[1] - tol <= inner[1] and inner[2] <= outer[2] + tol
            and inner[3] <= outer[3] + tol and (outer[2] - outer[0]) > (inner[2] - inner[0]) + tol)


def _boundaries(words: Sequence[Word], x0: float, x1: float, partial: list[tuple[float, float]]) -> list[float]:
    ends = sorted({round(v, 2) for seg in partial for v in seg if x0 + 5 < v < x1 - 5})
    out: list[float] = []
    for a, b in _gutters(words, x0, x1):
        snapped = [e for e in ends if a - 4 <= e <= b + 4]
        # cells are left-aligned: the next column's text start is the stable edge of a gutter
        out.append(snapped[0] if snapped else b - min(3.0, (b - a) / 2))
    for e in ends:  # a partial rule also marks a column edge where no gutter showed it
        if all(abs(e - o) > 6 for o in out):
            out.append(e)
    return sorted(out)


def _in_any(boxes: list[T_box], x: float, y: float) -> bool:
    for b in boxes:  # noqa: SIM110 - a loop: no generator per word
        if b[0] <= x <= b[2] and b[1] <= y <= b[3]:
            return True
    return False


def find_page_tables(page: PageGraphics, words: Sequence[Word], prev: RawTable | None) -> list[RawTable]:
    """Grids and horizontal-rules tables of a page (its graphics as either backend read them), top to bottom."""
    edges = page.edges
    h = [e for e in edges if e["orientation"] == "h" and e["x1"] - e["x0"] >= 3]
    v = [e for e in edges if e["orientation"] == "v" and e["bottom"] - e["top"] >= 3]
    fills = [(r["x0"], r["top"], r["x1"], r["bottom"]) for r in page.rects
             if r.get("fill") and r["bottom"] - r["top"] > 3 and r["x1"] - r["x0"] > 3]
    tables: list[RawTable] = []
    if v:
        closers, open_spans = _grid_closers(h, v)
        settings: dict[str, object] = dict(GRID_SETTINGS)
        if closers:
            settings["explicit_horizontal_lines"] = closers
        for found in page.find_tables(settings):
            raw = _table_from_pdfplumber(found, ruled=True)
            if raw is None:
                continue
            raw.open_bottom = [False] * raw.columns
            for y, spans in open_spans:
                if abs(y - raw.bbox[3]) <= 3:
                    for c in range(raw.columns):
                        a, b = raw.xs[c], raw.xs[c + 1]
                        raw.open_bottom[c] = any(min(b, s1) - max(a, s0) > 0.5 * (b - a) for s0, s1 in spans)
            tables.append(raw)
    inside_grid = [t.bbox for t in tables]

    def in_grid(y: float, x0: float, x1: float) -> bool:
        return any(b[1] - 2 <= y <= b[3] + 2 and x0 >= b[0] - 2 and x1 <= b[2] + 2 for b in inside_grid)

    thin = [ln for ln in page.lines if abs(ln["bottom"] - ln["top"]) <= 1 and ln["x1"] - ln["x0"] >= 3]
    thin += [r for r in page.rects if r["bottom"] - r["top"] <= 2.5 and r["x1"] - r["x0"] >= 3]
    rules = [r for r in _merge_rules(thin) if not in_grid(*r)]
    free_words = list(words) if not inside_grid else [
        w for w in words if not _in_any(inside_grid, (w.x0 + w.x1) / 2, (w.top + w.bottom) / 2)]
    last_prev = prev
    for bbox, bounds in _hrule_regions(rules, free_words, float(page.width), last_prev, 0.17 * float(page.height)):
        x0, top, x1, bottom = bbox
        crop = page.crop((x0 - 1, top - 1.5, x1 + 1, bottom + 1.5))
        explicit: dict[str, object] = {"vertical_strategy": "explicit", "horizontal_strategy": "lines",
                                       "explicit_vertical_lines": [x0, *bounds, x1]}
        for found in crop.find_tables(explicit):
            raw = _table_from_pdfplumber(found, ruled=False)
            if raw is not None and raw.columns >= 2:
                tables.append(raw)
    for t in tables:
        t.fills = [f for f in fills if f[0] >= t.bbox[0] - 2 and f[2] <= t.bbox[2] + 2
                   and f[1] >= t.bbox[1] - 2 and f[3] <= t.bbox[3] + 2]
    tables.sort(key=lambda t: (t.bbox[1], t.bbox[0]))
    return tables
