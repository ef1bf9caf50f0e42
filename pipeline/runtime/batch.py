"""Per-file outcomes of an ingestion batch.

Each stage is wrapped by ``attempt`` so that a bad file ends as a ``Rejection`` value instead of an
exception: the batch goes on, and every file ends with a status and a reason.

Discovery (``discover``) never blocks and never loses the batch to one bad path: it only opens regular
files (a FIFO, a device, a socket is refused from ``lstat``/``stat``), follows a symbolic link only to a
file inside the folder being ingested (unless ``follow_outside``), checks the size from ``stat`` before
reading a byte, and turns every per-path error (dangling link, link loop, a name that is not UTF-8,
permission denied, a file gone) into a rejection of that path with its reason.  Such a rejection has no
bytes to be keyed by: its ``sha256`` is ``path_marker(path, reason)``, so ``sources``/``v_quarantine``
hold it like any rejection and the next run finds it known (quarantined) while the path stays as it is.

Read once, hash what was read (``read_source``): extraction reads the file again, checks that its size,
mtime and sha256 are still those discovery saw, and hands *those* bytes to the parser; a file that
changed in between is not recorded at all (``Rejection.changed``: ``failed``, "changed while read",
retried next run), so a file truncated for a moment is never quarantined under bytes it no longer has.

Outcomes: ``loaded`` / ``partial`` (a new document), ``unchanged`` (these bytes are already loaded:
skipped without parsing), ``rejected`` (a new rejection, recorded with its reason), ``quarantined``
(these bytes were rejected before: skipped without parsing), ``failed`` (a transient error, e.g. the
warehouse stayed locked: nothing recorded, retried next run).
"""

from __future__ import annotations

import errno
import fnmatch
import hashlib
import os
import stat
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TypeVar

from pipeline.errors import RejectedInput, TransientError, reraise_interrupt
from pipeline.extract import containers
from pipeline.extract.sniff import office_format, other_office
from pipeline.limits import Limits, active, export_limits, over_export_size, over_memory, over_size
from pipeline.records import Rejection, SourceFile

T = TypeVar("T")


def attempt(stage: Callable[..., T], *args: object) -> T | Rejection:
    """Run one stage; a terminal error (or a bug) becomes a Rejection, a transient one propagates."""
    try:
        return stage(*args)
    except RejectedInput as exc:
        return Rejection(path=exc.path, reason=str(exc), page=exc.page)
    except TransientError:
        raise
    except MemoryError:
        path = next((str(a) for a in args if isinstance(a, (str, Path))), "?")
        return Rejection(path=path, reason=f"{path}: {over_memory(active())}")
    except Exception as exc:  # noqa: BLE001 - a parser bug must not crash the batch
        reraise_interrupt(exc)  # Ctrl-C is not this file's rejection
        path = next((str(a) for a in args if isinstance(a, (str, Path))), "?")
        return Rejection(path=path, reason=f"{path}: internal error {type(exc).__name__}: {exc}")


def _page_assets(dirname: str, filenames: Iterable[str]) -> bool:
    """``X_files``, the folder a browser saves beside ``X.html`` (the page's images, scripts, styles)."""
    stem = dirname[: -len("_files")] if dirname.endswith("_files") else None
    return stem is not None and any(f in filenames for f in (f"{stem}.html", f"{stem}.htm"))


#: what a path-level rejection's sha256 is made from (never the sha256 of real bytes)
_MARKER = b"refpipe path rejection\0"


def path_marker(path: str, reason: str) -> str:
    """The key of a rejection of a path (no bytes read): the same path refused for the same reason is
    the same key, so a rerun finds it quarantined instead of recording it again."""
    return hashlib.sha256(_MARKER + path.encode("utf-8", "backslashreplace") + b"\0" +
                          reason.encode("utf-8", "backslashreplace")).hexdigest()


def shown_path(path: str | Path) -> str:
    """A path as text that can be stored and printed: undecodable bytes as ``\\xNN``."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


@dataclass(frozen=True)
class DiscoveryOptions:
    limits: Limits
    follow_outside: bool = False  # symbolic links may lead out of the folder being ingested
    include: Sequence[str] = ()  # globs on the name or the path under the folder; empty: everything
    exclude: Sequence[str] = ()


def _refused(path: str, reason: str) -> SourceFile:
    return SourceFile(path=path, sha256=path_marker(path, reason), size=0, rejected=reason)


def _kind_of(mode: int) -> str | None:
    """What a non-regular file is, for the reason; None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    for test, what in ((stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a folder")):
        if test(mode):
            return what
    return "not a regular file"


def _wanted(rel: str, name: str, options: DiscoveryOptions) -> bool:
    def match(globs: Sequence[str]) -> bool:
        return any(fnmatch.fnmatch(rel, g) or fnmatch.fnmatch(name, g) for g in globs)

    if containers.is_litter(name):
        return False
    return (not options.include or match(options.include)) and not match(options.exclude)


def discover(paths: Iterable[str | Path], options: DiscoveryOptions | Limits | None = None) -> list[SourceFile]:
    """Every non-hidden file under the given files/folders, in a stable order: regular files hashed (each
    member of a zip as its own source), every other path a rejection with its reason (see the module doc).
    The ``X_files`` folder a browser saves beside a page ``X.html`` is not a document: skipped.

    A root that does not exist raises ``RejectedInput`` (the CLI checks that first)."""
    if options is None or isinstance(options, Limits):
        options = DiscoveryOptions(limits=options or active())
    found: dict[str, tuple[Path, Path | None]] = {}  # shown path -> (path, the folder it was found under)
    refused: dict[str, SourceFile] = {}
    for root in map(Path, paths):
        if root.is_dir():
            def on_error(exc: OSError, root: Path = root) -> None:
                where = shown_path(exc.filename or root)
                refused.setdefault(where, _refused(where, f"folder cannot be read: {exc.strerror or exc}"))

            for dirpath, dirnames, filenames in os.walk(root, onerror=on_error):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and not containers.is_litter(d)
                                     and not _page_assets(d, filenames))
                for name in [*filenames, *_linked_dirs(dirpath, dirnames)]:
                    if name.startswith("."):
                        continue
                    p = Path(dirpath) / name
                    rel = p.relative_to(root).as_posix()
                    if _wanted(rel, name, options):
                        found.setdefault(shown_path(p), (p, root))
        elif root.exists() or root.is_symlink():
            found.setdefault(shown_path(root), (root, None))  # named by the user: its link may lead anywhere
        else:
            raise RejectedInput(str(root), "no such file or folder")
    sources: list[SourceFile] = []
    for shown, (path, folder) in sorted(found.items()):
        sources.extend(_source(shown, path, folder, options))
    sources.extend(refused.values())
    return sorted(sources, key=lambda s: s.path)


def _linked_dirs(dirpath: str, dirnames: list[str]) -> list[str]:
    """Symbolic links to folders (``os.walk`` lists them as folders and does not enter them): looked at
    as paths, so that one leading outside is refused and one that loops is named."""
    linked = [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]
    for d in linked:
        dirnames.remove(d)
    return linked


def _source(shown: str, path: Path, root: Path | None, options: DiscoveryOptions) -> list[SourceFile]:
    """The source(s) of one path: its bytes hashed, the members of a zip, or a rejection of the path."""
    try:
        shown.encode("utf-8")
        if shown != os.fsdecode(path):
            raise UnicodeError
    except UnicodeError:
        return [_refused(shown, "file name is not valid UTF-8 (rename the file)")]
    try:
        target = _resolve(path, root, options)
        st = os.stat(target)
    except _PathRefused as exc:
        return [_refused(shown, exc.reason)]
    except OSError as exc:
        return [_refused(shown, _os_reason(exc))]
    if (what := _kind_of(st.st_mode)) is not None:
        if stat.S_ISDIR(st.st_mode):  # a link to a folder inside the drop folder: its files are found there
            return []
        return [_refused(shown, f"not a regular file: {what}")]
    # an export is streamed, one fiche in memory at a time: not held to a document's size
    export = _is_export(target, oversized=over_size(st.st_size, options.limits) is not None)
    too_big = over_export_size(st.st_size, options.limits) if export else over_size(st.st_size, options.limits)
    if too_big is not None:
        return [_refused(shown, too_big)]
    try:
        data, sha, st = _read_regular(target, options.limits, keep=False, export=export)
    except _PathRefused as exc:
        return [_refused(shown, exc.reason)]
    except _Changed as exc:
        return [_refused(shown, f"changed while read ({exc})")]
    except OSError as exc:
        return [_refused(shown, _os_reason(exc))]
    whole = SourceFile(path=shown, sha256=sha, size=st.st_size, mtime_ns=st.st_mtime_ns)
    if data is not None:  # a zip (not an export: its bytes were not kept)
        return _zip_members(whole, data, options)
    return [whole]


def _is_export(path: Path, *, oversized: bool) -> bool:
    """Whether the regular file ``path`` is an RNCP open-data export (``containers.is_published_export``: its first
    4 KB, a zip's member names).  A file of a document's size is opened for this only when it is named like an
    export (the others are read as any file, where an export among them is found by its content); one over a
    document's size limit always is, so that an export saved under another name is not refused for its size."""
    named = any(fnmatch.fnmatchcase(path.name.lower(), g) for g in containers.EXPORT_FILE_GLOBS)
    if not (named or oversized):
        return False
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
        try:
            head = os.read(fd, 4096)
        finally:
            os.close(fd)
    except OSError:
        return False
    return containers.is_published_export(str(path), head)


class _PathRefused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _resolve(path: Path, root: Path | None, options: DiscoveryOptions) -> Path:
    """The file a path names: itself, or the end of its symbolic links when that is allowed."""
    if not path.is_symlink():
        return path
    try:
        target = Path(os.path.realpath(path, strict=True))
    except FileNotFoundError:
        to = shown_path(os.readlink(path))
        raise _PathRefused(f"dangling symbolic link (to {to}, which does not exist)") from None
    except (RuntimeError, OSError) as exc:
        if isinstance(exc, RuntimeError) or getattr(exc, "errno", None) == errno.ELOOP:
            raise _PathRefused("symbolic link loop") from None
        raise
    if root is not None and not options.follow_outside and not target.is_relative_to(root.resolve()):
        raise _PathRefused(f"symbolic link to {shown_path(target)}, outside the folder ingested "
                           "(allow it with --follow-links)")
    return target


def _os_reason(exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "symbolic link loop"
    if exc.errno == errno.ENOENT:
        return "file vanished before it could be read"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "cannot read file: permission denied"
    return f"cannot read file: {exc.strerror or exc}"


def _read_regular(path: Path, limits: Limits, *, keep: bool = True,
                  export: bool = False) -> tuple[bytes | None, str, os.stat_result]:
    """(the bytes, their sha256, the file's stat) of a regular file, opened without blocking (a FIFO swapped
    in cannot hang the run) and checked again on the open file; at most the size limit (+1) is read.

    ``keep`` False keeps the bytes only for a zip (discovery hashes the others as it reads them).  ``export``
    True (an open-data export, hundreds of MB): held to the export size limit and hashed as it is read, its
    bytes never kept, zip or not (its reader streams it from the file)."""
    cap = export_limits(limits).max_bytes if export else limits.max_bytes
    keep = keep and not export
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
    try:
        st = os.fstat(fd)
        if (what := _kind_of(st.st_mode)) is not None:
            raise _PathRefused(f"not a regular file: {what}")
        left = cap + 1 if cap else -1
        digest, chunks, size = hashlib.sha256(), [], 0
        with os.fdopen(os.dup(fd), "rb") as fh:
            while left:
                chunk = fh.read(1 << 20 if left < 0 else min(left, 1 << 20))
                if not chunk:
                    break
                if size == 0 and not export:
                    keep = keep or containers.is_zip(chunk[:4])
                digest.update(chunk)
                size += len(chunk)
                left -= len(chunk) if left > 0 else 0
                if keep:
                    chunks.append(chunk)
        after = os.fstat(fd)
    finally:
        os.close(fd)
    size_now = max(size, after.st_size)
    too_big = over_size(size_now, limits) if not export else over_export_size(size_now, limits)
    if too_big is not None:
        raise _PathRefused(too_big)
    if after.st_size != size or after.st_mtime_ns != st.st_mtime_ns:
        raise _Changed("its size or modification time changed while it was read")
    return (b"".join(chunks) if keep else None), digest.hexdigest(), after


class _Changed(OSError):
    """The file changed while it was read (not the file's fault: read again next run)."""


def _zip_members(whole: SourceFile, data: bytes, options: DiscoveryOptions) -> list[SourceFile]:
    """Each member of a zip as its own source (parent: the zip), or the zip refused with its reason; an
    RNCP export zip stays one source (its own reader), or is refused until this build has that reader."""
    if office_format(data) is not None:  # a .docx / .odt is a zip too, but one document (its front end)
        return [whole]
    if (other := other_office(data)) is not None:  # a spreadsheet's XML parts are no files of the user's
        return [SourceFile(path=whole.path, sha256=whole.sha256, size=whole.size, mtime_ns=whole.mtime_ns,
                           rejected=f"{other}, not a référentiel or fiche document: save the document as .docx, "
                                    ".odt or PDF and ingest that")]
    if containers.rncp_export_supported() and containers.is_rncp_export(whole.path, data, []):
        return [whole]  # the export reader's own (a broken export gets its reason there)
    try:
        listed = containers.members(data, whole.path, options.limits.max_bytes)
    except RejectedInput as exc:  # these bytes are hostile or broken: rejected as such
        return [SourceFile(path=whole.path, sha256=whole.sha256, size=whole.size, rejected=exc.reason,
                           mtime_ns=whole.mtime_ns)]
    if containers.is_rncp_export(whole.path, data, [m.name for m in listed]):
        if containers.rncp_export_supported():
            return [whole]
        # keyed by the path, not the bytes: once this build reads exports, the same zip is imported
        return [_refused(whole.path, containers.unsupported_rncp_export(whole.path).reason)]
    out: list[SourceFile] = []
    for member in listed:
        name = PurePosixPath(member.name)
        if not _wanted(member.name, name.name, options):
            continue
        shown = f"{whole.path}!/{member.name}"
        if (too_big := over_size(member.size, options.limits)) is not None:
            out.append(_refused(shown, too_big))
            continue
        try:
            content = containers.read_member(data, member.name, whole.path, options.limits.max_bytes)
        except RejectedInput as exc:
            return [SourceFile(path=whole.path, sha256=whole.sha256, size=whole.size, rejected=exc.reason,
                               mtime_ns=whole.mtime_ns)]
        out.append(SourceFile(path=shown, sha256=hashlib.sha256(content).hexdigest(), size=len(content),
                              container=whole.path, member=member.name, parent=whole.sha256,
                              mtime_ns=whole.mtime_ns))
    return out


class SourceChanged(Exception):
    """The file is not what discovery saw any more."""


def read_source(source: SourceFile, limits: Limits) -> bytes:
    """The bytes of ``source`` read again for extraction, checked to be the bytes discovery hashed.

    Raises ``SourceChanged`` when they are not (size, mtime or sha256 differ: the file changed since),
    ``RejectedInput`` when the path cannot be read as a regular file any more."""
    disk = source.container or source.path
    try:
        data, sha, st = _read_regular(Path(disk) if not Path(disk).is_symlink() else Path(os.path.realpath(disk)),
                                      limits)
        assert data is not None
    except _Changed as exc:
        raise SourceChanged(f"{source.path}: changed while read ({exc}); not recorded, retried next run") from None
    except _PathRefused as exc:
        raise SourceChanged(f"{source.path}: changed while read (now {exc.reason}); not recorded, "
                            "retried next run") from None
    except OSError as exc:
        raise SourceChanged(f"{source.path}: changed while read ({_os_reason(exc)}); not recorded, "
                            "retried next run") from None
    if source.member is not None:
        if sha != source.parent:
            raise SourceChanged(f"{source.path}: changed while read (the zip is not the one found at the start of "
                                "the run); not recorded, retried next run")
        try:
            data = containers.read_member(data, source.member, source.container or disk, limits.max_bytes)
        except RejectedInput as exc:
            raise SourceChanged(f"{source.path}: changed while read ({exc.reason}); not recorded, "
                                "retried next run") from None
        sha = hashlib.sha256(data).hexdigest()
    if sha != source.sha256:
        raise SourceChanged(f"{source.path}: changed while read (its bytes are not those found at the start of the "
                            "run); not recorded, retried next run")
    return data
