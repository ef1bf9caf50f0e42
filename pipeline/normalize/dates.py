"""French dates as printed in fiches and référentiels: "07 avril 2017", "1er août 2020", "21/04/2017",
and in page furniture "9 janv. 2007", "09-01-07", "9.1.2007".

The one French date grammar of the pipeline (one month table, abbreviations included): ``parse_french_date``
reads a whole string, ``find_french_date(s)`` the dates inside running text, ``DATE_PATTERN`` embeds the
syntax in a larger regular expression.  Days come first; a two-digit year is 19xx from 70 on, else 20xx.
An impossible date ("31 février 2017") is ``None``, never a guess.
"""

from __future__ import annotations

import re
from datetime import date

from pipeline.normalize.text import fold

#: month names and the abbreviations printed in page furniture, accents off (look up ``fold(word)``)
MONTHS: dict[str, int] = {
    "janvier": 1, "fevrier": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6,
    "juillet": 7, "aout": 8, "septembre": 9, "octobre": 10, "novembre": 11, "decembre": 12,
    "janv": 1, "fev": 2, "fevr": 2, "avr": 4, "juil": 7, "sept": 9, "oct": 10, "nov": 11, "dec": 12,
}
_ACCENTED = {"e": "[eéèê]", "u": "[uûù]", "a": "[aàâ]"}
_MONTH_ALT = "|".join("".join(_ACCENTED.get(c, c) for c in name) for name in sorted(MONTHS, key=len, reverse=True))
_DAY = r"(?:1\s?er|\d{1,2})"
_WORDS = rf"(?<!\d)({_DAY})\s+({_MONTH_ALT})\.?\s+(\d{{4}})(?!\d)"
_NUMERIC = r"(?<!\d)(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{4}|\d{2})(?!\d)"
# One date, without groups, to embed: "9 janvier 2007", "1er août 2020", "07/04/2017", "9.1.07".
DATE_PATTERN = re.sub(r"\((?!\?)", "(?:", rf"(?:{_WORDS}|{_NUMERIC})")
_DATE_RE = re.compile(DATE_PATTERN, re.I)
_WORDS_RE = re.compile(_WORDS, re.I)
_NUMERIC_RE = re.compile(_NUMERIC)


def parse_french_date(text: str | None) -> date | None:
    """The date a whole string spells ("07 avril 2017" -> 2017-04-07), else ``None``."""
    if not text:
        return None
    s = " ".join(text.split())
    if m := _WORDS_RE.fullmatch(s):
        day = 1 if "er" in m.group(1).lower() else int(m.group(1))
        month, year = MONTHS[fold(m.group(2))], m.group(3)
    elif m := _NUMERIC_RE.fullmatch(s):
        day, month, year = int(m.group(1)), int(m.group(2)), m.group(3)
    else:
        return None
    full_year = int(year) if len(year) == 4 else int(year) + (1900 if int(year) >= 70 else 2000)
    try:
        return date(full_year, month, day)
    except ValueError:
        return None


def find_french_dates(text: str | None) -> list[date]:
    """Every valid date inside running text, in order."""
    if not text:
        return []
    text = " ".join(text.split())
    return [d for d in (parse_french_date(m.group()) for m in _DATE_RE.finditer(text)) if d is not None]


def find_french_date(text: str | None) -> date | None:
    """The first valid date inside running text, else ``None``."""
    dates = find_french_dates(text)
    return dates[0] if dates else None


__all__ = ["DATE_PATTERN", "MONTHS", "find_french_date", "find_french_dates", "parse_french_date"]
