"""One reference resolver for every command that takes a document (``show``, ``diff``, ``versions``…).

A reference is, in this order: a document id; the path of an existing file (its bytes are hashed and
looked up, so a copy of an ingested file anywhere resolves to the same document); a version key
(``CQPM-0195``: its latest version, ``CQPM-0195@2``, ``RNCP28242@latest``); a source path as stored at
ingestion; an RNCP code; a unique prefix (4+ hex digits) of a document id or source sha256.
"""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path

import duckdb

from pipeline.load.versions import find_version
from pipeline.load.warehouse import file_sha256
from pipeline.query.read import AmbiguousReference, DocumentNotFound

__all__ = ["AmbiguousReference", "DocumentNotFound", "resolve", "version_ref"]

_HEX = re.compile(r"[0-9a-fA-F]{4,64}")
_KEY = re.compile(r"(CQPM-|RNCP|DOC-)\S+$", re.IGNORECASE)
_RNCP = re.compile(r"RNCP\s*(\d+)", re.IGNORECASE)


def _by_sha(con: duckdb.DuckDBPyConnection, sha: str) -> str | None:
    row = con.execute("SELECT id FROM documents WHERE source_sha256 = ?", [sha]).fetchone()
    return str(row[0]) if row else None


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
    sql = ("SELECT d.id, s.path FROM documents d JOIN sources s ON s.sha256 = d.source_sha256 WHERE {} "
           "ORDER BY s.ingested_at DESC, d.id")
    rows = con.execute(sql.format(f"s.path IN ({marks})"), forms).fetchall()
    if not rows:
        tail = os.path.normpath(ref).lstrip(os.sep)
        rows = con.execute(sql.format("ends_with(s.path, ?)"), [os.sep + tail]).fetchall()
    return [str(r[0]) for r in rows], {str(r[1]) for r in rows}


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
        found = _by_sha(con, sha)
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

    ids, paths = _by_path(con, text)
    if len(paths) == 1:
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
        rows = con.execute("SELECT id FROM documents WHERE starts_with(source_sha256, ?) ORDER BY id",
                           [text.lower()]).fetchall()
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
        "stored source path, an RNCP code, a version key (CQPM-0195, CQPM-0195@2: `refpipe versions`) or an "
        "existing file whose bytes were ingested", text)


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
