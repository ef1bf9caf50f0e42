"""``ingest_paths`` on a drop folder of weekly exports (what `refpipe ingest` and `refpipe serve` run)."""

from __future__ import annotations

import hashlib
import shutil
import tracemalloc
import zipfile
from pathlib import Path

from cli_runner import refpipe
from golden import FIXTURES

from pipeline.limits import EXPORT_SIZE_FACTOR, Limits
from pipeline.load import warehouse as wh
from pipeline.runtime import IngestOptions, ingest_paths
from pipeline.runtime.batch import discover

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
    assert again[0].status == "rejected", again
    # the user learns it is the export's limit, derived from --max-bytes, and how to raise it
    assert ("over the export size limit of 400,000 bytes (40 times --max-bytes, 10,000 bytes; raise it with "
            "--max-bytes or REFPIPE_MAX_BYTES)") in (again[0].reason or ""), again[0].reason


def test_an_export_saved_under_another_name_is_still_held_to_the_export_limit(tmp_path: Path) -> None:
    """Over a document's size, a file is recognised as an export by its content, not only by France Compétences'
    name: a real export renamed or re-saved (``fiches-rncp.zip``) was refused for its size."""
    renamed = tmp_path / "fiches-rncp.zip"
    shutil.copy2(EXPORTS / "export-fiches-rncp-v4-1-2026-11-23.zip", renamed)  # 560,746 bytes
    outcomes = ingest_paths([renamed], tmp_path / "w.duckdb",
                            IngestOptions(links=False, workers=1, limits=Limits(max_bytes=100_000)))
    assert [(o.status, o.kind) for o in outcomes] == [("loaded", "export")], outcomes
    assert "300 fiches, 300 new" in (outcomes[0].reason or "")


def test_a_zip_that_merely_holds_a_fiches_csv_is_held_to_a_documents_limit(tmp_path: Path) -> None:
    """A bundle holding ``liste-des-fiches.csv`` and a large PDF sniffs as an export (a ``*fiches*.csv`` member): it
    was given 40 times the limit, read whole, then rejected "zip holds no XML member".  Only a file named and
    made like a published export is."""
    limits = Limits(max_bytes=10_000)
    bundle = tmp_path / "cqpm-bundle.zip"
    with zipfile.ZipFile(bundle, "w", zipfile.ZIP_STORED) as z:
        z.writestr("liste-des-fiches.csv", "Numero_Fiche;Intitule\nRNCP90001;Technicien\n")
        z.writestr("referentiel.pdf", b"%PDF-1.7\n" + bytes(range(256)) * 200)
    named = tmp_path / "export-fiches-rncp-v4-1-2026-12-21.zip"  # named like an export, made like a bundle
    shutil.copy2(bundle, named)
    assert bundle.stat().st_size > limits.max_bytes
    for path in (bundle, named):
        [source] = discover([path], limits)
        assert source.rejected and "over the size limit of 10,000 bytes" in source.rejected, source


def test_an_export_is_hashed_at_discovery_without_holding_its_bytes(tmp_path: Path) -> None:
    """Discovery kept a whole export zip in memory to hash it (a 315 MB export: 666 MB at the peak)."""
    path = tmp_path / "export-fiches-rncp-v4-1-2026-11-23.zip"
    with zipfile.ZipFile(EXPORTS / path.name) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info))  # stored: 4.6 MB on disk
    size = path.stat().st_size
    assert size > 4_000_000
    tracemalloc.start()
    try:
        [source] = discover([path], Limits(max_bytes=1_000_000))  # over a document's limit: the export's
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert source.rejected is None and source.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert source.size == size
    assert peak < size // 2, f"discovery held {peak:,} bytes for a {size:,}-byte export"


def _with_mac_litter(src: Path, out: Path) -> Path:
    """``src`` zipped again on a Mac: Finder adds a 24-byte AppleDouble ``__MACOSX/._<member>`` per member
    (written before it here, so a reader that takes the first match takes the litter)."""
    with zipfile.ZipFile(src) as z, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in z.infolist():
            dst.writestr(f"__MACOSX/._{info.filename}", b"\x00\x05\x16\x07\x00\x02\x00\x00" + b"Mac OS X" + b"\0" * 8)
            dst.writestr(info, z.read(info))
    return out


def test_an_export_zipped_on_a_mac_is_imported_whole(tmp_path: Path) -> None:
    """Finder's ``__MACOSX/._export_fiches_….xml`` was counted as a second XML member: the export was refused."""
    path = _with_mac_litter(EXPORTS / "export-fiches-rncp-v4-1-2026-11-23.zip",
                            tmp_path / "export-fiches-rncp-v4-1-2026-11-23.zip")
    with zipfile.ZipFile(path) as z:
        assert [i.file_size for i in z.infolist() if i.filename.startswith("__MACOSX/")] == [24]
    ran = refpipe("ingest", str(path), "-w", str(tmp_path / "w.duckdb"), "-j", "1")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "300 fiches, 300 new" in ran.stdout


def test_a_csv_export_zipped_on_a_mac_is_imported_whole(tmp_path: Path) -> None:
    path = _with_mac_litter(EXPORTS / "export-fiches-csv-2026-12-07.zip", tmp_path / "export-fiches-csv-2026-12-07.zip")
    outcomes = ingest_paths([path], tmp_path / "w.duckdb", IngestOptions(links=False, workers=1))
    assert [o.status for o in outcomes] == ["loaded"] and "2 fiches, 2 new" in (outcomes[0].reason or ""), outcomes
