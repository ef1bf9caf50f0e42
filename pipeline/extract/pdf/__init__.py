"""PDF front end: PDF bytes -> ``Layout`` (the same layout model the text front end produces).

Two backends read the pages (``REFPIPE_PDF_BACKEND`` or ``--pdf-backend``): ``pdfium`` (pypdfium2, the
default, ``pdf.pdfium``) and ``pdfplumber`` (the reference the fast one is tested against,
tests/extract/test_pdf_backends.py).  Either hands over the same ``PageObjects`` (``pdf.page``): words
with font name and size, lines, rects, curves, images, page size.  From there the front end is one:
``read_page`` finds the tables (``pdf.tables``), the rules and the image cover of each page, then
``pdf.layout.build_layout`` removes the page furniture found across pages, builds paragraphs and list
items, table rows with cells of paragraphs, and stitches rows cut by a page break.

The PDF is opened once, from the bytes the caller read.  Each page is read once and closed (its
parser objects, or pdfium's handles, freed) before the next one is read.  Rejections are
``RejectedInput`` with the same reasons whichever backend reads: no partial document is ever returned:
if any page cannot be read, the whole file is rejected.  A PDF with more pages than the page limit
(``pipeline.limits``) is rejected from its page tree, before any page is parsed.
"""

from __future__ import annotations

import dataclasses
import io
import logging
import os
from collections import Counter
from collections.abc import Generator
from contextlib import closing
from pathlib import Path
from typing import Any

from pipeline.errors import RejectedInput
from pipeline.extract.pdf.layout import PageData, build_layout
from pipeline.extract.pdf.lines import Word, word_from_parts
from pipeline.extract.pdf.page import DESCENT, PageGraphics, PageObjects
from pipeline.extract.pdf.tables import RawTable, find_page_tables
from pipeline.limits import active, over_pages
from pipeline.records import Layout, Source

ENV_BACKEND = "REFPIPE_PDF_BACKEND"
BACKENDS = ("pdfium", "pdfplumber")
DEFAULT_BACKEND = "pdfium"
WORD_ATTRS = ["fontname", "size"]
_EOF_WINDOW = 2048

# pdfminer is chatty about the broken files we reject anyway
for _name in ("pdfminer", "pdfminer.pdfparser", "pdfminer.pdfdocument", "pdfminer.pdfpage"):
    logging.getLogger(_name).setLevel(logging.ERROR)


def pdf_backend(name: str | None = None) -> str:
    """The backend to read PDFs with: ``name``, else ``REFPIPE_PDF_BACKEND``, else pdfium."""
    chosen = (name or os.environ.get(ENV_BACKEND) or DEFAULT_BACKEND).strip().lower()
    if chosen not in BACKENDS:
        raise ValueError(f"unknown PDF backend {chosen!r} (from {'--pdf-backend' if name else ENV_BACKEND}); "
                         f"choose one of: {', '.join(BACKENDS)}")
    return chosen


def extract_pdf(path: Path, data: bytes, source: Source, backend: str | None = None) -> Layout:
    """Read a PDF's bytes into a ``Layout``; ``source.pages`` is filled in."""
    where = str(path)
    reader = _pdfium_pages if pdf_backend(backend) == "pdfium" else _plumber_pages
    _check_complete(data, where)
    pages: list[PageData] = []
    prev: RawTable | None = None
    with closing(reader(data, where)) as read:  # the document is closed even when a page fails
        for number, objects in read:
            try:
                page = read_page(objects, number, prev)
            except RejectedInput:
                raise
            except Exception as exc:  # noqa: BLE001 - never keep a partial document
                raise RejectedInput(where, f"corrupt PDF: page {number} cannot be read ({_describe(exc)})",
                                    page=number) from exc
            pages.append(page)
            prev = page.tables[-1] if page.tables else None
    _check_text_layer(pages, where)
    return build_layout(pages, dataclasses.replace(source, pages=len(pages)))


def read_page(objects: PageObjects, number: int, prev: RawTable | None) -> PageData:
    """Everything the layout needs from one page a backend read: tables, rules, image cover."""
    page = objects.graphics
    tables = find_page_tables(page, objects.words, prev)
    width, height = objects.width, objects.height
    rules = [(float(ln["top"]), float(ln["x0"]), float(ln["x1"])) for ln in page.lines
             if abs(ln["bottom"] - ln["top"]) <= 1]
    rules += [(float(r["top"]), float(r["x0"]), float(r["x1"])) for r in page.rects
              if r["bottom"] - r["top"] <= 2.5]
    image_area = 0.0
    for ix0, itop, ix1, ibottom in objects.images:
        x0, x1 = max(0.0, ix0), min(width, ix1)
        top, bottom = max(0.0, itop), min(height, ibottom)
        if x1 > x0 and bottom > top:
            image_area += (x1 - x0) * (bottom - top)
    return PageData(number=number, width=width, height=height, words=objects.words, tables=tables, rules=rules,
                    raw_words=objects.raw_words, bad_words=objects.bad_words,
                    image_cover=min(1.0, image_area / (width * height)) if width and height else 0.0)


# ---------------------------------------------------------------------------------------------- pdfium


def _pdfium_pages(data: bytes, where: str) -> Generator[tuple[int, PageObjects], None, None]:
    """Pages read by pypdfium2; every page, text page and the document closed after use."""
    import pypdfium2 as pdfium

    from pipeline.extract.pdf.pdfium import read_pdfium_page

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise RejectedInput(where, _pdfium_open_reason(exc)) from exc
    try:
        count = len(pdf)
        if not count:
            raise RejectedInput(where, "PDF has no pages")
        if (too_many := over_pages(count, active())) is not None:  # before any page is parsed
            raise RejectedInput(where, too_many)
        for number in range(1, count + 1):
            try:
                page = pdf[number - 1]
            except Exception as exc:  # noqa: BLE001 - pdfium raises PdfiumError, ctypes others
                raise RejectedInput(where, f"corrupt PDF: page {number} cannot be read ({_describe(exc)})",
                                    page=number) from exc
            try:
                objects = read_pdfium_page(page)
            except Exception as exc:  # noqa: BLE001 - never keep a partial document
                raise RejectedInput(where, f"corrupt PDF: page {number} cannot be read ({_describe(exc)})",
                                    page=number) from exc
            finally:
                page.close()
            yield number, objects
    finally:
        pdf.close()


def _pdfium_open_reason(exc: Exception) -> str:
    text = str(exc)
    if "password" in text.lower() or "security" in text.lower():
        return "password-protected PDF (no password supplied)"
    return f"corrupt PDF: cannot be opened ({_describe(exc)})"


# ---------------------------------------------------------------------------------------------- pdfplumber


def _plumber_pages(data: bytes, where: str) -> Generator[tuple[int, PageObjects], None, None]:
    """Pages read by pdfplumber (the reference backend); each page closed before the next is read."""
    import pdfplumber
    from pdfplumber.utils.exceptions import PdfminerException

    try:
        pdf = pdfplumber.open(io.BytesIO(data), unicode_norm="NFC")
    except PdfminerException as exc:
        raise RejectedInput(where, _open_reason(exc)) from exc
    except MemoryError:  # the memory limit, not a corrupt file: the executor names it
        raise
    except Exception as exc:  # noqa: BLE001 - pdfminer raises many unrelated types on broken files
        _reraise_memory(exc)
        raise RejectedInput(where, f"corrupt PDF: cannot be opened ({_describe(exc)})") from exc
    with pdf:
        try:
            page_list = pdf.pages
        except MemoryError:
            raise
        except Exception as exc:  # noqa: BLE001
            _reraise_memory(exc)
            raise RejectedInput(where, f"corrupt PDF: page tree unreadable ({_describe(exc)})") from exc
        if not page_list:
            raise RejectedInput(where, "PDF has no pages")
        if (too_many := over_pages(len(page_list), active())) is not None:  # before any page is parsed
            raise RejectedInput(where, too_many)
        for number, page in enumerate(page_list, start=1):
            try:
                objects = plumber_page_objects(page)
            except MemoryError:
                raise
            except Exception as exc:  # noqa: BLE001 - never keep a partial document
                _reraise_memory(exc)
                raise RejectedInput(where, f"corrupt PDF: page {number} cannot be read ({_describe(exc)})",
                                    page=number) from exc
            finally:
                page.close()
            yield number, objects


def plumber_page_objects(page: Any) -> PageObjects:  # a pdfplumber Page
    """What the front end takes from an open pdfplumber page, in one pass over its objects."""
    raw_words = page.extract_words(extra_attrs=WORD_ATTRS)
    descents = _descents(page)
    words: list[Word] = []
    bad = 0
    for w in raw_words:
        text = w["text"]
        if "(cid:" in text or "\ufffd" in text:
            bad += 1
            continue
        size = float(w.get("size") or (w["bottom"] - w["top"]))
        # the box on the baseline as the pdfium backend puts it (page.DESCENT), not on the font's
        # declared descent: pdfminer's box bottom sits descent x size below the baseline
        shift = (DESCENT - descents.get(w.get("fontname") or "", DESCENT)) * size if w.get("upright", True) else 0.0
        word = word_from_parts(text, float(w["x0"]), float(w["top"]) + shift, float(w["x1"]),
                               float(w["bottom"]) + shift, size, w.get("fontname") or "")
        if word is not None:
            words.append(word)
    x0, top, x1, bottom = (float(v) for v in page.bbox)
    graphics = PageGraphics((x0, top, x1, bottom), page.lines, page.rects, page.curves)
    images = [(float(im["x0"]), float(im["top"]), float(im["x1"]), float(im["bottom"])) for im in page.images]
    return PageObjects(width=float(page.width), height=float(page.height), words=words, graphics=graphics,
                       images=images, raw_words=len(raw_words), bad_words=bad)


def _descents(page: Any) -> dict[str, float]:  # a pdfplumber Page
    """Per font, how far below the baseline pdfminer put its char boxes (a fraction of the size).

    pdfminer takes the font's declared descent; the baseline is the char matrix's origin (text rise
    aside, so the most common value per font is the font's).
    """
    seen: dict[str, Counter[float]] = {}
    height = float(page.height)
    for c in page.chars:
        if c.get("upright") and c["size"]:
            below = (c["bottom"] - (height - c["matrix"][5])) / c["size"]
            seen.setdefault(c["fontname"], Counter())[round(below, 4)] += 1
    return {font: counts.most_common(1)[0][0] for font, counts in seen.items()}


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


def _reraise_memory(exc: BaseException) -> None:
    """pdfplumber wraps pdfminer's errors, a MemoryError (the memory limit) included: raise it as such."""
    seen = 0
    inner: BaseException | None = exc
    while inner is not None and seen < 5:
        if isinstance(inner, MemoryError) or any(isinstance(a, MemoryError) for a in inner.args):
            raise MemoryError(str(inner)) from exc
        inner, seen = inner.__cause__ or inner.__context__, seen + 1


def _describe(exc: BaseException) -> str:
    """``Type: message`` of an exception (pdfplumber wraps pdfminer's in ``PdfminerException``)."""
    if exc.args and isinstance(exc.args[0], BaseException):
        exc = exc.args[0]
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text and text != type(exc).__name__ else type(exc).__name__
