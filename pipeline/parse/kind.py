"""Which kind of document a layout holds, from its words (never from the file name)."""

from __future__ import annotations

import re
import unicodedata

from pipeline.errors import RejectedInput
from pipeline.records import BlockKind, Kind, Layout

_RNCP_RE = re.compile(r"code\s*rncp\s*:?\s*\d{3,6}|resume descriptif de la certification")
_CQPM_TITLE_RE = re.compile(r"referentiel du cqpm|titre du cqpm|referentiel d.activites du cqpm")


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in text if not unicodedata.combining(c)).replace("’", "'")


def detect_kind(layout: Layout) -> Kind:
    head = _fold(" ".join(b.text for b in layout.blocks[:40]))
    if _RNCP_RE.search(head):
        return Kind.RNCP
    everything = _fold(" ".join(b.text for b in layout.blocks))
    has_table = any(b.kind is BlockKind.TABLE_ROW for b in layout.blocks)
    if _CQPM_TITLE_RE.search(head) and (has_table or "referentiel d'activites" in everything):
        return Kind.CQPM
    if not layout.blocks:
        raise RejectedInput(layout.source.path, "no text found in the document")
    raise RejectedInput(
        layout.source.path,
        "not a CQPM référentiel or RNCP fiche (no 'REFERENTIEL DU CQPM' title with a capacity table, "
        "no 'Code RNCP')",
    )
