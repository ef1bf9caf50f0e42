"""Similarity and 1:1 matching on real référentiel texts: thresholds separate rewordings from new items."""

from __future__ import annotations

import itertools
import json

import pytest
from golden import FIXTURES

from pipeline.diff.match import TEXT_THRESHOLD, match_texts, same_text, text_score, text_similarity

COHERENTES = "Les pistes de progrès éventuelles identifiées sont cohérentes avec la politique Q, S, E."
CONFORMES = "Les pistes de progrès éventuelles identifiées sont conformes avec la politique Q, S, E."


@pytest.mark.parametrize("a, b", [
    ("Les écarts  sont analysés.", "Les écarts sont analysés"),          # whitespace, trailing punctuation
    ("l’avis de l’entreprise", "l'avis de l'entreprise"),                # apostrophes
    ("la mise en œuvre d'outils", "la mise en oeuvre d'outils ;"),       # œ/oe, trailing " ;"
])
def test_formatting_only_differences_are_the_same_text(a: str, b: str) -> None:
    assert same_text(a, b)
    assert text_similarity(a, b) == 1.0


def test_a_one_word_rewording_is_above_the_threshold() -> None:
    assert not same_text(COHERENTES, CONFORMES)
    assert 0.9 < text_similarity(COHERENTES, CONFORMES) < 1.0


def test_unrelated_criteria_of_one_capacity_stay_below_the_threshold() -> None:
    """Every pair of distinct criteria (or conditions) of one capacity in the gold référentiels."""
    worst = 0.0
    for gold in sorted((FIXTURES / "gold").glob("0*.json")):
        data = json.loads(gold.read_text(encoding="utf-8"))
        for cap in (data.get("cqpm") or {}).get("capacities", []):
            for items in (cap["criteria"], cap["conditions"]):
                for a, b in itertools.combinations(items, 2):
                    worst = max(worst, text_similarity(a, b))
    assert 0.3 < worst < TEXT_THRESHOLD


def test_matching_is_one_to_one_by_content_not_position() -> None:
    old = ["Les règles de sécurité sont respectées.", COHERENTES, "Un critère qui disparaît complètement."]
    new = [CONFORMES, "Une toute autre exigence, nouvelle, sur la traçabilité des mesures.",
           "Les règles de sécurité sont respectées"]
    m = match_texts(old, new)
    assert [(p.old, p.new) for p in m.pairs] == [(0, 2), (1, 0)]
    assert m.removed == (2,) and m.added == (1,)


def test_exact_matches_win_over_rewordings() -> None:
    """Two near-identical old items: each goes to its identical new item, not to the first one seen."""
    m = match_texts([COHERENTES, CONFORMES], [CONFORMES, COHERENTES])
    assert [(p.old, p.new) for p in m.pairs] == [(0, 1), (1, 0)]
    assert text_score("Analyser les risques", "Rédiger le rapport annuel") is None
