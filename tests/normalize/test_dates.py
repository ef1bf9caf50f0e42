"""The one French date grammar: fiche dates ("1er août 2020") and page-furniture spellings ("9.1.07")."""

from __future__ import annotations

from datetime import date

import pytest

from pipeline.normalize.dates import DATE_PATTERN, MONTHS, find_french_date, find_french_dates, parse_french_date


@pytest.mark.parametrize(("text", "expected"), [
    ("09/01/2007", date(2007, 1, 9)),
    ("09/01/89", date(1989, 1, 9)),
    ("9.1.07", date(2007, 1, 9)),
    ("09 - 01 - 2007", date(2007, 1, 9)),
    ("1er mars 2010", date(2010, 3, 1)),
    ("le 7 avril 2017", date(2017, 4, 7)),
    ("modifié le 9 janv. 2007", date(2007, 1, 9)),
    ("12 févr 2019", date(2019, 2, 12)),
    ("3 DÉC. 2018", date(2018, 12, 3)),
    ("pas de date", None),
    ("version 2017-0412", None),
    ("31/02/2007", None),
])
def test_find_french_date_reads_furniture_and_fiche_spellings(text: str, expected: date | None) -> None:
    assert find_french_date(text) == expected


def test_a_whole_string_must_be_a_date_and_the_pattern_embeds_without_groups() -> None:
    assert parse_french_date("le 7 avril 2017") is None
    assert parse_french_date("7 avril 2017") == date(2017, 4, 7)
    assert find_french_dates("du 1er août 2020 au 31/07/25") == [date(2020, 8, 1), date(2025, 7, 31)]
    import re
    assert re.compile(f"({DATE_PATTERN})").groups == 1
    assert set(MONTHS.values()) == set(range(1, 13))
