"""One-file exports of the analysts' views: a SQLite database (Datasette, sqlite-utils, any SQLite
client) and an Excel workbook.

Both hold every ``v_*`` view under its own name (a table ``v_capacities``, a sheet ``capacities``), the
rows in the order of the Parquet export, and the data dictionary (table ``refpipe_columns``, sheet
``dictionary``): view, column, type, description.  Values are what the CSV export writes: lists as JSON
arrays, INTERVALs as seconds; SQLite keeps dates and times as ISO 8601 text (times with ``+00:00``),
booleans as 0/1; the workbook has real dates and times (UTC, without a zone: Excel has none).
The file is written beside the target and renamed into place, so the target never holds half an export.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb

from pipeline.query.dictionary import SCHEMA_VERSION, View, column_text, describe, require_current_views
from pipeline.query.export import ExportError, dataset_name, order_by, refpipe_version, select_list, utc_session

#: Excel's limits: rows per sheet (with the header), characters per cell, characters per sheet name
EXCEL_ROWS, EXCEL_CELL, EXCEL_SHEET_NAME = 1_048_576, 32_767, 31


def _rows(con: duckdb.DuckDBPyConnection, view: View, fmt: str) -> Iterator[tuple[Any, ...]]:
    sort = ", ".join(f'"{c}"' for c in order_by(view))
    cursor = con.execute(f"SELECT {select_list(view, fmt)} FROM {view.name} ORDER BY {sort}")
    while batch := cursor.fetchmany(10_000):
        yield from batch


def _check_target(out: Path, suffixes: tuple[str, ...]) -> Path:
    if out.is_dir():
        raise ExportError(f"{out} is a folder: give the file to write (for example {out / ('refpipe' + suffixes[0])})")
    if out.suffix.lower() not in suffixes:
        raise ExportError(f"{out}: the file name should end in {' or '.join(suffixes)}")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.partial-{os.getpid()}"
    tmp.unlink(missing_ok=True)
    return tmp


def _sqlite_type(duck_type: str) -> str:
    if duck_type in ("BOOLEAN", "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UBIGINT", "UINTEGER"):
        return "INTEGER"
    if duck_type in ("DOUBLE", "FLOAT", "REAL", "INTERVAL") or duck_type.startswith("DECIMAL"):
        return "REAL"
    return "TEXT"


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat() if value.tzinfo else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def export_sqlite(con: duckdb.DuckDBPyConnection, out_file: Path | str) -> dict[str, int]:
    """Write every v_* view as a table of a new SQLite database ``out_file``; returns rows per table."""
    out = Path(out_file)
    tmp = _check_target(out, (".sqlite", ".db", ".sqlite3"))
    require_current_views(con)
    counts: dict[str, int] = {}
    try:
        lite = sqlite3.connect(tmp)
        try:
            with utc_session(con):
                con.execute("BEGIN TRANSACTION")  # one snapshot for every view
                try:
                    views = describe(con)
                    for view in views:
                        counts[view.name] = _sqlite_table(con, lite, view)
                finally:
                    con.execute("ROLLBACK")
            _sqlite_dictionary(lite, views)
            lite.commit()
        finally:
            lite.close()
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return counts


def _sqlite_table(con: duckdb.DuckDBPyConnection, lite: sqlite3.Connection, view: View) -> int:
    columns = ", ".join(f'"{c.name}" {_sqlite_type(c.type)}' for c in view.columns)
    lite.execute(f'CREATE TABLE "{view.name}" ({columns})')
    marks = ", ".join("?" for _ in view.columns)
    rows = 0
    batch: list[tuple[Any, ...]] = []
    for row in _rows(con, view, "sqlite"):
        batch.append(tuple(_sqlite_value(v) for v in row))
        if len(batch) == 10_000:
            lite.executemany(f'INSERT INTO "{view.name}" VALUES ({marks})', batch)
            rows, batch = rows + len(batch), []
    lite.executemany(f'INSERT INTO "{view.name}" VALUES ({marks})', batch)
    return rows + len(batch)


def _sqlite_dictionary(lite: sqlite3.Connection, views: tuple[View, ...]) -> None:
    lite.execute('CREATE TABLE refpipe_columns ("view" TEXT, "column" TEXT, "type" TEXT, description TEXT, '
                 'PRIMARY KEY ("view", "column"))')
    lite.executemany("INSERT INTO refpipe_columns VALUES (?, ?, ?, ?)",
                     [(v.name, c.name, c.type, column_text(c)) for v in views for c in v.columns])
    lite.execute('CREATE TABLE refpipe_views ("view" TEXT PRIMARY KEY, description TEXT)')
    lite.executemany("INSERT INTO refpipe_views VALUES (?, ?)", [(v.name, v.comment or "") for v in views])
    lite.execute("CREATE TABLE refpipe_meta (key TEXT PRIMARY KEY, value TEXT)")
    lite.executemany("INSERT INTO refpipe_meta VALUES (?, ?)", [
        ("schema_version", SCHEMA_VERSION), ("refpipe_version", refpipe_version()),
        ("created_at", datetime.now(UTC).replace(microsecond=0).isoformat())])


def sheet_name(view: str) -> str:
    return dataset_name(view)[:EXCEL_SHEET_NAME]


def _cell(value: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo:
        return value.astimezone(UTC).replace(tzinfo=None)  # Excel times have no zone: UTC, as the header says
    if isinstance(value, str) and len(value) > EXCEL_CELL:
        return value[:EXCEL_CELL - 1] + "…"
    return value


def export_xlsx(con: duckdb.DuckDBPyConnection, out_file: Path | str) -> dict[str, int]:
    """Write every v_* view as a sheet of a new workbook ``out_file`` (plus a ``dictionary`` sheet)."""
    from openpyxl import Workbook  # only this command needs it
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    out = Path(out_file)
    tmp = _check_target(out, (".xlsx",))
    require_current_views(con)
    counts: dict[str, int] = {}
    book = Workbook(write_only=True)
    bold = Font(bold=True)
    try:
        with utc_session(con):
            con.execute("BEGIN TRANSACTION")
            try:
                views = describe(con)
                for view in views:
                    n = con.execute(f"SELECT count(*) FROM {view.name}").fetchall()[0][0]
                    if n >= EXCEL_ROWS:
                        raise ExportError(f"{view.name} has {n} rows, more than an Excel sheet holds: "
                                          "export parquet, csv or sqlite instead")
                    sheet = book.create_sheet(sheet_name(view.name))
                    sheet.freeze_panes = "A2"
                    header = []
                    for c in view.columns:
                        cell = WriteOnlyCell(sheet, value=c.name + (" (UTC)" if "TIME ZONE" in c.type else ""))
                        cell.font = bold
                        header.append(cell)
                    sheet.append(header)
                    for row in _rows(con, view, "xlsx"):
                        sheet.append([_cell(v) for v in row])
                    counts[view.name] = int(n)
            finally:
                con.execute("ROLLBACK")
        sheet = book.create_sheet("dictionary")
        sheet.append(["view", "column", "type", "description"])
        for v in views:
            sheet.append([v.name, "", "", v.comment or ""])
            for c in v.columns:
                sheet.append([v.name, c.name, c.type, column_text(c)])
        book.save(tmp)
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return counts
