"""Word (.docx) front end: the document body -> the layout model (``office.layout_of``).

python-docx opens the package (relationships, the main part, the styles part, a hardened XML parser
that resolves no entities); the body is walked on its XML because python-docx's paragraph and cell
API loses what a référentiel needs: tracked insertions (``w:ins`` runs, absent from
``Paragraph.text``), content controls (``w:sdt``) around paragraphs, rows and cells, vertically
merged cells (``w:vMerge``: python-docx repeats the first cell's text in every merged row, which would
repeat a capacity), horizontal spans (``w:gridSpan``) and "repeat as header row" (``w:tblHeader``).

Text is the ``w:t`` of the runs (deleted text, ``w:delText``, is not part of the document any more;
field codes, ``w:instrText``, are not text; a text box's fallback copy is skipped), tabs and breaks
as spaces.  Headings are paragraphs with a heading style or an outline level (the paragraph's or its
style's); list items are paragraphs with numbering (``w:numPr``, the paragraph's or its style's) or a
list style.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pipeline.errors import RejectedInput
from pipeline.extract.office import OfficeCell, OfficePara, OfficeRow, OfficeTable, Part, check_archive, layout_of
from pipeline.records import Layout, Source

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_WRAPPERS = {f"{W}sdt", f"{W}sdtContent", f"{W}customXml", f"{W}smartTag"}
_TEXT_TAGS = {f"{W}t": None, f"{W}tab": " ", f"{W}br": " ", f"{W}cr": " ", f"{W}noBreakHyphen": "-"}


class _Styles:
    """Style id -> (name, outline level, numbered) from the styles part, following ``w:basedOn``."""

    def __init__(self, styles_element: Any) -> None:
        self._raw: dict[str, tuple[str | None, int | None, bool, str | None]] = {}
        if styles_element is None:
            return
        for s in styles_element.iter(f"{W}style"):
            sid = s.get(f"{W}styleId")
            if not sid:
                continue
            name = s.find(f"{W}name")
            based = s.find(f"{W}basedOn")
            ppr = s.find(f"{W}pPr")
            self._raw[sid] = (name.get(f"{W}val") if name is not None else sid, _outline(ppr),
                              ppr is not None and ppr.find(f"{W}numPr") is not None,
                              based.get(f"{W}val") if based is not None else None)

    def resolve(self, sid: str | None) -> tuple[str | None, int | None, bool]:
        name: str | None = None
        level: int | None = None
        numbered = False
        seen: set[str] = set()
        while sid and sid in self._raw and sid not in seen:
            seen.add(sid)
            n, lvl, num, based = self._raw[sid]
            name = name or n
            level = level if level is not None else lvl
            numbered = numbered or num
            sid = based
        return name, level, numbered


def _outline(ppr: Any) -> int | None:
    if ppr is None:
        return None
    lvl = ppr.find(f"{W}outlineLvl")
    if lvl is None:
        return None
    try:
        value = int(lvl.get(f"{W}val", "9"))
    except ValueError:
        return None
    return value + 1 if value < 9 else None  # 9 is "body text"


def _children(el: Any, tag: str) -> Iterator[Any]:
    """The ``tag`` children of ``el``, looking through content controls and custom XML wrappers."""
    for child in el:
        if child.tag == tag:
            yield child
        elif child.tag in _WRAPPERS:
            yield from _children(child, tag)


def _text(p: Any) -> str:
    out: list[str] = []
    for el in p.iter(*_TEXT_TAGS):
        if any(a.tag == _MC_FALLBACK for a in el.iterancestors()):
            continue
        fixed = _TEXT_TAGS[el.tag]
        out.append(el.text or "" if fixed is None else fixed)
    return "".join(out)


def _para(p: Any, styles: _Styles) -> OfficePara:
    ppr = p.find(f"{W}pPr")
    style_el = ppr.find(f"{W}pStyle") if ppr is not None else None
    name, style_level, style_numbered = styles.resolve(style_el.get(f"{W}val") if style_el is not None else None)
    own_level = _outline(ppr)
    numbered = ppr is not None and ppr.find(f"{W}numPr") is not None
    num_id = ppr.find(f"{W}numPr/{W}numId") if numbered else None
    if num_id is not None and num_id.get(f"{W}val") == "0":  # numId 0 removes the style's numbering
        numbered, style_numbered = False, False
    return OfficePara(text=_text(p), style=name, outline_level=own_level if own_level is not None else style_level,
                      in_list=numbered or style_numbered)


def _cell_paras(tc: Any, styles: _Styles) -> Iterator[OfficePara]:
    for child in tc.iter(f"{W}p"):  # nested tables' paragraphs too, in document order
        yield _para(child, styles)


def _table(tbl: Any, styles: _Styles) -> OfficeTable:
    rows: list[OfficeRow] = []
    for tr in _children(tbl, f"{W}tr"):
        header_el = tr.find(f"{W}trPr/{W}tblHeader")
        header = header_el is not None and header_el.get(f"{W}val", "true") not in ("0", "false", "off")
        cells: list[OfficeCell] = []
        for tc in _children(tr, f"{W}tc"):
            merge = tc.find(f"{W}tcPr/{W}vMerge")
            continues = merge is not None and merge.get(f"{W}val", "continue") != "restart"
            cells.append(OfficeCell(paras=tuple(_cell_paras(tc, styles)), continues_above=continues))
            span = tc.find(f"{W}tcPr/{W}gridSpan")
            extra = int(span.get(f"{W}val", "1")) - 1 if span is not None and span.get(f"{W}val", "").isdigit() else 0
            cells.extend(OfficeCell(paras=()) for _ in range(min(extra, 63)))  # keep the columns aligned
        rows.append(OfficeRow(cells=tuple(cells), header=header))
    return OfficeTable(rows=tuple(rows))


def _parts(body: Any, styles: _Styles) -> Iterator[Part]:
    for child in body:
        if child.tag == f"{W}p":
            yield _para(child, styles)
        elif child.tag == f"{W}tbl":
            yield _table(child, styles)
        elif child.tag in _WRAPPERS:
            yield from _parts(child, styles)


def extract_docx(path: Path, data: bytes, source: Source) -> Layout:
    """Layout of a Word document; a damaged or non-Word package is rejected with the reason."""
    import docx  # python-docx: only imported for Word files
    from docx.opc.exceptions import PackageNotFoundError

    check_archive(data, str(path))
    try:
        document = docx.Document(io.BytesIO(data))
        styles_part = document.part._styles_part  # noqa: SLF001 - the parsed styles part, not the proxy API
        styles = _Styles(styles_part.element if styles_part is not None else None)
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise RejectedInput(str(path), f"not a readable Word document: {type(exc).__name__}: {exc}") from exc
    except Exception as exc:  # lxml's XMLSyntaxError and python-docx's own errors: a damaged package
        raise RejectedInput(str(path), f"damaged Word document: {type(exc).__name__}: {exc}") from exc
    layout = layout_of(_parts(document.element.body, styles), source)
    if not layout.blocks:
        raise RejectedInput(str(path), "empty Word document (no text)")
    return layout
