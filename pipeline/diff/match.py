"""Match the items of two versions by content similarity (1:1), not by position.

Similarity is computed on words of the contract's comparison form (``comparison_key``: case,
apostrophes, œ/oe, whitespace and trailing punctuation do not count): ``2·LCS / (n₁ + n₂)`` over the
word sequences (rapidfuzz's normalised Indel similarity on word tuples).  Word level rather than
character level because two unrelated French criteria share most of their letters ("Les … sont
définis et validés"): on the corpus' référentiels, character similarity of *unrelated* items reaches
0.80, word similarity 0.47 between two criteria of the same capacity; a one-word rewording of a
criterion scores 0.93 and of an RNCP capacity 0.95.

Assignment is greedy by score (``normalize.matching.greedy_pairs``): all candidate pairs above the
threshold, best first, ties broken by the smallest distance between positions, then by position; each
item is used once.  Exact matches (identical comparison forms) always come first, so a renumbered item
is found before any rewording is considered.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TypeVar

from rapidfuzz.distance import Indel

from pipeline.normalize.matching import greedy_pairs
from pipeline.normalize.text import comparison_key

T = TypeVar("T")
U = TypeVar("U")

#: below this word similarity two texts are different items (removed + added), above it a rewording.
#: Unrelated criteria of one capacity stay under 0.5 on the corpus; rewordings that keep most words
#: (one verb replaced, a clause added to a short criterion) stay above 0.6.
TEXT_THRESHOLD = 0.6

#: a capacity matches another when the mean of title and body (conditions + criteria) similarity
#: reaches this, or when its title alone is this close (a capacity whose content was rewritten)
CAPACITY_THRESHOLD = 0.6
CAPACITY_TITLE_ALONE = 0.9

_WORD = re.compile(r"\w+")


@lru_cache(maxsize=8192)
def words(text: str | None) -> tuple[str, ...]:
    return tuple(_WORD.findall(comparison_key(text)))


def same_text(a: str | None, b: str | None) -> bool:
    """True when the two texts differ only by formatting (the contract's normalisation)."""
    return comparison_key(a) == comparison_key(b)


def word_similarity(a: Sequence[str], b: Sequence[str]) -> float:
    if not a and not b:
        return 1.0
    return float(Indel.normalized_similarity(list(a), list(b)))


def text_similarity(a: str | None, b: str | None) -> float:
    """1.0 for formatting-only differences; otherwise word similarity, at most 0.999."""
    if same_text(a, b):
        return 1.0
    return min(word_similarity(words(a), words(b)), 0.999)


def text_score(a: str | None, b: str | None) -> float | None:
    """The score of two texts as candidates for one item, None below ``TEXT_THRESHOLD``."""
    s = text_similarity(a, b)
    return s if s >= TEXT_THRESHOLD else None


@dataclass(frozen=True)
class Pair:
    old: int  # index in the old list
    new: int  # index in the new list
    score: float


@dataclass(frozen=True)
class Matching:
    pairs: tuple[Pair, ...]  # in old order
    removed: tuple[int, ...]  # old indexes without a partner
    added: tuple[int, ...]  # new indexes without a partner

    def new_of(self, old: int) -> int | None:
        return next((p.new for p in self.pairs if p.old == old), None)


def match(old: Sequence[T], new: Sequence[U], score: Callable[[T, U], float | None]) -> Matching:
    """1:1 pairs of items whose ``score`` is not None, greedy by score (see the module doc)."""
    candidates = [(s, i, j) for i, a in enumerate(old) for j, b in enumerate(new)
                  if (s := score(a, b)) is not None]
    pairs = [Pair(i, j, s) for s, i, j in greedy_pairs(candidates, tie=lambda i, j: (abs(i - j), i, j))]
    used_old, used_new = {p.old for p in pairs}, {p.new for p in pairs}
    return Matching(
        pairs=tuple(sorted(pairs, key=lambda p: p.old)),
        removed=tuple(i for i in range(len(old)) if i not in used_old),
        added=tuple(j for j in range(len(new)) if j not in used_new),
    )


def match_texts(old: Sequence[str], new: Sequence[str]) -> Matching:
    return match(old, new, text_score)
