"""Property tests for the normalisers: idempotent, total, and they never change the words."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pipeline.normalize.text import clean, comparison_key, fold, fold_aligned, fold_token, strip_accents

french = st.text(alphabet=st.sampled_from(list("abcdeéèêàçùœæ’' ;.:,\t\n\u00a0\u00adﬁ«»-ÉŒ<>/p")), max_size=80)


@given(st.text())
def test_clean_is_idempotent_and_total(text: str) -> None:
    assert clean(clean(text)) == clean(text)


@given(st.text())
def test_comparison_key_is_idempotent_and_total(text: str) -> None:
    key = comparison_key(text)
    assert comparison_key(key) == key


@given(french)
def test_clean_keeps_words(text: str) -> None:
    assert clean(text).replace("ﬁ", "fi").split() == [
        w for w in text.replace("\u00ad", "").replace("ﬁ", "fi").split()
    ]


def test_comparison_key_folds_the_contract_variants() -> None:
    assert comparison_key("Mise en Œuvre d’outils ;") == comparison_key("mise en oeuvre d'outils")
    assert comparison_key("<p>Les critères</p> ☐") == "les critères"
    assert comparison_key(None) == ""


def test_clean_normalises_unicode_and_spaces() -> None:
    assert clean("e\u0301t\u00e9  \u200bﬁn\n") == "été fin"


def test_comparison_key_terminates_where_casefold_and_nfkc_disagree() -> None:
    # casefold("ẙ") decomposes it, NFKC recomposes it: the old recursion never ended
    assert comparison_key("ẙ") == comparison_key(comparison_key("ẙ"))


@given(french)
def test_fold_is_the_comparison_key_without_accents(text: str) -> None:
    folded = fold(text)
    assert strip_accents(comparison_key(text)) == folded
    assert strip_accents(folded) == folded
    assert fold("Élaboration des Capacités :") == "elaboration des capacites"


@given(st.text())
def test_fold_aligned_keeps_one_character_per_character(text: str) -> None:
    assert len(fold_aligned(text)) == len(text)
    assert fold_aligned("L’Évaluation") == "l'evaluation"


def test_fold_token_keeps_punctuation_tokens_apart() -> None:
    assert fold_token(".") != fold_token(",")
    assert fold_token("Œuvre’s") == "oeuvre's"
