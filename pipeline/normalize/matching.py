"""Greedy one-to-one assignment: the one matcher that pairs items of two lists by a score.

Both the diff (items of two versions) and linking (capacities of a fiche and of a référentiel) pair
items this way: every candidate pair, best score first, each item used once.  Greedy rather than an
optimal assignment because, with a few dozen items a side, it is instant and never trades an obvious
pair for a better total.  How ties are broken is the caller's (``tie``): the diff prefers pairs close in
position, linking the first items.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

Tie = Callable[[int, int], tuple[int, ...]]


def _by_position(i: int, j: int) -> tuple[int, ...]:
    return (i, j)


def greedy_pairs(candidates: Iterable[tuple[float, int, int]], *,
                 tie: Tie = _by_position) -> list[tuple[float, int, int]]:
    """The (score, left index, right index) candidates kept, in the order taken: best score first,
    then by ``tie(i, j)``; a candidate whose left or right item is already taken is skipped."""
    ranked = sorted(candidates, key=lambda c: (-c[0], *tie(c[1], c[2])))
    used_left: set[int] = set()
    used_right: set[int] = set()
    kept: list[tuple[float, int, int]] = []
    for score, i, j in ranked:
        if i in used_left or j in used_right:
            continue
        used_left.add(i)
        used_right.add(j)
        kept.append((score, i, j))
    return kept
