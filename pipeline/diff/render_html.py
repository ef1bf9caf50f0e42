"""The HTML report: one self-contained, printable file in French (no script, no network resource).

A summary with counts, then one of three views (``View``):

* ``changes``: each change with its heading, the capacity it belongs to, old and new numbering and
  page, and a word-level redline (``<del>`` struck, ``<ins>`` marked);
* ``side-by-side``: each change as two columns, the old version's text (deletions struck in red) and
  the new version's (insertions in green), the colours of Archéo Lex;
* ``redline``: the new version's full text with the changes marked inline (``fulltext.py``), a change
  bar in the margin of each changed line, as a word processor shows track changes.

A footer gives the generation date and the two sources (file, sha256 prefix, version).  Every piece
of document text goes through ``html.escape``: a criterion reading ``<script>`` is shown as text,
never interpreted.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from html import escape
from pathlib import PurePath

from pipeline.diff import labels
from pipeline.diff.changes import DIFFER_VERSION, DiffReport, Side
from pipeline.diff.fulltext import RedlineLine, Status, Style, redline_document
from pipeline.diff.redline import Op, Segment
from pipeline.records import Change, ChangeKind, Entity


class View(StrEnum):
    CHANGES = "changes"
    SIDE_BY_SIDE = "side-by-side"
    REDLINE = "redline"

CSS = """
@page { size: A4; margin: 16mm 14mm; }
* { box-sizing: border-box; }
body { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; font-size: 10.5pt; line-height: 1.45;
       color: #111; max-width: 60em; margin: 1.5em auto; padding: 0 1em;
       -webkit-print-color-adjust: exact; print-color-adjust: exact; }
h1 { font-size: 16pt; margin: 0 0 .3em; } h2 { font-size: 13pt; margin: 1.4em 0 .5em;
     border-bottom: 1px solid #999; } h3 { font-size: 11pt; margin: 0 0 .3em; }
table { border-collapse: collapse; width: 100%; margin: .4em 0; }
th, td { border: 1px solid #bbb; padding: .25em .5em; text-align: left; vertical-align: top; }
th { background: #eee; } td.n { text-align: right; } td.path { overflow-wrap: anywhere; }
del { text-decoration: line-through; color: #a40000; background: #ffe0e0; }
ins { text-decoration: underline; color: #0a5c0a; background: #d9f7d9; font-weight: bold; }
section.change { border: 1px solid #ccc; border-left: 4px solid #666; padding: .5em .8em; margin: .8em 0;
                 break-inside: avoid; page-break-inside: avoid; }
section.added { border-left-color: #15803d; } section.removed { border-left-color: #b91c1c; }
section.changed { border-left-color: #b45309; } section.moved { border-left-color: #1d4ed8; }
.cap { color: #444; margin: 0 0 .3em; } .text { margin: .4em 0 0; }
.legend { font-size: 9.5pt; color: #333; }
table.where { width: auto; font-size: 9.5pt; } table.where td, table.where th { padding: .1em .6em; }
ul.detail { margin: .2em 0 .2em 1.2em; padding: 0; }
table.sbs { table-layout: fixed; } table.sbs td { width: 50%; } table.sbs th { width: 50%; font-size: 9.5pt; }
table.sbs td.meta { font-size: 9pt; color: #444; background: #fafafa; } td.none { color: #777; }
td.old { background: #fff8f8; } td.new { background: #f7fff7; }
article.doc { border-top: 1px solid #999; } article.doc p, article.doc h3, article.doc h4 {
    margin: .25em 0; padding-left: .6em; border-left: 3px solid transparent; }
article.doc h3.title { font-size: 13pt; } article.doc h3 { font-size: 11.5pt; margin-top: .9em; }
article.doc h4 { font-size: 10.5pt; margin-top: .7em; } article.doc p.label { font-style: italic; color: #333; }
article.doc p.item { padding-left: 1.8em; text-indent: -.9em; } article.doc p.item::before { content: "• "; }
article.doc .changed { border-left-color: #b45309; } article.doc .added { border-left-color: #15803d; }
article.doc .removed { border-left-color: #b91c1c; }
footer { margin-top: 2em; border-top: 1px solid #999; padding-top: .4em; font-size: 8.5pt; color: #333; }
footer table { font-size: 8.5pt; } footer code { font-size: 8.5pt; }
@media print { body { margin: 0; max-width: none; } a { color: inherit; text-decoration: none; } }
"""


VIEW_TITLE = {View.CHANGES: "", View.SIDE_BY_SIDE: " — vue côte à côte", View.REDLINE: " — texte intégral annoté"}


def _segments(segments: list[Segment]) -> str:
    parts: list[str] = []
    for s in segments:
        text = escape(s.text)
        if s.op is Op.EQUAL:
            parts.append(text)
        elif s.op is Op.DELETE:
            parts.append(f"<del>{text}</del>")
        else:
            sep = " " if parts and parts[-1].endswith("</del>") else ""
            parts.append(f"{sep}<ins>{text}</ins>")
    return "".join(parts)


def _cell(value: object) -> str:
    return escape(str(value)) if value not in (None, "") else "—"


def _change(n: int, c: Change) -> str:
    out = [f'<section class="change {c.kind.value}" id="c{n}">',
           f"<h3>{n}. {escape(labels.title(c))}</h3>"]
    if labels.shows_capacity(c):
        out.append(f'<p class="cap">Capacité : {escape(c.capacity or "")}</p>')
    if labels.has_location(c):
        out.append('<table class="where"><tr><th></th><th>Ancienne version</th><th>Nouvelle version</th></tr>'
                   f"<tr><th>Numérotation</th><td>{_cell(c.old_number)}</td><td>{_cell(c.new_number)}</td></tr>"
                   f"<tr><th>Page</th><td>{_cell(c.old_page)}</td><td>{_cell(c.new_page)}</td></tr></table>")
    out.append(f'<p class="text">{_segments(labels.segments(c))}</p>')
    if details := _detail_items(c, "ins" if c.kind is ChangeKind.ADDED else "del"):
        out.append(details)
    out.append("</section>")
    return "\n".join(out)


def _side(label: str, s: Side) -> str:
    return (f"<tr><th>{label}</th><td>{escape(s.label)}</td>"
            f"<td>{escape(labels.valid_from_text(s.valid_from, s.valid_from_printed))}</td>"
            f"<td><code>{escape(s.document_id)}</code></td>"
            f"<td class=\"path\" title=\"{escape(s.path)}\">{escape(PurePath(s.path).name)}</td>"
            f"<td class=\"n\">{_cell(s.pages)}</td></tr>")


def _summary(report: DiffReport) -> str:
    if not report.changes:
        return ("<p>Aucune différence : les deux versions disent la même chose "
                "(les différences de mise en forme ne sont pas signalées).</p>")
    counts, kinds = report.counts(), list(ChangeKind)
    head = "".join(f"<th>{labels.KIND_PLURAL[k]}</th>" for k in kinds)
    rows = []
    for entity in Entity:
        row = [counts.get((entity.value, k.value), 0) for k in kinds]
        if sum(row):
            cells = "".join(f'<td class="n">{v}</td>' for v in row)
            rows.append(f"<tr><th>{labels.ENTITY_PLURAL[entity]}</th>{cells}<td class=\"n\">{sum(row)}</td></tr>")
    totals = "".join(f'<td class="n">{report.kind_counts()[k.value]}</td>' for k in kinds)
    rows.append(f"<tr><th>Total</th>{totals}<td class=\"n\">{len(report.changes)}</td></tr>")
    return (f"<p><strong>{len(report.changes)} changement(s)</strong> entre les deux versions.</p>"
            f"<table><tr><th></th>{head}<th>Total</th></tr>{''.join(rows)}</table>"
            '<p class="legend">Légende : <del>texte supprimé</del> (barré), <ins>texte ajouté</ins> (souligné). '
            "Les différences de mise en forme (espaces, apostrophes, œ/oe, ponctuation finale) ne sont pas "
            "signalées.</p>")


def _location(number: str | None, page: int | None) -> str:
    parts = [f"n° {escape(number)}" if number else "", f"page {page}" if page is not None else ""]
    return " · ".join(p for p in parts if p) or "—"


def _detail_items(c: Change, tag: str) -> str:
    out = []
    for name, items in labels.detail_items(c):
        lis = "".join(f"<li><{tag}>{escape(i)}</{tag}></li>" for i in items) or "<li>(aucun)</li>"
        out.append(f"<p>{escape(name)} :</p><ul class=\"detail\">{lis}</ul>")
    return "".join(out)


def _side_by_side(n: int, c: Change, report: DiffReport) -> str:
    old_segs, new_segs = labels.side_segments(c)
    old_text, new_text = _segments(old_segs), _segments(new_segs)
    old_cell = (f'<td class="old">{old_text}{_detail_items(c, "del") if c.kind is ChangeKind.REMOVED else ""}</td>'
                if old_text else '<td class="old none">(absent de cette version)</td>')
    new_cell = (f'<td class="new">{new_text}{_detail_items(c, "ins") if c.kind is ChangeKind.ADDED else ""}</td>'
                if new_text else '<td class="new none">(absent de cette version)</td>')
    out = [f'<section class="change {c.kind.value}" id="c{n}">', f"<h3>{n}. {escape(labels.title(c))}</h3>"]
    if labels.shows_capacity(c):
        out.append(f'<p class="cap">Capacité : {escape(c.capacity or "")}</p>')
    out.append(f'<table class="sbs"><tr><th>Ancienne version ({escape(report.old.label)})</th>'
               f"<th>Nouvelle version ({escape(report.new.label)})</th></tr>")
    if labels.has_location(c):
        out.append(f'<tr><td class="meta">{_location(c.old_number, c.old_page)}</td>'
                   f'<td class="meta">{_location(c.new_number, c.new_page)}</td></tr>')
    out.append(f"<tr>{old_cell}{new_cell}</tr></table></section>")
    return "\n".join(out)


_LINE_TAG = {Style.TITLE: ("h3", "title"), Style.HEADING: ("h3", ""), Style.SUBHEADING: ("h4", ""),
             Style.LABEL: ("p", "label"), Style.ITEM: ("p", "item"), Style.PARA: ("p", "")}


def _redline_line(line: RedlineLine) -> str:
    tag, cls = _LINE_TAG[line.style]
    classes = " ".join(c for c in (cls, "" if line.status is Status.EQUAL else line.status.value) if c)
    attr = f' class="{classes}"' if classes else ""
    return f"<{tag}{attr}>{_segments(list(line.segments))}</{tag}>"


def _redline_view(report: DiffReport) -> str:
    if report.documents is None:
        return "<p>Le texte intégral des deux versions n'est pas disponible pour ce rapport.</p>"
    lines = redline_document(*report.documents)
    marked = sum(1 for line in lines if line.status is not Status.EQUAL)
    return (f"<h2>Texte intégral de la nouvelle version, modifications marquées</h2>"
            f'<p class="legend">{marked} ligne(s) modifiée(s), ajoutée(s) ou supprimée(s), signalées par un trait '
            "dans la marge. Légende : <del>texte supprimé</del> (barré, rouge), <ins>texte ajouté</ins> "
            "(souligné, vert).</p>"
            '<article class="doc">' + "\n".join(_redline_line(line) for line in lines) + "</article>")


def _source_row(label: str, s: Side) -> str:
    sha = f"<code>{escape(s.sha256[:12])}…</code>" if s.sha256 else "—"
    return (f"<tr><th>{label}</th><td>{escape(s.label)}</td><td class=\"path\">{escape(s.path)}</td>"
            f"<td>{sha}</td><td><code>{escape(s.document_id)}</code></td></tr>")


def footer(report: DiffReport, generated: datetime) -> str:
    when = generated.astimezone(UTC).strftime("%d/%m/%Y à %H:%M UTC")
    return (f"<footer><p>Rapport généré le {when} par refpipe (comparaison structurée, algorithme "
            f"{DIFFER_VERSION}).</p><table><tr><th>Sources</th><th>Version</th><th>Fichier</th>"
            f"<th>sha256</th><th>Document</th></tr>{_source_row('Ancienne', report.old)}"
            f"{_source_row('Nouvelle', report.new)}</table></footer>")


def _body(report: DiffReport, view: View) -> str:
    if view is View.REDLINE:
        return _redline_view(report)
    if not report.changes:
        return ""
    if view is View.SIDE_BY_SIDE:
        return ("<h2>Changements, ancienne et nouvelle version côte à côte</h2>\n"
                + "\n".join(_side_by_side(n, c, report) for n, c in enumerate(report.changes, start=1)))
    return "<h2>Changements</h2>\n" + "\n".join(_change(n, c) for n, c in enumerate(report.changes, start=1))


def render_html(report: DiffReport, view: View = View.CHANGES, generated: datetime | None = None) -> str:
    """The report as one HTML page; ``generated`` (default: now) is the date its footer gives."""
    title = report.new.title or report.old.title or report.new.document_id
    return f"""<!DOCTYPE html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Comparaison de versions — {escape(title)}</title>
<style>{CSS}</style>
</head>
<body>
<h1>Comparaison de deux versions{VIEW_TITLE[view]}</h1>
<p><strong>{escape(title)}</strong></p>
<table>
<tr><th></th><th>Version</th><th>En vigueur depuis</th><th>Document</th><th>Fichier</th><th>Pages</th></tr>
{_side("Ancienne", report.old)}
{_side("Nouvelle", report.new)}
</table>
<h2>Résumé</h2>
{_summary(report)}
{_body(report, view)}
{footer(report, generated or datetime.now(UTC))}
</body>
</html>
"""
