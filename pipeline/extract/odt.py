"""OpenDocument text (.odt) front end: ``content.xml`` -> the layout model (``office.layout_of``).

Read with lxml directly rather than odfpy: odfpy loads the whole package into its own element classes
(and needs its own walk of the same XML anyway), while the body of an .odt is a small, stable
vocabulary (ODF 1.2/1.3): ``text:h`` (heading, ``text:outline-level``), ``text:p``, ``text:list`` /
``text:list-item``, ``text:section``, ``table:table`` with ``table:table-header-rows``, rows
(``table:table-row``, repeated with ``table:number-rows-repeated``, grouped in ``table:table-rows`` /
``table:table-row-group``), cells (``table:table-cell``, ``table:number-columns-repeated``) and
``table:covered-table-cell`` (the cells a merged cell covers: empty, the row continues the one above).
The parser is hardened (no entities, no network, no DTD), as python-docx's is for Word.

Text is the paragraph's character data with ``text:s`` (spaces), ``text:tab`` and
``text:line-break`` as spaces; notes (``text:note``) and tracked deletions (``text:tracked-changes``)
are not running text.  A paragraph's style name is its automatic style's parent (``P1`` ->
``List Bullet``), so list and heading styles are recognised as in Word.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from lxml import etree

from pipeline.errors import RejectedInput
from pipeline.extract.office import OfficeCell, OfficePara, OfficeRow, OfficeTable, Part, check_archive, layout_of
from pipeline.records import Layout, Source

TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
STYLE = "{urn:oasis:names:tc:opendocument:xmlns:style:1.0}"
#: repeated empty rows/cells (an office suite pads tables with them) are read this many times at most
_MAX_REPEAT = 64
_SKIPPED = {f"{TEXT}note", f"{TEXT}tracked-changes", f"{OFFICE}annotation", f"{TEXT}bookmark-ref"}


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def _text(el: Any) -> str:
    out = [el.text or ""]
    for child in el:
        tag = child.tag
        if tag == f"{TEXT}s":
            out.append(" " * min(int(child.get(f"{TEXT}c", "1") or 1), 64))
        elif tag in (f"{TEXT}tab", f"{TEXT}line-break"):
            out.append(" ")
        elif tag not in _SKIPPED and isinstance(tag, str):
            out.append(_text(child))
        out.append(child.tail or "")
    return "".join(out)


class _Styles:
    """Automatic paragraph style -> its named parent, with ``_20_`` decoded (``List_20_Bullet``)."""

    def __init__(self, root: Any) -> None:
        self._parent: dict[str, str] = {}
        for s in root.iter(f"{STYLE}style"):
            name, parent = s.get(f"{STYLE}name"), s.get(f"{STYLE}parent-style-name")
            if name and parent:
                self._parent[name] = parent

    def name(self, style: str | None) -> str | None:
        if style is None:
            return None
        style = self._parent.get(style, style)
        return style.replace("_20_", " ")


def _para(el: Any, styles: _Styles, in_list: bool = False) -> OfficePara:
    level = el.get(f"{TEXT}outline-level") if el.tag == f"{TEXT}h" else None
    outline = int(level) if level and level.isdigit() else (1 if el.tag == f"{TEXT}h" else None)
    return OfficePara(text=_text(el), style=styles.name(el.get(f"{TEXT}style-name")), outline_level=outline,
                      in_list=in_list)


def _flow(el: Any, styles: _Styles, in_list: bool = False) -> Iterator[Part]:
    """Paragraphs and tables under ``el`` in reading order (lists and sections opened)."""
    for child in el:
        tag = child.tag
        if tag in (f"{TEXT}p", f"{TEXT}h"):
            yield _para(child, styles, in_list)
        elif tag == f"{TEXT}list":
            for item in child:
                if item.tag in (f"{TEXT}list-item", f"{TEXT}list-header"):
                    yield from _flow(item, styles, in_list=True)
        elif tag == f"{TABLE}table":
            yield _table(child, styles)
        elif tag in (f"{TEXT}section", f"{TEXT}soft-page-break", f"{OFFICE}text", f"{TEXT}index-body"):
            yield from _flow(child, styles, in_list)


def _cell_paras(cell: Any, styles: _Styles) -> tuple[OfficePara, ...]:
    out: list[OfficePara] = []
    for part in _flow(cell, styles):
        if isinstance(part, OfficePara):
            out.append(part)
        else:  # a table nested in a cell: its paragraphs, in order
            out.extend(p for row in part.rows for c in row.cells for p in c.paras)
    return tuple(out)


def _repeat(el: Any, attr: str) -> int:
    value = el.get(attr, "1")
    return max(1, min(int(value), _MAX_REPEAT)) if value.isdigit() else 1


def _rows(el: Any, styles: _Styles, header: bool) -> Iterator[OfficeRow]:
    for child in el:
        if child.tag == f"{TABLE}table-header-rows":
            yield from _rows(child, styles, True)
        elif child.tag in (f"{TABLE}table-rows", f"{TABLE}table-row-group"):
            yield from _rows(child, styles, header)
        elif child.tag == f"{TABLE}table-row":
            cells: list[OfficeCell] = []
            for c in child:
                if c.tag == f"{TABLE}table-cell":
                    cell = OfficeCell(paras=_cell_paras(c, styles))
                elif c.tag == f"{TABLE}covered-table-cell":
                    cell = OfficeCell(paras=(), continues_above=True)
                else:
                    continue
                cells.extend([cell] * _repeat(c, f"{TABLE}number-columns-repeated"))
            row = OfficeRow(cells=tuple(cells), header=header)
            for _ in range(_repeat(child, f"{TABLE}number-rows-repeated")):
                yield row


def _table(el: Any, styles: _Styles) -> OfficeTable:
    return OfficeTable(rows=tuple(_rows(el, styles, False)))


def extract_odt(path: Path, data: bytes, source: Source) -> Layout:
    """Layout of an OpenDocument text; a damaged package or another ODF kind is rejected with the reason."""
    check_archive(data, str(path))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            content = archive.read("content.xml")
        root = etree.fromstring(content, _parser())
    except KeyError as exc:
        raise RejectedInput(str(path), "OpenDocument package without content.xml") from exc
    except (zipfile.BadZipFile, etree.XMLSyntaxError, ValueError) as exc:
        raise RejectedInput(str(path), f"damaged OpenDocument text: {type(exc).__name__}: {exc}") from exc
    body = root.find(f"{OFFICE}body/{OFFICE}text")
    if body is None:
        raise RejectedInput(str(path), "OpenDocument file without a text body (a spreadsheet or a drawing?)")
    layout = layout_of(_flow(body, _Styles(root)), source)
    if not layout.blocks:
        raise RejectedInput(str(path), "empty OpenDocument text (no text)")
    return layout
