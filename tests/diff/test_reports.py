"""The meeting reports on the real pair 001: side-by-side and whole-document redline HTML, the footer,
the Word report's tracked changes (read back with python-docx), the whole-document redline itself."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import docx
import pytest
from pairs import report_001, with_script_criterion

from pipeline.diff.changes import DiffReport
from pipeline.diff.fulltext import Status, redline_document
from pipeline.diff.redline import Op
from pipeline.diff.render_docx import render_docx
from pipeline.diff.render_html import View, render_html
from pipeline.diff.render_pdf import ReportError, html_to_pdf

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
WHEN = datetime(2026, 12, 6, 9, 30, tzinfo=UTC)


class _Cells(HTMLParser):
    """Text of each <td class="old"> / <td class="new"> cell, with its <del>/<ins> text apart."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: list[tuple[str, str, str]] = []  # (old|new, whole text, marked text)
        self.stack: list[str] = []
        self.side: str | None = None
        self.text = self.marked = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack.append(tag)
        cls = dict(attrs).get("class") or ""
        if tag == "td" and cls.split()[:1] in (["old"], ["new"]):
            self.side, self.text, self.marked = cls.split()[0], "", ""

    def handle_endtag(self, tag: str) -> None:
        if self.stack:
            self.stack.pop()
        if tag == "td" and self.side:
            self.cells.append((self.side, self.text, self.marked))
            self.side = None

    def handle_data(self, data: str) -> None:
        if self.side:
            self.text += data
            if self.stack and self.stack[-1] in ("del", "ins"):
                self.marked += f"<{self.stack[-1]}>{data}"


def test_side_by_side_puts_deletions_left_and_insertions_right() -> None:
    page = render_html(report_001(), View.SIDE_BY_SIDE, generated=WHEN)
    parser = _Cells()
    parser.feed(page)
    olds = [c for c in parser.cells if c[0] == "old"]
    news = [c for c in parser.cells if c[0] == "new"]
    assert len(olds) == len(news) == 7
    assert all("<ins>" not in m for _, _, m in olds) and all("<del>" not in m for _, _, m in news)
    changed = next(i for i, c in enumerate(olds) if "cohérentes" in c[2])
    assert "sont cohérentes avec la politique" in olds[changed][1]
    assert "sont conformes avec la politique" in news[changed][1] and "<ins>conformes" in news[changed][2]
    assert "(absent de cette version)" in news[1][1] and "Les éléments tiennent compte" in olds[1][2]
    assert re.search(r'<td class="meta">n° 8\.3 · page 3</td><td class="meta">n° 8\.3 · page 3</td>', page)


def test_redline_view_is_the_new_text_with_changes_marked_inline() -> None:
    page = render_html(report_001(), View.REDLINE, generated=WHEN)
    text = re.sub(r"<[^>]+>", "", page)
    assert "Texte intégral de la nouvelle version" in text
    # unchanged text of the new version is there, unmarked
    assert "La liaison avec les organismes extérieurs (DRIRE, certificateurs,...)." in text
    assert re.search(r'<h4 class="changed">Capacité <del>4</del> ?<ins>2</ins>\. Décrire un processus', page)
    assert '<p class="item changed">Les pistes de progrès éventuelles identifiées sont <del>cohérentes</del> ' \
           "<ins>conformes</ins> avec" in page
    assert re.search(r'<p class="item removed"><del>Les éléments tiennent compte', page)
    assert re.search(r'<h4 class="added"><ins>Capacité 9\. Animer une réunion', page)


def test_footer_gives_the_generation_date_and_the_sources() -> None:
    report = report_001()
    for view in View:
        page = render_html(report, view, generated=WHEN)
        footer = page[page.index("<footer>"):page.index("</footer>")]
        assert "Rapport généré le 06/12/2026 à 09:30 UTC" in footer
        for side in (report.old, report.new):
            assert side.path in footer and side.label in footer
            assert side.sha256 is not None and f"<code>{side.sha256[:12]}…</code>" in footer


def test_whole_document_redline_accepts_to_the_new_and_rejects_to_the_old_text() -> None:
    report = report_001()
    assert report.documents is not None
    lines = redline_document(*report.documents)
    accepted = ["".join(s.text for s in ln.segments if s.op is not Op.DELETE) for ln in lines
                if ln.status is not Status.REMOVED]
    rejected = ["".join(s.text for s in ln.segments if s.op is not Op.INSERT) for ln in lines
                if ln.status is not Status.ADDED]
    from pipeline.diff.fulltext import document_lines

    old, new = report.documents
    assert sorted(accepted) == sorted(line.text for line in document_lines(new))
    assert sorted(rejected) == sorted(line.text for line in document_lines(old))


def _tracked(report: DiffReport) -> tuple[docx.document.Document, list[str], list[str]]:
    document = docx.Document(io.BytesIO(render_docx(report, generated=WHEN)))
    body = document.element.body
    ins = ["".join(t.text or "" for t in el.iter(f"{W}t")) for el in body.iter(f"{W}ins")]
    dels = ["".join(t.text or "" for t in el.iter(f"{W}delText")) for el in body.iter(f"{W}del")]
    return document, [i for i in ins if i], [d for d in dels if d]


def test_docx_changes_are_word_tracked_changes() -> None:
    document, ins, dels = _tracked(report_001())
    assert "conformes" in ins and "cohérentes" in dels
    assert any(i.startswith("Capacité 9. Animer une réunion de suivi") for i in ins)
    assert any(d.startswith("Les éléments tiennent compte, au minimum") for d in dels)
    assert ("4" in dels and "2" in ins)  # the renumbered capacity: its number struck, the new one inserted
    body = document.element.body
    marks = list(body.iter(f"{W}ins")) + list(body.iter(f"{W}del"))
    ids = [m.get(f"{W}id") for m in marks]
    assert len(ids) == len(set(ids)) and all(m.get(f"{W}author") == "refpipe" for m in marks)
    assert all(m.get(f"{W}date") == "2026-12-06T09:30:00Z" for m in marks)
    # deleted text is never plain text: every w:del holds w:delText, never w:t
    assert not [t for d in body.iter(f"{W}del") for t in d.iter(f"{W}t")]
    # a line removed whole has its paragraph mark deleted too (accept all leaves no empty paragraph)
    removed = next(p for p in document.paragraphs if p.text == "" and p._p.find(f"{W}del") is not None)
    assert removed._p.find(f"{W}pPr/{W}rPr/{W}del") is not None
    footer = document.sections[0].footer.paragraphs[0].text
    report = report_001()
    assert "Généré le 06/12/2026 à 09:30 UTC" in footer
    for side in (report.old, report.new):
        assert side.sha256 is not None and f"{side.label} ({Path(side.path).name}, sha256 {side.sha256[:12]})" in footer
        assert side.path in [c.text for c in document.tables[0].columns[3].cells]  # the full path on the cover
    # the text Word shows once every change is accepted is the new version's
    accepted = [p.text for p in document.paragraphs]
    assert "La liaison avec les organismes extérieurs (DRIRE, certificateurs,...)." in accepted


def test_docx_escapes_nothing_and_runs_nothing() -> None:
    _, ins, _ = _tracked(with_script_criterion())
    assert any("<script>document.title='pwned'</script>" in i for i in ins)  # stored as text in w:t


def test_pdf_without_chromium_says_how_to_get_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REFPIPE_CHROMIUM", "/nonexistent/chromium")
    with pytest.raises(ReportError, match=r"scripts/ensure_chromium\.sh.*--format html"):
        html_to_pdf("<p>rapport</p>")


def test_rncp_redline_shows_a_changed_fact_whole_and_code_lists_item_by_item() -> None:
    from pairs import PAIRS, report_of, versions_of

    from pipeline.diff.fulltext import document_lines

    old, new = versions_of(next(p for p in PAIRS if p.name.startswith("003")))
    lines = redline_document(old, new)
    changed = {"".join(s.text for s in ln.segments): ln.segments for ln in lines if ln.status is Status.CHANGED}
    date = next(segs for text, segs in changed.items() if text.startswith("Date de décision"))
    assert [(s.op, s.text) for s in date][1:] == [(Op.DELETE, "07/04/2017"), (Op.INSERT, "05/09/2017")]
    bloc3 = next(segs for text, segs in changed.items() if text.startswith("Capacités : C7"))
    assert [(s.op, s.text) for s in bloc3][1:] == [(Op.DELETE, "C7"), (Op.DELETE, ", "), (Op.EQUAL, "C8"),
                                                   (Op.INSERT, ", "), (Op.INSERT, "C9")]
    accepted = ["".join(s.text for s in ln.segments if s.op is not Op.DELETE) for ln in lines
                if ln.status is not Status.REMOVED]
    rejected = ["".join(s.text for s in ln.segments if s.op is not Op.INSERT) for ln in lines
                if ln.status is not Status.ADDED]
    assert sorted(accepted) == sorted(line.text for line in document_lines(new))
    assert sorted(rejected) == sorted(line.text for line in document_lines(old))
    assert "<del>07/04/2017</del> <ins>05/09/2017</ins>" in render_html(report_of(old, new), View.REDLINE)
