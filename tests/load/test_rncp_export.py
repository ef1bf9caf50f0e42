"""Importing open-data exports: one source, a document per fiche by content, versions, withdrawals, all or nothing."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from golden import FIXTURES
from lxml import etree

from pipeline.diff.structured import diff_documents
from pipeline.extract import export_xml
from pipeline.load import rncp_export, tables
from pipeline.load import warehouse as wh
from pipeline.load.rncp_export import import_export
from pipeline.load.versions import find_version
from pipeline.normalize.fiche_lists import split_lists
from pipeline.query.read import read_document
from pipeline.query.show import AmbiguousReference, resolve, show_json
from pipeline.records import Source

EXPORTS = FIXTURES / "rncp-export"
WEEK1 = EXPORTS / "export-fiches-rncp-v4-1-2026-11-23.zip"
WEEK2 = EXPORTS / "export-fiches-rncp-v4-1-2026-11-30.zip"
CHANGES = json.loads((EXPORTS / "export-fiches-rncp-v4-1-2026-11-30.changes.json").read_text(encoding="utf-8"))
V2_KEYS = ("active", "state", "level", "certifier_details", "objectives", "access_routes", "statistics", "replaces",
           "replaced_by")


@pytest.fixture
def con(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    c = wh.connect(tmp_path / "w.duckdb")
    yield c
    c.close()


def counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    tables = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'").fetchall()]
    return {t: int(con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]) for t in tables}  # type: ignore[index]


def test_next_week_adds_exactly_its_changed_added_and_withdrawn_fiches(con: duckdb.DuckDBPyConnection) -> None:
    first = import_export(WEEK1, con)
    assert (first.status, first.fiches, first.added, first.unchanged) == ("loaded", 300, 300, 0)
    second = import_export(WEEK2, con)
    assert second.status == "loaded" and second.fiches == CHANGES["fiches_after"]
    assert sorted(second.changed_codes) == sorted(CHANGES["modified"])
    assert sorted(second.added_codes) == sorted(CHANGES["added"])
    assert sorted(second.withdrawn) == sorted(CHANGES["removed"])
    assert second.unchanged == 300 - len(CHANGES["modified"]) - len(CHANGES["added"])
    # a changed fiche is a second version of its code; a withdrawn one keeps its versions
    for code in CHANGES["modified"]:
        assert find_version(con, code, 2) is not None and find_version(con, code, 3) is None
    for code in CHANGES["removed"]:
        assert find_version(con, code) is not None
    rows = con.execute("SELECT code, event FROM rncp_withdrawals ORDER BY code").fetchall()
    assert rows == sorted((c, "withdrawn") for c in CHANGES["removed"])
    assert con.execute("SELECT count(*) FROM documents").fetchone() == (300 + len(CHANGES["modified"]) + 3,)


def test_the_same_export_again_adds_nothing(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    import_export(WEEK1, con)
    before = counts(con)
    assert import_export(WEEK1, con).status == "unchanged"  # the same bytes: not even read
    again = import_export(WEEK1, con, force=True)  # read again: every fiche's content is known
    assert (again.status, again.added, again.unchanged) == ("loaded", 0, 300)
    assert counts(con) == before
    copy = tmp_path / "export-fiches-rncp-v4-1-2026-11-23.xml"  # the same XML, unzipped: a new source only
    import zipfile
    with zipfile.ZipFile(WEEK1) as z:
        copy.write_bytes(z.read(z.namelist()[0]))
    third = import_export(copy, con)
    assert (third.added, third.unchanged, third.withdrawn) == (0, 300, ())
    after = counts(con)
    assert after["documents"] == before["documents"] and after["document_sources"] == before["document_sources"] + 300


@pytest.mark.parametrize("flush", [1000, 1])
@pytest.mark.parametrize("bad", ["truncated-export-fiches-rncp-v4-1-2026-11-23.zip",
                                 "malformed_export_fiches_RNCP_V4_1_2026-12-08.xml"])
def test_an_export_that_does_not_parse_to_its_end_publishes_nothing(
        con: duckdb.DuckDBPyConnection, bad: str, flush: int, monkeypatch: pytest.MonkeyPatch) -> None:
    import_export(EXPORTS / "export_fiches_RNCP_V3_0_2023-09-10.xml", con)
    monkeypatch.setattr(rncp_export, "FLUSH", flush)  # 1: the first fiche is committed before the error
    before = counts(con)
    summary = import_export(EXPORTS / bad, con)
    assert summary.status == "rejected" and summary.reason and "rejected whole" in summary.reason
    if bad.endswith(".xml"):
        assert "line 87, column" in summary.reason
    after = counts(con)
    assert {t: n for t, n in after.items() if t != "sources"} == {t: n for t, n in before.items() if t != "sources"}
    assert con.execute("SELECT status, reason FROM sources WHERE path = ?", [str(EXPORTS / bad)]).fetchone() == (
        "rejected", summary.reason)


def test_every_fiche_shows_every_v2_key_the_export_holds(con: duckdb.DuckDBPyConnection) -> None:
    import_export(WEEK1, con)
    with pytest.raises(AmbiguousReference, match="holds 300 documents"):
        resolve(con, str(WEEK1))
    import zipfile

    from lxml import etree
    with zipfile.ZipFile(WEEK1) as z, z.open(z.namelist()[0]) as f:
        for _, e in etree.iterparse(f, tag="FICHE"):
            code = e.findtext("NUMERO_FICHE")
            out = show_json(con, code)
            r = out["rncp"]
            assert out["source"]["format"] == "xml" and out["source"]["path"] == str(WEEK1)
            assert set(V2_KEYS) <= r.keys() and r["active"] == (e.findtext("ACTIF") == "Oui")
            assert r["state"] == e.findtext("ETAT_FICHE")
            assert len(r["certifier_details"]) == len(e.findall("CERTIFICATEURS/CERTIFICATEUR"))
            assert len(r["access_routes"]) == len([c for c in e if c.tag.startswith("SI_JURY_")])
            assert len(r["statistics"]) == len(e.findall("STATISTIQUES_PROMOTIONS/STATISTIQUES_PROMOTION"))
            blocs = e.findall("BLOCS_COMPETENCES/BLOC_COMPETENCES")
            assert [b["code"] for b in r["blocks"]] == [b.findtext("CODE") for b in blocs]
            for b, x in zip(r["blocks"], blocs, strict=True):
                assert b["competences"] and " ".join(b["competences"]).split()[-1] == x.findtext(
                    "LISTE_COMPETENCES").split()[-1]
            assert r["replaces"] == [x.text for x in e.iter("ID_FICHE_ANCIENNE_CERTIFICATION")]
            assert r["replaced_by"] == [x.text for x in e.iter("ID_FICHE_NOUVELLE_CERTIFICATION")]
            e.clear()


def test_versions_of_a_fiche_diff_on_the_v2_fields(con: duckdb.DuckDBPyConnection) -> None:
    import_export(WEEK1, con)
    import_export(WEEK2, con)
    code = next(c for c, kinds in CHANGES["modified"].items() if "renewed" in kinds)
    old, new = (read_document(con, find_version(con, code, v) or "") for v in (1, 2))
    changes = {(c.entity.value, c.key) for c in diff_documents(old, new)}
    assert ("field", "registration.end") in changes
    code = next(c for c, kinds in CHANGES["modified"].items() if kinds == ["bloc_list"])
    old, new = (read_document(con, find_version(con, code, v) or "") for v in (1, 2))
    blocks = {c.key.split(",")[1].strip() for c in diff_documents(old, new) if c.entity.value == "block"}
    assert blocks == {"compétence"}


def test_the_csv_export_says_what_it_lacks(con: duckdb.DuckDBPyConnection) -> None:
    summary = import_export(EXPORTS / "export-fiches-csv-2026-12-07.zip", con)
    assert summary.status == "loaded" and summary.fiches == 2
    assert any("no compétence lists" in n for n in summary.notes) and "no compétence lists" in summary.line()
    assert show_json(con, "RNCP90001")["rncp"]["blocks"][0]["competences"] == []


def test_a_moved_export_file_is_found_by_its_bytes(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    copy = Path(shutil.copy2(EXPORTS / "export_fiches_RNCP_V4_1_2026-12-07.xml", tmp_path / "x.xml"))
    import_export(copy, con)
    assert show_json(con, "RNCP90001")["rncp"]["blocks"][0]["competences"][0].startswith("Configurer le banc")


def test_fiches_whose_bytes_are_known_are_not_read_again(con: duckdb.DuckDBPyConnection,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import_export(WEEK1, con)
    assert con.execute("SELECT count(*) FROM rncp_fiche_fingerprints").fetchone() == (300,)
    read: list[str] = []
    record = export_xml.fiche_record

    def counted(fiche: etree._Element) -> object:
        read.append(str(fiche.findtext("NUMERO_FICHE")))
        return record(fiche)

    monkeypatch.setattr(export_xml, "fiche_record", counted)
    before = counts(con)
    again = import_export(WEEK1, con, force=True)
    assert (again.added, again.unchanged, read) == (0, 300, [])  # every fiche known by its bytes
    assert counts(con) == before
    links = con.execute("SELECT reading_order FROM document_sources ORDER BY document_id").fetchall()
    assert all(r[0] is not None for r in links)  # the known fiches' links keep their line
    second = import_export(WEEK2, con)
    # only the fiches whose bytes changed are turned into records, and the outcome is exactly the changes
    assert sorted(read) == sorted([*CHANGES["modified"], *CHANGES["added"]])
    assert sorted(second.changed_codes) == sorted(CHANGES["modified"])
    assert sorted(second.added_codes) == sorted(CHANGES["added"])
    assert sorted(second.withdrawn) == sorted(CHANGES["removed"])


def test_fingerprints_of_another_reader_version_match_nothing(con: duckdb.DuckDBPyConnection,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    import_export(WEEK1, con)
    before = counts(con)
    monkeypatch.setattr(rncp_export, "reader_digest", lambda: b"another version of the reader")
    again = import_export(WEEK1, con, force=True)  # read in full again; the contents are known: nothing new
    assert (again.added, again.unchanged) == (0, 300)
    after = counts(con)
    assert after.pop("rncp_fiche_fingerprints") == 600 and before.pop("rncp_fiche_fingerprints") == 300
    assert after == before


def test_an_imported_fiche_has_the_rows_a_one_document_load_gives_it(con: duckdb.DuckDBPyConnection) -> None:
    """The import writes its batches column by column; ``warehouse.document_rows`` (one document) builds the same
    rows from the same mapping (``rncp_rows``): compared table by table for every fiche of the export."""
    import_export(WEEK1, con)
    source_sha = wh.file_sha256(WEEK1)
    source = Source(path=str(WEEK1), sha256=source_sha, format="xml", pages=None, size=WEEK1.stat().st_size)
    documents = [split_lists(d) for d in export_xml.ExportReader(WEEK1, source)]
    assert len(documents) == 300
    for name in (t.name for t in tables.RNCP_TABLES):
        table = tables.TABLES[name]
        stored = sorted(con.execute(f"SELECT {table.select()} FROM {name}").fetchall(), key=repr)
        built = sorted((row for d in documents for row in wh.document_rows(d)[name][1]), key=repr)
        assert stored == built, name
    ignore = {"loaded_at", "key", "version", "valid_from", "previous_id"}
    names = [c for c in tables.DOCUMENTS.names if c not in ignore]
    stored_docs = sorted(con.execute(f"SELECT {', '.join(names)} FROM documents").fetchall(), key=repr)
    built_docs = sorted((tuple(dict(zip(tables.DOCUMENTS.names, r, strict=True))[c] for c in names)
                         for d in documents for r in wh.document_rows(d)["documents"][1]), key=repr)
    assert stored_docs == built_docs


def test_a_fiche_with_undecodable_text_is_left_out_and_the_export_goes_on(con: duckdb.DuckDBPyConnection,
                                                                        tmp_path: Path) -> None:
    """U+FFFD or UTF-8 read as latin-1 in a fiche's content (its title) or in a raw list text (a bloc's
    compétences): that fiche is skipped with a note naming it; the others load."""
    import zipfile
    with zipfile.ZipFile(WEEK1) as z:
        xml = z.read(z.namelist()[0]).decode("utf-8")
    root = etree.fromstring(xml.encode("utf-8"))
    fiches = root.findall("FICHE")
    title = fiches[0].find("INTITULE")
    listed = next(b for f in fiches[1:] for b in f.iter("LISTE_COMPETENCES") if b.text)
    assert title is not None and listed.text
    title.text = "Op\u00c3\u00a9rateur de r\u00c3\u00a9glage"  # "Opérateur" read as latin-1
    listed.text += " R\ufffdgler"
    codes = [fiches[0].findtext("NUMERO_FICHE"), listed.getparent().getparent().getparent().findtext("NUMERO_FICHE")]
    bad = tmp_path / "export-fiches-rncp-v4-1-2026-11-23.xml"
    bad.write_bytes(etree.tostring(root, encoding="utf-8", xml_declaration=True))
    summary = import_export(bad, con)
    assert summary.status == "loaded" and summary.added == 298
    skipped = [n for n in summary.notes if "undecodable" in n]
    assert [n.split()[0] for n in skipped] == codes
    assert "'Ã©'" in skipped[0] and "'\ufffd'" in skipped[1]


V41 = EXPORTS / "export_fiches_RNCP_V4_1_2026-12-07.xml"


def _week(tmp_path: Path, day: str, text: str) -> Path:
    path = tmp_path / f"export_fiches_RNCP_V4_1_2026-12-{day}.xml"
    path.write_text(text, encoding="utf-8")
    return path


def test_an_export_holding_no_fiche_is_rejected_and_withdraws_nothing(con: duckdb.DuckDBPyConnection,
                                                                      tmp_path: Path) -> None:
    """A well-formed export with an empty FICHES (a stub served in place of the file) would mark every fiche of
    the previous export withdrawn: it is rejected whole, like a truncated one."""
    assert import_export(V41, con).status == "loaded"
    before = counts(con)
    empty = _week(tmp_path, "14", '<?xml version="1.0" encoding="UTF-8"?>\n<FICHES>\n'
                                   "    <VERSION_FLUX>4.1</VERSION_FLUX>\n</FICHES>\n")
    summary = import_export(empty, con)
    assert summary.status == "rejected" and summary.reason is not None
    assert "holds no fiche" in summary.reason and "rejected whole" in summary.reason
    assert con.execute("SELECT count(*) FROM rncp_withdrawals").fetchone() == (0,)
    after = counts(con)
    assert {t: n for t, n in after.items() if t != "sources"} == {t: n for t, n in before.items() if t != "sources"}


def test_a_fiche_without_its_number_is_named_in_the_summary(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    text = V41.read_text(encoding="utf-8")
    line = text[:text.rindex("<FICHE>", 0, text.index("<NUMERO_FICHE>RS9002"))].count("\n") + 1  # its <FICHE> tag
    bad = _week(tmp_path, "14", text.replace("<NUMERO_FICHE>RS9002</NUMERO_FICHE>", "<NUMERO_FICHE> </NUMERO_FICHE>"))
    summary = import_export(bad, con)
    assert (summary.status, summary.fiches) == ("loaded", 1)
    note = f"a fiche without NUMERO_FICHE at line {line} (ID_FICHE 90002) was left out"
    assert note in summary.notes and note in summary.line()
    assert con.execute("SELECT notes FROM rncp_exports").fetchone() == ([note],)


def test_rs_fiches_skipped_are_not_withdrawn(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    """--skip-rs leaves the RS fiches unread: it says nothing of them, least of all that they were withdrawn."""
    import_export(V41, con)  # RNCP90001 and RS9002
    text = V41.read_text(encoding="utf-8").replace("Technicien de bancs", "Technicien  de bancs")  # other bytes
    summary = import_export(_week(tmp_path, "14", text), con, include_rs=False)
    assert (summary.status, summary.fiches, summary.skipped_rs, summary.withdrawn) == ("loaded", 1, 1, ())
    assert con.execute("SELECT count(*) FROM rncp_withdrawals").fetchone() == (0,)
    # an older export imported late, with its RS fiches, after that newer one: not withdrawn as of it either
    older = _week(tmp_path, "01", V41.read_text(encoding="utf-8").replace("fictifs", "fictifs "))
    assert import_export(older, con).withdrawn == ()
    assert con.execute("SELECT count(*) FROM rncp_withdrawals").fetchone() == (0,)


def test_show_says_a_fiche_was_withdrawn_from_the_latest_export(con: duckdb.DuckDBPyConnection) -> None:
    """`refpipe show RNCP7364` showed a fiche gone from France Compétences' list as if nothing had happened."""
    import_export(WEEK1, con)
    import_export(WEEK2, con)
    for code in CHANGES["removed"]:
        assert show_json(con, code)["withdrawn"] == {"export_date": "2026-11-30", "export": str(WEEK2)}
    for code in (*CHANGES["modified"], *CHANGES["added"]):
        assert "withdrawn" not in show_json(con, code)
    assert "withdrawn" not in show_json(con, f"{next(iter(CHANGES['modified']))}@1")
