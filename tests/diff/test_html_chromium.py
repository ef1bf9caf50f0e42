"""The HTML report of a real pair, opened in headless Chromium: what a reader sees and prints.

Needs Debian's chromium (``scripts/ensure_chromium.sh`` installs it).  Without it the test is skipped
on a workstation and fails under CI (``CI=true``).
"""

from __future__ import annotations

import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pdfplumber
import pytest
from browser import REFPIPE, chromium_binary, run_chromium
from pairs import PAIRS, SCRIPT, expected, with_script_criterion

from pipeline.diff.render_html import render_html

pytestmark = pytest.mark.e2e  # a browser and refpipe subprocesses


@pytest.fixture(scope="module")
def chromium() -> str:
    return chromium_binary()


@pytest.fixture(scope="module")
def report_001(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``refpipe diff v1.pdf v2.pdf --format html --output …`` as a user runs it."""
    pair = next(p for p in PAIRS if p.name.startswith("001"))
    exp = expected(pair)
    work = tmp_path_factory.mktemp("html")
    out = work / "rapport.html"
    result = subprocess.run([str(REFPIPE), "diff", str(pair / exp["v1"]), str(pair / exp["v2"]), "--format",
                             "html", "--output", str(out), "--warehouse", str(work / "w.duckdb")],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return out


class _Marked(HTMLParser):
    """Text inside <del> and <ins>, and every tag name, of a DOM dump."""

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []
        self.tags: set[str] = set()
        self.text: dict[str, str] = {"del": "", "ins": ""}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        if tag in self.text:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.text and self.open:
            self.open.pop()
            self.text[tag] += " | "

    def handle_data(self, data: str) -> None:
        if self.open:
            self.text[self.open[-1]] += data


def test_rendered_dom_strikes_deleted_and_marks_inserted_words(chromium: str, report_001: Path,
                                                               tmp_path: Path) -> None:
    dom = run_chromium(chromium, tmp_path / "profile", "--dump-dom", report_001.as_uri()).stdout
    marked = _Marked()
    marked.feed(dom)
    assert "cohérentes" in marked.text["del"]
    assert "conformes" in marked.text["ins"]
    assert "Animer une réunion de suivi avec les parties prenantes du projet" in marked.text["ins"]
    assert "Les éléments tiennent compte, au minimum" in marked.text["del"]


def test_printed_report_shows_the_changes_in_french(chromium: str, report_001: Path, tmp_path: Path) -> None:
    pdf = tmp_path / "rapport.pdf"
    run_chromium(chromium, tmp_path / "profile", "--no-pdf-header-footer", f"--print-to-pdf={pdf}",
                 report_001.as_uri())
    with pdfplumber.open(pdf) as doc:
        text = " ".join(" ".join((page.extract_text() or "").split()) for page in doc.pages)
    for words in ("Comparaison de deux versions", "Résumé", "7 changement(s)",
                  "sont cohérentes conformes avec la politique", "Capacité 9 : ajoutée",
                  "Numérotation 8.3 8.3", "Capacité 4 : renumérotée"):
        assert words in text, words


def test_script_in_a_criterion_is_shown_as_text_not_run(chromium: str, tmp_path: Path) -> None:
    page = tmp_path / "hostile.html"
    page.write_text(render_html(with_script_criterion()), encoding="utf-8")
    dom = run_chromium(chromium, tmp_path / "profile", "--dump-dom", page.as_uri()).stdout
    marked = _Marked()
    marked.feed(dom)
    assert "script" not in marked.tags
    assert "pwned" not in dom.split("<title>")[1].split("</title>")[0]
    assert SCRIPT in marked.text["ins"].replace("&amp;", "&")
