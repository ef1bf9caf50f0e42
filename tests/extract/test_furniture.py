"""Page furniture: recognising header/footer lines and reading their values (pure functions on strings)."""

from __future__ import annotations

from datetime import date

import pytest

from pipeline.extract.furniture import (
    FurnitureCandidate,
    category,
    digit_key,
    furniture_signal,
    is_commission,
    last_modified,
    level,
    page_number,
    qualification,
    read_furniture,
    repeated_lines,
)
from pipeline.records import PageFurniture

# ---------------------------------------------------------------------------------------------- values


@pytest.mark.parametrize(("text", "expected"), [
    ("Qualification : MQ 2001 01 89 0195", ("2001 01 89 0195", "0195")),
    ("Qualification : 2001 01 89 0195", ("2001 01 89 0195", "0195")),
    ("Qualification: MQ 2001 01 89 0195", ("2001 01 89 0195", "0195")),
    ("2001 01 89 0195", ("2001 01 89 0195", "0195")),
    ("MQ 2001 01 89 0195", ("2001 01 89 0195", "0195")),
    ("MQ 1989 0021", ("1989 0021", "0021")),
    ("CQPM 2006 0248", ("2006 0248", "0248")),
    ("2000 04 59/35 0186", ("2000 04 59/35 0186", "0186")),
    ("Qualification : MQ 2000 04 59/35 0186", ("2000 04 59/35 0186", "0186")),
    ("2001\u00a001\u00a089\u00a00195", ("2001 01 89 0195", "0195")),
    ("CQPM 0195", (None, "0195")),
    ("CQPM n° 0195", (None, "0195")),
    ("Page 1 sur 6", (None, None)),
    ("Dernière modification : 09/01/2007", (None, None)),
])
def test_qualification_id_and_cqpm_number(text: str, expected: tuple[str | None, str | None]) -> None:
    assert qualification(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("Catégorie : C*", "C*"),
    ("Catégorie: C *", "C*"),
    ("Categorie : B", "B"),
    ("CATÉGORIE : A", "A"),
    ("Catégorie C*", "C*"),
    ("Catégorie socio-professionnelle", None),
    ("Niveau : 3", None),
])
def test_category(text: str, expected: str | None) -> None:
    assert category(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("Niveau : 3", "3"),
    ("Niveau: 4", "4"),
    ("NIVEAU : III", "III"),
    ("Catégorie : C* Niveau : 5", "5"),
    ("Niveau et/ou domaine d'activité", None),
    ("Catégorie : C*", None),
])
def test_level(text: str, expected: str | None) -> None:
    assert level(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("Dernière modification : 09/01/2007", date(2007, 1, 9)),
    ("Dernière Modification : 09/01/2007", date(2007, 1, 9)),
    ("Dernière modification : 09/01/07", date(2007, 1, 9)),
    ("DERNIERE MODIFICATION : 02/05/21", date(2021, 5, 2)),
    ("Derniere modification le 9.1.2007", date(2007, 1, 9)),
    ("Dernière modification : 11-10-2007", date(2007, 10, 11)),
    ("Dernière modification : 9 janvier 2007", date(2007, 1, 9)),
    ("Dernière modification :", None),
    ("Dernière modification : 31/02/2007", None),
    ("Qualification : 2001 01 89 0195", None),
])
def test_last_modified(text: str, expected: date | None) -> None:
    assert last_modified(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("Page 1 sur 6", (1, 6)),
    ("Page 1 / 6", (1, 6)),
    ("Page 1/6", (1, 6)),
    ("page 12 sur 170", (12, 170)),
    ("1/4", (1, 4)),
    ("Page 3", (3, None)),
    ("- 3 -", (3, None)),
    ("Page blanche", None),
    ("2001 01 89 0195", None),
])
def test_page_number(text: str, expected: tuple[int, int | None] | None) -> None:
    assert page_number(text) == expected


@pytest.mark.parametrize("text", [
    "COMMISSION PARITAIRE NATIONALE DE L'EMPLOI DE LA METALLURGIE",
    "COMMISION PARITAIRE NATIONALE DE L'EMPLOI DE LE METALLURGIE",
    "Commission Paritaire Nationale de l’Emploi de la Métallurgie",
    "COMMISSION PARITAIRE NATIONALE DE",  # the header split over two lines ...
    "L'EMPLOI DE LA METALLURGIE",  # ... and its second half
    "L’EMPLOI DE LE MÉTALLURGIE",
])
def test_commission_header_spellings(text: str) -> None:
    assert is_commission(text)
    assert furniture_signal(text)


@pytest.mark.parametrize("text", [
    "Page 2 sur 4", "Page 2 / 4", "2001 01 89 0195", "MQ 1989 0021", "CQPM 2006 0248", "2000 04 59/35 0186",
    "Qualification : MQ 2001 01 89 0195", "Catégorie : C*", "Niveau : 3", "Dernière Modification : 09/01/07",
    "RNCP 28242 – Résumé descriptif de la certification 1/4", "2001 01 89 0195 Page 1 sur 4",
])
def test_furniture_signal(text: str) -> None:
    assert furniture_signal(text)


@pytest.mark.parametrize("text", [
    "REFERENTIEL DU CQPM", "II REFERENTIEL DE CERTIFICATION", "Niveau et/ou domaine d'activité",
    "Le CQPM a été validé en 2001, sous le n° 2001 01 89 0195.", "", "Capacités professionnelles",
])
def test_body_text_is_not_furniture(text: str) -> None:
    assert not furniture_signal(text)


def test_read_furniture_from_the_real_cqpm_0195_header() -> None:
    lines = ["2001 01 89 0195", "Page 1 sur 4", "COMMISION PARITAIRE NATIONALE DE L'EMPLOI DE LE METALLURGIE",
             "Qualification : 2001 01 89 0195", "Catégorie : C*", "Dernière modification : 09/01/2007"]
    assert read_furniture(lines) == PageFurniture(number="0195", qualification_id="2001 01 89 0195",
                                                  category="C*", last_modified=date(2007, 1, 9), level=None)


def test_read_furniture_other_spellings() -> None:
    got = read_furniture(["Page 1 / 6", "MQ 1989 0021", "Catégorie : A", "Niveau : 3",
                          "Dernière Modification : 02/05/21"])
    assert got == PageFurniture(number="0021", qualification_id="1989 0021", category="A",
                                last_modified=date(2021, 5, 2), level="3")
    assert read_furniture(["CQPM 0248"]).number == "0248"
    assert read_furniture(["CQPM 0248", "Qualification : 2006 03 69 0248"]).qualification_id == "2006 03 69 0248"
    assert read_furniture(["2000 04 59/35 0186"]).number == "0186"
    assert read_furniture([]) == PageFurniture()


def test_read_furniture_label_and_value_split_over_two_lines() -> None:
    # build_layout also feeds consecutive lines joined, for a value printed under its label
    assert read_furniture(["Dernière modification :", "Dernière modification : 09/01/2007"]).last_modified \
        == date(2007, 1, 9)


# ---------------------------------------------------------------------------------------------- repetition


def test_digit_key_ignores_numbers_case_and_spacing() -> None:
    assert digit_key("Page 1 sur 4") == digit_key("PAGE  12 sur 40")
    assert digit_key("Page 1 sur 4") != digit_key("Capacités professionnelles")


def test_repeated_lines_need_the_same_height_on_most_pages() -> None:
    lines = [FurnitureCandidate(p, 30.0, 38.0, f"Page {p} sur 4") for p in range(1, 5)]
    lines += [FurnitureCandidate(1, 113.0, 128.0, "REFERENTIEL DU CQPM")]
    # a repeated table header: same text, but at 538 on page 1 and at 115 on pages 2-3 only
    lines += [FurnitureCandidate(1, 538.0, 547.0, "Capacités professionnelles")]
    lines += [FurnitureCandidate(p, 115.0, 124.0, "Capacités professionnelles") for p in (2, 3)]
    lines += [FurnitureCandidate(p, 824.0, 831.0, "RNCP 28242 – Résumé descriptif 1/4") for p in (1, 2, 3)]
    got = repeated_lines(lines, 4, min_share=0.75)
    assert got == {0, 1, 2, 3, 8, 9, 10}
    assert repeated_lines(lines[:1], 1) == set()  # one page: nothing can repeat
