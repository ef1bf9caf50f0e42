"""``refpipe diff OLD NEW`` (a version diff report) and ``refpipe versions [KEY]`` (the versions held)."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from pipeline.errors import PipelineError, is_interrupt
from refpipe.app import (
    DEFAULT_WAREHOUSE,
    PdfBackendOpt,
    WarehouseOpt,
    app,
    err,
    exit_for,
    fail,
    interrupted,
    out,
    read_warehouse,
    use_pdf_backend,
    write_json,
    write_text,
)

if TYPE_CHECKING:
    import duckdb

    from pipeline.load.versions import VersionRow


class Format(StrEnum):
    JSON = "json"
    MD = "md"
    HTML = "html"
    PDF = "pdf"
    DOCX = "docx"


class View(StrEnum):
    CHANGES = "changes"
    SIDE_BY_SIDE = "side-by-side"
    REDLINE = "redline"


BINARY = (Format.PDF, Format.DOCX)


@app.command(epilog="Examples: `refpipe diff CQPM-0195@1 CQPM-0195@2 --format html --output diff.html`, "
                    "`refpipe diff CQPM-0195@1 CQPM-0195@2 --format pdf --view side-by-side -o diff.pdf`, "
                    "`refpipe diff CQPM-0195@1 CQPM-0195@2 --format docx -o diff.docx`, "
                    "`refpipe diff old.pdf new.pdf --format json`")
def diff(
    old: Annotated[str, typer.Argument(help="Old version: KEY@VERSION, a key (latest), a document id, or a file.")],
    new: Annotated[str, typer.Argument(help="New version, same forms as OLD.")],
    fmt: Annotated[Format, typer.Option(
        "--format", "-f", help="Report format (pdf and docx: to --output FILE or a redirected stdout).")] = Format.MD,
    view: Annotated[View, typer.Option(
        "--view", help="html/pdf: the changes one by one, old | new side by side, or the new version's whole "
                       "text with the changes marked (redline).")] = View.CHANGES,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the report to this file.")] = None,
    warehouse: WarehouseOpt = DEFAULT_WAREHOUSE,
    pdf_backend: PdfBackendOpt = None,
) -> None:
    """Compare two versions of a référentiel or fiche and print the changes.

    Capacities, criteria, conditions, blocks and metadata are matched by content, so a renumbered
    capacity is reported as moved. Files not yet in the warehouse are ingested first (OLD before
    NEW, so they become consecutive versions). The diff is stored (`diff_runs`, `diff_items`); a new
    version's diff is also stored when it is ingested. `--format html` is a self-contained, printable
    report in French, `--format pdf` the same report printed by headless Chromium, `--format docx` the
    new version's whole text with the changes as Word tracked changes (Review pane).
    """
    use_pdf_backend(pdf_backend)
    from pipeline.diff.render_html import View as HtmlView
    from pipeline.diff.render_html import render_html
    from pipeline.diff.render_json import render_json
    from pipeline.diff.render_md import render_md
    from pipeline.runtime.compare import compare_warehouse

    if fmt in BINARY and output is None and sys.stdout.isatty():
        raise fail(f"--format {fmt.value} writes a binary file: give --output FILE (or redirect stdout)")
    if fmt is Format.PDF:
        from pipeline.diff.render_pdf import NO_CHROMIUM, find_chromium, html_to_pdf

        if find_chromium() is None:  # said before anything is ingested
            raise fail(NO_CHROMIUM)

    try:
        report = compare_warehouse(warehouse, old, new)
    except PipelineError as exc:
        raise exit_for(exc) from exc
    except (KeyboardInterrupt, Exception) as exc:  # Ctrl-C while files given are ingested
        if is_interrupt(exc):
            raise interrupted(warehouse) from exc
        raise
    if report.old.key != report.new.key:
        err.print(f"[yellow]note:[/] {report.old.label} and {report.new.label} are not versions of one document "
                  "(their keys differ): the report compares two different documents")
    data: bytes
    if fmt is Format.PDF:
        try:
            data = html_to_pdf(render_html(report, HtmlView(view.value)))
        except PipelineError as exc:
            raise fail(str(exc)) from exc
    elif fmt is Format.DOCX:
        from pipeline.diff.render_docx import render_docx

        data = render_docx(report)
    elif fmt is Format.HTML:
        data = render_html(report, HtmlView(view.value)).encode("utf-8")
    else:
        data = (render_json(report) if fmt is Format.JSON else render_md(report)).encode("utf-8")
    if output is None:
        if fmt in BINARY:
            sys.stdout.flush()
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
        else:
            (write_json if fmt is Format.JSON else write_text)(data.decode("utf-8"))
        return
    try:
        output.write_bytes(data)
    except OSError as exc:
        raise fail(f"cannot write {output}: {exc}") from exc
    out.print(f"{len(report.changes)} change(s) between {report.old.label} and {report.new.label}: {output}")


@app.command(epilog="Examples: `refpipe versions`, `refpipe versions CQPM-0195 --json`")
def versions(
    key: Annotated[str | None, typer.Argument(help="A key (CQPM-0195, RNCP28242, CQPM-T…); all keys if omitted.")]
    = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array.")] = False,
    warehouse: WarehouseOpt = DEFAULT_WAREHOUSE,
) -> None:
    """List the versions held in the warehouse: key, version, valid-from date, document, previous one."""
    from pipeline.load.versions import list_versions
    from pipeline.query.resolve import held_key

    def read(con: duckdb.DuckDBPyConnection) -> list[VersionRow]:
        if not key:
            return list_versions(con)
        held = held_key(con, key)  # "CQPM 0195" or "0195" for the key CQPM-0195
        return list_versions(con, held) if held else []

    rows = read_warehouse(warehouse, read)
    if key and not rows:
        raise fail(f"no versions of {key!r} in {warehouse} (refpipe versions lists the keys)")
    if as_json:
        write_json(json.dumps([asdict(r) for r in rows], ensure_ascii=False, indent=2, default=str) + "\n")
        return
    table = Table("key", "version", "valid_from", "document", "previous", "title", "source",
                  title=f"Versions in {warehouse}", title_justify="left")
    for r in rows:
        flag = " [yellow]![/]" if r.dated_before_earlier_version else ""
        table.add_row(r.key, f"{r.version}{' (latest)' if r.is_latest else ''}",
                      (f"{r.valid_from} ({r.valid_from_source}){flag}" if r.valid_from else
                       f"undated (ingestion order){flag}"),
                      r.document_id, r.previous_id or "", r.title or "", r.source_path)
    out.print(table)
    if any(r.dated_before_earlier_version for r in rows):
        out.print("[yellow]![/] prints an older date than an earlier version: a file ingested out of order "
                  "(versions follow ingestion, so it counts as the later one)")
