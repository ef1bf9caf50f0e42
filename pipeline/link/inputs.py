"""The linker's light view of a document: identity, numbers, titles and capacities (``LinkInput``).

Linking a fiche to a référentiel, and the quality rules about links and registration dates, read only
these few fields; a ``Document`` also holds every condition, criterion, block and code.  A warehouse
recompute keeps one ``LinkInput`` per document in memory (read set-based by
``pipeline.query.read.read_link_inputs``) and reads full documents one at a time, only for those it has
not seen.  ``link_input`` gives the same record from a ``Document``, so in-memory callers and tests
pass documents as before.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from pipeline.records import CodedText, Document, Kind


@dataclass(frozen=True)
class CapacityTitle:
    """A CQPM capacity as the linker sees it: number and title (its conditions and criteria play no part)."""

    number: int
    title: str


@dataclass(frozen=True)
class BlockTitle:
    """A bloc de compétences as the linker sees it: its rank, RNCP code, title and members (RNCP capacity
    codes for a fiche, compétence numbers as text for a référentiel)."""

    number: int
    code: str | None
    title: str
    capacities: tuple[str, ...]
    ord: int = 0


def rncp_block_code(fiche_code: str, number: int, printed: str | None = None) -> str:
    """The bloc's RNCP code: as printed, else France Compétences' pattern RNCP<fiche>BC<nn>."""
    return printed or f"{fiche_code}BC{number:02d}"


@dataclass(frozen=True)
class LinkInput:
    """What linking and the link and date quality rules read of one document.

    Built from a ``Document`` (``link_input``) or read set-based from the warehouse
    (``pipeline.query.read.read_link_inputs``); both give the same record.  ``linkable`` is False when the
    document has no fiche / référentiel record of its kind (it is then never linked)."""

    id: str
    kind: Kind
    sha256: str
    path: str
    linkable: bool
    title: str | None = None
    printed_number: str | None = None  # CQPM: the number the référentiel prints, as printed (None: none)
    code: str = ""  # RNCP: the fiche's code
    named_number: str | None = None  # RNCP: the CQPM number the fiche's history names, as printed
    registration_end: date | None = None  # RNCP
    rncp_capacities: tuple[CodedText, ...] = ()  # RNCP: C1…Cn in the fiche's order, with provenance
    cqpm_capacities: tuple[CapacityTitle, ...] = ()  # CQPM: the table's capacities in order
    rncp_blocks: tuple[BlockTitle, ...] = ()  # RNCP: the fiche's blocs, members = capacity codes
    cqpm_blocks: tuple[BlockTitle, ...] = ()  # CQPM (newer layout): its blocs, members = compétence numbers

    @property
    def capacity_texts(self) -> tuple[str, ...]:
        """The wording of each capacity in order (what the linker compares, and lemmatises)."""
        return tuple(c.text for c in self.rncp_capacities) + tuple(c.title for c in self.cqpm_capacities)


def link_input(doc: Document | LinkInput) -> LinkInput:
    """The ``LinkInput`` of a document (a ``LinkInput`` is returned as is)."""
    if isinstance(doc, LinkInput):
        return doc
    head = (doc.id, doc.kind, doc.source.sha256, doc.source.path)
    if doc.kind is Kind.RNCP and doc.rncp is not None:
        f = doc.rncp
        blocks = tuple(BlockTitle(b.number, rncp_block_code(f.code, b.number, getattr(b, "code", None)), b.title,
                                  tuple(b.capacities), k) for k, b in enumerate(f.blocks))
        return LinkInput(*head, linkable=True, title=f.title, code=f.code, named_number=f.history.cqpm_number,
                         registration_end=f.registration.end, rncp_capacities=f.capacities, rncp_blocks=blocks)
    if doc.kind is Kind.CQPM and doc.cqpm is not None:
        r = doc.cqpm
        return LinkInput(*head, linkable=True, title=r.title, printed_number=r.number,
                         cqpm_capacities=tuple(CapacityTitle(c.number, c.title) for c in r.capacities),
                         cqpm_blocks=tuple(BlockTitle(b.number, b.code, b.title, tuple(str(n) for n in b.capacities), k)
                                           for k, b in enumerate(r.blocks)))
    return LinkInput(*head, linkable=False)
