"""Per-document limits: maximum size, maximum PDF pages, time allowed to extract and parse one file.

A scheduled run must not be stalled by one hostile file, so every input is checked against three
limits; a file over a limit is *rejected* (quarantined) with a reason naming the limit and how to
raise it:

* ``max_bytes`` (default 50 MB, ``REFPIPE_MAX_BYTES``): checked with ``stat`` before the file is read
  (an RNCP open-data export, streamed, may be ``EXPORT_SIZE_FACTOR`` times that);
* ``max_pages`` (default 500, ``REFPIPE_MAX_PAGES``): checked by the PDF front end from the page tree,
  before any page is parsed (text inputs have no pages);
* ``seconds`` (default 120, ``REFPIPE_TIME_LIMIT``): extraction runs in a child process
  (``pipeline.runtime.executor``) that is killed when it overruns;
* ``max_memory`` (default 1 GB, ``REFPIPE_MAX_MEMORY``): what the extraction process may allocate for
  one file beyond what it held before (``RLIMIT_AS`` in the child), so a decompression bomb is a
  rejection, not an exhausted machine.

``0`` disables a limit.  Sizes accept a K/M/G suffix (``50M``).  The CLI options of ``refpipe ingest``
and the deployment's parameters override the environment.

The limits in force inside an extraction process are set with ``activate`` (the executor does it in its
child); ``active()`` returns them, or the environment's when none were activated.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass

ENV_MAX_BYTES = "REFPIPE_MAX_BYTES"
ENV_MAX_PAGES = "REFPIPE_MAX_PAGES"
ENV_TIME_LIMIT = "REFPIPE_TIME_LIMIT"
ENV_MAX_MEMORY = "REFPIPE_MAX_MEMORY"

_SUFFIXES = {"K": 1_000, "M": 1_000_000, "G": 1_000_000_000}


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 50_000_000
    max_pages: int = 500
    seconds: float = 120.0
    max_memory: int = 1_000_000_000

    def __post_init__(self) -> None:
        if self.max_bytes < 0 or self.max_pages < 0 or self.seconds < 0 or self.max_memory < 0:
            raise ValueError(f"limits cannot be negative: {self}")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Limits:
        """The defaults, overridden by ``REFPIPE_MAX_BYTES``, ``REFPIPE_MAX_PAGES``, ``REFPIPE_TIME_LIMIT``."""
        env = os.environ if env is None else env
        base = cls()
        return cls(
            max_bytes=parse_size(env[ENV_MAX_BYTES]) if env.get(ENV_MAX_BYTES) else base.max_bytes,
            max_pages=int(_parse(env[ENV_MAX_PAGES], int, ENV_MAX_PAGES)) if env.get(ENV_MAX_PAGES) else base.max_pages,
            seconds=_parse(env[ENV_TIME_LIMIT], float, ENV_TIME_LIMIT) if env.get(ENV_TIME_LIMIT) else base.seconds,
            max_memory=(parse_size(env[ENV_MAX_MEMORY], ENV_MAX_MEMORY) if env.get(ENV_MAX_MEMORY)
                        else base.max_memory),
        )

    def override(self, max_bytes: int | None = None, max_pages: int | None = None,
                 seconds: float | None = None, max_memory: int | None = None) -> Limits:
        """These limits with the given values (None keeps the current one)."""
        changes = {k: v for k, v in (("max_bytes", max_bytes), ("max_pages", max_pages), ("seconds", seconds),
                                     ("max_memory", max_memory)) if v is not None}
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]

    def describe(self) -> str:
        size = f"{self.max_bytes / 1e6:g} MB" if self.max_bytes else "no size limit"
        pages = f"{self.max_pages} pages" if self.max_pages else "no page limit"
        secs = f"{self.seconds:g} s per document" if self.seconds else "no time limit"
        memory = f"{self.max_memory / 1e6:g} MB of memory" if self.max_memory else "no memory limit"
        return f"{size}, {pages}, {secs}, {memory}"


def parse_size(text: str, name: str = ENV_MAX_BYTES) -> int:
    """``52428800``, ``50M``, ``50MB``, ``2G`` -> bytes (decimal units); ``name`` is for the error message."""
    t = text.strip().upper().removesuffix("B")
    factor = _SUFFIXES.get(t[-1:], 1)
    number = t[:-1] if t[-1:] in _SUFFIXES else t
    return int(_parse(number, float, name, text) * factor)


def _parse(text: str, kind: type[int] | type[float], name: str, shown: str | None = None) -> int | float:
    try:
        value = kind(text.strip())
    except ValueError as exc:
        raise ValueError(f"{name}={shown or text!r} is not a {'number' if kind is float else 'whole number'}") \
            from exc
    if value < 0:
        raise ValueError(f"{name}={shown or text!r} cannot be negative (0 disables the limit)")
    return value


#: an RNCP open-data export is streamed, one fiche in memory at a time, in the ingest process (never handed to a
#: per-document extraction): its size limit is this many times ``max_bytes`` — 2 GB at the default, where the
#: 2026 export is 74 MB zipped and 472 MB of XML, both over the 50 MB a document may have
EXPORT_SIZE_FACTOR = 40


def export_limits(limits: Limits) -> Limits:
    """The limits an open-data export is held to (see ``EXPORT_SIZE_FACTOR``; 0 stays no limit)."""
    return dataclasses.replace(limits, max_bytes=limits.max_bytes * EXPORT_SIZE_FACTOR)


def over_export_size(size: int, limits: Limits) -> str | None:
    """The rejection reason when an open-data export of ``size`` bytes is over the export size limit
    (``EXPORT_SIZE_FACTOR`` times the document limit ``limits.max_bytes``), else None."""
    cap = export_limits(limits).max_bytes
    if cap and size > cap:
        return (f"export file is {size:,} bytes, over the export size limit of {cap:,} bytes ({EXPORT_SIZE_FACTOR} "
                f"times --max-bytes, {limits.max_bytes:,} bytes; raise it with --max-bytes or {ENV_MAX_BYTES})")
    return None


def over_size(size: int, limits: Limits) -> str | None:
    """The rejection reason when ``size`` bytes is over the size limit, else None."""
    if limits.max_bytes and size > limits.max_bytes:
        return (f"file is {size:,} bytes, over the size limit of {limits.max_bytes:,} bytes "
                f"(raise it with --max-bytes or {ENV_MAX_BYTES})")
    return None


def over_pages(pages: int, limits: Limits) -> str | None:
    """The rejection reason when a PDF of ``pages`` pages is over the page limit, else None."""
    if limits.max_pages and pages > limits.max_pages:
        return (f"PDF has {pages} pages, over the page limit of {limits.max_pages} "
                f"(raise it with --max-pages or {ENV_MAX_PAGES})")
    return None


def over_memory(limits: Limits) -> str:
    return (f"needed more than {limits.max_memory / 1e6:g} MB of memory: over the per-document memory limit "
            f"(raise it with --max-memory or {ENV_MAX_MEMORY})")


def over_time(limits: Limits) -> str:
    return (f"stopped after {limits.seconds:g} s: over the per-document time limit "
            f"(raise it with --time-limit or {ENV_TIME_LIMIT})")


_active: Limits | None = None


def activate(limits: Limits | None) -> None:
    """Make ``limits`` the ones the front ends of this process check (None: back to the environment's)."""
    global _active
    _active = limits


def active() -> Limits:
    return _active if _active is not None else Limits.from_env()
