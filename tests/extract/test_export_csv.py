"""The CSV export: what it has, per fiche; NFD member names, TAB-prefixed SIRETs, code-prefixed labels."""

from __future__ import annotations

import zipfile
from datetime import date
from pathlib import Path

import pytest
from golden import FIXTURES

from pipeline.errors import RejectedInput
from pipeline.extract.export_csv import NOTE, CsvExportReader, is_csv_export
from pipeline.records import Source

CSV = FIXTURES / "rncp-export" / "export-fiches-csv-2026-12-07.zip"


def test_csv_export_gives_what_it_has() -> None:
    assert is_csv_export(CSV)
    reader = CsvExportReader(CSV, Source(str(CSV), "0" * 64, "csv", None, 0))
    docs = {d.rncp.code: d.rncp for d in reader if d.rncp}
    assert set(docs) == {"RNCP90001", "RS9002"} and reader.notes == [NOTE]
    f = docs["RNCP90001"]
    assert f.title == "Technicien de bancs d'essais fictifs" and f.level == 4 and f.active is True
    # the Blocs member's name is NFD-encoded: found all the same; no compétence lists in the CSV
    assert [(b.code, b.title, b.competences) for b in f.blocks] == [
        ("RNCP90001BC01", "Préparer un essai sur banc", ()), ("RNCP90001BC02", "Exploiter les résultats d'essais", ())]
    assert [(c.name, c.siret) for c in f.certifier_details] == [
        ("UNION DES INDUSTRIES ET DES METIERS DE LA METALLURGIE (UIMM)", "78471719100018")]
    assert [(n.code, n.text) for n in f.nsf] == [("251", "Mécanique générale")]
    assert [(c.code, c.text) for c in f.conventions] == [("3109", "Métallurgie")]
    assert [(a.route, a.open) for a in f.access_routes if a.open] == [("CA", True), ("VAE", True)]
    assert f.replaces == ("RNCP80001",)
    assert (f.registration.decision, f.registration.end) == (date(2023, 9, 1), date(2028, 8, 31))
    assert f.new_caledonia is False and f.french_polynesia is True


def _without_numbers(path: Path, blank: set[str]) -> Path:
    """The fixture CSV zip with the Standard rows of ``blank`` fiches missing their Numero_Fiche."""
    out = path.with_name("export-fiches-csv-2026-12-14.zip")
    with zipfile.ZipFile(CSV) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if "Standard" in info.filename:
                text = data.decode("utf-8-sig")
                for code in blank:
                    text = text.replace(f'"{code}"', '""').replace(f"{code};", ";")
                data = text.encode("utf-8")
            dst.writestr(info, data)
    return out


def test_a_csv_row_without_its_number_is_named_not_dropped_in_silence(tmp_path: Path) -> None:
    bad = _without_numbers(tmp_path / "x", {"RS9002"})
    reader = CsvExportReader(bad, Source(str(bad), "0" * 64, "csv", None, 0))
    assert [d.rncp.code for d in reader if d.rncp] == ["RNCP90001"]
    assert reader.notes[1:] == ["a fiche without Numero_Fiche at line 3 of export_fiches_CSV_Standard_2026_12_07.csv "
                                "was left out"]


def test_a_csv_export_without_a_fiche_is_rejected_whole(tmp_path: Path) -> None:
    bad = _without_numbers(tmp_path / "x", {"RS9002", "RNCP90001"})
    with pytest.raises(RejectedInput, match="holds no fiche .*line 2.*line 3.*rejected whole"):
        list(CsvExportReader(bad, Source(str(bad), "0" * 64, "csv", None, 0)))


def test_a_zip_of_two_standard_files_is_refused_naming_both(tmp_path: Path) -> None:
    """Two CSV exports zipped together: the first Standard file was read, the second lost in silence."""
    path = tmp_path / "export-fiches-csv-2026-12-14.zip"
    with zipfile.ZipFile(CSV) as src, zipfile.ZipFile(path, "w") as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info))
        standard = next(i for i in src.infolist() if "Standard" in i.filename)
        dst.writestr("export_fiches_CSV_Standard_2026_12_14.csv", src.read(standard))
    with pytest.raises(RejectedInput, match=r"zip holds 2 CSV files of the part 'standard' "
                                            r"\(export_fiches_CSV_Standard_2026_12_07\.csv, "
                                            r"export_fiches_CSV_Standard_2026_12_14\.csv\)"):
        list(CsvExportReader(path, Source(str(path), "0" * 64, "csv", None, 0)))
