"""The schedule: ``refpipe serve`` registers the deployment with its cron schedule on a real Prefect server
(started on 127.0.0.1 by the ``prefect_api`` fixture) and runs the flow runs it is given; a triggered run
loads the inbox, a second one only what is new."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import duckdb
import pytest
from golden import FIXTURES
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterParentFlowRunId
from prefect.client.schemas.objects import FlowRun
from prefect.settings import PREFECT_API_URL, temporary_settings
from prefect.utilities.callables import parameter_schema
from procs import REFPIPE, quiet_env, stop

from flows.deploy import FLOW_NAME, build_deployment, scheduled_ingest

T = TypeVar("T")
CRON = "0 6 * * 1-5"


def wait_for(what: str, probe: Callable[[], T | None], timeout: float) -> T:
    deadline = time.monotonic() + timeout
    while True:
        got = probe()
        if got is not None:
            return got
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.5)


def test_the_deployment_has_a_json_parameter_schema_and_the_cron_schedule(tmp_path: Path) -> None:
    deployment = build_deployment(tmp_path, tmp_path / "w.duckdb", CRON, timezone="Europe/Paris")
    schema = parameter_schema(scheduled_ingest).model_dump()  # what to_deployment sends to the server
    assert set(schema["properties"]) == {"inbox", "warehouse", "max_bytes", "max_pages", "time_limit", "workers",
                                         "dask"}
    assert schema["required"] == ["inbox", "warehouse"]
    assert deployment.entrypoint == "flows.deploy.scheduled_ingest"
    [schedule] = deployment.schedules
    assert (schedule.schedule.cron, schedule.schedule.timezone) == (CRON, "Europe/Paris")  # type: ignore[union-attr]
    assert deployment.parameters["inbox"] == str(tmp_path.resolve())


@pytest.mark.e2e
def test_serve_registers_the_schedule_and_a_triggered_run_loads_the_inbox(prefect_api: str, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    seeds = sorted((FIXTURES / "seeds").glob("00[0-2]_*.txt"))
    for seed in seeds[:2]:
        shutil.copy(seed, inbox / seed.name)
    shutil.copy(FIXTURES / "bad" / "letter.pdf", inbox / "letter.pdf")
    warehouse = tmp_path / "w.duckdb"
    log = (tmp_path / "serve.log").open("w")
    serve = subprocess.Popen(
        [str(REFPIPE), "serve", "--cron", CRON, "--timezone", "Europe/Paris", "--inbox", str(inbox),
         "--warehouse", str(warehouse), "--name", "test-inbox"],
        env=quiet_env(PREFECT_API_URL=prefect_api, PREFECT_RUNNER_POLL_FREQUENCY="1"), stdout=log,
        stderr=subprocess.STDOUT, start_new_session=True)
    try:
        with temporary_settings({PREFECT_API_URL: prefect_api}), get_client(sync_client=True) as client:
            def deployment():  # noqa: ANN202
                assert serve.poll() is None, (tmp_path / "serve.log").read_text()
                found = client.read_deployments()
                return next((d for d in found if d.name == "test-inbox"), None)

            registered = wait_for("the deployment", deployment, 60)
            assert [(s.schedule.cron, s.schedule.timezone, s.active) for s in registered.schedules] == [  # type: ignore[union-attr]
                (CRON, "Europe/Paris", True)]
            assert not registered.paused
            assert registered.parameters == {"inbox": str(inbox.resolve()), "warehouse": str(warehouse.resolve()),
                                             "max_bytes": 50_000_000, "max_pages": 500, "time_limit": 120.0}
            assert client.read_flow(registered.flow_id).name == FLOW_NAME
            assert registered.parameter_openapi_schema["required"] == ["inbox", "warehouse"]  # type: ignore[index]

            def run_to_completion() -> FlowRun:
                run = client.create_flow_run_from_deployment(registered.id)

                def finished() -> FlowRun | None:
                    assert serve.poll() is None, (tmp_path / "serve.log").read_text()
                    current = client.read_flow_run(run.id)
                    return current if current.state is not None and current.state.is_final() else None

                return wait_for("the flow run", finished, 90)

            first = run_to_completion()  # letter.pdf is rejected: red on the dashboard, the rest loaded
            assert first.state is not None and first.state.is_failed(), first.state
            assert (first.state.message or "").startswith("1 of 3 file(s) rejected or failed")
            assert documents(warehouse) == 2

            shutil.copy(seeds[2], inbox / seeds[2].name)  # a new file arrives in the drop folder
            second = run_to_completion()
            assert second.state is not None and second.state.is_completed(), second.state
            assert documents(warehouse) == 3
            # the runs rows are the ingest subflows' (a scheduled run at 06:00 could add its own)
            subflows = client.read_flow_runs(flow_run_filter=FlowRunFilter(
                parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[first.id, second.id])))
            ours = [str(r.id) for r in subflows]
    finally:
        stop(serve)
        log.close()
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        runs = con.execute("SELECT trigger, loaded, unchanged, rejected, quarantined FROM runs "
                           "WHERE run_id IN (SELECT unnest(?::VARCHAR[])) ORDER BY started_at", [ours]).fetchall()
    finally:
        con.close()
    assert runs == [("deployment:test-inbox", 2, 0, 1, 0), ("deployment:test-inbox", 1, 2, 0, 1)]
    printed = (tmp_path / "serve.log").read_text()
    lines = [line for line in printed.splitlines() if line.startswith("refpipe: ")]
    assert len(lines) == 2, printed  # one line per run, nothing else from the runs
    assert lines[0].endswith("3 file(s): 2 loaded, 1 rejected") and lines[1].endswith(
        "4 file(s): 1 loaded, 2 unchanged, 1 quarantined"), lines
    assert " INFO " not in printed and "| INFO" not in printed, printed


def documents(warehouse: Path) -> int:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return int(con.execute("SELECT count(*) FROM documents").fetchone()[0])  # type: ignore[index]
    finally:
        con.close()
