"""The newer layout in the warehouse: activities, blocs, compétences with their bloc, connaissances and
résultats attendus through the analysts' views, and in the Parquet export."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from golden import FIXTURES

from pipeline.load import warehouse as wh
from pipeline.normalize.document import normalize_document
from pipeline.parse import extract_document
from pipeline.query import export

NEW = FIXTURES / "new-layout"
FILES = ("nlx01_soudeur-chaudronnerie.grid.txt", "nlx02_controle-non-destructif.v1-old-layout.txt",
         "corpus/nl01_technicien-maintenance-industrielle.conv000.txt")


@pytest.fixture(scope="module")
def con(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = wh.connect(tmp_path_factory.mktemp("w") / "w.duckdb")
    for name in FILES:
        wh.load(normalize_document(extract_document(NEW / name)), connection)
    yield connection
    connection.close()


def test_blocs_and_competences(con: duckdb.DuckDBPyConnection) -> None:
    assert con.execute("SELECT cqpm_number, bloc_number, bloc_code, competences FROM v_blocs "
                       "WHERE cqpm_number = '0412' ORDER BY bloc_number").fetchall() == [
        ("0412", 1, "RNCP37001BC01", [1, 2]), ("0412", 2, "RNCP37001BC02", [3, 4])]
    rows = con.execute("SELECT cqpm_number, capacity_number, bloc_number, bloc_title, criteria, knowledge, "
                       "expected_results FROM v_competences ORDER BY cqpm_number, capacity_number").fetchall()
    assert rows[:2] == [("0104", 1, 1, "Le diagnostic et le dépannage des équipements de production", 4, 4, 1),
                        ("0104", 2, 1, "Le diagnostic et le dépannage des équipements de production", 4, 4, 2)]
    old = [r for r in rows if r[0] == "0333"]  # the old layout: capacities without bloc
    assert len(old) == 4 and {r[2] for r in old} == {None}


def test_activities_knowledge_and_expected_results(con: duckdb.DuckDBPyConnection) -> None:
    assert con.execute("SELECT activity_number, activity, text IS NULL FROM v_activities "
                       "WHERE cqpm_number = '0412' ORDER BY activity_number").fetchall() == [
        (1, "La préparation des éléments à assembler", True), (2, "Le soudage et le contrôle des assemblages", True)]
    assert con.execute("SELECT count(*) FROM v_connaissances WHERE cqpm_number = '0104'").fetchone() == (27,)
    assert con.execute("SELECT resultat_attendu FROM v_resultats_attendus WHERE cqpm_number = '0104' "
                       "AND capacity_number = 2 ORDER BY result_number").fetchall() == [
        ("L'équipement est restitué à la production en état de fonctionnement.",),
        ("Le temps d'arrêt reste compatible avec les contraintes de production communiquées.",)]
    env = con.execute("SELECT environment FROM cqpm_referentiels WHERE number = '0104'").fetchone()
    assert env is not None and env[0].count("\n") == 1  # two paragraphs, one line break


def test_the_export_has_them(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    export.export(con, tmp_path / "out")
    for name, rows in (("activities", 5), ("blocs", 5), ("connaissances", 35), ("resultats_attendus", 11)):
        files = list((tmp_path / "out" / name).glob("**/*.parquet"))
        assert files and sum(pq.read_metadata(f).num_rows for f in files) == rows, name
    competences = pq.read_table(next((tmp_path / "out" / "competences").glob("**/*.parquet")))
    assert competences.num_rows == 9 + 4 + 4 and "bloc_title" in competences.column_names
