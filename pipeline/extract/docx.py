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
list style.  Automatic numbering is rendered as Word displays it (``_Numbering``: "1.", "2)", "a)",
"IV"), since the parsers read a capacity's or a section's number from its text: a capacity numbered
by Word reads as the same "1. Préparer …" as a typed one.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

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

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
#: text under these is not the document's text: a text box's fallback copy, tracked deletions and moves away
_NOT_TEXT = {_MC_FALLBACK, f"{W}del", f"{W}moveFrom"}
_WRAPPERS = {f"{W}sdt", f"{W}sdtContent", f"{W}customXml", f"{W}smartTag"}
_TEXT_TAGS = {f"{W}t": None, f"{W}tab": " ", f"{W}br": " ", f"{W}cr": " ", f"{W}noBreakHyphen": "-"}


class _Styles:
    """Style id -> (name, outline level, numbered) from the styles part, following ``w:basedOn``."""

    def __init__(self, styles_element: Any) -> None:
        self._raw: dict[str, tuple[str | None, int | None, NumRef | None, str | None]] = {}
        if styles_element is None:
            return
        for s in styles_element.iter(f"{W}style"):
            sid = s.get(f"{W}styleId")
            if not sid:
                continue
            name = s.find(f"{W}name")
            based = s.find(f"{W}basedOn")
            ppr = s.find(f"{W}pPr")
            self._raw[sid] = (name.get(f"{W}val") if name is not None else sid, _outline(ppr), _num_ref(ppr),
                              based.get(f"{W}val") if based is not None else None)

    def resolve(self, sid: str | None) -> tuple[str | None, int | None, NumRef | None]:
        """(name, outline level, numbering) of a style, the nearest definition along ``w:basedOn`` winning."""
        name: str | None = None
        level: int | None = None
        num: NumRef | None = None
        seen: set[str] = set()
        while sid and sid in self._raw and sid not in seen:
            seen.add(sid)
            n, lvl, ref, based = self._raw[sid]
            name = name or n
            level = level if level is not None else lvl
            num = num or ref
            sid = based
        return name, level, num


NumRef = tuple[str, int | None]  # (numId, ilvl or None when not given)


def _num_ref(ppr: Any) -> NumRef | None:
    num = ppr.find(f"{W}numPr") if ppr is not None else None
    if num is None:
        return None
    num_id, ilvl = num.find(f"{W}numId"), num.find(f"{W}ilvl")
    level = ilvl.get(f"{W}val", "") if ilvl is not None else ""
    return (num_id.get(f"{W}val", "") if num_id is not None else "", int(level) if level.isdigit() else None)


_FORMATS: dict[str, Callable[[int], str]] = {
    "decimal": str, "decimalZero": lambda n: f"{n:02d}", "lowerLetter": letters,
    "upperLetter": lambda n: letters(n).upper(), "lowerRoman": roman, "upperRoman": lambda n: roman(n).upper()}
_LEVEL_TEXT_RE = re.compile(r"%([1-9])")


class _Numbering:
    """Word's automatic numbering (the numbering part), rendered as the label Word displays ("1.", "a)").

    Counters are kept per abstract numbering, as Word does (two lists that share one continue each other),
    a level's counter restarting when a higher level is numbered; a ``w:startOverride`` restarts its list
    where that list is first used.  Bullets and unknown formats have no label."""

    def __init__(self, element: Any) -> None:
        self._levels: dict[str, dict[int, tuple[str, str, int]]] = {}  # abstract id -> ilvl -> (fmt, text, start)
        self._nums: dict[str, tuple[str, dict[int, int]]] = {}  # numId -> (abstract id, ilvl -> start override)
        self._counters: dict[str, list[int | None]] = {}
        self._restart: set[str] = set()
        if element is None:
            return
        for abstract in element.iter(f"{W}abstractNum"):
            levels: dict[int, tuple[str, str, int]] = {}
            for lvl in abstract.iter(f"{W}lvl"):
                fmt, text, start = (lvl.find(f"{W}{tag}") for tag in ("numFmt", "lvlText", "start"))
                ilvl = lvl.get(f"{W}ilvl", "0")
                start_value = start.get(f"{W}val", "1") if start is not None else "1"
                levels[int(ilvl) if ilvl.isdigit() else 0] = (
                    fmt.get(f"{W}val", "decimal") if fmt is not None else "decimal",
                    text.get(f"{W}val", "") if text is not None else "",
                    int(start_value) if start_value.lstrip("-").isdigit() else 1)
            self._levels[abstract.get(f"{W}abstractNumId", "")] = levels
        for num in element.iter(f"{W}num"):
            ref = num.find(f"{W}abstractNumId")
            overrides: dict[int, int] = {}
            for override in num.iter(f"{W}lvlOverride"):
                start = override.find(f"{W}startOverride")
                ilvl, value = override.get(f"{W}ilvl", "0"), start.get(f"{W}val", "") if start is not None else ""
                if start is not None and ilvl.isdigit() and value.isdigit():
                    overrides[int(ilvl)] = int(value)
            num_id = num.get(f"{W}numId", "")
            self._nums[num_id] = (ref.get(f"{W}val", "") if ref is not None else "", overrides)
            if overrides:
                self._restart.add(num_id)

    def is_list(self, ref: NumRef | None) -> bool:
        return ref is not None and ref[0] not in ("", "0")

    def label(self, ref: NumRef) -> str | None:
        """The label of the next paragraph numbered by ``ref`` (counting it), None for a bullet."""
        num_id, ilvl = ref[0], ref[1] or 0
        abstract, overrides = self._nums.get(num_id, ("", {}))
        levels = self._levels.get(abstract)
        if not levels or ilvl not in levels:
            return None
        counters = self._counters.setdefault(abstract, [None] * 10)
        if num_id in self._restart:  # a list restarted by its own start values
            self._restart.discard(num_id)
            counters[:] = [None] * 10
        start = overrides.get(ilvl, levels[ilvl][2])
        current = counters[ilvl]
        counters[ilvl] = start if current is None else current + 1
        for deeper in range(ilvl + 1, len(counters)):
            counters[deeper] = None
        fmt, text, _ = levels[ilvl]
        if fmt not in _FORMATS or not text:
            return None

        def value(m: re.Match[str]) -> str:
            k = int(m.group(1)) - 1
            level = levels.get(k)
            at = counters[k]
            count = at if at is not None else (level[2] if level else 1)
            render = _FORMATS.get(level[0] if level else "decimal", str)
            return render(count)

        return _LEVEL_TEXT_RE.sub(value, text)


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
        if any(a.tag in _NOT_TEXT for a in el.iterancestors()):
            continue
        fixed = _TEXT_TAGS[el.tag]
        out.append(el.text or "" if fixed is None else fixed)
    return "".join(out)


def _para(p: Any, styles: _Styles, numbering: _Numbering) -> OfficePara:
    ppr = p.find(f"{W}pPr")
    style_el = ppr.find(f"{W}pStyle") if ppr is not None else None
    name, style_level, style_num = styles.resolve(style_el.get(f"{W}val") if style_el is not None else None)
    own_level = _outline(ppr)
    own_num = _num_ref(ppr)
    ref = own_num or style_num
    if own_num is not None and style_num is not None:  # the paragraph's numPr completes the style's
        ref = (own_num[0] or style_num[0], own_num[1] if own_num[1] is not None else style_num[1])
    in_list = numbering.is_list(ref)
    label = numbering.label(ref) if ref is not None and in_list else None
    text = _text(p)
    if label and text.strip():
        text = f"{label} {text.lstrip()}"
    return OfficePara(text=text, style=name, outline_level=own_level if own_level is not None else style_level,
                      in_list=in_list, numbered=label is not None)


def _cell_paras(tc: Any, styles: _Styles, numbering: _Numbering) -> Iterator[OfficePara]:
    for child in tc.iter(f"{W}p"):  # nested tables' paragraphs too, in document order
        yield _para(child, styles, numbering)


def _table(tbl: Any, styles: _Styles, numbering: _Numbering) -> OfficeTable:
    rows: list[OfficeRow] = []
    for tr in _children(tbl, f"{W}tr"):
        header_el = tr.find(f"{W}trPr/{W}tblHeader")
        header = header_el is not None and header_el.get(f"{W}val", "true") not in ("0", "false", "off")
        cells: list[OfficeCell] = []
        for tc in _children(tr, f"{W}tc"):
            merge = tc.find(f"{W}tcPr/{W}vMerge")
            continues = merge is not None and merge.get(f"{W}val", "continue") != "restart"
            cells.append(OfficeCell(paras=tuple(_cell_paras(tc, styles, numbering)), continues_above=continues))
            span = tc.find(f"{W}tcPr/{W}gridSpan")
            extra = int(span.get(f"{W}val", "1")) - 1 if span is not None and span.get(f"{W}val", "").isdigit() else 0
            cells.extend(OfficeCell(paras=()) for _ in range(min(extra, 63)))  # keep the columns aligned
        rows.append(OfficeRow(cells=tuple(cells), header=header))
    return OfficeTable(rows=tuple(rows))


def _parts(body: Any, styles: _Styles, numbering: _Numbering) -> Iterator[Part]:
    for child in body:
        if child.tag == f"{W}p":
            yield _para(child, styles, numbering)
        elif child.tag == f"{W}tbl":
            yield _table(child, styles, numbering)
        elif child.tag in _WRAPPERS:
            yield from _parts(child, styles, numbering)


def _numbering_element(document: Any) -> Any:
    try:
        return document.part.numbering_part.element
    except (KeyError, NotImplementedError):  # no numbering part: nothing is numbered
        return None


def extract_docx(path: Path, data: bytes, source: Source) -> Layout:
    """Layout of a Word document; a damaged or non-Word package is rejected with the reason."""
    import docx  # python-docx: only imported for Word files
    from docx.opc.exceptions import PackageNotFoundError

    check_archive(data, str(path))
    try:
        document = docx.Document(io.BytesIO(data))
        styles_part = document.part._styles_part  # noqa: SLF001 - the parsed styles part, not the proxy API
        styles = _Styles(styles_part.element if styles_part is not None else None)
        numbering = _Numbering(_numbering_element(document))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise RejectedInput(str(path), f"not a readable Word document: {type(exc).__name__}: {exc}") from exc
    except MemoryError:  # the memory limit (a bomb), not a damaged file: the executor names it
        raise
    except Exception as exc:  # lxml's XMLSyntaxError and python-docx's own errors: a damaged package
        raise RejectedInput(str(path), f"damaged Word document: {type(exc).__name__}: {exc}") from exc
    layout = layout_of(_parts(document.element.body, styles, numbering), source)
    if not layout.blocks:
        raise RejectedInput(str(path), "empty Word document (no text)")
    return layout
