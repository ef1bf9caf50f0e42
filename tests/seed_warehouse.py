"""A warehouse of the seed fixtures, built once per test session by calling the pipeline directly
(extract -> normalize -> load -> links_store.recompute), not through the Prefect flow.

``SEEDS_ONLY``: the five seeds.  ``WITH_PDF``: the seeds, then the PDF of seed 001 that prints the real
page header of CQPM 0195 (the same version of CQPM-0195 as the seed's text: it adds the number,
the date and pages), then an empty file (a rejected source).  Tests only read these warehouses
(``connect(path, read_only=True)``).
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from datetime import date
from functools import cache
from pathlib import Path

from golden import FIXTURES
from parsed import parsed

from pipeline.errors import RejectedInput
from pipeline.load import warehouse as wh
from pipeline.runtime import links as links_store

SEEDS = sorted((FIXTURES / "seeds").glob("*.txt"))
HEADER_PDF = FIXTURES / "pdf" / "001_1b606db1c3205ecb.rl-portrait-grid.header.pdf"
EMPTY = FIXTURES / "bad" / "empty.pdf"
AS_OF = date(2025, 1, 1)
SEEDS_ONLY = "seeds"
WITH_PDF = "seeds+pdf"


@cache
def _folder() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="refpipe-seed-warehouses-"))
    atexit.register(shutil.rmtree, folder, True)
    return folder


@cache
def seed_warehouse(name: str = WITH_PDF) -> Path:
    """The path of a built warehouse (see the module docstring); built on first use."""
    paths = SEEDS if name == SEEDS_ONLY else [*SEEDS, HEADER_PDF, EMPTY]
    target = _folder() / f"{name}.duckdb"
    con = wh.connect(target)
    try:
        for path in paths:
            try:
                document = parsed(path)
            except RejectedInput as exc:
                wh.record_rejection(path, str(exc), con)
                continue
            wh.load(document, con)
        links_store.recompute(con, as_of=AS_OF)
    finally:
        con.close()
    return target
