"""Helpers shared by the CQPM parser modules: matching form, item trimming, labels, provenance."""

from __future__ import annotations

import re

from pipeline.normalize.text import fold as fold  # the matching form (accents off): parser modules import it from here
from pipeline.records import Block, BlockKind, Para, Provenance

# "1)", "1.", "12 )" (but not "1.5"), or a letter followed by ")": "a)", "B)"
_NUMBER_LABEL_RE = re.compile(r"^\s*(\d+)\s*(?:\)|\.(?!\d))\s*")
_LETTER_LABEL_RE = re.compile(r"^\s*([A-Za-z])\s*\)\s*")
_MARKER_LABEL_RE = re.compile(r"^(\d+|[A-Za-z])\s*[.)]$")


def squash(text: str) -> str:
    return " ".join(text.split())


def trim_item(text: str) -> str:
    """A list item as printed, without the " ;" that only separates it from the next one."""
    return squash(text).rstrip(" ;")


def trim_title(text: str) -> str:
    return squash(text).rstrip(" .;:")


def number_label(text: str) -> tuple[int | None, str]:
    """(1, "Etablir …") for "1. Etablir …" or "1) Etablir …"; (None, text) otherwise."""
    m = _NUMBER_LABEL_RE.match(text)
    if not m:
        return None, text
    return int(m.group(1)), text[m.end():]


def block_label(block: Block) -> tuple[str | None, str]:
    """The label ("1", "a", "B") that introduces a block and its text without it.

    A front end may keep the label in ``marker`` ("1)") or leave it in the text ("- 1) …" has
    marker "-"), so both are looked at.
    """
    if block.marker and _MARKER_LABEL_RE.match(block.marker.strip()):
        return block.marker.strip()[:-1].strip(), block.text
    number, rest = number_label(block.text)
    if number is not None:
        return str(number), rest
    m = _LETTER_LABEL_RE.match(block.text)
    if m:
        return m.group(1), block.text[m.end():]
    return None, block.text


def is_prose(block: Block) -> bool:
    """Running text (paragraphs, headings, list items): not a table row, not a footnote."""
    return block.kind not in (BlockKind.TABLE_ROW, BlockKind.FOOTNOTE)


def prov(block: Block, para: Para | None = None) -> Provenance:
    """Where an item was read: the paragraph's page and box when the front end set them."""
    page = para.page if para is not None and para.page is not None else block.page
    bbox = para.bbox if para is not None and para.bbox is not None else block.bbox
    return Provenance(page=page, order=block.order, bbox=bbox)
