"""One reference resolver for every command that takes a document (``show``, ``diff``, ``versions``…).

A reference is, in this order: a document id; the path of an existing file (its bytes are hashed and
looked up, so a copy of an ingested file anywhere resolves to the same document); a version key
(``CQPM-0195``: its latest version, ``CQPM-0195@2``, ``RNCP28242@latest``; a CQPM number as people write
it, ``CQPM 0195``, ``CQPM0195``, ``CQPM n° 195``, is its key); a source path as stored at ingestion; an RNCP
code; a unique prefix (4+ hex digits) of a document id or source sha256; a bare CQPM number (``0195``):
the key ``CQPM-0195`` when the warehouse holds it (ambiguous, naming both, when it is also the prefix of
another document's id or source), else an id prefix.  A source
holding several documents (an open-data export) designates none of them: give the fiche's code.
"""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path

import duckdb

from pipeline.load.versions import cqpm_key, find_version
from pipeline.load.warehouse import file_sha256
from pipeline.query.read import AmbiguousReference, DocumentNotFound

__all__ = ["AmbiguousReference", "DocumentNotFound", "held_key", "referenced_source", "resolve", "spelled_key",
           "version_ref"]

_HEX = re.compile(r"[0-9a-fA-F]{4,64}")
_KEY = re.compile(r"(CQPM-|RNCP|DOC-)\S+$", re.IGNORECASE)
_RNCP = re.compile(r"RNCP\s*(\d+)", re.IGNORECASE)
#: a CQPM number as written in letters and on the fiches: "CQPM 0195", "CQPM0195", "CQPM n° 195", "cqpm-195@2"
_CQPM = re.compile(r"CQPM\s*(?:n\s*[°ºo]\.?\s*)?-?\s*(\d{1,4})\s*(@\S*)?", re.IGNORECASE)
_BARE_CQPM = re.compile(r"\d{4}")  # "0195": a CQPM number, or the start of a hex id


def spelled_key(text: str) -> str | None:
    """The version key a user means by ``text`` spelled as people write it ("CQPM 0195", "CQPM0195",
    "cqpm n° 195@2", "RNCP 28242", a bare "0195"): ``CQPM-0195``, ``CQPM-0195@2``, ``RNCP28242``; None when it
    is no such spelling.  A bare number may also be an id prefix: ``resolve`` decides."""
    text = text.strip()
    if m := _CQPM.fullmatch(text):
        return cqpm_key(m.group(1)) + (m.group(2) or "")
    if _BARE_CQPM.fullmatch(text):
        return cqpm_key(text)
    if m := _RNCP.fullmatch(text):
        return f"RNCP{m.group(1)}"
    return None


def held_key(con: duckdb.DuckDBPyConnection, text: str) -> str | None:
    """The version key of the warehouse ``text`` names, as stored: the key itself (any case) or as people
    write it (``spelled_key``); None when the warehouse holds no such key."""
    forms = [text.strip()] + ([spelled] if (spelled := spelled_key(text)) else [])
    row = con.execute("SELECT key FROM documents WHERE upper(key) IN (SELECT upper(unnest(?))) "
                      "ORDER BY upper(key) = upper(?) DESC LIMIT 1", [forms, forms[0]]).fetchone()
    return str(row[0]) if row else None


def _by_sha(con: duckdb.DuckDBPyConnection, sha: str, ref: str) -> str | None:
    """The one document the source ``sha`` holds; an export holds many: ``AmbiguousReference``."""
    rows = con.execute("SELECT document_id FROM document_sources WHERE source_sha256 = ? ORDER BY document_id",
                       [sha]).fetchall()
    if len(rows) > 1:
        raise _ambiguous(ref, [str(r[0]) for r in rows], "is a source (an export?) that holds")
    return str(rows[0][0]) if rows else None


def _rejection(con: duckdb.DuckDBPyConnection, where: str, value: str) -> tuple[str, str | None] | None:
    row = con.execute(f"SELECT path, reason FROM sources WHERE status = 'rejected' AND {where} "
                      "ORDER BY ingested_at DESC LIMIT 1", [value]).fetchone()
    return (str(row[0]), row[1]) if row else None


def _path_forms(ref: str) -> list[str]:
    forms = [ref, os.path.normpath(ref)]
    with contextlib.suppress(OSError, RuntimeError):
        forms.append(str(Path(ref).expanduser().resolve()))
    return list(dict.fromkeys(forms))


def _by_path(con: duckdb.DuckDBPyConnection, ref: str) -> tuple[list[str], set[str]]:
    """(ids, stored paths) of documents whose source path is ``ref`` (or its normalised/absolute form),
    else ends with it at a separator ("pdf/x.pdf" for "/data/raw/pdf/x.pdf"); newest ingestion first."""
    forms = _path_forms(ref)
    marks = ", ".join("?" for _ in forms)
    sql = ("SELECT x.document_id, s.path FROM document_sources x JOIN sources s ON s.sha256 = x.source_sha256 "
           "WHERE {} ORDER BY s.ingested_at DESC, x.document_id")
    rows = con.execute(sql.format(f"s.path IN ({marks})"), forms).fetchall()
    if not rows:
        tail = os.path.normpath(ref).lstrip(os.sep)
        rows = con.execute(sql.format("ends_with(s.path, ?)"), [os.sep + tail]).fetchall()
    return [str(r[0]) for r in rows], {str(r[1]) for r in rows}


def _holds_many(con: duckdb.DuckDBPyConnection, path: str) -> bool:
    """True when the latest source stored at ``path`` holds several documents (an export)."""
    row = con.execute("SELECT count(*) FROM document_sources WHERE source_sha256 = (SELECT sha256 FROM sources "
                      "WHERE path = ? ORDER BY ingested_at DESC LIMIT 1)", [path]).fetchone()
    return bool(row and row[0] > 1)


def _ambiguous(ref: str, ids: list[str], what: str) -> AmbiguousReference:
    shown = ", ".join(ids[:5]) + (f" … ({len(ids)} in all)" if len(ids) > 5 else "")
    return AmbiguousReference(f"{ref!r} {what} {len(ids)} documents: {shown}; give more of the id", ref, ids)


def resolve(con: duckdb.DuckDBPyConnection, ref: str | os.PathLike[str]) -> str:
    """The id of the one document ``ref`` designates.

    Raises ``DocumentNotFound`` (``AmbiguousReference`` when several documents match)."""
    text = os.fspath(ref).strip()
    if not text:
        raise DocumentNotFound("empty document reference: give a document id, an id prefix or a file path",
                               text)
    hexy = _HEX.fullmatch(text) is not None
    if hexy and len(text) == 16:
        row = con.execute("SELECT id FROM documents WHERE id = ?", [text.lower()]).fetchone()
        if row:
            return str(row[0])

    path = Path(text).expanduser()
    if path.is_file():
        try:
            sha = file_sha256(path)
        except OSError as e:
            raise DocumentNotFound(f"{text}: cannot read the file to look it up ({e})", text) from e
        found = _by_sha(con, sha, text)
        if found:
            return found
        rejected = _rejection(con, "sha256 = ?", sha)
        if rejected:
            raise DocumentNotFound(f"{text} was rejected at ingestion: {rejected[1]}", text)
        older, _ = _by_path(con, text)
        hint = (f"; the warehouse holds another version of this path as document {older[0]} (show that id)"
                if older else "; ingest it first")
        raise DocumentNotFound(f"{text} (sha256 {sha[:16]}…) is not in the warehouse{hint}", text)

    found = version_ref(con, text)  # a key first: RNCP28242 is its latest version
    if found:
        return found
    spelled = spelled_key(text)
    if _CQPM.fullmatch(text) and spelled and (found := version_ref(con, spelled)):
        return found

    ids, paths = _by_path(con, text)
    if len(paths) == 1:
        if len(set(ids)) > 1 and _holds_many(con, next(iter(paths))):
            raise _ambiguous(text, sorted(set(ids)), "is a source (an export?) that holds")
        return ids[0]  # one path, maybe ingested several times with other bytes: the latest ingestion
    if ids:
        raise _ambiguous(text, ids, "is the end of the source paths of")

    if m := _RNCP.fullmatch(text):
        found = find_version(con, f"RNCP{m.group(1)}")  # a fiche's key is its code: its latest version
        if found:
            return found
        rows = con.execute("SELECT document_id FROM rncp_fiches WHERE code = ? ORDER BY document_id",
                           [f"RNCP{m.group(1)}"]).fetchall()
        if len(rows) == 1:
            return str(rows[0][0])
        if rows:
            raise _ambiguous(text, [str(r[0]) for r in rows], "is the code of")

    if hexy:
        rows = con.execute("SELECT id FROM documents WHERE starts_with(id, ?) UNION SELECT document_id FROM "
                           "document_sources WHERE starts_with(source_sha256, ?) ORDER BY 1",
                           [text.lower(), text.lower()]).fetchall()
        if _BARE_CQPM.fullmatch(text) and spelled and (numbered := find_version(con, spelled)):
            others = sorted({str(r[0]) for r in rows} - {numbered})
            if others:  # with thousands of ids, any four digits may start one: never guess
                raise AmbiguousReference(
                    f"{text!r} is both the CQPM number of {spelled} (document {numbered}) and a prefix of "
                    f"{', '.join(others[:5])}{' …' if len(others) > 5 else ''}: give {spelled} or more of the id",
                    text, [numbered, *others])
            return numbered
        if len(rows) == 1:
            return str(rows[0][0])
        if rows:
            raise _ambiguous(text, [str(r[0]) for r in rows], "is a prefix of")
        rejected = _rejection(con, "starts_with(sha256, ?)", text.lower())
        if rejected:
            raise DocumentNotFound(f"{text} is {rejected[0]}, rejected at ingestion: {rejected[1]}", text)

    rejected = _rejection(con, "path = ?", text)
    if rejected:
        raise DocumentNotFound(f"{text} was rejected at ingestion: {rejected[1]}", text)
    raise DocumentNotFound(
        f"no document matches {text!r}: it is not a document id, a unique id prefix (4 or more hex digits), a "
        "stored source path, an RNCP code, a version key (CQPM-0195, CQPM-0195@2: `refpipe versions`), a CQPM "
        "number (CQPM 0195) or an existing file whose bytes were ingested", text)


def version_ref(con: duckdb.DuckDBPyConnection, text: str) -> str | None:
    """The document of ``KEY@VERSION`` (``KEY@latest``, or ``KEY`` alone: its latest version); None when
    ``text`` is no key.  ``KEY@…`` with a key's shape (CQPM-…, RNCP…, DOC-…) that names no version
    raises ``DocumentNotFound``; other text with an ``@`` (a file name) gives None."""
    if "@" not in text:
        return find_version(con, text)
    key, _, version = text.rpartition("@")
    if not _KEY.match(key):
        return None
    if version.lower() in ("", "latest", "dernière", "derniere"):
        found = find_version(con, key)
    elif version.isdigit():
        found = find_version(con, key, int(version))
    else:
        raise DocumentNotFound(f"{text!r}: the version after @ must be a number or 'latest'", text)
    if found is None:
        raise DocumentNotFound(f"no version {version or 'latest'} of {key!r} in the warehouse "
                               "(refpipe versions lists them)", text)
    return found


def referenced_source(con: duckdb.DuckDBPyConnection, ref: str | os.PathLike[str], document_id: str) -> str | None:
    """The sha256 of the source ``ref`` names (a file, a stored path) when it holds ``document_id``: a
    document read from several files is shown with the one asked for."""
    text = os.fspath(ref).strip()
    path = Path(text).expanduser()
    shas: list[str] = []
    if path.is_file():
        with contextlib.suppress(OSError):
            shas.append(file_sha256(path))
    marks = ", ".join("?" for _ in _path_forms(text))
    shas += [str(r[0]) for r in con.execute(
        f"SELECT sha256 FROM sources WHERE path IN ({marks}) ORDER BY ingested_at DESC", _path_forms(text)).fetchall()]
    for sha in shas:
        if con.execute("SELECT 1 FROM document_sources WHERE document_id = ? AND source_sha256 = ?",
                       [document_id, sha]).fetchone():
            return sha
    return None
