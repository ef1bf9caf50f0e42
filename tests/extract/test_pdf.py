"""The PDF front end: the corpus PDFs against their text twins, furniture, stitching, rejections.

Most tests run on the rendered corpus (tests/fixtures/pdf); a few build tiny PDFs with a writer at
the bottom of this file (base-14 fonts only, no dependency) for what the corpus does not show: a
dingbat-font checkbox, a horizontal-rules table cut mid-sentence by a page break, furniture
spellings, a scanned page inside a text PDF.
"""

from __future__ import annotations

import io
import json
import re
import unicodedata
from datetime import date
from pathlib import Path

import pytest
from parsed import layout as cached_layout

from pipeline.errors import RejectedInput
from pipeline.extract import extract, source_of
from pipeline.extract.pdf import extract_pdf
from pipeline.parse import extract_document
from pipeline.records import BlockKind, Layout, Marker, PageFurniture

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
PDFS = FIXTURES / "pdf"
CQPM_PDFS = sorted(p.name for p in PDFS.glob("00[012]_*.pdf"))
ALL_PDFS = sorted(p.name for p in PDFS.glob("*.pdf"))
VERSION_PDFS = sorted(FIXTURES.glob("versions/*/*.pdf"))


def norm(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold().replace("’", "'").replace("œ", "oe")
    return " ".join(text.split()).rstrip(" ;.:,")


def twin(pdf_name: str) -> Path:
    return FIXTURES / "seeds" / (pdf_name.split(".")[0] + ".txt")


def body_rows(layout: Layout):
    return [b for b in layout.blocks if b.kind is BlockKind.TABLE_ROW and not b.header]


def criteria_items(layout: Layout) -> list[tuple[int, str]]:
    """(column, text) of every item of every body row: a cell splits at its checkboxes, bullets stay
    inside their item.  A criterion in a row of its own and one of several ☐ in a cell read alike."""
    out: list[tuple[int, str]] = []
    for row in body_rows(layout):
        for ci, cell in enumerate(row.cells):
            items: list[list[str]] = []
            for para in cell.paras:
                if para.marker is Marker.CHECKBOX or not items:
                    items.append([])
                items[-1].append(("• " if para.marker is Marker.BULLET else "") + para.text)
            out.extend((ci, norm(" ".join(item))) for item in items)
    return out


def cell_paragraphs(layout: Layout, skip: set[int]) -> list[tuple[int, tuple[str, ...]]]:
    return [(ci, tuple(norm(p.text) for p in cell.paras)) for row in body_rows(layout)
            for ci, cell in enumerate(row.cells) if ci not in skip and cell.paras]


def checkbox_columns(layout: Layout) -> set[int]:
    return {ci for row in body_rows(layout) for ci, c in enumerate(row.cells)
            if any(p.marker is Marker.CHECKBOX for p in c.paras)}


@pytest.fixture(scope="module")
def layouts() -> dict[str, Layout]:
    return {name: cached_layout(PDFS / name) for name in ALL_PDFS}


# ---------------------------------------------------------------------------------------------- twins


@pytest.mark.parametrize("name", CQPM_PDFS)
def test_table_matches_the_text_twin(name: str, layouts: dict[str, Layout]) -> None:
    pdf, text = layouts[name], extract(twin(name))
    # same rows/cells/items in the same order (a ☐ item is a row or a ☐ paragraph, as in the twins)
    assert criteria_items(pdf) == criteria_items(text)
    # same paragraphs in the cells of the capacity / conditions / assessment columns
    skip = checkbox_columns(pdf) | checkbox_columns(text)
    assert cell_paragraphs(pdf, skip) == cell_paragraphs(text, skip)
    # bullets are BULLET paragraphs inside their cell, never rows of their own
    assert sum(p.marker is Marker.BULLET for r in body_rows(pdf) for c in r.cells for p in c.paras) == \
        sum(p.marker is Marker.BULLET for r in body_rows(text) for c in r.cells for p in c.paras)


@pytest.mark.parametrize("name", ["001_1b606db1c3205ecb.rl-portrait-grid.pdf",
                                  "001_1b606db1c3205ecb.rl-portrait-grid.header.pdf"])
def test_grid_rows_are_those_of_the_text_twin(name: str, layouts: dict[str, Layout]) -> None:
    """Seed 001's twin has one criterion per row, like the PDF: rows, cells and markers are equal."""
    def rows(layout: Layout) -> list[tuple[tuple[tuple[str | None, str], ...], ...]]:
        return [tuple(tuple((p.marker, norm(p.text)) for p in c.paras) for c in r.cells) for r in body_rows(layout)]
    assert rows(layouts[name]) == rows(extract(twin(name)))


@pytest.mark.parametrize("name", CQPM_PDFS)
def test_body_blocks_look_like_the_text_twin(name: str, layouts: dict[str, Layout]) -> None:
    blocks = layouts[name].blocks
    texts = [norm(b.text) for b in blocks if b.kind is not BlockKind.TABLE_ROW]
    assert texts[:2] == ["referentiel du cqpm", norm(next(b.text for b in extract(twin(name)).blocks
                                                           if b.text.startswith("TITRE")))]
    assert "i objectif professionnel du cqpm" in texts and "ii referentiel de certification" in texts
    # headings are paragraphs, as in the text conversions; the section I lists are list items
    assert all(b.kind is BlockKind.PARAGRAPH for b in blocks if b.text.startswith(("II REFERENTIEL", "IV MODAL")))
    capacities = [b for b in blocks if b.kind is BlockKind.LIST_ITEM and re.match(r"\d+\) ", b.text)]
    assert [b.marker for b in capacities] == [f"{i})" for i in range(1, len(capacities) + 1)]
    assert all(not b.gap_before for b in capacities[1:])
    missions = [b for b in blocks if b.kind is BlockKind.LIST_ITEM and b.marker in ("•", "–", "-")]
    assert missions and all(not b.text.startswith(("•", "–", "-")) for b in missions)
    notes = [b for b in blocks if b.kind is BlockKind.FOOTNOTE]
    assert [b.marker for b in notes] == ["¹"] and notes[0].text.startswith("Le terme générique")
    # the footnote call in the body is gone, as the text front end removes it
    assert not any(re.search(r"candidat\d|acquis\.\d", b.text) for b in blocks)


# ---------------------------------------------------------------------------------------------- tables


def test_a_row_cut_by_a_page_break_is_stitched(layouts: dict[str, Layout]) -> None:
    layout = layouts["000_8d1bcbb53b7e0a76.rl-portrait-grid.pdf"]
    row = next(r for r in body_rows(layout) if r.cells[0].text.startswith("2. "))
    assert row.page == 1
    assert row.cells[0].text == ("2. Définir un plan d'action permettant d'intégrer le développement durable "
                                 "dans la politique de l'entreprise")  # its last words are on page 2
    conditions = row.cells[1].paras
    assert [p.text[:30] for p in conditions] == ["A partir d'axes d'amélioration", "L'ensemble des éléments (docum"]
    assert conditions[0].text.endswith("d'un diagnostic développement durable, d'un audit, d'une analyse "
                                       "réglementaire, ...).")
    assert [p.page for p in conditions] == [1, 2]
    criteria = row.cells[2].paras
    assert criteria[0].text.endswith("Le plan d'action tient compte en particulier :")
    assert [p.marker for p in criteria] == [None, Marker.BULLET, Marker.BULLET, Marker.BULLET]
    # the page-2 part is not left behind as a row of its own
    assert not any(r.cells[0].text.startswith("dans la politique") for r in body_rows(layout))


def test_rncp_block_cut_by_a_page_break_is_stitched(layouts: dict[str, Layout]) -> None:
    layout = layouts["004_753004672cef2017.rl-portrait-grid.pdf"]
    blocs = [r for r in body_rows(layout) if r.cells[0].text.startswith("Bloc de compétence")]
    assert [r.cells[0].text.split(" - ")[-1] for r in blocs] == [
        "L'identification de la problématique RH et la proposition de solutions", "La mise en œuvre des solutions",
        "La communication d'information sur un sujet concernant les RH", "L'analyse de l'existant"]
    third = blocs[2].cells[1].paras
    assert third[-1].text.startswith("Chaque bloc est certifié") and third[-1].page == 3
    for name in ("003_b7becefa6c01c81b.rl-portrait-grid.pdf", "003_b7becefa6c01c81b.lo-landscape-hrules.pdf"):
        for row in body_rows(layouts[name]):
            # "Ou" ends bloc 3's first page and "Présentation …" opens the next one: two paragraphs
            assert not any(p.text.startswith("Ou ") for c in row.cells for p in c.paras)


@pytest.mark.parametrize("name", CQPM_PDFS)
def test_one_table_over_pages_with_header_rows_flagged(name: str, layouts: dict[str, Layout]) -> None:
    layout = layouts[name]
    rows = [b for b in layout.blocks if b.kind is BlockKind.TABLE_ROW]
    assert {r.table for r in rows} == {1}
    headers = [r for r in rows if r.header]
    assert headers[0] is rows[0] and headers[0].cells[0].text == "Capacités professionnelles"
    assert len({r.text for r in headers}) == 1
    pages = {r.page for r in rows}
    if "portrait" in name:  # the grid style repeats its header on every page of the table
        assert {h.page for h in headers} == pages
    else:
        assert len(headers) == 1
    capacities = [r for r in body_rows(layout) if r.cells[0].text]
    assert [int(r.cells[0].text.split(".")[0]) for r in capacities] == list(range(1, len(capacities) + 1))
    # continuation rows: empty capacity/conditions cells, a criterion
    follow = [r for r in body_rows(layout) if not r.cells[0].text]
    assert follow and all(not r.cells[1].text and r.cells[2].text for r in follow)
    assert all(len(r.cells) == len(rows[0].cells) for r in rows)


@pytest.mark.parametrize("name", CQPM_PDFS)
def test_checkbox_and_bullet_markers(name: str, layouts: dict[str, Layout]) -> None:
    paras = [p for r in body_rows(layouts[name]) for c in r.cells for p in c.paras]
    boxes = [p for p in paras if p.marker is Marker.CHECKBOX]
    if "landscape" in name:  # that style prints ☐ before every criterion
        assert len(boxes) == len([it for it in criteria_items(layouts[name]) if it[0] == 2])
    else:
        assert not boxes
    assert not any(p.text.startswith(("☐", "•")) for p in paras)


def test_rncp_tables(layouts: dict[str, Layout]) -> None:
    for name in ("003_b7becefa6c01c81b.rl-portrait-grid.pdf", "003_b7becefa6c01c81b.lo-landscape-hrules.pdf"):
        rows = [b for b in layouts[name].blocks if b.kind is BlockKind.TABLE_ROW]
        by_table: dict[int, list] = {}
        for r in rows:
            by_table.setdefault(r.table, []).append(r)
        heads = [norm(t[0].cells[0].text) for t in by_table.values()]
        assert heads[:3] == ["autorité responsable de la certification", "intitulé",
                             "conditions d'inscription à la certification"]
        assert all(t[0].header for t in by_table.values())
        blocs = by_table[2]
        assert [r.header for r in blocs].count(False) == 3
        conditions = [r for r in by_table[3] if not r.header]
        assert [norm(r.cells[0].text) for r in conditions][-1] == "par expérience dispositif vae prévu en 2007"
        assert [(r.cells[1].text, r.cells[2].text) for r in conditions] == [
            ("", "X"), ("", "X"), ("X", ""), ("X", ""), ("", "X"), ("X", "")]


# ---------------------------------------------------------------------------------------------- provenance


@pytest.mark.parametrize("name", ALL_PDFS)
def test_every_block_and_para_has_page_and_bbox(name: str, layouts: dict[str, Layout]) -> None:
    layout = layouts[name]
    assert layout.source.format == "pdf" and layout.source.pages == json.loads(
        (PDFS / name.replace(".pdf", ".gold.json")).read_text())["source"]["pages"]
    pages = layout.source.pages
    for i, block in enumerate(layout.blocks):
        assert block.order == i
        assert block.page is not None and 1 <= block.page <= pages
        assert block.bbox is not None and block.bbox.x0 < block.bbox.x1 and block.bbox.top < block.bbox.bottom
        assert block.bbox.x0 >= 0 and block.bbox.bottom <= 842
        for cell in block.cells:
            for para in cell.paras:
                assert para.page is not None and block.page <= para.page <= pages
                assert para.bbox is not None and para.bbox.top < para.bbox.bottom
                if para.page == block.page and cell.bbox is not None:
                    assert cell.bbox.x0 - 1 <= para.bbox.x0 and para.bbox.x1 <= cell.bbox.x1 + 1
        if block.kind is not BlockKind.TABLE_ROW:  # a row's text joins its cells, empty ones too
            assert block.text == block.text.strip() and "  " not in block.text
        assert "\ufffd" not in block.text and "Ã" not in block.text


def test_pages_are_in_reading_order(layouts: dict[str, Layout]) -> None:
    for layout in layouts.values():
        pages = [b.page for b in layout.blocks]
        assert pages == sorted(pages)


# ---------------------------------------------------------------------------------------------- furniture


def test_furniture_values_from_the_real_page_header(layouts: dict[str, Layout]) -> None:
    layout = layouts["001_1b606db1c3205ecb.rl-portrait-grid.header.pdf"]
    assert layout.furniture == PageFurniture(number="0195", qualification_id="2001 01 89 0195", category="C*",
                                             last_modified=date(2007, 1, 9), level=None)
    # the header lines are gone from the body: the layout equals the one without a header
    plain = layouts["001_1b606db1c3205ecb.rl-portrait-grid.pdf"]
    assert [(b.kind, b.text, b.page) for b in layout.blocks] == [(b.kind, b.text, b.page) for b in plain.blocks]


@pytest.mark.parametrize("name", ALL_PDFS)
def test_furniture_lines_absent_from_the_body(name: str, layouts: dict[str, Layout]) -> None:
    texts = [b.text for b in layouts[name].blocks] + [
        p.text for b in layouts[name].blocks for c in b.cells for p in c.paras]
    pattern = re.compile(r"page \d+ sur \d+|commiss?ion paritaire nationale de l.emploi de l[ae] metallurgie"
                         r"|^qualification :|^catégorie :|dernière modification|résumé descriptif de la "
                         r"certification \d+/\d+|^\d+/\d+$", re.I)
    assert not [t for t in texts if pattern.search(t)]


def test_boxed_header_drawn_as_a_table_is_furniture() -> None:
    v2 = next(p for p in VERSION_PDFS if p.name == "v2.rl-portrait-grid.pdf")
    layout = extract(v2)
    assert layout.furniture.last_modified == date(2021, 5, 2)
    assert layout.blocks[0].text == "REFERENTIEL DU CQPM"
    assert not any("METALLURGIE" in b.text for b in layout.blocks)


# ---------------------------------------------------------------------------------------------- rejections


BAD = json.loads((FIXTURES / "bad" / "MANIFEST.json").read_text())["files"]
EXPECTED_REASON = {
    "empty.pdf": "empty file",
    "truncated.pdf": "truncated/corrupt PDF",
    "encrypted.pdf": "password-protected PDF (no password supplied)",
    "image_only.pdf": "no text layer (needs OCR)",
    "png_named.pdf": "not a PDF",
    "letter.pdf": "not a CQPM référentiel or RNCP fiche",
}


@pytest.mark.parametrize("entry", [e for e in BAD if e["file"].endswith(".pdf")], ids=lambda e: e["file"])
def test_bad_pdfs_are_rejected_with_their_reason(entry: dict) -> None:
    path = FIXTURES / "bad" / entry["file"]
    with pytest.raises(RejectedInput) as info:
        extract_document(path)
    assert EXPECTED_REASON[entry["file"]] in info.value.reason
    assert info.value.path == str(path)
    if entry["file"] != "letter.pdf":  # the letter is a readable PDF: the parser rejects its content
        with pytest.raises(RejectedInput):
            extract(path)


def test_image_only_reason_names_ocr() -> None:
    with pytest.raises(RejectedInput) as info:
        extract(FIXTURES / "bad" / "image_only.pdf")
    assert "scanned/image-only PDF" in info.value.reason and "OCR is not part of the pipeline" in info.value.reason


def test_any_truncation_is_rejected_never_a_partial_document() -> None:
    data = (PDFS / "001_1b606db1c3205ecb.rl-portrait-grid.pdf").read_bytes()
    for cut in (len(data) // 3, len(data) // 2, len(data) - 200):
        with pytest.raises(RejectedInput, match="truncated/corrupt PDF"):
            extract_pdf(Path("cut.pdf"), data[:cut], source_of(Path("cut.pdf"), data[:cut], "pdf"))
    # an incremental update cut short: the last %%EOF is followed by a partial section
    updated = data + data[: len(data) // 2]
    with pytest.raises(RejectedInput, match="after the last %%EOF"):
        extract_pdf(Path("cut.pdf"), updated, source_of(Path("cut.pdf"), updated, "pdf"))
    # padding after %%EOF is harmless
    padded = data + b"\x00" * 4096
    assert extract_pdf(Path("p.pdf"), padded, source_of(Path("p.pdf"), padded, "pdf")).source.pages == 4


def test_garbage_with_a_pdf_signature_is_rejected() -> None:
    data = b"%PDF-1.4\n" + b"this is not a pdf body\n" * 50 + b"%%EOF\n"
    with pytest.raises(RejectedInput, match="corrupt PDF"):
        extract_pdf(Path("junk.pdf"), data, source_of(Path("junk.pdf"), data, "pdf"))


def test_a_scanned_page_inside_a_text_pdf_rejects_the_file() -> None:
    pages = [Page().text(50, 80, "REFERENTIEL DU CQPM", 14, "F2"), Page().image(), Page().text(50, 80, "Fin.")]
    for n, page in enumerate(pages, start=1):  # the scanner's page number is text: the page is still a scan
        page.text(500, 20, f"Page {n} sur 3", 8)
    data = build(pages)
    with pytest.raises(RejectedInput) as info:
        extract_pdf(Path("mixed.pdf"), data, source_of(Path("mixed.pdf"), data, "pdf"))
    assert info.value.page == 2 and "no text layer (needs OCR)" in info.value.reason


# ---------------------------------------------------------------------------------------------- one pass


def test_each_page_parsed_once_closed_and_the_bytes_opened_once(monkeypatch: pytest.MonkeyPatch) -> None:
    import pdfplumber

    monkeypatch.setenv("REFPIPE_PDF_BACKEND", "pdfplumber")
    from pdfplumber.page import Page as PlumberPage

    events: list[tuple[str, int]] = []
    opened: list[object] = []
    real_open, real_words, real_close = pdfplumber.open, PlumberPage.extract_words, PlumberPage.close

    def spy_open(src, *a, **k):  # noqa: ANN001, ANN002, ANN003
        opened.append(src)
        return real_open(src, *a, **k)

    def spy_words(self, *a, **k):  # noqa: ANN001, ANN002, ANN003
        events.append(("words", self.page_number))
        return real_words(self, *a, **k)

    def spy_close(self):  # noqa: ANN001
        events.append(("close", self.page_number))
        return real_close(self)

    monkeypatch.setattr(pdfplumber, "open", spy_open)
    monkeypatch.setattr(PlumberPage, "extract_words", spy_words)
    monkeypatch.setattr(PlumberPage, "close", spy_close)
    layout = extract(PDFS / "002_59b883e404a36628.lo-landscape-hrules.pdf")
    assert len(opened) == 1 and isinstance(opened[0], io.BytesIO)
    n = layout.source.pages
    assert n == 6
    # words read once per page, and each page closed before the next one is read
    assert events[: 2 * n] == [e for i in range(1, n + 1) for e in (("words", i), ("close", i))]
    assert [e for e in events if e[0] == "words"] == [("words", i) for i in range(1, n + 1)]


def test_pdfium_closes_every_page_text_page_and_the_document(monkeypatch: pytest.MonkeyPatch) -> None:
    """pdfium handles are not garbage-collected: each page is read and closed before the next is opened."""
    import pypdfium2 as pdfium

    events: list[str] = []
    for cls, name in ((pdfium.PdfDocument, "doc"), (pdfium.PdfPage, "page"), (pdfium.PdfTextPage, "text")):
        real = cls.close

        def spy(self, *a, _real=real, _name=name, **k):  # noqa: ANN001, ANN002, ANN003
            events.append(_name)
            return _real(self, *a, **k)

        monkeypatch.setattr(cls, "close", spy)
    real_get = pdfium.PdfDocument.__getitem__

    def spy_get(self, i):  # noqa: ANN001
        events.append("open")
        return real_get(self, i)

    monkeypatch.setattr(pdfium.PdfDocument, "__getitem__", spy_get)
    monkeypatch.setenv("REFPIPE_PDF_BACKEND", "pdfium")
    layout = extract(PDFS / "002_59b883e404a36628.lo-landscape-hrules.pdf")
    n = layout.source.pages
    assert events[: 3 * n] == ["open", "text", "page"] * n and events[3 * n:].count("doc") >= 1
    with pytest.raises(RejectedInput):  # a page failing midway: the document is closed all the same
        monkeypatch.setattr("pipeline.extract.pdf.pdfium.read_pdfium_page",
                            lambda page: (_ for _ in ()).throw(RuntimeError("boom")))
        events.clear()
        extract(PDFS / "002_59b883e404a36628.lo-landscape-hrules.pdf")
    assert events[:3] == ["open", "page", "doc"]


# ---------------------------------------------------------------------------------------------- synthetic


def _cqpm_page(n: int, total: int, landscape: bool = True) -> Page:
    page = Page(842, 595) if landscape else Page()
    page.text(730, 25, f"Page {n} sur {total}", 7.5)
    page.text(260, 45, "COMMISSION PARITAIRE NATIONALE DE L'EMPLOI DE LA METALLURGIE", 8, "F2")
    return page


def _hrules_table_doc() -> bytes:
    """A landscape référentiel whose horizontal-rules table runs over two pages, cut mid-criterion."""
    p1 = _cqpm_page(1, 2)
    p1.text(330, 100, "REFERENTIEL DU CQPM", 14, "F2").text(45, 125, "TITRE DU CQPM : Essai", 11, "F2")
    p1.text(45, 150, "II REFERENTIEL DE CERTIFICATION", 10.5, "F2")
    p1.hline(45, 797, 170)
    p1.text(60, 174, "Capacités professionnelles", 8, "F2").text(250, 174, "Conditions de réalisation", 8, "F2")
    p1.text(470, 174, "Critères observables", 8, "F2")
    p1.hline(45, 797, 190)
    p1.text(48, 194, "1. Préparer une intervention", 8, "F2").text(206, 194, "A partir d'un dossier")
    p1.text(386, 194, "q", 8, "F3").text(396, 194, "Les documents sont identifiés et", 8)
    p1.text(386, 204, "classés.", 8)
    p1.hline(383, 797, 220)
    p1.text(386, 224, "q", 8, "F3").text(396, 224, "Le plan tient compte :", 8)
    p1.text(400, 235, "l", 8, "F3").text(412, 235, "des délais,", 8)
    p1.text(400, 246, "l", 8, "F3").text(412, 246, "des moyens disponibles et des", 8)
    p1.text(412, 256, "contraintes,", 8)
    p1.hline(383, 797, 272)
    p1.text(386, 276, "q", 8, "F3").text(396, 276, "Les risques propres à l'intervention sont", 8)
    p1.text(386, 286, "analysés et les mesures de prévention", 8)
    p1.hline(45, 797, 300)
    p2 = _cqpm_page(2, 2)
    p2.hline(45, 797, 100)
    p2.text(206, 104, "Les moyens sont fournis.").text(386, 104, "adaptées sont prises.", 8)
    p2.hline(383, 797, 118)
    p2.text(386, 122, "q", 8, "F3").text(396, 122, "Le compte rendu est rédigé.", 8)
    p2.hline(45, 797, 136)
    p2.text(48, 140, "2. Réaliser l'intervention", 8, "F2").text(206, 140, "Sur site")
    p2.text(386, 140, "q", 8, "F3").text(396, 140, "Les consignes sont respectées.", 8)
    p2.hline(45, 797, 156)
    p2.text(45, 180, "III CONDITIONS D'ADMISSIBILITE", 10.5, "F2")
    return build([p1, p2])


def _layout_of(data: bytes, name: str = "synthetic.pdf") -> Layout:
    return extract_pdf(Path(name), data, source_of(Path(name), data, "pdf"))


def test_synthetic_hrules_table_cut_mid_criterion_with_dingbat_glyphs() -> None:
    layout = _layout_of(_hrules_table_doc())
    rows = [b for b in layout.blocks if b.kind is BlockKind.TABLE_ROW]
    assert rows[0].header and {r.table for r in rows} == {1}
    got = [[[(p.marker, p.text) for p in c.paras] for c in r.cells] for r in rows[1:]]
    box, bul = Marker.CHECKBOX, Marker.BULLET
    assert got == [
        [[(None, "1. Préparer une intervention")],
         [(None, "A partir d'un dossier"), (None, "Les moyens sont fournis.")],
         [(box, "Les documents sont identifiés et classés.")]],
        [[], [], [(box, "Le plan tient compte :"), (bul, "des délais,"),
                  (bul, "des moyens disponibles et des contraintes,")]],
        [[], [], [(box, "Les risques propres à l'intervention sont analysés et les mesures de prévention "
                        "adaptées sont prises.")]],
        [[], [], [(box, "Le compte rendu est rédigé.")]],
        [[(None, "2. Réaliser l'intervention")], [(None, "Sur site")], [(box, "Les consignes sont respectées.")]],
    ]
    stitched = rows[3].cells[2].paras[0]
    assert rows[3].page == 1 and stitched.page == 1
    texts = [b.text for b in layout.blocks if b.kind is not BlockKind.TABLE_ROW]
    assert texts == ["REFERENTIEL DU CQPM", "TITRE DU CQPM : Essai", "II REFERENTIEL DE CERTIFICATION",
                     "III CONDITIONS D'ADMISSIBILITE"]


def test_synthetic_furniture_spellings_and_a_paragraph_over_a_page_break() -> None:
    pages = []
    for n in (1, 2, 3):
        page = Page()
        page.text(70, 28, "COMMISION PARITAIRE NATIONALE DE", 8.5, "F2")
        page.text(70, 38, "L'EMPLOI DE LE METALLURGIE", 8.5, "F2")
        page.text(400, 28, "Qualification : MQ 1989 0021", 8.5)
        page.text(400, 38, "Catégorie : C*", 8.5).text(400, 48, "Niveau : 3", 8.5)
        page.text(400, 58, "Dernière Modification : 09/01/07", 8.5)
        page.text(480, 810, f"Page {n} / 3", 8)
        pages.append(page)
    pages[0].text(57, 120, "REFERENTIEL DU CQPM", 14, "F2")
    y = 760.0
    line1 = "Ce paragraphe est assez long pour remplir la ligne entière de la page et continuer sur"
    line2 = "la page suivante sans interruption"
    pages[0].text(57, y, line1, 9.5).text(57, y + 12, line2, 9.5)  # ends at the bottom of page 1 ...
    pages[1].text(57, 120, "de la phrase commencée plus haut.", 9.5)  # ... and goes on at the top of page 2
    pages[1].text(57, 150, "Un autre paragraphe.", 9.5)
    pages[2].text(57, 120, "Fin du document.", 9.5)
    layout = _layout_of(build(pages))
    assert layout.furniture == PageFurniture(number="0021", qualification_id="1989 0021", category="C*",
                                             last_modified=date(2007, 1, 9), level="3")
    texts = [b.text for b in layout.blocks]
    assert texts == ["REFERENTIEL DU CQPM", f"{line1} {line2} de la phrase commencée plus haut.",
                     "Un autre paragraphe.", "Fin du document."]
    assert layout.source.pages == 3


def test_synthetic_single_page_furniture_is_read_from_its_spelling() -> None:
    page = Page().text(480, 20, "Page 1 sur 1", 8).text(57, 40, "Qualification : 2000 04 59/35 0186", 8.5)
    page.text(57, 120, "REFERENTIEL DU CQPM", 14, "F2").text(57, 160, "Qualification : ce mot dans le corps.", 9.5)
    layout = _layout_of(build([page]))
    assert layout.furniture.qualification_id == "2000 04 59/35 0186" and layout.furniture.number == "0186"
    assert [b.text for b in layout.blocks] == ["REFERENTIEL DU CQPM", "Qualification : ce mot dans le corps."]


# ---------------------------------------------------------------------------------------------- tiny PDFs

FONTS = {"F1": "Helvetica", "F2": "Helvetica-Bold", "F3": "ZapfDingbats"}


def _esc(text: str) -> bytes:
    return text.encode("cp1252").replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


class Page:
    """One page of a tiny PDF: base-14 text at (x, top) in points, rules, a full-page image."""

    def __init__(self, width: float = 595.0, height: float = 842.0) -> None:
        self.width, self.height = width, height
        self.ops: list[bytes] = []
        self.has_image = False

    def text(self, x: float, top: float, text: str, size: float = 8.0, font: str = "F1") -> Page:
        y = self.height - top - size * 0.8
        self.ops.append(b"BT /%s %.2f Tf %.2f %.2f Td (%s) Tj ET" % (font.encode(), size, x, y, _esc(text)))
        return self

    def hline(self, x0: float, x1: float, top: float) -> Page:
        y = self.height - top
        self.ops.append(b"0.5 w %.2f %.2f m %.2f %.2f l S" % (x0, y, x1, y))
        return self

    def image(self) -> Page:
        self.has_image = True
        self.ops.append(b"q %.2f 0 0 %.2f 0 0 cm /Im1 Do Q" % (self.width, self.height))
        return self


def build(pages: list[Page], catalog: bytes = b"") -> bytes:
    """A PDF of the pages; ``catalog``: more entries for the document catalog."""
    objs: list[bytes] = []
    fonts = []
    for name, base in FONTS.items():
        enc = b"" if base == "ZapfDingbats" else b" /Encoding /WinAnsiEncoding"
        objs.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /%s%s >>" % (base.encode(), enc))
        fonts.append(b"/%s %d 0 R" % (name.encode(), len(objs)))
    objs.append(b"<< /Type /XObject /Subtype /Image /Width 1 /Height 1 /ColorSpace /DeviceGray "
                b"/BitsPerComponent 8 /Length 1 >>\nstream\n\x80\nendstream")
    image_id = len(objs)
    pages_id = len(objs) + 1
    objs.append(b"")
    kids = []
    for p in pages:
        stream = b"\n".join(p.ops)
        objs.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
        xobj = b" /XObject << /Im1 %d 0 R >>" % image_id if p.has_image else b""
        objs.append(b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %.2f %.2f] /Contents %d 0 R "
                    b"/Resources << /Font << %s >>%s >> >>"
                    % (pages_id, p.width, p.height, len(objs), b" ".join(fonts), xobj))
        kids.append(len(objs))
    objs[pages_id - 1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % k for k in kids), len(kids))
    objs.append(b"<< /Type /Catalog /Pages %d 0 R%s >>" % (pages_id, catalog))
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objs, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (i, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, len(objs), xref)
    return bytes(out)


@pytest.mark.parametrize("pdf", sorted(p.name for p in (FIXTURES / "pdf").glob("00[012]_*.pdf")))
def test_numbered_list_items_carry_their_number_as_marker_not_in_text(pdf: str) -> None:
    """Section I's "1) …" list reads the same from the PDF as from its text twin (layout model rule)."""
    from pipeline.normalize.text import comparison_key
    from pipeline.parse import extract_document

    twin = extract_document(FIXTURES / "seeds" / (pdf.split(".")[0] + ".txt")).cqpm
    got = extract_document(FIXTURES / "pdf" / pdf).cqpm
    assert twin is not None and got is not None and got.listed_capacities
    assert [(c.code, comparison_key(c.text)) for c in got.listed_capacities] == [
        (c.code, comparison_key(c.text)) for c in twin.listed_capacities]
