"""Text normalisation.

``clean`` makes text safe to store and show (it never changes words): Unicode NFC, ligatures
expanded, invisible characters dropped, whitespace collapsed.  ``comparison_key`` is the
contract's comparison form (casefolded, ’ → ', œ → oe, markup and trailing " ;.:" removed): it is
computed beside the text, never stored in its place.
"""

from __future__ import annotations

import html
import re
import unicodedata

_INVISIBLE_RE = re.compile("[\u00ad\u200b\u200c\u200d\u2060\ufeff\ufffe]")
_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LIGATURES = {"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "st", "ﬆ": "st"}
_LIGATURE_RE = re.compile("|".join(_LIGATURES))
_TAG_RE = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*\b[^<>]*>")
_GLYPH_RE = re.compile("[☐☑☒□■▪◻◼❏❐❑❒]")
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "´": "'", "`": "'"})


def clean(text: str) -> str:
    """Display-safe text: same words, canonical Unicode, single spaces; paragraphs a parser joined
    with a line break (the newer layout's environment, an activity's text) keep it."""
    text = unicodedata.normalize("NFC", text)
    text = _LIGATURE_RE.sub(lambda m: _LIGATURES[m.group()], text)
    text = _INVISIBLE_RE.sub("", text)
    lines = (_CONTROL_RE.sub(" ", line) for line in text.split("\n"))
    return "\n".join(squashed for line in lines if (squashed := " ".join(line.split())))


def _key_once(text: str) -> str:
    s = unicodedata.normalize("NFKC", html.unescape(text))
    s = _GLYPH_RE.sub(" ", _TAG_RE.sub(" ", s)).casefold().translate(_APOSTROPHES)
    s = s.replace("œ", "oe").replace("æ", "ae")
    # casefold can decompose a character that NFKC recomposes ("ẙ"): NFKC again, as NFKC_Casefold does
    s = unicodedata.normalize("NFKC", s)
    return " ".join(s.split()).rstrip(" ;.:,")


def comparison_key(text: str | None) -> str:
    """The form two texts are compared in (the contract's normalisation)."""
    if not text:
        return ""
    key = _key_once(text)
    for _ in range(3):  # a bounded walk to the fixed point: never a loop, whatever the input
        again = _key_once(key)
        if again == key:
            break
        key = again
    return key
