"""What a Prefect run of the ingestion shows its users: an artifact, log lines and an end state.

* ``RunReport.markdown()`` — the run's report as a markdown artifact (key ``refpipe-ingest``: the
  Artifacts page keeps one version per run): counts, rejected files with their reasons, new versions
  (with the command that shows their diff, and its change counts when the diff is stored), loaded files;
* ``RunReport.table()`` — one row per file that needs a look or changed the warehouse (a table artifact);
* ``RunReport.end_state()`` — ``None`` for a clean run (Prefect's Completed), else a **Failed** state whose
  message says how many files were rejected and that the others are in the warehouse.

Why Failed rather than a Completed state with a custom name: Prefect colours runs by state *type*, so
a renamed Completed stays green on the dashboard; and Prefect's stock alerts ("a flow run enters
Failed") fire on the event ``prefect.flow-run.Failed``, which a renamed state would not emit.  The
good files are loaded and published all the same (the state is set after the publish), and the flow
has no retries, so Failed re-runs nothing; the message and the artifact tell a rejection from a crash.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipeline.load.runs import OUTCOMES, count_outcomes
from pipeline.records import FileOutcome

ARTIFACT_KEY = "refpipe-ingest"
TABLE_KEY = "refpipe-ingest-files"
#: outcomes that make a run non-green (new rejections and transient failures; not the quarantine)
NEEDS_ATTENTION = ("rejected", "failed")


@dataclass(frozen=True)
class NewVersion:
    key: str
    version: int
    previous_version: int | None
    path: str
    changes: int | None  # stored diff against the previous version (None: not computed yet)


@dataclass(frozen=True)
class RunReport:
    outcomes: tuple[FileOutcome, ...]
    warehouse: str
    new_versions: tuple[NewVersion, ...] = ()

    @property
    def counts(self) -> dict[str, int]:
        return {str(status): n for status, n in count_outcomes(self.outcomes).items()}

    @property
    def attention(self) -> list[FileOutcome]:
        return [o for o in self.outcomes if o.status in NEEDS_ATTENTION]

    def summary(self) -> str:
        """One line: ``7 file(s): 4 loaded, 1 partial, 2 rejected``."""
        counts = ", ".join(f"{n} {status}" for status, n in self.counts.items() if n) or "nothing to do"
        return f"{len(self.outcomes)} file(s): {counts}"

    def markdown(self) -> str:
        lines = [f"# refpipe ingest: {self.summary()}", "", f"Warehouse: `{self.warehouse}`", "",
                 "| outcome | files |", "|---|---:|"]
        lines += [f"| {status} | {n} |" for status, n in self.counts.items() if status in OUTCOMES]
        attention = self.attention
        lines += ["", f"## Rejected ({len(attention)})", ""]
        if attention:
            lines += ["| file | outcome | reason |", "|---|---|---|"]
            lines += [f"| `{_cell(Path(o.path).name)}` | {o.status} | {_cell(o.reason or '')} |" for o in attention]
        else:
            lines.append("None.")
        lines += ["", f"## New versions ({len(self.new_versions)})", ""]
        if self.new_versions:
            lines += ["| key | version | previous | changes | diff |", "|---|---:|---:|---:|---|"]
            for v in self.new_versions:
                diff = (f"`refpipe diff {v.key}@{v.previous_version} {v.key}@{v.version} --format html`"
                        if v.previous_version else "")
                changes = "" if v.changes is None else str(v.changes)
                lines.append(f"| {v.key} | {v.version} | {v.previous_version or ''} | {changes} | {diff} |")
        else:
            lines.append("None.")
        loaded = [o for o in self.outcomes if o.status in ("loaded", "partial")]
        lines += ["", f"## Loaded ({len(loaded)})", ""]
        lines += [f"- `{_cell(Path(o.path).name)}` ({o.kind or '?'}, {o.status})" + _export_counts(o)
                  for o in loaded] or ["None."]
        copies = sum(o.new_source for o in self.outcomes)
        unchanged = self.counts.get("unchanged", 0) + self.counts.get("quarantined", 0) - copies
        if unchanged:
            lines += ["", f"{unchanged} file(s) already known (same bytes) were skipped without being read."]
        if copies:
            lines += ["", f"{copies} new file(s) hold a document the warehouse already has (a copy or another "
                          "rendering): read, and recorded as its sources."]
        return "\n".join(lines) + "\n"

    def export_lines(self) -> list[str]:
        """One line per open-data export imported: its name and what it changed (``refpipe serve`` prints them)."""
        return [f"{Path(o.path).name}{_export_counts(o)}" for o in self.outcomes
                if o.kind == "export" and o.status in ("loaded", "partial")]

    def table(self) -> list[dict[str, str]]:
        """Every file but the skipped ones (unchanged, quarantined): file, outcome, kind, reason."""
        return [{"file": o.path, "outcome": o.status, "kind": o.kind or "", "reason": o.reason or ""}
                for o in self.outcomes if o.status not in ("unchanged", "quarantined")]

    def end_message(self) -> str | None:
        """The Failed state's message, None when the run is clean."""
        attention = self.attention
        if not attention:
            return None
        first = attention[0].reason or attention[0].path
        kept = len(self.outcomes) - len(attention)
        return (f"{len(attention)} of {len(self.outcomes)} file(s) rejected or failed ({self.summary()}); "
                f"the other {kept} are in the warehouse. First: {first}")


def _export_counts(o: FileOutcome) -> str:
    """An open-data export's import summary (fiches new, changed, withdrawn, notes), without its path."""
    if o.kind != "export" or not o.reason:
        return ""
    return ": " + _cell(o.reason.removeprefix(f"{o.path}: "))


def _cell(text: str) -> str:
    return " ".join(text.replace("|", "\\|").split())


def new_versions(warehouse: str, outcomes: tuple[FileOutcome, ...]) -> tuple[NewVersion, ...]:
    """The versions > 1 this run loaded, with the stored diff's change count when there is one."""
    ids = [o.document_id for o in outcomes if o.status in ("loaded", "partial") and o.document_id]
    if not ids:
        return ()
    from pipeline.load import warehouse as wh

    con = wh.connect(warehouse, read_only=True)
    try:
        rows = con.execute(
            "SELECT v.key, v.version, v.previous_version, v.source_path, "
            "(SELECT max(r.changes) FROM v_diff_runs r WHERE r.new_document_id = v.document_id "
            " AND r.old_document_id = v.previous_id) "
            "FROM v_versions v WHERE v.document_id IN (SELECT unnest(?)) AND v.version > 1 "
            "ORDER BY v.key, v.version", [ids]).fetchall()
    finally:
        con.close()
    return tuple(NewVersion(key, int(version), previous, path, changes)
                 for key, version, previous, path, changes in rows)
