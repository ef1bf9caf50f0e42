"""The warehouse read side: gold round trips through ``show`` and reference resolution."""

from __future__ import annotations

import dataclasses
import json
import shutil
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import duckdb
import pytest
from cli_runner import refpipe
from gold_documents import document_from_gold, gold_paths, load_gold, source_file
from golden import FIXTURES

from pipeline.contract import body_id
from pipeline.errors import PipelineError
from pipeline.load import warehouse as wh
from pipeline.load.rncp_export import import_export
from pipeline.query.resolve import held_key
from pipeline.query.show import AmbiguousReference, DocumentNotFound, resolve, show_json
from pipeline.records import Document, Source

GOLDS = gold_paths()


@pytest.fixture
def con(tmp_path: Path, new_warehouse: Callable[[Path], Path]) -> Iterator[duckdb.DuckDBPyConnection]:
    c = wh.connect(new_warehouse(tmp_path / "warehouse.duckdb"))
    yield c
    c.close()


@pytest.fixture
def loaded(con: duckdb.DuckDBPyConnection) -> list[Document]:
    docs = [document_from_gold(g) for g in GOLDS]
    for d in docs:  # a text seed and its PDFs with the same content are one document
        wh.load(d, con)
    return docs


def stored_id(con: duckdb.DuckDBPyConnection, d: Document) -> str:
    """The document holding ``d``'s source: ``d`` itself, or the rendering of the same référentiel that
    prints the header block ``d`` leaves out (seed 001's header PDF holds its text and plain PDFs)."""
    row = con.execute("SELECT id FROM documents WHERE body_id = ?", [body_id(d)]).fetchone()
    assert row is not None
    return str(row[0])


#: keys of the contract's version 2 and what an old-layout référentiel (or a 2017 fiche) holds in them
PREDATED: dict[str, object] = {"level": None, "layout": "old", "activities": [], "environment": None,
                               "interactions": None, "blocks": []}
PREDATED_CAPACITY: dict[str, object] = {"block": None, "knowledge": [], "expected_results": []}


@pytest.mark.parametrize("gold_path", GOLDS, ids=lambda p: p.name)
def test_show_round_trips_the_gold(tmp_path: Path, gold_path: Path) -> None:
    gold = load_gold(gold_path)
    doc = document_from_gold(gold)
    path = tmp_path / "w.duckdb"
    con = wh.connect(path)
    wh.load(doc, con)
    con.close()
    con = wh.connect(path, read_only=True)  # show reads a closed, reopened warehouse
    out = show_json(con, doc.id)
    con.close()
    assert out["id"] == doc.id and out["kind"] == gold["kind"]
    assert out["source"] == gold["source"]
    assert (out["status"], out["reasons"]) == ("loaded", [])
    for part in ("cqpm", "rncp"):
        if gold[part] is None:
            assert out[part] is None
            continue
        got = dict(out[part])
        extra = set(got) - set(gold[part])
        for k in extra:  # keys the gold predates: the newer layout's defaults; RNCP version 2: null / []
            value = got.pop(k)
            assert value == PREDATED[k] if k in PREDATED else value in (None, []), k
        for cap in got["capacities"] if part == "cqpm" else []:
            assert all(cap.pop(k) == v for k, v in PREDATED_CAPACITY.items())
        if part == "rncp":  # version-2 keys inside the bloc and registration objects, empty on a 2017 print
            assert got["registration"].pop("start_of_pathways") is None
            got["blocks"] = [{k: v for k, v in b.items() if k not in ("code", "competences", "assessment")}
                             for b in got["blocks"] if b["code"] is None and b["competences"] == []
                             and b["assessment"] is None]
        assert got == gold[part]


def test_resolve_by_id_prefix_and_sha(con: duckdb.DuckDBPyConnection, loaded: list[Document]) -> None:
    for d in loaded:
        assert resolve(con, d.source.sha256) == stored_id(con, d)
        if stored_id(con, d) != d.id:
            continue  # its rows are those of the rendering printing the header
        assert resolve(con, d.id) == d.id
        assert resolve(con, d.id[:10]) == d.id
        assert resolve(con, d.id.upper()) == d.id
    assert len({stored_id(con, d) for d in loaded}) < len({d.id for d in loaded})


def test_resolve_by_stored_path(con: duckdb.DuckDBPyConnection, loaded: list[Document]) -> None:
    for d in loaded:
        assert resolve(con, d.source.path) == stored_id(con, d)
    pdf = next(d for d in loaded if d.source.format == "pdf")
    assert resolve(con, "pdf/" + Path(pdf.source.path).name) == stored_id(con, pdf)  # a unique trailing part


def test_resolve_by_file_bytes_at_another_path(con: duckdb.DuckDBPyConnection, loaded: list[Document],
                                               tmp_path: Path) -> None:
    for i, gold in enumerate(GOLDS):
        original = source_file(load_gold(gold))
        assert original is not None
        copy = tmp_path / "raw" / f"copy_{i}{original.suffix}"
        copy.parent.mkdir(exist_ok=True)
        shutil.copy2(original, copy)
        assert resolve(con, copy) == stored_id(con, loaded[i])
        assert resolve(con, str(copy)) == stored_id(con, loaded[i])
        assert show_json(con, copy)["source"]["sha256"] == loaded[i].source.sha256


def test_resolve_by_rncp_code(con: duckdb.DuckDBPyConnection) -> None:
    rncp = document_from_gold(GOLDS[3])
    assert rncp.rncp is not None
    wh.load(rncp, con)
    assert resolve(con, rncp.rncp.code) == rncp.id
    assert resolve(con, rncp.rncp.code.lower().replace("rncp", "rncp ")) == rncp.id
    other = dataclasses.replace(rncp.source, sha256="cd" * 32, path="raw/v2.txt")
    revised = dataclasses.replace(rncp, source=other, rncp=dataclasses.replace(rncp.rncp, title="Titre révisé"))
    assert wh.load(revised, con)  # a second version of the fiche (other content)
    second = revised.id
    assert resolve(con, rncp.rncp.code) == second  # the code is the fiche's key: its latest version
    assert resolve(con, rncp.rncp.code.lower().replace("rncp", "rncp ")) == second
    # a version key picks one: KEY@N, KEY@latest
    assert resolve(con, f"{rncp.rncp.code}@1") == rncp.id and resolve(con, f"{rncp.rncp.code}@2") == second
    assert resolve(con, f"{rncp.rncp.code.lower()}@latest") == second
    with pytest.raises(DocumentNotFound, match="no version 3 of"):
        resolve(con, f"{rncp.rncp.code}@3")
    with pytest.raises(DocumentNotFound, match="must be a number or 'latest'"):
        resolve(con, f"{rncp.rncp.code}@two")


def test_an_at_sign_in_a_file_name_is_not_a_version_key(con: duckdb.DuckDBPyConnection,
                                                        loaded: list[Document]) -> None:
    with pytest.raises(DocumentNotFound, match="no document matches 'raw/avis@2.pdf'"):
        resolve(con, "raw/avis@2.pdf")


def test_a_cqpm_key_alone_is_its_latest_version(con: duckdb.DuckDBPyConnection, loaded: list[Document]) -> None:
    first = next(d for d in loaded if d.cqpm is not None and d.cqpm.number)
    assert first.cqpm is not None
    revised = dataclasses.replace(first, source=dataclasses.replace(first.source, sha256="ab" * 32, path="raw/r.txt"),
                                  cqpm=dataclasses.replace(first.cqpm, title="Titre révisé"))
    assert wh.load(revised, con)
    rows = con.execute("SELECT key, id FROM documents WHERE kind = 'cqpm' ORDER BY key, CAST(version AS INTEGER)"
                       ).fetchall()
    latest = {key: doc_id for key, doc_id in rows}  # the last version of each key wins
    assert len(latest) < len(rows)  # one key has several versions (the revised copy)
    for key, doc_id in latest.items():
        assert resolve(con, key) == doc_id


def test_a_cqpm_number_as_people_write_it_is_its_key(con: duckdb.DuckDBPyConnection, loaded: list[Document]
                                                    ) -> None:
    """A certification engineer types the number as the letters and fiches print it, not the key's spelling:
    "CQPM 0195" resolves like "RNCP 28242" does; a bare four-digit number too."""
    first = next(d for d in loaded if d.cqpm is not None and d.cqpm.number)
    assert first.cqpm is not None and first.cqpm.number is not None
    number = first.cqpm.number
    key = f"CQPM-{number}"
    doc_id = resolve(con, key)
    for spelled in (f"CQPM {number}", f"CQPM{number}", f"cqpm n° {number}", f"CQPM {int(number)}",
                    f"CQPM {number}@1", f"CQPM {number}@latest"):
        assert resolve(con, spelled) == doc_id, spelled
    assert resolve(con, number) == doc_id  # a bare number: its key, whether or not an id starts with it
    with pytest.raises(DocumentNotFound, match="no document matches 'CQPM 9999'"):
        resolve(con, "CQPM 9999")
    with pytest.raises(DocumentNotFound, match="no version 7 of 'CQPM-" + number):
        resolve(con, f"CQPM {number}@7")


def test_a_bare_cqpm_number_that_also_starts_another_documents_id_is_ambiguous(
        con: duckdb.DuckDBPyConnection, loaded: list[Document]) -> None:
    """With thousands of ids any four digits may start one: `show 0195` showed that unrelated document.
    The key CQPM-0195 is meant unless another document's id or source also starts with the digits: then
    both are named."""
    first = next(d for d in loaded if d.cqpm is not None and d.cqpm.number)
    assert first.cqpm is not None and first.cqpm.number is not None
    number = first.cqpm.number
    doc_id = resolve(con, f"CQPM-{number}")
    assert resolve(con, number) == doc_id
    other = next(d for d in loaded if d.id != doc_id and d.cqpm is not None)
    assert other.cqpm is not None
    sha = number + "f" * (64 - len(number))  # a source whose sha256 starts with the number's digits
    clash = dataclasses.replace(other, source=dataclasses.replace(other.source, sha256=sha, path="raw/clash.txt"),
                                cqpm=dataclasses.replace(other.cqpm, title="Un autre référentiel", number=None))
    assert wh.load(clash, con)
    with pytest.raises(AmbiguousReference, match=f"CQPM number of CQPM-{number}") as e:
        resolve(con, number)
    assert e.value.candidates == (doc_id, clash.id)
    assert resolve(con, f"CQPM {number}") == doc_id  # spelled out, it is the key
    for spelled in (number, f"cqpm {number}", f"cqpm-{number}"):  # what `refpipe versions` lists
        assert held_key(con, spelled) == f"CQPM-{number}", spelled
    assert held_key(con, "CQPM 9999") is None


def test_path_ingested_twice_resolves_to_latest(con: duckdb.DuckDBPyConnection) -> None:
    a, b = (document_from_gold(g) for g in GOLDS[:2])
    b = dataclasses.replace(b, source=dataclasses.replace(b.source, path=a.source.path))
    wh.load(a, con)
    wh.load(b, con)
    assert resolve(con, a.source.path) == b.id


def test_unknown_ref_raises_a_clear_error(con: duckdb.DuckDBPyConnection, loaded: list[Document]) -> None:
    with pytest.raises(DocumentNotFound, match="no document matches 'raw/nothing.pdf'") as e:
        show_json(con, "raw/nothing.pdf")
    assert isinstance(e.value, LookupError) and isinstance(e.value, PipelineError)
    with pytest.raises(DocumentNotFound, match="no document matches 'deadbeef'"):
        resolve(con, "deadbeef")
    with pytest.raises(DocumentNotFound, match="empty"):
        resolve(con, "  ")


def test_file_not_ingested(con: duckdb.DuckDBPyConnection, loaded: list[Document], tmp_path: Path) -> None:
    f = tmp_path / "new.txt"
    f.write_text("Référentiel jamais ingéré\n", encoding="utf-8")
    with pytest.raises(DocumentNotFound, match="is not in the warehouse; ingest it first"):
        resolve(con, f)
    # another version of a stored path: say which document holds the old bytes
    stored = tmp_path / "stored.txt"
    stored.write_text("v2\n", encoding="utf-8")
    d = loaded[0]
    src = dataclasses.replace(d.source, sha256="ab" * 32, path=str(stored))
    wh.load(dataclasses.replace(d, source=src), con)
    with pytest.raises(DocumentNotFound, match=f"another version of this path as document {d.id}"):
        resolve(con, stored)


def test_rejected_file_says_why(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    f = tmp_path / "empty.pdf"
    f.write_bytes(b"")
    wh.record_rejection(Source(str(f), wh.file_sha256(f), "pdf", None, 0), "empty file (0 bytes)", con)
    with pytest.raises(DocumentNotFound, match=r"rejected at ingestion: empty file \(0 bytes\)"):
        show_json(con, f)
    f.unlink()
    with pytest.raises(DocumentNotFound, match="rejected at ingestion"):
        resolve(con, str(f))


def test_ambiguous_prefix(con: duckdb.DuckDBPyConnection) -> None:
    base = document_from_gold(GOLDS[0])
    assert base.cqpm is not None
    ids = []
    for sha in ("abcd1" + "0" * 59, "abcd2" + "0" * 59):  # two sources of two contents (two documents)
        src = dataclasses.replace(base.source, sha256=sha, path=f"raw/{sha[:5]}.txt")
        doc = dataclasses.replace(base, source=src, cqpm=dataclasses.replace(base.cqpm, title=sha[:5]))
        wh.load(doc, con)
        ids.append(doc.id)
    with pytest.raises(AmbiguousReference, match="is a prefix of 2 documents") as e:
        resolve(con, "abcd")
    assert e.value.candidates == tuple(sorted(ids))
    assert resolve(con, "abcd2") == ids[1]  # a source sha256 prefix designates the source's document
    with pytest.raises(DocumentNotFound, match="no document matches 'abc'"):
        resolve(con, "abc")  # too short to be taken as a prefix


EXPORTS = FIXTURES / "rncp-export"
WEEKS = (EXPORTS / "export-fiches-rncp-v4-1-2026-11-23.zip", EXPORTS / "export-fiches-rncp-v4-1-2026-11-30.zip")
CHANGES = EXPORTS / "export-fiches-rncp-v4-1-2026-11-30.changes.json"
REMOVED = json.loads(CHANGES.read_text(encoding="utf-8"))["removed"]


def test_a_fiche_is_withdrawn_only_as_of_the_export_that_left_it_out(con: duckdb.DuckDBPyConnection) -> None:
    """`show RNCP7364 --as-of` a day before the export of 2026-11-30 said "withdrawn" all the same."""
    for week in WEEKS:
        import_export(week, con)
    for code in REMOVED:
        assert "withdrawn" not in show_json(con, code, as_of=date(2026, 11, 29))
        assert show_json(con, code, as_of=date(2026, 11, 30))["withdrawn"] == {"export_date": "2026-11-30",
                                                                            "export": str(WEEKS[1])}
        assert show_json(con, code)["withdrawn"]["export_date"] == "2026-11-30"  # type: ignore[index]


def test_show_of_a_withdrawal_whose_export_file_is_not_known_prints_no_none(tmp_path: Path) -> None:
    """The line read "… missing from the export of 2026-11-30 (None); …" when ``sources`` had no row for the export
    (its path is now taken from ``rncp_exports`` too): with neither, the line leaves the path out."""
    warehouse = tmp_path / "w.duckdb"
    con = wh.connect(warehouse)
    try:
        for week in WEEKS:
            import_export(week, con)
        sha = str(con.execute("SELECT DISTINCT source_sha256 FROM rncp_withdrawals").fetchone()[0])  # type: ignore[index]
        con.execute("DELETE FROM sources WHERE sha256 = ?", [sha])
        assert show_json(con, REMOVED[0])["withdrawn"]["export"] == str(WEEKS[1])  # type: ignore[index]
        con.execute("DELETE FROM rncp_exports WHERE source_sha256 = ?", [sha])
        assert show_json(con, REMOVED[0])["withdrawn"] == {"export_date": "2026-11-30", "export": None}
    finally:
        con.close()
    ran = refpipe("show", REMOVED[0], "-w", str(warehouse))
    assert ran.returncode == 0, ran.stderr
    assert f"withdrawn: {REMOVED[0]} is missing from the export of 2026-11-30; its versions stay" in ran.stdout
    assert "None" not in ran.stdout.split("withdrawn:")[1].splitlines()[0]
