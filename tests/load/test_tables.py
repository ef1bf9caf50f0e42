"""The table declarations (``pipeline.load.tables``) are the one source of the layout: the warehouse's
catalog, the row mapping and the readers all follow them."""

from __future__ import annotations

from pathlib import Path

import pytest
from golden import FIXTURES

from pipeline.load import tables
from pipeline.load import warehouse as wh
from pipeline.normalize.document import normalize_document
from pipeline.parse import extract_document
from pipeline.query.read import read_document


def test_the_catalog_holds_exactly_the_declared_columns_with_their_comments(tmp_path: Path) -> None:
    con = wh.connect(tmp_path / "w.duckdb")
    try:
        for table in tables.TABLES.values():
            rows = con.execute("SELECT column_name, data_type, comment FROM duckdb_columns() "
                               "WHERE table_name = ? ORDER BY column_index", [table.name]).fetchall()
            assert [(n, t) for n, t, _ in rows] == [(c.name, c.type) for c in table.columns], table.name
            assert all(comment for _, _, comment in rows), table.name
            found = con.execute("SELECT comment FROM duckdb_tables() WHERE table_name = ?", [table.name]).fetchone()
            assert found == (table.doc,)
    finally:
        con.close()


@pytest.mark.parametrize("seed", ["001_1b606db1c3205ecb.txt", "003_b7becefa6c01c81b.txt"])
def test_rows_follow_the_declarations_and_read_back_whole(seed: str, tmp_path: Path) -> None:
    document = normalize_document(extract_document(FIXTURES / "seeds" / seed))
    rows = wh.document_rows(document)
    for name, (columns, table_rows) in rows.items():
        assert columns == tables.TABLES[name].names
        assert all(len(r) == len(columns) for r in table_rows)
    assert {t.name for t in tables.DOCUMENT_TABLES if t.name.startswith(document.kind.value)} <= set(rows)
    con = wh.connect(tmp_path / "w.duckdb")
    try:
        wh.load(document, con)
        assert read_document(con, document.id) == document
        wh.delete_document_rows(con, document.id)  # every document table, by its own document column
        assert all(con.execute(f"SELECT count(*) FROM {t.name} WHERE {t.document_key} = ?",
                               [document.id]).fetchone() == (0,) for t in tables.DOCUMENT_TABLES)
    finally:
        con.close()


def test_a_row_names_only_declared_columns() -> None:
    with pytest.raises(KeyError, match="no column"):
        tables.SOURCES.row({"sha256": "x", "colour": "red"})
    assert tables.SOURCES.row({"sha256": "x"})[0] == "x"


def test_a_declaration_with_a_key_it_does_not_have_is_refused() -> None:
    with pytest.raises(ValueError, match="key columns"):
        tables.Table("t", "doc", (tables.Column("a", "INTEGER", "a"),), key=("b",))
