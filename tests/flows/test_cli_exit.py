"""`refpipe ingest` as a user types it, on a Prefect server: the console script ends without the
interpreter's teardown (``refpipe.app.exit_now``), and what Prefect sends at exit still arrives — the run's
final state, its log lines (sent in batches, the last ones drained by an exit handler) and its report."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from golden import FIXTURES
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId, LogFilter, LogFilterFlowRunId
from prefect.client.schemas.sorting import FlowRunSort
from prefect.settings import PREFECT_API_URL, temporary_settings
from prefect.states import StateType
from procs import REFPIPE, quiet_env

from flows.report import ARTIFACT_KEY

pytestmark = pytest.mark.e2e  # a refpipe process on a real Prefect server


def test_the_quick_exit_of_refpipe_ingest_loses_no_log_line_state_or_report(prefect_api: str,
                                                                            tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(FIXTURES / "seeds" / "001_1b606db1c3205ecb.txt", inbox / "a_seed.txt")
    (inbox / "b_notes.txt").write_text("Compte rendu de réunion, rien à voir.\n", encoding="utf-8")
    warehouse = tmp_path / "w.duckdb"

    done = subprocess.run([str(REFPIPE), "ingest", str(inbox), "-w", str(warehouse)],
                          env={**quiet_env(PREFECT_API_URL=prefect_api), "PREFECT_LOGGING_LEVEL": "INFO"},
                          capture_output=True, text=True, timeout=300)  # INFO: the run's last line is its "done"

    assert done.returncode == 1, done.stderr  # a file rejected
    assert "This run: 2 file(s): 1 loaded, 1 rejected" in done.stdout  # the summary, flushed before the exit
    with temporary_settings(updates={PREFECT_API_URL: prefect_api}), get_client(sync_client=True) as client:
        runs = [r for r in client.read_flow_runs(sort=FlowRunSort.START_TIME_DESC, limit=50)
                if r.parameters.get("warehouse") == str(warehouse)]
        assert len(runs) == 1
        run = runs[0]
        assert run.state is not None and run.state.type is StateType.FAILED
        logs = [log.message for log in client.read_logs(log_filter=LogFilter(
            flow_run_id=LogFilterFlowRunId(any_=[run.id])))]
        artifacts = {a.key for a in client.read_artifacts(artifact_filter=ArtifactFilter(
            flow_run_id=ArtifactFilterFlowRunId(any_=[run.id])))}
    assert any(m.startswith("rejected: ") and "b_notes.txt" in m for m in logs)
    assert any(m.startswith("done: 2 file(s): 1 loaded, 1 rejected") for m in logs)  # the run's last line
    assert ARTIFACT_KEY in artifacts
