"""Which kind of document a layout holds, from its words (never from the file name)."""

from __future__ import annotations

import re

from pipeline.errors import RejectedInput
from pipeline.normalize.text import fold
from pipeline.parse.rncp.page import is_fiche_page
from pipeline.records import BlockKind, Kind, Layout

_RNCP_RE = re.compile(r"code\s*rncp\s*:?\s*\d{3,6}|resume descriptif de la certification")
_ACTIVITIES_RE = re.compile(r"referentiel d\W?\s*act?i?vites du cqpm")  # D', D`, D , and the ACTVITES typo
_CQPM_TITLE_RE = re.compile(rf"referentiel du cqpm|titre du cqpm|{_ACTIVITIES_RE.pattern}")
_TITLE_BLOCK_RE = re.compile(r"titre du cqpm\s*:")


def detect_kind(layout: Layout) -> Kind:
    head = fold(" ".join(b.text for b in layout.blocks[:40]))
    if _RNCP_RE.search(head):
        return Kind.RNCP
    everything = fold(" ".join(b.text for b in layout.blocks))
    has_table = any(b.kind is BlockKind.TABLE_ROW for b in layout.blocks)
    # a cut copy that shows the title block ("Titre du CQPM : …") is a référentiel, read as far as it goes
    if _CQPM_TITLE_RE.search(head) and (has_table or _TITLE_BLOCK_RE.search(head) or _ACTIVITIES_RE.search(everything)):
        return Kind.CQPM
    if is_fiche_page(layout):  # today's France Compétences page: "N° de fiche RNCP…"
        return Kind.RNCP
    if not layout.blocks:
        raise RejectedInput(layout.source.path, "no text found in the document")
    raise RejectedInput(
        layout.source.path,
        "not a CQPM référentiel or RNCP fiche (no 'REFERENTIEL DU CQPM' title with a capacity table, "
        "no 'Code RNCP', no 'N° de fiche RNCP…')",
    )
