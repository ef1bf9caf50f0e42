"""``refpipe links`` and ``refpipe quality``: the cross-links and data-quality findings of the warehouse."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

import typer

from refpipe.app import DEFAULT_WAREHOUSE, WarehouseOpt, app, as_of_date, err, out, print_json, read_warehouse

if TYPE_CHECKING:
    import duckdb

    from pipeline.records import Finding


AllVersionsOpt = Annotated[bool, typer.Option(
    "--all-versions", help="Every version of every document (the history), not only the latest version of each "
                           "référentiel and fiche (`refpipe versions`).")]


@app.command(epilog="Examples: `refpipe links --json`, `refpipe links --all-versions` (links of older versions too)")
def links(
    as_json: Annotated[bool, typer.Option("--json", help="Print the contract's links JSON.")] = False,
    all_versions: AllVersionsOpt = False,
    warehouse: WarehouseOpt = DEFAULT_WAREHOUSE,
) -> None:
    """List the links between RNCP fiches and CQPM référentiels, with their capacity maps.

    A link is found from the documents: the CQPM number named in the fiche's history, the similarity
    of the capacities and of the titles. `method` says which evidence decided. Only the latest version of
    each fiche and référentiel by default. The same link seen in several documents of one pair is listed
    once; `documents` in the JSON lists them all.
    """
    from pipeline.link.render import contract_links
    from pipeline.runtime import links as links_store

    def read(con: duckdb.DuckDBPyConnection) -> tuple[Any, bool, Any]:
        found, stale = links_store.current_links(con)
        if all_versions:
            return found, stale, links_store.unlinked_fiches(con, found)
        latest = links_store.latest_documents(con)
        found = links_store.latest_links(found, latest)
        return found, stale, links_store.unlinked_fiches(con, found, latest)

    found, stale, unlinked = read_warehouse(warehouse, read)
    if stale:
        err.print("[yellow]note:[/] the stored links predate some documents; computed them afresh "
                  "(the next `refpipe ingest` stores them)")
    entries = contract_links(found)
    if as_json:
        print_json(entries)
        return
    _print_links(entries, unlinked)


def _print_links(entries: list[dict[str, Any]], unlinked: list[tuple[str, str, str]]) -> None:
    for e in entries:
        inferred = " [dim](inferred)[/]" if e["cqpm_number_source"] == "inferred" else ""
        out.print(f"[bold]{e['rncp']} ↔ CQPM {e['cqpm'] or '?'}[/]{inferred}  method={e['method']}  "
                  f"score={e['score']:.3f}")
        more = len(e["documents"]) - 1
        out.print(f"  {e['rncp_source']}  ↔  {e['cqpm_source']}"
                  + (f"  [dim](+{more} more document pair(s) with the same link)[/]" if more else ""))
        out.print("  " + ("  ".join(f"{m['rncp']}→{m['cqpm']}" for m in e["capacity_map"]) or "no capacity map"))
        out.print(f"  [dim]{e['reason']}[/]")
    out.print(f"{len(entries)} link(s)")
    # an open-data export brings ~30,000 fiches, nearly all outside the branch: list those whose history names a
    # CQPM number, and count the others
    shown = unlinked if len(unlinked) <= 20 else [u for u in unlinked if "names CQPM" in u[2]]
    for code, path, why in shown:
        out.print(f"[dim]not linked:[/] {code} ({path}): {why}")
    if len(shown) < len(unlinked):
        out.print(f"[dim]not linked: {len(unlinked) - len(shown)} other fiche(s) whose history names no CQPM "
                  "number (--json lists the links only)[/]")


@app.command(epilog="Examples: `refpipe quality`, `refpipe quality --json --as-of 2024-01-01`, "
                     "`refpipe quality --all-versions`")
def quality(
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array of findings.")] = False,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="Evaluate date rules (registration expired) at this date, YYYY-MM-DD, instead of "
                        "the date of the last ingest; nothing is written.")] = None,
    all_versions: AllVersionsOpt = False,
    warehouse: WarehouseOpt = DEFAULT_WAREHOUSE,
) -> None:
    """List the data-quality findings: section I vs table, RNCP blocks, linked capacity counts, dates.

    Findings are computed after every ingest; severities are error, warning and info. Only the latest
    version of each fiche and référentiel by default.
    """

    day = as_of_date(as_of)
    rows = read_warehouse(warehouse, lambda con: _findings(con, day, all_versions))
    if as_json:
        print_json(rows)
        return
    colour = {"error": "red", "warning": "yellow", "info": "cyan"}
    for r in rows:
        where = r["source_path"] + (f" (page {r['page']})" if r["page"] else "")
        out.print(f"[{colour[r['severity']]}]{r['severity']:<7}[/] [bold]{r['rule']}[/]  {where}")
        out.print(f"        {r['message']}")
    out.print(f"{len(rows)} finding(s)" + (f", as of {rows[0]['as_of']}" if rows else ""))


_RANK = {"error": 0, "warning": 1, "info": 2}


def _findings(con: Any, day: date | None, all_versions: bool = False) -> list[dict[str, Any]]:
    """The findings as rows, errors first, then by file, rule and subject."""
    from pipeline.runtime import links as links_store

    found, as_of = links_store.findings_at(con, day)
    if not all_versions:
        found = links_store.latest_findings(found, links_store.latest_documents(con))
    rows = [_row(f, as_of) for f in found]
    rows.sort(key=lambda r: (_RANK[r["severity"]], r["source_path"], r["rule"], r["subject"]))
    return rows


def _row(f: Finding, as_of: date | None) -> dict[str, Any]:
    p, b = f.prov, f.prov.bbox if f.prov else None
    return {"severity": f.severity, "rule": f.rule, "document_id": f.document_id, "source_path": f.source_path,
            "subject": f.subject, "message": f.message, "related_document_id": f.related_document_id,
            "page": p.page if p else None, "reading_order": p.order if p else None, "x0": b.x0 if b else None,
            "top": b.top if b else None, "x1": b.x1 if b else None, "bottom": b.bottom if b else None,
            "as_of": as_of}
