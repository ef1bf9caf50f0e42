"""Front ends and parsers: ``extract(path) -> Layout`` and ``parse(layout) -> Document``."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

from pipeline.errors import RejectedInput
from pipeline.extract.kind import detect_kind
from pipeline.extract.sniff import sniff_format
from pipeline.records import Document, Kind, Layout, Source


def source_of(path: Path, data: bytes, fmt: str, pages: int | None = None) -> Source:
    return Source(path=str(path), sha256=hashlib.sha256(data).hexdigest(), format=fmt, pages=pages,
                  size=len(data))


def extract(path: Path | str) -> Layout:
    """Read a file into the layout model; the front end is chosen from the content, not the name."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RejectedInput(str(path), f"cannot read file: {exc.strerror or exc}") from exc
    fmt = sniff_format(data, str(path))
    if fmt == "pdf":
        from pipeline.extract.pdf import extract_pdf  # pdfplumber is only imported for PDFs

        return extract_pdf(path, data, source_of(path, data, "pdf"))
    if fmt == "html":
        from pipeline.extract.html import extract_html  # lxml is only imported for web pages

        return extract_html(path, data, source_of(path, data, "html"))
    from pipeline.extract.text import extract_text

    return extract_text(path, data, source_of(path, data, "text"))


def parse(layout: Layout) -> Document:
    """The structural parser of the document's kind, detected from its content."""
    kind = detect_kind(layout)
    if kind is Kind.CQPM:
        from pipeline.extract.cqpm import parse_cqpm

        document = parse_cqpm(layout)
    else:
        from pipeline.extract.rncp import parse_rncp

        document = parse_rncp(layout)
    if layout.notes:
        document = dataclasses.replace(document, reasons=document.reasons + layout.notes)
    return document


def extract_document(path: Path | str) -> Document:
    return parse(extract(path))


__all__ = ["extract", "parse", "extract_document", "source_of", "RejectedInput"]
