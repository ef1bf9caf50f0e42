"""Every export format, read back by the readers analysts use: pyarrow, polars and pandas (and sqlite3 /
openpyxl for the one-file formats), without error, with every row of every view and the values intact."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd
import polars as pl
import pyarrow.csv as pa_csv
import pyarrow.dataset as ds
import pytest
from seed_warehouse import WITH_PDF, seed_warehouse

from pipeline.load import warehouse as wh
from pipeline.query import dictionary, export, export_files

TITLE = "Coordonnateur (trice) de système Q, S, E (Qualité, Sécurité, Environnement)"


@pytest.fixture(scope="module")
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    c = wh.connect(seed_warehouse(WITH_PDF), read_only=True)
    yield c
    c.close()


@pytest.fixture(scope="module")
def counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    return {v.name: con.execute(f"SELECT count(*) FROM {v.name}").fetchall()[0][0] for v in dictionary.describe(con)}


@pytest.fixture(scope="module")
def out(con: duckdb.DuckDBPyConnection, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("exports")
    export.export(con, root / "parquet")
    export.export(con, root / "csv", "csv")
    export.export(con, root / "excel", "csv", excel=True)
    export_files.export_xlsx(con, root / "refpipe.xlsx")
    export_files.export_sqlite(con, root / "refpipe.sqlite")
    return root


def test_parquet_reads_with_pyarrow_polars_pandas(out: Path, counts: dict[str, int]) -> None:
    for view, n in counts.items():
        folder = out / "parquet" / export.dataset_name(view)
        assert ds.dataset(folder, partitioning="hive").to_table().num_rows == n, view
        assert pl.read_parquet(folder / "**/*.parquet", hive_partitioning=True).height == n, view
        assert len(pd.read_parquet(folder)) == n, view
    runs = pl.read_parquet(out / "parquet" / "sources" / "**/*.parquet")
    assert runs.schema["ingested_at"] == pl.Datetime("us", "UTC")  # polars reads the times, with their zone


def test_csv_reads_with_pyarrow_polars_pandas(out: Path, counts: dict[str, int]) -> None:
    for view, n in counts.items():
        path = out / "csv" / f"{export.dataset_name(view)}.csv"
        assert pa_csv.read_csv(path).num_rows == n, view
        assert pl.read_csv(path, infer_schema_length=None).height == n, view
        assert len(pd.read_csv(path)) == n, view


def test_excel_csv_has_a_bom_semicolons_and_decimal_commas(out: Path, counts: dict[str, int],
                                                            con: duckdb.DuckDBPyConnection) -> None:
    options = pa_csv.ParseOptions(delimiter=";")
    for view, n in counts.items():
        path = out / "excel" / f"{export.dataset_name(view)}.csv"
        assert path.read_bytes().startswith(b"\xef\xbb\xbf"), view
        table = pa_csv.read_csv(path, parse_options=options)
        assert table.num_rows == n and not table.column_names[0].startswith("\ufeff"), view
        frame = pl.read_csv(path, separator=";", decimal_comma=True, infer_schema_length=None)
        assert frame.height == n and not frame.columns[0].startswith("\ufeff"), view
        assert len(pd.read_csv(path, sep=";", decimal=",", encoding="utf-8-sig")) == n, view
    scores = con.execute("SELECT rncp, cqpm, score FROM v_links ORDER BY ALL").fetchall()
    assert scores and any(not float(s).is_integer() for _, _, s in scores)
    links = pd.read_csv(out / "excel" / "links.csv", sep=";", decimal=",", encoding="utf-8-sig", dtype={"cqpm": str})
    assert sorted(zip(links["rncp"], links["cqpm"], links["score"], strict=True)) == scores
    text = (out / "excel" / "links.csv").read_text(encoding="utf-8-sig")
    assert f"{scores[0][2]}".replace(".", ",") in text and ";" in text.splitlines()[0]
    sources = pd.read_csv(out / "excel" / "sources.csv", sep=";", encoding="utf-8-sig")
    assert all(len(t) == 19 for t in sources["ingested_at"])  # 2026-12-06 03:40:00: no zone Excel cannot read
    titles = pd.read_csv(out / "excel" / "referentiels.csv", sep=";", decimal=",", encoding="utf-8-sig")["title"]
    assert TITLE in titles.tolist()


def test_xlsx_reads_with_pandas_and_polars(out: Path, counts: dict[str, int]) -> None:
    path = out / "refpipe.xlsx"
    sheets = pd.read_excel(path, sheet_name=None, engine="openpyxl")
    assert set(sheets) == {export_files.sheet_name(v) for v in counts} | {"dictionary"}
    for view, n in counts.items():
        assert len(sheets[export_files.sheet_name(view)]) == n, view
    assert len(pl.read_excel(path, sheet_name="links", engine="openpyxl")) == counts["v_links"]
    assert TITLE in sheets["referentiels"]["title"].tolist()
    assert isinstance(sheets["sources"]["ingested_at (UTC)"].iloc[0], datetime)
    dictionary_sheet = sheets["dictionary"]
    assert dictionary_sheet["description"].notna().all()


def test_sqlite_holds_every_view_as_a_table(out: Path, counts: dict[str, int], con: duckdb.DuckDBPyConnection) -> None:
    path = out / "refpipe.sqlite"
    lite = sqlite3.connect(path)
    try:
        for view, n in counts.items():
            assert lite.execute(f'SELECT count(*) FROM "{view}"').fetchone() == (n,), view
            assert len(pd.read_sql(f'SELECT * FROM "{view}"', lite)) == n, view
            assert pl.read_database(f'SELECT * FROM "{view}"', lite).height == n, view
        described = lite.execute("SELECT count(*) FROM refpipe_columns WHERE description <> ''").fetchone()
        assert described == (sum(len(v.columns) for v in dictionary.describe(con)),)
        assert lite.execute("SELECT count(*) FROM v_referentiels WHERE title = ?", [TITLE]).fetchone()[0] >= 1
        when = lite.execute("SELECT ingested_at FROM v_sources LIMIT 1").fetchone()[0]
        assert datetime.fromisoformat(when).utcoffset() is not None
        assert lite.execute("SELECT typeof(rejected) FROM v_sources LIMIT 1").fetchone() == ("integer",)
    finally:
        lite.close()


def test_one_file_exports_refuse_a_folder_and_replace_a_previous_file(con: duckdb.DuckDBPyConnection,
                                                                      tmp_path: Path) -> None:
    with pytest.raises(export.ExportError, match="is a folder"):
        export_files.export_sqlite(con, tmp_path)
    target = tmp_path / "w.sqlite"
    target.write_text("old")
    export_files.export_sqlite(con, target)
    export_files.export_sqlite(con, target)
    assert sqlite3.connect(target).execute("SELECT count(*) FROM v_documents").fetchone()[0] > 0
    assert [p.name for p in tmp_path.iterdir()] == ["w.sqlite"]
