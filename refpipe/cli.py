"""refpipe command line: parse arguments, call the pipeline, print; errors become clean messages.

Core commands live here; feature commands live in ``refpipe/cmd_*.py`` and register themselves on
the shared ``app`` when imported at the bottom of this module.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from pipeline.errors import PipelineError, is_interrupt
from pipeline.records import FileOutcome, Outcome
from refpipe.app import (
    DEFAULT_RAW,
    DEFAULT_WAREHOUSE,
    PdfBackendOpt,
    WarehouseOpt,
    app,
    as_of_date,
    err,
    exit_for,
    exit_now,
    fail,
    interrupted,
    out,
    print_json,
    quiet_prefect,
    read_warehouse,
    run_logs_to_api_only,
    use_pdf_backend,
    write_json,
)


@app.command(epilog="Example: `refpipe ingest raw/ --warehouse warehouse/referentiels.duckdb --time-limit 60`")
def ingest(
    paths: Annotated[list[Path] | None, typer.Argument(help="Files or folders to ingest (default: raw/).")] = None,
    warehouse: WarehouseOpt = DEFAULT_WAREHOUSE,
    max_bytes: Annotated[str | None, typer.Option(
        "--max-bytes", help="Reject files larger than this (50M, 2G; 0: no limit); an RNCP open-data export, "
                            "streamed, may be 40 times this. Default: $REFPIPE_MAX_BYTES or 50M.")] = None,
    max_pages: Annotated[int | None, typer.Option(
        "--max-pages", min=0, help="Reject PDFs with more pages (0: no limit). Default: $REFPIPE_MAX_PAGES or 500.")]
    = None,
    time_limit: Annotated[float | None, typer.Option(
        "--time-limit", min=0, help="Seconds allowed to read one document; stopped and rejected after that "
                                    "(0: no limit). Default: $REFPIPE_TIME_LIMIT or 120.")] = None,
    max_memory: Annotated[str | None, typer.Option(
        "--max-memory", help="Memory one document may take to read (1G, 500M; 0: no limit); rejected beyond. "
                             "Default: $REFPIPE_MAX_MEMORY or 1G.")] = None,
    include: Annotated[list[str] | None, typer.Option(
        "--include", metavar="GLOB", help="Only files matching this glob (name or path under the folder, members "
                                          "of a zip too); repeatable.")] = None,
    exclude: Annotated[list[str] | None, typer.Option(
        "--exclude", metavar="GLOB", help="Leave out files matching this glob; repeatable.")] = None,
    follow_links: Annotated[bool, typer.Option(
        "--follow-links", help="Follow symbolic links that lead out of the folders ingested (refused by "
                               "default).")] = False,
    retry_quarantined: Annotated[bool, typer.Option(
        "--retry-quarantined", help="Parse again the files whose bytes were rejected before (e.g. after raising "
                                    "a limit).")] = False,
    workers: Annotated[int | None, typer.Option(
        "--workers", "-j", min=1, help="Documents read in parallel (extraction processes). Default: the CPU count. "
                                       "With --dask: the cluster's worker threads to keep busy.")] = None,
    dask: Annotated[str | None, typer.Option(
        "--dask", metavar="ADDRESS", help="Run the extractions on the Dask cluster whose scheduler is at ADDRESS "
                                          "(tcp://host:8786); loads stay here, one writer.")] = None,
    pdf_backend: PdfBackendOpt = None,
    skip_rs: Annotated[bool, typer.Option(
        "--skip-rs", help="Leave out the RS fiches (Répertoire spécifique) of an open-data export.")] = False,
) -> None:
    """Ingest documents into the warehouse and print a summary.

    A zip is opened and each member ingested as its own source (hostile zips are refused); desktop litter
    (desktop.ini, Thumbs.db, ~$ files) is skipped. A FIFO, a device, a dangling or looping link, a link out
    of the folder, a file name that is not UTF-8 are each rejected with their reason; the batch goes on.

    Files already ingested (same bytes) are skipped without being parsed; files rejected before
    (same bytes) stay in quarantine (`refpipe status`). A file over a limit is rejected with that
    reason. Exit code 1 when a file was newly rejected or failed; the other files are still loaded.
    Exit code 75 when another process is writing the warehouse: try again.

    Documents are read in parallel (`--workers`, or on a Dask cluster with `--dask`) and loaded one at a
    time in the order of their paths, so the result does not depend on the number of workers.

    Runs in this process; with PREFECT_API_URL set (or --dask) it runs as the Prefect flow
    `refpipe-ingest` on that server instead (same stages, same result).

    France Compétences' open-data export (export-fiches-rncp-v4-1-YYYY-MM-DD.zip or its .xml, V4.1/V3/V2;
    the CSV zip too) is one source holding every fiche: streamed from the zip, each fiche a document;
    fiches whose content is unchanged add nothing, changed ones are new versions, missing ones are
    marked withdrawn. An export that does not parse to its end is rejected whole.
    Example: `refpipe ingest export-fiches-rncp-v4-1-2026-11-30.zip`.
    """
    use_pdf_backend(pdf_backend)
    roots = [str(p) for p in (paths or [DEFAULT_RAW])]
    missing = [r for r in roots if not Path(r).exists()]
    if missing:  # before Prefect is even imported
        raise fail(f"no such file or folder: {', '.join(missing)}", 2)
    import os

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from pipeline.limits import Limits, parse_size
    from pipeline.load import warehouse as wh

    orchestrated = bool(dask or os.environ.get("PREFECT_API_URL"))  # else: no server to pay for

    try:
        size = parse_size(max_bytes, "--max-bytes") if max_bytes is not None else None
        memory = parse_size(max_memory, "--max-memory") if max_memory is not None else None
        limits = Limits.from_env().override(max_bytes=size, max_pages=max_pages, seconds=time_limit,
                                            max_memory=memory)
    except ValueError as exc:
        raise fail(str(exc), 2) from exc
    if orchestrated:
        quiet_prefect()
        import flows.ingest  # noqa: F401 - Prefect sets its logging up on import: before we adjust it

        run_logs_to_api_only()
    discovery: dict[str, Any] = {"follow_links": follow_links, "include": tuple(include or ()),
                                 "exclude": tuple(exclude or ())}
    progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), console=err, transient=True, disable=not err.is_terminal)
    bar = progress.add_task("ingesting", total=None)

    def on_file(outcome: FileOutcome) -> None:
        progress.update(bar, advance=1, description=f"ingesting {Path(outcome.path).name}")

    try:
        with progress:
            on_discovered = lambda n: progress.update(bar, total=n)  # noqa: E731
            if orchestrated:
                from flows.ingest import run_ingest

                outcomes = run_ingest(roots, str(warehouse), workers=workers, dask=dask, on_file=on_file,
                                      on_discovered=on_discovered, limits=limits,
                                      retry_quarantined=retry_quarantined, trigger="cli",
                                      include_rs=not skip_rs, **discovery)
            else:
                from pipeline.runtime import IngestOptions, ingest_paths

                outcomes = ingest_paths(roots, warehouse, IngestOptions(
                    limits=limits, retry_quarantined=retry_quarantined, trigger="cli", workers=workers,
                    include_rs=not skip_rs, **discovery),
                    on_file=on_file, on_discovered=on_discovered)
    except PipelineError as exc:
        raise exit_for(exc) from exc
    except (KeyboardInterrupt, Exception) as exc:
        if is_interrupt(exc):
            raise interrupted(warehouse) from exc
        raise
    _print_summary(outcomes, read_warehouse(warehouse, wh.summary), warehouse)
    if any(o.status in (Outcome.REJECTED, Outcome.FAILED) for o in outcomes):  # new rejections only, not the quarantine
        raise typer.Exit(1)


def _print_summary(outcomes: list[FileOutcome], summary: Any, warehouse: Path) -> None:
    counts: dict[Outcome, int] = {}
    for o in outcomes:
        counts[o.status] = counts.get(o.status, 0) + 1
    run = ", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "nothing to do"
    out.print(f"[bold]This run:[/] {len(outcomes)} file(s): {run}")
    copies = sum(o.new_source for o in outcomes)
    if copies:  # "unchanged" alone would say these bytes were known: they were read, their content was
        out.print(f"[dim]  {copies} of the unchanged file(s) are new files holding a document the warehouse "
                  "already has (a copy or another rendering): recorded as its sources, nothing else written[/]")
    from rich.table import Table

    table = Table(title=f"Warehouse {warehouse}", title_justify="left")
    for column in ("kind", "status", "documents"):
        table.add_column(column, justify="right" if column == "documents" else "left")
    for (kind, status), n in sorted(summary.by_kind_status.items()):
        table.add_row(kind, status, str(n))
    out.print(table)
    out.print(f"CQPM capacities: {summary.cqpm_capacities}   criteria: {summary.cqpm_criteria}   "
              f"RNCP capacities: {summary.rncp_capacities}   blocks: {summary.rncp_blocks}   "
              f"rejected sources: {len(summary.rejected)}")
    for o in outcomes:
        if o.kind == "export" and o.status is not Outcome.REJECTED:
            out.print(f"[bold]Export:[/] {o.reason}")
    failures = [o for o in outcomes if o.status in (Outcome.REJECTED, Outcome.FAILED, Outcome.PARTIAL)]
    if failures:
        out.print("[bold]Needs attention:[/]")
        for o in failures:
            why = o.reason or o.path
            why = why if why.startswith(o.path) else f"{o.path}: {why}"  # rejections name it, partial loads not
            out.print(f"  [{'yellow' if o.status is Outcome.PARTIAL else 'red'}]{o.status}[/] {why}")
    if counts.get(Outcome.QUARANTINED):
        out.print(f"[dim]{counts[Outcome.QUARANTINED]} file(s) rejected by an earlier run were skipped (quarantine: "
                  "`refpipe status`; `--retry-quarantined` parses them again)[/]")


@app.command(epilog="Examples: `refpipe show raw/001_1b606db1c3205ecb.txt --json`, `refpipe show 018d9b31aac07ebf`, "
                     "`refpipe show RNCP24895 --current` (the fiche that replaced it), "
                     "`refpipe show CQPM-0195 --as-of 2015-01-01` (the version in force that day)")
def show(
    doc: Annotated[str, typer.Argument(help="Document id (or unique prefix), stored source path, RNCP code, "
                                            "version key (CQPM-0195, CQPM-0195@2), or a file.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the canonical contract JSON.")] = False,
    current: Annotated[bool, typer.Option("--current", help="For an RNCP fiche: show the fiche in force "
                                          "today, following 'remplacée par' / 'anciennes versions' to the end "
                                          "of the chain.")] = False,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="The version of the same référentiel or fiche in force on this date, YYYY-MM-DD (the "
                        "version whose stated date is the latest on or before it; `refpipe versions KEY`).")] = None,
    warehouse: WarehouseOpt = DEFAULT_WAREHOUSE,
) -> None:
    """Show one document, rebuilt from the warehouse tables (never re-parsed)."""
    from pipeline.query import show as show_mod

    day = as_of_date(as_of)
    data = read_warehouse(warehouse, lambda con: show_mod.show_json(con, doc, current=current, as_of=day))
    if as_json:
        print_json(data)
        return
    if data.get("as_of"):
        a = data["as_of"]
        out.print(f"[dim]{a['key']} version {a['version']}, in force {a['valid_from']} → "
                  f"{'today' if a['valid_to'] == '9999-12-31' else a['valid_to']} (as of {a['date']})[/]")
    if data.get("current_of"):
        out.print(f"[dim]current fiche for {data['current_of']['reference']}: "
                  f"{' -> '.join(data['current_of']['chain'])}[/]")
    if data.get("withdrawn"):
        w = data["withdrawn"]
        export = f" ({w['export']})" if w.get("export") else ""  # not "(None)" when its file is not known
        out.print(f"[yellow]withdrawn: {data['rncp']['code']} is missing from the export of {w['export_date'] or '?'}"
                  f"{export}; its versions stay[/]")
    _print_document(data)


def _print_document(data: dict[str, Any]) -> None:
    src = data["source"]
    out.print(f"[bold]{data['kind'].upper()}[/] {data['id']}  ({data['status']})  {src['path']}")
    if data.get("reasons"):
        out.print("  " + "; ".join(data["reasons"]))
    if data.get("cqpm"):
        c = data["cqpm"]
        facts = [f"{label} {c[key]}" for label, key in (("CQPM", "number"), ("category", "category"),
                                                          ("level", "level"),
                                                          ("last modified", "last_modified")) if c.get(key)]
        out.print(f"[bold]{c['title']}[/]" + (f"  ({', '.join(facts)})" if facts else "  (prints no CQPM number)"))
        blocs = {b["number"]: b for b in c.get("blocks") or []}
        shown_bloc = None
        for cap in c["capacities"]:
            if cap.get("block") in blocs and cap["block"] != shown_bloc:  # the newer layout: compétences by bloc
                shown_bloc = cap["block"]
                bloc = blocs[shown_bloc]
                out.print(f"  [bold]bloc {bloc['number']}[/]{' ' + bloc['code'] if bloc.get('code') else ''}: "
                          f"{bloc['title']}")
            extra = [_count(cap[key], one, many) for key, one, many in (
                ("knowledge", "connaissance", None), ("expected_results", "résultat attendu", "résultats attendus"))
                if cap.get(key)]
            out.print(f"  {cap['number']}. {cap['title']}  [dim]({_count(cap['conditions'], 'condition')}, "
                      f"{_count(cap['criteria'], 'criterion', 'criteria')}{''.join(', ' + e for e in extra)})[/]")
    if data.get("rncp"):
        r = data["rncp"]
        out.print(f"[bold]{r['code']}[/] {r['title']}")
        facts = [x for x in (
            {True: "active", False: "inactive"}.get(r.get("active")), r.get("state"),
            f"niveau {r['level']}" if r.get("level") else None,
            f"échéance {r['registration']['end']}" if r["registration"].get("end") else None,
            f"replaced by {', '.join(r['replaced_by'])}" if r.get("replaced_by") else None) if x]
        if facts:  # version 2 (today's fiche)
            out.print("  " + " · ".join(facts))
        for cap in r["capacities"]:
            out.print(f"  {cap['code'] or '-'} {cap['text']}")
        for block in r["blocks"]:
            listed = (f"{_count(block['competences'], 'compétence')}" if block.get("competences")
                      else ", ".join(block["capacities"]))
            out.print(f"  bloc {block.get('code') or block['number']}: {block['title']} -> {listed}")


def _count(items: list[Any], one: str, many: str | None = None) -> str:
    return f"{len(items)} {one if len(items) == 1 else many or one + 's'}"


@app.command(epilog='Examples: `refpipe sql "SELECT kind, count(*) FROM documents GROUP BY kind" --csv`, '
                    '`refpipe sql - < query.sql`, `refpipe sql --file query.sql --json`')
def sql(
    query: Annotated[str | None, typer.Argument(
        help="A SQL query (DuckDB dialect), run read-only; `-` reads it from standard input.",
        show_default=False)] = None,
    file: Annotated[Path | None, typer.Option("--file", "-f", help="Read the query from this file.",
                                              exists=True, dir_okay=False, readable=True)] = None,
    csv: Annotated[bool, typer.Option("--csv", help="Print CSV instead of a table.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array of objects.")] = False,
    warehouse: WarehouseOpt = DEFAULT_WAREHOUSE,
) -> None:
    """Run a read-only SQL query against the warehouse and print the result.

    The query is the argument, standard input (`-`) or a file (`--file`); a script of several statements
    prints the result of the last one.
    """
    import duckdb

    if (query is None) == (file is None):
        raise fail("give one query: as an argument, `-` for standard input, or --file FILE", 2)
    text: str = file.read_text(encoding="utf-8-sig") if file is not None else (
        sys.stdin.read() if query == "-" else str(query))
    if not text.strip():
        raise fail("the query is empty", 2)

    def run(con: duckdb.DuckDBPyConnection) -> tuple[list[str], list[tuple[Any, ...]]]:
        try:
            cursor = con.execute(text)
            return [d[0] for d in cursor.description or []], cursor.fetchall()
        except duckdb.Error as exc:
            raise fail(f"query failed: {exc}") from exc

    columns, rows = read_warehouse(warehouse, run)
    if as_json:
        write_json(json.dumps([dict(zip(columns, r, strict=True)) for r in rows], ensure_ascii=False,
                                    indent=2, default=str) + "\n")
    elif csv:
        import csv as csv_mod

        writer = csv_mod.writer(sys.stdout)
        writer.writerow(columns)
        writer.writerows(rows)
    else:
        from rich.table import Table

        table = Table(*columns)
        for r in rows:
            table.add_row(*("" if v is None else str(v) for v in r))
        out.print(table)
        out.print(f"[dim]{len(rows)} row(s)[/]")


# feature commands (each module registers its commands on ``app``)
from refpipe import cmd_features  # noqa: E402,F401


def main() -> None:
    """The console script: the command, then a quick exit (``exit_now``)."""
    try:
        app()
    except SystemExit as exc:
        exit_now(exc.code)
    exit_now(0)


if __name__ == "__main__":
    main()
