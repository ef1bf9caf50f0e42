"""The example queries of the README's "For analysts" section, run on a warehouse of the test fixtures:
each ```sql block is followed by a ```text block with its output as `refpipe sql … --csv` prints it."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from seed_warehouse import WITH_PDF, seed_warehouse

from pipeline.load import warehouse as wh

README = Path(__file__).resolve().parents[1] / "README.md"
_BLOCK = re.compile(r"```sql\n(?P<sql>.*?)```\s*```text\n(?P<out>.*?)```", re.S)


def analyst_section() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("\n## For analysts\n")
    end = text.find("\n## ", start + 1)
    return text[start:end if end != -1 else len(text)]


def examples() -> list[tuple[str, str]]:
    return [(m["sql"], m["out"]) for m in _BLOCK.finditer(analyst_section())]


def as_csv(con: duckdb.DuckDBPyConnection, sql: str) -> str:
    """What `refpipe sql SQL --csv` prints."""
    cursor = con.execute(sql)
    columns = [d[0] for d in cursor.description or []]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(cursor.fetchall())
    return buffer.getvalue()


@pytest.fixture(scope="module")
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    c = wh.connect(seed_warehouse(WITH_PDF), read_only=True)
    yield c
    c.close()


def test_the_section_has_five_examples_with_their_output() -> None:
    assert len(examples()) == 5


@pytest.mark.parametrize("number", range(5), ids=lambda n: f"example {n + 1}")
def test_example_output_is_what_the_readme_shows(con: duckdb.DuckDBPyConnection, number: int) -> None:
    sql, shown = examples()[number]
    assert as_csv(con, sql) == shown


def test_the_examples_say_what_they_claim(con: duckdb.DuckDBPyConnection) -> None:
    crosswalk, shared, expiring, page_criteria, referentiels = (sql for sql, _ in examples())
    rows = con.execute(crosswalk).fetchall()
    assert [r[0] for r in rows] == [f"C{k}" for k in range(1, 9)]
    assert [r[1] for r in rows] == [1, 4, 5, 2, 3, 6, 7, 8]  # RNCP28242's order of CQPM 0195's capacities
    keys = {k for r in con.execute(shared).fetchall() for k in r[2]}
    assert keys == {"CQPM-0195", "CQPM-Ta16caaa383"}  # version keys, as in example 5
    assert [r[0] for r in con.execute(expiring).fetchall()] == ["RNCP28235", "RNCP28242"]
    assert {r[2] for r in con.execute(page_criteria).fetchall()} == {2}  # the PDF version has pages
    assert [r[0] for r in con.execute(referentiels).fetchall()] == [
        "CQPM-0195", "CQPM-T21fa8e031d", "CQPM-Ta16caaa383"]
