"""Readers during writes: analysts' processes hold the warehouse open read-only while ``refpipe ingest``
loads new documents.  Both succeed; a reader sees, for each document, either nothing or all of it.

Two reader processes, as analysts use the warehouse: one holds a single read-only connection for the whole
run (a notebook), the other opens a fresh read-only connection for every query (``refpipe sql``).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from golden import FIXTURES
from procs import REFPIPE, quiet_env, stop
from variants import content_variant

pytestmark = pytest.mark.e2e  # reader and writer processes on a real Prefect server

SEEDS = sorted((FIXTURES / "seeds").glob("00[0-2]_*.txt"))  # CQPM référentiels (no spaCy linking needed)
PDFS = [FIXTURES / "pdf" / f"00{i}_{h}.rl-portrait-grid.pdf" for i, h in ((1, "1b606db1c3205ecb"),
                                                                          (2, "59b883e404a36628"))]

READER = r"""
import json, os, sys, time
import duckdb
path, stop_file, mode = sys.argv[1:4]
QUERY = '''SELECT d.id,
    (SELECT count(*) FROM cqpm_capacities c WHERE c.document_id = d.id),
    (SELECT count(*) FROM cqpm_criteria c WHERE c.document_id = d.id),
    (SELECT count(*) FROM cqpm_conditions c WHERE c.document_id = d.id),
    (SELECT count(*) FROM sources s WHERE s.sha256 = d.source_sha256)
FROM documents d ORDER BY d.id'''
states, errors, queries = [], [], 0
held = duckdb.connect(path, read_only=True) if mode == 'hold' else None

def observe():
    global queries
    con = held or duckdb.connect(path, read_only=True)
    try:
        state = [list(r) for r in con.execute(QUERY).fetchall()]
    finally:
        if held is None:
            con.close()
    queries += 1
    if not states or states[-1] != state:
        states.append(state)

observe()
print('ready', flush=True)
while not os.path.exists(stop_file):
    try:
        observe()
    except Exception as exc:
        errors.append(repr(exc))
    time.sleep(0.01)
observe()
print(json.dumps({'states': states, 'errors': errors, 'queries': queries}), flush=True)
"""


def start_reader(warehouse: Path, stop_file: Path, mode: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-c", READER, str(warehouse), str(stop_file), mode],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready", proc.stderr.read() if proc.stderr else ""
    return proc


def finish_reader(proc: subprocess.Popen[str]) -> dict[str, list]:  # type: ignore[type-arg]
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    return json.loads(out.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_readers_holding_the_warehouse_never_block_the_load_nor_see_half_a_document(
        prefect_api: str, tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    for seed in SEEDS:  # content variants: new versions of the same référentiels (new bytes alone are not)
        text = seed.read_text(encoding="utf-8")
        (first / seed.name).write_text(content_variant(text, 0), encoding="utf-8")
        for i in (1, 2):
            (second / f"{i}_{seed.name}").write_text(content_variant(text, i), encoding="utf-8")
    for pdf in PDFS:  # the seeds' original content: one more version each
        shutil.copy(pdf, second / pdf.name)
    # new bytes, content already held: unchanged, one more source of a document the readers already see
    (second / "3_resaved.txt").write_bytes((first / SEEDS[0].name).read_bytes() + b"\n")
    warehouse = tmp_path / "w.duckdb"
    env = quiet_env(PREFECT_API_URL=prefect_api)
    setup = subprocess.run([str(REFPIPE), "ingest", str(first), "-w", str(warehouse)], env=env,
                           capture_output=True, text=True, timeout=120)
    assert setup.returncode == 0, setup.stderr

    stop_file = tmp_path / "stop"
    holder = start_reader(warehouse, stop_file, "hold")
    poller = start_reader(warehouse, stop_file, "poll")
    try:
        started = time.monotonic()
        load = subprocess.run([str(REFPIPE), "ingest", str(second), "-w", str(warehouse)], env=env,
                              capture_output=True, text=True, timeout=120)
        elapsed = time.monotonic() - started
        stop_file.touch()
        held, polled = finish_reader(holder), finish_reader(poller)
    finally:
        stop_file.touch()
        stop(holder, grace=5)
        stop(poller, grace=5)

    assert load.returncode == 0, load.stderr
    assert "8 loaded" in load.stdout and "1 unchanged" in load.stdout, load.stdout
    assert held["errors"] == [] and polled["errors"] == []
    initial, final = polled["states"][0], polled["states"][-1]
    assert len(initial) == 3 and len(final) == 11
    # the held connection keeps the snapshot it opened, however many times the file was published since
    assert held["states"] == [initial] and held["queries"] > 1
    # the fresh connections saw the documents arrive, each one complete, never going away
    complete = {row[0]: row for row in final}
    for state in polled["states"]:
        for row in state:
            assert row == complete[row[0]], f"half-loaded document seen: {row} (complete: {complete[row[0]]})"
    ids = [{row[0] for row in state} for state in polled["states"]]
    assert all(a < b for a, b in zip(ids, ids[1:], strict=False))
    assert polled["queries"] > 10, f"the reader queried only {polled['queries']} times in {elapsed:.1f} s"
    print(f"reader saw {len(polled['states'])} states in {polled['queries']} queries during a {elapsed:.1f} s load")


def test_a_second_writer_waits_for_the_lock_then_exits_75(prefect_api: str, tmp_path: Path) -> None:
    from pipeline.load.publish import writing

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(SEEDS[0], inbox / SEEDS[0].name)
    warehouse = tmp_path / "w.duckdb"
    with writing(warehouse, command="refpipe diff"):
        result = subprocess.run([str(REFPIPE), "ingest", str(inbox), "-w", str(warehouse)],
                                env=quiet_env(PREFECT_API_URL=prefect_api, REFPIPE_LOCK_TIMEOUT="0.5"),
                                capture_output=True, text=True, timeout=120)
    assert result.returncode == 75, result.stderr
    assert "being written by another process" in result.stderr and "refpipe diff" in result.stderr
    # the failed flow run's ERROR log and traceback go to the Prefect API only, not the terminal
    assert "Traceback" not in result.stderr and "| ERROR" not in result.stderr, result.stderr
