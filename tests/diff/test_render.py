"""The three report formats on the real pairs: JSON shape, French Markdown and escaped, offline HTML."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

from golden import FIXTURES
from pairs import report_001, report_of, with_script_criterion

from pipeline.diff.render_html import render_html
from pipeline.diff.render_json import render_json
from pipeline.diff.render_md import render_md
from pipeline.extract.export_xml import ExportReader
from pipeline.normalize.fiche_lists import split_lists
from pipeline.records import Document, Source


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


EXPORT_XML = FIXTURES / "rncp-export" / "export_fiches_RNCP_V4_1_2026-12-07.xml"


def _versions(tmp_path: Path, xml: str, new: str) -> tuple[Document, Document]:
    """RNCP90001 as the export ``xml`` gives it, then as ``new`` does."""
    docs = []
    for n, text in enumerate((xml, new)):
        path = tmp_path / f"export_fiches_RNCP_V4_1_2026-12-0{n + 7}.xml"
        path.write_text(text, encoding="utf-8")
        source = Source(str(path), str(n) * 64, "xml", None, 0)
        docs.append(split_lists(next(d for d in ExportReader(path, source) if d.rncp and d.rncp.code == "RNCP90001")))
    return docs[0], docs[1]


def test_a_fiche_diff_with_a_bloc_removed_renders_its_code_and_competences(tmp_path: Path) -> None:
    """`refpipe diff` crashed (KeyError: 'code') in md and html on a fiche that lost a bloc (or whose bloc was
    rewritten past recognition): an export bloc's content carries its code and compétence list."""
    xml = EXPORT_XML.read_text(encoding="utf-8")
    start = xml.index("<BLOC_COMPETENCES>", xml.index("RNCP90001BC01"))
    end = xml.index("</BLOC_COMPETENCES>", start) + len("</BLOC_COMPETENCES>")
    report = report_of(*_versions(tmp_path, xml, xml[:start] + xml[end:]))
    [removed] = [c for c in report.changes if c.kind.value == "removed"]
    assert dict(removed.detail)["code"] == "RNCP90001BC02"
    md = render_md(report)
    assert "Bloc de compétences 2 : supprimé" in md and "Code du bloc :\n\n- ~~RNCP90001BC02~~" in md
    assert "Compétences du bloc :\n\n- ~~Trier les mesures brutes" in md
    assert "Capacités du bloc" not in md  # an export bloc lists compétences: no empty capacity list
    html = render_html(report)
    assert "<p>Compétences du bloc :</p>" in html and "<del>RNCP90001BC02</del>" in html


def _fiche_versions(tmp_path: Path) -> tuple[Document, Document]:
    """RNCP90001 of the export fixture, then a version whose second bloc lost a compétence and gained another
    (the first bloc unchanged), whose apprenticeship jury and 2024 figures changed and which names a successor."""
    xml = EXPORT_XML.read_text(encoding="utf-8")
    new = (xml.replace("1.2 Rédiger le compte rendu d'essai", "1.2 Archiver les mesures validées")
           .replace("<NOMBRE_CERTIFIES>12<", "<NOMBRE_CERTIFIES>14<")
           .replace("- 2 professionnels du métier", "- 3 professionnels du métier")
           .replace("</ANCIENNES_CERTIFICATIONS>", "</ANCIENNES_CERTIFICATIONS><NOUVELLES_CERTIFICATIONS>"
                    "<NOUVELLE_CERTIFICATION><ID_FICHE_NOUVELLE_CERTIFICATION>RNCP90009"
                    "</ID_FICHE_NOUVELLE_CERTIFICATION></NOUVELLE_CERTIFICATION></NOUVELLES_CERTIFICATIONS>", 1))
    return _versions(tmp_path, xml, new)


def test_a_fiche_diff_names_the_bloc_of_a_changed_competence_and_the_version_2_fields_in_french(
        tmp_path: Path) -> None:
    """A compétence replaced in bloc 2 read "Bloc de compétences 2 : supprimé" (the compétence's number as the
    bloc's, as if the whole bloc went), and version-2 fields kept their English keys ("statistics.2024.certified")."""
    md = render_md(report_of(*_fiche_versions(tmp_path)))
    titles = re.findall(r"^### \d+\. (.*)$", md, re.M)
    assert "Bloc de compétences 2, compétence n° 2 : supprimée" in titles
    assert "Bloc de compétences 2, compétence n° 2 : ajoutée" in titles
    assert "Statistiques 2024, nombre de certifiés : valeur modifiée" in titles
    assert "Voie d'accès « en contrat d'apprentissage », composition du jury : valeur modifiée" in titles
    assert "Remplacée par la fiche : élément ajouté" in titles
    assert not [t for t in titles if re.search(r"\b(statistics|access_routes|replaced_by|partners)\b", t)]
    assert not [t for t in titles if re.fullmatch(r"Bloc de compétences \d+ : (supprimé|ajouté)", t)]
