"""Frozen records that cross stage boundaries.

extract: front end (text | pdf) -> ``Layout`` -> parser (cqpm | rncp) -> ``Document`` -> load.
No loose dicts cross a stage boundary: every stage takes and returns these types.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from functools import cached_property

# ---------------------------------------------------------------------------------------------- layout


@dataclass(frozen=True)
class BBox:
    """A box on a page in PDF points, origin top-left (pdfplumber's ``top``/``bottom``)."""

    x0: float
    top: float
    x1: float
    bottom: float

    def union(self, *others: BBox) -> BBox:
        """The smallest box holding this box and ``others``."""
        boxes = (self, *others)
        return BBox(min(b.x0 for b in boxes), min(b.top for b in boxes),
                    max(b.x1 for b in boxes), max(b.bottom for b in boxes))

    @staticmethod
    def around(boxes: Iterable[BBox | None]) -> BBox | None:
        """The union of the boxes given (``None`` ones skipped); ``None`` when there is none."""
        present = [b for b in boxes if b is not None]
        return present[0].union(*present[1:]) if present else None


class BlockKind(StrEnum):
    HEADING = "heading"
    PARAGRAPH = "paragraph"
    LIST_ITEM = "list_item"
    TABLE_ROW = "table_row"
    FOOTNOTE = "footnote"  # "¹ Le terme générique …": kept in the layout, skipped by parsers


class Marker(StrEnum):
    """What introduces a paragraph inside a table cell."""

    CHECKBOX = "checkbox"  # ☐ / <input type="checkbox"/>: starts a new criterion
    BULLET = "bullet"  # •, -, – : a sub-item that stays inside its parent item


@dataclass(frozen=True)
class Para:
    """One paragraph inside a table cell (a <p>, a checkbox item, a bullet, a PDF line group)."""

    text: str
    marker: Marker | None = None
    page: int | None = None
    bbox: BBox | None = None


@dataclass(frozen=True)
class Cell:
    paras: tuple[Para, ...] = ()
    bbox: BBox | None = None

    @property
    def text(self) -> str:
        return " ".join(p.text for p in self.paras if p.text)

    @property
    def empty(self) -> bool:
        return not self.text.strip()


@dataclass(frozen=True)
class Block:
    """A unit of the page: heading, paragraph, list item or table row.

    ``text`` is clean text (markup, checkbox glyphs and list markers removed).  For a list item,
    ``marker`` holds the list marker as printed ("-", "•", "1)", "a)").  For a table row,
    ``cells`` holds the cells, ``table`` numbers the table in the document (a table that runs
    over pages keeps one number when the front end can tell) and ``header`` marks a header row
    (repeated headers included: parsers skip them).
    """

    kind: BlockKind
    text: str
    page: int | None
    order: int
    bbox: BBox | None = None
    marker: str | None = None
    cells: tuple[Cell, ...] = ()
    table: int | None = None
    header: bool = False
    gap_before: bool = True  # a blank line / vertical gap precedes it (False: a wrapped continuation)


@dataclass(frozen=True)
class PageFurniture:
    """Values printed in page headers/footers, removed from the body by the PDF front end."""

    number: str | None = None
    qualification_id: str | None = None
    category: str | None = None
    last_modified: date | None = None
    level: str | None = None


@dataclass(frozen=True)
class Source:
    path: str
    sha256: str
    format: str  # "pdf" | "text" | "docx" | "odt"
    pages: int | None
    size: int
    parent: str | None = None  # the sha256 of the zip this file was a member of


@dataclass(frozen=True)
class Layout:
    source: Source
    blocks: tuple[Block, ...]
    furniture: PageFurniture = field(default_factory=PageFurniture)
    notes: tuple[str, ...] = ()  # what the front end had to decide (e.g. an encoding it transcoded)


# ---------------------------------------------------------------------------------------------- documents


@dataclass(frozen=True)
class Provenance:
    """Where a record came from in its source: page (None for text files), reading order, bbox."""

    page: int | None
    order: int
    bbox: BBox | None = None


@dataclass(frozen=True)
class TextItem:
    text: str
    prov: Provenance


@dataclass(frozen=True)
class CodedText:
    """A code with its text or label: an RNCP activity (A1), capacity (C1), ROME or NSF code."""

    code: str
    text: str
    prov: Provenance


@dataclass(frozen=True)
class CqpmCapacity:
    """A capacité professionnelle (old layout) or a compétence (newer layout: with its bloc, its
    connaissances and its résultats attendus)."""

    number: int
    title: str
    conditions: tuple[TextItem, ...]
    criteria: tuple[TextItem, ...]
    assessment: tuple[TextItem, ...]
    prov: Provenance
    block: int | None = None  # number of its bloc de compétences (newer layout)
    knowledge: tuple[TextItem, ...] = ()  # connaissances associées
    expected_results: tuple[TextItem, ...] = ()  # résultats attendus


@dataclass(frozen=True)
class CqpmActivity:
    """An activity of section 1.1 (newer layout): a nominal heading and its paragraph, or a list item."""

    title: str
    text: str | None
    prov: Provenance


@dataclass(frozen=True)
class CqpmBlock:
    """A bloc de compétences (newer layout): its rank, the RNCP bloc code it prints, the compétences it holds."""

    number: int
    code: str | None
    title: str
    capacities: tuple[int, ...]
    prov: Provenance


@dataclass(frozen=True)
class CqpmDocument:
    number: str | None
    qualification_id: str | None
    category: str | None
    last_modified: date | None
    level: str | None
    title: str | None
    objective: str | None
    missions: tuple[TextItem, ...]
    capacities: tuple[CqpmCapacity, ...]
    assessment_methods: tuple[TextItem, ...]
    # the "doit être capable de : 1) … 2) …" list of section I, kept to check it against the table
    listed_capacities: tuple[CodedText, ...] = ()
    layout_variant: str = "classic"  # "classic" (I/II/III/IV) | "activites" (1./2./3. newer layout)
    activities: tuple[CqpmActivity, ...] = ()  # newer layout, 1.1
    environment: str | None = None  # newer layout, 1.2 Environnement de travail
    interactions: str | None = None  # newer layout, 1.3 Interactions dans l'environnement de travail
    blocks: tuple[CqpmBlock, ...] = ()  # newer layout, blocs de compétences

    @property
    def layout(self) -> str:
        """The contract's name of the layout: "old" (I/II/III/IV) or "new" (référentiel d'activités)."""
        return "new" if self.layout_variant == "activites" else "old"


@dataclass(frozen=True)
class Competence:
    """One item of a bloc's list of compétences (version 2).

    ``text`` is the item as the source wrote it, nested items (savoir-faire under a compétence) kept
    inside their parent's text; ``code`` is the printed number or code ("1.1", "A1C1", "C.1") when any.
    """

    text: str
    code: str | None = None


@dataclass(frozen=True)
class RncpBlock:
    number: int
    title: str
    capacities: tuple[str, ...]  # RNCP capacity codes ("C7"), even where the fiche wrote "7)"
    prov: Provenance
    code: str | None = None  # "RNCP36086BC01" (version 2)
    competences: tuple[Competence, ...] = ()  # the bloc's list of compétences, one item each
    assessment: str | None = None  # modalités d'évaluation, as text
    split_method: str | None = None  # how ``competences`` were split from the source text (competences.py)
    # the list as the source wrote it, when the front end could not split it itself (the export's
    # LISTE_COMPETENCES): pipeline.normalize splits it into ``competences`` and keeps it
    competences_raw: str | None = None


@dataclass(frozen=True)
class CertifierDetail:
    """A certifier as the current fiche gives it: name, SIRET (14 digits) and whether it is active."""

    name: str
    siret: str | None = None
    active: bool | None = None
    prov: Provenance | None = field(default=None, compare=False)  # where in the source (export: the line)


@dataclass(frozen=True)
class AccessRoute:
    """One of the six voies d'accès: FI, CA, FC, CQ, CL, VAE; ``jury`` its jury composition."""

    route: str
    open: bool | None
    jury: str | None = None
    prov: Provenance | None = field(default=None, compare=False)  # where in the source (export: the line)


@dataclass(frozen=True)
class Partner:
    """An organisme préparant à la certification (export PARTENAIRE): name, SIRET, habilitation, state."""

    name: str
    siret: str | None = None
    habilitation: str | None = None  # HABILITATION_FORMER | HABILITATION_ORGANISER | HABILITATION_ORGA_FORM
    state: str | None = None  # Actif | Inactif | Supprimé
    prov: Provenance | None = field(default=None, compare=False)  # where in the source (export: the line)


@dataclass(frozen=True)
class Statistic:
    """Statistics of one promotion year (STATISTIQUES_PROMOTION)."""

    year: int
    certified: int | None = None
    certified_vae: int | None = None
    employment_6m: int | None = None
    job_2y: int | None = None
    prov: Provenance | None = field(default=None, compare=False)  # where in the source (export: the line)


@dataclass(frozen=True)
class Registration:
    decision: date | None = None
    journal_officiel: date | None = None
    effective: date | None = None
    end: date | None = None
    start_of_pathways: date | None = None  # "Date de début des parcours certifiants" (version 2)


@dataclass(frozen=True)
class History:
    cqpm_number: str | None = None
    qualification_id: str | None = None
    first_validated: str | None = None
    version_date: date | None = None
    category: str | None = None


@dataclass(frozen=True)
class RncpFiche:
    code: str
    title: str | None
    certifiers: tuple[TextItem, ...]
    conventions: tuple[CodedText, ...]
    nsf: tuple[CodedText, ...]
    formacodes: tuple[CodedText, ...]
    activities: tuple[CodedText, ...]
    capacities: tuple[CodedText, ...]
    jobs: tuple[TextItem, ...]
    rome: tuple[CodedText, ...]
    blocks: tuple[RncpBlock, ...]
    validity: str | None
    new_caledonia: bool | None
    french_polynesia: bool | None
    registration: Registration
    awards_per_year: int | None
    history: History
    # version 2 (current fiche page, open-data export): None / () where the format cannot say (2017 prints)
    active: bool | None = None
    state: str | None = None  # ETAT_FICHE ("Publiée")
    level: int | None = None  # "Niveau 5" / NIV5; None for "Sans niveau"
    certifier_details: tuple[CertifierDetail, ...] = ()
    objectives: str | None = None
    access_routes: tuple[AccessRoute, ...] = ()
    statistics: tuple[Statistic, ...] = ()
    replaces: tuple[str, ...] = ()
    replaced_by: tuple[str, ...] = ()
    partners: tuple[Partner, ...] = ()  # organismes préparant à la certification (export only)
    # ACTIVITES_VISEES / CAPACITES_ATTESTEES as the source wrote them, when the front end leaves the split
    # into ``activities`` / ``capacities`` to pipeline.normalize (the export)
    activities_raw: str | None = None
    capacities_raw: str | None = None


class Kind(StrEnum):
    CQPM = "cqpm"
    RNCP = "rncp"


class Status(StrEnum):
    LOADED = "loaded"  # every field of the contract was read
    PARTIAL = "partial"  # recognised, but only what is certain was read (reasons say what is missing)
    REJECTED = "rejected"  # nothing loaded (reasons say why)


@dataclass(frozen=True)
class Document:
    source: Source
    kind: Kind
    cqpm: CqpmDocument | None = None
    rncp: RncpFiche | None = None
    status: Status = Status.LOADED
    reasons: tuple[str, ...] = ()

    @cached_property
    def id(self) -> str:
        """A document is its content: the id is a prefix of the hash of its canonical JSON without its
        source (``pipeline.contract.content_id``).  The same référentiel read from a text copy, a PDF
        with the same content or a file with trailing bytes is one document with several sources; one
        export holds many documents."""
        from pipeline.contract import content_id  # contract renders these records: imported when used

        return content_id(self)


def document_id(sha256: str) -> str:
    """The id a document had when a document was its bytes (warehouses written before content ids)."""
    return sha256[:16]


# ----------------------------------------------------------------------------------- diffs (pipeline.diff)


Value = str | int | bool | tuple[str, ...] | None
DetailValue = str | int | tuple[str, ...] | None


class ChangeKind(StrEnum):
    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"
    MOVED = "moved"  # same content, other number (a renumbered capacity or block)


class Entity(StrEnum):
    CAPACITY = "capacity"
    CRITERION = "criterion"
    CONDITION = "condition"
    ASSESSMENT = "assessment"  # a capacity's "modalité d'évaluation" (4th column)
    KNOWLEDGE = "knowledge"  # a compétence's connaissance associée (newer layout)
    EXPECTED_RESULT = "expected_result"  # a compétence's résultat attendu (newer layout)
    BLOCK = "block"
    FIELD = "field"  # a metadata field or list of the contract, keyed by its JSON path


@dataclass(frozen=True)
class Change:
    kind: ChangeKind
    entity: Entity
    key: str  # locator in v1 terms ("capacity 8, criterion 3", "C6", "block 1", "registration.decision")
    old: Value
    new: Value
    capacity: str | None = None  # title of the capacity the item belongs to (CQPM)
    old_number: str | None = None  # numbering in the old version ("8.3", "C6", "2"), None when absent
    new_number: str | None = None
    old_prov: Provenance | None = None  # where the item is in each version (page, bbox)
    new_prov: Provenance | None = None
    detail: tuple[tuple[str, DetailValue], ...] = ()  # an added/removed capacity or block, in full

    @property
    def old_page(self) -> int | None:
        return self.old_prov.page if self.old_prov else None

    @property
    def new_page(self) -> int | None:
        return self.new_prov.page if self.new_prov else None


# ----------------------------------------------------------------------------------- links (pipeline.link)


@dataclass(frozen=True)
class CapacityLink:
    """One RNCP capacity (code, position in the fiche) mapped to one CQPM capacity (number, position)."""

    rncp_code: str
    cqpm_number: int
    score: float
    rncp_ord: int
    cqpm_ord: int


@dataclass(frozen=True)
class BlockLink:
    """One fiche bloc (its RNCP code, position) mapped to one référentiel bloc (its number, position)."""

    rncp_block: str
    cqpm_block: int
    score: float
    rncp_ord: int
    cqpm_ord: int


@dataclass(frozen=True)
class Link:
    rncp_document_id: str
    cqpm_document_id: str
    rncp_code: str
    cqpm_number: str | None  # printed by the référentiel, or inferred from the fiche's history
    number_source: str | None  # "printed" | "inferred" | None (no number anywhere)
    method: str  # "history" | "capacities" | "title": the evidence that decided
    score: float
    history_score: float | None  # 1.0 printed number = named number; None when not comparable
    title_score: float | None
    capacity_score: float | None
    reason: str
    capacity_map: tuple[CapacityLink, ...]
    rncp_source: str
    cqpm_source: str
    block_map: tuple[BlockLink, ...] = ()  # where both sides have blocs de compétences


@dataclass(frozen=True)
class InferredNumber:
    """A CQPM number a référentiel does not print, inferred from a linked fiche's history."""

    document_id: str
    number: str
    evidence_document_id: str
    rncp_code: str
    score: float
    reason: str


# ------------------------------------------------------------------- data-quality findings (pipeline.link)


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: str
    document_id: str
    subject: str  # what it is about: "capacity 6", "C7", "registration", "link"
    message: str
    source_sha256: str
    source_path: str
    prov: Provenance | None = None
    related_document_id: str | None = None


# ------------------------------------------------------------------- ingestion outcomes (pipeline.runtime)


@dataclass(frozen=True)
class SourceFile:
    """A file found by discovery: its path as found, the sha256 of its bytes and their size.

    ``rejected`` is set for a path refused before its bytes could be read (not a regular file, a
    dangling link, over the size limit, ...): ``sha256`` is then ``path_marker(path, reason)``, a key for
    the rejection of that path, not of any bytes.  A member of a zip has ``container`` (the zip's path on
    disk), ``member`` (its name inside) and ``parent`` (the zip's sha256).  ``mtime_ns`` is the
    modification time read at discovery, to tell a file that changed before it was read again."""

    path: str
    sha256: str
    size: int
    rejected: str | None = None
    container: str | None = None
    member: str | None = None
    parent: str | None = None
    mtime_ns: int | None = None


@dataclass(frozen=True)
class Rejection:
    path: str
    reason: str  # names the file (and page), as the user reads it
    page: int | None = None
    changed: bool = False  # the file changed while it was read: nothing recorded, retried next run


class Outcome(StrEnum):
    """What one ingestion run did with one file (``FileOutcome.status``; a counter of the ``runs`` table)."""

    LOADED = "loaded"  # a new document, every field read
    PARTIAL = "partial"  # a new document, only what is certain read
    UNCHANGED = "unchanged"  # bytes the warehouse already holds: nothing written
    REJECTED = "rejected"  # recorded as rejected (its reason stored)
    QUARANTINED = "quarantined"  # bytes an earlier run rejected: skipped
    FAILED = "failed"  # could not be processed this time (a lock, a lost runner): retried next run

    @classmethod
    def of(cls, status: Status) -> Outcome:
        """The outcome of loading a document of this status."""
        return cls(status.value)

    @property
    def wrote(self) -> bool:
        """True when the run wrote this file's rows (the warehouse changed)."""
        return self in (Outcome.LOADED, Outcome.PARTIAL, Outcome.REJECTED)


@dataclass(frozen=True)
class FileOutcome:
    path: str
    sha256: str
    status: Outcome
    kind: str | None = None
    document_id: str | None = None
    reason: str | None = None
    #: ``unchanged`` although these bytes are new: read, and their content is a document the warehouse
    #: already holds (a copy or another rendering), recorded as one more source of it
    new_source: bool = False
