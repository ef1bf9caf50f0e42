"""The Prefect server's scheduler turns `refpipe serve`'s cron schedule into flow runs.

tests/flows/test_deploy.py triggers the deployment's runs by hand; nothing there shows that the server itself
creates the scheduled runs.  With SQLAlchemy 2.1 it did not: Prefect 3.8.8's scheduler failed on every pass
("Can't evaluate bulk DML statement; please supply a bulk_dml decorated function", in the server's log only),
so `refpipe serve` waited forever and the weekly export was never imported.  pyproject.toml pins
SQLAlchemy below 2.1.  This runs the scheduler's own model call on a throwaway SQLite database, in a child
process (Prefect reads its settings once, at import)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e  # a child interpreter that creates Prefect's database (~10-30 s)

PROBE = """
import asyncio
async def main():
    from prefect.server import models, schemas
    from prefect.server.database import provide_database_interface
    db = provide_database_interface()
    await db.create_db()
    async with db.session_context(begin_transaction=True) as session:
        flow = await models.flows.create_flow(session=session, flow=schemas.core.Flow(name="probe"))
        schedule = schemas.core.DeploymentSchedule(
            schedule=schemas.schedules.CronSchedule(cron="0 6 * * 1-5", timezone="UTC"), active=True)
        deployment = await models.deployments.create_deployment(session=session, deployment=schemas.core.Deployment(
            name="probe", flow_id=flow.id, schedules=[schedule]))
        ids = await models.deployments.schedule_runs(session=session, deployment_id=deployment.id, min_runs=2,
                                                     max_runs=2)
    print("scheduled", len(ids))
asyncio.run(main())
"""


def test_the_server_schedules_the_runs_of_a_cron_deployment(tmp_path: Path) -> None:
    env = {**os.environ, "PREFECT_HOME": str(tmp_path), "PREFECT_LOGGING_LEVEL": "WARNING", "DO_NOT_TRACK": "1",
           "PREFECT_API_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{tmp_path / 'prefect.db'}"}
    env.pop("PREFECT_API_URL", None)
    done = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and done.stdout.split() == ["scheduled", "2"], done.stderr[-2000:]
