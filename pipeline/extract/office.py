"""What the word-processor front ends (``docx.py``, ``odt.py``) share: their parts -> layout blocks.

A .docx or .odt body is a sequence of paragraphs and tables.  Each front end walks its XML and hands
this module neutral parts (``OfficePara``, ``OfficeTable``); this module makes the layout blocks,
with the same conventions as the text front end so that one parser reads all of them:

* a paragraph is a heading (a heading style or outline level), a list item (a list / numbering
  paragraph, or a typed ``-``/``•`` marker), a footnote-looking line, or a paragraph;
* a table row is a ``TABLE_ROW`` block; a cell's paragraphs are ``Para``s, a ``☐`` starting one is a
  checkbox (a new criterion), a ``•`` or a list paragraph in a cell is a bullet (a sub-item);
  a row is a header when the document flags it (Word "repeat as header row", ODF
  ``table:table-header-rows``) or when it is the first row of a table and looks like one;
* a vertically merged cell's continuation is an empty cell (the text front end's "first cells empty:
  the row continues the capacity above");
* provenance: no pages (a word processor paginates at display time), ``order`` is the block's
  position in the body (paragraph / table row order, the "line" of a text file).

Every paragraph of a word processor is a paragraph of its own (never a wrapped line), so
``gap_before`` is always true.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass

from pipeline.errors import RejectedInput
from pipeline.extract.text import _line_block, _looks_like_header, parse_cell
from pipeline.records import Block, BlockKind, Cell, Layout, Marker, Para, Source

_HEADING_STYLE_RE = re.compile(r"^(?:heading|titre|title)\s*\d*$|^(?:heading|titre)\s*\d+", re.I)
_LIST_STYLE_RE = re.compile(r"^list|^liste|puce|bullet|numbered", re.I)
_CHECKBOX_START_RE = re.compile(r"^\s*[☐☑☒□]")
_BULLET_START_RE = re.compile(r"^\s*[•▪◦]")


@dataclass(frozen=True)
class OfficePara:
    """A paragraph as the document stores it: its text, style name, outline level, list membership."""

    text: str
    style: str | None = None
    outline_level: int | None = None  # 1-based, set for headings
    in_list: bool = False
    numbered: bool = False  # its text starts with the label its list numbering gave it ("1.", "a)")


@dataclass(frozen=True)
class OfficeCell:
    paras: tuple[OfficePara, ...]
    continues_above: bool = False  # a vertical merge's continuation: shown empty


@dataclass(frozen=True)
class OfficeRow:
    cells: tuple[OfficeCell, ...]
    header: bool = False


@dataclass(frozen=True)
class OfficeTable:
    rows: tuple[OfficeRow, ...]


Part = OfficePara | OfficeTable


def is_heading_style(style: str | None) -> bool:
    return style is not None and bool(_HEADING_STYLE_RE.match(style.strip()))


def is_list_style(style: str | None) -> bool:
    return style is not None and bool(_LIST_STYLE_RE.search(style.strip()))


def _para_block(p: OfficePara, order: int) -> Block | None:
    text = " ".join(p.text.split())
    if not text:
        return None
    if p.outline_level is not None or is_heading_style(p.style):
        block = _line_block(text, order, True)
        if block.kind is BlockKind.PARAGRAPH:  # a heading style says heading, whatever the words
            return Block(kind=BlockKind.HEADING, text=block.text, page=None, order=order)
        return block
    block = _line_block(text, order, True)
    if (p.in_list or is_list_style(p.style)) and block.kind is BlockKind.PARAGRAPH:
        return Block(kind=BlockKind.LIST_ITEM, text=block.text, page=None, order=order, marker="-")
    return block


def _cell(cell: OfficeCell) -> Cell:
    if cell.continues_above:
        return Cell()
    paras: list[Para] = []
    for p in cell.paras:
        read = parse_cell(p.text).paras
        if not read:
            continue
        first = read[0]
        if (first.marker is None and not p.numbered and (p.in_list or is_list_style(p.style))
                and not _CHECKBOX_START_RE.match(p.text) and not _BULLET_START_RE.match(p.text)):
            read = (Para(text=first.text, marker=Marker.BULLET), *read[1:])
        paras.extend(read)
    return Cell(paras=tuple(paras))


def layout_of(parts: Iterable[Part], source: Source) -> Layout:
    """The layout blocks of a word-processor body, in reading order."""
    blocks: list[Block] = []
    table = 0
    for part in parts:
        if isinstance(part, OfficePara):
            block = _para_block(part, len(blocks))
            if block is not None:
                blocks.append(block)
            continue
        table += 1
        first = True
        for row in part.rows:
            cells = tuple(_cell(c) for c in row.cells)
            texts = tuple(c.text for c in cells)
            if not any(texts):
                continue
            header = row.header or (first and _looks_like_header(" ".join(texts), cells))
            first = False
            blocks.append(Block(kind=BlockKind.TABLE_ROW, text=" | ".join(texts), page=None, order=len(blocks),
                                cells=cells, table=table, header=header))
    return Layout(source=source, blocks=tuple(blocks))


def roman(n: int) -> str:
    """Lower-case roman numeral of a list counter (a word processor's "i, ii, iii")."""
    out = ""
    for value, digits in ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"), (50, "l"),
                          (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")):
        while n >= value:
            out, n = out + digits, n - value
    return out


def letters(n: int) -> str:
    """Letter label of a list counter: a … z, then aa, bb … (as word processors count)."""
    return chr(ord("a") + (n - 1) % 26) * ((n - 1) // 26 + 1) if n > 0 else ""


#: a word-processor package larger than this once unpacked is refused (a référentiel is a few hundred KB)
MAX_UNPACKED = 200 * 1024 * 1024
#: ... and so is one whose members unpack to more than this many times the file's size (a zip bomb)
MAX_RATIO = 200


def check_archive(data: bytes, path: str) -> None:
    """Refuse a package that is not a zip, or that would unpack to far more than a document holds."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(i.file_size for i in archive.infolist())
    except zipfile.BadZipFile as exc:
        raise RejectedInput(path, f"damaged document package (not a readable zip: {exc})") from exc
    if unpacked > MAX_UNPACKED or unpacked > MAX_RATIO * max(len(data), 1):
        raise RejectedInput(path, f"document package unpacks to {unpacked} bytes from {len(data)}: "
                                  "refused (compression ratio or size of a zip bomb)")
