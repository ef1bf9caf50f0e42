"""Split a list of compétences (or activités, capacités) written as one text into its items.

The export writes lists as one string (research/rncp-current.md §B.3, §C.7):

* V4.1: no line breaks; items separated by runs of spaces (2 to 21), keeping their bullets (``*``, ``o``,
  ``-``, ``•``) or numbering (``1.1``, ``1.1.1``, ``A1C1.``, ``C.1.``, ``C1.1``), or bare sentences;
  a two-level list writes ``* compétence`` then ``o savoir-faire`` items nested in it;
* V2 era: entity-escaped HTML (``&lt;p&gt;- Traiter&lt;/p&gt;&#13;``), named entities escaped twice
  (``Param&amp;eacute;trer``); the API keeps ``\\r\\n`` line breaks.

``split_items`` never invents or drops a word: each item keeps its marker and text as written
(``Item.source``), and the items' sources joined are the (decoded) input, word for word.  The split is
recorded (``Split.method``: how the text was cut into segments, then how the items are marked, e.g.
``space-runs+nested-bullets``).  ``top_level`` gives the contract's list: one entry per top-level item,
its nested items kept inside its text, one per line.

The known baselines this beats: a 10-step regex cascade that tries one separator after another and
keeps the first that yields several pieces (REVA), and "recognise bullets or return nothing" (moncampus):
the first cannot tell a nested ``o`` from a new item, the second returns nothing for bare sentences and
numbered lists; neither says how it split.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from pipeline.records import Competence

_HTML_RE = re.compile(r"&lt;|&gt;|&amp;|&#\d+;|&[a-z]+;|</?(?:p|br|li|ul|ol|div|span|strong|em|b|i|u)\b[^<>]*>",
                      re.IGNORECASE)
_BREAK_TAG_RE = re.compile(r"<br\s*/?>|</?(?:p|li|ul|ol|div|tr|h\d)\b[^<>]*>", re.IGNORECASE)
_ANY_TAG_RE = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*\b[^<>]*>")
_LINE_RE = re.compile(r"[ \t]*[\r\n]+[ \t]*")
_RUN_RE = re.compile(r"[ \t\u00a0]{2,}")
_BULLET_RE = re.compile(r"([*•\-–—·▪►o])\s+(?=\S)")
_BULLET_FIRST = frozenset("*•-–—·▪►o")
_CODE = (r"[A-Z]\d+(?:[A-Z]\d+)+"      # A1C1
         r"|[A-Z]\.\d+(?:\.\d+)*"       # C.1, C.1.2
         r"|[A-Z]\d+(?:\.\d+)+"         # C1.1
         r"|\d+(?:\.\d+)+"              # 1.1, 1.1.1
         r"|[A-Z]\d+"                   # C1, A2
         r"|\d+(?=[.)])")               # 1. 2)
_CODE_RE = re.compile(rf"(?P<code>{_CODE})(?P<end>[.)]?)\s*[-–:]?\s+(?=\S)")
#: one segment of a text whose only whitespace is a space, single inside items and in runs of 2+ between them:
#: ``_mark``'s patterns (``\s+`` can only be one space there, ``\S`` anything but a space) followed by the run
#: after the item, so that one ``findall`` over the whole text gives each segment's (marker, bullet, code after
#: the bullet, code, text) with no Python call per item; each match starts where the run before it ends
_SEGMENT_RE = re.compile(
    rf"(?:(?P<marker>(?P<bullet>[*•\-–—·▪►o])(?: (?P<inner>{_CODE})[.)]?(?: ?[-–:])?)?"
    rf"|(?P<code>{_CODE})[.)]?(?: ?[-–:])?) (?=[^ ]))?"
    r"(?P<text>[^ ]+(?: [^ ]+)*)(?: {2,}|\Z)")


class Item(NamedTuple):
    """One item of a split list: ``marker`` (bullet or code as printed, e.g. "*", "1.1.", "A1C1.") and its
    ``text``; ``level`` 1 for a top-level item, 2+ nested; ``parent`` the index of the item it belongs to."""

    text: str
    marker: str | None
    code: str | None
    level: int
    parent: int | None

    @property
    def source(self) -> str:
        return f"{self.marker} {self.text}" if self.marker else self.text


@dataclass(frozen=True)
class Split:
    items: tuple[Item, ...]
    method: str  # "<segmentation>+<marking>", e.g. "space-runs+nested-bullets", "html+bullets", "single"


def decode_rich_text(text: str) -> tuple[str, bool]:
    """V2-era escaped HTML as plain text with one paragraph / list item a line; (text, was it HTML)."""
    if ("&" not in text and "<" not in text) or not _HTML_RE.search(text):
        return text, False
    for _ in range(3):  # named entities escaped twice (&amp;eacute;): unescape to the fixed point
        again = html.unescape(text)
        if again == text:
            break
        text = again
    text = _BREAK_TAG_RE.sub("\n", text)
    text = _ANY_TAG_RE.sub(" ", text)
    return text, True


def _segments(text: str) -> tuple[list[str], str]:
    text, was_html = decode_rich_text(text)
    if not text.isascii():
        text = unicodedata.normalize("NFC", text).replace("\u00a0", " ")
    text = text.strip()
    lines = [s for s in _LINE_RE.split(text) if s.strip()] if ("\n" in text or "\r" in text) else [text]
    # each part with its inner whitespace runs made one space (empty parts dropped)
    parts = [joined for line in lines for p in _RUN_RE.split(line) if (joined := " ".join(p.split()))]
    how = "html" if was_html else "lines" if len(lines) > 1 else "space-runs"
    if how == "space-runs" and len(parts) > 1 and len(lines) > 1:
        how = "lines+space-runs"
    return parts, how


#: one segment marked: (marker as printed, bullet, code after the bullet, code, text); "" where absent
Marked = tuple[str, str, str, str, str]


def _mark(segment: str) -> Marked:
    """One segment (its whitespace made single spaces) marked: a bullet (maybe followed by a code: "- 1.1
    Réaliser", the code is the item's, the dash its bullet), or a code, or neither."""
    first = segment[:1]  # what each pattern can start with: most segments try neither or one of them
    if first in _BULLET_FIRST and (m := _BULLET_RE.match(segment)):
        bullet, rest = m.group(1), segment[m.end():]
        inner = _CODE_RE.match(rest)
        if inner:
            return f"{bullet} {rest[:inner.end()].rstrip()}", bullet, inner.group("code"), "", rest[inner.end():]
        return bullet, bullet, "", "", rest
    if (first.isdecimal() or "A" <= first <= "Z") and (m := _CODE_RE.match(segment)):
        return segment[:m.end()].rstrip(), "", "", m.group("code"), segment[m.end():]
    return "", "", "", "", segment


def _marked(text: str) -> tuple[list[Marked], str]:
    """The text's segments marked, and how it was cut.  The usual V4.1 text (no markup, no whitespace but
    spaces) is cut and marked by one ``findall`` of ``_SEGMENT_RE``, which gives what ``_segments`` and ``_mark``
    give it (``test_one_pattern_marks_a_plain_text_as_the_segment_by_segment_path``) at a third of the cost; any
    other text by those two."""
    if "&" not in text and "<" not in text:
        plain = text if text.isascii() else unicodedata.normalize("NFC", text).replace("\u00a0", " ")
        plain = plain.strip()
        # printable: no whitespace but the space (every other one, tab, line break, U+2003 ..., is not printable)
        if plain.isprintable():
            return _SEGMENT_RE.findall(plain), "space-runs"
    segments, how = _segments(text)
    return [_mark(s) for s in segments], how


_DIGITS_RE = re.compile(r"\d+")
_DOTTED_LETTER_RE = re.compile(r"[A-Z]\.\d+(?:\.\d+)*")


@lru_cache(maxsize=4096)  # a few hundred codes (1.1, A1C2, ...) recur in every list
def _depth(code: str) -> int:
    """How deep a code is: 1.1.1 → 3, C1.1 → 2, A1C1 → 2 (activity A1, compétence C1), C.1 → 1."""
    if _DOTTED_LETTER_RE.fullmatch(code):
        return code.count(".")
    return len(_DIGITS_RE.findall(code))


def split_items(text: str | None) -> Split:
    """The items of a list written as one text (see the module docstring)."""
    if text is None or not text.strip():
        return Split((), "empty")
    marked, how = _marked(text)
    if not marked:
        return Split((), "empty")
    levels, marking = _levels(marked)
    if levels is None:  # a flat list (most of them): every item top-level, no parent to track
        items = [Item(body, marker or None, inner or code or None, 1, None)
                 for marker, _, inner, code, body in marked]
    else:
        items = _nest(marked, levels)
    return Split(tuple(items), _method(how, marking, len(items)))


def split_list(text: str | None) -> tuple[tuple[Competence, ...], str]:
    """``top_level(split_items(text))`` and the split's method; a flat list's entries are made from its segments
    directly (no ``Item`` in between: an import splits ~40 lists a fiche)."""
    if text is None or not text.strip():
        return (), "empty"
    marked, how = _marked(text)
    if not marked:
        return (), "empty"
    levels, marking = _levels(marked)
    if levels is None:
        return (tuple(Competence(body, inner or code or None) for _, _, inner, code, body in marked),
                _method(how, marking, len(marked)))
    items = _nest(marked, levels)
    return top_level(Split(tuple(items), "")), _method(how, marking, len(items))


def _levels(marked: list[Marked]) -> tuple[list[int] | None, str]:
    """Each item's level (None: all top-level) and how the items are marked."""
    bullets = [b for _, b, _, _, _ in marked if b]
    codes = [c for _, _, _, c, _ in marked if c]  # codes of segments without a bullet
    if bullets and len(set(bullets)) > 1:
        first = next(b for b in bullets if b != "o") if any(b != "o" for b in bullets) else bullets[0]
        levels = [2 if b and b != first else 1 for _, b, _, _, _ in marked]
        marking = "nested-bullets" if 2 in levels else "bullets"
    elif codes:
        top = min(_depth(c) for c in codes)
        levels = [_depth(c) - top + 1 if c else 1 for _, _, _, c, _ in marked]
        marking = "nested-numbering" if max(levels) > 1 else "numbering"
    else:
        return None, "bullets" if bullets else "plain"
    return (levels if max(levels) > 1 else None), marking


def _method(how: str, marking: str, items: int) -> str:
    if items == 1:
        return "single" if how == "space-runs" else f"{how}+single"
    return f"{how}+{marking}"


def _nest(marked: list[Marked], levels: list[int]) -> list[Item]:
    """The items of a list with nested levels, each with the index of the item it belongs to."""
    items: list[Item] = []
    parents: dict[int, int] = {}  # level -> index of the last item at that level
    for (marker, _, inner, code, body), level in zip(marked, levels, strict=True):
        while level > 1 and (level - 1) not in parents:
            level -= 1  # a nested item with no parent above it is a top-level one
        parent = parents.get(level - 1) if level > 1 else None
        items.append(Item(text=body, marker=marker or None, code=inner or code or None, level=level,
                          parent=parent))
        parents[level] = len(items) - 1
        for deeper in [lv for lv in parents if lv > level]:
            del parents[deeper]
    return items


def top_level(split: Split) -> tuple[Competence, ...]:
    """The contract's list: each top-level item with its nested items inside its text (one per line, with
    their markers as printed)."""
    if all(item.parent is None for item in split.items):  # a flat list: each item as it is
        return tuple(Competence(text=item.text, code=item.code) for item in split.items)
    out: list[Competence] = []
    children: dict[int, list[int]] = {}
    for k, item in enumerate(split.items):
        if item.parent is not None:
            children.setdefault(item.parent, []).append(k)

    def nested(k: int) -> list[str]:
        lines = []
        for c in children.get(k, ()):
            lines.append(split.items[c].source)
            lines += nested(c)
        return lines

    for k, item in enumerate(split.items):
        if item.parent is None:
            out.append(Competence(text="\n".join([item.text, *nested(k)]), code=item.code))
    return tuple(out)
