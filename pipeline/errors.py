"""Typed pipeline errors.

A ``RejectedInput`` is terminal: the file is wrong and retrying will not help; its message is the
reason a user reads, and it names the file (and the page where known).  A ``TransientError`` may
succeed on a retry (a locked warehouse, a flaky disk).
"""

from __future__ import annotations


def is_interrupt(exc: BaseException) -> bool:
    """True for Ctrl-C: ``KeyboardInterrupt``, or DuckDB's form of it when the signal (or
    ``connection.interrupt()``) lands while a statement runs.  DuckDB 2.0 raises an ordinary ``Exception``
    then: ``RuntimeError("Query interrupted")`` for SIGINT, ``duckdb.InterruptException`` for
    ``interrupt()``; a catch-all handler must not take either for a failure of its own (see ``reraise_interrupt``).
    Recognised by type name and message so that this lowest module does not import duckdb."""
    if isinstance(exc, KeyboardInterrupt):
        return True
    if type(exc).__name__ == "InterruptException" and type(exc).__module__.lstrip("_").startswith("duckdb"):
        return True
    return isinstance(exc, RuntimeError) and str(exc).strip().lower() == "query interrupted"


def reraise_interrupt(exc: BaseException) -> None:
    """Raise ``KeyboardInterrupt`` (from ``exc``) when ``exc`` is a Ctrl-C (``is_interrupt``): the first line
    of every ``except Exception`` that keeps a run going, so that Ctrl-C stops the run instead of being
    reported as that step's failure."""
    if is_interrupt(exc) and not isinstance(exc, KeyboardInterrupt):
        raise KeyboardInterrupt(str(exc)) from exc


class PipelineError(Exception):
    """Base of every error the pipeline raises on purpose."""

    terminal: bool = True


class RejectedInput(PipelineError):
    """The input cannot become a document (wrong kind, empty, undecodable, broken PDF, ...)."""

    def __init__(self, path: str, reason: str, page: int | None = None) -> None:
        self.path = path
        self.reason = reason
        self.page = page
        where = f"{path} (page {page})" if page is not None else path
        super().__init__(f"{where}: {reason}")


class TransientError(PipelineError):
    """Worth retrying: the failure is about the environment, not the input."""

    terminal = False
