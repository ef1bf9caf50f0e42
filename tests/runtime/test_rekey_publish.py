"""A second run whose new version moves a title-keyed chain under its number publishes like any other.

The text of seed 001 prints no CQPM number (key ``CQPM-T…``); the PDF of the same référentiel prints 0195,
so loading it re-keys the first version under ``CQPM-0195`` and, the PDF being that version with its header
block, takes its place (UPDATEs and DELETEs of rows already published).  That
run used to crash at its first publish ("Cannot CHECKPOINT: there are other write transactions active"):
the session's idle keeper connection held the transaction of an unread result open."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest
from golden import FIXTURES

from pipeline.link.evidence import link_documents
from pipeline.load import warehouse as wh
from pipeline.query.read import read_link_inputs, read_links
from pipeline.runtime import IngestOptions, ingest_paths
from pipeline.runtime.links import is_current

pytestmark = pytest.mark.e2e  # extraction processes and a PDF: ~15 s

OPTIONS = IngestOptions(workers=1, trigger="test")
TEXT = FIXTURES / "seeds" / "001_1b606db1c3205ecb.txt"
NUMBERED_PDF = FIXTURES / "pdf" / "001_1b606db1c3205ecb.rl-portrait-grid.header.pdf"
FICHE = FIXTURES / "seeds" / "003_b7becefa6c01c81b.txt"  # the RNCP fiche whose history names CQPM 0195


def test_a_run_that_rekeys_a_title_chain_publishes_its_versions_links_and_diff(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    w = tmp_path / "w.duckdb"
    first = ingest_paths([TEXT], w, OPTIONS)
    assert [o.status.value for o in first] == ["loaded"]
    text_id = first[0].document_id
    con = wh.connect(w, read_only=True)
    try:
        assert str(con.execute("SELECT key FROM documents").fetchall()[0][0]).startswith("CQPM-T")
    finally:
        con.close()

    folder = tmp_path / "in"
    folder.mkdir()
    for f in (TEXT, NUMBERED_PDF, FICHE):
        shutil.copy(f, folder / f.name)
    with caplog.at_level(logging.WARNING):
        second = ingest_paths([folder], w, OPTIONS)  # raised TransactionException before the fix
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]  # links and diffs not skipped
    status = {Path(o.path).name: o.status.value for o in second}
    assert status == {TEXT.name: "unchanged", NUMBERED_PDF.name: "loaded", FICHE.name: "partial"}
    pdf_id = next(o.document_id for o in second if o.path.endswith(".pdf"))

    con = wh.connect(w, read_only=True)
    try:
        versions = con.execute("SELECT key, version, document_id, previous_id, is_latest FROM v_versions "
                               "WHERE kind = 'cqpm' ORDER BY version").fetchall()
        # the PDF prints the header block the text leaves out and says the same otherwise: it is the text's
        # version with its header, so it takes the text's place (one version, both sources; no diff to make)
        assert versions == [("CQPM-0195", 1, pdf_id, None, True)]
        assert con.execute("SELECT count(*) FROM documents WHERE id = ?", [text_id]).fetchone() == (0,)
        assert con.execute("SELECT count(*) FROM document_sources WHERE document_id = ?", [pdf_id]).fetchone() == (2,)
        assert con.execute("SELECT count(*) FROM diff_runs").fetchone() == (0,)
        assert is_current(con)  # the links were recomputed for these documents and published
        stored = read_links(con)
        assert {x.cqpm_document_id for x in stored} == {pdf_id}  # the text's links went with it
        assert set(stored) == set(link_documents(read_link_inputs(con)))  # what a recompute now gives
        assert con.execute("SELECT count(*) FROM runs").fetchone() == (2,)
    finally:
        con.close()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("w.")) == ["w.duckdb", "w.duckdb.lock"]
