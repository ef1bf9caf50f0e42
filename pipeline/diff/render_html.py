"""The HTML report: one self-contained, printable file in French (no script, no network resource).

A summary with counts, then each change: its heading, the capacity it belongs to, old and new
numbering and page side by side, and a word-level redline (``<del>`` struck, ``<ins>`` marked).
Every piece of document text goes through ``html.escape``: a criterion reading ``<script>`` is shown
as text, never interpreted.
"""

from __future__ import annotations

from html import escape
from pathlib import PurePath

from pipeline.diff import labels
from pipeline.diff.changes import DiffReport, Side
from pipeline.diff.redline import Op, Segment
from pipeline.records import Change, ChangeKind, Entity

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
del { text-decoration: line-through; color: #9b1c1c; background: #fde2e2; }
ins { text-decoration: underline; color: #14532d; background: #dcfce7; font-weight: bold; }
section.change { border: 1px solid #ccc; border-left: 4px solid #666; padding: .5em .8em; margin: .8em 0;
                 break-inside: avoid; page-break-inside: avoid; }
section.added { border-left-color: #15803d; } section.removed { border-left-color: #b91c1c; }
section.changed { border-left-color: #b45309; } section.moved { border-left-color: #1d4ed8; }
.cap { color: #444; margin: 0 0 .3em; } .text { margin: .4em 0 0; }
.legend { font-size: 9.5pt; color: #333; }
table.where { width: auto; font-size: 9.5pt; } table.where td, table.where th { padding: .1em .6em; }
ul.detail { margin: .2em 0 .2em 1.2em; padding: 0; }
@media print { body { margin: 0; max-width: none; } a { color: inherit; text-decoration: none; } }
"""


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
    tag = "ins" if c.kind is ChangeKind.ADDED else "del"
    for name, value in c.detail:
        if name in ("number", "title"):
            continue
        items = value if isinstance(value, tuple) else (str(value),)
        lis = "".join(f"<li><{tag}>{escape(i)}</{tag}></li>" for i in items) or "<li>(aucun)</li>"
        out.append(f"<p>{escape(labels.DETAIL[name])} :</p><ul class=\"detail\">{lis}</ul>")
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


def render_html(report: DiffReport) -> str:
    title = report.new.title or report.old.title or report.new.document_id
    changes = "\n".join(_change(n, c) for n, c in enumerate(report.changes, start=1))
    return f"""<!DOCTYPE html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Comparaison de versions — {escape(title)}</title>
<style>{CSS}</style>
</head>
<body>
<h1>Comparaison de deux versions</h1>
<p><strong>{escape(title)}</strong></p>
<table>
<tr><th></th><th>Version</th><th>En vigueur depuis</th><th>Document</th><th>Fichier</th><th>Pages</th></tr>
{_side("Ancienne", report.old)}
{_side("Nouvelle", report.new)}
</table>
<h2>Résumé</h2>
{_summary(report)}
{"<h2>Changements</h2>" if report.changes else ""}
{changes}
</body>
</html>
"""
