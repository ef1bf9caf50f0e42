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

Automatic numbering is rendered as the office suite shows it (``_Numbering``): a list's level styles
(``text:list-level-style-number``: format, prefix, suffix, start, levels displayed) number its items,
a list continues the one just before it with ``text:continue-numbering`` when both have the same
style (or the one named by ``text:continue-list``), and headings follow the document's outline numbering
(``text:outline-style``), a level-2 heading before any level-1 one counting as under a first level-1,
as LibreOffice counts.  A label the file already carries (``text:number``) is used as it is.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from lxml import etree

from pipeline.errors import RejectedInput
from pipeline.extract.office import (
    OfficeCell,
    OfficePara,
    OfficeRow,
    OfficeTable,
    Part,
    check_archive,
    layout_of,
    letters,
    roman,
)
from pipeline.records import Layout, Source

TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
STYLE = "{urn:oasis:names:tc:opendocument:xmlns:style:1.0}"
#: repeated empty rows/cells (an office suite pads tables with them) are read this many times at most
_MAX_REPEAT = 64
XML_ID = "{http://www.w3.org/XML/1998/namespace}id"
_SKIPPED = {f"{TEXT}note", f"{TEXT}tracked-changes", f"{OFFICE}annotation", f"{TEXT}bookmark-ref"}


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def _text(el: Any) -> str:
    out = [el.text or ""]
    for child in el:
        tag = child.tag
        if tag == f"{TEXT}s":
            count = child.get(f"{TEXT}c", "1")
            out.append(" " * min(int(count) if count.isdigit() else 1, 64))
        elif tag in (f"{TEXT}tab", f"{TEXT}line-break"):
            out.append(" ")
        elif tag not in _SKIPPED and isinstance(tag, str):
            out.append(_text(child))
        out.append(child.tail or "")
    return "".join(out)


class _Styles:
    """Automatic paragraph style -> its named parent, with ``_20_`` decoded (``List_20_Bullet``)."""

    def __init__(self, *roots: Any) -> None:
        self._parent: dict[str, str] = {}
        for root in roots:
            for s in root.iter(f"{STYLE}style"):
                name, parent = s.get(f"{STYLE}name"), s.get(f"{STYLE}parent-style-name")
                if name and parent:
                    self._parent[name] = parent

    def name(self, style: str | None) -> str | None:
        if style is None:
            return None
        style = self._parent.get(style, style)
        return style.replace("_20_", " ")


_FORMATS: dict[str, Callable[[int], str]] = {
    "1": str, "a": letters, "A": lambda n: letters(n).upper(), "i": roman, "I": lambda n: roman(n).upper()}

#: one level of a list style: (num-format, prefix, suffix, start value, levels displayed); None: a bullet
LevelStyle = tuple[str, str, str, int, int] | None


def _level_style(el: Any) -> LevelStyle:
    if el.tag != f"{TEXT}list-level-style-number" and el.tag != f"{TEXT}outline-level-style":
        return None
    start, shown = el.get(f"{TEXT}start-value", "1"), el.get(f"{TEXT}display-levels", "1")
    return (el.get(f"{STYLE}num-format", ""), el.get(f"{STYLE}num-prefix", ""), el.get(f"{STYLE}num-suffix", ""),
            int(start) if start.isdigit() else 1, int(shown) if shown.isdigit() else 1)


class _Numbering:
    """List and outline numbering: the label of each numbered paragraph, counted in reading order."""

    def __init__(self, *roots: Any) -> None:
        self.lists: dict[str, dict[int, LevelStyle]] = {}
        self.outline: dict[int, LevelStyle] = {}
        for root in roots:
            for style in root.iter(f"{TEXT}list-style"):
                self.lists[style.get(f"{STYLE}name", "")] = {
                    int(lvl.get(f"{TEXT}level", "1")): _level_style(lvl) for lvl in style
                    if isinstance(lvl.tag, str) and lvl.get(f"{TEXT}level", "").isdigit()}
            for style in root.iter(f"{TEXT}outline-style"):
                self.outline = {int(lvl.get(f"{TEXT}level", "1")): _level_style(lvl) for lvl in style
                                if isinstance(lvl.tag, str) and lvl.get(f"{TEXT}level", "").isdigit()}
        self._headings: list[int | None] = [None] * 11
        self._last: tuple[str | None, list[int | None]] | None = None
        self._by_id: dict[str, list[int | None]] = {}

    def open_list(self, el: Any, style: str | None) -> list[int | None]:
        """The counters a top-level ``text:list`` numbers with: a new chain, or the one it continues.

        ``text:continue-list`` names the list continued; ``text:continue-numbering`` continues the list just
        before (in reading order) when it has the same style, and restarts otherwise, as LibreOffice does."""
        chain: list[int | None] | None = None
        if (ref := el.get(f"{TEXT}continue-list")) is not None:
            chain = self._by_id.get(ref)
        elif el.get(f"{TEXT}continue-numbering") == "true" and self._last is not None and self._last[0] == style:
            chain = self._last[1]
        chain = chain if chain is not None else [None] * 11
        self._last = (style, chain)
        if (xml_id := el.get(XML_ID)) is not None:
            self._by_id[xml_id] = chain
        return chain

    @staticmethod
    def _count(counters: list[int | None], level: int, start: int) -> None:
        for upper in range(1, level):  # a deeper item before any of its level starts the upper levels
            if counters[upper] is None:
                counters[upper] = 1
        current = counters[level]
        counters[level] = start if current is None else current + 1
        for deeper in range(level + 1, len(counters)):
            counters[deeper] = None

    @staticmethod
    def _render(counters: list[int | None], level: int, spec: LevelStyle) -> str | None:
        if spec is None or spec[0] not in _FORMATS:
            return None
        fmt, prefix, suffix, _, shown = spec
        numbers = [counters[k] or 1 for k in range(max(1, level - shown + 1), level + 1)]
        return prefix + ".".join(_FORMATS[fmt](n) for n in numbers) + suffix

    def item(self, style: str | None, counters: list[int | None], level: int, start_value: str | None
             ) -> str | None:
        """Count one list item at ``level`` (1-based) of a list of ``style``; its label, None for a bullet."""
        spec = self.lists.get(style or "", {}).get(min(level, 10))
        start = int(start_value) if start_value and start_value.isdigit() else spec[3] if spec else 1
        self._count(counters, min(level, 10), start)
        return self._render(counters, min(level, 10), spec)

    def heading(self, level: int) -> str | None:
        spec = self.outline.get(min(level, 10))
        self._count(self._headings, min(level, 10), spec[3] if spec else 1)
        return self._render(self._headings, min(level, 10), spec)


class _Reader:
    """One walk of the body: paragraphs and tables in reading order, numbering counted on the way."""

    def __init__(self, styles: _Styles, numbering: _Numbering) -> None:
        self.styles = styles
        self.numbering = numbering

    def para(self, el: Any, in_list: bool = False, label: str | None = None) -> OfficePara:
        is_heading = el.tag == f"{TEXT}h"
        level = el.get(f"{TEXT}outline-level") if is_heading else None
        outline = int(level) if level and level.isdigit() else (1 if is_heading else None)
        text = _text(el)
        has_number = el.find(f"{TEXT}number") is not None  # the suite wrote the label itself
        if is_heading and outline is not None and not in_list:
            heading_label = self.numbering.heading(outline)
            label = label or heading_label
        if label and not has_number and text.strip():
            text = f"{label} {text.lstrip()}"
        return OfficePara(text=text, style=self.styles.name(el.get(f"{TEXT}style-name")), outline_level=outline,
                          in_list=in_list, numbered=bool(label) or has_number)

    def flow(self, el: Any, in_list: bool = False) -> Iterator[Part]:
        """Paragraphs and tables under ``el`` in reading order (lists and sections opened)."""
        for child in el:
            tag = child.tag
            if tag in (f"{TEXT}p", f"{TEXT}h"):
                yield self.para(child, in_list)
            elif tag == f"{TEXT}list":
                style = child.get(f"{TEXT}style-name")
                yield from self.list(child, style, self.numbering.open_list(child, style), 1)
            elif tag == f"{TABLE}table":
                yield self.table(child)
            elif tag in (f"{TEXT}section", f"{TEXT}soft-page-break", f"{OFFICE}text", f"{TEXT}index-body"):
                yield from self.flow(child, in_list)

    def list(self, el: Any, style: str | None, counters: list[int | None], level: int) -> Iterator[Part]:
        for item in el:
            if item.tag not in (f"{TEXT}list-item", f"{TEXT}list-header"):
                continue
            label = (self.numbering.item(style, counters, level, item.get(f"{TEXT}start-value"))
                     if item.tag == f"{TEXT}list-item" else None)
            for child in item:
                tag = child.tag
                if tag in (f"{TEXT}p", f"{TEXT}h"):
                    yield self.para(child, True, label)
                    label = None  # only the item's first paragraph carries its number
                elif tag == f"{TEXT}list":
                    yield from self.list(child, child.get(f"{TEXT}style-name") or style, counters, level + 1)
                elif tag == f"{TABLE}table":
                    yield self.table(child)

    def cell_paras(self, cell: Any) -> tuple[OfficePara, ...]:
        out: list[OfficePara] = []
        for part in self.flow(cell):
            if isinstance(part, OfficePara):
                out.append(part)
            else:  # a table nested in a cell: its paragraphs, in order
                out.extend(p for row in part.rows for c in row.cells for p in c.paras)
        return tuple(out)

    def rows(self, el: Any, header: bool) -> Iterator[OfficeRow]:
        for child in el:
            if child.tag == f"{TABLE}table-header-rows":
                yield from self.rows(child, True)
            elif child.tag in (f"{TABLE}table-rows", f"{TABLE}table-row-group"):
                yield from self.rows(child, header)
            elif child.tag == f"{TABLE}table-row":
                cells: list[OfficeCell] = []
                for c in child:
                    if c.tag == f"{TABLE}table-cell":
                        cell = OfficeCell(paras=self.cell_paras(c))
                    elif c.tag == f"{TABLE}covered-table-cell":
                        cell = OfficeCell(paras=(), continues_above=True)
                    else:
                        continue
                    cells.extend([cell] * _repeat(c, f"{TABLE}number-columns-repeated"))
                row = OfficeRow(cells=tuple(cells), header=header)
                for _ in range(_repeat(child, f"{TABLE}number-rows-repeated")):
                    yield row

    def table(self, el: Any) -> OfficeTable:
        return OfficeTable(rows=tuple(self.rows(el, False)))


def _repeat(el: Any, attr: str) -> int:
    value = el.get(attr, "1")
    return max(1, min(int(value), _MAX_REPEAT)) if value.isdigit() else 1


def extract_odt(path: Path, data: bytes, source: Source) -> Layout:
    """Layout of an OpenDocument text; a damaged package or another ODF kind is rejected with the reason."""
    check_archive(data, str(path))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            manifest = archive.read("META-INF/manifest.xml") if "META-INF/manifest.xml" in names else b""
            if b"encryption-data" in manifest:
                raise RejectedInput(str(path), "password-protected OpenDocument text: save it without a password "
                                               "and ingest it again")
            content = archive.read("content.xml")
            styles_xml = archive.read("styles.xml") if "styles.xml" in names else None
        root = etree.fromstring(content, _parser())
        styles_root = etree.fromstring(styles_xml, _parser()) if styles_xml else None
    except KeyError as exc:
        raise RejectedInput(str(path), "OpenDocument package without content.xml") from exc
    except (zipfile.BadZipFile, etree.XMLSyntaxError, ValueError) as exc:
        raise RejectedInput(str(path), f"damaged OpenDocument text: {type(exc).__name__}: {exc}") from exc
    body = root.find(f"{OFFICE}body/{OFFICE}text")
    if body is None:
        raise RejectedInput(str(path), "OpenDocument file without a text body (a spreadsheet or a drawing?)")
    roots = (root,) if styles_root is None else (styles_root, root)
    reader = _Reader(_Styles(*roots), _Numbering(*roots))
    layout = layout_of(reader.flow(body), source)
    if not layout.blocks:
        raise RejectedInput(str(path), "empty OpenDocument text (no text)")
    return layout
