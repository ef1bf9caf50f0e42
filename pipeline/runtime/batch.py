"""Per-file outcomes of an ingestion batch.

Each stage is wrapped by ``attempt`` so that a bad file ends as a ``Rejection`` value instead of an
exception: the batch goes on, and every file ends with a status and a reason.

Outcomes: ``loaded`` / ``partial`` (a new document), ``unchanged`` (these bytes are already loaded:
skipped without parsing), ``rejected`` (a new rejection, recorded with its reason), ``quarantined``
(these bytes were rejected before: skipped without parsing), ``failed`` (a transient error, e.g. the
warehouse stayed locked: nothing recorded, retried next run).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

from pipeline.errors import RejectedInput, TransientError
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
    except Exception as exc:  # noqa: BLE001 - a parser bug must not crash the batch
        path = next((str(a) for a in args if isinstance(a, (str, Path))), "?")
        return Rejection(path=path, reason=f"{path}: internal error {type(exc).__name__}: {exc}")


def _page_assets(dirname: str, filenames: Iterable[str]) -> bool:
    """``X_files``, the folder a browser saves beside ``X.html`` (the page's images, scripts, styles)."""
    stem = dirname[: -len("_files")] if dirname.endswith("_files") else None
    return stem is not None and any(f in filenames for f in (f"{stem}.html", f"{stem}.htm"))


def discover(paths: Iterable[str | Path]) -> list[SourceFile]:
    """Every non-hidden regular file under the given files/folders, hashed, in a stable order.

    The ``X_files`` folder a browser saves beside a page ``X.html`` is not a document: skipped."""
    found: dict[str, Path] = {}
    for root in map(Path, paths):
        if root.is_dir():
            for dirpath, dirnames, filenames in os.walk(root):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith(".")
                                     and not _page_assets(d, filenames))
                for name in filenames:
                    if not name.startswith("."):
                        found.setdefault(str(Path(dirpath) / name), Path(dirpath) / name)
        elif root.is_file():
            found.setdefault(str(root), root)
        else:
            raise RejectedInput(str(root), "no such file or folder")
    return [_hash(p) for _, p in sorted(found.items())]


def _hash(path: Path) -> SourceFile:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
            size += len(chunk)
    return SourceFile(path=str(path), sha256=digest.hexdigest(), size=size)
