"""The CLI as a user runs it: ingest, show --json against the gold, sql, help (in process, see
``cli_runner``); the console script itself once, as a process (e2e)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from cli_runner import REFPIPE, Ran
from cli_runner import refpipe as run
from golden import FIXTURES, assert_same_document, load_gold

from refpipe.cli import app

SEEDS = sorted((FIXTURES / "seeds").glob("*.txt"))


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Ran]:
    work = tmp_path_factory.mktemp("cli")
    inbox = work / "inbox"
    inbox.mkdir()
    for seed in SEEDS:
        shutil.copy(seed, inbox / seed.name)
    shutil.copy(FIXTURES / "bad" / "png_named.pdf", inbox / "png_named.pdf")
    warehouse = work / "w.duckdb"
    result = run("ingest", str(inbox), "--warehouse", str(warehouse))
    return inbox, warehouse, result


def test_ingest_summarises_and_exits_1_on_rejection(ingested) -> None:
    inbox, _, result = ingested
    assert result.returncode == 1, result.stderr
    assert "4 loaded" in result.stdout and "1 partial" in result.stdout and "1 rejected" in result.stdout
    partial = next(s for s in SEEDS if s.name.startswith("003"))
    assert f"partial {inbox / partial.name}: new_caledonia" in result.stdout  # which file, what it could not read
    assert "png_named.pdf" in result.stdout and "PNG" in result.stdout
    assert "CQPM capacities: 26" in result.stdout and "RNCP capacities: 16" in result.stdout
    assert "INFO" not in result.stdout  # Prefect's log lines stay out of the summary


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.stem)
def test_show_json_matches_gold(ingested, seed: Path) -> None:
    inbox, warehouse, _ = ingested
    result = run("show", str(inbox / seed.name), "--json", "--warehouse", str(warehouse))
    assert result.returncode == 0, result.stderr
    assert_same_document(json.loads(result.stdout), load_gold(FIXTURES / "gold" / f"{seed.stem}.json"), seed.stem)


def test_show_by_id_and_unknown_document(ingested) -> None:
    inbox, warehouse, _ = ingested
    doc = json.loads(run("show", str(inbox / SEEDS[1].name), "--json", "-w", str(warehouse)).stdout)
    by_id = run("show", doc["id"], "-w", str(warehouse))
    assert by_id.returncode == 0 and "Coordonnateur" in by_id.stdout
    missing = run("show", "no-such-document", "-w", str(warehouse))
    assert missing.returncode == 1 and "no-such-document" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_show_prints_readable_facts(ingested) -> None:
    inbox, warehouse, _ = ingested
    result = run("show", str(inbox / SEEDS[1].name), "-w", str(warehouse))
    assert result.returncode == 0, result.stderr
    assert "(prints no CQPM number)" in result.stdout and "None" not in result.stdout
    assert "(1 condition, 3 criteria)" in result.stdout  # capacity 2 of CQPM 0195


def test_input_and_warehouse_mistakes_get_one_line_and_the_right_exit_code(ingested, tmp_path: Path) -> None:
    inbox, _, _ = ingested
    missing = run("ingest", str(tmp_path / "nowhere"), "-w", str(tmp_path / "w.duckdb"))
    assert missing.returncode == 2 and f"no such file or folder: {tmp_path / 'nowhere'}" in missing.stderr
    assert not (tmp_path / "w.duckdb").exists()
    folder = tmp_path / "a-folder"
    folder.mkdir()
    for args in (("ingest", str(inbox), "-w", str(folder)), ("status", "-w", str(folder))):
        result = run(*args)
        assert result.returncode == 1, result.stderr
        assert f"warehouse {folder} is a folder: give the warehouse file" in result.stderr
        assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert list(folder.iterdir()) == [] and not Path(f"{folder}.lock").exists()  # nothing written beside it


def test_sql_formats(ingested) -> None:
    _, warehouse, _ = ingested
    query = "SELECT kind, count(*) AS n FROM documents GROUP BY kind ORDER BY kind"
    as_json = run("sql", query, "--json", "-w", str(warehouse))
    assert json.loads(as_json.stdout) == [{"kind": "cqpm", "n": 3}, {"kind": "rncp", "n": 2}]
    as_csv = run("sql", query, "--csv", "-w", str(warehouse))
    assert as_csv.stdout.splitlines() == ["kind,n", "cqpm,3", "rncp,2"]
    bad = run("sql", "SELECT * FROM nowhere", "-w", str(warehouse))
    assert bad.returncode == 1 and "nowhere" in bad.stderr and "Traceback" not in bad.stderr


@pytest.mark.e2e  # the console script reading its standard input
def test_sql_reads_the_query_from_stdin_or_a_file(ingested, tmp_path: Path) -> None:
    _, warehouse, _ = ingested
    query = "-- documents per kind\nSELECT kind, count(*) AS n\nFROM documents\nGROUP BY kind ORDER BY kind;\n"
    env = {**os.environ, "COLUMNS": "200"}
    piped = subprocess.run([str(REFPIPE), "sql", "-", "--csv", "-w", str(warehouse)], input=query,
                           capture_output=True, text=True, env=env, timeout=300)
    assert piped.returncode == 0, piped.stderr
    assert piped.stdout.splitlines() == ["kind,n", "cqpm,3", "rncp,2"]
    script = tmp_path / "q.sql"
    script.write_text("SELECT 1 AS first;\n" + query, encoding="utf-8")
    from_file = run("sql", "--file", str(script), "--csv", "-w", str(warehouse))
    assert from_file.returncode == 0 and from_file.stdout.splitlines() == ["kind,n", "cqpm,3", "rncp,2"]
    neither = run("sql", "-w", str(warehouse))
    assert neither.returncode == 2 and "give one query" in neither.stderr


def test_ingest_twice_adds_nothing(ingested) -> None:
    inbox, warehouse, _ = ingested
    count = "SELECT (SELECT count(*) FROM documents) + (SELECT count(*) FROM cqpm_criteria) AS n"
    before = run("sql", count, "--json", "-w", str(warehouse)).stdout
    again = run("ingest", str(inbox), "-w", str(warehouse))
    assert "5 unchanged" in again.stdout
    assert run("sql", count, "--json", "-w", str(warehouse)).stdout == before


@pytest.mark.e2e
def test_the_console_script_ingests_shows_and_helps(tmp_path: Path) -> None:
    """The installed entry point, as a process: the in-process tests above stand for it otherwise."""
    env = {**os.environ, "COLUMNS": "200"}
    warehouse = str(tmp_path / "w.duckdb")
    ingest = subprocess.run([str(REFPIPE), "ingest", str(SEEDS[1]), "-w", warehouse], capture_output=True, text=True,
                            env=env, timeout=300)
    assert ingest.returncode == 0 and "1 loaded" in ingest.stdout, ingest.stderr
    show = subprocess.run([str(REFPIPE), "show", str(SEEDS[1]), "--json", "-w", warehouse], capture_output=True,
                          text=True, env=env, timeout=300)
    assert_same_document(json.loads(show.stdout), load_gold(FIXTURES / "gold" / f"{SEEDS[1].stem}.json"), SEEDS[1].stem)
    helped = subprocess.run([str(REFPIPE), "--help"], capture_output=True, text=True, env=env, timeout=300)
    assert helped.returncode == 0 and "ingest" in helped.stdout


@pytest.mark.parametrize("command", [c.name or c.callback.__name__ for c in app.registered_commands])  # type: ignore[union-attr]
def test_every_command_has_help_with_an_example(command: str) -> None:
    result = run(command, "--help")
    assert result.returncode == 0
    assert "Example" in result.stdout and f"refpipe {command}" in result.stdout


def test_run_logs_leave_the_terminal_unless_the_user_asks_for_prefect_logs(monkeypatch: pytest.MonkeyPatch) -> None:
    import logging

    from prefect import flow  # noqa: F401 - as refpipe ingest imports it: sets up Prefect's console handler
    from prefect.logging.handlers import PrefectConsoleHandler

    from refpipe import app as app_module

    handlers = [h for h in logging.getLogger().handlers if isinstance(h, PrefectConsoleHandler)]
    assert handlers
    before = {id(h): list(h.filters) for h in handlers}
    monkeypatch.setattr(os, "environ", {**os.environ, "PREFECT_LOGGING_LEVEL": "DEBUG"})
    app_module.quiet_prefect()
    app_module.run_logs_to_api_only()
    assert {id(h): list(h.filters) for h in handlers} == before  # debugging a run: the logs stay
    monkeypatch.setattr(os, "environ", {**os.environ, "PREFECT_LOGGING_LEVEL": "WARNING"})  # as refpipe's own
    app_module.quiet_prefect()
    app_module.run_logs_to_api_only()
    try:
        run_log = logging.LogRecord("prefect.task_runs", logging.ERROR, __file__, 1, "boom", None, None)
        other = logging.LogRecord("prefect.client", logging.ERROR, __file__, 1, "server down", None, None)
        assert all(not h.filter(run_log) and h.filter(other) for h in handlers)
    finally:
        for h in handlers:
            h.filters = before[id(h)]


def test_prefect_stays_off_the_terminal_but_its_run_logs_reach_the_api(monkeypatch: pytest.MonkeyPatch) -> None:
    """What `refpipe ingest` (with PREFECT_API_URL) and `refpipe serve` set before Prefect is imported:
    no telemetry notice (it would print inside the progress bar), run logs to the API at INFO, the
    terminal from WARNING; the user's own PREFECT_LOGGING_LEVEL wins."""
    from prefect._internal.analytics.enabled import is_telemetry_enabled

    from refpipe import app as app_module

    clean = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_") and k != "DO_NOT_TRACK"}
    monkeypatch.setattr(os, "environ", dict(clean))
    app_module.quiet_prefect()
    assert os.environ["DO_NOT_TRACK"] == "1" and not is_telemetry_enabled()
    assert os.environ["PREFECT_LOGGING_LOGGERS_PREFECT_FLOW_RUNS_LEVEL"] == "INFO"
    assert os.environ["PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL"] == "WARNING"
    monkeypatch.setattr(os, "environ", {**clean, "PREFECT_LOGGING_LEVEL": "DEBUG"})
    app_module.quiet_prefect()
    assert "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL" not in os.environ  # debugging: everything on the terminal
