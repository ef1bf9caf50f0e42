"""Rows held column by column (``pipeline.load.columns``): every column filled, constants bound once, the same
rows as tuples and in the warehouse."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from pipeline.load import tables
from pipeline.load import warehouse as wh
from pipeline.load.columns import ColumnBatch, Columns, insert_columns
from pipeline.records import BBox, Provenance

JOBS = tables.TABLES["rncp_jobs"]
SHA = "a" * 64


@pytest.fixture
def con(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    c = wh.connect(tmp_path / "w.duckdb")
    yield c
    c.close()


def stored(con: duckdb.DuckDBPyConnection, table: tables.Table) -> list[tuple[object, ...]]:
    return con.execute(f"SELECT {table.select()} FROM {table.name} ORDER BY ALL").fetchall()


def test_list_rows_fill_every_column_and_go_in_as_they_read(con: duckdb.DuckDBPyConnection) -> None:
    batch = ColumnBatch(JOBS)
    batch[JOBS].list_rows("d1", SHA, [Provenance(None, 7), Provenance(2, 9, BBox(1.0, 2.0, 3.0, 4.0))],
                          {"text": ["Soudeur", "Tuyauteur"]})
    batch[JOBS].list_rows("d2", SHA, [Provenance(None, 3)], {"text": ["Chaudronnier"]})
    rows = batch.rows()["rncp_jobs"]
    assert rows[0] == JOBS.names
    expected = [("d1", SHA, 0, 7, None, None, None, None, None, "Soudeur"),
                ("d1", SHA, 1, 9, 2, 1.0, 2.0, 3.0, 4.0, "Tuyauteur"),
                ("d2", SHA, 0, 3, None, None, None, None, None, "Chaudronnier")]
    assert rows[1] == expected
    with wh.transaction(con):
        batch.insert(con)
    assert stored(con, JOBS) == sorted(expected, key=lambda r: tuple(str(v) for v in r))
    assert batch[JOBS].count == 0  # emptied once written


def test_a_forgotten_column_fails_instead_of_shifting_values(con: duckdb.DuckDBPyConnection) -> None:
    columns = Columns(JOBS)
    columns.list_rows("d1", SHA, [Provenance(None, 1)], {"text": ["Soudeur"]})
    columns.values["text"].append("Tuyauteur")  # a row with one value and no others
    with pytest.raises(ValueError, match="rncp_jobs.text: 2 values for 1 rows"):
        insert_columns(con, columns)


def test_a_table_whose_every_column_is_constant_still_gets_each_row(con: duckdb.DuckDBPyConnection) -> None:
    columns = Columns(tables.RNCP_FICHE_FINGERPRINTS)
    columns.values.update(fingerprint=["f1", "f2", "f3"], document_id=["d"] * 3, code=["RNCP1"] * 3,
                          source_sha256=[SHA] * 3, line_offset=[None] * 3)
    columns.count = 3
    with wh.transaction(con):
        insert_columns(con, columns)
    assert con.execute("SELECT count(*), count(DISTINCT fingerprint) FROM rncp_fiche_fingerprints").fetchone() == (3, 3)
    same = Columns(tables.RNCP_FICHE_FINGERPRINTS)
    same.values.update(fingerprint=["f1"] * 2, document_id=["e"] * 2, code=["RNCP1"] * 2, source_sha256=[SHA] * 2,
                        line_offset=[None] * 2)
    same.count = 2
    with wh.transaction(con):
        insert_columns(con, same, or_else="REPLACE")
    found = con.execute("SELECT document_id FROM rncp_fiche_fingerprints WHERE fingerprint = 'f1'").fetchall()
    assert found == [("e",)]
