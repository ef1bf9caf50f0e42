"""The bare passes the benchmarks compare refpipe with: one PDF's pages through pdfplumber's
``extract_words()``, or pypdfium2's text pages, nothing else (each returns the page count).

Only pdfplumber and pypdfium2 are imported, lazily, so a child process timing a bare pass pays its library's
imports and nothing of refpipe's (``bench_user.py``), and ``bench_pdf.py`` runs the same code in process.
"""

from __future__ import annotations

from pathlib import Path


def bare_plumber(path: Path) -> int:
    import pdfplumber

    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            page.extract_words()
            page.close()
        return len(pdf.pages)


def bare_pdfium(path: Path) -> int:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(path)
    try:
        for i in range(len(pdf)):
            page = pdf[i]
            text = page.get_textpage()
            text.get_text_range()
            text.close()
            page.close()
        return len(pdf)
    finally:
        pdf.close()
