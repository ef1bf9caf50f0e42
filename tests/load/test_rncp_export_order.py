"""Exports imported out of order: an older export brought in after a newer one gives older versions and
withdrawals as of the newer export — the warehouse ends as if they had come in date order."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
from golden import FIXTURES
from lxml import etree

from pipeline.load import warehouse as wh
from pipeline.load.rncp_export import import_export

EXPORTS = FIXTURES / "rncp-export"
WEEK1 = EXPORTS / "export-fiches-rncp-v4-1-2026-11-23.zip"
WEEK2 = EXPORTS / "export-fiches-rncp-v4-1-2026-11-30.zip"
CHANGES = json.loads((EXPORTS / "export-fiches-rncp-v4-1-2026-11-30.changes.json").read_text(encoding="utf-8"))


def _state(con: duckdb.DuckDBPyConnection) -> dict[str, object]:
    """What a user sees: per key its versions' content in order and which is current; who is withdrawn."""
    versions = con.execute(
        "SELECT key, list(document_id ORDER BY version), arg_max(document_id, version) FILTER (WHERE is_latest) "
        "FROM v_versions WHERE kind = 'rncp' GROUP BY key").fetchall()
    withdrawn = con.execute(
        "SELECT code, arg_max(event, recorded_at), arg_max(export_date, recorded_at) FROM rncp_withdrawals "
        "GROUP BY code ORDER BY code").fetchall()
    return {"versions": sorted(versions), "withdrawn": withdrawn}


def _import(tmp: Path, name: str, *exports: Path) -> dict[str, object]:
    con = wh.connect(tmp / f"{name}.duckdb")
    try:
        summaries = [import_export(e, con) for e in exports]
        assert [s.status for s in summaries] == ["loaded"] * len(exports)
        return _state(con)
    finally:
        con.close()


def test_an_older_export_imported_late_ends_as_in_date_order(tmp_path: Path) -> None:
    in_order = _import(tmp_path, "in_order", WEEK1, WEEK2)
    late = _import(tmp_path, "late", WEEK2, WEEK1)
    assert late["versions"] == in_order["versions"]
    assert late["withdrawn"] == in_order["withdrawn"]
    # and that state is the one the changes file describes
    assert [c for c, event, _ in late["withdrawn"] if event == "withdrawn"] == sorted(CHANGES["removed"])  # type: ignore[union-attr]
    two = {key for key, ids, _ in late["versions"] if len(ids) == 2}  # type: ignore[union-attr]
    assert two == set(CHANGES["modified"])


def test_the_summary_of_an_older_export_imported_late_says_its_changes_are_earlier_versions(tmp_path: Path) -> None:
    """It read "15 changed (new versions)" though those fiches became version 1, before the later export's."""
    con = wh.connect(tmp_path / "w.duckdb")
    try:
        assert "300 new, 0 changed (new versions)" in import_export(WEEK2, con).line()
        late = import_export(WEEK1, con)
        assert late.late and "15 changed (earlier versions: a later export was imported before)" in late.line()
        assert "3 withdrawn (missing from the later export)" in late.line()
    finally:
        con.close()


def _rs_export(tmp: Path, day: str) -> Path:
    """An RS export (its name says the series) holding the RS fiches of the V4.1 fixture, dated ``day``."""
    tree = etree.parse(str(EXPORTS / "export_fiches_RNCP_V4_1_2026-12-07.xml"))
    root = tree.getroot()
    for fiche in root.findall("FICHE"):
        if not (fiche.findtext("NUMERO_FICHE") or "").startswith("RS"):
            root.remove(fiche)
    assert root.findall("FICHE")
    path = tmp / f"export-fiches-rs-v4-1-{day}.xml"
    tree.write(str(path), xml_declaration=True, encoding="UTF-8")
    return path


def test_a_later_export_of_another_series_does_not_make_an_export_late(tmp_path: Path) -> None:
    """A later-dated RS export made the RNCP week 2 read "earlier versions … missing from the later export" (and
    reorder its versions): lateness was judged across series, the withdrawals within the series."""
    con = wh.connect(tmp_path / "w.duckdb")
    try:
        rs = import_export(_rs_export(tmp_path, "2026-12-20"), con)
        assert rs.info is not None and rs.info.series == "RS"
        import_export(WEEK1, con)
        week2 = import_export(WEEK2, con)
        assert not week2.late
        assert "15 changed (new versions)" in week2.line() and "missing from the later export" not in week2.line()
    finally:
        con.close()
    assert _state_of(tmp_path / "w.duckdb")["withdrawn"] == _import(tmp_path, "in_order", WEEK1, WEEK2)["withdrawn"]


def _state_of(path: Path) -> dict[str, object]:
    con = wh.connect(path, read_only=True)
    try:
        return _state(con)
    finally:
        con.close()


def test_an_older_export_of_no_stated_series_imported_late_gives_earlier_versions(tmp_path: Path) -> None:
    """A CSV export's name states no series (``export-fiches-csv-…``): imported after a later RNCP export, its
    changed fiches were numbered after that export's and became the latest, so ``show`` gave the older content.
    Versions are ordered by date whatever the series; only the withdrawals are judged within one."""
    later = EXPORTS / "export_fiches_RNCP_V4_1_2026-12-07.xml"
    tree = etree.parse(str(later))
    fiche = next(f for f in tree.getroot().findall("FICHE")
                 if (f.findtext("NUMERO_FICHE") or "").startswith("RNCP") and f.find("INTITULE") is not None)
    code = fiche.findtext("NUMERO_FICHE")
    title = fiche.find("INTITULE")
    assert title is not None
    title.text = "Intitulé d'une version antérieure"
    older = tmp_path / "export_fiches_V4_1_2026-11-01.xml"
    tree.write(str(older), xml_declaration=True, encoding="UTF-8")
    con = wh.connect(tmp_path / "w.duckdb")
    try:
        first = import_export(later, con)
        second = import_export(older, con)
        assert first.info is not None and second.info is not None
        assert (first.info.series, second.info.series) == ("RNCP", None)
        assert second.new_versions == 1
        rows = con.execute("SELECT version, is_latest, document_id FROM v_versions WHERE key = ? ORDER BY version",
                           [code]).fetchall()
        titles = {d: t for d, t in con.execute("SELECT document_id, title FROM rncp_fiches").fetchall()}
    finally:
        con.close()
    assert [(v, latest, titles[d] == "Intitulé d'une version antérieure") for v, latest, d in rows] == [
        (1, False, True), (2, True, False)]

