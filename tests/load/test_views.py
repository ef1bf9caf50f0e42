"""The declared list views (``pipeline.load.views``) are what the warehouse's catalog holds: their columns in
order, their types, their comments; a declaration that cannot give such a view is refused."""

from __future__ import annotations

import re
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import duckdb
import pytest
from golden import FIXTURES

from pipeline.load import column_docs, tables, views
from pipeline.load import warehouse as wh
from pipeline.load.views import Join, ListView, ViewColumn, number, shown
from pipeline.normalize.document import normalize_document
from pipeline.parse import extract_document
from pipeline.records import Document


@pytest.fixture(scope="module")
def con(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    c = wh.connect(Path(tmp_path_factory.mktemp("views")) / "w.duckdb")
    yield c
    c.close()


@pytest.mark.parametrize("view", views.LIST_VIEWS, ids=lambda v: v.name)
def test_the_catalog_holds_the_declared_view(view: ListView, con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute("SELECT column_name, data_type, comment FROM duckdb_columns() WHERE table_name = ? "
                       "ORDER BY column_index", [view.name]).fetchall()
    assert [n for n, _, _ in rows] == list(view.names)
    # every column commented, by the declaration's comment (its own, the shared meaning or the table's)
    assert {n: c for n, _, c in rows} == view.comments()
    assert all(c for _, _, c in rows)
    found = con.execute("SELECT comment FROM duckdb_views() WHERE view_name = ?", [view.name]).fetchone()
    assert found == (view.doc,)
    # a column that shows a table column has its type
    types = dict((n, t) for n, t, _ in rows)
    aliases = view.aliases()
    for c in view.all_columns:
        if c.source and c.source[0] in aliases:  # the list table, the document or the extra join
            table = aliases[c.source[0]]
            assert types[c.name] == next(col.type for col in table.columns if col.name == c.source[1]), c.name


def test_a_view_shows_its_table_s_comment_unless_it_has_its_own_or_a_shared_one() -> None:
    statistics = next(v for v in views.LIST_VIEWS if v.name == "v_rncp_statistics")
    comments = statistics.comments()
    assert comments["year"] == "Promotion year."  # the table column's
    assert comments["certified"] == "Number certified that year."  # its own
    assert comments["page"] == column_docs.COMMON_COLUMNS["page"]  # the shared one
    assert "page" not in statistics.own_comments()


def test_a_coded_list_keeps_the_shared_meanings_of_code_and_label() -> None:
    """v_rncp_rome's code and label read as in every coded list, not as the table's own "ROME code."."""
    rome = next(v for v in views.LIST_VIEWS if v.name == "v_rncp_rome")
    assert rome.comments()["code"] == column_docs.COMMON_COLUMNS["code"] != "ROME code."
    assert rome.comments()["label"] == column_docs.COMMON_COLUMNS["label"]
    assert rome.own_comments() == {}  # its SQL writes only the view's comment
    jobs = next(v for v in views.LIST_VIEWS if v.name == "v_rncp_jobs")
    assert jobs.own_comments() == {"job_number": "Number of the job in the fiche's list, 1-based.",
                                   "job": "The job or position the certification leads to, as printed."}


def test_a_capacity_list_gives_its_referentiel_and_capacity() -> None:
    """A CQPM capacity's list (conditions, criteria, …) reads as the hand-written views did: the référentiel's
    number and title, the capacity's number and wording, the item, and the capacity's position in the
    provenance; v_criteria says more of its cqpm_number, v_connaissances calls the capacity a compétence."""
    by_name = {v.name: v for v in views.LIST_VIEWS}
    conditions = by_name["v_conditions"]
    assert conditions.names[:7] == ("document_id", "cqpm_number", "cqpm_title", "capacity_number", "capacity_title",
                                    "condition_number", "condition")
    assert conditions.names[-4:] == ("capacity_ord", "ord", "reading_order", "source_sha256")
    assert conditions.comments()["capacity_title"] == column_docs.COMMON_COLUMNS["capacity_title"]
    assert conditions.comments()["cqpm_number"] == column_docs.COMMON_COLUMNS["cqpm_number"]
    assert by_name["v_criteria"].own_comments()["cqpm_number"].endswith("(key then holds the inferred or "
                                                                        "title-based key).")
    assert by_name["v_connaissances"].comments()["capacity_title"] == "Wording of the compétence."
    missions = by_name["v_missions"]  # a list of the référentiel itself: no capacity
    assert missions.join is None and "capacity_ord" not in missions.names


CAPACITY_LISTS = {"v_criteria": "criteria", "v_conditions": "conditions", "v_assessments": "assessment",
                  "v_connaissances": "knowledge", "v_resultats_attendus": "expected_results"}


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[duckdb.DuckDBPyConnection, list[Document]]]:
    """A warehouse holding a newer-layout référentiel and an old-layout one."""
    c = wh.connect(Path(tmp_path_factory.mktemp("loaded")) / "w.duckdb")
    new = FIXTURES / "new-layout"
    documents = [normalize_document(extract_document(new / name)) for name in
                 ("corpus/nl01_technicien-maintenance-industrielle.conv000.txt",
                  "nlx02_controle-non-destructif.v1-old-layout.txt")]
    for d in documents:
        wh.load(d, c)
    yield c, documents
    c.close()


@pytest.mark.parametrize(("name", "field"), CAPACITY_LISTS.items())
def test_a_capacity_list_view_has_each_item_once_with_its_capacity(
        name: str, field: str, loaded: tuple[duckdb.DuckDBPyConnection, list[Document]]) -> None:
    con, documents = loaded
    view = next(v for v in views.LIST_VIEWS if v.name == name)
    number_column, text_column = view.columns[2].name, view.columns[3].name
    expected = sorted((d.cqpm.number, d.cqpm.title, cap.number, cap.title, i + 1, item.text)
                      for d in documents if d.cqpm for cap in d.cqpm.capacities
                      for i, item in enumerate(getattr(cap, field)))
    got = con.execute(f"SELECT cqpm_number, cqpm_title, capacity_number, capacity_title, {number_column}, "
                      f"{text_column} FROM {name} ORDER BY ALL").fetchall()
    assert expected and got == expected


def test_a_declared_view_is_written_nowhere_else() -> None:
    """Its SQL is generated: a schema file's CREATE VIEW or COMMENT of it would fight the declaration (a
    mention in prose, such as "v_connaissances" in another view's comment, is fine)."""
    folder = resources.files("pipeline.load")
    texts = [f.read_text(encoding="utf-8") for f in folder.iterdir() if re.fullmatch(r"schema.*\.sql", f.name)]
    assert texts
    for view in views.LIST_VIEWS:
        pattern = re.compile(rf"\b(?:VIEW|COMMENT ON VIEW|COMMENT ON COLUMN) {view.name}\b")
        assert not [t for t in texts if pattern.search(t)], view.name
    assert views.SCHEMA_FILE not in [f.name for f in folder.iterdir()]


def test_the_generated_views_stand_where_their_schema_file_would() -> None:
    sql = wh.schema_sql()
    folder = resources.files("pipeline.load")
    before = folder.joinpath("schema_views_continuity.sql").read_text(encoding="utf-8")
    after = folder.joinpath("schema_zz_view_columns.sql").read_text(encoding="utf-8")
    assert sorted(["schema_views_continuity.sql", views.SCHEMA_FILE, "schema_zz_view_columns.sql"])[1] == \
        views.SCHEMA_FILE
    assert sql.index(before) < sql.index(views.ddl()) < sql.index(after)
    created = re.findall(r"CREATE OR REPLACE VIEW (\w+)", views.ddl())
    assert created == [v.name for v in views.LIST_VIEWS]


def test_what_the_generated_views_read_is_created_before_them() -> None:
    sql = wh.schema_sql()
    at = sql.index(views.ddl())
    read = set(re.findall(r"\b(?:FROM|JOIN) (\w+)", views.ddl()))
    assert {"rncp_fiches", "cqpm_referentiels", "cqpm_capacities", "document_versions", "rncp_rome",
            "cqpm_criteria"} <= read
    for name in read:
        made = re.search(rf"CREATE (?:TABLE IF NOT EXISTS|OR REPLACE VIEW) {name}\b", sql)
        assert made and made.start() < at, name


def _read_before_end(sql: str, generated: str) -> list[str]:
    """The declared views that ``sql`` selects from before the end of the generated SQL within it."""
    end = sql.index(generated) + len(generated)
    names = {v.name for v in views.LIST_VIEWS}
    return [m.group(1) for m in re.finditer(r"\b(?:FROM|JOIN)\s+(\w+)", sql[:end]) if m.group(1) in names]


def test_what_reads_the_generated_views_comes_after_them() -> None:
    """v_criteria was in schema.sql, the newer layout's lists in schema_competences.sql: a view that selects
    from one of them must stand after the generated SQL, or the schema fails on a new file."""
    generated = views.ddl()
    assert _read_before_end(wh.schema_sql(), generated) == []
    early = "CREATE OR REPLACE VIEW v_early AS SELECT * FROM v_criteria;\n"  # as schema.sql could have had
    assert _read_before_end(early + wh.schema_sql(), generated) == ["v_criteria"]


STATISTICS = next(t for t in tables.RNCP_TABLES if t.name == "rncp_statistics")


@pytest.mark.parametrize(("columns", "join", "message"), [
    ((shown("colour"),), None, "not a declared column"),
    ((shown("title", alias="b"),), None, "not a declared column"),
    ((shown("code", alias="c"),), Join(tables.RNCP_BLOCKS, "b", "b.document_id = x.document_id"),
     "not a declared column"),
    ((ViewColumn("share", "x.certified / 2"),), None, "no comment"),
    ((shown("year"), number("year", "again")), None, "twice"),
    ((shown("code", "block_code", alias="f"),), Join(tables.RNCP_BLOCKS, "f", "f.document_id = x.document_id"),
     "alias is given twice"),
    ((shown("year"),), Join(tables.RNCP_BLOCKS, "v", "v.document_id = x.document_id"), "alias is given twice"),
])
def test_a_declaration_that_cannot_give_its_view_is_refused(columns: tuple[ViewColumn, ...], join: Join | None,
                                                            message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ListView("v_test", STATISTICS, "A test.", columns, join)


def test_a_view_of_a_table_that_is_not_a_list_is_refused() -> None:
    with pytest.raises(ValueError, match="not a list table"):
        ListView("v_test", tables.RNCP_FICHES, "A test.", (shown("code"),))


def test_a_cqpm_list_shows_referentiel_columns_only_with_the_referentiel() -> None:
    """The document's columns are checked like the item's: an RNCP list cannot show a référentiel's number."""
    wrong = views.Document(tables.RNCP_FICHES, "f", (shown("number", "cqpm_number", alias="f"),))
    with pytest.raises(ValueError, match="not a declared column"):
        ListView("v_test", STATISTICS, "A test.", (shown("year"),), document=wrong)
    ListView("v_test", STATISTICS, "A test.", (shown("year"),), document=views.FICHE)
