"""What a PDF backend hands the shared front end: one page's words and graphics, in pdfplumber's terms.

Two backends read PDFs (``pipeline.extract.pdf``): pypdfium2 (the default, ``pdf.pdfium``) and pdfplumber (the
reference).  Each turns an open page into a ``PageObjects``: the page size, the words (``Word``, see
``pdf.lines``) and the page's straight lines, rectangles and curves as pdfplumber object dicts
(``x0``/``top``/``x1``/``bottom`` in points from the top-left corner, ``object_type``, ``fill``).  From
there on everything is shared: the table finder (``pdf.tables``, pdfplumber's ``TableFinder`` run over
``PageGraphics``), rules, image cover, furniture and layout.

Word geometry is one model for both backends: a word's box is its font size tall and sits on its
baseline with ``DESCENT`` of the size below it.  The font's own declared descent is not used: pdfminer
reads it from the font descriptor (0 when a font declares ``/Descent 0``, as the LibreOffice exports'
DejaVu fonts do, which puts the box on the baseline), pdfium from the font program, so the same word
would sit up to 2 pt apart in the two backends.  The baseline is what both agree on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pdfplumber.container import Container
from pdfplumber.table import Table, TableFinder, TableSettings, cells_to_tables, edges_to_intersections
from pdfplumber.utils.geometry import crop_to_bbox

from pipeline.extract.pdf.lines import Word

DESCENT = 0.2  # a word's box reaches 20 % of its font size below the baseline (a usual Latin descender)

T_obj = dict[str, Any]


class PageGraphics(Container):
    """A page's lines, rects and curves, enough for pdfplumber's ``TableFinder`` and ``edges``."""

    def __init__(self, bbox: tuple[float, float, float, float], lines: list[T_obj], rects: list[T_obj],
                 curves: list[T_obj]) -> None:
        self.bbox = bbox
        self._objs: dict[str, list[T_obj]] = {"line": lines, "rect": rects, "curve": curves}

    @property
    def objects(self) -> dict[str, list[T_obj]]:
        return self._objs

    @property
    def width(self) -> float:
        return float(self.bbox[2] - self.bbox[0])

    @property
    def height(self) -> float:
        return float(self.bbox[3] - self.bbox[1])

    def crop(self, bbox: tuple[float, float, float, float]) -> PageGraphics:
        """Objects clipped to ``bbox`` (pdfplumber's ``Page.crop(bbox, strict=False)``)."""
        return PageGraphics(bbox, *(crop_to_bbox(self._objs[k], bbox) for k in ("line", "rect", "curve")))

    def find_tables(self, settings: dict[str, object]) -> list[Table]:
        return _TableFinder(self, TableSettings.resolve(settings)).tables


class _TableFinder(TableFinder):
    """pdfplumber's ``TableFinder`` (0.11.10) with its cell search done once per intersection.

    The steps are pdfplumber's own (edges, intersections, cells, tables); only
    ``intersections_to_cells`` is replaced by ``_cells``, the same search with each intersection's
    edge sets built once instead of at every comparison (it was half of the finder's time)."""

    def __init__(self, page: PageGraphics, settings: TableSettings) -> None:
        self.page = page  # type: ignore[assignment]  # a Container with pdfplumber's Page interface
        self.settings = settings
        self.edges = self.get_edges()
        self.intersections = edges_to_intersections(self.edges, settings.intersection_x_tolerance,
                                                    settings.intersection_y_tolerance)
        self.cells = _cells(self.intersections)
        self.tables = [Table(self.page, group) for group in cells_to_tables(self.cells)]


Point = tuple[float, float]


def _cells(intersections: dict[Point, dict[str, list[T_obj]]]) -> list[tuple[float, float, float, float]]:
    """pdfplumber's ``intersections_to_cells``: for each intersection (x, top) in sorted order, the
    smallest cell whose corners are intersections joined by shared edges: the first point below it
    (same x, by top) joined by a vertical edge, the first point right of it (same top, by x) joined by a
    horizontal edge, whose bottom-right corner joins both."""
    def bboxes(edges: list[T_obj]) -> frozenset[tuple[float, float, float, float]]:
        return frozenset((e["x0"], e["top"], e["x1"], e["bottom"]) for e in edges)

    vertical = {p: bboxes(v["v"]) for p, v in intersections.items()}
    horizontal = {p: bboxes(v["h"]) for p, v in intersections.items()}
    points = sorted(intersections)
    by_x: dict[float, list[Point]] = {}
    by_top: dict[float, list[Point]] = {}
    for p in points:
        by_x.setdefault(p[0], []).append(p)
        by_top.setdefault(p[1], []).append(p)
    cells: list[tuple[float, float, float, float]] = []
    for pt in points:
        column, row = by_x[pt[0]], by_top[pt[1]]
        below = column[column.index(pt) + 1:]
        right = row[row.index(pt) + 1:]
        cell = _smallest_cell(pt, below, right, vertical, horizontal)
        if cell is not None:
            cells.append(cell)
    return cells


def _smallest_cell(pt: Point, below: list[Point], right: list[Point],
                   vertical: dict[Point, frozenset[tuple[float, float, float, float]]],
                   horizontal: dict[Point, frozenset[tuple[float, float, float, float]]],
                   ) -> tuple[float, float, float, float] | None:
    for below_pt in below:
        if vertical[pt].isdisjoint(vertical[below_pt]):
            continue
        for right_pt in right:
            if horizontal[pt].isdisjoint(horizontal[right_pt]):
                continue
            corner = (right_pt[0], below_pt[1])
            if (corner in vertical and not vertical[corner].isdisjoint(vertical[right_pt])
                    and not horizontal[corner].isdisjoint(horizontal[below_pt])):
                return (pt[0], pt[1], corner[0], corner[1])
    return None


@dataclass
class PageObjects:
    """One page as a backend read it, before any layout decision."""

    width: float
    height: float
    words: list[Word]  # readable words, in the backend's reading order
    graphics: PageGraphics
    images: list[tuple[float, float, float, float]] = field(default_factory=list)  # (x0, top, x1, bottom)
    raw_words: int = 0  # words before dropping unreadable ones
    bad_words: int = 0  # words with glyphs that have no Unicode mapping


def path_object(kind: str, pts: list[tuple[float, float]], height: float, fill: bool, stroke: bool,
                linewidth: float) -> T_obj:
    """A pdfplumber-style ``line``/``rect``/``curve`` dict from page-space points (PDF y upwards)."""
    xs = [p[0] for p in pts]
    ys = [p[1] for p in pts]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    return {"object_type": kind, "x0": x0, "y0": y0, "x1": x1, "y1": y1, "width": x1 - x0, "height": y1 - y0,
            "top": height - y1, "bottom": height - y0, "doctop": height - y1,
            "pts": [(x, height - y) for x, y in pts], "fill": fill, "stroke": stroke, "linewidth": linewidth}
