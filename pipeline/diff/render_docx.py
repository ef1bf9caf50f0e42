"""The Word report: the new version's full text with the changes as real Word track changes.

What a certification engineer knows from Word: open the file, the Review pane lists each change
(insertions and deletions by "refpipe" at the generation date), accept or reject them one by one.
So the body is the whole-document redline (``fulltext.py``) written with ``w:ins`` / ``w:del`` runs
(deleted text in ``w:delText``), and a line that was added or removed whole has its paragraph mark
tracked too, so that "accept all" gives the new version and "reject all" the old one, line for line.
A cover gives the two versions, the summary counts and how to read the file; the page footer gives
the generation date and the sources (file, sha256 prefix, version).

python-docx writes the document (styles, tables, footer, package); it has no API for tracked
changes, so those runs are built as OOXML elements (ECMA-376 Part 1, 17.13.5) and appended to its
paragraphs.  When the full text of the two versions is not at hand (a report rebuilt from stored
rows), the changes are listed instead, each as a tracked redline.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import PurePath
from typing import Any

from pipeline.diff import labels
from pipeline.diff.changes import DiffReport, Side
from pipeline.diff.fulltext import RedlineLine, Status, Style, redline_document
from pipeline.diff.redline import Op, Segment
from pipeline.records import ChangeKind, Entity

AUTHOR = "refpipe"
_STYLE = {Style.TITLE: "Heading 2", Style.HEADING: "Heading 2", Style.SUBHEADING: "Heading 3",
          Style.LABEL: None, Style.ITEM: "List Bullet", Style.PARA: None}


class _Tracker:
    """Builds tracked-change elements with unique ids, one author and one date."""

    def __init__(self, when: datetime) -> None:
        self.date = when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        self.next_id = 1

    def mark(self, tag: str) -> Any:
        from docx.oxml import OxmlElement
        from docx.oxml.ns import qn

        el = OxmlElement(tag)
        el.set(qn("w:id"), str(self.next_id))
        el.set(qn("w:author"), AUTHOR)
        el.set(qn("w:date"), self.date)
        self.next_id += 1
        return el

    def run(self, op: Op, text: str, italic: bool = False) -> Any:
        """A ``w:ins`` or ``w:del`` holding one run of ``text``."""
        from docx.oxml import OxmlElement
        from docx.oxml.ns import qn

        wrapper = self.mark("w:ins" if op is Op.INSERT else "w:del")
        r = OxmlElement("w:r")
        if italic:
            rpr = OxmlElement("w:rPr")
            rpr.append(OxmlElement("w:i"))
            r.append(rpr)
        t = OxmlElement("w:t" if op is Op.INSERT else "w:delText")
        t.set(qn("xml:space"), "preserve")
        t.text = text
        r.append(t)
        wrapper.append(r)
        return wrapper

    def paragraph_mark(self, paragraph: Any, op: Op) -> None:
        """Track the paragraph mark itself (a paragraph added or removed whole)."""
        from docx.oxml import OxmlElement

        ppr = paragraph._p.get_or_add_pPr()  # noqa: SLF001 - python-docx has no API for this
        rpr = OxmlElement("w:rPr")
        rpr.append(self.mark("w:ins" if op is Op.INSERT else "w:del"))
        ppr.append(rpr)


def _write_segments(paragraph: Any, segments: list[Segment] | tuple[Segment, ...], tracker: _Tracker,
                    italic: bool = False) -> None:
    for s in segments:
        if s.op is Op.EQUAL:
            paragraph.add_run(s.text).italic = italic or None
        else:
            paragraph._p.append(tracker.run(s.op, s.text, italic))  # noqa: SLF001


def _line(document: Any, line: RedlineLine, tracker: _Tracker) -> None:
    paragraph = document.add_paragraph(style=_STYLE[line.style])
    _write_segments(paragraph, line.segments, tracker, italic=line.style is Style.LABEL)
    if line.status is Status.ADDED:
        tracker.paragraph_mark(paragraph, Op.INSERT)
    elif line.status is Status.REMOVED:
        tracker.paragraph_mark(paragraph, Op.DELETE)


def _versions_table(document: Any, report: DiffReport) -> None:
    table = document.add_table(rows=3, cols=4)
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, ("", "Version", "En vigueur depuis", "Fichier"), strict=True):
        cell.text = text
    for row, (name, s) in zip(table.rows[1:], (("Ancienne", report.old), ("Nouvelle", report.new)), strict=True):
        values = (name, s.label, labels.valid_from_text(s.valid_from, s.valid_from_printed), s.path)
        for cell, text in zip(row.cells, values, strict=True):
            cell.text = text


def _summary(document: Any, report: DiffReport) -> None:
    document.add_heading("Résumé", level=1)
    if not report.changes:
        document.add_paragraph("Aucune différence : les deux versions disent la même chose "
                               "(les différences de mise en forme ne sont pas signalées).")
        return
    document.add_paragraph(f"{len(report.changes)} changement(s) entre les deux versions.")
    kinds = list(ChangeKind)
    counts = report.counts()
    rows = [(labels.ENTITY_PLURAL[e], [counts.get((e.value, k.value), 0) for k in kinds]) for e in Entity]
    rows = [(name, values) for name, values in rows if sum(values)]
    table = document.add_table(rows=len(rows) + 2, cols=len(kinds) + 2)
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, ["", *(labels.KIND_PLURAL[k] for k in kinds), "Total"],
                          strict=True):
        cell.text = text
    totals = [report.kind_counts()[k.value] for k in kinds]
    for row, (name, values) in zip(table.rows[1:], [*rows, ("Total", totals)], strict=True):
        for cell, text in zip(row.cells, [name, *map(str, values), str(sum(values))], strict=True):
            cell.text = text


def _changes_list(document: Any, report: DiffReport, tracker: _Tracker) -> None:
    document.add_heading("Changements, modifications suivies", level=1)
    for n, c in enumerate(report.changes, start=1):
        document.add_heading(f"{n}. {labels.title(c)}", level=3)
        if labels.shows_capacity(c):
            document.add_paragraph(f"Capacité : {c.capacity}")
        _write_segments(document.add_paragraph(), labels.segments(c), tracker)


def _footer_text(report: DiffReport, generated: datetime) -> str:
    """One short line per page: the date, then each version with its file name and sha256 prefix (the full
    paths are in the cover's table)."""
    def source(name: str, s: Side) -> str:
        sha = f", sha256 {s.sha256[:12]}" if s.sha256 else f", document {s.document_id}"
        return f"{name} {s.label} ({PurePath(s.path).name}{sha})"

    when = generated.astimezone(UTC).strftime("%d/%m/%Y à %H:%M UTC")
    return (f"Généré le {when} par refpipe — {source('ancienne', report.old)} ; "
            f"{source('nouvelle', report.new)}")


def render_docx(report: DiffReport, generated: datetime | None = None) -> bytes:
    """The report as a .docx whose changes are Word tracked changes; ``generated`` defaults to now."""
    import docx
    from docx.shared import Pt

    generated = generated or datetime.now(UTC)
    tracker = _Tracker(generated)
    title = report.new.title or report.old.title or report.new.document_id
    document = docx.Document()
    props = document.core_properties
    props.title, props.author, props.created = f"Comparaison de versions — {title}", AUTHOR, generated
    props.language = "fr-FR"
    document.add_heading("Comparaison de deux versions", level=0)
    document.add_paragraph().add_run(title).bold = True
    _versions_table(document, report)
    _summary(document, report)
    document.add_paragraph(
        "Les modifications sont des modifications suivies de Word (onglet Révision) : le volet des révisions les "
        "liste, « Accepter tout » donne la nouvelle version, « Refuser tout » l'ancienne. Les différences de mise "
        "en forme (espaces, apostrophes, œ/oe, ponctuation finale) ne sont pas signalées.")
    if report.documents is not None:
        document.add_heading("Texte intégral de la nouvelle version, modifications suivies", level=1)
        for line in redline_document(*report.documents):
            _line(document, line, tracker)
    else:
        _changes_list(document, report, tracker)
    footer = document.sections[0].footer.paragraphs[0]
    footer.add_run(_footer_text(report, generated)).font.size = Pt(7.5)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
