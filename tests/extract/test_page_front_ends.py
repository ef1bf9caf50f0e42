"""Front ends for the fiche page: the HTML one (DOM order, headings, table rows with cell paragraphs,
``<br>`` continuations) and the text one's markdown pipe tables (with or without a leading pipe)."""

from __future__ import annotations

from golden import FIXTURES

from pipeline.extract import extract
from pipeline.extract.sniff import sniff_format
from pipeline.records import BlockKind

PAGES = FIXTURES / "rncp-page"


def test_html_front_end_gives_the_layout_model_in_dom_order() -> None:
    data = (PAGES / "RNCP34917.html").read_bytes()
    assert sniff_format(data, "page.html") == "html"
    assert sniff_format(b"<!-- saved from url=(0040)https://x/ -->\n<!DOCTYPE html><html></html>", "x") == "html"
    assert sniff_format("Intitulé\n<p>texte</p>".encode(), "seed.txt") == "text"
    assert sniff_format(b'<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html><html/>', "x.xhtml") == "html"
    layout = extract(PAGES / "RNCP34917.html")
    assert layout.source.format == "html"
    assert [b.order for b in layout.blocks] == list(range(len(layout.blocks)))
    texts = [b.text for b in layout.blocks]
    assert "CQP Conducteur(trice) de cellule de pliage robotisée (CQPM)" in texts
    assert not any(t.startswith("Icon") for t in texts)  # images' alt texts are not content
    # "Certification<br>remplacée par": two lines, the second a continuation (no gap)
    i = texts.index("Certification")
    assert texts[i + 1] == "remplacée par" and not layout.blocks[i + 1].gap_before
    rows = [b for b in layout.blocks if b.kind is BlockKind.TABLE_ROW]
    assert rows[0].header and [c.text for c in rows[0].cells] == ["Nom légal", "Siret", "Nom commercial",
                                                                  "Site internet"]
    bloc_row = next(b for b in rows if b.text.startswith("Lire le dossier"))
    assert len(bloc_row.cells[0].paras) == 3 and len(bloc_row.cells[1].paras) == 2  # <li>s / <p>s


def test_markdown_pipe_tables_with_and_without_leading_pipe_are_table_rows() -> None:
    for name in ("RNCP34917.pipes.md", "RNCP34917.pipes-leading.md"):
        rows = [b for b in extract(PAGES / name).blocks if b.kind is BlockKind.TABLE_ROW]
        assert len(rows) == 19, name  # 3 + 2 + 2 + 7 + 3 + 2
        cert = next(b for b in rows if b.text.startswith("UNION"))
        assert [c.text for c in cert.cells] == ["UNION INDUSTRIES METALLURGIQUES MINIERES", "78471719100018",
                                                "-", "-"]
