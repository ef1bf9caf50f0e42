"""Bulk statements for the derived tables: a set of ids or of rows goes in as one statement, not one per
item (each DuckDB statement has a fixed cost, and a recompute from scratch writes hundreds of thousands
of rows).

Rows go in as one list parameter per column, unnested in lockstep (``unnest(?::DOUBLE[])``), with no
pandas or Arrow in the process (DuckDB's ``register`` of an Arrow table imports pandas, memory a
recompute needs for nothing else).  Figures: benchmarks/README.md, "Design figures".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb

from pipeline.records import Provenance

#: provenance columns of every derived table, after document_id and source_sha256 (and parent columns)
PROV = ("ord", "reading_order", "page", "x0", "top", "x1", "bottom")


def ids_in(column: str) -> str:
    """``column IN (…)`` for one parameter: a list of ids."""
    return f"{column} IN (SELECT unnest(?::VARCHAR[]))"


def prov(ord_: int, p: Provenance | None) -> tuple[Any, ...]:
    """The values of ``PROV`` for the ``ord_``-th row of its document, about ``p`` (None: no place)."""
    b = p.bbox if p else None
    return (ord_, p.order if p else None, p.page if p else None,
            *((b.x0, b.top, b.x1, b.bottom) if b else (None,) * 4))


def relation(columns: Sequence[tuple[str, str]]) -> str:
    """A subquery of rows given as one list parameter per (column, SQL type): use with ``by_column``."""
    return "(SELECT " + ", ".join(f"unnest(?::{t}[]) AS {c}" for c, t in columns) + ")"


def by_column(rows: Sequence[tuple[Any, ...]], width: int) -> list[list[Any]]:
    """The parameters of ``relation``: ``rows`` as one list per column."""
    return [[row[i] for row in rows] for i in range(width)]


def insert(con: duckdb.DuckDBPyConnection, table: str, columns: Sequence[str], rows: Sequence[tuple[Any, ...]],
           *, or_else: str = "") -> None:
    """Insert ``rows`` (values in ``columns`` order) in one statement (``or_else="IGNORE"``/``"REPLACE"``: on a
    primary-key conflict)."""
    if not rows:
        return
    types = _column_types(con, table)
    names = ", ".join(columns)
    verb = f"INSERT OR {or_else}" if or_else else "INSERT"
    con.execute(f"{verb} INTO {table} ({names}) SELECT {names} FROM {relation([(c, types[c]) for c in columns])}",
                by_column(rows, len(columns)))


_TYPES: dict[str, dict[str, str]] = {}  # table -> column -> SQL type: the schema is the same in every warehouse


def _column_types(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    if table not in _TYPES:
        _TYPES[table] = dict(con.execute("SELECT column_name, data_type FROM duckdb_columns() "
                                         "WHERE table_name = ? AND schema_name = 'main'", [table]).fetchall())
    return _TYPES[table]
