"""Zip containers: a zip dropped in the inbox is opened and each member becomes its own source.

Why here and not in a front end: a zip holds several documents, while a front end turns one file into one
``Layout``.  Discovery (``pipeline.runtime.batch``) lists a zip's members with ``members``, hashes each
member's bytes (``read_member``) and hands them on as sources whose parent is the zip.

A zip is refused whole, with a reason, when it is hostile: a member name that climbs out of the archive
(``../``, an absolute path, a drive letter), more members than ``MAX_MEMBERS``, a member whose declared
size is ``MAX_RATIO`` times its compressed size (a zip bomb), or declared sizes adding up to more than
``MAX_TOTAL_FACTOR`` times the size limit.  Sizes are never trusted: a member is read with a cap (its
declared size, and the size limit), and one that inflates past it is refused too.  An empty zip (no file
in it: a download cut to its end record, an export replaced by an empty archive) is refused as such, not
skipped in silence.

An RNCP open-data export (members ``export-fiches-rncp-*.xml`` or its CSV set) is not a container of
documents but one source streamed by its own reader: ``is_rncp_export`` detects it and
``rncp_export_supported`` says whether that reader (``pipeline.extract.export_xml``) is in this build.
"""

from __future__ import annotations

import fnmatch
import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePosixPath

from pipeline.errors import RejectedInput

#: declared uncompressed / compressed size above which a member is a zip bomb (text compresses ~5-10x)
MAX_RATIO = 100
#: a member this small may have any ratio (a few KB of blank lines compress very well)
RATIO_FLOOR = 1_000_000
MAX_MEMBERS = 10_000
#: declared sizes may add up to this many times the per-file size limit
MAX_TOTAL_FACTOR = 20

_RNCP_EXPORT_GLOBS = ("export-fiches-rncp-*.xml", "export-fiches-csv-*.csv", "export_fiches_csv_*.csv",
                      "export-fiches-rncp-*.csv")
#: how France Compétences names an export file, the zip or its bare XML (``export-fiches-rncp-v4-1-2026-11-30.zip``,
#: ``export-fiches-csv-2026-12-07.zip``, ``export_fiches_RNCP_V4_1_2026-11-30.xml``), lower-cased
EXPORT_FILE_GLOBS = ("export[-_]fiches[-_]*.zip", "export[-_]fiches[-_]*.xml")

#: names skipped silently wherever they are (desktop litter)
LITTER = ("desktop.ini", "thumbs.db", "~$*", ".ds_store", "__macosx", "._*")


def is_litter(name: str) -> bool:
    low = name.lower()
    return any(fnmatch.fnmatchcase(low, pattern) for pattern in LITTER)


def is_litter_path(name: str) -> bool:
    """True for a zip member whose path has a litter or hidden part (Finder's ``__MACOSX/._export_fiches_….xml``
    resource forks, a ``.DS_Store``): never a document, nor a part of an export."""
    parts = PurePosixPath(name.replace("\\", "/")).parts
    return any(is_litter(part) or part.startswith(".") for part in parts)


def is_zip(head: bytes) -> bool:
    return head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06")


@dataclass(frozen=True)
class Member:
    name: str  # as stored in the zip (folders separated by /)
    size: int  # declared uncompressed size
    compressed: int


def _unsafe_name(name: str) -> bool:
    parts = PurePosixPath(name.replace("\\", "/")).parts
    return (name.startswith(("/", "\\")) or ".." in parts or (len(name) > 1 and name[1] == ":")
            or "\x00" in name)


def members(data: bytes, path: str, max_bytes: int) -> list[Member]:
    """The file members of the zip ``data`` (folders and litter left out), in name order; raises
    ``RejectedInput`` naming ``path`` when the zip is unreadable or hostile (see the module doc)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise RejectedInput(path, f"corrupt zip archive ({exc})") from exc
    with archive:
        infos = archive.infolist()
    if len(infos) > MAX_MEMBERS:
        raise RejectedInput(path, f"zip has {len(infos):,} members, over the limit of {MAX_MEMBERS:,}")
    found: list[Member] = []
    total = 0
    for info in infos:
        if _unsafe_name(info.filename):
            raise RejectedInput(path, f"zip refused: member name {info.filename!r} points outside the archive "
                                      "(path traversal)")
        if info.is_dir():
            continue
        if info.flag_bits & 0x1:
            raise RejectedInput(path, f"zip refused: member {info.filename!r} is encrypted")
        ratio = info.file_size / max(1, info.compress_size)
        if info.file_size > RATIO_FLOOR and ratio > MAX_RATIO:
            raise RejectedInput(path, f"zip refused: member {info.filename!r} inflates {ratio:,.0f} times "
                                      f"({info.compress_size:,} -> {info.file_size:,} bytes; a zip bomb, over the "
                                      f"ratio limit of {MAX_RATIO})")
        total += info.file_size
        if max_bytes and total > MAX_TOTAL_FACTOR * max_bytes:
            raise RejectedInput(path, f"zip refused: its members add up to more than {MAX_TOTAL_FACTOR} times "
                                      f"the size limit of {max_bytes:,} bytes (a zip bomb?)")
        if is_litter_path(info.filename):
            continue
        found.append(Member(info.filename, info.file_size, info.compress_size))
    if not any(not info.is_dir() for info in infos):  # said, not skipped in silence as "nothing to do"
        raise RejectedInput(path, "empty zip: it holds no file (a download cut short, or an archive made empty?)")
    return sorted(found, key=lambda m: m.name)


def read_member(data: bytes, name: str, path: str, max_bytes: int) -> bytes:
    """The bytes of member ``name``, read with a cap: its declared size and the size limit (``max_bytes``,
    0 none); a member that inflates past its declared size is a zip bomb (``RejectedInput``)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            info = archive.getinfo(name)
            cap = info.file_size if not max_bytes else min(info.file_size, max_bytes)
            with archive.open(info) as fh:
                out = fh.read(cap + 1)
    except (zipfile.BadZipFile, OSError, ValueError, KeyError, EOFError, RuntimeError) as exc:
        raise RejectedInput(path, f"zip member {name!r} cannot be read ({exc})") from exc
    if len(out) > cap:
        if max_bytes and info.file_size > max_bytes:
            raise RejectedInput(path, f"zip member {name!r} is {info.file_size:,} bytes, over the size limit of "
                                      f"{max_bytes:,} bytes (raise it with --max-bytes or REFPIPE_MAX_BYTES)")
        raise RejectedInput(path, f"zip refused: member {name!r} inflates past its declared size (a zip bomb)")
    return out


def is_rncp_export(path: str, data: bytes, names: list[str]) -> bool:
    """True for an RNCP open-data export zip (its XML or CSV set): one source, not a container of documents.

    The export reader's own test (``pipeline.extract.export_xml.is_export``) decides when this build has
    it; else the member names do."""
    detect = _export_detector()
    if detect is not None:
        from pathlib import Path

        return bool(detect(Path(path), data[:4096]))
    return any(fnmatch.fnmatchcase(PurePosixPath(n).name.lower(), g) for n in names for g in _RNCP_EXPORT_GLOBS)


def is_published_export(path: str, head: bytes) -> bool:
    """Whether the file ``path`` (``head``: its first 4 KB) is an open-data export as France Compétences publishes
    it, by its content: sniffed as one by the export reader (``is_rncp_export``) and, a zip, holding nothing but
    XML or CSV files (litter aside).  Only such a file may be as large as an export
    (``pipeline.limits.export_limits``): a ``cqpm-bundle.zip`` holding a ``liste-des-fiches.csv`` next to a large
    PDF sniffs as an export (a ``*fiches*.csv`` member) but is held to a document's limit."""
    if not (rncp_export_supported() and is_rncp_export(path, head, [])):
        return False
    if not is_zip(head):
        return True
    try:
        with zipfile.ZipFile(path) as archive:
            names = [i.filename for i in archive.infolist() if not i.is_dir() and not is_litter_path(i.filename)]
    except (zipfile.BadZipFile, OSError):
        return True  # cut short (no central directory): the export reader rejects it with its reason
    return bool(names) and all(n.lower().endswith((".xml", ".csv")) for n in names)


def _export_detector() -> Callable[..., object] | None:
    try:
        from pipeline.extract import export_xml  # type: ignore[attr-defined,unused-ignore]
    except ImportError:
        return None
    detect: Callable[..., object] | None = getattr(export_xml, "is_export", None)
    return detect


def rncp_export_supported() -> bool:
    """The hook for the export reader (branch issue13-export): when present, an export zip is handed on as
    one source (its path and sha256) to the runtime's export import; until then it is refused."""
    return _export_detector() is not None


def unsupported_rncp_export(path: str) -> RejectedInput:
    return RejectedInput(path, "an RNCP open-data export zip (export-fiches-rncp-*.xml / CSV set): this build has no "
                               "reader for it yet; it is not opened as a container of documents")
