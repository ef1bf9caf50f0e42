"""What one run says about each file when a folder holds copies: a copy of a file rejected in this run is
rejected too, and named (not "quarantined by an earlier run", which never happened); a new file whose
content is a document already held is ``unchanged`` with ``new_source`` (read, recorded as one more source),
so a first run on an empty warehouse does not pass copies off as bytes it already knew.  Real ingest
(extraction processes): e2e."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_runner import refpipe as run
from golden import FIXTURES

from pipeline.limits import Limits
from pipeline.records import FileOutcome, Outcome
from pipeline.runtime import IngestOptions, ingest_paths

pytestmark = pytest.mark.e2e

SEED = FIXTURES / "seeds" / "001_1b606db1c3205ecb.txt"


def _inbox(tmp_path: Path) -> Path:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "a_empty.docx").write_bytes(b"")
    (inbox / "b_empty.odt").write_bytes(b"")  # the same (no) bytes under another name
    note = "Compte rendu de réunion\nOrdre du jour : planning de l'atelier.\n".encode()
    (inbox / "c_note.txt").write_bytes(note)
    (inbox / "d_note_copy.txt").write_bytes(note)
    (inbox / "e_seed.txt").write_bytes(SEED.read_bytes())
    (inbox / "f_seed_saved_again.txt").write_bytes(SEED.read_bytes() + b"\n\n")  # new bytes, same document
    (inbox / "g_seed_copy.txt").write_bytes(SEED.read_bytes())  # the same bytes as e_seed.txt
    return inbox


def _ingest(inbox: Path, warehouse: Path) -> dict[str, FileOutcome]:
    options = IngestOptions(limits=Limits(seconds=120), workers=1, links=False)
    return {Path(o.path).name: o for o in ingest_paths([str(inbox)], warehouse, options)}


def test_copies_in_one_run_are_named_and_counted_for_what_they_are(tmp_path: Path) -> None:
    inbox = _inbox(tmp_path)
    got = _ingest(inbox, tmp_path / "w.duckdb")
    assert {name: o.status for name, o in got.items()} == {
        "a_empty.docx": Outcome.REJECTED, "b_empty.odt": Outcome.REJECTED,
        "c_note.txt": Outcome.REJECTED, "d_note_copy.txt": Outcome.REJECTED,
        "e_seed.txt": Outcome.LOADED, "f_seed_saved_again.txt": Outcome.UNCHANGED,
        "g_seed_copy.txt": Outcome.UNCHANGED}
    for copy, first in (("b_empty.odt", "a_empty.docx"), ("d_note_copy.txt", "c_note.txt")):
        reason = got[copy].reason or ""
        assert reason.startswith(f"{inbox / copy}: the same bytes as {inbox / first}, rejected in this run (")
    assert "empty file" in (got["b_empty.odt"].reason or "")
    assert got["f_seed_saved_again.txt"].new_source and not got["g_seed_copy.txt"].new_source
    assert got["f_seed_saved_again.txt"].document_id == got["e_seed.txt"].document_id

    again = _ingest(inbox, tmp_path / "w.duckdb")  # an earlier run rejected them: now the quarantine
    assert {name: o.status for name, o in again.items() if name[0] in "abcd"} == dict.fromkeys(
        ("a_empty.docx", "b_empty.odt", "c_note.txt", "d_note_copy.txt"), Outcome.QUARANTINED)
    assert not any(o.new_source for o in again.values())  # every file's bytes are known now


def test_the_summary_says_the_copies_were_read(tmp_path: Path) -> None:
    inbox = _inbox(tmp_path)
    result = run("ingest", str(inbox), "--warehouse", str(tmp_path / "w.duckdb"), "-j", "1")
    assert result.returncode == 1
    assert "4 rejected" in result.stdout and "2 unchanged" in result.stdout
    assert "1 of the unchanged file(s) are new files holding a document the warehouse already has" in result.stdout
    assert "rejected by an earlier run" not in result.stdout
    assert f"rejected {inbox / 'b_empty.odt'}: the same bytes as {inbox / 'a_empty.docx'}" in result.stdout


def test_a_path_refused_unread_leaves_the_quarantine_once_its_bytes_are_read(tmp_path: Path) -> None:
    """A file over --max-bytes is refused from its size, keyed by its path (no bytes read).  Once the limit
    is raised it loads, and its old entry must leave the quarantine: `refpipe status` listed the file as
    quarantined for ever, beside its loaded row."""
    import duckdb

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    big = inbox / "referentiel.txt"
    big.write_bytes(SEED.read_bytes())
    warehouse = tmp_path / "w.duckdb"

    def run_with(max_bytes: int) -> dict[str, FileOutcome]:
        options = IngestOptions(limits=Limits(seconds=120, max_bytes=max_bytes), workers=1, links=False)
        return {Path(o.path).name: o for o in ingest_paths([str(inbox)], warehouse, options)}

    def quarantine() -> list[tuple[object, ...]]:
        con = duckdb.connect(str(warehouse), read_only=True)
        try:
            return con.execute("SELECT path FROM v_quarantine").fetchall()
        finally:
            con.close()

    assert run_with(1000)["referentiel.txt"].status is Outcome.REJECTED
    assert quarantine() == [(str(big),)]
    assert run_with(1000)["referentiel.txt"].status is Outcome.QUARANTINED
    assert run_with(0)["referentiel.txt"].status is Outcome.LOADED
    assert quarantine() == []
