"""``refpipe status``: the last ingestion runs, what the warehouse holds, the quarantine, a running load."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any

import typer
from rich.table import Table

from pipeline.records import Outcome
from refpipe.app import DEFAULT_WAREHOUSE, WarehouseOpt, app, fail, out, read_warehouse, write_json


@app.command(epilog="Examples: `refpipe status`, `refpipe status --runs 30 --json`")
def status(
    runs: Annotated[int, typer.Option("--runs", min=1, help="How many of the last runs to show.")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    warehouse: WarehouseOpt = DEFAULT_WAREHOUSE,
) -> None:
    """Show the last ingestion runs (counts by outcome), the documents held and the quarantine.

    Reads the published warehouse read-only (never waits for a running load), and says whether a
    load is running now or the last one was interrupted. Quarantined files (rejected, with their
    reason) are not parsed again until they change; `refpipe ingest --retry-quarantined` forces it.
    """
    import duckdb

    from pipeline.load import publish
    from pipeline.load import runs as runs_mod
    from pipeline.load import warehouse as wh

    def read(con: duckdb.DuckDBPyConnection) -> tuple[Any, wh.Summary, Any]:
        try:
            return runs_mod.last_runs(con, runs), wh.summary(con), runs_mod.quarantine(con)
        except duckdb.Error as exc:  # not a refpipe warehouse
            raise fail(f"{warehouse}: cannot read the run history ({exc})") from exc

    last, summary, quarantine = read_warehouse(warehouse, read)
    running, info = publish.writer(warehouse)
    data: dict[str, Any] = {
        "warehouse": str(warehouse),
        "writer": {"running": running, "interrupted": bool(info) and not running,
                   **({"pid": info.pid, "command": info.command, "started_at": info.started_at} if info else {})},
        "runs": [_run_json(r) for r in last],
        "documents": [{"kind": k, "status": s, "documents": n} for (k, s), n in sorted(summary.by_kind_status.items())],
        "sources": summary.sources,
        "quarantine": [asdict(q) for q in quarantine],
    }
    if as_json:
        write_json(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")
        return
    _print(data)


def _run_json(r: Any) -> dict[str, Any]:
    return {"run_id": r.run_id, "started_at": r.started_at, "finished_at": r.finished_at,
            "seconds": round((r.finished_at - r.started_at).total_seconds(), 1), "trigger": r.trigger,
            "paths": list(r.paths), "files": r.files, **r.counts,
            "limits": asdict(r.limits) if r.limits else None, "note": r.note}


def _when(value: datetime | str) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if isinstance(value, datetime) else str(value)


def _print(data: dict[str, Any]) -> None:
    w = data["writer"]
    if w["running"]:
        out.print(f"[bold yellow]A load is running:[/] pid {w.get('pid', '?')} ({w.get('command', '?')}), "
                  f"since {w.get('started_at', '?')}; readers see the warehouse as last published.")
    elif w["interrupted"]:
        out.print(f"[bold red]The last load was interrupted:[/] pid {w['pid']} ({w['command']}), started "
                  f"{w['started_at']}; what it had not published was discarded, the next run redoes it.")
    table = Table("started (UTC)", "seconds", "trigger", "files", *Outcome,
                  title=f"Last runs into {data['warehouse']}", title_justify="left")
    for r in data["runs"]:
        table.add_row(_when(r["started_at"]), str(r["seconds"]), r["trigger"], str(r["files"]),
                      *(str(r[k]) for k in Outcome))
    out.print(table if data["runs"] else "[dim]No run recorded yet.[/]")
    for r in data["runs"]:
        if r["note"]:
            out.print(f"[dim]{_when(r['started_at'])}: {r['note']}[/]")
    docs = ", ".join(f"{d['kind']} {d['status']} {d['documents']}" for d in data["documents"]) or "none"
    out.print(f"[bold]Documents:[/] {docs}   [bold]sources:[/] {data['sources']}   "
              f"[bold]quarantined:[/] {len(data['quarantine'])}")
    if data["quarantine"]:
        q = Table("since (UTC)", "file", "reason", title="Quarantine (not parsed again until the file changes)",
                  title_justify="left")
        for item in data["quarantine"]:
            reason = item["reason"] or ""
            prefix = f"{item['path']}: "
            q.add_row(_when(item["quarantined_at"]), item["path"], reason.removeprefix(prefix))
        out.print(q)
