"""Write a text seed as a real Word (.docx, python-docx) or OpenDocument (.odt, odfpy) document.

The content is the seed's own (already in the repo); the structure is what an office suite writes:
section titles in a heading style, list paragraphs in a list (Word "List Bullet" numbering, ODF
``text:list``), the capacity table as real tables (a new table at each repeated header row, the header
flagged "repeat as header row" / ``table:table-header-rows``), a capacity's continuation rows as
vertically merged cells (``w:vMerge`` / ``table:covered-table-cell``), criteria checkboxes as ``☐``
and sub-items as list paragraphs inside the cell.  A line the text front end reads as the wrapped
continuation of the one above is part of the same paragraph, as in a word processor.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.extract import extract
from pipeline.records import Block, BlockKind, Cell, Marker

_SECTION_RE = re.compile(r"^(?:[IVX]+|\d+(?:\.\d+)*)\s*[-.–)]?\s+[A-ZÉÈ'’ ]{6,}$|^REFERENTIEL DU CQPM$")


@dataclass
class _Para:
    text: str
    kind: str  # "heading" | "list" | "para"


@dataclass
class _Table:
    rows: list[tuple[tuple[Cell, ...], bool]]  # (cells, header)


def _parts(seed: Path) -> list[_Para | _Table]:
    parts: list[_Para | _Table] = []
    prev: Block | None = None
    for b in extract(seed).blocks:
        if b.kind is BlockKind.TABLE_ROW:
            if b.header or not isinstance(parts[-1] if parts else None, _Table) or prev is None \
                    or prev.kind is not BlockKind.TABLE_ROW:
                parts.append(_Table([]))
            table = parts[-1]
            assert isinstance(table, _Table)
            table.rows.append((b.cells, b.header))
        elif (b.kind is BlockKind.PARAGRAPH and not b.gap_before and parts and isinstance(parts[-1], _Para)
              and prev is not None and prev.kind in (BlockKind.PARAGRAPH, BlockKind.LIST_ITEM)):
            parts[-1].text += " " + b.text  # a wrapped line: the same paragraph
        elif b.kind is BlockKind.FOOTNOTE:
            parts.append(_Para(f"{b.marker or ''}{b.text}", "para"))
        elif b.kind is BlockKind.LIST_ITEM:
            parts.append(_Para(b.text, "list"))
        else:
            heading = b.kind is BlockKind.HEADING or bool(_SECTION_RE.match(b.text))
            parts.append(_Para(b.text, "heading" if heading else "para"))
        prev = b
    return parts


def _merged(rows: list[tuple[tuple[Cell, ...], bool]]) -> list[list[str]]:
    """Per row and column: "restart", "continue" or "" (a continuation row's empty cells merge upwards)."""
    width = max(len(c) for c, _ in rows)
    marks = [["" for _ in range(width)] for _ in rows]
    for col in range(width):
        for r in range(1, len(rows)):
            cells, header = rows[r]
            above = rows[r - 1][0]
            empty = col >= len(cells) or cells[col].empty
            if not header and not rows[r - 1][1] and empty and (
                    marks[r - 1][col] or (col < len(above) and not above[col].empty)):
                marks[r][col] = "continue"
                if not marks[r - 1][col]:
                    marks[r - 1][col] = "restart"
    return marks


def _cell_text(p_text: str, marker: Marker | None) -> str:
    return f"☐ {p_text}" if marker is Marker.CHECKBOX else p_text


_SECTION_NUMBER_RE = re.compile(r"^(I|II|III|IV|V|VI)\s+(?=[A-Z])")
_LIST_NUMBER_RE = re.compile(r"^(\d{1,2})\)\s+")
_CAPACITY_NUMBER_RE = re.compile(r"^(\d{1,2})\.\s+")
_ROMAN = ("I", "II", "III", "IV", "V", "VI")
#: numId -> (format, level text): sections "IV", the capacity list "1)", capacities in the table "1."
_WORD_LISTS = {"91": ("upperRoman", "%1"), "92": ("decimal", "%1)"), "93": ("decimal", "%1.")}


def _add_word_lists(document: Any) -> None:
    from docx.oxml import parse_xml

    w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    numbering = document.part.numbering_part.element
    first_num = numbering.find("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}num")
    for num_id, (fmt, text) in _WORD_LISTS.items():
        abstract = parse_xml(f'<w:abstractNum {w} w:abstractNumId="{num_id}"><w:multiLevelType w:val="singleLevel"/>'
                             f'<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="{fmt}"/>'
                             f'<w:lvlText w:val="{text}"/><w:lvlJc w:val="left"/></w:lvl></w:abstractNum>')
        first_num.addprevious(abstract)
        numbering.append(parse_xml(f'<w:num {w} w:numId="{num_id}"><w:abstractNumId w:val="{num_id}"/></w:num>'))


def _numbered(paragraph: Any, num_id: str) -> None:
    num = paragraph._p.get_or_add_pPr().get_or_add_numPr()
    num.get_or_add_ilvl().val = 0
    num.get_or_add_numId().val = int(num_id)


class _Counter:
    """Checks that the typed numbers a group loses to Word numbering are 1, 2, 3 … (else Word would differ)."""

    def __init__(self) -> None:
        self.seen: dict[str, int] = {}

    def take(self, num_id: str, typed: str) -> None:
        expected = self.seen.get(num_id, 0) + 1
        value = _ROMAN.index(typed) + 1 if num_id == "91" else int(typed)
        assert value == expected, f"list {num_id}: typed {typed}, Word would number {expected}"
        self.seen[num_id] = expected


def write_docx(seed: Path, out: Path, word_numbering: bool = False) -> Path:
    """The seed as a Word document; ``word_numbering``: section, capacity-list and capacity numbers are Word's
    automatic numbering (``w:numPr``) instead of typed text."""
    import docx
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    document = docx.Document()
    counter = _Counter()
    if word_numbering:
        _add_word_lists(document)

    def strip_number(text: str, pattern: re.Pattern[str], num_id: str) -> tuple[str, str | None]:
        m = pattern.match(text) if word_numbering else None
        if not m:
            return text, None
        counter.take(num_id, m.group(1))
        return text[m.end():], num_id

    for part in _parts(seed):
        if isinstance(part, _Para):
            if part.kind == "heading":
                text, num = strip_number(part.text, _SECTION_NUMBER_RE, "91")
                paragraph = document.add_heading(text, level=1)
            elif part.kind == "list":
                text, num = strip_number(part.text, _LIST_NUMBER_RE, "92")
                paragraph = document.add_paragraph(text, style=None if num else "List Bullet")
            else:
                num = None
                paragraph = document.add_paragraph(part.text)
            if num:
                _numbered(paragraph, num)
            continue
        width = max(len(c) for c, _ in part.rows)
        table = document.add_table(rows=len(part.rows), cols=width)
        table.style = "Table Grid"
        marks = _merged(part.rows)
        for r, (cells, header) in enumerate(part.rows):
            row = table.rows[r]
            if header:
                tr_pr = row._tr.get_or_add_trPr()
                tr_pr.append(OxmlElement("w:tblHeader"))
            for col in range(width):
                tc = row.cells[col]
                if marks[r][col]:
                    merge = OxmlElement("w:vMerge")
                    if marks[r][col] == "restart":
                        merge.set(qn("w:val"), "restart")
                    tc._tc.get_or_add_tcPr().append(merge)
                paras = cells[col].paras if col < len(cells) else ()
                for k, p in enumerate(paras):
                    style = "List Bullet" if p.marker is Marker.BULLET else None
                    text, num = _cell_text(p.text, p.marker), None
                    if col == 0 and k == 0 and not header:
                        text, num = strip_number(text, _CAPACITY_NUMBER_RE, "93")
                    if k == 0:
                        paragraph = tc.paragraphs[0]
                        paragraph.text = text
                        if style:
                            paragraph.style = document.styles[style]
                    else:
                        paragraph = tc.add_paragraph(text, style=style)
                    if num:
                        _numbered(paragraph, num)
    document.save(str(out))
    return out


def write_odt(seed: Path, out: Path, numbering: bool = False) -> Path:
    """The seed as an OpenDocument text; ``numbering``: section numbers are the outline numbering, the
    capacity list's and the capacities' numbers list numbering (continued from cell to cell), not text."""
    from odf.opendocument import OpenDocumentText
    from odf.style import ParagraphProperties, Style, TableColumnProperties
    from odf.table import CoveredTableCell, Table, TableCell, TableColumn, TableHeaderRows, TableRow
    from odf.text import (
        H,
        List,
        ListItem,
        ListLevelStyleNumber,
        ListStyle,
        OutlineLevelStyle,
        OutlineStyle,
        P,
    )

    document = OpenDocumentText()
    counter = _Counter()
    if numbering:
        outline = OutlineStyle(name="Outline")
        outline.addElement(OutlineLevelStyle(level=1, numformat="I"))
        document.styles.addElement(outline)
        for name, suffix in (("LCapList", ")"), ("LCap", ".")):
            style = ListStyle(name=name)
            style.addElement(ListLevelStyleNumber(level=1, numformat="1", numsuffix=suffix))
            document.automaticstyles.addElement(style)

    def strip_number(text: str, pattern: re.Pattern[str], num_id: str) -> tuple[str, bool]:
        m = pattern.match(text) if numbering else None
        if not m:
            return text, False
        counter.take(num_id, m.group(1))
        return text[m.end():], True

    lists = {"LCapList": 0, "LCap": 0}

    def numbered_list(style: str, paragraph: Any) -> Any:
        """The capacity list continues the list just before it (continue-numbering); the capacities, with
        bullet lists between them, continue their previous list by its id (continue-list), as LibreOffice
        writes it."""
        lists[style] += 1
        n = lists[style]
        if style == "LCapList":
            lst = List(stylename=style, continuenumbering="true")
        else:
            lst = List(stylename=style, id=f"{style}{n}", **({"continuelist": f"{style}{n - 1}"} if n > 1 else {}))
        item = ListItem()
        item.addElement(paragraph)
        lst.addElement(item)
        return lst

    bullet = Style(name="List_20_Bullet", displayname="List Bullet", family="paragraph")
    bullet.addElement(ParagraphProperties(marginleft="0.5cm"))
    heading = Style(name="Heading_20_1", displayname="Heading 1", family="paragraph")
    column = Style(name="col", family="table-column")
    column.addElement(TableColumnProperties(columnwidth="4cm"))
    document.styles.addElement(bullet)
    document.styles.addElement(heading)
    document.automaticstyles.addElement(column)
    n_tables = 0
    for part in _parts(seed):
        if isinstance(part, _Para):
            if part.kind == "heading":
                text, num = strip_number(part.text, _SECTION_NUMBER_RE, "91")
                if numbering and not num:  # a title outside the outline numbering: a plain paragraph
                    document.text.addElement(P(stylename=heading, text=text))
                else:
                    document.text.addElement(H(outlinelevel=1, stylename=heading, text=text))
            elif part.kind == "list" and numbering and _LIST_NUMBER_RE.match(part.text):
                text, _ = strip_number(part.text, _LIST_NUMBER_RE, "92")
                document.text.addElement(numbered_list("LCapList", P(text=text)))
            elif part.kind == "list":
                lst = List()
                item = ListItem()
                item.addElement(P(stylename=bullet, text=part.text))
                lst.addElement(item)
                document.text.addElement(lst)
            else:
                document.text.addElement(P(text=part.text))
            continue
        n_tables += 1
        width = max(len(c) for c, _ in part.rows)
        table = Table(name=f"Tableau{n_tables}")
        table.addElement(TableColumn(numbercolumnsrepeated=width, stylename=column))
        marks = _merged(part.rows)
        header_rows: TableHeaderRows | None = None
        for r, (cells, header) in enumerate(part.rows):
            row = TableRow()
            for col in range(width):
                if marks[r][col] == "continue":
                    row.addElement(CoveredTableCell())
                    continue
                span = 1
                while marks[r][col] == "restart" and r + span < len(part.rows) and marks[r + span][col] == "continue":
                    span += 1
                cell = TableCell(valuetype="string", numberrowsspanned=span) if span > 1 else TableCell(
                    valuetype="string")
                paras = cells[col].paras if col < len(cells) else ()
                for p in paras:
                    if p.marker is Marker.BULLET:
                        lst = List()
                        item = ListItem()
                        item.addElement(P(stylename=bullet, text=p.text))
                        lst.addElement(item)
                        cell.addElement(lst)
                    elif col == 0 and not header and p is paras[0] and numbering and \
                            _CAPACITY_NUMBER_RE.match(p.text):
                        text, _ = strip_number(p.text, _CAPACITY_NUMBER_RE, "93")
                        cell.addElement(numbered_list("LCap", P(text=text)))
                    else:
                        cell.addElement(P(text=_cell_text(p.text, p.marker)))
                row.addElement(cell)
            if header and r == 0:
                header_rows = TableHeaderRows()
                header_rows.addElement(row)
                table.addElement(header_rows)
            else:
                table.addElement(row)
        document.text.addElement(table)
    document.save(str(out))
    return out
