"""Search terms of French texts: each content word with its lemma (spaCy ``fr_core_news_sm``) and its
surface form, both in comparison form without accents, and where the word is in the text.

Lemmatising is the slow part of a search (benchmarks/README.md, "Design figures"), so the terms of every text are
cached per process and on disk, keyed by the text's sha256: a later ``refpipe search`` lemmatises only
the texts it has not seen.  The disk cache is a JSON file under ``$REFPIPE_CACHE_DIR`` (default
``$XDG_CACHE_HOME/refpipe`` or ``~/.cache/refpipe``), one per model version; it is an accelerator
only: unreadable or unwritable, it is ignored.

A query's words are cached too (``search-words-…json`` beside it): each word spaCy analysed once, with
its forms (or as a stop word).  A query made only of plain words already in that cache (letters, with
French elisions such as ``d'``) is answered without loading spaCy, which costs more than a second on
every ``refpipe search``; any other query is analysed by spaCy, and its words join the cache.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pipeline.normalize.lemma_cache import default_cache_dir, model_version, write_json
from pipeline.normalize.lemmas import MODEL, nlp
from pipeline.normalize.text import fold

ANALYZER = "1"  # bump when the terms change for the same text and model


@dataclass(frozen=True)
class Term:
    start: int  # character offsets of the word in the text
    end: int
    lemma: str  # comparison form, accents removed: "indicateurs" -> "indicateur"
    surface: str  # the word itself in the same form: "indicateurs"


_MEMORY: dict[str, tuple[Term, ...]] = {}
_DISK_MAX = 200_000  # texts; beyond it the disk cache keeps only the texts of the last search


def terms_many(texts: Sequence[str], *, cache_dir: Path | None = None) -> list[tuple[Term, ...]]:
    """The content-word terms of each text (stop words and punctuation dropped)."""
    keys = [_digest(t) for t in texts]
    todo = {k: t for k, t in zip(keys, texts, strict=True) if k not in _MEMORY}
    if todo:
        disk = _DiskCache(cache_dir)
        found = disk.load()
        _MEMORY.update({k: found[k] for k in todo if k in found})
        missing = {k: t for k, t in todo.items() if k not in _MEMORY}
        if missing:
            for key, doc in zip(missing, nlp().pipe(missing.values(), batch_size=64), strict=True):
                _MEMORY[key] = tuple(
                    Term(t.idx, t.idx + len(t.text), fold(t.lemma_ or t.text), fold(t.text))
                    for t in doc if not (t.is_stop or t.is_punct) and fold(t.text) and fold(t.lemma_ or t.text)
                )
            entries = {**found, **{k: _MEMORY[k] for k in missing}}
            disk.save(entries if len(entries) <= _DISK_MAX else {k: _MEMORY[k] for k in keys})
    return [_MEMORY[k] for k in keys]


_QUERY_POS = ("NOUN", "VERB", "ADJ")


def query_terms(query: str, *, cache_dir: Path | None = None) -> list[tuple[Term, frozenset[str]]]:
    """The content words of a query, each with every form it may stand for.

    A query has no sentence around its words to tell a verb from a noun ("mesurent" alone is tagged a
    noun and keeps its form), so besides the tagger's lemma each word is lemmatised as a noun, a verb
    and an adjective; the word matches an item's word whose lemma or surface form is any of these.
    From the word cache when every word of the query is in it (no spaCy), else by spaCy.
    """
    words = _WordCache(cache_dir)
    known = words.load()
    cached = _from_word_cache(query, known)
    if cached is not None:
        return cached
    model = nlp()
    lemmatizer = model.get_pipe("lemmatizer")
    found = []
    learned: dict[str, list[object] | None] = {}
    for t in model(query):
        lemma, surface = fold(t.lemma_ or t.text), fold(t.text)
        if t.is_stop or t.is_punct or not (lemma and surface):
            learned[t.text.casefold()] = None
            continue
        forms = {lemma, surface}
        for pos in _QUERY_POS:
            t.pos_ = pos
            forms.update(fold(candidate) for candidate in lemmatizer.rule_lemmatize(t))  # type: ignore[attr-defined]
        kept = frozenset(f for f in forms if f)
        learned[t.text.casefold()] = [lemma, surface, sorted(kept)]
        found.append((Term(t.idx, t.idx + len(t.text), lemma, surface), kept))
    if any(known.get(k, False) != v for k, v in learned.items()):
        words.save({**known, **learned})
    return found


# a query the word cache can answer: words of letters only, each optionally after a French elision
_WORD = re.compile(r"(?:(?P<elision>(?:[cdjlmnst]|qu|jusqu|lorsqu|puisqu)['’]))?(?P<word>[^\W\d_]+)", re.IGNORECASE)


def _from_word_cache(query: str, known: dict[str, list[object] | None]
                     ) -> list[tuple[Term, frozenset[str]]] | None:
    """The query's terms from the word cache, or None when a word is not in it or the query is not made
    of plain words (punctuation, digits, hyphens: spaCy tokenises those)."""
    found: list[tuple[Term, frozenset[str]]] = []
    for chunk in re.finditer(r"\S+", query):
        match = _WORD.fullmatch(chunk.group())
        if match is None:
            return None
        parts = [(match.start("elision"), match.group("elision"))] if match.group("elision") else []
        parts.append((match.start("word"), match.group("word")))
        for offset, text in parts:
            key = text.casefold()
            if key not in known:
                return None
            entry = known[key]
            if entry is None:  # a stop word
                continue
            lemma, surface, forms = entry
            start = chunk.start() + offset
            found.append((Term(start, start + len(text), str(lemma), str(surface)),
                          frozenset(str(f) for f in forms)))  # type: ignore[attr-defined]
    return found


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


class _WordCache:
    """Query words as spaCy analysed them: word (casefolded) -> [lemma, surface, forms], None for a stop word."""

    def __init__(self, folder: Path | None) -> None:
        self.path = (folder or default_cache_dir()) / f"search-words-{MODEL}-{model_version()}-{ANALYZER}.json"

    def load(self) -> dict[str, list[object] | None]:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return raw if isinstance(raw, dict) else {}

    def save(self, entries: dict[str, list[object] | None]) -> None:
        write_json(self.path, entries)


class _DiskCache:
    def __init__(self, folder: Path | None) -> None:
        self.path = (folder or default_cache_dir()) / f"search-terms-{MODEL}-{model_version()}-{ANALYZER}.json"

    def load(self) -> dict[str, tuple[Term, ...]]:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            return {k: tuple(Term(*t) for t in v) for k, v in raw.items()}
        except (OSError, ValueError, TypeError):
            return {}

    def save(self, entries: dict[str, tuple[Term, ...]]) -> None:
        write_json(self.path, {k: [[t.start, t.end, t.lemma, t.surface] for t in v] for k, v in entries.items()})
