"""Per-page PDF records -> ``Layout``: furniture removed, paragraphs, list items, table rows stitched.

The output mirrors the text front end (``pipeline.extract.text``) so that the structural parsers
work unchanged on PDFs:

* body text: one block per paragraph (wrapped lines joined); headings are ``PARAGRAPH`` blocks as in
  the text conversions; ``•``/``–``/``-`` items are ``LIST_ITEM`` (marker = the glyph, text without
  it); ``1)`` enumerations are ``LIST_ITEM`` with marker ``"1)"`` and the number kept in the text (the
  text front end keeps it too); a checkbox outside a table is dropped from the text; footnotes
  (below the footnote rule) are ``FOOTNOTE`` blocks whose marker is the superscript number;
* tables: one ``TABLE_ROW`` per row, ``text`` = cell texts joined by `` | ``; each cell holds one
  ``Para`` per paragraph, ``CHECKBOX`` for a ☐ item, ``BULLET`` for a •/–/- item (its wrapped lines
  stay in it).  A cell spanning several rows (a capacity over its criteria) is in its first row and
  the rows below have empty cells there, like the text front end's continuation rows.  A table that
  runs over pages keeps its number, repeated header rows are kept with ``header=True``, and the row
  a page break cut in two is stitched back into one row;
* provenance: every block and para carries its page (1-based) and bbox (x0, top, x1, bottom, points).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from pipeline.errors import RejectedInput
from pipeline.extract.furniture import FurnitureCandidate, furniture_signal, read_furniture, repeated_lines
from pipeline.extract.pdf.lines import (
    SUPERSCRIPT_DIGITS,
    Leading,
    Line,
    ParaLines,
    Word,
    drop_superscripts,
    ends_sentence,
    group_lines,
    normalise_space,
    para_text,
    paragraphs,
    rounded,
    split_segments,
)
from pipeline.extract.pdf.tables import RawTable, T_box
from pipeline.records import BBox, Block, BlockKind, Cell, Layout, Marker, PageFurniture, Para, Source

HEAD_BAND = 0.17  # page furniture lives in the top 17% ...
FOOT_BAND = 0.12  # ... and the bottom 12% of the page
_NUMBERED_RE = re.compile(r"^\d+[.)]\s")
_ENUM_START_RE = re.compile(r"^(?:\d{1,2}|[a-zA-Z]|[ivxIVX]{1,4})[.)]\s")
_FOOTNOTE_NUM_RE = re.compile(r"^([0-9]{1,2}|[¹²³⁴⁵⁶⁷⁸⁹⁰]+)\s*(?=\S)")


CellLines = list[list[list[list[Line]]]]  # table -> row -> column -> lines


@dataclass
class PageData:
    """What ``read_page`` keeps of one page once pdfplumber has closed it."""

    number: int
    width: float
    height: float
    words: list[Word]
    tables: list[RawTable]
    rules: list[tuple[float, float, float]]  # horizontal rules (y, x0, x1)
    raw_words: int = 0
    bad_words: int = 0
    image_cover: float = 0.0


# ---------------------------------------------------------------------------------------------- items


@dataclass
class _Wrap:
    """Line-end geometry, to tell a paragraph a page break cut from one that ended there."""

    last_x1: float = 0.0  # right end of the last line
    room: float = 0.0  # right end of the text column
    first_w: float = 0.0  # width of the first word (after the marker)
    size: float = 0.0

    def taken_by(self, nxt: _Wrap) -> bool:
        """Would ``nxt``'s first word have fitted on our last line? If not, the line wrapped there."""
        return self.last_x1 + 0.3 * self.size + nxt.first_w > self.room - 0.5


def _wrap(pl: ParaLines, room: float) -> _Wrap:
    first = pl.lines[0].words
    if pl.marker is not None and len(first) > 1 and (first[0].glyph is not None or first[0].text in "-–—"):
        first = first[1:]
    return _Wrap(last_x1=pl.lines[-1].x1, room=room, first_w=first[0].x1 - first[0].x0, size=pl.lines[-1].size)


@dataclass
class _Para:
    text: str
    marker: Marker | None
    page: int
    bbox: BBox
    wrap: _Wrap = field(default_factory=_Wrap)


@dataclass
class _Cell:
    paras: list[_Para]
    bbox: BBox | None

    @property
    def text(self) -> str:
        return " ".join(p.text for p in self.paras if p.text)


@dataclass
class _Row:
    cells: list[_Cell]
    page: int
    bbox: BBox
    table: int = 0
    header: bool = False
    gap: bool = False
    bold_cells: list[bool] = field(default_factory=list)  # per non-empty cell: all its lines bold


@dataclass
class _Text:
    kind: BlockKind
    text: str
    marker: str | None
    page: int
    bbox: BBox
    gap: bool
    list_class: str | None = None
    wrap: _Wrap = field(default_factory=_Wrap)


@dataclass
class _PageTable:
    raw: RawTable
    rows: list[_Row]
    header_rows: int = 0


@dataclass
class _OpenTable:
    """The table the previous page ended with, for continuation and stitching."""

    id: int
    xs: list[float]
    ruled: bool
    open_bottom: list[bool] | None
    header: tuple[str, ...] | None
    active: list[_Cell | None] = field(default_factory=list)  # last started cell of each column
    spanning: set[int] = field(default_factory=set)  # columns whose cells span rows (capacity, conditions)


# ---------------------------------------------------------------------------------------------- build


def build_layout(pages: Sequence[PageData], source: Source) -> Layout:
    """The document's layout from its pages (furniture removed; tables continued over pages)."""
    body_lines: list[list[Line]] = []
    cell_lines: list[CellLines] = []  # per page
    for p in pages:
        free, cells = _assign_words(p)
        body_lines.append(group_lines(free))
        cell_lines.append(cells)
    furniture = _remove_furniture(pages, body_lines, cell_lines)
    for p, lines in zip(pages, body_lines, strict=True):
        if p.image_cover > 0.5 and not lines and not p.tables:
            raise RejectedInput(source.path, f"page {p.number} has no text layer (needs OCR): a scanned page in "
                                             "a text PDF; loading the other pages would give a partial document",
                                page=p.number)
    leading = Leading()
    for lines in body_lines:
        leading.learn(lines)
    for tables in cell_lines:
        for table in tables:
            for row in table:
                for lines in row:
                    leading.learn(lines)

    items: list[_Text | _Row] = []
    open_table: _OpenTable | None = None
    next_table = 1
    for p, lines, tables in zip(pages, body_lines, cell_lines, strict=True):
        page_items = _page_items(p, lines, tables, leading)
        first_real = next((it for it in page_items if not (isinstance(it, _Text)
                                                           and it.kind is BlockKind.FOOTNOTE)), None)
        for it in page_items:
            if isinstance(it, _PageTable):
                continued = open_table is not None and it is first_real and _same_table(open_table, it.raw)
                if open_table is None or not continued:
                    open_table = _OpenTable(id=next_table, xs=it.raw.xs, ruled=it.raw.ruled,
                                            open_bottom=None, header=None, active=[None] * it.raw.columns)
                    next_table += 1
                _emit_table(it, open_table, continued, items)
                open_table.open_bottom = it.raw.open_bottom
                open_table.xs = it.raw.xs
            else:
                if it.kind is not BlockKind.FOOTNOTE:
                    if it is first_real and _continues_text(items, it):
                        continue
                    open_table = None
                items.append(it)
    return Layout(source=source, blocks=tuple(_blocks(items)), furniture=furniture)


def _assign_words(p: PageData) -> tuple[list[Word], CellLines]:
    """Split the page's words between table cells and the body; cells get their lines."""
    words = drop_superscripts(p.words)
    buckets: list[list[list[list[Word]]]] = [[[[] for _ in row] for row in t.rows] for t in p.tables]
    free: list[Word] = []
    # per table, its rows' cells with the vertical span they cover: a word is tested against the cells
    # of the rows its centre can fall in only (the first cell that holds it in row order wins)
    grids: list[tuple[T_box, list[tuple[int, float, float, list[tuple[int, T_box]]]]]] = []
    for t in p.tables:
        b = t.bbox
        rows = []
        for ri, row in enumerate(t.rows):
            spans = [(ci, c) for ci, c in enumerate(row) if c is not None]
            if spans:
                rows.append((ri, min(c[1] for _, c in spans) - 1, max(c[3] for _, c in spans) + 1, spans))
        grids.append(((b[0] - 1, b[1] - 1, b[2] + 1, b[3] + 1), rows))
    for w in words:
        x, y = (w.x0 + w.x1) / 2, (w.top + w.bottom) / 2
        placed = False
        for ti, ((bx0, btop, bx1, bbottom), rows) in enumerate(grids):
            if not (bx0 <= x <= bx1 and btop <= y <= bbottom):
                continue
            for ri, rtop, rbottom, spans in rows:
                if not rtop <= y <= rbottom:
                    continue
                for ci, c in spans:
                    if c[0] - 1 <= x <= c[2] + 1 and c[1] - 1 <= y <= c[3] + 1:
                        buckets[ti][ri][ci].append(w)
                        placed = True
                        break
                if placed:
                    break
            if placed:
                break
        if not placed:
            free.append(w)
    cells = [[[group_lines(ws) for ws in row] for row in table] for table in buckets]
    return free, cells


# ---------------------------------------------------------------------------------------------- furniture


def _in_band(p: PageData, top: float, bottom: float) -> bool:
    return bottom <= HEAD_BAND * p.height or top >= (1 - FOOT_BAND) * p.height


def _remove_furniture(pages: Sequence[PageData], body_lines: list[list[Line]],
                      cell_lines: list[CellLines]) -> PageFurniture:
    """Drop header/footer lines (and boxed headers drawn as tables) from the body; read their values.

    A line in the top/bottom band is furniture when its text recurs at the same height on most
    pages, or when it reads like furniture (``furniture_signal``) and only furniture separates it
    from the page edge.  A table lying wholly in a band is furniture when all its lines are.
    """
    cands: list[FurnitureCandidate] = []
    where: list[tuple[int, str, int]] = []  # (page index, "line" | "table", index) of each candidate
    for pi, (p, lines) in enumerate(zip(pages, body_lines, strict=True)):
        for li, line in enumerate(lines):
            if _in_band(p, line.top, line.bottom):
                for seg in split_segments(line, max(12.0, 2.5 * line.size)):
                    cands.append(FurnitureCandidate(p.number, seg.top, seg.bottom, seg.text))
                    where.append((pi, "line", li))
        for ti, t in enumerate(p.tables):
            if _in_band(p, t.bbox[1], t.bbox[3]):
                for row in cell_lines[pi][ti]:
                    for lines_ in row:
                        for line in lines_:
                            cands.append(FurnitureCandidate(p.number, line.top, line.bottom, line.text))
                            where.append((pi, "table", ti))
    repeated = repeated_lines(cands, len(pages))
    signal = {i for i, c in enumerate(cands) if furniture_signal(c.text)}
    units: dict[tuple[int, str, int], list[int]] = {}
    for i, key in enumerate(where):
        units.setdefault(key, []).append(i)
    texts: list[str] = []
    for pi, (p, lines) in enumerate(zip(pages, body_lines, strict=True)):
        drop_lines: set[int] = set()
        keys = [k for k in units if k[0] == pi and k[1] == "line"]
        head = sorted((k for k in keys if lines[k[2]].bottom <= HEAD_BAND * p.height), key=lambda k: k[2])
        foot = sorted((k for k in keys if k not in head), key=lambda k: -k[2])
        for band in (head, foot):
            edge = True  # still touching the page edge through furniture lines only
            for key in band:
                segs = units[key]
                if all(i in repeated for i in segs) or (edge and all(i in repeated or i in signal for i in segs)):
                    drop_lines.add(key[2])
                    texts.extend(cands[i].text for i in segs)
                else:
                    edge = False
        drop_tables: set[int] = set()
        for key, segs in units.items():
            if key[0] == pi and key[1] == "table" and all(i in repeated or i in signal for i in segs) \
                    and (any(i in repeated for i in segs) or len(pages) == 1):
                drop_tables.add(key[2])
                texts.extend(cands[i].text for i in segs)
        if drop_lines:
            body_lines[pi] = [ln for li, ln in enumerate(lines) if li not in drop_lines]
        if drop_tables:
            p.tables = [t for ti, t in enumerate(p.tables) if ti not in drop_tables]
            cell_lines[pi] = [c for ti, c in enumerate(cell_lines[pi]) if ti not in drop_tables]
    joined = [a + " " + b for a, b in zip(texts, texts[1:], strict=False)]
    return read_furniture(texts + joined)


# ---------------------------------------------------------------------------------------------- a page


def _page_items(p: PageData, lines: list[Line], tables: CellLines,
                leading: Leading) -> list[_Text | _PageTable]:
    """The page's body paragraphs and tables, top to bottom."""
    foot_y = _footnote_rule(p, lines)
    body = [ln for ln in lines if foot_y is None or ln.top < foot_y]
    notes = [ln for ln in lines if foot_y is not None and ln.top >= foot_y]
    page_tables = [_PageTable(raw=t, rows=_table_rows(p, t, cells, leading))
                   for t, cells in zip(p.tables, tables, strict=True)]
    items: list[_Text | _PageTable] = []
    margin_right = max((ln.x1 for ln in body), default=p.width)
    run: list[Line] = []

    def flush() -> None:
        if run:
            items.extend(_text_items(p, run, leading, margin_right))
            run.clear()

    ti = 0
    for ln in body:
        while ti < len(page_tables) and page_tables[ti].raw.bbox[1] <= ln.top:
            flush()
            items.append(page_tables[ti])
            ti += 1
        run.append(ln)
    flush()
    items.extend(page_tables[ti:])
    items.extend(_footnotes(p, notes))
    return items


def _footnote_rule(p: PageData, lines: list[Line]) -> float | None:
    """The top of the footnote zone: a short rule at the left, low on the page, with small text below."""
    if not lines:
        return None
    sizes = sorted(ln.size for ln in lines)
    body_size = sizes[len(sizes) // 2]
    best: float | None = None
    for y, x0, x1 in p.rules:
        if y < 0.55 * p.height or x1 - x0 > 0.45 * p.width or x1 - x0 < 20:
            continue
        if any(t.bbox[1] - 2 <= y <= t.bbox[3] + 2 for t in p.tables):
            continue
        below = [ln for ln in lines if ln.top >= y - 1]
        if below and all(ln.size < body_size - 0.4 or ln.size <= 8 for ln in below) \
                and _FOOTNOTE_NUM_RE.match(below[0].text) and abs(below[0].x0 - x0) < 30:
            best = y if best is None else min(best, y)
    return best


def _text_items(p: PageData, run: list[Line], leading: Leading, margin_right: float) -> list[_Text]:
    """Body lines between two tables -> paragraphs and list items."""
    out: list[_Text] = []
    for pl in paragraphs(run, leading, style_breaks=True, enumerations=True):
        out.append(_text_item(p, pl, margin_right))
    # consecutive items of one list: no gap between them, like the lines of a text conversion
    for a, b in zip(out, out[1:], strict=False):
        if b.kind is BlockKind.LIST_ITEM and a.kind is BlockKind.LIST_ITEM and a.list_class == b.list_class:
            b.gap = False
    return out


def _text_item(p: PageData, pl: ParaLines, margin_right: float) -> _Text:
    bbox = rounded(pl.bbox)
    wrap = _wrap(pl, margin_right)
    if pl.marker is Marker.BULLET:
        return _Text(BlockKind.LIST_ITEM, para_text(pl), pl.marker_text, p.number, bbox, pl.gap_before,
                     list_class="bullet", wrap=wrap)
    if pl.marker is None and pl.marker_text:  # an enumerator: marker "1)", text "Préparer …" (layout model)
        text = para_text(pl, strip_marker=False).removeprefix(pl.marker_text).lstrip()
        return _Text(BlockKind.LIST_ITEM, text, pl.marker_text, p.number, bbox,
                     pl.gap_before, list_class="enum", wrap=wrap)
    return _Text(BlockKind.PARAGRAPH, para_text(pl), None, p.number, bbox, pl.gap_before, wrap=wrap)


def _footnotes(p: PageData, notes: list[Line]) -> list[_Text]:
    """Footnotes below the footnote rule: one block per number, its marker the superscript number."""
    out: list[_Text] = []
    groups: list[list[Line]] = []
    for ln in notes:
        if not groups or _FOOTNOTE_NUM_RE.match(ln.text) and ln.x0 <= groups[-1][0].x0 + 2:
            groups.append([ln])
        else:
            groups[-1].append(ln)
    for g in groups:
        text = normalise_space(" ".join(ln.text for ln in g))
        m = _FOOTNOTE_NUM_RE.match(text)
        marker = m.group(1).translate(SUPERSCRIPT_DIGITS) if m else None
        if m:
            text = text[m.end():]
        bbox = BBox.around(ln.bbox for ln in g) or g[0].bbox
        out.append(_Text(BlockKind.FOOTNOTE, text, marker, p.number, rounded(bbox), True))
    return out


# ---------------------------------------------------------------------------------------------- tables


def _table_rows(p: PageData, t: RawTable, cells: list[list[list[Line]]], leading: Leading) -> list[_Row]:
    """pdfplumber's rows -> rows of cells of paragraphs (a spanned position is an empty cell)."""
    rows: list[_Row] = []
    for boxes, row_lines in zip(t.rows, cells, strict=True):
        out_cells: list[_Cell] = []
        bold: list[bool] = []
        for box, lines in zip(boxes, row_lines, strict=True):
            if box is None:
                out_cells.append(_Cell([], None))
                continue
            room = box[2]
            if lines:
                bold.append(all(ln.bold for ln in lines))
                room = box[2] - max(0.0, min(ln.x0 for ln in lines) - box[0])  # same padding both sides
            paras = [_Para(para_text(pl), pl.marker, p.number, rounded(pl.bbox), _wrap(pl, room))
                     for pl in paragraphs(lines, leading, style_breaks=True)]
            out_cells.append(_Cell([q for q in paras if q.text],
                                   BBox(round(box[0], 2), round(box[1], 2), round(box[2], 2), round(box[3], 2))))
        present = [c.bbox for c in out_cells if c.bbox is not None]
        bbox = BBox.around(present) or BBox(*(round(v, 2) for v in t.bbox))
        rows.append(_Row(cells=out_cells, page=p.number, bbox=bbox, bold_cells=bold))
    return rows


def _looks_like_header(table: _PageTable, index: int) -> bool:
    """A table's first row is a header when it holds only short labels, bold or shaded."""
    row = table.rows[index]
    texts = [c.text for c in row.cells if c.text.strip()]
    if not texts:
        return False
    if any(p.marker is not None for c in row.cells for p in c.paras):
        return False
    if any(len(t) > 90 or _NUMBERED_RE.match(t) for t in texts):
        return False
    shaded = any(f[1] <= row.bbox.top + 2 and f[3] >= row.bbox.bottom - 2 for f in table.raw.fills)
    return shaded or (bool(row.bold_cells) and all(row.bold_cells))


def _same_table(open_table: _OpenTable | None, raw: RawTable) -> bool:
    if open_table is None or len(open_table.xs) != len(raw.xs) or open_table.ruled != raw.ruled:
        return False
    return all(abs(a - b) <= 6 for a, b in zip(open_table.xs, raw.xs, strict=True))


def _emit_table(pt: _PageTable, state: _OpenTable, continued: bool, items: list[_Text | _Row]) -> None:
    rows = pt.rows
    start = 0
    # header rows: the table's first row when it looks like one; a repeat of it on later pages
    if rows:
        texts = tuple(normalise_space(c.text) for c in rows[0].cells)
        if continued and state.header is not None and texts == state.header:
            rows[0].header = True
            start = 1
        elif not continued and _looks_like_header(pt, 0):
            rows[0].header = True
            state.header = texts
            start = 1
    first_body = True
    for i, row in enumerate(rows):
        row.table = state.id
        row.gap = i == 0
        if i >= start and first_body and continued:
            first_body = False
            if _stitch(state, row) and all(not c.paras for c in row.cells):
                continue  # wholly merged into the row the page break cut
        elif i >= start:
            first_body = False
        if not row.header and all(not c.text.strip() for c in row.cells):
            continue  # an empty row (a blank line of the grid)
        items.append(row)
        if row.header:
            continue
        for ci, c in enumerate(row.cells):
            if c.bbox is not None and ci < len(state.active):
                state.active[ci] = c
            elif c.bbox is None:
                state.spanning.add(ci)


def _stitch(state: _OpenTable, row: _Row) -> bool:
    """Merge the first row of a continued table into the cells the page break cut; True if merged."""
    merged = False
    for ci, cell in enumerate(row.cells):
        if not cell.paras or ci >= len(state.active) or state.active[ci] is None:
            continue
        target = state.active[ci]
        assert target is not None
        if state.ruled and state.open_bottom is not None:
            is_open = ci < len(state.open_bottom) and state.open_bottom[ci]
        else:  # horizontal rules only: nothing tells a cut cell from a new one, the text has to
            first = cell.paras[0]
            is_open = first.marker is None and bool(first.text) and (
                first.text[0].islower() or first.text[0] in ",;)]"
                # a spanning cell (conditions…) beside an empty first cell: a continuation row
                # carries only its sub-row cells, so this text belongs to the cell above
                or (ci > 0 and ci in state.spanning and not row.cells[0].paras))
        if not is_open:
            continue
        first, rest = cell.paras[0], cell.paras[1:]
        if first.marker is None and target.paras and _continues(target.paras[-1].text, target.paras[-1].wrap,
                                                                first.text, first.wrap):
            last = target.paras[-1]
            target.paras[-1] = _Para(_join(last.text, first.text), last.marker, last.page, last.bbox, first.wrap)
        else:
            target.paras.append(first)
        target.paras.extend(rest)
        cell.paras = []
        merged = True
    return merged


def _continues(prev: str, prev_wrap: _Wrap, nxt: str, nxt_wrap: _Wrap) -> bool:
    """Is ``nxt`` (first text after a page break) the rest of the paragraph ``prev``?

    A lowercase start continues a sentence.  Otherwise the line must have wrapped (the next word
    would not have fitted at the end of the last line) and the text must go on mid-sentence (an
    acronym, a number or an opening bracket; a capitalised word starts a new paragraph).
    """
    head = nxt[:1]
    if not head or ends_sentence(prev) or _ENUM_START_RE.match(nxt):
        return False
    if head.islower():
        return True
    if not prev_wrap.taken_by(nxt_wrap):
        return False
    word = nxt.split()[0].strip("(«\"'[")
    return head in "([«\"'" or head.isdigit() or (len(word) >= 2 and word.isupper())


def _join(a: str, b: str) -> str:
    if a.endswith("-") and len(a) > 1 and a[-2].isalpha() and b[:1].islower():
        return a + b
    return normalise_space(a + " " + b)


def _continues_text(items: list[_Text | _Row], it: _Text) -> bool:
    """A paragraph cut by a page break: glue the next page's first lines to it (True if glued)."""
    if it.kind is not BlockKind.PARAGRAPH or not it.text:
        return False
    prev = next((x for x in reversed(items) if not (isinstance(x, _Text) and x.kind is BlockKind.FOOTNOTE)),
                None)
    if not isinstance(prev, _Text) or prev.kind not in (BlockKind.PARAGRAPH, BlockKind.LIST_ITEM):
        return False
    if not _continues(prev.text, prev.wrap, it.text, it.wrap):
        return False
    prev.text = _join(prev.text, it.text)
    prev.wrap = it.wrap
    return True


# ---------------------------------------------------------------------------------------------- blocks


def _blocks(items: list[_Text | _Row]) -> list[Block]:
    blocks: list[Block] = []
    for it in items:
        order = len(blocks)
        if isinstance(it, _Row):
            cells = tuple(Cell(paras=tuple(Para(text=q.text, marker=q.marker, page=q.page, bbox=q.bbox)
                                           for q in c.paras), bbox=c.bbox) for c in it.cells)
            blocks.append(Block(kind=BlockKind.TABLE_ROW, text=" | ".join(c.text for c in cells), page=it.page,
                                order=order, bbox=it.bbox, cells=cells, table=it.table, header=it.header,
                                gap_before=it.gap))
        else:
            blocks.append(Block(kind=it.kind, text=it.text, page=it.page, order=order, bbox=it.bbox,
                                marker=it.marker, gap_before=it.gap))
    return blocks
