"""The RNCP fiche parser: golden seeds, PDF-shaped layouts, and the small readers it is made of."""

from __future__ import annotations

import hashlib
from datetime import date

import pytest
from golden import FIXTURES, assert_matches_gold, load_gold

from pipeline.contract import rncp_to_json
from pipeline.errors import RejectedInput
from pipeline.extract import extract
from pipeline.extract.text import layout_from_text
from pipeline.normalize.dates import find_french_date, find_french_dates, parse_french_date
from pipeline.parse import parse
from pipeline.parse.rncp import parse_rncp
from pipeline.parse.rncp.blocks import block_capacities
from pipeline.parse.rncp.facts import history, registration
from pipeline.parse.rncp.items import read_coded, read_jobs, split_coded
from pipeline.parse.rncp.stream import Unit
from pipeline.records import (
    BBox,
    Block,
    BlockKind,
    Cell,
    CodedText,
    Document,
    Kind,
    Layout,
    Para,
    Provenance,
    RncpBlock,
    Source,
    Status,
    TextItem,
)

SEEDS = ("003_b7becefa6c01c81b", "004_753004672cef2017")

def source(name: str = "synthetic.pdf", fmt: str = "pdf") -> Source:
    return Source(path=name, sha256=hashlib.sha256(name.encode()).hexdigest(), format=fmt, pages=2, size=0)


class PdfLike:
    """Builds a layout the way a PDF front end would: pages, boxes, one block per line group."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.page, self.y = 1, 40.0

    def new_page(self) -> None:
        self.page, self.y = self.page + 1, 40.0

    def line(self, text: str, gap: bool = True, kind: BlockKind = BlockKind.PARAGRAPH) -> None:
        self.y += 16 if gap else 12
        self.blocks.append(Block(kind=kind, text=text, page=self.page, order=len(self.blocks),
                                 bbox=BBox(50, self.y, 50 + 5 * len(text), self.y + 10), gap_before=gap))

    def row(self, *cells: list[str] | str, columns: tuple[float, ...], table: int,
            header: bool = False) -> None:
        self.y += 20
        top = self.y
        built = []
        for k, content in enumerate(cells):
            lines = [content] if isinstance(content, str) else content
            x0, x1 = columns[k], columns[k + 1]
            paras = tuple(Para(text=t, page=self.page,
                               bbox=BBox(x0 + 2, top + 12 * j, x1 - 2, top + 12 * j + 10))
                          for j, t in enumerate(lines) if t)
            built.append(Cell(paras=paras, bbox=BBox(x0, top, x1, top + 12 * max(len(lines), 1))))
        self.y += 12 * max(len(c.paras) for c in built)
        self.blocks.append(Block(kind=BlockKind.TABLE_ROW, text=" | ".join(c.text for c in built),
                                 page=self.page, order=len(self.blocks),
                                 bbox=BBox(columns[0], top, columns[-1], self.y),
                                 cells=tuple(built), table=table, header=header))

    def layout(self) -> Layout:
        return Layout(source=source(), blocks=tuple(self.blocks))


def text_layout(text: str) -> Layout:
    return layout_from_text(text, source("synthetic.txt", "text"))


def unit(text: str, gap: bool = True, order: int = 0) -> Unit:
    return Unit(text=text, prov=Provenance(page=None, order=order), gap=gap)


# ---------------------------------------------------------------------------------------------- golden seeds


@pytest.mark.parametrize("stem", SEEDS)
def test_seed_matches_gold(stem: str) -> None:
    gold = load_gold(FIXTURES / "gold" / f"{stem}.json")
    doc = parse(extract(FIXTURES / "seeds" / f"{stem}.txt"))
    assert doc.kind is Kind.RNCP and doc.rncp is not None
    assert_matches_gold(rncp_to_json(doc.rncp), gold["rncp"], stem, "rncp")


def test_seed_003_says_why_overseas_is_unknown() -> None:
    doc = parse(extract(FIXTURES / "seeds" / "003_b7becefa6c01c81b.txt"))
    assert doc.status is Status.PARTIAL
    assert any(r.startswith("new_caledonia:") for r in doc.reasons)
    assert any(r.startswith("french_polynesia:") for r in doc.reasons)


def test_seed_004_is_fully_loaded() -> None:
    doc = parse(extract(FIXTURES / "seeds" / "004_753004672cef2017.txt"))
    assert doc.status is Status.LOADED and doc.reasons == ()


@pytest.mark.parametrize("stem", SEEDS)
def test_every_item_has_provenance_from_the_layout(stem: str) -> None:
    layout = extract(FIXTURES / "seeds" / f"{stem}.txt")
    fiche = parse_rncp(layout).rncp
    assert fiche is not None
    by_order = {b.order: b for b in layout.blocks}
    items: list[TextItem | CodedText | RncpBlock] = [
        *fiche.certifiers, *fiche.conventions, *fiche.nsf, *fiche.activities, *fiche.capacities, *fiche.jobs,
        *fiche.rome, *fiche.blocks]
    for item in items:
        assert item.prov.page is None
        assert item.prov.order in by_order
    first = fiche.capacities[0]
    assert first.code in by_order[first.prov.order].text


# ---------------------------------------------------------------------------------------------- PDF-shaped


def _pdf_fiche() -> Layout:
    pdf = PdfLike()
    pdf.line("Résumé descriptif de la certification Code RNCP : 28242")
    pdf.line("Intitulé")
    pdf.line("CQP : Certificat de qualification professionnelle Coordonnateur(trice) de système")
    pdf.line("qualité, sécurité, environnement (CQPM)", gap=False)
    cols = (50.0, 300.0, 550.0)
    pdf.row("AUTORITÉ RESPONSABLE DE LA CERTIFICATION", "QUALITÉ DU(ES) SIGNATAIRE(S) DE LA CERTIFICATION",
            columns=cols, table=1, header=True)
    pdf.row(["Commission paritaire nationale de l'emploi (CPNE) de la métallurgie",
             "- Union des industries et métiers de la métallurgie (UIMM)"],
            "Directeur emploi formation de l'UIMM", columns=cols, table=1)
    pdf.line("Code(s) NSF :")
    pdf.line("200r Contrôle qualité de produits et procédés industriels")
    pdf.line("Formacode(s) :")
    pdf.line("Résumé du référentiel d'emploi ou éléments de compétence acquis")
    pdf.line("A1. La participation à l’élaboration ou l’amélioration de la politique QSE")
    pdf.line("Les capacités attestées :")
    pdf.line("C1- Préparer les éléments pour définir ou améliorer une politique Q, S, E")
    pdf.line("C2- Décrire un processus nécessaire au fonctionnement de l’organisation (opérationnel,")
    pdf.line("support, management,...)", gap=False)
    pdf.line("Secteurs d'activité ou types d'emplois accessibles par le détenteur de ce diplôme, ce titre")
    pdf.line("ou ce certificat", gap=False)
    pdf.line("Le ou la titulaire de la qualification exerce ses activités au sein d'entreprises")
    pdf.line("industrielles ou connexes.", gap=False)
    pdf.new_page()
    pdf.line("Coordonnateur qualité-sécurité-environnement")
    pdf.line("Responsable qualité sécurité environnement", gap=False)
    pdf.line("(QSE)", gap=False)
    pdf.line("Codes des fiches ROME les plus proches :")
    pdf.line("H1502 : Management et ingénierie qualité industrielle")
    pdf.line("Bloc de compétence :")
    cols = (50.0, 200.0, 550.0)
    pdf.row("INTITULÉ", "DESCRIPTIF ET MODALITÉS D'ÉVALUATION", columns=cols, table=2, header=True)
    pdf.row(["Bloc de compétence n°1 de la", "fiche n° 28242 - L'analyse de la", "politique QSE"],
            ["Descriptif :", "Ce bloc de compétences reprend les capacités professionnelles suivantes :",
             "C1 Préparer les éléments pour définir ou améliorer une politique Q, S, E"],
            columns=cols, table=2)
    pdf.new_page()  # the row runs over the page: header repeated, then the rest of both columns
    pdf.row("INTITULÉ", "DESCRIPTIF ET MODALITÉS D'ÉVALUATION", columns=cols, table=2, header=True)
    pdf.row("en place", ["C2 Décrire un processus", "Modalités d'évaluation :", "C9 Pas du bloc"],
            columns=cols, table=2)
    pdf.row(["Bloc de compétence n°2 de la", "fiche n° 28242 - L'audit QSE"],
            ["Descriptif :", "Ce bloc de compétences reprend la capacité professionnelle suivante :",
             "7) Organiser le système d’audit Q, S, E 8) Réaliser un audit"], columns=cols, table=2)
    pdf.line("Validité des composantes acquises : illimitée")
    yes_no = (50.0, 300.0, 350.0, 400.0)
    pdf.row("", "OUI", "NON", columns=yes_no, table=3, header=True)
    pdf.row("Accessible en Nouvelle Calédonie", "", "X", columns=yes_no, table=3)
    pdf.row("Accessible en Polynésie Française", "X", "", columns=yes_no, table=3)
    pdf.line("Arrêté du 05 septembre 2017 publié au Journal Officiel du 21 avril 2017 portant")
    pdf.line("enregistrement. Pour cinq ans avec effet au 21 avril 2017, jusqu'au 21", gap=False)
    pdf.line("avril 2022.", gap=False)
    pdf.line("Cette qualification est délivrée en moyenne 1 200 fois par an")
    pdf.line("Historique de la certification :")
    pdf.line("Le CQPM « X » (CQPM 195) a été validé par le Groupe Technique Paritaire de la Métallurgie")
    pdf.line("en 2001, sous le n° 2001 01 89 0195.", gap=False)
    return pdf.layout()


def test_pdf_shaped_layout() -> None:
    doc = parse_rncp(_pdf_fiche())
    fiche = doc.rncp
    assert fiche is not None
    assert fiche.code == "RNCP28242"
    assert fiche.title == ("CQP : Certificat de qualification professionnelle Coordonnateur(trice) de "
                           "système qualité, sécurité, environnement (CQPM)")
    assert [c.text for c in fiche.certifiers] == [
        "Commission paritaire nationale de l'emploi (CPNE) de la métallurgie - Union des industries et "
        "métiers de la métallurgie (UIMM)"]
    assert [(n.code, n.text) for n in fiche.nsf] == [
        ("200r", "Contrôle qualité de produits et procédés industriels")]
    assert fiche.formacodes == () and fiche.conventions == ()
    assert [c.text for c in fiche.capacities][1].endswith("(opérationnel, support, management,...)")
    assert [j.text for j in fiche.jobs] == ["Coordonnateur qualité-sécurité-environnement",
                                           "Responsable qualité sécurité environnement (QSE)"]
    assert [(b.number, b.title, b.capacities) for b in fiche.blocks] == [
        (1, "L'analyse de la politique QSE en place", ("C1", "C2")),
        (2, "L'audit QSE", ("C7", "C8")),
    ]
    assert fiche.validity == "illimitée"
    assert (fiche.new_caledonia, fiche.french_polynesia) == (False, True)
    assert fiche.registration.decision == date(2017, 9, 5)
    assert fiche.registration.end == date(2022, 4, 21)
    assert fiche.awards_per_year == 1200
    assert fiche.history.cqpm_number == "0195" and fiche.history.first_validated == "2001"
    assert fiche.history.version_date is None  # no decision date and no "version actuelle": not guessed
    # provenance: pages and boxes of the lines and cells the items came from
    assert fiche.certifiers[0].prov.page == 1 and fiche.certifiers[0].prov.bbox is not None
    assert fiche.jobs[0].prov.page == 2
    wrapped = fiche.jobs[1].prov.bbox
    assert wrapped is not None and wrapped.bottom - wrapped.top > 10  # the box grew over the wrapped line
    assert fiche.blocks[0].prov.page is not None and fiche.blocks[0].prov.bbox is not None
    assert doc.status is Status.LOADED, doc.reasons


def test_overseas_mark_is_placed_by_box_when_cells_do_not_line_up() -> None:
    pdf = PdfLike()
    pdf.line("Code RNCP : 1234")
    cols = (50.0, 300.0, 350.0, 400.0)
    pdf.row("", "OUI", "NON", columns=cols, table=1, header=True)
    # a row whose empty cell was dropped: indexes no longer line up, boxes still do
    pdf.y += 20
    row = Block(kind=BlockKind.TABLE_ROW, text="Accessible en Nouvelle Calédonie | X", page=1,
                order=len(pdf.blocks), table=1,
                cells=(Cell(paras=(Para("Accessible en Nouvelle Calédonie"),),
                            bbox=BBox(50, pdf.y, 300, pdf.y + 10)),
                       Cell(paras=(Para("X"),), bbox=BBox(352, pdf.y, 398, pdf.y + 10))))
    pdf.blocks.append(row)
    fiche = parse_rncp(pdf.layout()).rncp
    assert fiche is not None and fiche.new_caledonia is False and fiche.french_polynesia is None


def test_overseas_by_cell_index_in_text_tables() -> None:
    layout = text_layout("Code RNCP : 1234\n\n\tOUI\tNON\nAccessible en Nouvelle Calédonie\tX\t\n"
                         "Accessible en Polynésie Française\t\tX\n")
    fiche = parse_rncp(layout).rncp
    assert fiche is not None and (fiche.new_caledonia, fiche.french_polynesia) == (True, False)


def test_overseas_without_columns_is_unknown_not_guessed() -> None:
    doc = parse_rncp(text_layout("Code RNCP : 1234\nOUI NON\nAccessible en Nouvelle Calédonie X\n"))
    assert doc.rncp is not None and doc.rncp.new_caledonia is None and doc.rncp.french_polynesia is None
    assert doc.status is Status.PARTIAL and any("new_caledonia" in r for r in doc.reasons)


def test_certifiers_take_the_authority_column_named_by_the_header() -> None:
    layout = text_layout("Code RNCP : 1234\n\n"
                         "QUALITÉ DU(ES) SIGNATAIRE(S)\tAUTORITÉ RESPONSABLE DE LA CERTIFICATION\n"
                         "Directeur général\tMinistère du travail\nPrésident\tCCI France\n\n"
                         "Niveau et/ou domaine d'activité\n")
    fiche = parse_rncp(layout).rncp
    assert fiche is not None and [c.text for c in fiche.certifiers] == ["Ministère du travail", "CCI France"]


def test_certifiers_without_columns_leave_the_signatory_out() -> None:
    layout = text_layout("Code RNCP : 1234\n"
                         "AUTORITÉ RESPONSABLE DE LA CERTIFICATION QUALITÉ DU(ES) SIGNATAIRE(S) DE LA\n"
                         "CERTIFICATION\n\nCommission paritaire nationale de la\nmétallurgie (UIMM)\n\n"
                         "Directeur emploi formation de\nl'UIMM\n\nNiveau et/ou domaine d'activité\n")
    fiche = parse_rncp(layout).rncp
    assert fiche is not None
    assert [c.text for c in fiche.certifiers] == ["Commission paritaire nationale de la métallurgie (UIMM)"]


# ---------------------------------------------------------------------------------------------- rejection


def test_fiche_without_rncp_code_is_rejected() -> None:
    layout = text_layout("Le Répertoire National des Certifications Professionnelles (RNCP)\n"
                         "Résumé descriptif de la certification\nIntitulé\nCQP : Quelque chose\n")
    with pytest.raises(RejectedInput) as exc:
        parse_rncp(layout)
    assert exc.value.path == "synthetic.txt" and "RNCP code" in exc.value.reason


def test_rncp_code_from_markdown_bold() -> None:
    doc = parse_rncp(text_layout("Résumé descriptif de la certification **Code RNCP : 28235**\n"))
    assert isinstance(doc, Document) and doc.rncp is not None and doc.rncp.code == "RNCP28235"


# ---------------------------------------------------------------------------------------------- readers


def test_block_capacities_reads_numbered_items_as_rncp_codes() -> None:
    text = ("Descriptif : Ce bloc de compétences reprend la capacité professionnelle suivante : "
            "7) Organiser le système d’audit Q, S, E 8) Réaliser un audit au regard d’un référentiel "
            "Modalités d’évaluation : 9) Ceci n'est plus dans le descriptif")
    assert block_capacities(text) == ("C7", "C8")


def test_block_capacities_inline_c_codes() -> None:
    text = "C1 Identifier les missions C2 Identifier les compétences C3 Identifier, C4 et C5 cités"
    assert block_capacities(text) == ("C1", "C2", "C3")


def test_block_title_wrapped_over_lines_in_a_text_dump() -> None:
    layout = text_layout("Code RNCP : 28242\nBloc de compétence n°3 de\nla fiche n° 28242 - L'audit\nQSE\n"
                         "\nDescriptif :\nCe bloc de compétences reprend la capacité professionnelle "
                         "suivante\n:\n"
                         "7) Organiser le système d’audit Q, S, E appliqué dans l’entreprise\n"
                         "8) Réaliser un audit au regard d’un référentiel interne ou externe\n"
                         "Modalités d’évaluation :\n")
    fiche = parse_rncp(layout).rncp
    assert fiche is not None
    assert [(b.number, b.title, b.capacities) for b in fiche.blocks] == [(3, "L'audit QSE", ("C7", "C8"))]


def test_coded_items_join_wrapped_lines() -> None:
    units = [unit("A1- La participation ;", order=1),
             unit("A3- Le management, en agissant sur les domaines qualité, sécurité,", order=2),
             unit("environnement ;", gap=False, order=3),
             unit("Une phrase après la liste", order=4)]
    items = read_coded(units, "A")
    assert [(i.code, i.text) for i in items] == [
        ("A1", "La participation"),
        ("A3", "Le management, en agissant sur les domaines qualité, sécurité, environnement"),
    ]
    assert items[1].prov.order == 2


def test_split_coded_inline_list() -> None:
    assert split_coded("C1. Identifier les missions C2. Identifier C2 Pas une coupure", "C") == [
        (1, "Identifier les missions"), (2, "Identifier C2 Pas une coupure")]
    assert split_coded("Les capacités : C4 Accompagner", "C") == [
        (None, "Les capacités :"), (4, "Accompagner")]


def test_jobs_skip_prose_and_join_wrapped_titles() -> None:
    units = [unit("Le ou la titulaire de la qualification exerce ses activités au sein d’entreprises"),
             unit("Coordonnateur qualité-sécurité-environnement", gap=False),
             unit("Chargé/e de prévention et de", gap=False),
             unit("sécurité,", gap=False),
             unit("Types d'emplois accessibles :"),
             unit("Responsable emploi et formation.")]
    assert [j.text for j in read_jobs(units)] == [
        "Coordonnateur qualité-sécurité-environnement", "Chargé/e de prévention et de sécurité",
        "Responsable emploi et formation"]


def test_registration_dates() -> None:
    reg = registration("Arrêté du 07 avril 2017 publié au Journal Officiel du 21 avril 2017 portant "
                       "enregistrement au répertoire national des certifications professionnelles. "
                       "Enregistrement pour cinq ans, sous l'intitulé \"X\" avec effet au 21 avril 2017, "
                       "jusqu'au 21 avril 2022.")
    assert (reg.decision, reg.journal_officiel, reg.effective, reg.end) == (
        date(2017, 4, 7), date(2017, 4, 21), date(2017, 4, 21), date(2022, 4, 21))
    assert registration("Référence du décret général :").decision is None


def test_history_current_version_and_first_validation() -> None:
    h = history("Le CQPM « Coordonnateur » (CQPM 0195) a été validé par le Groupe Technique Paritaire de "
                "la Métallurgie en 2001, sous le n° 2001 01 89 0195. La version actuelle a été validée par "
                "décision de la CPNE métallurgie du 9 janvier 2007. Elle a été conservée en Catégorie C*.")
    assert (h.cqpm_number, h.qualification_id, h.first_validated, h.version_date, h.category) == (
        "0195", "2001 01 89 0195", "2001", date(2007, 1, 9), "C*")
    h = history("Une étude a été menée en 2005. Le CQP « X » (CQPM 0264) a été validé par décision de la "
                "CPNE de la Métallurgie du 11 octobre 2007, sous le n° 2007 10 89 0264. Elle a été classée "
                "en Catégorie C*.")
    assert (h.first_validated, h.version_date) == ("2007", date(2007, 10, 11))
    assert history("") == history("Rien à signaler.")
    assert history("").cqpm_number is None


# ---------------------------------------------------------------------------------------------- dates


@pytest.mark.parametrize(("text", "expected"), [
    ("07 avril 2017", date(2017, 4, 7)),
    ("9 janvier 2007", date(2007, 1, 9)),
    ("1er août 2020", date(2020, 8, 1)),
    ("1er aout 2020", date(2020, 8, 1)),
    ("12 Février 2019", date(2019, 2, 12)),
    ("3 DÉCEMBRE 2018", date(2018, 12, 3)),
    ("21/04/2017", date(2017, 4, 21)),
    ("  21\u00a0avril   2022 ", date(2022, 4, 21)),
    ("31 février 2017", None),
    ("avril 2017", None),
    ("2017", None),
    ("", None),
    (None, None),
])
def test_parse_french_date(text: str | None, expected: date | None) -> None:
    assert parse_french_date(text) == expected


def test_find_french_dates_in_running_text() -> None:
    text = "Arrêté du 07 avril 2017 publié au Journal Officiel du 21 avril 2017, jusqu'au 30 février 2022"
    assert find_french_date(text) == date(2017, 4, 7)
    assert find_french_dates(text) == [date(2017, 4, 7), date(2017, 4, 21)]
    assert find_french_date("sans date") is None


# ---------------------------------------------------------------------------------------------- real PDFs


@pytest.mark.parametrize("pdf", sorted(p.name for p in (FIXTURES / "pdf").glob("00[34]_*.pdf")))
def test_pdf_fixture_matches_gold(pdf: str) -> None:
    """Both PDF layouts of both fiches give every field of their gold (the OUI/NON columns included)."""
    gold = load_gold(FIXTURES / "pdf" / pdf.replace(".pdf", ".gold.json"))
    doc = parse(extract(FIXTURES / "pdf" / pdf))
    assert doc.rncp is not None and doc.status is Status.LOADED
    assert_matches_gold(rncp_to_json(doc.rncp), gold["rncp"], pdf, "rncp")
