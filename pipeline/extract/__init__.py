"""Front ends: ``extract(path) -> Layout``, the front end chosen from the content, not the name.

Each front end (text, PDF, HTML, Word .docx, OpenDocument .odt) reads a file into the one layout
model of ``pipeline.records``; the structural parsers (``pipeline.parse``) never see which front end
made it.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from pipeline.errors import RejectedInput
from pipeline.extract.sniff import sniff_format
from pipeline.records import Layout, Source


def source_of(path: Path, data: bytes, fmt: str, pages: int | None = None) -> Source:
    return Source(path=str(path), sha256=hashlib.sha256(data).hexdigest(), format=fmt, pages=pages,
                  size=len(data))


def extract(path: Path | str, data: bytes | None = None) -> Layout:
    """Read a file into the layout model; the front end is chosen from the content, not the name.

    ``data``: the file's bytes when the caller has read them already (the ingest reads each file once and
    hands the bytes it hashed; ``path`` then only names them)."""
    path = Path(path)
    if data is None:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise RejectedInput(str(path), f"cannot read file: {exc.strerror or exc}") from exc
    fmt = sniff_format(data, str(path))
    if fmt == "pdf":
        from pipeline.extract.pdf import extract_pdf  # pdfplumber is only imported for PDFs

        return extract_pdf(path, data, source_of(path, data, "pdf"))
    if fmt in ("html", "mhtml"):
        from pipeline.extract.html import extract_html, html_of_mhtml  # lxml only for web pages

        page = html_of_mhtml(data, str(path)) if fmt == "mhtml" else data
        return extract_html(path, page, source_of(path, data, "html"))
    if fmt == "docx":
        from pipeline.extract.docx import extract_docx

        return extract_docx(path, data, source_of(path, data, "docx"))
    if fmt == "odt":
        from pipeline.extract.odt import extract_odt

        return extract_odt(path, data, source_of(path, data, "odt"))
    from pipeline.extract.text import extract_text

    return extract_text(path, data, source_of(path, data, "text"))


__all__ = ["extract", "source_of", "RejectedInput"]
