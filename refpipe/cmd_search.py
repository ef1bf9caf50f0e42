"""``refpipe search``: find capacities and evaluation criteria by the meaning of French words (lemmas)."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.markup import escape

from refpipe.app import DEFAULT_WAREHOUSE, WarehouseOpt, app, fail, out, read_warehouse, write_json


@app.command(epilog='Examples: `refpipe search "mesurer indicateurs"`, `refpipe search indicateur --limit 5 --json`')
def search(
    query: Annotated[str, typer.Argument(help="French words to look for (any form: indicateur, indicateurs, …).")],
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="At most this many hits.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array of hits.")] = False,
    all_versions: Annotated[bool, typer.Option("--all-versions", help="Search every version of every "
                                               "document, not only the latest of each key.")] = False,
    kind: Annotated[str | None, typer.Option("--kind", help="Only cqpm or only rncp documents.")] = None,
    warehouse: WarehouseOpt = DEFAULT_WAREHOUSE,
) -> None:
    """Search capacity titles and evaluation criteria by lemma, best matches first.

    Words are compared by lemma with spaCy's French model (`indicateur` finds `d'indicateurs`), accents
    ignored; stop words are dropped. Hits containing more of the query's words come first, then by a
    BM25 score. Each hit gives the document (key, version, title), the capacity, the criterion number,
    the page and a snippet. Works offline.
    """
    from pipeline.query.search import search as run_search

    if kind is not None and kind not in ("cqpm", "rncp"):
        raise fail(f"--kind {kind!r}: use cqpm or rncp", 2)
    if not query.strip():
        raise fail("the query is empty: give one or more French words", 2)
    hits = read_warehouse(
        warehouse, lambda con: run_search(con, query, limit=limit, all_versions=all_versions, kind=kind))
    if as_json:
        write_json(json.dumps([_as_dict(h) for h in hits], ensure_ascii=False, indent=2) + "\n")
        return
    for h in hits:
        i = h.item
        out.print(f"[bold]{h.rank}. {escape(i.key or i.document_id)} v{i.version}[/] · {escape(i.title or '')}  "
                  f"[dim]score {h.score:.2f}[/]")
        where = f"page {i.page}" if i.page else "text input"
        if i.item == "criterion":
            out.print(f"   capacity {escape(i.capacity)} · {escape(i.capacity_title)}")
            out.print(f"   criterion {escape(i.capacity)}.{i.criterion} ({where}): {_highlight(h)}")
        else:
            out.print(f"   {i.kind.upper()} capacity {escape(i.capacity)} ({where}): {_highlight(h)}")
    out.print(f"[dim]{len(hits)} hit(s) for {escape(query)!r}[/]")


def _highlight(hit: Any) -> str:
    text, parts, at = hit.snippet, [], 0
    for start, end in hit.highlights:
        parts += [escape(text[at:start]), f"[bold yellow]{escape(text[start:end])}[/]"]
        at = end
    return "".join(parts) + escape(text[at:])


def _as_dict(hit: Any) -> dict[str, Any]:
    i = hit.item
    return {"rank": hit.rank, "score": hit.score, "matched": list(hit.matched), "item": i.item, "kind": i.kind,
            "document_id": i.document_id, "key": i.key, "version": i.version, "reference": i.reference,
            "title": i.title, "capacity": i.capacity, "capacity_title": i.capacity_title,
            "criterion": i.criterion, "page": i.page, "text": i.text, "snippet": hit.snippet,
            "source_path": i.source_path}
