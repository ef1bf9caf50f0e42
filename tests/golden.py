"""Compare contract JSON with a golden file under the contract's normalisation (shared by tests)."""

from __future__ import annotations

import html
import json
import re
import unicodedata
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).parent / "fixtures"
_INPUT_RE = re.compile(r"(?:<|&lt;)\s*input\b.*?(?:>|&gt;)", re.I | re.S)
_TAG_RE = re.compile(r"</?[a-z][a-z0-9]*\b[^<>]*>", re.I)
_GLYPH_RE = re.compile("[☐☑☒□■▪◻◼❏❐❑❒]")


def norm(value: Any) -> Any:
    """The contract's text normalisation applied recursively (lists/dicts kept, scalars folded)."""
    if isinstance(value, dict):
        return {k: norm(v) for k, v in value.items()}
    if isinstance(value, list):
        return [norm(v) for v in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    s = unicodedata.normalize("NFKC", html.unescape(str(value)))
    s = _TAG_RE.sub(" ", _INPUT_RE.sub(" ", s)).casefold()
    for old, new in (("’", "'"), ("‘", "'"), ("œ", "oe"), ("æ", "ae")):
        s = s.replace(old, new)
    return " ".join(_GLYPH_RE.sub(" ", s).split()).rstrip(" ;.:,") or None


def on_gold_keys(got: Any, gold: Any) -> Any:
    """``got`` cut to the keys the gold has, at every depth: keys of the contract's version 2 (a
    capacity's block, knowledge, …) are compared only where the gold has them, as the scorer does."""
    if isinstance(got, dict) and isinstance(gold, dict):
        return {k: on_gold_keys(v, gold[k]) if k in gold else v for k, v in got.items() if k in gold}
    if isinstance(got, list) and isinstance(gold, list) and len(got) == len(gold):
        return [on_gold_keys(a, b) for a, b in zip(got, gold, strict=True)]
    return got


def load_gold(path: Path) -> dict[str, Any]:
    """A golden file; a missing one fails the test (never skips it)."""
    assert path.is_file(), f"missing golden file {path}"
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def assert_matches_gold(got: dict[str, Any], gold: dict[str, Any], stem: str, kind: str) -> None:
    """One kind's object against its gold, field by field (``stem`` names the document in the message)."""
    want, have = norm(gold), norm(on_gold_keys(got, gold))
    for key in want:
        assert have.get(key) == want[key], f"{stem}: {kind}.{key} differs"


def assert_same_document(got: dict[str, Any], gold: dict[str, Any], stem: str) -> None:
    """kind and the kind's object must match the gold after normalisation (source is not compared)."""
    assert got["kind"] == gold["kind"]
    assert_matches_gold(got[gold["kind"]], gold[gold["kind"]], stem, gold["kind"])
