"""Decide what a file is from its first bytes, never from its name."""

from __future__ import annotations

from pipeline.errors import RejectedInput

_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"PK\x03\x04", "a ZIP archive (or an Office document)"),
    (b"\xd0\xcf\x11\xe0", "an old Office document"),
    (b"{\\rtf", "an RTF document"),
)


_HTML_STARTS = (b"<!doctype html", b"<html")


def is_html(head: bytes) -> bool:
    """A saved web page: starts with a doctype or <html>, after a BOM, blanks and comments
    ("<!-- saved from url=… -->").  Text with HTML fragments inside (the seeds) is not a page."""
    head = head.lstrip()
    if head.startswith(b"<?xml") and b"?>" in head:  # an XHTML page's XML declaration
        head = head[head.index(b"?>") + 2:].lstrip()
    while head.startswith(b"<!--") and b"-->" in head:
        head = head[head.index(b"-->") + 3:].lstrip()
    return head[:14].lower().startswith(_HTML_STARTS)


def is_mhtml(head: bytes) -> bool:
    """A page saved as one file ("Webpage, Single File", .mhtml): a MIME multipart/related message."""
    lower = head[:2048].lower()
    return (head.startswith(b"From: <Saved by") or lower.startswith(b"mime-version:")
            or b"\nmime-version:" in lower) and b"multipart/related" in lower


def sniff_format(data: bytes, path: str) -> str:
    """'pdf', 'html', 'mhtml' or 'text'; raises RejectedInput for empty files and known binary formats."""
    if not data:
        raise RejectedInput(path, "empty file (0 bytes)")
    head = data[:1024].lstrip(b"\xef\xbb\xbf")
    if head.startswith(b"%PDF-") or (b"%PDF-" in head[:1024] and not _is_text(head)):
        return "pdf"
    for magic, what in _SIGNATURES:
        if head.startswith(magic):
            shown = magic.decode("latin-1").encode("unicode_escape").decode("ascii")
            expected = ", not %PDF-" if path.lower().endswith(".pdf") else ""
            raise RejectedInput(path, f"not a PDF or text document: file starts with the signature of {what} "
                                      f"({shown}){expected}")
    if b"\x00" in data[:4096]:
        raise RejectedInput(path, "binary file (NUL bytes), neither a PDF nor a text document")
    if is_html(head):
        return "html"
    if is_mhtml(head):
        return "mhtml"
    if path.lower().endswith(".pdf"):
        raise RejectedInput(path, "not a PDF: file has a .pdf name but does not start with %PDF-")
    return "text"


def _is_text(head: bytes) -> bool:
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
