"""The France Compétences fiche page in every form users bring it (saved HTML, the three text copies,
a browser-printed PDF, a copy cut short), each read against its hand-written gold with the vendored
conformance scorer (version-2 keys included)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest
from golden import FIXTURES, load_gold

from pipeline.contract import document_to_json
from pipeline.extract.sniff import sniff_format
from pipeline.parse import extract_document
from pipeline.records import Status

PAGES = FIXTURES / "rncp-page"
RENDERINGS = ["RNCP34917.html", "RNCP34917.icons.txt", "RNCP34917.pipes.md", "RNCP34917.pipes-leading.md",
              "RNCP34917.nfiche.txt", "RNCP34917.print.pdf", "RNCP34917.print-hrules.pdf", "RNCP34917.cut.txt"]


def _scorer() -> Any:
    spec = importlib.util.spec_from_file_location("refpipe_score", FIXTURES / "score.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("refpipe_score", module)
    spec.loader.exec_module(module)
    return module


SCORE = _scorer()


def gold_of(name: str) -> dict[str, Any]:
    stem = name.rsplit(".", 1)[0]
    return load_gold(PAGES / f"{stem}.gold.json")


@pytest.mark.parametrize("name", RENDERINGS)
def test_rendering_reads_at_1000_against_its_gold(name: str) -> None:
    gold = gold_of(name)
    pred = document_to_json(extract_document(PAGES / name))
    stats, differences = SCORE.score_doc(gold, pred)
    total = SCORE.Stats()
    for s in stats.values():
        total.add(s)
    assert differences == [], "\n".join(differences)
    every = sum(s.tp for s in SCORE.score_doc(gold, gold)[0].values())  # every key of the gold, v2 included
    assert total.f1 == 1.0 and total.tp == every and every >= 50
    assert pred["status"] == gold.get("status", "loaded"), pred["reasons"]


def test_a_copy_cut_short_is_partial_with_what_it_shows() -> None:
    doc = extract_document(PAGES / "RNCP34917.cut.txt")
    assert doc.status is Status.PARTIAL
    assert doc.rncp is not None and doc.rncp.code == "RNCP34917"
    assert any("cut short" in r and "Voies d'accès" in r for r in doc.reasons), doc.reasons
    assert [b.code for b in doc.rncp.blocks] == ["RNCP34917BC01"]  # the bloc it was cut in, as far as it goes


@pytest.mark.parametrize("name", ["RNCP34917.html", "RNCP34917.icons.txt", "RNCP34917.pipes.md",
                                  "RNCP34917.pipes-leading.md", "RNCP34917.nfiche.txt"])
def test_a_copy_cut_inside_the_access_routes_table_is_partial(name: str, tmp_path: Path) -> None:
    """Cut after its "professionnalisation" row: every label the page always prints is there, but the rows after,
    the statistics, the JO date and the old versions are lost: partial, not loaded."""
    text = (PAGES / name).read_text(encoding="utf-8")
    cut = tmp_path / name
    cut.write_text(text[:text.index("professionnalisation", text.index("Composition des Jurys")) + 25],
                   encoding="utf-8")
    doc = extract_document(cut)
    assert doc.status is Status.PARTIAL and doc.rncp is not None, doc.reasons
    assert doc.rncp.statistics == () and doc.rncp.replaces == ()
    assert any("cut short" in r and "Par expérience" in r for r in doc.reasons), doc.reasons


def test_the_three_text_copies_and_the_page_give_the_same_fiche() -> None:
    docs = [document_to_json(extract_document(PAGES / n))["rncp"] for n in RENDERINGS[:-1]]
    keys = ("code", "active", "level", "replaces", "replaced_by", "access_routes", "statistics")
    for d in docs[1:]:
        assert {k: d[k] for k in keys} == {k: docs[0][k] for k in keys}


def test_an_xhtml_page_in_latin1_reads_like_the_html_one(tmp_path: Path) -> None:
    """The same page saved as XHTML with an XML declaration, in windows-1252: same fiche, a note says so."""
    text = (PAGES / "RNCP34917.html").read_text("utf-8").replace("’", "'")  # cp1252 has no ’ in latin-1 range
    path = tmp_path / "page.xhtml"
    path.write_bytes(('<?xml version="1.0" encoding="windows-1252"?>\n' + text).encode("cp1252"))
    doc = extract_document(path)
    assert doc.source.format == "html" and any("Latin-1" in r for r in doc.reasons)
    expected = document_to_json(extract_document(PAGES / "RNCP34917.html"))["rncp"]
    assert SCORE.score_doc({"kind": "rncp", "rncp": expected}, document_to_json(doc))[1] == []


def test_a_page_saved_as_a_single_file_mhtml_reads_like_the_html(tmp_path: Path) -> None:
    from email.message import EmailMessage

    message = EmailMessage()
    message["From"] = "<Saved by Blink>"
    message["Subject"] = "RNCP34917 - France compétences"
    message.make_mixed()
    message.add_attachment((PAGES / "RNCP34917.html").read_text("utf-8"), subtype="html", cte="quoted-printable")
    message.add_attachment(b"\x89PNG\r\n", maintype="image", subtype="png", filename="icon.png")
    data = message.as_bytes().replace(b"multipart/mixed", b"multipart/related", 1)
    assert sniff_format(data, "page.mhtml") == "mhtml"
    path = tmp_path / "page.mhtml"
    path.write_bytes(data)
    doc = extract_document(path)
    assert doc.source.format == "html" and doc.status is Status.LOADED, doc.reasons
    expected = document_to_json(extract_document(PAGES / "RNCP34917.html"))["rncp"]
    assert SCORE.score_doc({"kind": "rncp", "rncp": expected}, document_to_json(doc))[1] == []


def test_a_page_without_its_number_is_rejected_with_a_reason(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text("<!DOCTYPE html><html><body><h2>Une page</h2><p>Bonjour</p></body></html>", "utf-8")
    from pipeline.errors import RejectedInput

    with pytest.raises(RejectedInput, match="not a CQPM référentiel or RNCP fiche"):
        extract_document(page)


BLOC_PAGE = """<!DOCTYPE html><html><body>
<h2 class="title--page--generic">CQP Monteur(se) de faisceaux (CQPM)</h2>
<p><span>N° de fiche</span> <span>RNCP40001</span></p><p><span>Etat :</span> <span>Active</span></p>
<button class="accordion--fcpt-certification__button">Blocs de compétences</button>
<p class="text--fcpt-certification__title">RNCP40001BC01 - Montage des faisceaux</p>
<table><thead><tr><th>Liste de compétences</th><th>Modalités d'évaluation</th></tr></thead>
<tbody><tr><td><ul><li>Préparer les fils :<ul><li>couper à longueur</li><li>dénuder</li></ul></li>
<li>Sertir les contacts</li></ul></td><td><p>Mise en situation.</p></td></tr></tbody></table>
</body></html>"""

BLOC_COPY = """CQP Monteur(se) de faisceaux (CQPM)
N° de fiche
RNCP40001
Etat :
Active
Blocs de compétences
RNCP40001BC01 - Montage des faisceaux
Liste de compétences  Modalités d'évaluation
  • Préparer les fils :
    ◦ couper à longueur
    ◦ dénuder
  • Sertir les contacts
Mise en situation.
"""


@pytest.mark.parametrize(("name", "content"), [("page.html", BLOC_PAGE), ("copie.txt", BLOC_COPY)])
def test_sub_items_stay_inside_their_competence(tmp_path: Path, name: str, content: str) -> None:
    path = tmp_path / name
    path.write_text(content, "utf-8")
    doc = extract_document(path)
    assert doc.rncp is not None and doc.rncp.active is True
    (bloc,) = doc.rncp.blocks
    assert [c.text for c in bloc.competences] == ["Préparer les fils : couper à longueur dénuder",
                                                  "Sertir les contacts"]
    assert bloc.assessment == "Mise en situation."
    assert doc.status is Status.PARTIAL  # a fragment: no level, échéance, certifiers, voies d'accès


def test_older_layout_without_siret_column_and_sans_niveau() -> None:
    doc = extract_document(PAGES / "RNCP28301.nfiche.txt")
    assert doc.status is Status.LOADED, doc.reasons
    r = doc.rncp
    assert r is not None and r.active is False and r.level is None  # "Sans niveau – …" is no level
    assert [(c.name, c.siret) for c in r.certifier_details] == [
        ("Commission paritaire nationale de l’emploi (CPNE) de la métallurgie – Union des industries et métiers "
         "de la métallurgie (UIMM)", None)]
    assert [(c.code, c.text) for c in r.conventions] == [("3109", "Métallurgie")]  # "CCN2 : -" is none
    assert r.registration.end is not None and r.registration.end.isoformat() == "2019-12-31"  # "échance"


@pytest.mark.parametrize("name", ["RNCP34917.html", "RNCP34917.icons.txt", "RNCP34917.pipes.md",
                                  "RNCP34917.pipes-leading.md", "RNCP34917.nfiche.txt"])
@pytest.mark.parametrize(("cut_after", "lost"), [
    ("Pour plus d'informations", "statistics"),  # the accordion's heading, nothing under it
    ("Statistiques", "statistics"),
    ("Année d'obtention de la cer", "statistics"),  # inside the statistics table's header
    ("Journal Officiel ou Bulletin Officiel", "journal"),  # the JO date's label, not its date
    ("Anciennes versions de la certification professionnelle", "replaces"),
])
def test_a_copy_cut_after_the_access_routes_table_is_partial(name: str, cut_after: str, lost: str,
                                                             tmp_path: Path) -> None:
    """Cut on a heading or inside the statistics, the JO date or the old versions, after a whole "Voies d'accès"
    table: it loaded as complete, without what the copy lost."""
    text = (PAGES / name).read_text(encoding="utf-8")
    cut = tmp_path / name
    cut.write_text(text[:text.index(cut_after) + len(cut_after)], encoding="utf-8")
    doc = extract_document(cut)
    assert doc.status is Status.PARTIAL and doc.rncp is not None, doc.reasons
    assert any(r.startswith("copy cut short: it ends") for r in doc.reasons), doc.reasons
    assert len([r for r in doc.rncp.access_routes if r.open is not None]) == 6
    fiche = doc.rncp
    assert {"statistics": fiche.statistics, "journal": fiche.registration.journal_officiel,
            "replaces": fiche.replaces}[lost] in ((), None)
