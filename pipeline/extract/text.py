"""Text front end: the seeds' format (markdown with HTML fragments, tab-separated table rows) -> Layout.

One block per non-blank line.  Tab-separated lines are table rows; a row whose first cells are
empty continues the capacity above it (the parser stitches it).  Markdown pipe tables (a header line,
a ``---|---`` separator, rows; leading and trailing pipes optional, as users paste the RNCP fiche page)
are table rows too, the header marked; ``<br>`` and "- "/"•" bullets split a cell into paragraphs.
Inside a cell, ``<p>``/``<li>`` start paragraphs, ``<input type="checkbox"/>`` and ``☐`` start a
checkbox paragraph (a new criterion), ``•`` starts a bullet paragraph (a sub-item that stays in its
criterion).
"""

from __future__ import annotations

import dataclasses
import html
import re
from pathlib import Path

from pipeline.errors import RejectedInput
from pipeline.extract.sniff import bom_text_encoding
from pipeline.records import Block, BlockKind, Cell, Layout, Marker, Para, Source

SUPERSCRIPTS = "¹²³⁴⁵⁶⁷⁸⁹⁰"
_FOOTNOTE_RE = re.compile(rf"^[{SUPERSCRIPTS}]+\s*\S")
_SUPERSCRIPT_RE = re.compile(rf"(?<=\S)[{SUPERSCRIPTS}]+")
_CHECKBOX_RE = re.compile(r"<input\b[^>]*type=[\"']?checkbox[^>]*>|[☐☑☒□]", re.I)
_BREAK_TAG_RE = re.compile(r"</?(?:p|li|ul|ol|div|br|tr|td)\b[^>]*>", re.I)
_TAG_RE = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*\b[^<>]*>")
_AUTOLINK_RE = re.compile(r"<((?:https?|mailto):[^<>\s]+)>")
_MD_LINK_RE = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_LIST_RE = re.compile(r"^\s*(?:•-|[-–—•▪◦*])\s+")
_HEADING_RE = re.compile(r"^\s*#{1,6}\s+")
#: what ``str.splitlines`` also takes for a line end (VT, FF, FS, GS, RS, NEL, U+2028, U+2029): inside a
#: table row it would cut the row and lose what follows, so it is a space here; lines end at \n, \r\n, \r
_SEPARATORS_RE = re.compile("[\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
_LINE_END_RE = re.compile("\r\n|\r|\n")

# A paragraph boundary inside a cell: a block tag, a checkbox, or a bullet glyph.
_CELL_SPLIT_RE = re.compile(
    r"(?P<tag></?(?:p|li|ul|ol|div|br)\b[^>]*>)"
    r"|(?P<box><input\b[^>]*type=[\"']?checkbox[^>]*>|[☐☑☒□])"
    r"|(?P<bullet>(?:^|(?<=\s))•)",
    re.I,
)


def clean_inline(text: str) -> str:
    """Remove markup from running text: tags, ``**``, autolinks, footnote markers, extra spaces."""
    text = _AUTOLINK_RE.sub(r"\1", text)
    text = _MD_LINK_RE.sub(r"\1", text)
    text = _CHECKBOX_RE.sub(" ", text)
    text = _BREAK_TAG_RE.sub(" ", text)
    text = _TAG_RE.sub("", text)
    text = html.unescape(text).replace("**", "").replace("\u00a0", " ")
    text = _SUPERSCRIPT_RE.sub("", text)
    return " ".join(text.split())


def parse_cell(raw: str) -> Cell:
    """Split one cell's markup into paragraphs, each with the marker that introduced it."""
    paras: list[Para] = []
    marker: Marker | None = None
    pos = 0

    def flush(end: int) -> None:
        text = clean_inline(raw[pos:end])
        if text:
            paras.append(Para(text=text, marker=marker))

    for m in _CELL_SPLIT_RE.finditer(raw):
        flush(m.start())
        pos = m.end()
        if m.group("box"):
            marker = Marker.CHECKBOX
        elif m.group("bullet"):
            marker = Marker.BULLET
        else:  # a block tag ends the paragraph; what follows is plain until a marker says otherwise
            marker = None
    flush(len(raw))
    return Cell(paras=tuple(paras))


def decode(data: bytes, path: str) -> tuple[str, str | None]:
    """UTF-8 text, UTF-16 or UTF-32 with its byte-order mark (Notepad's "Unicode" is UTF-16), or
    Latin-1/cp1252 transcoded when the bytes are not UTF-8; (text, note)."""
    if encoding := bom_text_encoding(data, path):
        name = encoding.upper()
        try:
            return data.decode(encoding), f"{name} text (byte-order mark): decoded"
        except UnicodeDecodeError as exc:
            raise RejectedInput(path, f"{name} text (byte-order mark) with invalid bytes at byte {exc.start}"
                                ) from None
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        bad = exc.start
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        raise RejectedInput(path, f"invalid UTF-8 at byte {bad} and not Latin-1 text either") from None
    if any(ord(c) < 32 and c not in "\t\r\n\f" for c in text):
        raise RejectedInput(path, f"invalid UTF-8 at byte {bad} (binary content, not text)")
    return text, f"not UTF-8 (invalid byte at {bad}): decoded as Latin-1/cp1252"


_MD_SEPARATOR_RE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?\s*$")
_MD_DASH_RE = re.compile(r"^[-–*]\s+")


def _md_cells(line: str) -> tuple[Cell, ...]:
    """The cells of a markdown table line, with or without its leading and trailing pipes."""
    inner = line.strip()
    if inner.startswith("|"):
        inner = inner[1:]
    if inner.endswith("|"):
        inner = inner[:-1]
    cells = []
    for raw in inner.split("|"):
        cell = parse_cell(raw)
        paras = tuple(Para(text=_MD_DASH_RE.sub("", p.text), marker=Marker.BULLET) if _MD_DASH_RE.match(p.text)
                      else p for p in cell.paras)
        cells.append(Cell(paras=paras))
    return tuple(cells)


def _md_table_at(lines: list[str], i: int) -> bool:
    return "|" in lines[i] and i + 1 < len(lines) and bool(_MD_SEPARATOR_RE.match(lines[i + 1])) \
        and "|" in lines[i + 1]


def layout_from_text(text: str, source: Source) -> Layout:
    blocks: list[Block] = []
    table = 0
    header_cells: tuple[str, ...] | None = None  # the header of the current table
    prev_was_row = False
    gap = True
    lines = _LINE_END_RE.split(_SEPARATORS_RE.sub(" ", text))
    md_table = False  # inside a markdown pipe table (its rows are the following lines holding a pipe)
    for i, line in enumerate(lines):
        if not line.strip():
            gap = True
            md_table = False
            continue
        order = len(blocks)
        if _md_table_at(lines, i) or (md_table and "|" in line):
            if _MD_SEPARATOR_RE.match(line):
                continue
            is_header = not md_table
            if is_header:
                table += 1
                md_table = True
            cells = _md_cells(line)
            blocks.append(Block(kind=BlockKind.TABLE_ROW, text=" | ".join(c.text for c in cells), page=None,
                                order=order, cells=cells, table=table, header=is_header, gap_before=gap))
            prev_was_row, header_cells, gap = False, None, False
            continue
        md_table = False
        if "\t" in line:
            cells = tuple(parse_cell(c) for c in line.split("\t"))
            texts = tuple(c.text for c in cells)
            first_of_group = gap or not prev_was_row
            is_header = texts == header_cells or (first_of_group and _looks_like_header(line, cells))
            if is_header and texts != header_cells:
                table += 1
                header_cells = texts
            elif first_of_group and not is_header and not prev_was_row and header_cells is None:
                table += 1
            blocks.append(Block(kind=BlockKind.TABLE_ROW, text=" | ".join(texts), page=None, order=order,
                                cells=cells, table=table, header=is_header, gap_before=gap))
            prev_was_row = True
        else:
            blocks.append(_line_block(line, order, gap))
            prev_was_row = False
            header_cells = None
        gap = False
    return Layout(source=source, blocks=tuple(blocks))


def _looks_like_header(raw: str, cells: tuple[Cell, ...]) -> bool:
    """A table's first row is a header when it carries no content markup and only short labels."""
    if _CHECKBOX_RE.search(raw) or re.search(r"<(?:p|li|ul)\b", raw, re.I):
        return False
    texts = [c.text for c in cells if not c.empty]
    return bool(texts) and all(len(t) <= 90 and not re.match(r"^\d+[.)]\s", t) for t in texts)


def _line_block(line: str, order: int, gap: bool) -> Block:
    stripped = line.strip()
    if _FOOTNOTE_RE.match(stripped):
        text = clean_inline(stripped.lstrip(SUPERSCRIPTS))
        return Block(kind=BlockKind.FOOTNOTE, text=text, page=None, order=order, gap_before=gap,
                     marker=stripped[0])
    if _HEADING_RE.match(stripped):
        return Block(kind=BlockKind.HEADING, text=clean_inline(_HEADING_RE.sub("", stripped)), page=None,
                     order=order, gap_before=gap)
    m = _LIST_RE.match(stripped)
    if m:
        return Block(kind=BlockKind.LIST_ITEM, text=clean_inline(stripped[m.end():]), page=None, order=order,
                     marker=m.group().strip(), gap_before=gap)
    return Block(kind=BlockKind.PARAGRAPH, text=clean_inline(stripped), page=None, order=order, gap_before=gap)


def extract_text(path: Path, data: bytes, source: Source) -> Layout:
    """Layout of a text conversion; its notes say when the encoding had to be transcoded."""
    text, note = decode(data, str(path))
    if not text.strip():
        raise RejectedInput(str(path), "empty file (no text)")
    layout = layout_from_text(text, source)
    return dataclasses.replace(layout, notes=(note,)) if note else layout
