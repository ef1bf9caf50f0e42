"""PDF front end: pdfplumber -> ``Layout`` (the same layout model the text front end produces).

The PDF is opened once, from the bytes the caller read (``io.BytesIO``).  Each page is parsed once:
while it is open, ``read_page`` takes its words (``extract_words`` with font name and size), its
tables (``find_tables``, see ``pdf_tables``) and its horizontal rules, then the page is closed (its
pdfminer layout and object caches freed) before the next one is read.  Everything after that works on
those compact per-page records (``pdf_layout.build_layout``): page furniture found and removed across
pages, paragraphs and list items, table rows with cells of paragraphs, rows cut by a page break
stitched back together.

Rejections are ``RejectedInput`` with a reason a user can act on; no partial document is ever
returned: if any page cannot be read, the whole file is rejected.  A PDF with more pages than the
page limit (``pipeline.limits``) is rejected from its page tree, before any page is parsed.
"""

from __future__ import annotations

import dataclasses
import io
import logging
from pathlib import Path
from typing import Any

from pipeline.errors import RejectedInput
from pipeline.extract.pdf.layout import PageData, build_layout
from pipeline.extract.pdf.lines import Word, word_from_pdfplumber
from pipeline.extract.pdf.tables import RawTable, find_page_tables
from pipeline.limits import active, over_pages
from pipeline.records import Layout, Source

WORD_ATTRS = ["fontname", "size"]
_EOF_WINDOW = 2048

# pdfminer is chatty about the broken files we reject anyway
for _name in ("pdfminer", "pdfminer.pdfparser", "pdfminer.pdfdocument", "pdfminer.pdfpage"):
    logging.getLogger(_name).setLevel(logging.ERROR)


def extract_pdf(path: Path, data: bytes, source: Source) -> Layout:
    """Read a PDF's bytes into a ``Layout``; ``source.pages`` is filled in."""
    import pdfplumber
    from pdfplumber.utils.exceptions import PdfminerException

    where = str(path)
    _check_complete(data, where)
    try:
        pdf = pdfplumber.open(io.BytesIO(data), unicode_norm="NFC")
    except PdfminerException as exc:
        raise RejectedInput(where, _open_reason(exc)) from exc
    except Exception as exc:  # noqa: BLE001 - pdfminer raises many unrelated types on broken files
        raise RejectedInput(where, f"corrupt PDF: cannot be opened ({_describe(exc)})") from exc
    with pdf:
        try:
            page_list = pdf.pages
        except Exception as exc:  # noqa: BLE001
            raise RejectedInput(where, f"corrupt PDF: page tree unreadable ({_describe(exc)})") from exc
        if not page_list:
            raise RejectedInput(where, "PDF has no pages")
        if (too_many := over_pages(len(page_list), active())) is not None:  # before any page is parsed
            raise RejectedInput(where, too_many)
        pages: list[PageData] = []
        prev: RawTable | None = None
        for number, page in enumerate(page_list, start=1):
            try:
                data_page = read_page(page, number, prev)
            except RejectedInput:
                raise
            except Exception as exc:  # noqa: BLE001 - never keep a partial document
                raise RejectedInput(where, f"corrupt PDF: page {number} cannot be read ({_describe(exc)})",
                                    page=number) from exc
            finally:
                page.close()
            pages.append(data_page)
            prev = data_page.tables[-1] if data_page.tables else None
    _check_text_layer(pages, where)
    return build_layout(pages, dataclasses.replace(source, pages=len(pages)))


def read_page(page: Any, number: int, prev: RawTable | None) -> PageData:  # a pdfplumber Page
    """Everything the layout needs from one open page, in one pass over its objects."""
    raw_words = page.extract_words(extra_attrs=WORD_ATTRS)
    words: list[Word] = []
    bad = 0
    for w in raw_words:
        text = w["text"]
        if "(cid:" in text or "\ufffd" in text:
            bad += 1
            continue
        word = word_from_pdfplumber(w)
        if word is not None:
            words.append(word)
    tables = find_page_tables(page, words, prev)
    width, height = float(page.width), float(page.height)
    rules = [(float(ln["top"]), float(ln["x0"]), float(ln["x1"])) for ln in page.lines
             if abs(ln["bottom"] - ln["top"]) <= 1]
    rules += [(float(r["top"]), float(r["x0"]), float(r["x1"])) for r in page.rects
              if r["bottom"] - r["top"] <= 2.5]
    image_area = 0.0
    for im in page.images:
        x0, x1 = max(0.0, float(im["x0"])), min(width, float(im["x1"]))
        top, bottom = max(0.0, float(im["top"])), min(height, float(im["bottom"]))
        if x1 > x0 and bottom > top:
            image_area += (x1 - x0) * (bottom - top)
    return PageData(number=number, width=width, height=height, words=words, tables=tables, rules=rules,
                    raw_words=len(raw_words), bad_words=bad,
                    image_cover=min(1.0, image_area / (width * height)) if width and height else 0.0)


def _check_complete(data: bytes, where: str) -> None:
    """A PDF ends with %%EOF: without it the file was cut short, and a repairing parser would load a part.

    Whitespace or NUL padding after the marker is fine; more than ``_EOF_WINDOW`` bytes of anything
    else is an update that was cut off.
    """
    end = data.rfind(b"%%EOF")
    if end < 0:
        raise RejectedInput(where, f"truncated/corrupt PDF: no %%EOF marker at the end of the file "
                                   f"({len(data)} bytes; the file is incomplete)")
    rest = data[end + 5:].strip(b" \t\r\n\f\x00")
    if len(rest) > _EOF_WINDOW:
        raise RejectedInput(where, f"truncated/corrupt PDF: {len(rest)} bytes after the last %%EOF marker "
                                   "(an incomplete update of the file)")


def _check_text_layer(pages: list[PageData], where: str) -> None:
    words = sum(len(p.words) for p in pages)
    bad = sum(p.bad_words for p in pages)
    if words == 0 and bad == 0:
        scanned = sum(1 for p in pages if p.image_cover > 0.3)
        what = f"{scanned} of {len(pages)} page(s) are images only" if scanned else "no text on any page"
        raise RejectedInput(where, f"no text layer (needs OCR): scanned/image-only PDF, {what}; "
                                   "OCR is not part of the pipeline")
    if bad and bad > 0.05 * (words + bad):
        raise RejectedInput(where, f"no usable text layer: {bad} of {words + bad} words use fonts without a "
                                   "Unicode mapping (cid glyphs); the text cannot be read reliably")
    # a scanned page among text pages (no text but its furniture) is caught by build_layout


def _open_reason(exc: Exception) -> str:
    inner = exc.args[0] if exc.args else exc
    name = type(inner).__name__
    if "Password" in name or "Encrypt" in name or "encrypt" in str(inner).lower():
        return "password-protected PDF (no password supplied)"
    if name in ("PSEOF", "PSSyntaxError", "PDFSyntaxError", "PDFNoValidXRef"):
        return f"truncated/corrupt PDF: {_describe(inner)}"
    return f"corrupt PDF: cannot be opened ({_describe(inner)})"


def _describe(exc: BaseException) -> str:
    """``Type: message`` of an exception (pdfplumber wraps pdfminer's in ``PdfminerException``)."""
    if exc.args and isinstance(exc.args[0], BaseException):
        exc = exc.args[0]
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text and text != type(exc).__name__ else type(exc).__name__
