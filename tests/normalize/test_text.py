"""Property tests for the normalisers: idempotent, total, and they never change the words."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pipeline.normalize.text import clean, comparison_key

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
