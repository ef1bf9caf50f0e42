"""``refpipe serve``: register the scheduled ingestion deployment on a Prefect server and run it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from refpipe.app import (
    DEFAULT_RAW,
    DEFAULT_WAREHOUSE,
    EXIT_TRANSIENT,
    PdfBackendOpt,
    WarehouseOpt,
    app,
    fail,
    normal_exit,
    out,
    quiet_prefect,
    use_pdf_backend,
)

_START_SERVER = ("start one with `PREFECT_HOME=~/.refpipe/prefect prefect server start --host 127.0.0.1 "
                 "--port 4200` and `export PREFECT_API_URL=http://127.0.0.1:4200/api`")


@app.command(epilog='Example: `PREFECT_API_URL=http://127.0.0.1:4200/api refpipe serve --cron "0 6 * * 1-5" '
                    '--inbox /data/inbox`')
def serve(
    cron: Annotated[str, typer.Option("--cron", help="When to ingest: a cron expression (minute hour day month "
                                                     "weekday), in --timezone.")] = "0 6 * * 1-5",
    inbox: Annotated[Path, typer.Option("--inbox", help="The drop folder to ingest.", file_okay=False)] = DEFAULT_RAW,
    warehouse: WarehouseOpt = DEFAULT_WAREHOUSE,
    timezone: Annotated[str | None, typer.Option(
        "--timezone", help="IANA time zone of the cron times (default: this machine's, else UTC).")] = None,
    name: Annotated[str, typer.Option("--name", help="Deployment name (several inboxes: one name each).")] = "inbox",
    max_bytes: Annotated[str | None, typer.Option("--max-bytes", help="Size limit per file (default: "
                                                  "$REFPIPE_MAX_BYTES or 50M).")] = None,
    max_pages: Annotated[int | None, typer.Option("--max-pages", min=0, help="Page limit per PDF (default: "
                                                  "$REFPIPE_MAX_PAGES or 500).")] = None,
    time_limit: Annotated[float | None, typer.Option("--time-limit", min=0, help="Seconds per document "
                                                     "(default: $REFPIPE_TIME_LIMIT or 120).")] = None,
    workers: Annotated[int | None, typer.Option("--workers", "-j", min=1, help="Documents read in parallel "
                                                "(default: the CPU count).")] = None,
    dask: Annotated[str | None, typer.Option("--dask", metavar="ADDRESS", help="Run the extractions on the Dask "
                                             "cluster at ADDRESS (tcp://host:8786).")] = None,
    pdf_backend: PdfBackendOpt = None,
) -> None:
    """Ingest a drop folder on a schedule, unattended, until stopped (Ctrl-C).

    Registers the deployment `refpipe-scheduled-ingest/NAME` with the cron schedule on the Prefect
    server in `PREFECT_API_URL` (a schedule cannot live on the ephemeral server), then runs every due
    run. Each run skips the files it has already seen (same bytes), quarantines bad ones and never
    blocks analysts reading the warehouse. `refpipe status` shows the runs. A run can also be started
    by hand: `prefect deployment run 'refpipe-scheduled-ingest/NAME'`.
    """
    normal_exit()
    use_pdf_backend(pdf_backend)
    quiet_prefect()
    from pipeline.limits import Limits, parse_size

    api = os.environ.get("PREFECT_API_URL")
    if not api:
        raise fail(f"PREFECT_API_URL is not set: a schedule needs a Prefect server; {_START_SERVER}", 2)
    if not inbox.is_dir():
        raise fail(f"inbox {inbox} is not a folder", 2)
    try:
        size = parse_size(max_bytes, "--max-bytes") if max_bytes is not None else None
        limits = Limits.from_env().override(max_bytes=size, max_pages=max_pages, seconds=time_limit)
    except ValueError as exc:
        raise fail(str(exc), 2) from exc

    from prefect.client.orchestration import get_client

    from flows.deploy import FLOW_NAME, build_deployment
    from flows.deploy import serve as serve_deployment

    try:
        deployment = build_deployment(inbox, warehouse, cron, name=name, timezone=timezone, limits=limits,
                                      workers=workers, dask=dask)
    except ValueError as exc:  # a bad cron expression or time zone (pydantic's ValidationError is one)
        raise fail(f"invalid schedule: {exc}", 2) from exc
    with get_client(sync_client=True) as client:
        problem = client.api_healthcheck()
    if problem is not None:
        raise fail(f"the Prefect server at {api} does not answer ({problem}); {_START_SERVER}", EXIT_TRANSIENT)
    out.print(f"Serving [bold]{FLOW_NAME}/{name}[/]: ingest {inbox.resolve()} into {warehouse.resolve()} on "
              f"'{cron}' ({deployment.schedules[0].schedule.timezone}) via {api}; "  # type: ignore[union-attr,index]
              f"limits: {limits.describe()}. Ctrl-C stops.")
    serve_deployment(deployment)
