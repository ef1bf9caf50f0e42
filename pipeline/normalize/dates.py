"""French dates as printed in fiches and référentiels: "07 avril 2017", "1er août 2020", "21/04/2017".

Reusable: ``parse_french_date`` reads a whole string, ``find_french_date`` the first date inside running
text, ``DATE_PATTERN`` embeds the date syntax in a larger regular expression.  An impossible date
("31 février 2017") is ``None``, never a guess.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

MONTHS: dict[str, int] = {
    "janvier": 1, "fevrier": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6,
    "juillet": 7, "aout": 8, "septembre": 9, "octobre": 10, "novembre": 11, "decembre": 12,
}

_MONTH_ALT = r"janvier|f[ée]vrier|mars|avril|mai|juin|juillet|ao[uû]t|septembre|octobre|novembre|d[ée]cembre"
# One date: "9 janvier 2007", "1er août 2020", "07/04/2017" (day first), "07.04.2017".
DATE_PATTERN = (
    rf"(?:(?:1\s?er|\d{{1,2}})\s+(?:{_MONTH_ALT})\s+\d{{4}}"
    r"|\d{1,2}[/.]\d{1,2}[/.]\d{4})"
)
_DATE_RE = re.compile(DATE_PATTERN, re.I)
_WORDS_RE = re.compile(rf"^(1\s?er|\d{{1,2}})\s+({_MONTH_ALT})\s+(\d{{4}})$", re.I)
_NUMERIC_RE = re.compile(r"^(\d{1,2})[/.](\d{1,2})[/.](\d{4})$")


def _strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def parse_french_date(text: str | None) -> date | None:
    """The date a whole string spells ("07 avril 2017" -> 2017-04-07), else ``None``."""
    if not text:
        return None
    s = " ".join(text.replace("\u00a0", " ").split())
    m = _WORDS_RE.match(s)
    if m:
        day = 1 if m.group(1).lower().startswith("1") and "er" in m.group(1).lower() else int(m.group(1))
        month = MONTHS[_strip_accents(m.group(2)).lower()]
        year = int(m.group(3))
    else:
        m = _NUMERIC_RE.match(s)
        if not m:
            return None
        day, month, year = int(m.group(1)), int(m.group(2)), int(m.group(3))
    try:
        return date(year, month, day)
    except ValueError:
        return None


def find_french_dates(text: str | None) -> list[date]:
    """Every valid date inside running text, in order."""
    if not text:
        return []
    text = text.replace("\u00a0", " ")
    return [d for d in (parse_french_date(m.group()) for m in _DATE_RE.finditer(text)) if d is not None]


def find_french_date(text: str | None) -> date | None:
    """The first valid date inside running text, else ``None``."""
    dates = find_french_dates(text)
    return dates[0] if dates else None


__all__ = ["DATE_PATTERN", "MONTHS", "find_french_date", "find_french_dates", "parse_french_date"]
