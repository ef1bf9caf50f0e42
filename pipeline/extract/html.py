"""HTML front end: a saved web page (the France Compétences fiche page) -> Layout.

A page saved as one file (.mhtml, "Webpage, Single File") is read from its HTML part.

The DOM is read with lxml.html (tolerant of the broken markup saved pages carry) and walked once in
document order.  Headings (``h1``–``h6`` and accordion ``button``\\ s) become HEADING blocks, list items
LIST_ITEM blocks (a nested list stays inside its item's text, as sub-items of a compétence belong
to it), each ``tr`` a TABLE_ROW whose cells hold one paragraph per ``p``/``li``/line, and
every other run of text a PARAGRAPH.  A ``<br>`` ends a line: the next line is a block without a gap
before it (a wrapped continuation, as in the text copies of the page: "Certification" / "remplacée
par").  Scripts, styles and the ``<head>`` are not content; images are left out (their alt texts are
decoration, "Icon de …").

Provenance: a block's ``order`` is its rank in DOM order (``page`` is None, as for text files): the
order a reader of the page sees, stable whatever the file's line breaks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.errors import RejectedInput
from pipeline.records import Block, BlockKind, Cell, Layout, Marker, Para, Source

_SKIP = {"head", "script", "style", "noscript", "template", "svg", "img", "iframe", "object", "select",
         "input", "textarea"}
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6", "button", "summary", "legend"}
_BLOCKS = {"p", "div", "section", "article", "header", "footer", "nav", "main", "aside", "ul", "ol", "dl",
           "dt", "dd", "blockquote", "figure", "figcaption", "address", "form", "fieldset", "pre", "hr",
           "body", "html", "details", "caption", "thead", "tbody", "tfoot"}


Element = Any  # lxml.html.HtmlElement (lxml ships no type stubs)

_XML_DECLARATION_RE = re.compile(r"^\s*<\?xml[^>]*\?>")


def _clean(text: str) -> str:
    return " ".join(text.replace("\u00a0", " ").split())


@dataclass
class _Builder:
    """Collects blocks in document order; ``line`` is the pending inline text of the current block."""

    blocks: list[Block] = field(default_factory=list)
    line: list[str] = field(default_factory=list)
    kind: BlockKind = BlockKind.PARAGRAPH
    marker: str | None = None
    gap: bool = True
    tables: int = 0

    def text(self, s: str | None) -> None:
        if s:
            self.line.append(s)

    def flush(self, *, wrapped: bool = False) -> None:
        """End the pending block; ``wrapped`` (a <br>): the next block continues this one."""
        text = _clean("".join(self.line))
        self.line = []
        if text:
            self.blocks.append(Block(kind=self.kind, text=text, page=None, order=len(self.blocks),
                                     marker=self.marker if self.kind is BlockKind.LIST_ITEM else None,
                                     gap_before=self.gap))
            self.gap = not wrapped
        elif not wrapped:
            self.gap = True


def _tag(el: object) -> str:
    tag = getattr(el, "tag", None)
    return tag.lower() if isinstance(tag, str) else ""


def _walk(el: Element, b: _Builder) -> None:
    tag = _tag(el)
    if tag in _SKIP or not tag:
        b.text(el.tail)  # a comment or a skipped element still leaves its tail text in the flow
        return
    if tag == "br":
        b.flush(wrapped=True)
        b.text(el.tail)
        return
    if tag == "table":
        b.flush()
        _table(el, b)
        b.text(el.tail)
        return
    if tag == "li":  # a list item is one block, its nested list (sub-items) kept inside its text
        b.flush()
        saved = (b.kind, b.marker)
        b.kind, b.marker = BlockKind.LIST_ITEM, _marker(el)
        b.text(" ".join(_texts(el)))
        b.flush()
        b.kind, b.marker = saved
        b.text(el.tail)
        return
    heading = tag in _HEADINGS
    if heading or tag in _BLOCKS:
        b.flush()
        saved = (b.kind, b.marker)
        if heading:
            b.kind = BlockKind.HEADING
        b.text(el.text)
        for child in el:
            _walk(child, b)
        b.flush()
        b.kind, b.marker = saved
    else:  # inline: its text joins the pending block
        b.text(el.text)
        for child in el:
            _walk(child, b)
    b.text(el.tail)


def _texts(el: Element) -> list[str]:
    """The text of ``el`` and its descendants, skipped elements (scripts, images) left out."""
    out = [el.text or ""]
    for child in el:
        if _tag(child) and _tag(child) not in _SKIP:
            out += _texts(child)
        out.append(child.tail or "")
    return out


def _marker(li: Element) -> str:
    parent = li.getparent()
    if parent is not None and _tag(parent) == "ol":
        return f"{[c for c in parent if _tag(c) == 'li'].index(li) + 1}."
    return "•"


def _table(table: Element, b: _Builder) -> None:
    """One TABLE_ROW per ``tr`` (nested tables are read as text of their cell)."""
    b.tables += 1
    for tr in table.iter("tr"):
        if _enclosing_table(tr) is not table:
            continue
        cells = tuple(_cell(td) for td in tr if _tag(td) in ("td", "th"))
        if not cells:
            continue
        in_head = any(_tag(a) == "thead" for a in tr.iterancestors())
        header = in_head or all(_tag(td) == "th" for td in tr if _tag(td) in ("td", "th"))
        b.blocks.append(Block(kind=BlockKind.TABLE_ROW, text=" | ".join(c.text for c in cells), page=None,
                              order=len(b.blocks), cells=cells, table=b.tables, header=header,
                              gap_before=True))
    b.gap = True


def _enclosing_table(el: Element) -> Element | None:
    return next((a for a in el.iterancestors() if _tag(a) == "table"), None)


def _cell(td: Element) -> Cell:
    """A cell's paragraphs: each ``p``/``li``/``div`` and each ``<br>``-separated line is one."""
    inner = _Builder()
    inner.text(td.text)
    for child in td:
        _walk(child, inner)
    inner.flush()
    paras = tuple(Para(text=blk.text, marker=Marker.BULLET if blk.kind is BlockKind.LIST_ITEM else None)
                  for blk in inner.blocks if blk.text)
    return Cell(paras=paras)


def layout_from_html(text: str, source: Source) -> Layout:
    import lxml.html
    from lxml.etree import ParserError

    text = _XML_DECLARATION_RE.sub("", text, count=1)  # lxml refuses str input that declares an encoding
    try:
        root = lxml.html.document_fromstring(text)
    except (ParserError, ValueError) as exc:
        raise RejectedInput(source.path, f"HTML cannot be parsed: {exc}") from exc
    body = root.find("body")
    b = _Builder()
    _walk(body if body is not None else root, b)
    b.flush()
    return Layout(source=source, blocks=tuple(b.blocks))


def html_of_mhtml(data: bytes, path: str) -> bytes:
    """The page of a single-file save (.mhtml): the first text/html part of the MIME message, decoded
    from its transfer encoding (quoted-printable, base64) and re-encoded as UTF-8."""
    import email
    from email import policy

    message = email.message_from_bytes(data, policy=policy.default)
    for part in message.walk():
        if part.get_content_type() == "text/html":
            raw = part.get_payload(decode=True)
            if isinstance(raw, bytes):
                charset = part.get_content_charset() or "utf-8"
                try:
                    return raw.decode(charset).encode("utf-8")
                except (LookupError, UnicodeDecodeError):
                    return raw
    raise RejectedInput(path, "MHTML file without an HTML part (a page saved as a single file holds one)")


def extract_html(path: Path, data: bytes, source: Source) -> Layout:
    """Layout of a saved HTML page; its notes say when the encoding had to be transcoded."""
    from pipeline.extract.text import decode

    text, note = decode(data, str(path))
    layout = layout_from_html(text, source)
    if not layout.blocks:
        raise RejectedInput(str(path), "HTML page without any text")
    return Layout(source=layout.source, blocks=layout.blocks, notes=(note,) if note else ())
