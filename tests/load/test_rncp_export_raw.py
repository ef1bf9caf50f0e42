"""Known fiches are recognised by their raw bytes and fed to the parser as placeholders: what the warehouse
records, and what a bad file reports, must be exactly what reading every fiche would give."""

from __future__ import annotations

import zipfile
from pathlib import Path

import duckdb
import pytest
from golden import FIXTURES

from pipeline.extract import export_xml
from pipeline.load import warehouse as wh
from pipeline.load.rncp_export import import_export

EXPORTS = FIXTURES / "rncp-export"
WEEK1 = EXPORTS / "export-fiches-rncp-v4-1-2026-11-23.zip"
WEEK2 = EXPORTS / "export-fiches-rncp-v4-1-2026-11-30.zip"


def _xml(zipped: Path) -> bytes:
    with zipfile.ZipFile(zipped) as z:
        return z.read(z.namelist()[0])


def _links(con: duckdb.DuckDBPyConnection, path: Path) -> list[tuple[object, ...]]:
    return con.execute("SELECT x.document_id, x.reading_order FROM document_sources x JOIN sources s "
                       "ON s.sha256 = x.source_sha256 WHERE s.path = ? ORDER BY 1", [str(path)]).fetchall()


def test_known_fiches_get_the_lines_a_full_read_gives(tmp_path: Path) -> None:
    warm = wh.connect(tmp_path / "warm.duckdb")
    cold = wh.connect(tmp_path / "cold.duckdb")
    try:
        import_export(WEEK1, warm)
        week2 = import_export(WEEK2, warm)
        assert week2.unchanged > 250  # most of week 2 came from fingerprints, not from a read
        import_export(WEEK2, cold)
        assert _links(warm, WEEK2) == _links(cold, WEEK2)
        # and a known fiche moved to other lines (an export with one more line on top) gets its new line
        shifted = tmp_path / "export_fiches_RNCP_V4_1_2026-12-01.xml"
        xml = _xml(WEEK2)
        shifted.write_bytes(xml.replace(b"<FICHES>", b"<FICHES>\n", 1))
        assert import_export(shifted, warm).unchanged == week2.fiches
        assert [(d, None if line is None else line - 1) for d, line in _links(warm, shifted)] == _links(cold, WEEK2)
    finally:
        warm.close()
        cold.close()


def test_a_fiche_that_cannot_be_cut_safely_is_read_whole(tmp_path: Path) -> None:
    """CDATA (V2 exports use it) may hold a literal "</FICHE>": from there on every byte is parsed."""
    xml = _xml(WEEK1)
    start = xml.index(b"<INTITULE>", xml.index(b"<FICHE>")) + len(b"<INTITULE>")
    end = xml.index(b"</INTITULE>", start)
    title = xml[start:end]
    odd = tmp_path / "export_fiches_RNCP_V4_1_2026-11-24.xml"
    odd.write_bytes(xml[:start] + b"<![CDATA[" + title + b" </FICHE> <FICHE>]]>" + xml[end:])
    con = wh.connect(tmp_path / "w.duckdb")
    try:
        import_export(WEEK1, con)
        summary = import_export(odd, con)
        assert summary.status == "loaded" and summary.fiches == 300
        assert (summary.added, summary.new_versions) == (1, 1)  # that fiche's title changed, nothing else
        titles = {r[0] for r in con.execute("SELECT title FROM rncp_fiches").fetchall()}
        assert title.decode("utf-8") + " </FICHE> <FICHE>" in titles
    finally:
        con.close()


@pytest.mark.parametrize("cut", ["malformed", "truncated"])
def test_a_bad_export_after_known_fiches_reports_what_a_full_read_reports(tmp_path: Path, cut: str) -> None:
    xml = _xml(WEEK1)
    if cut == "malformed":
        at = xml.rindex(b"</NUMERO_FICHE>")
        bad_bytes = xml[:at] + b"</NUMERO_FICH>" + xml[at + len(b"</NUMERO_FICHE>"):]
    else:
        bad_bytes = xml[: len(xml) - 5000]
    bad = tmp_path / "export_fiches_RNCP_V4_1_2026-11-25.xml"
    bad.write_bytes(bad_bytes)
    cold = wh.connect(tmp_path / "cold.duckdb")
    warm = wh.connect(tmp_path / "warm.duckdb")
    try:
        fresh = import_export(bad, cold)
        import_export(WEEK1, warm)
        known = import_export(bad, warm)
        assert fresh.status == known.status == "rejected"
        assert known.reason == fresh.reason and "line" in str(fresh.reason)
    finally:
        cold.close()
        warm.close()


def test_placeholders_keep_lines_and_columns() -> None:
    for data in (b"<FICHE><A>x</A></FICHE>", b"<FICHE>\n  <A>x</A>\n    </FICHE>", b"<FICHE>\r\n<A/>\r\n</FICHE>"):
        ph = export_xml._placeholder(data)
        assert ph.count(b"\n") == data.count(b"\n")
        assert len(ph) - ph.rfind(b"\n") == len(data) - data.rfind(b"\n")


def test_an_end_tag_the_cut_misses_does_not_merge_two_fiches(tmp_path: Path) -> None:
    """``</FICHE >`` is a legal end tag the byte cut does not see: the cut then spans two fiches, which must
    not be taken for one (a known placeholder would hide the second)."""
    xml = _xml(WEEK1).replace(b"</FICHE>", b"</FICHE >", 1)
    odd = tmp_path / "export_fiches_RNCP_V4_1_2026-11-24.xml"
    odd.write_bytes(xml)
    con = wh.connect(tmp_path / "w.duckdb")
    try:
        first = import_export(odd, con)
        again = import_export(odd, con, force=True)
        assert first.fiches == again.fiches == 300
        assert again.unchanged == 300 and again.added == 0
    finally:
        con.close()
