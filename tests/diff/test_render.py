"""The three report formats on the real pairs: JSON shape, French Markdown and escaped, offline HTML."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

from pairs import report_001, with_script_criterion

from pipeline.diff.render_html import render_html
from pipeline.diff.render_json import render_json
from pipeline.diff.render_md import render_md


def test_json_has_the_contract_shape() -> None:
    data = json.loads(render_json(report_001()))
    assert data["summary"] == {"total": 7, "added": 2, "removed": 1, "changed": 2, "moved": 2}
    assert {"kind", "entity", "key", "old", "new"} <= set(data["changes"][0])
    field = next(c for c in data["changes"] if c["entity"] == "field")
    assert (field["key"], field["old"], field["new"]) == ("last_modified", None, "2021-05-02")
    assert data["old"]["version"] == 1 and data["new"]["version"] == 2


def test_markdown_is_french_with_a_word_level_redline() -> None:
    md = render_md(report_001())
    assert "## Résumé" in md and "7 changement(s)" in md
    assert "sont ~~cohérentes~~ **conformes** avec" in md
    assert "Capacité 9 : ajoutée" in md and "Numérotation : 8.3 → 8.3" in md


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.urls: list[str] = []
        self.stack: list[str] = []
        self.marked: dict[str, list[str]] = {"del": [], "ins": []}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.stack.append(tag)
        self.urls += [v for k, v in attrs if k in ("src", "href") and v]

    def handle_endtag(self, tag: str) -> None:
        if self.stack and self.stack[-1] == tag:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if self.stack and self.stack[-1] in self.marked:
            self.marked[self.stack[-1]].append(data)


def test_html_is_self_contained_french_and_marks_words() -> None:
    page = render_html(report_001())
    parser = _Collect()
    parser.feed(page)
    assert '<html lang="fr">' in page and "@media print" in page
    assert "script" not in parser.tags and not parser.urls  # nothing to run, nothing to fetch
    assert "cohérentes" in parser.marked["del"] and "conformes" in parser.marked["ins"]
    assert re.search(r"<th>Numérotation</th><td>8\.3</td><td>8\.3</td>", page)
    assert re.search(r"<th>Page</th><td>3</td><td>3</td>", page)


def test_document_text_is_escaped_everywhere() -> None:
    report = with_script_criterion()
    assert len(report.changes) == 1
    page = render_html(report)
    parser = _Collect()
    parser.feed(page)
    assert "script" not in parser.tags and "b" not in parser.tags
    assert "&lt;script&gt;document.title=&#x27;pwned&#x27;&lt;/script&gt;" in page
    assert "&amp; restent" in page
    md = render_md(report)
    assert "\\<script\\>" in md and "<script>" not in md
