"""Content variants of the text seeds: new documents, not only new bytes.

A document is its content (``documents.id`` hashes the canonical content): a file whose bytes differ but
parse to a document already held is ``unchanged`` and only adds a source of it.  Tests that need several
versions of a référentiel or a fiche write ``variante i`` into its content with :func:`content_variant`.
"""

from __future__ import annotations

import re

#: where a seed's content is changed: its first criterion (CQPM, two layouts), else its first capacity (RNCP)
_CONTENT = (r'(<input type="checkbox"/> )', r"(\t\t<p>)", r"(?m)^(C1[.-]? )")


def content_variant(text: str, i: int) -> str:
    """``text`` with ``variante i`` written into its first criterion or capacity: new content, not only new
    bytes (a document is its content: bytes that parse to the same content are one more source of it)."""
    for pattern in _CONTENT:
        changed, n = re.subn(pattern, rf"\g<1>variante {i} : ", text, count=1)
        if n:
            return changed
    raise AssertionError("no criterion or capacity to change")
