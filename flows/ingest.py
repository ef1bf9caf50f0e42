"""The ingestion flow: ``pipeline.runtime.ingest_paths`` with its stages as Prefect tasks.

The tasks are ``extract`` (one per chunk of files), ``link`` and ``record-run``; the loads are called by the
flow itself (one writer, in order: a task run per chunk would only add orchestration CPU on the cores the
extractions use). Each task is a one-call wrapper around a ``pipeline.runtime`` function; the scheduling (skip
known bytes, extract in parallel, load in order, links, run record) is ``ingest_paths``' own, the same code a
one-off ``refpipe ingest`` runs in process. The flow is what scheduled and deployed runs use (the Prefect UI
shows its tasks), and what ``--dask`` needs: the extract tasks then run on a Dask cluster through
``prefect-dask``'s ``DaskTaskRunner`` (``pip install 'refpipe[dask]'``).

``run_ingest`` picks the task runner (``--workers``, ``--dask``) and runs the flow.

Each run logs one line per file that changed the warehouse or was rejected (the flow run's logger: the
Prefect UI's Logs tab), publishes its report as artifacts (``flows.report``: counts, rejections with their
reasons, new versions) and, when a file was rejected or failed, ends **Failed** with a message saying so
(the good files are loaded all the same): the dashboard and Prefect's alerts tell it from a clean run.
Call the flow with ``return_state=True`` and read the outcomes with ``outcomes_of`` (``run_ingest`` does).
"""

from __future__ import annotations

from contextvars import ContextVar
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.futures import PrefectFuture
from prefect.states import Failed, State
from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner

from flows import orphans
from flows.report import ARTIFACT_KEY, TABLE_KEY, RunReport, new_versions
from pipeline import runtime
from pipeline.errors import TransientError
from pipeline.limits import Limits
from pipeline.load.runs import RunRecord
from pipeline.records import FileOutcome, SourceFile
from pipeline.runtime import Discovered, Extracted, IngestOptions, Pending, Progress, default_workers
from pipeline.runtime.links import RecomputeSummary

# ``run_ingest``'s progress callbacks reach the flow here rather than as parameters: Prefect ships the
# flow's parameters to remote task runners (Dask), and a progress bar cannot be pickled
_progress: ContextVar[tuple[Progress | None, Discovered | None]] = ContextVar("refpipe_progress",
                                                                              default=(None, None))

#: seconds to connect to a Dask scheduler before giving up (``--dask``)
DASK_CONNECT_TIMEOUT = 30


def task_runner(workers: int | None = None, dask: str | None = None) -> TaskRunner[PrefectFuture[Any]]:
    """The runner of the ``extract`` tasks: ``workers`` threads (each drives an extraction process), or the
    Dask cluster at ``dask`` (``tcp://host:port``), whose workers run the extractions."""
    if dask:
        try:
            from prefect_dask import DaskTaskRunner
        except ImportError as exc:
            raise ImportError("--dask needs the Dask extra: pip install 'refpipe[dask]'") from exc

        runner: TaskRunner[Any] = DaskTaskRunner(address=dask, client_kwargs={"timeout": DASK_CONNECT_TIMEOUT})
    else:
        runner = ThreadPoolTaskRunner(max_workers=workers or default_workers())
    return runner


# no cache policy: Prefect would otherwise hash every task's inputs (whole documents) for a cache key


@task(name="extract", cache_policy=NO_CACHE)
def extract_task(sources: list[SourceFile], limits: Limits) -> list[Extracted]:
    return runtime.extract_chunk(sources, limits)


@task(name="link", retries=2, retry_delay_seconds=1, cache_policy=NO_CACHE)
def link_task(warehouse: str) -> RecomputeSummary:
    return runtime.link(warehouse)


@task(name="record-run", cache_policy=NO_CACHE)
def record_run_task(warehouse: str, run: RunRecord) -> None:
    runtime.record(warehouse, run)


class PrefectStages:
    """``pipeline.runtime.Stages`` as Prefect tasks of the running flow (extractions on its task runner)."""

    def submit_extract(self, sources: list[SourceFile], limits: Limits) -> Pending[list[Extracted]]:
        return extract_task.submit(sources, limits)

    def load(self, items: list[tuple[SourceFile, Extracted]], warehouse: str) -> list[FileOutcome]:
        # called by the flow itself, not as a task: a task run costs ~4 ms of CPU here and ~20 ms in the
        # Prefect server, on the cores the extraction processes need, once per chunk (benchmarks/README.md,
        # "Fewer task runs"); the loads show in the flow run's logs, one line per file
        return runtime.load_chunk(items, warehouse)

    def link(self, warehouse: str) -> RecomputeSummary:
        return link_task(warehouse)

    def record_run(self, warehouse: str, run: RunRecord) -> None:
        record_run_task(warehouse, run)

    def close(self) -> None:
        pass


@flow(name="refpipe-ingest", validate_parameters=False, task_runner=task_runner())
def ingest_flow(paths: list[str], warehouse: str, on_file: Progress | None = None,
                on_discovered: Discovered | None = None, limits: Limits | None = None,
                retry_quarantined: bool = False, trigger: str = "flow", workers: int | None = None,
                links: bool = True, include_rs: bool = True, follow_links: bool = False,
                include: tuple[str, ...] = (), exclude: tuple[str, ...] = ()) -> list[FileOutcome] | State[Any]:
    """Ingest every file under ``paths`` into the DuckDB file ``warehouse`` (``pipeline.runtime.ingest_paths``);
    ``include_rs=False`` leaves out the RS fiches of an open-data export.

    The outcomes; a Failed state carrying them when a file was rejected or failed (``outcomes_of``)."""
    from prefect.runtime import flow_run

    logger = get_run_logger()
    on_file, on_discovered = _callbacks(on_file, on_discovered)

    def log_and_report(outcome: FileOutcome) -> None:
        if outcome.status in ("rejected", "failed"):
            logger.warning("%s: %s", outcome.status, outcome.reason or outcome.path)
        elif outcome.status in ("loaded", "partial"):
            logger.info("%s %s (%s)%s", outcome.status, outcome.path, outcome.kind,
                        f": {outcome.reason}" if outcome.reason and (outcome.status == "partial"
                                                                     or outcome.kind == "export") else "")
        if on_file:
            on_file(outcome)

    options = IngestOptions(limits=limits or Limits.from_env(), retry_quarantined=retry_quarantined,
                            trigger=trigger, workers=workers, links=links, include_rs=include_rs,
                            follow_links=follow_links, include=tuple(include), exclude=tuple(exclude))
    logger.info("ingesting %s into %s (limits: %s)", ", ".join(paths), warehouse, options.limits.describe())
    outcomes = runtime.ingest_paths(paths, warehouse, options, stages=PrefectStages(), on_file=log_and_report,
                                    on_discovered=on_discovered,
                                    run_id=str(flow_run.id) if flow_run.id else None)
    report = publish_report(outcomes, warehouse)
    logger.info("done: %s", report.summary())
    message = report.end_message()
    return outcomes if message is None else Failed(message=message, data=outcomes)


def publish_report(outcomes: list[FileOutcome], warehouse: str, *, key: str | None = ARTIFACT_KEY) -> RunReport:
    """The run's report, published as a markdown and a table artifact of the running flow run."""
    done = tuple(outcomes)
    report = RunReport(done, str(Path(warehouse).resolve()), new_versions(warehouse, done))
    create_markdown_artifact(report.markdown(), key=key, description=f"refpipe ingest: {report.summary()}")
    rows = report.table()
    if rows:
        create_table_artifact(rows, key=TABLE_KEY if key else None, description="files read by this run")
    return report


def outcomes_of(state: State[Any]) -> list[FileOutcome]:
    """The outcomes a finished ``ingest_flow`` run carries, clean (Completed) or with rejections (Failed);
    raises what the run raised when it failed for another reason."""
    result = state.result(raise_on_failure=False)
    if isinstance(result, list):
        return result
    state.result()  # raises the run's own exception
    raise RuntimeError(f"ingest flow ended {state.name} without outcomes: {state.message}")  # pragma: no cover


def _callbacks(on_file: Progress | None, on_discovered: Discovered | None) -> tuple[Progress | None, Discovered | None]:
    """The flow's progress callbacks: its parameters, else ``run_ingest``'s.  (A function, so that the flow
    refers to no ContextVar itself: remote runners pickle the flow's function with what it refers to.)"""
    given = _progress.get()
    return on_file or given[0], on_discovered or given[1]


def run_ingest(paths: list[str], warehouse: str, *, workers: int | None = None, dask: str | None = None,
               on_file: Progress | None = None, on_discovered: Discovered | None = None,
               **options: Any) -> list[FileOutcome]:
    """``ingest_flow`` with the task runner for ``workers`` / ``dask`` (scheduled runs, ``--dask``)."""
    orphans.install()  # an ephemeral Prefect server started for this run dies with this process, even on kill -9
    runner = task_runner(workers, dask)
    token = _progress.set((on_file, on_discovered))
    try:
        state = ingest_flow.with_options(task_runner=runner)(paths, warehouse, workers=workers, return_state=True,
                                                             **options)
        return outcomes_of(state)
    except OSError as exc:
        if dask and dask in str(exc):  # distributed: "Timed out trying to connect to tcp://… after 30 s"
            raise TransientError(f"cannot reach the Dask scheduler: {exc}") from exc
        raise
    finally:
        _progress.reset(token)


__all__ = ["ingest_flow", "outcomes_of", "publish_report", "run_ingest", "task_runner"]
