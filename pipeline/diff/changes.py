"""The frozen records of a diff: one ``Change`` per difference, a ``DiffReport`` for a comparison.

A change says what happened (``kind``) to what (``entity``), where (``key``, the numbering and the
provenance of the item in each version) and the two values.  Values are text, a number, a boolean, a
tuple of codes (block capacity lists) or None (the side where the item does not exist).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from pipeline.records import Change, ChangeKind, DetailValue, Document, Entity, Provenance, Value

#: bumped whenever the diff algorithm changes what it reports (stored with each run)
DIFFER_VERSION = "1"


@dataclass(frozen=True)
class Side:
    """One of the two versions compared, as the warehouse knows it."""

    document_id: str
    kind: str
    path: str
    title: str | None
    reference: str | None  # CQPM number or RNCP code as printed
    key: str | None = None
    version: int | None = None
    valid_from: date | None = None
    valid_from_source: str = "ingested_at"  # which date valid_from is, as in v_versions.valid_from_source
    pages: int | None = None
    sha256: str | None = None  # the source file's (a document may one day have several sources)

    @property
    def valid_from_printed(self) -> bool:
        """valid_from is the document's own date (else: the ingestion date)."""
        return self.valid_from_source != "ingested_at"

    @property
    def label(self) -> str:
        return f"{self.key}@{self.version}" if self.key and self.version else self.document_id


@dataclass(frozen=True)
class DiffReport:
    old: Side
    new: Side
    changes: tuple[Change, ...]
    run_id: str | None = None
    #: the two documents compared (old, new), for the whole-document redline; None when only the changes
    #: are known (a report rebuilt from stored rows)
    documents: tuple[Document, Document] | None = field(default=None, compare=False, repr=False)

    def counts(self) -> dict[tuple[str, str], int]:
        """How many changes by (entity, kind)."""
        return dict(Counter((c.entity.value, c.kind.value) for c in self.changes))

    def kind_counts(self) -> dict[str, int]:
        found = Counter(c.kind.value for c in self.changes)
        return {k.value: found.get(k.value, 0) for k in ChangeKind}


@dataclass(frozen=True)
class Locus:
    """Where one matched (or unmatched) item sits in each version: numbering, provenance, capacity."""

    old_number: str | None = None
    new_number: str | None = None
    old_prov: Provenance | None = None
    new_prov: Provenance | None = None
    capacity: str | None = None

    def change(self, kind: ChangeKind, entity: Entity, key: str, old: Value, new: Value,
               detail: tuple[tuple[str, DetailValue], ...] = ()) -> Change:
        return Change(kind, entity, key, old, new, capacity=self.capacity, old_number=self.old_number,
                      new_number=self.new_number, old_prov=self.old_prov, new_prov=self.new_prov,
                      detail=detail)
