"""The typer application and what every command shares: consoles, options, error mapping.

Exit codes: 0 success; 1 when an input was rejected or a document/query failed; 2 usage error;
75 a transient failure (for example the warehouse is locked by another process): try again; 130 a write
stopped by Ctrl-C (the warehouse as last published).
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import os
import sys
import threading
from collections.abc import Callable
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.segment import Segment

from pipeline.errors import PipelineError, TransientError
from pipeline.normalize.text import json_safe, terminal_safe

if TYPE_CHECKING:
    import duckdb

T = TypeVar("T")

DEFAULT_WAREHOUSE = Path("warehouse/referentiels.duckdb")
DEFAULT_RAW = Path("raw")
EXIT_TRANSIENT = 75
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report a command stopped by Ctrl-C

app = typer.Typer(
    name="refpipe",
    help="Turn CQPM référentiels and RNCP fiches (PDF or text) into a DuckDB warehouse you can query.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="markdown",
)
# Piped or redirected, rich would lay tables out for 80 columns (cutting keys and paths): give them room.
_WIDTH = None if sys.stdout.isatty() or "COLUMNS" in os.environ else 200


class SafeConsole(Console):
    """A rich console that prints every control or bidi character of the text it is given as an escape
    (``\\u202e``): a stored value (a file name, a text) can never drive the terminal.  Rich's own styling
    sequences are control segments and go through untouched."""

    def render_str(self, text: str, **kwargs: Any) -> Any:  # escaped before layout: tables stay aligned
        return super().render_str(terminal_safe(text), **kwargs)

    def _render_buffer(self, buffer: Any) -> str:
        safe = (seg if seg.control else Segment(terminal_safe(seg.text), seg.style, seg.control) for seg in buffer)
        return super()._render_buffer(safe)


out = SafeConsole(highlight=False, soft_wrap=True, width=_WIDTH)
err = SafeConsole(stderr=True, highlight=False, soft_wrap=True)  # a message is one line, wrapped by the terminal


def write_text(text: str) -> None:
    """Write a report (markdown, CSV) to stdout, control and bidi characters escaped (``terminal_safe``)."""
    sys.stdout.write(terminal_safe(text))


def write_json(text: str) -> None:
    """Write JSON to stdout with control and bidi characters as JSON escapes: the same value, and harmless
    on a terminal."""
    sys.stdout.write(json_safe(text))

WarehouseOpt = Annotated[
    Path, typer.Option("--warehouse", "-w", help="DuckDB warehouse file.", show_default=True)
]


class PdfBackend(StrEnum):
    PDFIUM = "pdfium"
    PDFPLUMBER = "pdfplumber"


PdfBackendOpt = Annotated[PdfBackend | None, typer.Option(
    "--pdf-backend", help="How PDFs are read: pdfium (fast) or pdfplumber (the slower reference; both give the "
                          "same documents). Default: $REFPIPE_PDF_BACKEND or pdfium.")]


def use_pdf_backend(backend: PdfBackend | None) -> None:
    """Read PDFs with ``backend`` in this process and the extraction processes it starts."""
    if backend is not None:
        os.environ["REFPIPE_PDF_BACKEND"] = backend.value
    elif (env := os.environ.get("REFPIPE_PDF_BACKEND")) and env.strip().lower() not in set(PdfBackend):
        raise fail(f"REFPIPE_PDF_BACKEND={env!r} is not a PDF backend: use pdfium or pdfplumber", 2)


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print a clean error (no traceback) and return the Exit to raise."""
    err.print(f"[bold red]error:[/] {message}", markup=True, highlight=False)
    return typer.Exit(code)


def as_of_date(value: str | None) -> date | None:
    """An ``--as-of`` option's date (YYYY-MM-DD); a clean error (exit 2) when it is not one."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise fail(f"--as-of {value!r} is not a date (YYYY-MM-DD)", 2) from exc


def exit_for(exc: PipelineError) -> typer.Exit:
    return fail(str(exc), EXIT_TRANSIENT if isinstance(exc, TransientError) else 1)


def interrupted(warehouse: Path) -> typer.Exit:
    """Ctrl-C during a write: say what is kept and what to do (no traceback); exit 130."""
    err.print(f"[bold yellow]interrupted:[/] {warehouse} is as it was at its last publish (what was loaded "
              "after it is dropped, never half a document); run the same command again to finish: the files "
              "already loaded are skipped", markup=True, highlight=False)
    return typer.Exit(EXIT_INTERRUPTED)


def quiet_prefect() -> None:
    """Keep Prefect's own messages, run logs and telemetry notice off the user's terminal, while the run
    logs still reach the Prefect API (the UI's Logs tab).  Set before prefect is imported (the flow runs
    of `refpipe serve` are subprocesses: they inherit these variables)."""
    global _USER_LOG_LEVEL
    _USER_LOG_LEVEL = os.environ.get("PREFECT_LOGGING_LEVEL")
    quiet = {
        "PREFECT_LOGGING_LEVEL": "WARNING",
        "PREFECT_LOGGING_SERVER_LEVEL": "WARNING",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        # the SDK's first-run telemetry notice (printed on `import prefect` in a terminal: inside the
        # progress bar) and its events: off, as the server's
        "DO_NOT_TRACK": "1",
        "PREFECT_LOGGING_TO_API_BATCH_INTERVAL": "0.5",
        # the first run on a machine creates the ephemeral server's database (migrations): Prefect's 20 s
        # default is too short for it on a loaded 2-core machine
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
    }
    if _USER_LOG_LEVEL is None:  # run logs at INFO to the API, the terminal only from WARNING
        quiet.update({"PREFECT_LOGGING_LOGGERS_PREFECT_FLOW_RUNS_LEVEL": "INFO",
                      "PREFECT_LOGGING_LOGGERS_PREFECT_TASK_RUNS_LEVEL": "INFO",
                      "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL": "WARNING"})
    for key, value in quiet.items():
        os.environ.setdefault(key, value)


_USER_LOG_LEVEL: str | None = None  # PREFECT_LOGGING_LEVEL as the user set it (None: refpipe's WARNING)


class _NotFlowRunLogs(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not record.name.startswith(("prefect.flow_runs", "prefect.task_runs"))


def run_logs_to_api_only() -> None:
    """Keep the flow and task run logs (an ERROR with a traceback for every failed run, retried task…)
    off the terminal: refpipe reports each outcome itself, an expected error as one line, and an
    unexpected one with its traceback.  They still reach the Prefect API (the UI, `prefect flow-run
    logs`).  Not when the user set ``PREFECT_LOGGING_LEVEL`` to INFO or DEBUG (debugging a run: they asked).
    Call after Prefect is imported: it sets up its console handler (on the root logger) then."""
    from prefect.logging.handlers import PrefectConsoleHandler

    asked = logging.getLevelName((_USER_LOG_LEVEL or "WARNING").upper())
    if isinstance(asked, int) and asked < logging.WARNING:
        return
    for handler in logging.getLogger().handlers:
        if isinstance(handler, PrefectConsoleHandler) and not any(
                isinstance(f, _NotFlowRunLogs) for f in handler.filters):
            handler.addFilter(_NotFlowRunLogs())


def read_warehouse(warehouse: Path, query: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
    """Run ``query`` on a read-only connection to the published warehouse; pipeline errors exit cleanly."""
    from pipeline.load import warehouse as wh

    try:
        con = wh.connect(warehouse, read_only=True)
        try:
            return query(con)
        finally:
            con.close()
    except PipelineError as exc:
        raise exit_for(exc) from exc


def print_json(data: Any) -> None:
    write_json(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


_NORMAL_EXIT = False  # set by a command that ends with the interpreter's normal exit (``normal_exit``)


def normal_exit() -> None:
    """Make ``exit_now`` end this process the normal way: for `refpipe serve`, which runs for days (a quicker
    end is worth nothing) and whose Prefect runner's flow-run processes and transports are closed by the
    interpreter's teardown."""
    global _NORMAL_EXIT
    _NORMAL_EXIT = True


def exit_now(code: object) -> NoReturn:
    """End the process with ``code`` (a ``SystemExit`` code) without the interpreter's teardown.

    Once a command is done, CPython would free every object of every module it imported, one by one
    (typer, rich, duckdb, pydantic, and Prefect's hundreds of modules): ~0.1 s after `refpipe show`, ~0.4 s
    after an orchestrated ingest, for nothing.  The exit handlers still run (logging's flush; Prefect drains
    its log and event workers and stops its threads there) and the output is flushed.  When a thread that
    is not a daemon is still alive, or the command asked for it (``normal_exit``), a normal exit instead."""
    if _NORMAL_EXIT or any(t.is_alive() and not t.daemon for t in threading.enumerate()
                           if t is not threading.main_thread()):
        sys.exit(code)  # type: ignore[arg-type]
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:  # a message, as sys.exit prints it
        print(code, file=sys.stderr)
        status = 1
    atexit._run_exitfuncs()
    os._exit(status if _flush_std() else 120)


def _flush_std() -> bool:
    """Flush stdout and stderr as the interpreter does at its exit: False (the interpreter's status 120, with a
    message) when one of them could not be written (a full disk, a closed pipe): output lost is never exit 0."""
    written = True
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if stream is None or getattr(stream, "closed", False):
            continue
        try:
            stream.flush()
        except Exception as exc:  # noqa: BLE001 - reported as the interpreter would, then the status says it
            written = False
            with contextlib.suppress(OSError):
                os.write(2, f"Exception ignored while flushing sys.{name}: {exc!r}\n".encode(errors="replace"))
    return written
