"""Decide what a file is from its first bytes, never from its name.

Word (.docx) and OpenDocument text (.odt) files are zips: they are told apart from other zips by
their members (``word/document.xml`` with ``[Content_Types].xml``; a ``mimetype`` member saying
``application/vnd.oasis.opendocument.text``), whatever the file is called.
"""

from __future__ import annotations

import io
import zipfile

from pipeline.errors import RejectedInput

ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"
#: the stream an encrypted .docx keeps its package in (an OLE compound file, UTF-16 names)
_ENCRYPTED_OOXML = "EncryptedPackage".encode("utf-16-le")

_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"PK\x03\x04", "a ZIP archive (or an Office document)"),
    (b"\xd0\xcf\x11\xe0", "an old Office document (Word 97-2003 .doc, .xls: save it as .docx or PDF)"),
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


#: the byte-order marks of the Unicode encodings whose text of French is full of NUL bytes, UTF-32's first:
#: its little-endian mark (FF FE 00 00) starts with UTF-16's (FF FE)
_BOMS = ((b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"),
         (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))


def unicode_bom(data: bytes) -> str | None:
    """'utf-32' or 'utf-16' when ``data`` starts with that encoding's byte-order mark (Windows "Unicode"
    text is UTF-16: every other byte of French text is NUL), else None."""
    return next((encoding for bom, encoding in _BOMS if data.startswith(bom)), None)


def bom_text_encoding(data: bytes, path: str) -> str | None:
    """The encoding to decode ``data`` with when it starts with a UTF-16/UTF-32 byte-order mark, None when it
    has none; a length that is no whole number of that encoding's characters (a cut file) is rejected
    (RejectedInput), not reported as a NUL byte."""
    encoding = unicode_bom(data)
    if encoding is None:
        return None
    unit = 4 if encoding == "utf-32" else 2
    if len(data) % unit:
        raise RejectedInput(path, f"{encoding.upper()} text (byte-order mark) of {len(data)} bytes, not a whole "
                                  f"number of {unit}-byte characters: the file is cut or damaged")
    return encoding


def sniff_format(data: bytes, path: str) -> str:
    """'pdf', 'html', 'mhtml', 'docx', 'odt' or 'text'; raises RejectedInput for empty files and known
    binary formats."""
    if not data:
        raise RejectedInput(path, "empty file (0 bytes)")
    head = data[:1024].lstrip(b"\xef\xbb\xbf")
    if head.startswith(b"%PDF-") or (b"%PDF-" in head[:1024] and not _is_text(head)):
        return "pdf"
    if head.startswith(b"PK\x03\x04") and (office := office_format(data)) is not None:
        return office
    if head.startswith(b"PK\x03\x04") and (other := other_office(data)) is not None:
        raise RejectedInput(path, f"{other}, not a référentiel or fiche document: save the document as .docx, "
                                  ".odt or PDF and ingest that")
    if head.startswith(b"\xd0\xcf\x11\xe0") and _ENCRYPTED_OOXML in data:
        raise RejectedInput(path, "password-protected Office document: save it without a password "
                                  "(File > Info > Protect document in Word) and ingest it again")
    for magic, what in _SIGNATURES:
        if head.startswith(magic):
            shown = magic.decode("latin-1").encode("unicode_escape").decode("ascii")
            expected = ", not %PDF-" if path.lower().endswith(".pdf") else ""
            raise RejectedInput(path, f"not a PDF or text document: file starts with the signature of {what} "
                                      f"({shown}){expected}")
    if b"\x00" in data[:4096] and bom_text_encoding(data, path) is None:
        first = data.index(b"\x00")
        line = data.count(b"\n", 0, first) + 1
        raise RejectedInput(path, f"binary file (NUL byte at byte {first}, line {line}), neither a PDF nor a "
                                  "text document")
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


#: Office packages that hold no running text to read (a zip of XML parts, not an archive of files)
_OTHER_OFFICE = (("xl/workbook.xml", "an Excel workbook (.xlsx)"),
                 ("ppt/presentation.xml", "a PowerPoint presentation (.pptx)"))
_OTHER_ODF = {b"application/vnd.oasis.opendocument.spreadsheet": "an OpenDocument spreadsheet (.ods)",
              b"application/vnd.oasis.opendocument.presentation": "an OpenDocument presentation (.odp)"}


def other_office(data: bytes) -> str | None:
    """What a spreadsheet or presentation package is ("an Excel workbook (.xlsx)"), None for anything else:
    such a file is refused whole, never opened as a zip of XML members to read one by one."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            for part, what in _OTHER_OFFICE:
                if part in names and "[Content_Types].xml" in names:
                    return what
            if "mimetype" in names:
                return _OTHER_ODF.get(archive.read("mimetype")[:100].strip())
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError):
        return None
    return None


def office_format(data: bytes) -> str | None:
    """'docx' or 'odt' for a word-processor package (read from its members), None for another zip."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "word/document.xml" in names and "[Content_Types].xml" in names:
                return "docx"
            if "mimetype" in names and "content.xml" in names:
                mimetype = archive.read("mimetype")[:100].strip()
                return "odt" if mimetype == ODT_MIMETYPE else None
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError):
        return None
    return None
