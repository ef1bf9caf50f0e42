"""`pipeline.query.export`: every view as a dataset that pyarrow and pandas read back exactly, deterministic
bytes, a manifest that tells what was exported, CSV, and a target folder that is never half written."""

from __future__ import annotations

import csv
import hashlib
import json
import math
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
from seed_warehouse import WITH_PDF, seed_warehouse

from pipeline.load import warehouse as wh
from pipeline.query import dictionary, export


@pytest.fixture(scope="module")
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    c = wh.connect(seed_warehouse(WITH_PDF), read_only=True)
    yield c
    c.close()


@pytest.fixture(scope="module")
def exported(con: duckdb.DuckDBPyConnection, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("export") / "out"
    return out, export.export(con, out)


def views(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [v.name for v in dictionary.describe(con)]


def view_rows(con: duckdb.DuckDBPyConnection, view: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    cursor = con.execute(f"SELECT * FROM {view}")
    return [d[0] for d in cursor.description or []], cursor.fetchall()


def canon(value: Any) -> Any:
    """One form for a value read through DuckDB, pyarrow or pandas (NULL/NaN/NA, numpy, floats that are ints)."""
    if isinstance(value, np.ndarray | list | tuple):
        return tuple(canon(v) for v in value)
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, timedelta):  # INTERVAL columns are exported as seconds
        return value.total_seconds()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def canon_rows(columns: list[str], rows: list[tuple[Any, ...]] | list[dict[str, Any]], order: list[str]) -> list[Any]:
    """Rows as tuples in ``order`` of columns, canonical values, sorted (partitioned reads reorder rows)."""
    dicts = [r if isinstance(r, dict) else dict(zip(columns, r, strict=True)) for r in rows]
    return sorted((tuple(canon(d[c]) for c in order) for d in dicts), key=repr)


def files(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_every_view_is_a_dataset_pyarrow_reads_back_exactly(con: duckdb.DuckDBPyConnection, exported) -> None:
    out, manifest = exported
    assert [d["view"] for d in manifest["datasets"]] == views(con)
    for d in manifest["datasets"]:
        columns, rows = view_rows(con, d["view"])
        table = ds.dataset(out / d["name"], format="parquet", partitioning="hive").to_table()
        assert table.num_rows == len(rows) == d["rows"], d["view"]
        assert sorted(table.column_names) == sorted(columns), d["view"]
        assert canon_rows(columns, table.to_pylist(), columns) == canon_rows(columns, rows, columns), d["view"]


def test_pandas_reads_the_same_rows_and_values(con: duckdb.DuckDBPyConnection, exported) -> None:
    out, manifest = exported
    for d in manifest["datasets"]:
        columns, rows = view_rows(con, d["view"])
        frame = pd.read_parquet(out / d["name"])
        assert len(frame) == len(rows), d["view"]
        records = [{c: frame[c].iloc[i] for c in columns} for i in range(len(frame))]
        assert canon_rows(columns, records, columns) == canon_rows(columns, rows, columns), d["view"]


def test_types_dates_are_dates_and_text_is_utf8(exported) -> None:
    out, _ = exported
    fiches = pq.read_table(out / "rncp_fiches" / "part-0.parquet")
    assert str(fiches.schema.field("registration_end").type) == "date32[day]"
    assert fiches.column("registration_end").to_pylist() == [date(2022, 4, 21)] * 2
    assert str(fiches.schema.field("loaded_at").type) == "timestamp[us, tz=UTC]"
    frame = pd.read_parquet(out / "rncp_fiches")
    assert isinstance(frame["registration_end"].iloc[0], date)
    titles = pd.read_parquet(out / "referentiels")["title"].tolist()
    assert "Coordonnateur (trice) de système Q, S, E (Qualité, Sécurité, Environnement)" in titles
    schema = pq.read_schema(out / "criteria" / "part-0.parquet")
    assert schema.metadata[b"refpipe.view"] == b"v_criteria"
    assert b"page" in schema.field("page").metadata[b"comment"].lower()
    assert all(f.nullable for f in schema)  # the schema comes from the view, never from the data


def test_mixed_kind_views_are_hive_partitioned(exported) -> None:
    out, manifest = exported
    capacities = next(d for d in manifest["datasets"] if d["name"] == "capacities")
    assert capacities["partition_by"] == ["kind"]
    assert [f["path"] for f in capacities["files"]] == ["capacities/kind=cqpm/part-0.parquet",
                                                        "capacities/kind=rncp/part-0.parquet"]
    assert "kind" not in pq.read_schema(out / "capacities" / "kind=rncp" / "part-0.parquet").names
    table = ds.dataset(out / "capacities", format="parquet", partitioning="hive").to_table(
        filter=ds.field("kind") == "rncp")
    assert set(table.column("capacity").to_pylist()) == {f"C{k}" for k in range(1, 9)}


def test_two_exports_of_the_same_warehouse_are_byte_identical(exported, tmp_path: Path) -> None:
    first, manifest = exported
    again = wh.connect(seed_warehouse(WITH_PDF), read_only=True)  # another connection, later
    try:
        second = export.export(again, tmp_path / "again", now=datetime(2030, 1, 1, tzinfo=UTC))
    finally:
        again.close()
    one, two = files(first), files(tmp_path / "again")
    assert one.keys() == two.keys()
    assert {k for k in one if one[k] != two[k]} == {"manifest.json"}  # only its created_at differs
    assert second["created_at"] == "2030-01-01T00:00:00Z"
    assert {**manifest, "created_at": None} == {**second, "created_at": None}


def test_the_manifest_tells_what_was_exported(con: duckdb.DuckDBPyConnection, exported) -> None:
    out, manifest = exported
    assert json.loads((out / "manifest.json").read_text(encoding="utf-8")) == manifest
    assert manifest["schema_version"] == dictionary.SCHEMA_VERSION == dictionary.warehouse_schema_version(con)
    assert manifest["refpipe_version"] and manifest["format"] == "parquet"
    assert datetime.fromisoformat(manifest["created_at"].replace("Z", "+00:00")).tzinfo is not None
    assert [s["sha256"] for s in manifest["sources"]] == sorted(
        r[0] for r in con.execute("SELECT sha256 FROM sources").fetchall())
    hashes = files(out)
    for d in manifest["datasets"]:
        assert d["rows"] == con.execute(f"SELECT count(*) FROM {d['view']}").fetchall()[0][0]
        assert d["rows"] == sum(f["rows"] for f in d["files"])
        assert all(hashes[f["path"]] == f["sha256"] for f in d["files"])
        assert [c["name"] for c in d["columns"]] == view_rows(con, d["view"])[0]
    assert set(hashes) == {"manifest.json"} | {f["path"] for d in manifest["datasets"] for f in d["files"]}


def test_csv_export(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    manifest = export.export(con, tmp_path / "csv", "csv")
    assert {f["path"] for d in manifest["datasets"] for f in d["files"]} == {
        f"{d['name']}.csv" for d in manifest["datasets"]}
    for d in manifest["datasets"]:
        with (tmp_path / "csv" / f"{d['name']}.csv").open(encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f))
        assert len(rows) == d["rows"], d["view"]
    fiches = pd.read_csv(tmp_path / "csv" / "rncp_fiches.csv", dtype=str, keep_default_na=False)
    assert sorted(fiches["registration_end"]) == ["2022-04-21", "2022-04-21"]
    assert sorted(json.loads(v) for v in fiches["cqpm_numbers"]) == [[], ["0195"]]  # lists as JSON
    again = export.export(con, tmp_path / "csv2", "csv")
    assert {k: v for k, v in files(tmp_path / "csv").items() if k != "manifest.json"} == {
        k: v for k, v in files(tmp_path / "csv2").items() if k != "manifest.json"}
    assert again["format"] == "csv"


def test_a_previous_export_is_replaced_whole_and_other_folders_are_left_alone(
        con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    out = tmp_path / "out"
    export.export(con, out, "csv")
    export.export(con, out)  # parquet over csv: no csv file left behind
    assert not list(out.glob("*.csv")) and (out / "criteria" / "part-0.parquet").is_file()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary folder left
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(export.ExportError, match="not empty"):
        export.export(con, mine)
    assert [p.name for p in mine.iterdir()] == ["notes.txt"]
    with pytest.raises(export.ExportError, match="format"):
        export.export(con, tmp_path / "x", "json")


def test_a_users_file_inside_a_previous_export_is_never_deleted(con: duckdb.DuckDBPyConnection,
                                                                 tmp_path: Path) -> None:
    """An analyst saved notes (or a workbook) in the export folder: replacing the export as a whole deleted
    them without a word.  The export refuses, naming them; file-browser litter is no one's work."""
    out = tmp_path / "out"
    export.export(con, out)
    (out / "analyse.xlsx").write_bytes(b"my pivot tables")
    (out / "criteria" / "notes.md").write_text("à revoir", encoding="utf-8")
    (out / ".DS_Store").write_bytes(b"x")
    with pytest.raises(export.ExportError, match=r"files it did not write \(analyse.xlsx, criteria/notes.md\)"):
        export.export(con, out)
    assert (out / "analyse.xlsx").read_bytes() == b"my pivot tables" and (out / "criteria" / "notes.md").is_file()
    (out / "analyse.xlsx").unlink()
    (out / "criteria" / "notes.md").unlink()
    export.export(con, out, "csv")  # only its own files and litter left: replaced
    assert (out / "criteria.csv").is_file() and not (out / ".DS_Store").exists()


def test_intervals_are_exported_as_seconds(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    con = wh.connect(path)
    con.execute("CREATE VIEW v_test_durations AS SELECT 'a' AS name, INTERVAL 90 SECOND AS duration")
    con.execute("COMMENT ON VIEW v_test_durations IS 'a view with an INTERVAL column'")
    con.close()
    ro = wh.connect(path, read_only=True)
    try:
        manifest = export.export(ro, tmp_path / "out")
        csv_manifest = export.export(ro, tmp_path / "csv", "csv")
    finally:
        ro.close()
    table = pq.read_table(tmp_path / "out" / "test_durations")
    assert table.column("duration").to_pylist() == [90.0]
    dataset = next(d for d in manifest["datasets"] if d["view"] == "v_test_durations")
    assert dataset["columns"][1] == {"name": "duration", "type": "INTERVAL", "exported_as": "seconds (DOUBLE)"}
    assert next(d["rows"] for d in csv_manifest["datasets"] if d["view"] == "v_test_durations") == 1
    assert (tmp_path / "csv" / "test_durations.csv").read_text(encoding="utf-8").splitlines() == [
        "name,duration", "a,90.0"]
