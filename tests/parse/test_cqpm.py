"""The CQPM référentiel parser: golden seeds, then the rules one at a time on hand-built layouts."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from golden import FIXTURES, load_gold, norm, on_gold_keys

from pipeline.contract import cqpm_to_json
from pipeline.errors import RejectedInput
from pipeline.extract import extract
from pipeline.parse import parse
from pipeline.parse.cqpm import parse_cqpm
from pipeline.parse.cqpm.prose import drop_list_intro, merge_wrapped, read_section_one, read_title
from pipeline.records import (
    BBox,
    Block,
    BlockKind,
    Cell,
    Layout,
    Marker,
    PageFurniture,
    Para,
    Source,
    Status,
)

SEEDS = ("000_8d1bcbb53b7e0a76", "001_1b606db1c3205ecb", "002_59b883e404a36628")
HEADER = ("Capacités professionnelles", "Conditions de réalisation",
          "Critères observables et/ou mesurables avec niveau d'exigence")
BOX, BUL = Marker.CHECKBOX, Marker.BULLET


# ------------------------------------------------------------------------------------------ golden


@pytest.mark.parametrize("stem", SEEDS)
def test_seed_matches_its_gold(stem: str) -> None:
    gold = load_gold(FIXTURES / "gold" / f"{stem}.json")["cqpm"]
    doc = parse_cqpm(extract(FIXTURES / "seeds" / f"{stem}.txt"))
    got = on_gold_keys(cqpm_to_json(doc.cqpm), gold)
    assert doc.status is Status.LOADED and doc.reasons == ()
    assert set(gold) <= set(got)
    for key in gold:
        assert norm(got[key]) == norm(gold[key]), f"cqpm.{key} differs"


def test_seed_keeps_the_listed_capacities_where_the_table_wins() -> None:
    doc = parse_cqpm(extract(FIXTURES / "seeds" / "001_1b606db1c3205ecb.txt"))
    listed = {c.code: c.text for c in doc.cqpm.listed_capacities}
    assert list(listed) == [str(n) for n in range(1, 9)]
    assert "mise en oeuvre" in listed["6"]
    assert doc.cqpm.capacities[5].title.endswith("mise en œuvre d'outils de diagnostic et d'analyse pour "
                                                  "identifier les risques dans les domaines Q, S, E")


# ------------------------------------------------------------------------------------------ builders


def para(text: str, marker: Marker | None = None, page: int | None = None, bbox: BBox | None = None) -> Para:
    return Para(text=text, marker=marker, page=page, bbox=bbox)


def cell(*paras: Para | str) -> Cell:
    return Cell(paras=tuple(p if isinstance(p, Para) else para(p) for p in paras if p != ""))


def row(*cells: Cell | str, header: bool = False, page: int | None = None) -> Block:
    built = tuple(c if isinstance(c, Cell) else cell(c) for c in cells)
    return Block(kind=BlockKind.TABLE_ROW, text=" | ".join(c.text for c in built), page=page, order=0,
                 cells=built, table=1, header=header)


def prose(text: str, kind: BlockKind = BlockKind.PARAGRAPH, marker: str | None = None, gap: bool = True,
          page: int | None = None) -> Block:
    return Block(kind=kind, text=text, page=page, order=0, marker=marker, gap_before=gap)


def item(text: str, marker: str = "-", gap: bool = False) -> Block:
    return prose(text, BlockKind.LIST_ITEM, marker=marker, gap=gap)


def layout(*blocks: Block, furniture: PageFurniture | None = None) -> Layout:
    numbered = tuple(replace(b, order=i) for i, b in enumerate(blocks))
    source = Source(path="raw/test.txt", sha256="0" * 64, format="text", pages=None, size=0)
    return Layout(source=source, blocks=numbered, furniture=furniture or PageFurniture())


def referentiel(*rows: Block, furniture: PageFurniture | None = None) -> Layout:
    """A small classic référentiel around the given section II rows."""
    return layout(
        prose("REFERENTIEL DU CQPM"),
        prose("TITRE DU CQPM : Technicien de maintenance"),
        prose("I OBJECTIF PROFESSIONNEL DU CQPM"),
        prose("Le titulaire assure la maintenance des équipements. Il intervient notamment :"),
        item("en maintenance préventive ;", gap=True),
        item("en maintenance corrective."),
        prose("Pour cela, il (elle) doit être capable de :"),
        item("1) Réaliser une intervention", gap=True),
        prose("II REFERENTIEL DE CERTIFICATION"),
        *rows,
        prose("IV MODALITES D'EVALUATION"),
        prose("B) Définition des différentes modalités d'évaluation"),
        prose("a) Evaluation en situation professionnelle réelle"),
        furniture=furniture,
    )


def capacities(*rows: Block) -> list[dict[str, object]]:
    return cqpm_to_json(parse_cqpm(referentiel(*rows)).cqpm)["capacities"]


# ------------------------------------------------------------------------------------------ table


def test_continuation_rows_belong_to_the_capacity_above() -> None:
    caps = capacities(
        row(*HEADER, header=True),
        row("1. Réaliser une intervention.", "A partir d'un plan.", "Les consignes sont respectées."),
        row("", "", "Le compte rendu est renseigné."),
        row("", "Sur un équipement réel.", "La remise en service est vérifiée."),
        row("2. Diagnostiquer une défaillance", "Sur panne simulée.", "La démarche est méthodique."),
    )
    assert [c["number"] for c in caps] == [1, 2]
    assert caps[0]["title"] == "Réaliser une intervention"
    assert caps[0]["conditions"] == ["A partir d'un plan.", "Sur un équipement réel."]
    assert caps[0]["criteria"] == ["Les consignes sont respectées.", "Le compte rendu est renseigné.",
                                   "La remise en service est vérifiée."]
    assert caps[1]["criteria"] == ["La démarche est méthodique."]


def test_one_criterion_per_checkbox_with_bullets_kept_inside() -> None:
    crit = cell(para("Le plan tient compte :", BOX), para("du contexte,", BUL), para("des attentes.", BUL),
                para("Les actions sont formulées.", BOX))
    caps = capacities(row(*HEADER, header=True), row("1. Définir un plan", "A partir d'axes définis.", crit))
    assert caps[0]["criteria"] == ["Le plan tient compte : • du contexte, • des attentes.",
                                   "Les actions sont formulées."]


def test_without_checkboxes_one_criterion_per_row() -> None:
    first = cell("Les éléments tiennent compte :", para("du contexte,", BUL), para("des besoins.", BUL))
    caps = capacities(row(*HEADER, header=True), row("1. Préparer", "A partir de directives.", first),
                      row("", "", "Les résultats sont formalisés."))
    assert caps[0]["criteria"] == ["Les éléments tiennent compte : • du contexte, • des besoins.",
                                   "Les résultats sont formalisés."]


def test_a_row_starting_with_a_bullet_goes_on_with_the_criterion_above() -> None:
    first = cell(para("Le plan comporte :", BOX), para("un budget,", BUL))
    caps = capacities(row(*HEADER, header=True), row("1. Définir", "Cond.", first),
                      row("", "", cell(para("des délais.", BUL), para("Le plan est validé.", BOX))))
    assert caps[0]["criteria"] == ["Le plan comporte : • un budget, • des délais.", "Le plan est validé."]


def test_conditions_one_per_paragraph() -> None:
    conditions = cell("Les référentiels sont disponibles", "Le champ est déterminé")
    caps = capacities(row(*HEADER, header=True), row("1. Organiser", conditions, "C."))
    assert caps[0]["conditions"] == ["Les référentiels sont disponibles", "Le champ est déterminé"]


def test_fourth_column_gives_the_assessment() -> None:
    caps = capacities(row(*HEADER, "Modalités d'évaluation", header=True),
                      row("1. Préparer", "Cond.", "Crit. 1", "Présentation des projets appuyée de l'avis"),
                      row("", "", "Crit. 2", ""))
    assert caps[0]["assessment"] == ["Présentation des projets appuyée de l'avis"]
    assert caps[0]["criteria"] == ["Crit. 1", "Crit. 2"]
    assert capacities(row(*HEADER, header=True), row("1. Préparer", "Cond.", "Crit."))[0]["assessment"] == []


def test_columns_follow_the_header_not_the_position() -> None:
    caps = capacities(row("Capacités professionnelles", "Critères observables", "Conditions de réalisation",
                          header=True),
                      row("1. Préparer", "Le critère.", "La condition."))
    assert caps[0]["criteria"] == ["Le critère."] and caps[0]["conditions"] == ["La condition."]


def test_header_rows_are_skipped_even_when_repeated_or_unflagged() -> None:
    caps = capacities(row(*HEADER, header=True), row("1. Préparer", "Cond.", "Crit. 1"),
                      row(*HEADER, header=True), row("", "", "Crit. 2"),
                      row(*HEADER), row("2. Piloter", "Cond.", "Crit. 3"))
    assert [(c["number"], c["criteria"]) for c in caps] == [(1, ["Crit. 1", "Crit. 2"]), (2, ["Crit. 3"])]


def test_a_row_cut_by_a_page_break_is_joined_back() -> None:
    caps = capacities(
        row(*HEADER, header=True, page=1),
        row("1. Coordonner la mise en œuvre d'outils pour identifier les", "Les processus sont définis",
            "Le choix de la méthode (exemples : AMDEC, étude", page=1),
        row(*HEADER, header=True, page=2),
        row("risques Q, S, E.", "Les enjeux sont définis", "d'impacts) est justifié.", page=2),
        row("", "", "Les situations d'urgence sont décrites.", page=2),
    )
    assert caps[0]["title"] == "Coordonner la mise en œuvre d'outils pour identifier les risques Q, S, E"
    assert caps[0]["conditions"] == ["Les processus sont définis", "Les enjeux sont définis"]
    assert caps[0]["criteria"] == ["Le choix de la méthode (exemples : AMDEC, étude d'impacts) est justifié.",
                                   "Les situations d'urgence sont décrites."]


def test_provenance_uses_the_paragraph_page_and_box_else_the_block() -> None:
    box = BBox(10, 20, 200, 40)
    doc = parse_cqpm(referentiel(
        row(*HEADER, header=True, page=2),
        row(cell(para("1. Préparer", page=2, bbox=box)), "Cond.", cell(para("Crit.", BOX, page=3, bbox=box)),
            page=2)))
    cap = doc.cqpm.capacities[0]
    assert (cap.prov.page, cap.prov.bbox) == (2, box)
    assert (cap.criteria[0].prov.page, cap.criteria[0].prov.bbox) == (3, box)
    assert (cap.conditions[0].prov.page, cap.conditions[0].prov.bbox) == (2, None)
    assert doc.cqpm.missions[0].prov.page is None  # a text layout has no pages


# ------------------------------------------------------------------------------------------ prose


@pytest.mark.parametrize(("text", "objective"), [
    ("Il est l'interlocuteur privilégié. Dans ce cadre, le titulaire est amené à :",
     "Il est l'interlocuteur privilégié."),
    ("Ces missions peuvent porter à titre d'exemples non exhaustifs sur :", ""),
    ("Le titulaire agit (sources : internes, externes). Il coordonne.",
     "Le titulaire agit (sources : internes, externes). Il coordonne."),
])
def test_objective_drops_the_sentence_that_introduces_the_list(text: str, objective: str) -> None:
    assert drop_list_intro(text) == objective


def test_section_one_objective_missions_and_listed_capacities() -> None:
    one = read_section_one(layout(
        prose("Le coordonnateur agit sous une responsabilité."),
        prose("Les missions peuvent porter à titre d'exemples non exhaustifs sur :"),
        item("La participation à la politique QSE ;", gap=True),
        item("La liaison avec les organismes extérieurs (DRIRE,"),
        prose("certificateurs,...).", gap=False),  # a wrapped line
        prose("Pour cela, il (elle) doit être capable de :"),
        item("Préparer les éléments.", marker="1)", gap=True),
        item("2) Garantir la cohérence"),
        prose("Source : rapport Brundtland."),
    ).blocks)
    assert one.objective == "Le coordonnateur agit sous une responsabilité."
    assert [m.text for m in one.missions] == [
        "La participation à la politique QSE",
        "La liaison avec les organismes extérieurs (DRIRE, certificateurs,...)."]
    assert [(c.code, c.text) for c in one.listed_capacities] == [("1", "Préparer les éléments"),
                                                                  ("2", "Garantir la cohérence")]


def test_a_structural_line_is_never_taken_for_a_wrapped_one() -> None:
    merged = merge_wrapped([item("Conduire des plans d'actions."),
                            prose("Pour cela, il (elle) doit être capable de :", gap=False)])
    assert len(merged) == 2


def test_title_wrapped_or_on_the_line_after_its_label() -> None:
    wrapped = layout(prose("TITRE DU CQPM : Coordonnateur (trice) de système Q, S, E (Qualité, Sécurité,"),
                     prose("Environnement)", gap=False), prose("I OBJECTIF PROFESSIONNEL DU CQPM"))
    alone = layout(prose("TITRE DU CQPM :"), prose("Management d'équipe(s) autonome(s)"),
                   prose("I OBJECTIF PROFESSIONNEL DU CQPM"))
    assert read_title(wrapped.blocks) == ("Coordonnateur (trice) de système Q, S, E (Qualité, Sécurité, "
                                          "Environnement)")
    assert read_title(alone.blocks) == "Management d'équipe(s) autonome(s)"


def test_assessment_methods_in_order_past_footnotes_until_the_next_part() -> None:
    doc = parse_cqpm(layout(
        prose("TITRE DU CQPM : T"), prose("I OBJECTIF PROFESSIONNEL DU CQPM"), prose("Objectif."),
        prose("II REFERENTIEL DE CERTIFICATION"), row(*HEADER, header=True), row("1. Cap", "Cond.", "Crit."),
        prose("IV MODALITES D'EVALUATION"), prose("IV.2 Mise en œuvre des modalités d'évaluation"),
        prose("A) Validation des capacités professionnelles"),
        item("a) des différentes évaluations", gap=True),  # not under B): not a method
        prose("B) Définition des différentes modalités d'évaluation"),
        prose("a) Présentation des projets ou activités réalisés en milieu professionnel"),
        prose("Le candidat transmet un rapport."),
        prose("Le terme générique « candidat » est utilisé.", kind=BlockKind.FOOTNOTE),
        prose("b) Evaluation à partir d'une situation professionnelle reconstituée"),
        prose("c) Avis de l'entreprise"),
        prose("C) Résultats"), prose("a) Pas une modalité")))
    assert [m.text for m in doc.cqpm.assessment_methods] == [
        "Présentation des projets ou activités réalisés en milieu professionnel",
        "Evaluation à partir d'une situation professionnelle reconstituée", "Avis de l'entreprise"]


def test_metadata_comes_from_the_page_furniture_only() -> None:
    furniture = PageFurniture(number="0195", qualification_id="2001 01 89 0195", category="C*",
                              last_modified=date(2007, 1, 9))
    got = cqpm_to_json(parse_cqpm(referentiel(row(*HEADER, header=True), row("1. Cap", "Cond.", "Crit."),
                                              furniture=furniture)).cqpm)
    assert (got["number"], got["qualification_id"], got["category"], got["last_modified"], got["level"]) == (
        "0195", "2001 01 89 0195", "C*", "2007-01-09", None)
    plain = cqpm_to_json(parse_cqpm(referentiel(row("1. Cap", "Cond.", "Crit."))).cqpm)
    keys = ("number", "qualification_id", "category", "last_modified", "level")
    assert [plain[k] for k in keys] == [None] * 5


# ------------------------------------------------------------------------------------------ layouts


def test_newer_layout_with_a_grid_and_methods_in_full_is_read() -> None:
    """Section 2 as an "Activités | Compétences" grid with unnumbered compétences, section 3 with
    "Critères d'évaluation | Modalités d'évaluation" (names in full): both read by their column words."""
    doc = parse(extract(FIXTURES / "cqpm_activites.txt"))
    assert doc.status is Status.LOADED, doc.reasons
    cqpm = doc.cqpm
    assert cqpm.layout_variant == "activites" and cqpm.layout == "new"
    assert cqpm.title == "Opérateur(trice) régleur(euse) en usinage"
    assert [m.text for m in cqpm.missions] == ["La préparation de la fabrication",
                                               "Le réglage des machines d'usinage",
                                               "La production de pièces conformes et l'autocontrôle."]
    assert cqpm.objective is not None and cqpm.objective.startswith("Le titulaire du CQPM réalise")
    assert cqpm.environment == "Atelier de production, en équipe." and cqpm.interactions is None
    assert [(b.number, b.title, b.capacities) for b in cqpm.blocks] == [
        (1, "La préparation de la fabrication", (1,))]
    (cap,) = cqpm.capacities
    assert (cap.number, cap.title, cap.block) == (1, "Préparer les moyens nécessaires à la fabrication", 1)
    assert [c.text for c in cap.criteria] == ["Les documents de fabrication sont exploités."]
    assert [a.text for a in cap.assessment] == ["Evaluation en situation professionnelle réelle"]


def test_without_capacity_table_a_referentiel_showing_its_title_is_partial() -> None:
    """A cut copy (the title block, section I, no table) keeps what it shows and says what it misses."""
    cut = parse_cqpm(referentiel())
    assert cut.status is Status.PARTIAL and cut.cqpm.capacities == ()
    assert cut.cqpm.title == "Technicien de maintenance" and cut.cqpm.objective is not None
    assert "without a section II capacity table" in cut.reasons[0] and "capacities not read" in cut.reasons[0]
    unnumbered = parse_cqpm(referentiel(row(*HEADER, header=True, page=3), row("Préparer", "Cond.", "Crit.", page=3)))
    assert unnumbered.status is Status.PARTIAL and "no numbered capacity" in unnumbered.reasons[0]


def test_without_title_nor_capacity_table_the_referentiel_is_rejected() -> None:
    untitled = layout(prose("REFERENTIEL DU CQPM"), prose("I OBJECTIF PROFESSIONNEL DU CQPM"), prose("Objectif."),
                      prose("II REFERENTIEL DE CERTIFICATION"), row(*HEADER, header=True, page=3),
                      row("Préparer", "Cond.", "Crit.", page=3))
    with pytest.raises(RejectedInput, match="no numbered capacity") as no_caps:
        parse_cqpm(untitled)
    assert no_caps.value.path == "raw/test.txt" and no_caps.value.page == 3
    with pytest.raises(RejectedInput, match="without a section II capacity table"):
        parse_cqpm(layout(prose("REFERENTIEL DU CQPM"), prose("I OBJECTIF PROFESSIONNEL DU CQPM"), prose("Objectif.")))


def test_missing_section_four_is_not_a_partial_read() -> None:
    head = (prose("TITRE DU CQPM : T"), prose("I OBJECTIF PROFESSIONNEL DU CQPM"), prose("Objectif."),
            prose("II REFERENTIEL DE CERTIFICATION"), row("1. Cap", "Cond.", "Crit."))
    absent = parse_cqpm(layout(*head))
    assert absent.status is Status.LOADED and absent.cqpm.assessment_methods == ()
    unread = parse_cqpm(layout(*head, prose("IV MODALITES D'EVALUATION"), prose("Texte sans modalités.")))
    assert unread.status is Status.PARTIAL and "assessment methods" in unread.reasons[0]
