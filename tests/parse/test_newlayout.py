"""The newer CQPM layout through ingest's path (parse, normalise, load, show): every fixture scores 1.000
against its gold with the vendored scorer, and the rules behind the shapes one at a time."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pytest
from golden import FIXTURES

from pipeline.extract import extract
from pipeline.load import warehouse as wh
from pipeline.normalize.document import normalize_document
from pipeline.parse import extract_document, parse
from pipeline.parse.cqpm.columns import Columns, Role, header_roles, inline_role, role_of
from pipeline.parse.cqpm.table import read_units
from pipeline.query.show import show_json
from pipeline.records import Block, BlockKind, Cell, Para, Status

NEW = FIXTURES / "new-layout"
OURS = sorted(NEW.glob("nlx*.gold.json"))
SHARED_TEXT = sorted((NEW / "corpus").glob("*.conv*.gold.json"))
SHARED_PDF = sorted(p for p in (NEW / "corpus").glob("*.gold.json") if p not in SHARED_TEXT)  # the PDF styles


def _scorer() -> ModuleType:
    spec = importlib.util.spec_from_file_location("refpipe_score", FIXTURES / "score.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _shown(source: Path, warehouse: Path) -> dict[str, object]:
    """What `refpipe show --json` gives for the file after an ingest (parse, normalise, load, read back)."""
    doc = normalize_document(extract_document(source))
    con = wh.connect(warehouse)
    try:
        wh.load(doc, con)
        return show_json(con, doc.id)
    finally:
        con.close()


def _score(golds: list[Path], tmp_path: Path) -> float:
    gold_dir, pred_dir = tmp_path / "gold", tmp_path / "pred"
    gold_dir.mkdir()
    pred_dir.mkdir()
    for gold_path in golds:
        gold = json.loads(gold_path.read_text(encoding="utf-8"))
        source = gold_path.parent / Path(gold["source"]["path"]).name
        (gold_dir / gold_path.name).write_text(gold_path.read_text(encoding="utf-8"), encoding="utf-8")
        shown = _shown(source, tmp_path / "w.duckdb")
        (pred_dir / gold_path.name).write_text(json.dumps(shown, ensure_ascii=False), encoding="utf-8")
    overall, docs, missing = _scorer().score_docs(gold_dir, pred_dir)
    assert (docs, missing) == (len(golds), 0)
    return float(overall)


@pytest.mark.parametrize("gold", OURS, ids=lambda p: p.name.removesuffix(".gold.json"))
def test_our_fixture_reads_at_one(gold: Path, tmp_path: Path) -> None:
    assert _score([gold], tmp_path) == 1.0


def test_shared_text_conversions_read_at_one(tmp_path: Path) -> None:
    assert len(SHARED_TEXT) == 2
    assert _score(SHARED_TEXT, tmp_path) == 1.0


def test_shared_pdfs_read_at_one(tmp_path: Path) -> None:
    assert len(SHARED_PDF) == 4
    assert _score(SHARED_PDF, tmp_path) == 1.0


# ------------------------------------------------------------------------------------------ columns


def _row(*texts: str, header: bool = False) -> Block:
    cells = tuple(Cell(paras=(Para(text=t),) if t else ()) for t in texts)
    return Block(kind=BlockKind.TABLE_ROW, text=" | ".join(texts), page=None, order=0, cells=cells, header=header)


@pytest.mark.parametrize(("label", "role"), [
    ("Capacités professionnelles", Role.TITLE),
    ("Compétences", Role.TITLE),
    ("Référentiel de compétences", Role.TITLE),
    ("Conditions de réalisation", Role.CONDITIONS),
    ("Critères observables et/ou mesurables", Role.CRITERIA),
    ("Critères mesurables et observables avec niveau d’exigence", Role.CRITERIA),
    ("Critères observables et mesurables / résultats attendus", Role.CRITERIA),
    ("Critères d'évaluation", Role.CRITERIA),
    ("Résultats attendus", Role.EXPECTED),
    ("Modalités d’évaluatio n", Role.ASSESSMENT),  # a PDF header cell that broke a word
    ("Connaissances associées", Role.KNOWLEDGE),
    ("Savoirs associés", Role.KNOWLEDGE),
    ("Activités", Role.ACTIVITY),
    ("Évaluation", Role.EVALUATION),
    ("Observations", None),
])
def test_header_words_give_the_column_role(label: str, role: Role | None) -> None:
    assert role_of(label) is role


def test_a_header_is_read_whatever_the_column_order() -> None:
    columns = header_roles(_row("Compétences", "Critères mesurables et observables", "Conditions de réalisation",
                                "Résultats attendus", "Modalités d'évaluation"))
    assert columns is not None
    assert columns.roles == (Role.TITLE, Role.CRITERIA, Role.CONDITIONS, Role.EXPECTED, Role.ASSESSMENT)


def test_a_row_with_one_labelled_cell_is_content_not_a_header() -> None:
    assert header_roles(_row("Modalités d’évaluation : A – C", "", "", header=True)) is None
    assert inline_role("Modalités d’évaluation : A – C") == (Role.ASSESSMENT, "A – C")
    assert inline_role("Résultats attendus :") == (Role.EXPECTED, "")
    assert inline_role("Le diagnostic porte sur : deux technologies") is None


def test_unnumbered_competences_start_units_but_a_lone_column_label_does_not() -> None:
    rows = [_row("Compétences professionnelles"), _row("Préparer une charge"), _row("suite du titre coupé"),
            _row("Régler un bain")]
    units = read_units(rows, Columns((Role.TITLE,)), labels=False)
    assert [u.title for u in units] == ["Préparer une charge suite du titre coupé", "Régler un bain"]


# ------------------------------------------------------------------------------------------ documents


def test_a_cut_copy_with_the_title_block_is_partial_not_rejected(tmp_path: Path) -> None:
    text = (NEW / "nlx03_traitement-surface.modalites-5th.txt").read_text(encoding="utf-8")
    cut = tmp_path / "cut.txt"
    cut.write_text(text[:text.index("1.2. Interactions")], encoding="utf-8")
    doc = parse(extract(cut))
    assert doc.status is Status.PARTIAL
    assert doc.cqpm is not None and doc.cqpm.layout == "new"
    assert doc.cqpm.title == "Technicien(ne) de traitement de surface" and doc.cqpm.number == "0388"
    assert [a.title for a in doc.cqpm.activities] == ["La conduite d'une ligne de traitement",
                                                      "L'analyse et l'ajustement des bains"]
    assert doc.cqpm.capacities == ()
    assert any("2. REFERENTIEL DE COMPETENCES" in r for r in doc.reasons)


def test_a_competence_missing_from_section_three_keeps_its_title_and_makes_the_document_partial(
        tmp_path: Path) -> None:
    text = (NEW / "nlx03_traitement-surface.modalites-5th.txt").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.startswith("4. Corriger la composition")
             or "Calcul d'ajouts" in line]
    path = tmp_path / "missing.txt"
    path.write_text("\n".join(lines), encoding="utf-8")
    doc = parse(extract(path))
    assert doc.status is Status.PARTIAL and "compétence(s) 4" in doc.reasons[0]
    cap = doc.cqpm.capacities[3]
    assert cap.title == "Corriger la composition d'un bain et en assurer la traçabilité"
    assert (cap.criteria, cap.conditions, cap.block) == ((), (), 2)
    assert [k.text for k in cap.knowledge] == ["Calcul d'ajouts et de dilutions",
                                               "Registre des bains et traçabilité des ajouts"]


# ------------------------------------------------------------------------------------------ page 1 as printed
# Synthetic page-1 excerpts with the quirks real copies show (cut after section 1, as web hosts keep them):
# every one is a partial document with its header, title, activities, environment and interactions.

FLATTENED = (  # the whole page on one line; "Qualification : MQ" without its number; "1.3." lost to ")"
    "Page 1 sur 7 Commission paritaire nationale de l'emploi et de la formation professionnelle de la métallurgie "
    "Qualification : MQ Niveau : 3 Dernière Modification : 04/06/2020 REFERENTIEL DU CQPM Titre du CQPM : "
    "Conducteur(trice) de ligne de découpe 1. REFERENTIEL D ACTIVITES DU CQPM 1.1. Mission (s) et activités visées "
    "par la certification professionnelle Le (la) conducteur(trice) alimente une ligne de découpe de bobines et "
    "en surveille le fonctionnement. Les missions ou activités confiées au titulaire portent sur : - La préparation "
    "de la ligne - La conduite de la découpe 1.2. Environnement de travail Il (elle) travaille en atelier, en "
    "équipes alternées. ) Interactions dans l environnement de travail Le (la) titulaire rend compte au chef "
    "d'équipe.\n"
)
SPLIT_HEADER = """Commission paritaire nationale
l'emploi de la métallurgie
de

Qualification : MQ89 04 59 0021

Catégorie : B

Dernre Modification : 10/09/20

REFERENTIEL DU CQPM

Titre du CQPM : Opérateur(trice) de maintenance d'installations

1. REFERENTIEL D`ACTVITES DU CQPM

1.1. Mission (s) et activités visées par la qualification

Le (la) titulaire assure la maintenance courante d'installations automatisées.

Les missions ou activités du titulaire peuvent porter à titre d'exemples sur :

-

La maintenance de premier niveau

La surveillance des installations

1.2 Interactions dans l'environnement de travail

Il (elle) signale les anomalies au technicien de maintenance.
"""


@pytest.mark.parametrize(("text", "expected"), [
    (FLATTENED, {"title": "Conducteur(trice) de ligne de découpe", "number": None, "qualification_id": None,
                 "level": "3", "category": None, "last_modified": "2020-06-04",
                 "activities": ["La préparation de la ligne", "La conduite de la découpe"],
                 "objective": "Le (la) conducteur(trice) alimente une ligne de découpe de bobines et en surveille "
                              "le fonctionnement.",
                 "environment": "Il (elle) travaille en atelier, en équipes alternées.",
                 "interactions": "Le (la) titulaire rend compte au chef d'équipe."}),
    (SPLIT_HEADER, {"title": "Opérateur(trice) de maintenance d'installations", "number": "0021",
                    "qualification_id": "89 04 59 0021", "level": None, "category": "B",
                    "last_modified": "2020-09-10",
                    "activities": ["La maintenance de premier niveau", "La surveillance des installations"],
                    "objective": "Le (la) titulaire assure la maintenance courante d'installations automatisées.",
                    "environment": None,
                    "interactions": "Il (elle) signale les anomalies au technicien de maintenance."}),
], ids=["flattened", "split-header"])
def test_page_one_as_real_copies_print_it(text: str, expected: dict[str, object], tmp_path: Path) -> None:
    path = tmp_path / "page1.txt"
    path.write_text(text, encoding="utf-8")
    doc = parse(extract(path))
    assert doc.status is Status.PARTIAL and doc.cqpm is not None and doc.cqpm.layout == "new"
    c = doc.cqpm
    got = {"title": c.title, "number": c.number, "qualification_id": c.qualification_id, "level": c.level,
           "category": c.category, "last_modified": c.last_modified.isoformat() if c.last_modified else None,
           "activities": [a.title for a in c.activities], "objective": c.objective,
           "environment": c.environment, "interactions": c.interactions}
    assert got == expected
    assert [m.text for m in c.missions] == expected["activities"]
