"""The ``runs`` table (one row per completed ingestion run) and the quarantine (rejected sources).

See ``schema_runs.sql`` for what a run row holds.  ``record_run`` is written by the flow into its
staging file just before the final publish, so a run's row appears together with its last documents.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import duckdb

from pipeline.limits import Limits
from pipeline.load.warehouse import transaction
from pipeline.records import FileOutcome, Outcome

OUTCOMES = tuple(Outcome)


@dataclass(frozen=True)
class RunRecord:
    run_id: str
    started_at: datetime
    finished_at: datetime
    trigger: str
    paths: tuple[str, ...]
    counts: dict[Outcome, int] = field(default_factory=dict)
    limits: Limits | None = None
    note: str | None = None

    @property
    def files(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class QuarantinedSource:
    path: str
    reason: str | None
    quarantined_at: datetime
    source_sha256: str


def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def count_outcomes(outcomes: Iterable[FileOutcome]) -> dict[Outcome, int]:
    counts = dict.fromkeys(OUTCOMES, 0)
    for o in outcomes:
        counts[o.status] = counts.get(o.status, 0) + 1
    return counts


def record_run(con: duckdb.DuckDBPyConnection, run: RunRecord) -> None:
    counts = {k: run.counts.get(k, 0) for k in OUTCOMES}
    lim = run.limits
    with transaction(con):
        con.execute(
            "INSERT OR REPLACE INTO runs (run_id, started_at, finished_at, trigger, paths, files, "
            f"{', '.join(OUTCOMES)}, max_bytes, max_pages, time_limit, note) "
            f"VALUES ({', '.join('?' for _ in range(6 + len(OUTCOMES) + 4))})",
            [run.run_id, run.started_at, run.finished_at, run.trigger, list(run.paths), run.files,
             *counts.values(), lim.max_bytes if lim else None, lim.max_pages if lim else None,
             lim.seconds if lim else None, run.note])


def last_runs(con: duckdb.DuckDBPyConnection, n: int = 10) -> list[RunRecord]:
    """The ``n`` latest runs, latest first (none in a warehouse last written before runs were recorded)."""
    if con.execute("SELECT 1 FROM duckdb_tables() WHERE table_name = 'runs'").fetchone() is None:
        return []
    rows = con.execute(
        f"SELECT run_id, started_at, finished_at, trigger, paths, {', '.join(OUTCOMES)}, max_bytes, max_pages, "
        "time_limit, note FROM runs ORDER BY started_at DESC, run_id LIMIT ?", [n]).fetchall()
    out = []
    for r in rows:
        counts = dict(zip(OUTCOMES, (int(v) for v in r[5:5 + len(OUTCOMES)]), strict=True))
        mb, mp, tl = r[5 + len(OUTCOMES):8 + len(OUTCOMES)]
        limits = Limits(max_bytes=int(mb), max_pages=int(mp), seconds=float(tl)) if mb is not None else None
        out.append(RunRecord(run_id=r[0], started_at=r[1], finished_at=r[2], trigger=r[3], paths=tuple(r[4]),
                             counts=counts, limits=limits, note=r[-1]))
    return out


def quarantine(con: duckdb.DuckDBPyConnection) -> list[QuarantinedSource]:
    """Every rejected input (the quarantine), by path, less the ones a later file at the same path has
    superseded (the user fixed the file: its new bytes loaded; the old bytes stay rejected in
    ``sources`` / ``v_quarantine``, and are still skipped if they come back, but nothing waits on them)."""
    rows = con.execute(
        "SELECT s.path, s.reason, s.ingested_at, s.sha256 FROM sources s WHERE s.status = 'rejected' "
        "AND NOT EXISTS (SELECT 1 FROM sources t WHERE t.path = s.path AND t.status <> 'rejected' "
        "                AND t.ingested_at > s.ingested_at) "
        "ORDER BY s.path, s.sha256").fetchall()
    return [QuarantinedSource(*r) for r in rows]
