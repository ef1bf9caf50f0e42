"""Word (.docx) and OpenDocument (.odt) référentiels: the seeds written by an office library read back
to the seeds' own canonical JSON, sniffed by content, with their tables' structure and provenance.

Seed 003 is left out: it is a pdftotext dump whose line breaks carry the structure (a label on one
line, its value on the next, wrapped sentences), which no word processor writes.
"""

from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path

import pytest
from golden import FIXTURES, assert_matches_gold, load_gold
from office_docs import write_docx, write_odt

from pipeline.contract import document_to_json
from pipeline.errors import RejectedInput
from pipeline.extract import extract
from pipeline.extract.sniff import sniff_format
from pipeline.normalize.document import normalize_document
from pipeline.parse import extract_document
from pipeline.records import BlockKind, Marker, Status

SEEDS = ("000_8d1bcbb53b7e0a76", "001_1b606db1c3205ecb", "002_59b883e404a36628", "004_753004672cef2017")
WRITERS = {"docx": write_docx, "odt": write_odt}


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Path]:
    work = tmp_path_factory.mktemp("office")
    return {(stem, fmt): write(FIXTURES / "seeds" / f"{stem}.txt", work / f"{stem}.{fmt}")
            for stem in SEEDS for fmt, write in WRITERS.items()}


def canonical(path: Path) -> dict[str, object]:
    doc = normalize_document(extract_document(path))
    out = document_to_json(doc)
    out.pop("id", None)
    out.pop("source", None)
    return out


@pytest.mark.parametrize("fmt", sorted(WRITERS))
@pytest.mark.parametrize("stem", SEEDS)
def test_office_version_gives_the_seeds_json(stem: str, fmt: str, written: dict[tuple[str, str], Path]) -> None:
    path = written[(stem, fmt)]
    got = canonical(path)
    assert got == canonical(FIXTURES / "seeds" / f"{stem}.txt")
    gold = load_gold(FIXTURES / "gold" / f"{stem}.json")
    kind = gold["kind"]
    assert got["kind"] == kind and got["status"] == Status.LOADED.value
    assert_matches_gold(got[kind], gold[kind], stem, kind)  # type: ignore[arg-type]


@pytest.mark.parametrize("stem", SEEDS[:3])
def test_word_automatic_numbering_reads_like_typed_numbers(stem: str, tmp_path: Path) -> None:
    """Section headings (I … IV), the "doit être capable de" list (1) …) and the capacities (1. …) numbered
    by Word itself: the numbers are not in the text, the reader renders them as Word shows them."""
    import docx

    path = write_docx(FIXTURES / "seeds" / f"{stem}.txt", tmp_path / f"{stem}.docx", word_numbering=True)
    body = docx.Document(str(path)).element.body
    numbered = body.findall(".//{http://schemas.openxmlformats.org/wordprocessingml/2006/main}numId")
    assert len([n for n in numbered if n.get(
        "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}val") in ("91", "92", "93")]) >= 10
    assert canonical(path) == canonical(FIXTURES / "seeds" / f"{stem}.txt")


@pytest.mark.parametrize("stem", SEEDS[:3])
def test_odf_list_and_outline_numbering_reads_like_typed_numbers(stem: str, tmp_path: Path) -> None:
    """The same with OpenDocument numbering: outline-numbered section headings, numbered lists continued
    from one list (and one table cell) to the next."""
    path = write_odt(FIXTURES / "seeds" / f"{stem}.txt", tmp_path / f"{stem}.odt", numbering=True)
    with zipfile.ZipFile(path) as archive:
        content = archive.read("content.xml").decode("utf-8")
    assert content.count('text:continue-numbering="true"') >= 5 and content.count("text:continue-list=") >= 5
    assert "1. " not in content.split("office:body")[1].split("<table:table ")[1]  # no typed capacity numbers
    assert canonical(path) == canonical(FIXTURES / "seeds" / f"{stem}.txt")


@pytest.mark.parametrize("fmt", sorted(WRITERS))
def test_sniffed_by_content_not_by_name(fmt: str, written: dict[tuple[str, str], Path], tmp_path: Path) -> None:
    misnamed = tmp_path / "referentiel.txt"
    shutil.copy(written[(SEEDS[1], fmt)], misnamed)
    assert sniff_format(misnamed.read_bytes(), str(misnamed)) == fmt
    layout = extract(misnamed)
    assert layout.source.format == fmt and layout.source.pages is None


@pytest.mark.parametrize("fmt", sorted(WRITERS))
def test_tables_headers_merged_cells_and_provenance(fmt: str, written: dict[tuple[str, str], Path]) -> None:
    layout = extract(written[(SEEDS[1], fmt)])
    rows = [b for b in layout.blocks if b.kind is BlockKind.TABLE_ROW]
    headers = [r for r in rows if r.header]
    assert len({r.table for r in rows}) >= 2 and len(headers) == len({r.table for r in rows})
    assert headers[0].cells[0].text == "Capacités professionnelles"
    # a capacity's continuation rows are merged cells, read as empty cells (not the capacity again)
    continuations = [r for r in rows if not r.header and r.cells[0].empty]
    assert continuations and all(r.cells[2].text for r in continuations)
    capacities = [r.cells[0].text for r in rows if not r.header and not r.cells[0].empty]
    assert len(capacities) == len(set(capacities)) == 8
    # bullets inside a criterion cell stay sub-items
    first = next(r for r in rows if r.cells[0].text.startswith("1."))
    assert [p.marker for p in first.cells[2].paras][:2] == [None, Marker.BULLET]
    assert [b.order for b in layout.blocks] == list(range(len(layout.blocks)))
    assert all(b.page is None for b in layout.blocks)
    kinds = {b.kind for b in layout.blocks}
    assert {BlockKind.HEADING, BlockKind.LIST_ITEM, BlockKind.PARAGRAPH, BlockKind.TABLE_ROW} <= kinds


def test_word_tracked_changes_read_as_accepted(tmp_path: Path) -> None:
    """Text inserted with track changes on is the document's; deleted text is not."""
    import docx
    from docx.oxml import parse_xml

    w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    document = docx.Document()
    document.add_paragraph("TITRE DU CQPM : Opérateur")
    p = document.add_paragraph("Les mesures sont ")
    p._p.append(parse_xml(f'<w:del {w} w:id="1" w:author="a"><w:r><w:delText>fausses</w:delText></w:r></w:del>'))
    p._p.append(parse_xml(f'<w:ins {w} w:id="2" w:author="a"><w:r><w:t>justes</w:t></w:r></w:ins>'))
    p._p.append(parse_xml(f'<w:moveFrom {w} w:id="3" w:author="a"><w:r><w:t> ailleurs</w:t></w:r></w:moveFrom>'))
    path = tmp_path / "suivi.docx"
    document.save(str(path))
    assert [b.text for b in extract(path).blocks] == ["TITRE DU CQPM : Opérateur", "Les mesures sont justes"]


def _zip(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


@pytest.mark.parametrize(("members", "reason"), [
    ({"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"\x8f\x12 encrypted bytes",
      "META-INF/manifest.xml": b'<manifest:manifest><manifest:file-entry manifest:full-path="content.xml">'
                               b"<manifest:encryption-data/></manifest:file-entry></manifest:manifest>"},
     "password-protected OpenDocument text"),
    ({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document"}, "Word document"),
    ({"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<office:document-content"},
     "damaged OpenDocument text"),
    ({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": b"<x/>"},
     "an OpenDocument spreadsheet (.ods), not a référentiel"),
    ({"notes.txt": b"hello"}, "ZIP archive"),
    ({"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<a/>" + b" " * 5_000_000},
     "zip bomb"),
])
def test_damaged_or_foreign_packages_are_rejected_with_the_reason(members: dict[str, bytes], reason: str,
                                                                  tmp_path: Path) -> None:
    path = tmp_path / "ref.docx"
    path.write_bytes(_zip(members))
    with pytest.raises(RejectedInput) as info:
        extract(path)
    assert reason in str(info.value) and str(path) in str(info.value)


def test_a_password_protected_word_file_says_so(tmp_path: Path) -> None:
    """An encrypted .docx is an OLE compound file holding an "EncryptedPackage" stream, not a zip."""
    path = tmp_path / "protege.docx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + "EncryptedPackage".encode("utf-16-le"))
    with pytest.raises(RejectedInput, match="password-protected Office document"):
        extract(path)
