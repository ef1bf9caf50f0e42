"""The run report of a scheduled run that imported an open-data export (``RunReport``, no server)."""

from __future__ import annotations

from flows.report import RunReport
from pipeline.records import FileOutcome, Outcome


def test_the_report_of_a_weekly_export_says_what_it_changed() -> None:
    """The unattended weekly run's report said only "export-….zip (export, loaded)": not how many fiches were
    new, changed or withdrawn, nor a fiche left out."""
    path = "/data/inbox/export-fiches-rncp-v4-1-2026-11-30.zip"
    line = (f"{path}: 300 fiches, 3 new, 15 changed (new versions), 282 unchanged, 3 withdrawn; a fiche without "
            "NUMERO_FICHE at line 84 (ID_FICHE 90002) was left out")
    report = RunReport((FileOutcome(path=path, sha256="0" * 64, status=Outcome.LOADED, kind="export", reason=line),
                        FileOutcome(path="/data/inbox/a.txt", sha256="1" * 64, status=Outcome.LOADED, kind="cqpm")),
                       "w.duckdb")
    md = report.markdown()
    assert ("- `export-fiches-rncp-v4-1-2026-11-30.zip` (export, loaded): 300 fiches, 3 new, 15 changed (new "
            "versions), 282 unchanged, 3 withdrawn; a fiche without NUMERO_FICHE at line 84 (ID_FICHE 90002) was "
            "left out") in md
    assert "- `a.txt` (cqpm, loaded)\n" in md
    assert report.export_lines() == [
        "export-fiches-rncp-v4-1-2026-11-30.zip: 300 fiches, 3 new, 15 changed (new versions), 282 unchanged, "
        "3 withdrawn; a fiche without NUMERO_FICHE at line 84 (ID_FICHE 90002) was left out"]
