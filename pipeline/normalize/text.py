"""Text normalisation: the one place where text is cleaned and folded for comparison.

``clean`` makes text safe to store and show (it never changes words): Unicode NFC, ligatures
expanded, invisible characters dropped, whitespace collapsed.  ``comparison_key`` is the
contract's comparison form (casefolded, ’ → ', œ → oe, markup and trailing " ;.:" removed): it is
computed beside the text, never stored in its place.

Every stage that matches words folds them here, in one of three forms whose semantics really differ:

* ``fold``: the comparison key without accents ("Élaboration :" → "elaboration"); what parsers match
  headings, labels and keywords against, and what search indexes.
* ``fold_token``: one word or punctuation token in comparison form (case, apostrophes, œ/æ) with
  nothing removed, so "." and "," stay different tokens (the diff's redline compares tokens).
* ``fold_aligned``: lower case, accents off, apostrophes straightened, one character for one
  character, so an offset found in the folded text slices the original (the RNCP parser cuts printed
  text at matches).
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


def fold_token(token: str) -> str:
    """One token in comparison form (case, apostrophe variants, œ/æ), nothing removed."""
    return token.casefold().translate(_APOSTROPHES).replace("œ", "oe").replace("æ", "ae")


def _key_once(text: str) -> str:
    s = unicodedata.normalize("NFKC", html.unescape(text))
    s = fold_token(_GLYPH_RE.sub(" ", _TAG_RE.sub(" ", s)))
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


def strip_accents(text: str) -> str:
    """The text without its combining marks ("é" → "e"), in NFC."""
    decomposed = unicodedata.normalize("NFKD", text)
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if not unicodedata.combining(c)))


def fold(text: str | None) -> str:
    """The comparison key without accents: "Élaboration des Capacités :" → "elaboration des capacites"."""
    return strip_accents(comparison_key(text))


_ALIGNED_APOSTROPHES = frozenset("’‘ʼ′`´")


def _fold_char(c: str) -> str:
    if c in _ALIGNED_APOSTROPHES:
        return "'"
    base = unicodedata.normalize("NFKD", c)[:1] or c
    low = base.lower()
    return low if len(low) == 1 else c


def fold_aligned(text: str) -> str:
    """Lower case, accents off, apostrophes straightened; one character per character.

    The result has the length of ``text``, so a match found in the folded text slices the original.
    """
    return "".join(_fold_char(c) for c in text)
