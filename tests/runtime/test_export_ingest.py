"""``ingest_paths`` on a drop folder of weekly exports (what `refpipe ingest` and `refpipe serve` run)."""

from __future__ import annotations

import shutil
from pathlib import Path

from golden import FIXTURES

from pipeline.limits import EXPORT_SIZE_FACTOR, Limits
from pipeline.load import warehouse as wh
from pipeline.runtime import IngestOptions, ingest_paths

EXPORTS = FIXTURES / "rncp-export"


def test_a_new_dated_export_dropped_in_the_folder_is_imported_once(tmp_path: Path) -> None:
    inbox, warehouse = tmp_path / "inbox", tmp_path / "w.duckdb"
    inbox.mkdir()
    shutil.copy2(EXPORTS / "export-fiches-rncp-v4-1-2026-11-23.zip", inbox)
    options = IngestOptions(links=False, workers=1)
    first = ingest_paths([inbox], warehouse, options)
    assert [(o.status, o.kind) for o in first] == [("loaded", "export")]
    assert first[0].reason and "300 fiches, 300 new" in first[0].reason
    shutil.copy2(EXPORTS / "export-fiches-rncp-v4-1-2026-11-30.zip", inbox)  # next week's drop
    shutil.copy2(EXPORTS / "truncated-export-fiches-rncp-v4-1-2026-11-23.zip", inbox)
    second = ingest_paths([inbox], warehouse, options)
    by_name = {Path(o.path).name: o for o in second}
    assert by_name["export-fiches-rncp-v4-1-2026-11-23.zip"].status == "unchanged"  # same bytes: not read
    assert by_name["export-fiches-rncp-v4-1-2026-11-30.zip"].status == "loaded"
    assert "15 changed (new versions)" in (by_name["export-fiches-rncp-v4-1-2026-11-30.zip"].reason or "")
    bad = by_name["truncated-export-fiches-rncp-v4-1-2026-11-23.zip"]
    assert bad.status == "rejected" and "rejected whole" in (bad.reason or "")
    con = wh.connect(warehouse, read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM rncp_exports").fetchone() == (2,)
        assert con.execute("SELECT count(*) FROM rncp_withdrawals").fetchone() == (3,)
    finally:
        con.close()
    third = {Path(o.path).name: o.status for o in ingest_paths([inbox], warehouse, options)}
    assert sorted(third.values()) == ["quarantined", "unchanged", "unchanged"]


def test_an_export_over_the_document_size_limit_is_imported_a_document_that_size_is_not(tmp_path: Path) -> None:
    """The real export is 74 MB zipped (472 MB of XML), over the 50 MB a document may have: it was rejected
    "over the size limit" by default.  Streamed, it is held to EXPORT_SIZE_FACTOR times the limit instead."""
    inbox, warehouse = tmp_path / "inbox", tmp_path / "w.duckdb"
    inbox.mkdir()
    shutil.copy2(EXPORTS / "export-fiches-rncp-v4-1-2026-11-23.zip", inbox)  # 560,746 bytes
    (inbox / "notes.txt").write_bytes(b"x" * 200_000)  # a document over the limit: still refused
    limits = Limits(max_bytes=100_000)
    assert 100_000 * EXPORT_SIZE_FACTOR > 560_746
    outcomes = {Path(o.path).name: o for o in ingest_paths([inbox], warehouse, IngestOptions(links=False, workers=1,
                                                                                            limits=limits))}
    export = outcomes["export-fiches-rncp-v4-1-2026-11-23.zip"]
    assert export.status == "loaded" and "300 fiches, 300 new" in (export.reason or ""), export.reason
    assert outcomes["notes.txt"].status == "rejected" and "over the size limit of 100,000" in (
        outcomes["notes.txt"].reason or "")
    small = Limits(max_bytes=10_000)  # 400 KB for an export: this one is over it, and says so
    again = ingest_paths([EXPORTS / "export-fiches-rncp-v4-1-2026-11-30.zip"], warehouse,
                         IngestOptions(links=False, workers=1, limits=small))
    assert again[0].status == "rejected" and "over the size limit of 400,000 bytes" in (again[0].reason or "")
