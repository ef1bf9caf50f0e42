"""One declaration per table: columns, types and comments, from which everything else is derived.

The DDL (``ddl``: ``CREATE TABLE IF NOT EXISTS`` + ``COMMENT ON`` statements, applied by
``warehouse.connect`` before the views of ``schema_*.sql``), the row mapping (``Table.row``: a row
is given by column name and laid out in the declared order; ``warehouse.document_rows``), the readers
(``Table.select`` / ``fetch``: rows come back as mappings by column name; ``pipeline.query.read``),
the list of a document's tables (``DOCUMENT_TABLES``) and the data dictionary (the comments land in
DuckDB's catalog, which ``pipeline.query.dictionary`` reads).  A column is added here and nowhere
else; a warehouse written before it gets it from ``ALTER TABLE … ADD COLUMN IF NOT EXISTS``.

Conventions of the document tables: every row carries ``document_id`` and ``source_sha256``; list
tables carry the provenance columns (``PROV``: ``ord`` — position in its list, 0-based, the order
``show`` renders — ``reading_order``, ``page`` and the bbox); dates are DATE, never text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import duckdb

Row = tuple[Any, ...]


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # DuckDB type
    doc: str
    not_null: bool = False
    check: str | None = None  # a CHECK expression on this column
    unique: bool = False

    def ddl(self) -> str:
        parts = [self.name, self.type]
        if self.not_null:
            parts.append("NOT NULL")
        if self.unique:
            parts.append("UNIQUE")
        if self.check:
            parts.append(f"CHECK ({self.check})")
        return " ".join(parts)


@dataclass(frozen=True)
class Table:
    name: str
    doc: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]  # primary key
    document_key: str | None = "document_id"  # the column naming the document (None: not a document table)

    def __post_init__(self) -> None:
        names = self.names
        if len(set(names)) != len(names):
            raise ValueError(f"{self.name}: a column is declared twice")
        if missing := [k for k in self.key if k not in names]:
            raise ValueError(f"{self.name}: key columns {missing} are not declared")

    @cached_property  # read for every row built (an export import builds ~70 rows a fiche)
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @cached_property
    def _name_set(self) -> frozenset[str]:
        return frozenset(self.names)

    def ddl(self) -> str:
        lines = [c.ddl() for c in self.columns] + [f"PRIMARY KEY ({', '.join(self.key)})"]
        body = ",\n    ".join(lines)
        out = [f"CREATE TABLE IF NOT EXISTS {self.name} (\n    {body}\n);",
               f"COMMENT ON TABLE {self.name} IS {sql_string(self.doc)};"]
        out += [f"ALTER TABLE {self.name} ADD COLUMN IF NOT EXISTS {c.name} {c.type};"
                for c in self.columns[self._created_with():]]
        out += [f"COMMENT ON COLUMN {self.name}.{c.name} IS {sql_string(c.doc)};" for c in self.columns]
        return "\n".join(out)

    def _created_with(self) -> int:
        """Columns a warehouse of schema 1 already had: the ones after are added by ALTER for older files."""
        return len(self.columns) if self.name not in ADDED_COLUMNS else self.names.index(ADDED_COLUMNS[self.name])

    def row(self, values: Mapping[str, Any]) -> Row:
        """A row in the declared column order, from values by column name (an unknown name is an error;
        an absent one is NULL, refused by the database where the column is NOT NULL)."""
        if not self._name_set.issuperset(values):
            raise KeyError(f"{self.name} has no column {sorted(set(values) - self._name_set)}")
        return tuple(map(values.get, self.names))

    def select(self, alias: str | None = None) -> str:
        prefix = f"{alias}." if alias else ""
        return ", ".join(prefix + n for n in self.names)


def sql_string(text: str) -> str:
    """``text`` as an SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


# ---------------------------------------------------------------------------------------------- columns

DOC = (
    Column("document_id", "VARCHAR", "The document the row belongs to (documents.id).", not_null=True),
    Column("source_sha256", "VARCHAR", "sha256 of the source file the row was read from (sources.sha256).",
           not_null=True),
)
PROV = (
    Column("ord", "INTEGER", "Position of the item within its list, 0-based (the order show renders).",
           not_null=True),
    Column("reading_order", "INTEGER", "Position of the item in the reading order of the source.", not_null=True),
    Column("page", "INTEGER", "Page of the source PDF, 1-based; NULL for text inputs."),
    Column("x0", "DOUBLE", "Left edge of the item's box, in PDF points (NULL when unknown)."),
    Column("top", "DOUBLE", "Top edge of the item's box, in PDF points from the top of the page."),
    Column("x1", "DOUBLE", "Right edge of the item's box, in PDF points."),
    Column("bottom", "DOUBLE", "Bottom edge of the item's box, in PDF points from the top of the page."),
)
CAPACITY_PARENT = (
    Column("capacity_ord", "INTEGER", "Position of the CQPM capacity the item belongs to, 0-based.",
           not_null=True),
    Column("capacity_number", "INTEGER", "Number of the CQPM capacity the item belongs to.", not_null=True),
)
BLOCK_PARENT = (
    Column("block_ord", "INTEGER", "Position of the RNCP block the item belongs to, 0-based.", not_null=True),
    Column("block_number", "INTEGER", "Number of the RNCP block the item belongs to.", not_null=True),
)


def _text(doc: str) -> Column:
    return Column("text", "VARCHAR", doc, not_null=True)


def _code(doc: str) -> Column:
    return Column("code", "VARCHAR", doc, not_null=True)


def _label(doc: str) -> Column:
    return Column("label", "VARCHAR", doc, not_null=True)


def list_table(name: str, doc: str, *values: Column, parent: tuple[Column, ...] = ()) -> Table:
    """A table of one list of a document: document, parent item (if any), provenance, then its values."""
    key = ("document_id", *(p.name for p in parent[:1]), "ord")
    return Table(name, doc, (*DOC, *parent, *PROV, *values), key)


# ---------------------------------------------------------------------------------------------- tables

META = Table(
    "refpipe_meta", "refpipe's own bookkeeping: the digest of the schema text last applied, the schema version.",
    (
        Column("key", "VARCHAR", "What the value is (schema_sha256, schema_version, …).", not_null=True),
        Column("value", "VARCHAR", "The value."),
    ),
    key=("key",), document_key=None,
)

SOURCES = Table(
    "sources", "Every input file seen, by content hash: loaded, partial or rejected (with its reason).",
    (
        Column("sha256", "VARCHAR", "sha256 of the file's bytes.", not_null=True),
        Column("path", "VARCHAR", "Path the file was ingested from.", not_null=True),
        Column("format", "VARCHAR", "pdf | text (or what the sniffer saw, for rejected files; unread for a path "
                                    "refused before any byte was read, whose sha256 is then a hash of path and "
                                    "reason).", not_null=True),
        Column("pages", "INTEGER", "Pages of a PDF; NULL for text."),
        Column("size", "BIGINT", "Size of the file in bytes."),
        Column("ingested_at", "TIMESTAMP", "When the file was (last) recorded, UTC.", not_null=True),
        Column("status", "VARCHAR", "loaded, partial or rejected.", not_null=True,
               check="status IN ('loaded', 'partial', 'rejected')"),
        Column("reason", "VARCHAR", "Why it was rejected, or what a partial document misses."),
        Column("parent", "VARCHAR", "sha256 of the zip this file was a member of (its path reads "
                                    "<zip>!/<member>); NULL for a file ingested on its own."),
    ),
    key=("sha256",), document_key=None,
)

DOCUMENTS = Table(
    "documents", "One row per loaded document; id = the hash of its content (document_sources: every source).",
    (
        Column("id", "VARCHAR", "The document id: the first 16 hex digits of the sha256 of its canonical content "
                                "JSON without its source (a warehouse written before kept its source's sha256).",
               not_null=True),
        Column("source_sha256", "VARCHAR", "sha256 of the source file that first brought it (sources.sha256); "
                                           "document_sources lists all its sources.", not_null=True),
        Column("kind", "VARCHAR", "cqpm or rncp.", not_null=True, check="kind IN ('cqpm', 'rncp')"),
        Column("status", "VARCHAR", "loaded, or partial when part of the document could not be read.",
               not_null=True, check="status IN ('loaded', 'partial')"),
        Column("reasons", "VARCHAR[]", "What a partial document misses (empty when loaded).", not_null=True),
        Column("key", "VARCHAR", "Which référentiel or fiche it is a version of (CQPM-0195, RNCP28242, CQPM-T…)."),
        Column("version", "VARCHAR", "Version within its key: 1, 2, … by stated date, then ingestion order "
                                   "(as text; the views have it as INTEGER)."),
        Column("valid_from", "DATE", "The date the document states (CQPM Dernière modification, RNCP "
                                      "registration, export date for an export's fiche); NULL when it states none."),
        Column("loaded_at", "TIMESTAMP", "When it was loaded, UTC.", not_null=True),
        Column("previous_id", "VARCHAR", "The version before it (versions ordered by stated date, then ingestion)."),
        Column("body_id", "VARCHAR", "Its content id without the CQPM header block (number, qualification, "
                                     "category, Dernière modification): renderings with and without the header "
                                     "share it and are one document."),
    ),
    key=("id",), document_key="id",
)

CQPM_REFERENTIELS = Table(
    "cqpm_referentiels", "One row per CQPM référentiel: its header and section I metadata.",
    (
        *DOC,
        Column("number", "VARCHAR", "The 4-digit CQPM number it prints (NULL when it prints none)."),
        Column("qualification_id", "VARCHAR", "The code after \"Qualification :\", without its MQ/CQPM prefix."),
        Column("category", "VARCHAR", "Catégorie, when printed (C*, B, …)."),
        Column("last_modified", "DATE", "Dernière modification, when printed."),
        Column("level", "VARCHAR", "Niveau, when printed (newer documents)."),
        Column("title", "VARCHAR", "Title of the référentiel."),
        Column("objective", "VARCHAR", "Section I prose before the missions list."),
        Column("layout_variant", "VARCHAR", "Which layout the parser recognised: classic (I objectif, II capacités) "
               "or activites (the newer layout: 1. activités, 2. blocs de compétences, 3. évaluation).",
               not_null=True),
        Column("environment", "VARCHAR", "Newer layout: 1.2 Environnement de travail, paragraphs joined by a "
               "line break (NULL in the old layout or when not printed)."),
        Column("interactions", "VARCHAR", "Newer layout: 1.3 Interactions dans l'environnement de travail (NULL "
               "in the old layout or when not printed)."),
    ),
    key=("document_id",),
)

CQPM_BLOCKS = list_table("cqpm_blocks", "Blocs de compétences of a newer-layout CQPM référentiel.",
                         Column("number", "INTEGER", "Rank of the bloc in its référentiel (1, 2, …), whatever its "
                                "label prints.", not_null=True),
                         Column("code", "VARCHAR", "The RNCP bloc code its label prints (RNCP38622BC01); NULL when "
                                "none."),
                         Column("title", "VARCHAR", "Title of the bloc without its label.", not_null=True))
CQPM_BLOCK_PARENT = (
    Column("block_ord", "INTEGER", "Position of the CQPM bloc the item belongs to, 0-based.", not_null=True),
    Column("block_number", "INTEGER", "Number of the CQPM bloc the item belongs to.", not_null=True),
)

CQPM_TABLES = (
    CQPM_REFERENTIELS,
    list_table("cqpm_missions", "Section I missions (the \"à titre d'exemples\" list) of a CQPM référentiel.",
               _text("The mission as printed.")),
    list_table("cqpm_listed_capacities", "Section I's numbered capacity list (\"doit être capable de : 1) …\").",
               _code("The number as printed (\"1\")."), _text("The capacity as listed.")),
    list_table("cqpm_capacities", "Capacities of the section II table (the table wins over section I's list).",
               Column("number", "INTEGER", "Number of the capacity.", not_null=True),
               Column("title", "VARCHAR", "Wording of the capacity.", not_null=True)),
    list_table("cqpm_conditions", "Conditions de réalisation of a CQPM capacity, one per paragraph.",
               _text("The condition as printed."), parent=CAPACITY_PARENT),
    list_table("cqpm_criteria", "Critères observables et/ou mesurables of a CQPM capacity, one per criterion.",
               _text("The criterion as printed."), parent=CAPACITY_PARENT),
    list_table("cqpm_assessments", "Modalités d'évaluation of a CQPM capacity (the 4th column, when present).",
               _text("The assessment as printed."), parent=CAPACITY_PARENT),
    list_table("cqpm_assessment_methods", "Assessment methods of a CQPM référentiel (IV.2 B) a), b), …).",
               _text("The method as printed.")),
    # the newer layout (1. activités, 2. blocs de compétences, 3. évaluation)
    list_table("cqpm_activities", "Activities of section 1.1 of a newer-layout CQPM référentiel.",
               Column("title", "VARCHAR", "The activity: a nominal heading or a list item.", not_null=True),
               Column("text", "VARCHAR", "The paragraph(s) under the heading, joined by a line break; NULL for a "
                      "list item.")),
    CQPM_BLOCKS,
    # provenance is the bloc's: the records keep none per member
    list_table("cqpm_block_capacities", "Which compétences (cqpm_capacities.number) each bloc holds, one row each.",
               Column("capacity_number", "INTEGER", "Number of a compétence of the bloc.", not_null=True),
               parent=CQPM_BLOCK_PARENT),
    list_table("cqpm_knowledge", "Connaissances associées of a compétence, one per item.",
               _text("The connaissance as printed."), parent=CAPACITY_PARENT),
    list_table("cqpm_expected_results", "Résultats attendus of a compétence, one per paragraph.",
               _text("The résultat attendu as printed."), parent=CAPACITY_PARENT),
)

RNCP_FICHES = Table(
    "rncp_fiches", "One row per RNCP fiche: its code, title, registration and CQPM history.",
    (
        *DOC,
        Column("code", "VARCHAR", "RNCP code (RNCP28242).", not_null=True),
        Column("title", "VARCHAR", "Title of the fiche."),
        Column("validity", "VARCHAR", "Validity as printed (\"illimitée\", a date, …)."),
        Column("new_caledonia", "BOOLEAN", "Accessible in New Caledonia (NULL when the file loses the mark)."),
        Column("french_polynesia", "BOOLEAN", "Accessible in French Polynesia (NULL when the file loses the mark)."),
        Column("registration_decision", "DATE", "Date of the registration decision."),
        Column("registration_journal_officiel", "DATE", "Date of publication in the Journal officiel."),
        Column("registration_effective", "DATE", "Date the registration takes effect."),
        Column("registration_end", "DATE", "End of the registration (échéance)."),
        Column("awards_per_year", "INTEGER", "Certifications awarded per year, as printed."),
        Column("history_cqpm_number", "VARCHAR", "CQPM number named in the fiche's history."),
        Column("history_qualification_id", "VARCHAR", "Qualification code named in the fiche's history."),
        Column("history_first_validated", "VARCHAR", "Year the CQPM was first validated, per the history."),
        Column("history_version_date", "DATE", "Version date of the CQPM, per the history."),
        Column("history_category", "VARCHAR", "CQPM category, per the history."),
        Column("active", "BOOLEAN", "Active (ACTIF Oui, \"Active\" on the page); NULL on 2017 prints."),
        Column("state", "VARCHAR", "ETAT_FICHE of the export (Publiée, …)."),
        Column("level", "INTEGER", "Niveau (3…8); NULL for \"Sans niveau\" or when not printed."),
        Column("objectives", "VARCHAR", "Objectifs et contexte de la certification."),
        Column("registration_start_of_pathways", "DATE", "Date de début des parcours certifiants."),
        Column("activities_raw", "VARCHAR", "ACTIVITES_VISEES as the export wrote it (split into rncp_activities)."),
        Column("capacities_raw", "VARCHAR", "CAPACITES_ATTESTEES as the export wrote it (split into "
                                            "rncp_capacities)."),
    ),
    key=("document_id",),
)

RNCP_BLOCKS = list_table("rncp_blocks", "Blocks of competences of an RNCP fiche.",
                         Column("number", "INTEGER", "Number of the block in its fiche.", not_null=True),
                         Column("title", "VARCHAR", "Title of the block.", not_null=True),
                         Column("code", "VARCHAR", "Code of the block (RNCP36086BC01), when given."),
                         Column("assessment", "VARCHAR", "Modalités d'évaluation of the block, as text."),
                         Column("split_method", "VARCHAR", "How the list of compétences was split from its text "
                                                           "(pipeline/normalize/competences.py)."),
                         Column("competences_raw", "VARCHAR", "LISTE_COMPETENCES as the export wrote it."))

RNCP_TABLES = (
    RNCP_FICHES,
    list_table("rncp_certifiers", "Certifiers of an RNCP fiche.", _text("The certifier as printed.")),
    list_table("rncp_conventions", "Collective agreements (CCN) of an RNCP fiche.",
               _code("IDCC code."), _label("Name of the agreement.")),
    list_table("rncp_nsf", "NSF codes of an RNCP fiche.", _code("NSF code."), _label("NSF label.")),
    list_table("rncp_formacodes", "Formacodes of an RNCP fiche.", _code("Formacode."), _label("Label.")),
    list_table("rncp_activities", "Activities (A1, A2, …) of an RNCP fiche.",
               _code("Activity code (A1) or its number as printed."), _text("The activity as printed.")),
    list_table("rncp_capacities", "Capacities (compétences attestées; C1, C2, …) of an RNCP fiche.",
               _code("Capacity code (C1) or its number as printed."), _text("The capacity as printed.")),
    list_table("rncp_jobs", "Jobs (métiers visés) of an RNCP fiche.", _text("The job as printed.")),
    list_table("rncp_rome", "ROME codes of an RNCP fiche.", _code("ROME code."), _label("ROME label.")),
    RNCP_BLOCKS,
    # provenance is the block's: the records keep none per code
    list_table("rncp_block_capacities", "The capacity codes of each RNCP block, one row per code.",
               Column("capacity_code", "VARCHAR", "RNCP capacity code (C7) of the block.", not_null=True),
               parent=BLOCK_PARENT),
    # version 2 (today's fiche: open-data export, fiche page)
    list_table("rncp_block_competences", "The compétences of each RNCP block, one per item (nested items inside "
                                         "their parent's text); provenance is the block's.",
               Column("code", "VARCHAR", "Number or code printed before the item (1.1, A1C1, C.1), else NULL."),
               _text("The compétence as written."), parent=BLOCK_PARENT),
    list_table("rncp_certifier_details", "Certifiers of an RNCP fiche with SIRET and state (version 2).",
               Column("name", "VARCHAR", "Legal name of the certifier.", not_null=True),
               Column("siret", "VARCHAR", "SIRET (14 digits), when given."),
               Column("active", "BOOLEAN", "Actif / Inactif, when given.")),
    list_table("rncp_access_routes", "Voies d'accès of an RNCP fiche: FI, CA, FC, CQ, CL, VAE.",
               Column("route", "VARCHAR", "FI élève/étudiant, CA apprentissage, FC formation continue, CQ contrat "
                                          "de professionnalisation, CL candidature individuelle, VAE.",
                      not_null=True, check="route IN ('FI', 'CA', 'FC', 'CQ', 'CL', 'VAE')"),
               Column("open", "BOOLEAN", "Whether the route is open."),
               Column("jury", "VARCHAR", "Composition of the jury, as text.")),
    list_table("rncp_statistics", "Statistics per promotion year of an RNCP fiche.",
               Column("year", "INTEGER", "Promotion year.", not_null=True),
               Column("certified", "INTEGER", "Number certified."),
               Column("certified_vae", "INTEGER", "Number certified through VAE."),
               Column("employment_6m", "INTEGER", "Overall employment rate at 6 months, %."),
               Column("job_2y", "INTEGER", "Employment rate in the target job at 2 years, %.")),
    list_table("rncp_continuity", "Continuity the fiche declares: older fiches it replaces, newer ones replacing it.",
               Column("direction", "VARCHAR", "replaces (an older fiche) or replaced_by (a newer one).",
                      not_null=True, check="direction IN ('replaces', 'replaced_by')"),
               _code("RNCP/RS code of the other fiche.")),
    list_table("rncp_partners", "Organismes préparant à la certification (export PARTENAIRES).",
               Column("name", "VARCHAR", "Name of the partner.", not_null=True),
               Column("siret", "VARCHAR", "SIRET of the partner."),
               Column("habilitation", "VARCHAR",
                      "HABILITATION_FORMER | HABILITATION_ORGANISER | HABILITATION_ORGA_FORM."),
               Column("state", "VARCHAR", "Actif | Inactif | Supprimé.")),
)

DOCUMENT_SOURCES = Table(
    "document_sources", "Every source a document was read from: an export holds thousands of documents; files "
                        "with the same content are one document with several sources.",
    (
        Column("document_id", "VARCHAR", "The document (documents.id).", not_null=True),
        Column("source_sha256", "VARCHAR", "A source holding it (sources.sha256).", not_null=True),
        Column("reading_order", "INTEGER", "Where in the source (an export: the line of the fiche)."),
        Column("added_at", "TIMESTAMP", "When this source was first seen holding it, UTC.", not_null=True),
        Column("unprinted", "VARCHAR[]", "CQPM header fields (number, qualification_id, category, last_modified) "
                                         "this source does not print, though the document holds them from another "
                                         "rendering: show renders the source as it reads."),
    ),
    key=("document_id", "source_sha256"), document_key=None,
)

RNCP_EXPORTS = Table(
    "rncp_exports", "One row per open-data export imported (one source, many fiches).",
    (
        Column("source_sha256", "VARCHAR", "The export file (sources.sha256).", not_null=True),
        Column("path", "VARCHAR", "Path it was imported from.", not_null=True),
        Column("member", "VARCHAR", "The XML/CSV member read inside the zip."),
        Column("format", "VARCHAR", "xml | csv.", not_null=True),
        Column("flux_version", "VARCHAR", "VERSION_FLUX (4.1)."),
        Column("series", "VARCHAR", "RNCP | RS, from the name."),
        Column("export_date", "DATE", "Date of the export, from its name."),
        Column("fiches", "INTEGER", "Fiches read.", not_null=True),
        Column("added", "INTEGER", "Fiches whose content was new (first versions and new versions).", not_null=True),
        Column("unchanged", "INTEGER", "Fiches whose content the warehouse already held.", not_null=True),
        Column("withdrawn", "INTEGER", "Fiches of the previous export of the series missing from this one.",
               not_null=True),
        Column("skipped_rs", "INTEGER", "RS fiches left out (--skip-rs).", not_null=True),
        Column("notes", "VARCHAR[]", "What the format could not give (the CSV: no compétence lists), fiches "
                                     "skipped.", not_null=True),
        Column("imported_at", "TIMESTAMP", "When it was imported, UTC.", not_null=True),
    ),
    key=("source_sha256",), document_key=None,
)

RNCP_WITHDRAWALS = Table(
    "rncp_withdrawals", "A fiche that disappeared from an export (its versions stay) or came back.",
    (
        Column("code", "VARCHAR", "RNCP/RS code of the fiche.", not_null=True),
        Column("document_id", "VARCHAR", "Its latest version at that export.", not_null=True),
        Column("source_sha256", "VARCHAR", "The export it is missing from (or back in).", not_null=True),
        Column("export_date", "DATE", "Date of that export."),
        Column("event", "VARCHAR", "withdrawn or reinstated.", not_null=True,
               check="event IN ('withdrawn', 'reinstated')"),
        Column("recorded_at", "TIMESTAMP", "When it was recorded, UTC.", not_null=True),
    ),
    key=("code", "source_sha256"), document_key=None,
)

RNCP_FICHE_FINGERPRINTS = Table(
    "rncp_fiche_fingerprints", "The bytes of an export's FICHE element (by fingerprint) and the document they gave: "
    "a re-import, or next week's export, skips the fiches whose fingerprint is here without re-reading them.",
    (
        Column("fingerprint", "VARCHAR", "sha256 (32 hex digits) of the FICHE element's raw bytes (as serialised "
                                         "where the file has CDATA or comments), salted by the digest of the "
                                         "code that reads it and the file's prolog (a new reader version "
                                         "matches nothing).",
               not_null=True),
        Column("document_id", "VARCHAR", "The document (documents.id) those bytes gave.", not_null=True),
        Column("code", "VARCHAR", "RNCP/RS code of the fiche.", not_null=True),
        Column("source_sha256", "VARCHAR", "The export whose import recorded it (sources.sha256).", not_null=True),
        Column("line_offset", "INTEGER", "Line of the fiche's reading order (its first certifier, else bloc) from "
                                         "its <FICHE> tag: the line a known fiche's source link gets."),
    ),
    key=("fingerprint",), document_key=None,
)

#: columns added after schema 1 (the first of them, per table): older files get them by ALTER TABLE
ADDED_COLUMNS = {"document_sources": "unprinted",
                 "documents": "previous_id", "cqpm_referentiels": "environment", "rncp_fiches": "active",
                 "rncp_blocks": "code", "sources": "parent",
                 "rncp_fiche_fingerprints": "line_offset"}

#: every table holding rows of a document, children before parents (the order deletes go in)
DOCUMENT_TABLES = (*reversed(CQPM_TABLES[1:]), CQPM_REFERENTIELS, *reversed(RNCP_TABLES[1:]), RNCP_FICHES,
                   DOCUMENTS)
TABLES = {t.name: t for t in (META, SOURCES, DOCUMENTS, *CQPM_TABLES, *RNCP_TABLES, DOCUMENT_SOURCES,
                              RNCP_EXPORTS, RNCP_WITHDRAWALS, RNCP_FICHE_FINGERPRINTS)}


def ddl() -> str:
    """The DDL of every declared table (idempotent: applied on every writable connection)."""
    return "\n\n".join(t.ddl() for t in TABLES.values()) + "\n"


def fetch(con: duckdb.DuckDBPyConnection, table: Table, where: str, params: Sequence[Any],
          order: str | None = None) -> list[dict[str, Any]]:
    """Rows of ``table`` as mappings by column name (``where`` is SQL over its columns)."""
    sql = f"SELECT {table.select()} FROM {table.name} WHERE {where}" + (f" ORDER BY {order}" if order else "")
    return [dict(zip(table.names, r, strict=True)) for r in con.execute(sql, list(params)).fetchall()]
