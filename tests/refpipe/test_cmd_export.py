"""`refpipe export` and `refpipe dictionary` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from seed_warehouse import WITH_PDF, seed_warehouse
from typer.testing import CliRunner

from pipeline.query import dictionary
from refpipe.cli import app

runner = CliRunner()


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "200"})
    return result.exit_code, result.output


def test_export_parquet_then_csv(tmp_path: Path) -> None:
    warehouse = str(seed_warehouse(WITH_PDF))
    code, output = invoke("export", "parquet", str(tmp_path / "p"), "-w", warehouse)
    assert code == 0, output
    assert "capacities" in output and "(partitioned by kind)" in output and "written to" in output
    manifest = json.loads((tmp_path / "p" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["format"] == "parquet" and manifest["warehouse"] == warehouse
    assert len(pd.read_parquet(tmp_path / "p" / "criteria")) == next(
        d["rows"] for d in manifest["datasets"] if d["name"] == "criteria")
    for args in (("csv", str(tmp_path / "c")), (str(tmp_path / "c2"), "--format", "csv")):
        code, output = invoke("export", *args, "-w", warehouse)
        assert code == 0, output
    assert (tmp_path / "c" / "criteria.csv").read_bytes() == (tmp_path / "c2" / "criteria.csv").read_bytes()
    code, _ = invoke("export", str(tmp_path / "default"), "-w", warehouse)
    assert code == 0 and (tmp_path / "default" / "criteria" / "part-0.parquet").is_file()


def test_export_excel_csv_xlsx_and_sqlite(tmp_path: Path) -> None:
    warehouse = str(seed_warehouse(WITH_PDF))
    code, output = invoke("export", "csv", str(tmp_path / "excel"), "--excel", "-w", warehouse)
    assert code == 0, output
    assert (tmp_path / "excel" / "criteria.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    manifest = json.loads((tmp_path / "excel" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["format"] == "csv-excel"
    code, output = invoke("export", "xlsx", str(tmp_path / "w.xlsx"), "-w", warehouse)
    assert code == 0 and "sheet(s) (xlsx) written to" in output, output
    assert len(pd.read_excel(tmp_path / "w.xlsx", sheet_name="criteria")) == len(pd.read_csv(
        tmp_path / "excel" / "criteria.csv", sep=";", encoding="utf-8-sig"))
    code, output = invoke("export", "sqlite", str(tmp_path / "w.sqlite"), "-w", warehouse)
    assert code == 0 and "v_criteria" in output, output
    code, output = invoke("export", "parquet", str(tmp_path / "p"), "--excel", "-w", warehouse)
    assert code == 2 and "--excel is for csv" in output
    code, output = invoke("export", "sqlite", str(tmp_path / "w.txt"), "-w", warehouse)
    assert code == 1 and "should end in .sqlite" in output


def test_export_usage_and_target_errors(tmp_path: Path) -> None:
    warehouse = str(seed_warehouse(WITH_PDF))
    for args in (("json", str(tmp_path / "x")), ("parquet", str(tmp_path / "x"), "--format", "csv"),
                 (str(tmp_path / "x"), "--format", "xml"), ("csv", "a", "b")):
        code, output = invoke("export", *args, "-w", warehouse)
        assert code == 2 and "Traceback" not in output, args
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("x", encoding="utf-8")
    code, output = invoke("export", str(tmp_path / "mine"), "-w", warehouse)
    assert code == 1 and "not empty" in output
    code, output = invoke("export", str(tmp_path / "y"), "-w", str(tmp_path / "none.duckdb"))
    assert code == 1 and "does not exist" in output


def test_dictionary_output_and_check(tmp_path: Path) -> None:
    target = tmp_path / "docs" / "warehouse.md"
    code, output = invoke("dictionary", "--check", "--output", str(target))
    assert code == 1 and "not up to date" in output
    code, _ = invoke("dictionary", "--output", str(target))
    assert code == 0 and target.read_text(encoding="utf-8") == dictionary.schema_only_markdown()
    code, output = invoke("dictionary", "--check", "--output", str(target))
    assert code == 0 and "up to date" in output
    code, output = invoke("dictionary", "-w", str(seed_warehouse(WITH_PDF)))
    assert code == 0 and output == dictionary.schema_only_markdown()


def test_an_export_path_under_a_file_is_a_clean_error(tmp_path: Path) -> None:
    """`refpipe export parquet notes.txt/out`: a NotADirectoryError / FileExistsError traceback before."""
    warehouse = str(seed_warehouse(WITH_PDF))
    blocker = tmp_path / "notes.txt"
    blocker.write_text("x", encoding="utf-8")
    for fmt, name in (("parquet", "out"), ("csv", "out"), ("xlsx", "r.xlsx"), ("sqlite", "r.sqlite")):
        code, output = invoke("export", fmt, str(blocker / name), "-w", warehouse)
        assert code == 1 and "Traceback" not in output, (fmt, output)
        assert f"{blocker} is a file, not a folder" in " ".join(output.split()), (fmt, output)
