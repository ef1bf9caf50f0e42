"""The analysts' views of one RNCP list table, declared once and generated (``ddl``), like the tables' DDL.

Such a view (``v_rncp_rome`` over ``rncp_rome``, ``v_rncp_statistics`` over ``rncp_statistics``, …) has one
shape: the fiche (``document_id``, its ``rncp_code`` and ``rncp_title``), the item's own
columns, where it is (page and bbox), which fiche and which version (``key``, ``version``, ``is_latest``),
then the provenance (the parent's position if the list has a parent, ``ord``, ``reading_order``,
``source_sha256``).  A declaration names the table, the item's columns (which column under which name, or
which expression), an optional extra join (a block's code and title) and the comments.

A column's comment is its own ``doc``, else the shared meaning of its name (``column_docs.COMMON_COLUMNS``,
written into the catalog after every schema file), else the comment of the table column it shows.  The
generated SQL takes the place of a schema file (``SCHEMA_FILE``) in the name order the schema files are
applied in (``warehouse.schema_sql``): after every table and ``document_versions`` they read, before
``schema_zz_view_columns.sql`` and the shared comments; no schema file selects from them.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.load import tables
from pipeline.load.column_docs import COMMON_COLUMNS
from pipeline.load.tables import Table, sql_string

#: the schema file whose place in the order (after ``schema_views_continuity.sql``, before
#: ``schema_zz_view_columns.sql``) the generated views take
SCHEMA_FILE = "schema_views_rncp_lists.sql"

#: the list table's alias in the generated SQL (``x``); the fiche is ``f``, its versions ``v``
ITEM = "x"


@dataclass(frozen=True)
class ViewColumn:
    name: str  # the view's column name
    sql: str  # the expression, over the list table (x), the fiche (f) or the extra join
    doc: str | None = None  # its own comment; None: the shared meaning of its name, else the source's comment
    source: tuple[str, str] | None = None  # (alias, column) of the table column it shows, if it shows one

    def select(self) -> str:
        return self.sql if self.source and self.source[1] == self.name else f"{self.sql} AS {self.name}"


@dataclass(frozen=True)
class Join:
    """An extra join of the view: ``JOIN <table> <alias> ON <on>``."""

    table: Table
    alias: str
    on: str


def shown(column: str, name: str | None = None, doc: str | None = None, alias: str = ITEM) -> ViewColumn:
    """A column of the list table (or of the extra join: ``alias``), under its own name or ``name``."""
    return ViewColumn(name or column, f"{alias}.{column}", doc, (alias, column))


def number(name: str, doc: str) -> ViewColumn:
    """The item's number in its list, 1-based (``ord + 1``)."""
    return ViewColumn(name, f"{ITEM}.ord + 1", doc)


@dataclass(frozen=True)
class ListView:
    name: str
    table: Table
    doc: str
    columns: tuple[ViewColumn, ...]  # the item's own columns, between the fiche's and the provenance
    join: Join | None = None

    def __post_init__(self) -> None:
        if self.table.names[:2] != ("document_id", "source_sha256") or "ord" not in self.table.names:
            raise ValueError(f"{self.name}: {self.table.name} is not a list table")
        aliases = self._aliases()
        for c in self.columns:
            if c.source and (c.source[0] not in aliases or c.source[1] not in aliases[c.source[0]].names):
                raise ValueError(f"{self.name}.{c.name}: {'.'.join(c.source)} is not a declared column")
        if len(set(self.names)) != len(self.names):
            raise ValueError(f"{self.name}: a column name is given twice")
        if blank := [n for n, doc in self.comments().items() if not doc]:
            raise ValueError(f"{self.name}: no comment for {blank} (give a doc)")

    def _aliases(self) -> dict[str, Table]:
        """The declared tables of the SQL by alias (the fiche and the versions are the shared ones')."""
        return {ITEM: self.table} | ({self.join.alias: self.join.table} if self.join else {})

    @property
    def parent_ord(self) -> tuple[str, ...]:
        """The parent item's position (``block_ord``), for a list whose items belong to a parent item."""
        names = self.table.names
        return names[2:3] if names.index("ord") > 2 else ()

    def groups(self) -> tuple[tuple[ViewColumn, ...], ...]:
        """The columns in order, a line of the SELECT each: the fiche, the item, where it is, which version
        and the provenance."""
        fiche = (shown("document_id"), ViewColumn("rncp_code", "f.code"), ViewColumn("rncp_title", "f.title"))
        where = tuple(shown(n) for n in ("page", "x0", "top", "x1", "bottom"))
        version = tuple(shown(n, alias="v") for n in ("key", "version", "is_latest"))
        provenance = tuple(shown(n) for n in (*self.parent_ord, "ord", "reading_order", "source_sha256"))
        return fiche, self.columns, where, version + provenance

    @property
    def all_columns(self) -> tuple[ViewColumn, ...]:
        return tuple(c for group in self.groups() for c in group)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.all_columns)

    def comments(self) -> dict[str, str | None]:
        """Every column's comment, by name, as the catalog will hold it."""
        out: dict[str, str | None] = {}
        for c in self.all_columns:
            out[c.name] = c.doc or COMMON_COLUMNS.get(c.name) or self._source_doc(c)
        return out

    def _source_doc(self, column: ViewColumn) -> str | None:
        if column.source is None:
            return None
        alias, name = column.source
        table = self._aliases().get(alias)
        return next((c.doc for c in table.columns if c.name == name), None) if table else None

    def own_comments(self) -> dict[str, str]:
        """The comments this view writes itself: the others are the shared meanings (``column_docs``)."""
        out: dict[str, str] = {}
        for c in self.all_columns:
            doc = c.doc or (None if c.name in COMMON_COLUMNS else self._source_doc(c))
            if doc:
                out[c.name] = doc
        return out

    def ddl(self) -> str:
        select = ",\n".join("    " + ", ".join(c.select() for c in group) for group in self.groups())
        lines = [f"CREATE OR REPLACE VIEW {self.name} AS", "SELECT", select,
                 f"FROM {self.table.name} {ITEM}",
                 f"JOIN rncp_fiches f ON f.document_id = {ITEM}.document_id"]
        if self.join:
            lines.append(f"JOIN {self.join.table.name} {self.join.alias} ON {self.join.on}")
        lines.append(f"LEFT JOIN document_versions v ON v.document_id = {ITEM}.document_id;")
        lines += ["", f"COMMENT ON VIEW {self.name} IS {sql_string(self.doc)};"]
        lines += [f"COMMENT ON COLUMN {self.name}.{n} IS {sql_string(doc)};" for n, doc in self.own_comments().items()]
        return "\n".join(lines)


# ------------------------------------------------------------------------------------------ the views

_RNCP = {t.name: t for t in tables.RNCP_TABLES}


def _coded(name: str, doc: str) -> ListView:
    """A view of a list of codes with their labels (ROME, NSF, …): both commented by their shared meaning."""
    return ListView(f"v_{name}", _RNCP[name], doc, (shown("code"), shown("label")))


#: the lists every RNCP fiche has (the 2017 print, the export, the fiche page)
ITEM_VIEWS = (
    _coded("rncp_rome", "ROME job codes (Répertoire opérationnel des métiers et des emplois, e.g. H1502) of RNCP "
                        "fiches, with their labels."),
    _coded("rncp_nsf", "NSF codes (Nomenclature des spécialités de formation, e.g. 200r) of RNCP fiches, with their "
                       "labels."),
    _coded("rncp_formacodes", "Formacodes (training domain codes) of RNCP fiches, with their labels."),
    _coded("rncp_conventions", "Collective agreements (conventions collectives, IDCC code and label) named by RNCP "
                               "fiches."),
    ListView(
        "v_rncp_activities", _RNCP["rncp_activities"],
        "Activities of the référentiel d'activités of RNCP fiches (code such as A1 and wording), in document order.",
        (shown("code"), shown("text")),
    ),
    ListView(
        "v_rncp_jobs", _RNCP["rncp_jobs"],
        "Jobs the certification leads to (\"types d'emplois accessibles\") listed by RNCP fiches, in document order.",
        (number("job_number", "Number of the job in the fiche's list, 1-based."),
         shown("text", "job", "The job or position the certification leads to, as printed.")),
    ),
    ListView(
        "v_rncp_certifiers", _RNCP["rncp_certifiers"],
        "Certifying bodies (\"certificateurs\") named by RNCP fiches, in document order.",
        (number("certifier_number", "Number of the certifier in the fiche's list, 1-based."),
         shown("text", "certifier", "Name of the certifying body, as printed.")),
    ),
)

#: version 2 of the RNCP tables (today's fiche: the open-data export, the fiche page)
V2_VIEWS = (
    ListView(
        "v_rncp_block_competences", _RNCP["rncp_block_competences"],
        "Compétences of each RNCP block (version 2: open-data export, fiche page), one row per item in the "
        "block's order; nested items stay inside their parent's text.",
        (shown("block_number"),
         shown("code", "block_code", "Code of the block (RNCP36086BC01), NULL when the source gives none.", "b"),
         shown("title", "block_title", alias="b"),
         number("competence_number", "Number of the compétence within its block, 1-based."),
         shown("code", "competence_code",
               "Number or code printed before the compétence (1.1, A1C1, C.1), NULL when none."),
         shown("text", "competence", "Wording of the compétence, as written."),
         shown("split_method", doc="How the block's list of compétences was split from its text "
                                   "(pipeline/normalize/competences.py).", alias="b")),
        join=Join(tables.RNCP_BLOCKS, "b", f"b.document_id = {ITEM}.document_id AND b.ord = {ITEM}.block_ord"),
    ),
    ListView(
        "v_rncp_certifier_details", _RNCP["rncp_certifier_details"],
        "Certifiers of RNCP fiches with their SIRET and state (version 2), in the fiche's order; v_rncp_certifiers "
        "has the names as the 2017 print gives them.",
        (number("certifier_number", "Number of the certifier in the fiche's list, 1-based."),
         shown("name", "certifier"),
         shown("siret", doc="SIRET of the certifier (14 digits), NULL when not given."),
         shown("active", "certifier_active",
               "Whether the certifier is active for this fiche (Actif / Inactif), NULL when not given.")),
    ),
    ListView(
        "v_rncp_access_routes", _RNCP["rncp_access_routes"],
        "Voies d'accès of RNCP fiches (version 2): one row per route with whether it is open and its jury.",
        (shown("route"),
         shown("open", "route_open", "Whether the route is open, NULL when not given."),
         shown("jury", doc="Composition of the jury for this route, as text.")),
    ),
    ListView(
        "v_rncp_statistics", _RNCP["rncp_statistics"], "Statistics per promotion year of RNCP fiches (version 2).",
        (shown("year"),
         shown("certified", doc="Number certified that year."),
         shown("certified_vae", doc="Number certified through VAE that year."),
         shown("employment_6m"), shown("job_2y")),
    ),
    ListView(
        "v_rncp_partners", _RNCP["rncp_partners"],
        "Organismes préparant à la certification of RNCP fiches (export PARTENAIRES).",
        (shown("name", "partner", "Name of the organisme."),
         shown("siret", doc="SIRET of the organisme, NULL when not given."),
         shown("habilitation"), shown("state", "partner_state")),
    ),
)

LIST_VIEWS = ITEM_VIEWS + V2_VIEWS


def ddl() -> str:
    """The SQL of every declared list view (idempotent: CREATE OR REPLACE, COMMENT ON overwrites)."""
    header = ("-- Analysts' views of RNCP list tables, generated from their declarations in "
              "pipeline/load/views.py.\n\n")
    return header + "\n\n".join(v.ddl() for v in LIST_VIEWS) + "\n"
