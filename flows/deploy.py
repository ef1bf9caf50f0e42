"""The scheduled ingestion: a Prefect deployment of the ingest flow with a cron schedule, served.

A schedule lives on a Prefect server (not on the ephemeral one ``refpipe ingest`` starts for itself):
start one with ``prefect server start --host 127.0.0.1 --port 4200`` and point
``PREFECT_API_URL=http://127.0.0.1:4200/api`` at it (README, "Scheduled ingestion").  ``refpipe serve``
then calls ``build_deployment`` and ``serve``: the deployment is registered on the server with its cron
schedule, and this process polls the server and runs each due flow run (in a subprocess), until it is
stopped (Ctrl-C / SIGTERM; Prefect then pauses the schedule, and ``refpipe serve`` resumes it).

``scheduled_ingest`` is a thin flow whose parameters are JSON (folder, warehouse, limits), so the
deployment gets a parameter schema and a run can be started from the UI or
``prefect deployment run 'refpipe-scheduled-ingest/inbox'``; it runs ``ingest_flow`` as a subflow.
The deployment's entrypoint is the module path ``flows.deploy.scheduled_ingest`` (importable wherever
refpipe is installed, whatever the working directory).

Each scheduled run prints one line on the standard output of its process, which ``refpipe serve`` shows
(``refpipe: 2026-12-07 06:00 inbox: 5 file(s): 3 loaded, 2 rejected``), logs it to the run, carries the
report as an artifact and, like ``ingest_flow``, ends Failed when a file was rejected (``flows.report``).
"""

from __future__ import annotations

import os
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger
from prefect.deployments.runner import RunnerDeployment
from prefect.schedules import Cron
from prefect.states import Failed, State
from prefect.types.entrypoint import EntrypointType

from flows.ingest import publish_report, run_ingest
from pipeline.limits import Limits
from pipeline.load.runs import count_outcomes

FLOW_NAME = "refpipe-scheduled-ingest"
DEPLOYMENT_NAME = "inbox"
DEFAULT_CRON = "0 6 * * 1-5"


@flow(name=FLOW_NAME)
def scheduled_ingest(inbox: str, warehouse: str, max_bytes: int | None = None, max_pages: int | None = None,
                     time_limit: float | None = None, workers: int | None = None,
                     dask: str | None = None) -> dict[str, int] | State[Any]:
    """Ingest the new and changed files of ``inbox`` into ``warehouse``; the counts by outcome.

    ``workers``: extraction processes (default: the CPU count); ``dask``: a Dask scheduler address
    (``tcp://host:8786``) whose workers run the extractions instead."""
    from prefect.runtime import deployment

    limits = Limits.from_env().override(max_bytes=max_bytes, max_pages=max_pages, seconds=time_limit)
    outcomes = run_ingest([inbox], warehouse, workers=workers, dask=dask, limits=limits,
                          trigger=f"deployment:{deployment.name or DEPLOYMENT_NAME}")
    counts = {k.value: n for k, n in count_outcomes(outcomes).items() if n}
    report = publish_report(outcomes, warehouse, key=None)  # on this run's page too (the subflow has the keyed one)
    line = f"refpipe: {datetime.now().astimezone():%Y-%m-%d %H:%M} {inbox}: {report.summary()}"
    sys.stdout.write(line + "\n" + "".join(f"  {x}\n" for x in report.export_lines()))  # what `refpipe serve`
    # shows: one line per run, and what each export it imported changed (fiches new, changed, withdrawn)
    sys.stdout.flush()
    message = report.end_message()
    if message is None:
        get_run_logger().info(line)
        return counts
    get_run_logger().warning(line)
    return Failed(message=message, data=counts)


def build_deployment(inbox: Path | str, warehouse: Path | str, cron: str = DEFAULT_CRON, *,
                     name: str = DEPLOYMENT_NAME, timezone: str | None = None,
                     limits: Limits | None = None, workers: int | None = None,
                     dask: str | None = None) -> RunnerDeployment:
    """The deployment of ``scheduled_ingest`` on ``inbox`` with a cron schedule (paths made absolute)."""
    parameters: dict[str, object] = {"inbox": str(Path(inbox).resolve()), "warehouse": str(Path(warehouse).resolve())}
    if limits is not None:
        parameters.update(max_bytes=limits.max_bytes, max_pages=limits.max_pages, time_limit=limits.seconds)
    if workers is not None:
        parameters["workers"] = workers
    if dask:
        parameters["dask"] = dask
    return scheduled_ingest.to_deployment(  # type: ignore[return-value]  # sync here: not in an event loop
        name=name, schedule=Cron(cron, timezone=timezone or local_timezone()), parameters=parameters,
        description=f"refpipe: ingest new and changed files of {parameters['inbox']} on the schedule '{cron}'",
        tags=["refpipe"], entrypoint_type=EntrypointType.MODULE_PATH)


def serve(deployment: RunnerDeployment) -> None:
    """Register the deployment (schedule active) and run its flow runs until stopped."""
    from prefect import serve as prefect_serve

    prefect_serve(deployment, print_starting_message=False)


def local_timezone() -> str:
    """This machine's IANA time zone (``TZ``, else ``/etc/localtime``), else UTC: cron times are local."""
    tz = os.environ.get("TZ", "").lstrip(":")
    if tz and "/" in tz:
        return tz
    try:
        target = os.path.realpath("/etc/localtime")
    except OSError:
        return "UTC"
    marker = "/zoneinfo/"
    return target.split(marker, 1)[1] if marker in target else "UTC"
