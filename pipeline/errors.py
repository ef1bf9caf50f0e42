"""Typed pipeline errors.

A ``RejectedInput`` is terminal: the file is wrong and retrying will not help; its message is the
reason a user reads, and it names the file (and the page where known).  A ``TransientError`` may
succeed on a retry (a locked warehouse, a flaky disk).
"""

from __future__ import annotations


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
