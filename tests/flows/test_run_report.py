"""What a Prefect user sees of an ingest run: the report artifacts (loaded, rejected with reasons, new
versions), the run's log lines, and an end state a dashboard shows red when a file was rejected."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from uuid import UUID

import pytest
from golden import FIXTURES
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    ArtifactFilter,
    ArtifactFilterFlowRunId,
    FlowRunFilter,
    FlowRunFilterId,
    LogFilter,
    LogFilterFlowRunId,
)
from prefect.logging.handlers import APILogWorker
from prefect.states import StateType

from flows.ingest import ingest_flow, outcomes_of
from flows.report import ARTIFACT_KEY, TABLE_KEY

pytestmark = pytest.mark.e2e  # a Prefect server (the test harness)

SEED_001 = FIXTURES / "seeds" / "001_1b606db1c3205ecb.txt"


def _artifacts(flow_run_id: UUID) -> dict[str, object]:
    with get_client(sync_client=True) as client:
        found = client.read_artifacts(artifact_filter=ArtifactFilter(
            flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id])))
    return {a.key or a.type or "": a.data for a in found}


def _logs(flow_run_id: UUID) -> list[str]:
    APILogWorker.drain_all(timeout=10)  # run logs are sent in batches: send what is queued, and wait
    with get_client(sync_client=True) as client:
        return [log.message for log in client.read_logs(log_filter=LogFilter(
            flow_run_id=LogFilterFlowRunId(any_=[flow_run_id])))]


def _stored_state(flow_run_id: UUID) -> tuple[StateType, str, str]:
    with get_client(sync_client=True) as client:
        run = client.read_flow_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])))[0]
    assert run.state is not None
    return run.state.type, run.state.name or "", run.state.message or ""


def test_a_run_with_a_rejected_file_ends_failed_with_its_report(prefect_harness, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(SEED_001, inbox / "a_seed.txt")
    (inbox / "b_notes.txt").write_text("Compte rendu de réunion, rien à voir.\n", encoding="utf-8")
    warehouse = tmp_path / "w.duckdb"

    state = ingest_flow([str(inbox)], str(warehouse), return_state=True)

    outcomes = outcomes_of(state)
    assert [o.status for o in outcomes] == ["loaded", "rejected"]
    run_id = state.state_details.flow_run_id
    assert run_id is not None
    kind, name, message = _stored_state(run_id)
    assert kind is StateType.FAILED and name == "Failed"  # red on the dashboard; stock "Failed" alerts fire
    assert message.startswith("1 of 2 file(s) rejected or failed") and "b_notes.txt" in message
    assert "the other 1 are in the warehouse" in message
    assert warehouse.is_file()  # the good file is published all the same

    artifacts = _artifacts(run_id)
    report = str(artifacts[ARTIFACT_KEY])
    assert report.startswith("# refpipe ingest: 2 file(s): 1 loaded, 1 rejected")
    assert "## Rejected (1)" in report and "| `b_notes.txt` | rejected |" in report
    assert "not a CQPM référentiel or RNCP fiche" in report  # the reason, as the CLI prints it
    assert "## Loaded (1)" in report and "- `a_seed.txt` (cqpm, loaded)" in report
    table = artifacts[TABLE_KEY]
    rows = table if isinstance(table, list) else json.loads(str(table))
    assert [(Path(r["file"]).name, r["outcome"]) for r in rows] == [("a_seed.txt", "loaded"),
                                                                    ("b_notes.txt", "rejected")]

    logs = _logs(run_id)
    assert any(m.startswith("loaded ") and "a_seed.txt" in m for m in logs)
    assert any(m.startswith("rejected: ") and "b_notes.txt" in m for m in logs)
    assert any(m.startswith("done: 2 file(s): 1 loaded, 1 rejected") for m in logs)


def test_a_clean_run_is_completed_and_reports_its_new_versions(prefect_harness, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    pair = FIXTURES / "versions" / "001_1b606db1c3205ecb.s1"  # a référentiel and its revision
    shutil.copy(pair / "v1.rl-portrait-grid.pdf", inbox / "a_v1.pdf")
    shutil.copy(pair / "v2.rl-portrait-grid.pdf", inbox / "b_v2.pdf")

    state = ingest_flow([str(inbox)], str(tmp_path / "w.duckdb"), return_state=True)

    assert state.type is StateType.COMPLETED and state.name == "Completed"
    assert [o.status for o in outcomes_of(state)] == ["loaded", "loaded"]
    report = str(_artifacts(state.state_details.flow_run_id)[ARTIFACT_KEY])  # type: ignore[arg-type]
    assert "## Rejected (0)" in report and "## New versions (1)" in report
    key = re.search(r"`refpipe diff (\S+)@1 (\S+)@2 --format html`", report)
    assert key and key.group(1) == key.group(2) and f"| {key.group(1)} | 2 | 1 |" in report
