"""Splitting list texts into compétences: every real shape, the method recorded, never a word invented or lost."""

from __future__ import annotations

import re

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from pipeline.normalize.competences import (
    _SEGMENT_RE,
    _mark,
    _segments,
    decode_rich_text,
    split_items,
    split_list,
    top_level,
)

SHAPES = [  # (text as the export writes it, method, top-level items, codes)
    ("* Configurer le banc      o relever les consignes            o choisir les capteurs      * Lancer l'essai"
     "            o surveiller les mesures",
     "space-runs+nested-bullets",
     ["Configurer le banc\no relever les consignes\no choisir les capteurs",
      "Lancer l'essai\no surveiller les mesures"],
     [None, None]),
    ("1.1 Trier les mesures    1.1.1 écarter les valeurs    1.2 Rédiger le compte rendu", "space-runs+nested-numbering",
     ["Trier les mesures\n1.1.1 écarter les valeurs", "Rédiger le compte rendu"], ["1.1", "1.2"]),
    ("A1C1. Préparer le banc    A1C2. Conduire l'essai    A2C3. Rendre compte", "space-runs+numbering",
     ["Préparer le banc", "Conduire l'essai", "Rendre compte"], ["A1C1", "A1C2", "A2C3"]),
    ("C.1. Régler les capteurs    C.2. Interpréter une courbe", "space-runs+numbering",
     ["Régler les capteurs", "Interpréter une courbe"], ["C.1", "C.2"]),
    ("C1.1 Régler    C1.2 Mesurer  C2.1 Conclure", "space-runs+numbering", ["Régler", "Mesurer", "Conclure"],
     ["C1.1", "C1.2", "C2.1"]),
    ("- Traiter la demande    - Contrôler le résultat", "space-runs+bullets",
     ["Traiter la demande", "Contrôler le résultat"], [None, None]),
    ("• Accueillir le public              • Orienter les visiteurs", "space-runs+bullets",
     ["Accueillir le public", "Orienter les visiteurs"], [None, None]),
    ("Analyser le besoin du client    Rédiger un cahier des charges    Suivre la réalisation", "space-runs+plain",
     ["Analyser le besoin du client", "Rédiger un cahier des charges", "Suivre la réalisation"], [None] * 3),
    ("<p>- Traiter l'eau</p>\r<p>- Param&eacute;trer la pompe</p>\r", "html+bullets",
     ["Traiter l'eau", "Paramétrer la pompe"], [None, None]),
    ("Régler la machine\r\nContrôler la pièce", "lines+plain", ["Régler la machine", "Contrôler la pièce"],
     [None, None]),
    ("   Une seule compétence décrite ici", "single", ["Une seule compétence décrite ici"], [None]),
    ("", "empty", [], []),
]


@pytest.mark.parametrize(("text", "method", "items", "codes"), SHAPES,
                         ids=[s[1] + str(i) for i, s in enumerate(SHAPES)])
def test_each_shape_is_split_and_says_how(text: str, method: str, items: list[str], codes: list[str | None]) -> None:
    split = split_items(text)
    assert split.method == method
    assert [c.text for c in top_level(split)] == items
    assert [c.code for c in top_level(split)] == codes


def test_v2_double_escaped_html_is_decoded() -> None:
    text, was_html = decode_rich_text("&lt;p&gt;Param&amp;eacute;trer&lt;/p&gt;\r")
    assert was_html and text.split() == ["Paramétrer"]


def bullets_or_nothing(text: str) -> list[str]:
    """The moncampus baseline: recognise bullet runs, else give nothing."""
    parts = re.split(r"\s{2,}[*o•-]\s+", " " + text)
    return [p.strip(" *o•-") for p in parts if p.strip()] if len(parts) > 1 else []


def test_beats_the_bullets_or_nothing_baseline() -> None:
    """The baseline returns nothing for bare sentences and numbered lists, and cuts a nested list into
    unrelated items; the splitter gives the contract's items for every shape."""
    wins = 0
    for text, _, items, _ in SHAPES:
        if not items:
            continue
        ours = [c.text for c in top_level(split_items(text))]
        assert ours == items
        wins += bullets_or_nothing(text) != items
    assert wins >= 6


WORD = st.text(alphabet="abcdefghijéèàçôABCDEFG'’-", min_size=1, max_size=9).filter(lambda w: w.strip("-'’"))
MARKER = st.sampled_from(["", "* ", "o ", "- ", "• ", "1.1 ", "1.1.1 ", "A1C1. ", "C.1. ", "C1.2 ", "2) "])
ITEM = st.tuples(MARKER, st.lists(WORD, min_size=1, max_size=8).map(" ".join)).map("".join)
SEP = st.sampled_from(["  ", "    ", "      ", "            ", " " * 21, "\n", "\r\n"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(SEP, ITEM), min_size=1, max_size=12), st.sampled_from(["", "   "]))
def test_items_joined_are_the_source_text(parts: list[tuple[str, str]], lead: str) -> None:
    """Never invent or drop a word: the items' markers and texts, joined, are the source's words in order."""
    text = lead + "".join(sep + item if k else item for k, (sep, item) in enumerate(parts))
    split = split_items(text)
    assert " ".join(i.source for i in split.items).split() == text.split()
    # the contract's list keeps every word too (nested items inside their parent, with their markers)
    top = top_level(split)
    assert set(" ".join(c.text for c in top).split()) <= set(text.split())
    assert sum(len(c.text.split()) for c in top) == sum(len(i.text.split()) + (len(i.marker.split()) if i.marker
                                                                               and i.parent is not None else 0)
                                                         for i in split.items)


#: pieces of markers (bullets, codes, their dots, parentheses and dashes), words and spaces, in any order
MARKISH = st.lists(st.sampled_from(["1", "1.1", "2", ".", ")", "(", "A", "A1C1", "C.1", "C1", "C1.2", "-", "–", "—",
                                    ":", "*", "•", "·", "o", "x", "é", "Zé", " ", " ", " ", "  ", "   ", "\u00a0"]),
                   max_size=16).map("".join)
#: a segment shaped like a marked item, each part present or not, spaced or not: "- 1.1. – Régler", "A1C1:x"
MARKED = st.tuples(st.sampled_from(["", "* ", "o ", "- ", "• ", "-", "o", "– "]),
                   st.sampled_from(["", "1.1", "1.1.1", "A1C1", "C.1", "C1.2", "C1", "2", "12"]),
                   st.sampled_from(["", ".", ")"]), st.sampled_from(["", " ", "  "]),
                   st.sampled_from(["", "-", "–", ":", "—", "o"]), st.sampled_from(["", " ", "  "]),
                   st.sampled_from(["", "x", "Régler la vanne", "1.2 y", "- z"])).map("".join)
RUNS = st.sampled_from([" ", "  ", "   ", "    ", " " * 12])

@settings(max_examples=600, deadline=None)
@given(st.one_of(MARKISH, st.lists(st.tuples(RUNS, st.one_of(MARKED, ITEM)), min_size=1, max_size=6).map(
    lambda parts: "".join(sep + item for sep, item in parts))))
def test_one_pattern_marks_a_plain_text_as_the_segment_by_segment_path(text: str) -> None:
    """A text whose only whitespace is the space is cut and marked by one ``findall``: it must give exactly
    what cutting it into segments and marking each one gives (the content ids of every fiche depend on it)."""
    plain = text.replace("\u00a0", " ").strip()
    assume(plain)
    assert _SEGMENT_RE.findall(plain) == [_mark(s) for s in _segments(text)[0]]


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.sampled_from([s[0] for s in SHAPES]), MARKISH,
                 st.lists(st.tuples(st.one_of(RUNS, SEP), st.one_of(MARKED, ITEM)), min_size=1, max_size=6).map(
                     lambda parts: "".join(sep + item for sep, item in parts))))
def test_the_contract_list_is_the_top_level_of_the_split(text: str) -> None:
    """``split_list`` (what an import calls) builds a flat list's entries without items: the same entries and
    method as ``top_level(split_items(text))``."""
    split = split_items(text)
    assert split_list(text) == (top_level(split), split.method)
