"""The open-data export front end: streamed fiches, path-aware reading, V4.1/V3/V2 spellings, bad files."""

from __future__ import annotations

import hashlib
import re
import zipfile
from datetime import date
from pathlib import Path

import pytest
from golden import FIXTURES
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.errors import RejectedInput
from pipeline.extract.export_xml import ExportReader, _paragraphs, is_export
from pipeline.records import Document, RncpFiche, Source

EXPORTS = FIXTURES / "rncp-export"
V41 = EXPORTS / "export_fiches_RNCP_V4_1_2026-12-07.xml"


def read(path: Path, include_rs: bool = True) -> tuple[ExportReader, list[Document]]:
    source = Source(str(path), hashlib.sha256(path.read_bytes()).hexdigest(), "xml", None, path.stat().st_size)
    reader = ExportReader(path, source, include_rs=include_rs)
    return reader, list(reader)


def fiche(path: Path, code: str) -> RncpFiche:
    docs = {d.rncp.code: d.rncp for d in read(path)[1] if d.rncp}
    return docs[code]


def test_v41_fiche_is_read_path_aware() -> None:
    f = fiche(V41, "RNCP90001")
    assert f.active is True  # the fiche's ACTIF, not SI_JURY_FI's "Non" before it
    assert [(a.route, a.open) for a in f.access_routes] == [("FI", False), ("CA", True)]
    assert f.access_routes[1].jury == "- 1 président extérieur au centre\n- 2 professionnels du métier"
    assert [b.code for b in f.blocks] == ["RNCP90001BC01", "RNCP90001BC02"]  # not the CORRESPONDANCE's bloc
    assert [b.number for b in f.blocks] == [1, 2]
    assert (f.level, f.state, f.title) == (4, "Publiée", "Technicien de bancs d'essais fictifs")
    assert [(c.code, c.text) for c in f.conventions] == [("3109", "Métallurgie")]
    assert [(c.name, c.siret, c.active) for c in f.certifier_details] == [
        ("UNION DES INDUSTRIES ET DES METIERS DE LA METALLURGIE (UIMM)", "78471719100018", True),
        ("ORGANISME IMAGINAIRE DE BANCS", None, False)]
    assert (f.registration.decision, f.registration.end) == (date(2023, 9, 1), date(2028, 8, 31))
    assert [(s.year, s.certified, s.certified_vae, s.employment_6m) for s in f.statistics] == [(2024, 12, None, 83)]
    assert (f.replaces, f.replaced_by) == (("RNCP80001",), ())


def test_absent_is_not_empty() -> None:
    f = fiche(V41, "RNCP90001")
    assert f.objectives is None  # present but empty: no text either
    assert f.blocks[1].assessment is None and f.blocks[0].assessment is not None
    rs = fiche(V41, "RS9002")
    assert rs.blocks == () and rs.access_routes == () and rs.level is None and rs.active is True
    assert [(c.name, c.siret, c.active) for c in rs.certifier_details] == [
        ("ORGANISME IMAGINAIRE DE BANCS", None, None)]


def test_rs_fiches_kept_apart_or_skipped() -> None:
    reader, docs = read(V41, include_rs=False)
    assert [d.rncp.code for d in docs if d.rncp] == ["RNCP90001"] and reader.skipped_rs == 1
    assert reader.info.flux_version == "4.1" and reader.info.export_date == date(2026, 12, 7)


def test_v2_spellings() -> None:
    f = fiche(EXPORTS / "export_fiches_RNCP_V2_0_2023-05-28.xml", "RNCP70001")
    assert [(n.code, n.text) for n in f.nsf] == [("343", "Nettoyage, assainissement")]  # INTITULE, not LIBELLE
    assert [(n.code, n.text) for n in f.formacodes] == [("12345", "Traitement imaginaire")]
    assert f.level == 3 and f.title == "Opérateur fictif de traitement des eaux"  # CDATA
    assert [(a.route, a.open, a.jury) for a in f.access_routes] == [
        ("CA", True, "Trois membres dont un professionnel"), ("VAE", False, None)]
    assert f.replaced_by == ("RNCP70002",) and f.active is False
    assert f.blocks[0].competences_raw is not None and "&lt;" not in f.blocks[0].competences_raw


def test_v3_spellings() -> None:
    f = fiche(EXPORTS / "export_fiches_RNCP_V3_0_2023-09-10.xml", "RNCP70002")
    assert [(n.code, n.text) for n in f.formacodes] == [("12345", "Traitement imaginaire")]
    assert f.replaces == ("RNCP70001",)
    assert [(a.route, a.open) for a in f.access_routes] == [("CA", True)]


def test_every_fiche_of_a_week_is_read_from_inside_the_zip() -> None:
    reader, docs = read(EXPORTS / "export-fiches-rncp-v4-1-2026-11-23.zip")
    assert len(docs) == 300 == reader.fiches
    assert reader.info.member == "export_fiches_RNCP_V4_1_2026-08-16.xml"
    codes = [d.rncp.code for d in docs if d.rncp]
    assert len(set(codes)) == 300 and all(c.startswith("RNCP") for c in codes)
    assert sum(len(d.rncp.blocks) for d in docs if d.rncp) > 300


def test_malformed_xml_is_rejected_with_line_and_column() -> None:
    with pytest.raises(RejectedInput, match=r"malformed XML at line 87, column \d+") as e:
        read(EXPORTS / "malformed_export_fiches_RNCP_V4_1_2026-12-08.xml")
    assert "rejected whole" in str(e.value)


def test_xml_cut_mid_fiche_inside_a_whole_zip_names_the_member_of_the_line(tmp_path: Path) -> None:
    """A zip that is whole but whose XML stops inside a fiche: the line is the member's, and the member is named."""
    text = (EXPORTS / "export_fiches_RNCP_V4_1_2026-12-07.xml").read_text(encoding="utf-8")
    cut = text[:text.index("<INTITULE>Habilitation") + 20]
    path = tmp_path / "export-fiches-rncp-v4-1-2026-12-09.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("export_fiches_RNCP_V4_1_2026-12-09.xml", cut)
    line = cut.count("\n") + 1
    with pytest.raises(RejectedInput, match=rf"malformed XML at line {line}, column \d+ of "
                                            r"export_fiches_RNCP_V4_1_2026-12-09\.xml: .*rejected whole"):
        read(path)


def test_a_zip_of_two_export_xmls_is_refused_not_read_half(tmp_path: Path) -> None:
    """The second XML of a zip holding an RNCP and an RS export was never read, and nothing said so."""
    path = tmp_path / "export-fiches-rncp-v4-1-2026-12-15.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.write(EXPORTS / "export_fiches_RNCP_V4_1_2026-12-07.xml", "export_fiches_RNCP_V4_1_2026-12-15.xml")
        z.write(EXPORTS / "export_fiches_RNCP_V3_0_2023-09-10.xml", "export_fiches_RS_V4_1_2026-12-15.xml")
    with pytest.raises(RejectedInput, match=r"zip holds 2 XML members \(export_fiches_RNCP_V4_1_2026-12-15\.xml, "
                                            r"export_fiches_RS_V4_1_2026-12-15\.xml\)"):
        read(path)


def test_truncated_zip_is_rejected() -> None:
    with pytest.raises(RejectedInput, match="truncated or corrupt zip"):
        read(EXPORTS / "truncated-export-fiches-rncp-v4-1-2026-11-23.zip")


def test_is_export_sniffs_the_content() -> None:
    for name in ("export-fiches-rncp-v4-1-2026-11-23.zip", "export_fiches_RNCP_V2_0_2023-05-28.xml",
                 "export-fiches-csv-2026-12-07.zip", "truncated-export-fiches-rncp-v4-1-2026-11-23.zip"):
        path = EXPORTS / name
        assert is_export(path, path.read_bytes()[:4096]), name
    seed = FIXTURES / "seeds" / "003_b7becefa6c01c81b.txt"
    assert not is_export(seed, seed.read_bytes()[:4096])


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(["Jury", "de", "3", "-", "é", " ", " ", "  ", "    ", "\t", "\u00a0", "\u2009", "\n",
                                 "\r\n"]), max_size=14).map("".join))
def test_paragraphs_of_a_space_only_text_are_its_runs_parts(value: str) -> None:
    """A text whose only whitespace is the space is cut at its runs without re-spacing each part: the same
    paragraphs as every part's whitespace made single (tabs, no-break and thin spaces, line breaks)."""
    splitter = re.compile(r" {2,}|\s*[\r\n]+\s*") if "\n" in value or "\r" in value else re.compile(r" {2,}")
    assert _paragraphs(value) == [p for p in (" ".join(x.split()) for x in splitter.split(value)) if p]
