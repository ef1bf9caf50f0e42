"""Rows of declared tables held column by column, and written to DuckDB one statement per table.

An export import writes ~70 rows a fiche into ~20 tables.  Building a dict and a tuple per row, then
transposing the rows into one list per column for DuckDB, cost more than reading the fiche.  Here each
declared column (``tables.Table.names``, the one declaration) is a Python list that the row builders
extend once per list of a record, and a batch goes in as one ``INSERT … SELECT`` per table with a list
parameter per column (the lists are the parameters as they are: no transposition).  Every column of a
table must hold as many values as the table has rows (``Columns.check``): a builder that forgets a column
fails loudly instead of shifting values.  ``ColumnBatch.rows`` gives the same rows as tuples for the
one-document path (``warehouse.document_rows``).

Not Arrow: DuckDB's scan of an Arrow table imports pandas (~110 MB more peak RSS for the import, measured
at 3,000 fiches) for a CPU time within the noise of this (benchmarks/README.md, issue 13).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import duckdb

from pipeline.load import tables
from pipeline.records import Provenance

Row = tuple[Any, ...]
BOX = ("x0", "top", "x1", "bottom")


class Columns:
    """The rows of one table: a list per declared column (``values[name]``) and the row count."""

    __slots__ = ("count", "table", "values")

    def __init__(self, table: tables.Table) -> None:
        self.table = table
        self.values: dict[str, list[Any]] = {name: [] for name in table.names}
        self.count = 0

    def check(self) -> None:
        for name, values in self.values.items():
            if len(values) != self.count:
                raise ValueError(f"{self.table.name}.{name}: {len(values)} values for {self.count} rows")

    def rows(self) -> list[Row]:
        self.check()
        return list(zip(*self.values.values(), strict=True)) if self.count else []

    def list_rows(self, document_id: str, source_sha256: str, provs: Sequence[Provenance],
                  values: dict[str, Sequence[Any]]) -> None:
        """Append the rows of one list of a document: ``provs`` gives each row's place (ord = its rank),
        ``values`` the other columns (parent columns included), one sequence each of ``len(provs)``."""
        n = len(provs)
        if not n:
            return
        v = self.values
        v["document_id"].extend([document_id] * n)
        v["source_sha256"].extend([source_sha256] * n)
        v["ord"].extend(range(n))
        v["reading_order"].extend([p.order for p in provs])
        v["page"].extend([p.page for p in provs])
        if any(p.bbox is not None for p in provs):
            boxes = [p.bbox for p in provs]
            for name in BOX:
                v[name].extend([getattr(b, name) if b is not None else None for b in boxes])
        else:
            nones = [None] * n
            for name in BOX:
                v[name].extend(nones)
        for name, column in values.items():
            v[name].extend(column)
        self.count += n


class ColumnBatch:
    """Rows of several declared tables, column by column (``batch[table]``), written together."""

    def __init__(self, *declared: tables.Table) -> None:
        self.tables: dict[str, Columns] = {t.name: Columns(t) for t in declared}

    def __getitem__(self, table: tables.Table) -> Columns:
        found = self.tables.get(table.name)
        if found is None:
            found = self.tables[table.name] = Columns(table)
        return found

    def __iter__(self) -> Iterator[Columns]:
        return iter(self.tables.values())

    def rows(self) -> dict[str, tuple[tuple[str, ...], list[Row]]]:
        """Every table's rows as (columns, row tuples): the shape ``warehouse.document_rows`` returns."""
        return {c.table.name: (c.table.names, c.rows()) for c in self}

    @property
    def count(self) -> int:
        return sum(c.count for c in self)

    def insert(self, con: duckdb.DuckDBPyConnection, *, or_else: str = "") -> None:
        """Write every table's rows (one statement per table; the caller owns the transaction) and empty the
        batch.  ``or_else``: "IGNORE" / "REPLACE" on a primary-key conflict."""
        for columns in self:
            if columns.count:
                insert_columns(con, columns, or_else=or_else)
        self.tables = {name: Columns(c.table) for name, c in self.tables.items()}


def insert_columns(con: duckdb.DuckDBPyConnection, columns: Columns, *, or_else: str = "") -> None:
    """One ``INSERT … SELECT`` of ``columns``' rows: a list parameter per column, unnested in lockstep; a
    column holding one value in every row (the source's sha256, the NULL page and box of an export's rows)
    is bound once (about half the values of an export's list rows)."""
    columns.check()
    table, n = columns.table, columns.count
    if not n:
        return
    types = {c.name: c.type for c in table.columns}
    select: list[str] = []
    params: list[object] = []
    varying = False
    for name, values in columns.values.items():
        first = values[0]
        # the last value first: a column that varies (most) is not scanned whole (~10 ms a batch)
        if (first is None or type(first) is str) and values[-1] == first and values.count(first) == n:
            select.append(f"?::{types[name]} AS {name}")
            params.append(first)
        else:
            select.append(f"unnest(?::{types[name]}[]) AS {name}")
            params.append(values)
            varying = True
    names = ", ".join(columns.values)
    verb = f"INSERT OR {or_else}" if or_else else "INSERT"
    if not varying:  # every column constant: still one row per row
        select.append(f"unnest(range({n})) AS _row")
    con.execute(f"{verb} INTO {table.name} ({names}) SELECT {names} FROM (SELECT {', '.join(select)})", params)
