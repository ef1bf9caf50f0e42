"""``refpipe export`` (the views as Parquet or CSV datasets, an Excel workbook, a SQLite database) and
``refpipe dictionary`` (docs/warehouse.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from refpipe.app import DEFAULT_WAREHOUSE, WarehouseOpt, app, fail, out, read_warehouse, write_text

FORMATS = ("parquet", "csv", "xlsx", "sqlite")
FILE_FORMATS = ("xlsx", "sqlite")  # one file, not a folder


@app.command(epilog="Examples: `refpipe export parquet exports/today`, `refpipe export csv exports/today --excel`, "
                    "`refpipe export xlsx exports/refpipe.xlsx`, `refpipe export sqlite exports/refpipe.sqlite`")
def export(
    target: Annotated[list[str], typer.Argument(
        metavar="[FORMAT] OUT", show_default=False,
        help="The format (parquet, the default, csv, xlsx or sqlite), which may be left out, then where to write: "
             "for parquet and csv a folder (new, empty, or a previous export: replaced, unless it holds other "
             "files, which are never deleted), for xlsx and sqlite "
             "a file (replaced).")],
    fmt: Annotated[str | None, typer.Option("--format", "-f", help="parquet, csv, xlsx or sqlite "
                                                                   "(same as FORMAT).")] = None,
    excel: Annotated[bool, typer.Option("--excel", help="CSV for French Excel: UTF-8 with a BOM, `;` between "
                                                        "fields, decimal commas, times as UTC without zone.")]
    = False,
    warehouse: WarehouseOpt = DEFAULT_WAREHOUSE,
) -> None:
    """Export every analysts' view (v_*) as one dataset, plus manifest.json.

    Parquet: one folder per view (`capacities/`, `criteria/`, …), hive-partitioned by `kind` where a view
    mixes CQPM and RNCP rows; read it with pandas, pyarrow, polars or Spark. CSV: one UTF-8 file per view
    (`--excel`: the dialect a French Excel opens by double-click).
    Exporting an unchanged warehouse again gives byte-identical data files. manifest.json gives the schema
    and refpipe versions, the time, row counts, file hashes and the sha256 of every source.
    The folder is replaced as a whole at the end, so it never holds half an export.

    xlsx: one workbook, a sheet per view and a `dictionary` sheet. sqlite: one SQLite database, a table per
    view (same names: `v_capacities`) and `refpipe_columns` (the dictionary), for Datasette or sqlite-utils.
    """
    if len(target) > 2:
        raise fail("too many arguments: refpipe export [FORMAT] OUT_DIR", 2)
    chosen, out_dir = (target[0], Path(target[1])) if len(target) == 2 else (None, Path(target[0]))
    if chosen is not None and chosen not in FORMATS:
        raise fail(f"unknown format {chosen!r}: use {', '.join(FORMATS)} (refpipe export [FORMAT] OUT)", 2)
    if fmt is not None and fmt not in FORMATS:
        raise fail(f"--format {fmt!r}: use {', '.join(FORMATS)}", 2)
    if chosen and fmt and chosen != fmt:
        raise fail(f"two formats given ({chosen} and --format {fmt})", 2)
    fmt_ = chosen or fmt or "parquet"
    if excel and fmt_ != "csv":
        raise fail("--excel is for csv (refpipe export csv OUT_DIR --excel); xlsx writes a workbook", 2)
    try:
        if fmt_ in FILE_FORMATS:
            _export_file(fmt_, out_dir, warehouse)
            return
        _export_folder(fmt_, out_dir, excel, warehouse)
    except OSError as exc:  # a file where a folder of the path should be, a full disk, no permission
        blocker = next((p for p in out_dir.parents if p.exists() and not p.is_dir()), None)
        why = (f"{blocker} is a file, not a folder" if blocker is not None
               else f"{exc.strerror or exc}" + (f" ({exc.filename})" if exc.filename else ""))
        raise fail(f"cannot write {out_dir}: {why}") from exc


def _export_folder(fmt_: str, out_dir: Path, excel: bool, warehouse: Path) -> None:
    from pipeline.query import export as export_mod

    manifest = read_warehouse(warehouse, lambda con: export_mod.export(con, out_dir, fmt_, warehouse=str(warehouse),
                                                                       excel=excel))
    datasets = manifest["datasets"]
    for d in datasets:
        parts = f"  [dim](partitioned by {', '.join(d['partition_by'])})[/]" if d["partition_by"] else ""
        out.print(f"{d['name']:<24} {d['rows']:>7} row(s){parts}")
    out.print(f"[bold]{len(datasets)} dataset(s)[/] ({manifest['format']}, schema version "
              f"{manifest['schema_version']}) written to {out_dir}")


def _export_file(fmt: str, target: Path, warehouse: Path) -> None:
    from pipeline.query import export_files

    write = export_files.export_xlsx if fmt == "xlsx" else export_files.export_sqlite
    counts = read_warehouse(warehouse, lambda con: write(con, target))
    for view, rows in counts.items():
        out.print(f"{view:<26} {rows:>7} row(s)")
    out.print(f"[bold]{len(counts)} {'sheet' if fmt == 'xlsx' else 'table'}(s)[/] ({fmt}) written to {target}")


@app.command(epilog="Examples: `refpipe dictionary --output docs/warehouse.md`, `refpipe dictionary --check`")
def dictionary(
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the markdown here "
                                                "(default: print it).")] = None,
    check: Annotated[bool, typer.Option("--check", help="Exit 1 when OUTPUT (default docs/warehouse.md) is not "
                                        "up to date; write nothing.")] = False,
    warehouse: Annotated[Path | None, typer.Option("--warehouse", "-w", help="Describe this warehouse's views "
                                                   "(default: the schema of this refpipe, no file needed).")
                         ] = None,
) -> None:
    """Generate the data dictionary of the analysts' views from the live schema (markdown).

    Lists every v_* view with its comment, and its columns with type and description, as read from
    DuckDB's catalog (duckdb_views(), duckdb_columns()).
    """
    from pipeline.query import dictionary as dict_mod

    if warehouse is None:
        text = dict_mod.schema_only_markdown()
    else:
        text = read_warehouse(warehouse, lambda con: dict_mod.markdown(
            dict_mod.describe(con), dict_mod.warehouse_schema_version(con) or "?"))
    if check:
        target = output or Path("docs/warehouse.md")
        current = target.read_text(encoding="utf-8") if target.is_file() else None
        if current != text:
            raise fail(f"{target} is not up to date: run `refpipe dictionary --output {target}`")
        out.print(f"{target} is up to date")
        return
    if output is None:
        write_text(text)
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    out.print(f"wrote {output}")
