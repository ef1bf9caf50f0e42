"""The Markdown report, in French: summary with counts, then each change with a word-level redline
(~~deleted words~~, **inserted words**), numbering and page in each version."""

from __future__ import annotations

import re

from pipeline.diff import labels
from pipeline.diff.changes import DiffReport, Side
from pipeline.diff.redline import Op, Segment
from pipeline.records import Change, ChangeKind, Entity

_SPECIAL = re.compile(r"([\\`*_~\[\]<>#|])")


def esc(text: str) -> str:
    """Markdown-escaped text (no markup of the document can take effect)."""
    return _SPECIAL.sub(r"\\\1", text)


def _segments(segments: list[Segment]) -> str:
    parts: list[str] = []
    for s in segments:
        if s.op is Op.EQUAL:
            parts.append(esc(s.text))
            continue
        lead, core, trail = re.match(r"(\s*)(.*?)(\s*)$", s.text, re.S).groups()  # type: ignore[union-attr]
        mark = "~~" if s.op is Op.DELETE else "**"
        sep = " " if parts and s.op is Op.INSERT and parts[-1].endswith("~~") and not lead else ""
        parts.append(f"{sep}{lead}{mark}{esc(core)}{mark}{trail}")
    return "".join(parts)


def body(c: Change) -> str:
    """The change's redline, then the content of an added or removed capacity or block."""
    text = _segments(labels.segments(c))
    for name, items in labels.detail_items(c):
        mark = "**" if c.kind is ChangeKind.ADDED else "~~"
        text += f"\n\n{name} :\n" + "".join(f"\n- {mark}{esc(i)}{mark}" for i in items)
    return text


def _side(label: str, s: Side) -> str:
    return (f"| {label} | {esc(s.label)} | {esc(labels.valid_from_text(s.valid_from, s.valid_from_printed))} | "
            f"`{s.document_id}` | "
            f"{esc(s.path)} |")


def render_md(report: DiffReport) -> str:
    title = report.new.title or report.old.title or report.new.document_id
    lines = [f"# Comparaison de deux versions — {esc(title)}", "",
             "| | Version | En vigueur depuis | Document | Fichier |", "|---|---|---|---|---|",
             _side("Ancienne", report.old), _side("Nouvelle", report.new), "", "## Résumé", ""]
    if not report.changes:
        lines.append("Aucune différence : les deux versions disent la même chose "
                     "(les différences de mise en forme ne sont pas signalées).")
        return "\n".join(lines) + "\n"
    counts = report.counts()
    kinds = list(ChangeKind)
    lines += [f"{len(report.changes)} changement(s).", "",
              "| | " + " | ".join(labels.KIND_PLURAL[k] for k in kinds) + " | Total |",
              "|---" * (len(kinds) + 2) + "|"]
    for entity in Entity:
        row = [counts.get((entity.value, k.value), 0) for k in kinds]
        if sum(row):
            lines.append(f"| {labels.ENTITY_PLURAL[entity]} | " + " | ".join(map(str, row)) + f" | {sum(row)} |")
    lines += ["", "Légende : ~~texte supprimé~~, **texte ajouté**.", "", "## Changements", ""]
    for n, c in enumerate(report.changes, start=1):
        lines.append(f"### {n}. {esc(labels.title(c))}")
        if labels.shows_capacity(c):
            lines.append(f"Capacité : {esc(c.capacity or '')}  ")
        if labels.has_location(c):
            lines.append(f"Numérotation : {c.old_number or '—'} → {c.new_number or '—'} · "
                         f"page : {c.old_page or '—'} → {c.new_page or '—'}")
        lines += ["", body(c), ""]
    return "\n".join(lines) + "\n"
