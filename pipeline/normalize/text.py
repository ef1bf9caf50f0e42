"""Text normalisation: the one place where text is cleaned and folded for comparison.

``clean`` makes text safe to store and show (it never changes words): Unicode NFC, ligatures
expanded, invisible characters dropped, whitespace collapsed.  No C0/C1 control character and no
bidi control (U+202A-202E, U+2066-2069, LRM/RLM/ALM) survives it: controls and separators (VT, FF,
FS, NEL, U+2028, U+2029) become spaces, bidi controls are dropped (a line break a parser put between
paragraphs is the one control kept), so a stored text can neither hide a capacity nor drive a
terminal.  ``terminal_safe`` / ``json_safe`` escape what a printed value may still hold (a file
name).  ``comparison_key`` is the contract's comparison form (casefolded, ’ → ', œ → oe, markup and
trailing " ;.:" removed): it is computed beside the text, never stored in its place.

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
#: bidi controls: they reorder what a terminal or a browser shows (U+202E makes "txt.exe" read "exe.txt")
_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_BIDI_RE = re.compile(f"[{_BIDI}]")
#: C0 and C1 controls, DEL, and the Unicode line/paragraph separators: a space in stored text
_CONTROL_RE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
#: what a terminal must not receive raw (tab and newline are layout, kept)
_UNSAFE_RE = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029{_BIDI}]")
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
    text = _BIDI_RE.sub("", text)
    lines = (_CONTROL_RE.sub(" ", line) for line in text.split("\n"))
    return "\n".join(squashed for line in lines if (squashed := " ".join(line.split())))


def _escape(m: re.Match[str]) -> str:
    code = ord(m.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal_safe(text: str) -> str:
    """``text`` with every control and bidi character shown as an escape (``\\x1b``, ``\\u202e``), newlines
    and tabs kept: what a terminal prints is what is stored, and nothing stored can drive the terminal."""
    return _UNSAFE_RE.sub(_escape, text)


def json_safe(text: str) -> str:
    """A JSON text with those characters as JSON escapes (``\\u202e``): the same JSON value, harmless
    on a terminal."""
    return _UNSAFE_RE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


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
