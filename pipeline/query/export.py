"""Export the analysts' views as files others can read: Parquet (default) or CSV, plus manifest.json.

(One-file exports for spreadsheet and SQLite users — ``xlsx``, ``sqlite`` — are in ``export_files``.)

Layout of ``OUT_DIR`` (one dataset per ``v_*`` view, named without the ``v_``)::

    manifest.json                              schema version, refpipe version, time, sources, datasets
    capacities/kind=cqpm/part-0.parquet        hive-partitioned by kind where a view mixes both kinds
    capacities/kind=rncp/part-0.parquet
    criteria/part-0.parquet                    the other views: one file
    ...                                        (CSV: capacities.csv, criteria.csv, ...; lists as JSON)

Every dataset directory reads with ``pyarrow.dataset.dataset(dir, partitioning="hive")``,
``pandas.read_parquet(dir)``, ``polars.read_parquet(dir / "**/*.parquet", hive_partitioning=True)`` or
Spark.  CSV with ``excel=True`` is what a French Excel opens by double-click: UTF-8 with a BOM, ``;``
between fields, decimal commas, times as ``YYYY-MM-DD HH:MM:SS`` (UTC).
Files are deterministic: rows are ordered by the key columns then every other column, the
arrow schema comes from the view (every field nullable, comments as field metadata), and the writer
settings are fixed, so exporting an unchanged warehouse twice gives byte-identical Parquet files; only
``manifest.json``'s ``created_at`` differs.  Types are the views' (dates stay dates, text UTF-8), except
INTERVAL, written as seconds (DOUBLE); times are UTC (TIMESTAMPTZ, arrow ``tz=UTC`` whatever the
session's time zone).  The export is written to a sibling temporary folder and
swapped into place at the end, so ``OUT_DIR`` never holds half an export.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.errors import PipelineError
from pipeline.query.dictionary import SCHEMA_VERSION, Column, View, column_text, describe, require_current_views

FORMATS = ("parquet", "csv")
MANIFEST = "manifest.json"
#: views mixing CQPM and RNCP rows, written hive-partitioned by kind (never NULL in these views)
PARTITION_BY: dict[str, tuple[str, ...]] = {
    "v_documents": ("kind",), "v_capacities": ("kind",), "v_versions": ("kind",), "v_latest": ("kind",),
    "v_quality_findings": ("kind",), "v_quality_finding_versions": ("kind",),
}
#: rows are ordered by these columns (those a view has), then by every other column in view order
LEADING_ORDER = ("kind", "key", "version", "document_id", "capacity_ord", "block_ord", "ord")
#: fixed Parquet writer settings (part of the determinism promise)
PARQUET_OPTIONS: dict[str, Any] = {
    "compression": "zstd", "compression_level": 3, "use_dictionary": True, "write_statistics": True,
    "row_group_size": 128 * 1024, "version": "2.6", "data_page_version": "1.0", "store_schema": True,
}


class ExportError(PipelineError):
    """The export cannot be written where asked."""


@dataclass(frozen=True)
class DataFile:
    path: str  # relative to OUT_DIR, with forward slashes
    rows: int
    sha256: str


@dataclass(frozen=True)
class Dataset:
    name: str
    view: str
    description: str
    rows: int
    partition_by: tuple[str, ...]
    order_by: tuple[str, ...]
    columns: tuple[dict[str, str], ...]
    files: tuple[DataFile, ...]


def dataset_name(view: str) -> str:
    return view.removeprefix("v_")


def order_by(view: View) -> tuple[str, ...]:
    names = [c.name for c in view.columns]
    lead = [c for c in LEADING_ORDER if c in names]
    return (*lead, *(n for n in names if n not in lead))


@contextmanager
def utc_session(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Run the block with the session time zone set to UTC (times then read and written as UTC)."""
    row = con.execute("SELECT current_setting('TimeZone')").fetchone()
    con.execute("SET TimeZone = 'UTC'")
    try:
        yield
    finally:
        if row and row[0]:
            zone = str(row[0]).replace("'", "''")
            con.execute(f"SET TimeZone = '{zone}'")


def export(con: duckdb.DuckDBPyConnection, out_dir: Path | str, fmt: str = "parquet", *,
           warehouse: str | None = None, now: datetime | None = None, excel: bool = False) -> dict[str, Any]:
    """Write every v_* view of ``con`` to ``out_dir`` in ``fmt``; returns the manifest (also written).
    ``excel`` (CSV only): the dialect French Excel reads (BOM, ``;``, decimal comma)."""
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format {fmt!r} (one of {', '.join(FORMATS)})")
    if excel and fmt != "csv":
        raise ExportError("the Excel dialect is for CSV (for a workbook: refpipe export xlsx OUT.xlsx)")
    with utc_session(con):
        return _export(con, Path(out_dir), fmt, warehouse, now, excel)


def _export(con: duckdb.DuckDBPyConnection, out_dir: Path, fmt: str, warehouse: str | None, now: datetime | None,
            excel: bool) -> dict[str, Any]:
    out = Path(out_dir)
    _check_target(out)
    require_current_views(con)
    tmp = out.parent / f".{out.name}.partial-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        con.execute("BEGIN TRANSACTION")  # one snapshot for every view
        try:
            datasets = [_write_view(con, view, tmp, fmt, excel) for view in describe(con)]
            sources = con.execute("SELECT source_sha256, path, status FROM v_sources "
                                  "ORDER BY source_sha256").fetchall()
        finally:
            con.execute("ROLLBACK")
        written = _manifest(fmt + ("-excel" if excel else ""), datasets, sources, warehouse, now)
        text = json.dumps(written, ensure_ascii=False, indent=2) + "\n"
        (tmp / MANIFEST).write_text(text, encoding="utf-8")
        _publish(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    manifest: dict[str, Any] = json.loads(text)  # exactly what the file says
    return manifest


def _check_target(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise ExportError(f"{out} exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / MANIFEST).is_file():
        raise ExportError(f"{out} is not empty and holds no refpipe export ({MANIFEST}): "
                          "export into a new or empty folder, or into a previous export to replace it")
    if out.is_dir() and (out / MANIFEST).is_file() and (foreign := _foreign_files(out)):
        shown = ", ".join(foreign[:5]) + (f" … ({len(foreign)} in all)" if len(foreign) > 5 else "")
        raise ExportError(f"{out} holds a previous export and files it did not write ({shown}): replacing the "
                          "export would delete them; move them out, or export into another folder")


def _foreign_files(out: Path) -> list[str]:
    """Files under a previous export ``out`` that its manifest does not list (a user's notes, a workbook
    saved beside the datasets): replacing the export as a whole would delete them."""
    try:
        manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
        written = {MANIFEST, *(f["path"] for d in manifest.get("datasets", []) for f in d.get("files", []))}
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return []  # not a manifest this refpipe reads: the folder is taken as the previous export it says it is
    return sorted(p.relative_to(out).as_posix() for p in out.rglob("*")
                  if not p.is_dir() and p.relative_to(out).as_posix() not in written and p.name not in _LITTER)


#: what file browsers leave in any folder they show: replaced with the export, no one's work
_LITTER = frozenset({".DS_Store", "Thumbs.db", "desktop.ini"})


def _publish(tmp: Path, out: Path) -> None:
    """Put the finished export in place; a previous export there is replaced as a whole."""
    if not out.exists():
        tmp.rename(out)
        return
    old = out.parent / f".{out.name}.old-{os.getpid()}"
    out.rename(old)
    tmp.rename(out)
    shutil.rmtree(old, ignore_errors=True)


def _write_view(con: duckdb.DuckDBPyConnection, view: View, root: Path, fmt: str, excel: bool = False) -> Dataset:
    name = dataset_name(view.name)
    parts = PARTITION_BY.get(view.name, ()) if fmt == "parquet" else ()
    order = order_by(view)
    select = f"SELECT {select_list(view, 'excel' if excel else fmt)} FROM {view.name}"
    sort = " ORDER BY " + ", ".join(f'"{c}"' for c in order)
    if fmt == "csv":
        files = [_write_csv(con, select + sort, root, f"{name}.csv", excel)]
    else:
        schema = _arrow_schema(con, view, select)
        files = []
        groups = [()] if not parts else con.execute(
            f"SELECT DISTINCT {', '.join(parts)} FROM {view.name} ORDER BY ALL").fetchall()
        for values in groups:
            if any(v is None for v in values):
                raise ExportError(f"{view.name}: NULL in partition column(s) {parts}")
            where = " WHERE " + " AND ".join(f'"{p}" = ?' for p in parts) if parts else ""
            table = con.sql(select + where + sort, params=list(values)).to_arrow_table()
            folder = "/".join([name, *(f"{p}={v}" for p, v in zip(parts, values, strict=True))])
            files.append(_write_parquet(table, schema, parts, root, f"{folder}/part-0.parquet"))
        if not files:  # a partitioned view without rows: one empty file with the full schema
            files.append(_write_parquet(con.sql(select + " LIMIT 0").to_arrow_table(), schema, (), root,
                                        f"{name}/part-0.parquet"))
    rows = sum(f.rows for f in files)
    expected = con.execute(f"SELECT count(*) FROM {view.name}").fetchall()[0][0]
    if rows != expected:  # pragma: no cover - a partition lost rows: never publish that
        raise ExportError(f"{view.name}: wrote {rows} rows, the view has {expected}")
    columns = tuple({"name": c.name, "type": c.type} | ({"exported_as": "seconds (DOUBLE)"} if _interval(c) else {})
                    for c in view.columns)
    return Dataset(name, view.name, view.comment or "", rows, parts, order, columns, tuple(files))


def _interval(column: Column) -> bool:
    return column.type == "INTERVAL"


#: column types written as decimal numbers (a decimal comma in the Excel dialect)
_DECIMALS = ("DOUBLE", "FLOAT", "REAL", "DECIMAL")


def select_list(view: View, fmt: str) -> str:
    """The view's columns as exported: INTERVAL as seconds (no Parquet writer takes DuckDB's intervals);
    in CSV (and every text format: ``excel``, ``sqlite``, ``xlsx``), lists as JSON arrays; in the Excel
    dialect, decimal commas and times as ``YYYY-MM-DD HH:MM:SS`` UTC (Excel reads no time zone)."""
    def expression(c: Column) -> str:
        q = f'"{c.name}"'
        if _interval(c):
            q = f"epoch({q})"
        elif fmt != "parquet" and c.type.endswith("[]"):
            q = f"to_json({q})"
        elif fmt == "excel" and c.type == "TIMESTAMP WITH TIME ZONE":
            q = f"strftime({q} AT TIME ZONE 'UTC', '%Y-%m-%d %H:%M:%S')"
        if fmt == "excel" and (_interval(c) or c.type.startswith(_DECIMALS)):
            q = f"replace(CAST({q} AS VARCHAR), '.', ',')"
        return q if q == f'"{c.name}"' else f'{q} AS "{c.name}"'
    return ", ".join(expression(c) for c in view.columns)


def _arrow_schema(con: duckdb.DuckDBPyConnection, view: View, select: str) -> pa.Schema:
    """The view's arrow schema, every field nullable (the data never changes the schema), documented."""
    empty = con.sql(select + " LIMIT 0").to_arrow_table().schema
    comments = {c.name: column_text(c) + (" (exported as seconds)" if _interval(c) else "") for c in view.columns}
    fields = [pa.field(f.name, f.type, nullable=True,
                       metadata={"comment": comments[f.name]} if comments.get(f.name) else None)
              for f in empty]
    return pa.schema(fields, metadata={"refpipe.view": view.name, "refpipe.schema_version": SCHEMA_VERSION,
                                       "refpipe.description": view.comment or ""})


def _write_parquet(table: pa.Table, schema: pa.Schema, drop: tuple[str, ...], root: Path, rel: str) -> DataFile:
    if drop:  # hive partition columns live in the folder names, not in the files
        table = table.drop_columns(list(drop))
        schema = pa.schema([f for f in schema if f.name not in drop], metadata=schema.metadata)
    # one chunk per column: the file layout must not depend on how DuckDB batched the rows
    table = pa.Table.from_arrays(table.columns, schema=schema).combine_chunks()
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, **PARQUET_OPTIONS)
    return DataFile(rel, table.num_rows, _sha256(path))


def _write_csv(con: duckdb.DuckDBPyConnection, sql: str, root: Path, rel: str, excel: bool = False) -> DataFile:
    """CSV through DuckDB: UTF-8, header, ISO dates; ``excel``: a BOM first and ``;`` between fields."""
    path = root / rel
    literal = str(path).replace("'", "''")
    dialect = ", DELIMITER ';'" if excel else ""
    rows = con.execute(f"COPY ({sql}) TO '{literal}' (FORMAT csv, HEADER true{dialect})").fetchall()[0][0]
    if excel:  # the BOM is how Excel knows the file is UTF-8 (else it reads it as Windows-1252)
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    return DataFile(rel, int(rows), _sha256(path))


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _manifest(fmt: str, datasets: list[Dataset], sources: list[tuple[Any, ...]], warehouse: str | None,
              now: datetime | None) -> dict[str, Any]:
    when = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    return {
        "refpipe_version": refpipe_version(),
        "schema_version": SCHEMA_VERSION,
        "format": fmt,
        "created_at": when.isoformat().replace("+00:00", "Z"),
        "warehouse": warehouse,
        "sources": [{"sha256": sha, "path": path, "status": status} for sha, path, status in sources],
        "datasets": [asdict(d) for d in datasets],
    }


def refpipe_version() -> str:
    try:
        return metadata.version("refpipe")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree without install
        return "unknown"
