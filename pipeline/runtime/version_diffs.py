"""Diffs at ingest: every version is compared with the one before it as soon as it is loaded.

After a run's documents (and links, which may re-key a chain), each pair of consecutive versions of
the warehouse, ``previous -> version`` as ``v_versions`` lists them, that has no stored diff of the
current diff algorithm (``DIFFER_VERSION``) is diffed (``pipeline.diff.structured.diff_documents`` on
the two Documents read back from the tables) and stored (``pipeline.load.diff_store.store_diff``),
exactly as ``refpipe diff KEY@N-1 KEY@N`` would store it: ``v_diff_changes`` holds a new version's
changes without anyone running ``diff``.

Working from the version chain rather than from the files of the run covers a version inserted or
re-keyed into a chain, a warehouse written before diffs were computed at ingest (its missing diffs
are filled by the next run that loads something), and a new diff algorithm.  Each pair is its own
transaction: a pair that cannot be compared (a damaged row, two kinds under one key) is logged and
skipped, and the others are stored.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import duckdb

from pipeline.diff.changes import DIFFER_VERSION
from pipeline.errors import reraise_interrupt
from pipeline.load.versions import list_versions

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DiffSummary:
    stored: tuple[str, ...] = ()  # run ids of the diffs stored by this call
    failed: tuple[str, ...] = ()  # "OLD -> NEW: reason" for each pair that could not be compared


def missing_pairs(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """(previous document id, document id) of consecutive versions without a stored diff of this differ."""
    done = {(str(o), str(n)) for o, n in con.execute(
        "SELECT old_document_id, document_id FROM diff_runs WHERE differ = ?", [DIFFER_VERSION]).fetchall()}
    return [(r.previous_id, r.document_id) for r in list_versions(con)
            if r.previous_id and (r.previous_id, r.document_id) not in done]


def diff_new_versions(con: duckdb.DuckDBPyConnection) -> DiffSummary:
    """Compute and store the diff of every version against its previous one that has none yet."""
    from pipeline.runtime.compare import compare  # compare imports this package's ingest entry

    stored: list[str] = []
    failed: list[str] = []
    for old_id, new_id in missing_pairs(con):
        try:
            report = compare(con, old_id, new_id)
        except Exception as exc:  # noqa: BLE001 - one pair's failure must not cost the others
            reraise_interrupt(exc)
            failed.append(f"{old_id} -> {new_id}: {type(exc).__name__}: {exc}")
            _log.warning("diff of %s -> %s not stored (%s: %s)", old_id, new_id, type(exc).__name__, exc)
            continue
        if report.run_id:
            stored.append(report.run_id)
    return DiffSummary(stored=tuple(stored), failed=tuple(failed))
