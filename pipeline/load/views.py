"""The analysts' views of one list table, declared once and generated (``ddl``), like the tables' DDL.

Such a view (``v_rncp_rome`` over ``rncp_rome``, ``v_criteria`` over ``cqpm_criteria``, …) has one shape:
the document (``document_id``, then its reference and title: an RNCP fiche's ``rncp_code`` and
``rncp_title``, a CQPM référentiel's ``cqpm_number`` and ``cqpm_title``), the item's own columns (with its
parent's, such as the capacity a criterion belongs to), where it is (page and bbox), which document and which
version (``key``, ``version``, ``is_latest``), then the provenance (the parent's position if the list has a
parent, ``ord``, ``reading_order``, ``source_sha256``).  A declaration names the table, the document
(``FICHE`` or ``REFERENTIEL``), the item's columns (which column under which name, or which expression), an
optional extra join (the parent: a block, a capacity) and the comments.

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
SCHEMA_FILE = "schema_views_lists.sql"

#: the list table's alias in the generated SQL (``x``); the document's versions are ``v``
ITEM = "x"


@dataclass(frozen=True)
class ViewColumn:
    name: str  # the view's column name
    sql: str  # the expression, over the list table (x), the document or the extra join
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
    """A column of the list table (or of the document or the extra join: ``alias``), under its own name or
    ``name``."""
    return ViewColumn(name or column, f"{alias}.{column}", doc, (alias, column))


@dataclass(frozen=True)
class Document:
    """The document a list's items belong to: its table (``JOIN <table> <alias>`` on ``document_id``) and
    the columns the view shows after ``document_id`` (its reference and title)."""

    table: Table
    alias: str
    columns: tuple[ViewColumn, ...]


#: an RNCP fiche: its code and title
FICHE = Document(tables.RNCP_FICHES, "f",
                 (shown("code", "rncp_code", alias="f"), shown("title", "rncp_title", alias="f")))


def number(name: str, doc: str) -> ViewColumn:
    """The item's number in its list, 1-based (``ord + 1``)."""
    return ViewColumn(name, f"{ITEM}.ord + 1", doc)


@dataclass(frozen=True)
class ListView:
    name: str
    table: Table
    doc: str
    columns: tuple[ViewColumn, ...]  # the item's own columns, between the document's and the provenance
    join: Join | None = None
    document: Document = FICHE

    def __post_init__(self) -> None:
        if self.table.names[:2] != ("document_id", "source_sha256") or "ord" not in self.table.names:
            raise ValueError(f"{self.name}: {self.table.name} is not a list table")
        aliases = self.aliases()
        if len(aliases) != 2 + bool(self.join) or "v" in aliases:
            raise ValueError(f"{self.name}: an alias is given twice")
        for c in self.document.columns + self.columns:
            if c.source and (c.source[0] not in aliases or c.source[1] not in aliases[c.source[0]].names):
                raise ValueError(f"{self.name}.{c.name}: {'.'.join(c.source)} is not a declared column")
        if len(set(self.names)) != len(self.names):
            raise ValueError(f"{self.name}: a column name is given twice")
        if blank := [n for n, doc in self.comments().items() if not doc]:
            raise ValueError(f"{self.name}: no comment for {blank} (give a doc)")

    def aliases(self) -> dict[str, Table]:
        """The declared tables of the SQL by alias (the versions, ``v``, are the shared view's)."""
        joined = {self.join.alias: self.join.table} if self.join else {}
        return {ITEM: self.table, self.document.alias: self.document.table} | joined

    @property
    def parent_ord(self) -> tuple[str, ...]:
        """The parent item's position (``block_ord``), for a list whose items belong to a parent item."""
        names = self.table.names
        return names[2:3] if names.index("ord") > 2 else ()

    def groups(self) -> tuple[tuple[ViewColumn, ...], ...]:
        """The columns in order, a line of the SELECT each: the document, the item, where it is, which version
        and the provenance."""
        document = (shown("document_id"), *self.document.columns)
        where = tuple(shown(n) for n in ("page", "x0", "top", "x1", "bottom"))
        version = tuple(shown(n, alias="v") for n in ("key", "version", "is_latest"))
        provenance = tuple(shown(n) for n in (*self.parent_ord, "ord", "reading_order", "source_sha256"))
        return document, self.columns, where, version + provenance

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
        table = self.aliases().get(alias)
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
                 f"JOIN {self.document.table.name} {self.document.alias} "
                 f"ON {self.document.alias}.document_id = {ITEM}.document_id"]
        if self.join:
            lines.append(f"JOIN {self.join.table.name} {self.join.alias} ON {self.join.on}")
        lines.append(f"LEFT JOIN document_versions v ON v.document_id = {ITEM}.document_id;")
        lines += ["", f"COMMENT ON VIEW {self.name} IS {sql_string(self.doc)};"]
        lines += [f"COMMENT ON COLUMN {self.name}.{n} IS {sql_string(doc)};" for n, doc in self.own_comments().items()]
        return "\n".join(lines)


# ------------------------------------------------------------------------------------------ the views

_CQPM = {t.name: t for t in tables.CQPM_TABLES}
_RNCP = {t.name: t for t in tables.RNCP_TABLES}


def _referentiel(number_doc: str | None = None) -> Document:
    """A CQPM référentiel: its printed number (``number_doc``: said otherwise than the shared meaning) and
    title."""
    return Document(tables.CQPM_REFERENTIELS, "r",
                    (shown("number", "cqpm_number", number_doc, "r"), shown("title", "cqpm_title", alias="r")))


REFERENTIEL = _referentiel()

#: the capacity (a compétence, in the newer layout) an item of a CQPM capacity's list belongs to
CAPACITY = Join(_CQPM["cqpm_capacities"], "cap",
                f"cap.document_id = {ITEM}.document_id AND cap.ord = {ITEM}.capacity_ord")


def _referentiel_list(name: str, table: str, doc: str, *columns: ViewColumn) -> ListView:
    """A view of a list of a CQPM référentiel (missions, …): the référentiel, then the item's columns."""
    return ListView(name, _CQPM[table], doc, columns, document=REFERENTIEL)


def _capacity_list(name: str, table: str, doc: str, *columns: ViewColumn, capacity_title: str | None = None,
                   document: Document = REFERENTIEL) -> ListView:
    """A view of a list of a CQPM capacity (conditions, criteria, …): the référentiel, the capacity's number
    and wording (``capacity_title``: said otherwise than the shared meaning), then the item's columns."""
    capacity = (shown("capacity_number"), shown("title", "capacity_title", capacity_title, "cap"))
    return ListView(name, _CQPM[table], doc, (*capacity, *columns), CAPACITY, document)


def _competence_list(name: str, table: str, doc: str, *columns: ViewColumn) -> ListView:
    """A view of a list of a compétence (the newer layout's capacity): a capacity's list, under that name."""
    return _capacity_list(name, table, doc, *columns, capacity_title="Wording of the compétence.")


#: the end of the comment of a view of a CQPM list that was written for the newer layout
_VERSIONED = "key, version and is_latest say which référentiel version the row belongs to."

#: the lists of a CQPM référentiel (both layouts) and of its capacities
CQPM_VIEWS = (
    _capacity_list(
        "v_criteria", "cqpm_criteria",
        "Evaluation criteria of CQPM capacities, one row per criterion (criterion_number is 1-based within its "
        f"capacity), with page and bbox; {_VERSIONED}",
        number("criterion_number", "Number of the criterion within its capacity, 1-based."),
        shown("text", "criterion", "Wording of the evaluation criterion, as printed."),
        document=_referentiel("The CQPM number the référentiel prints; NULL when it prints none (key then holds "
                              "the inferred or title-based key)."),
    ),
    _capacity_list(
        "v_conditions", "cqpm_conditions",
        "Conditions of exercise (\"conditions de réalisation\") of CQPM capacities, one row per condition "
        "(condition_number is 1-based within its capacity), with page and bbox.",
        number("condition_number", "Number of the condition within its capacity, 1-based."),
        shown("text", "condition", "Wording of the condition of exercise, as printed."),
    ),
    _capacity_list(
        "v_assessments", "cqpm_assessments",
        "Assessment modalities (\"modalités d'évaluation\") checked for each CQPM capacity, one row per item "
        "(assessment_number is 1-based within its capacity), with page and bbox.",
        number("assessment_number", "Number of the assessment modality within its capacity, 1-based."),
        shown("text", "assessment", "Wording of the assessment modality, as printed."),
    ),
    _referentiel_list(
        "v_missions", "cqpm_missions",
        "Missions and activities of the job a CQPM référentiel describes (its section on missions), one row per "
        "item in document order.",
        number("mission_number", "Number of the mission within the référentiel, 1-based."),
        shown("text", "mission", "Wording of the mission or activity, as printed."),
    ),
    _referentiel_list(
        "v_listed_capacities", "cqpm_listed_capacities",
        "The capacities as listed in section I of a CQPM référentiel (code and wording), before the evaluation "
        "table that v_capacities describes; v_quality_findings reports where the two disagree.",
        shown("code"), shown("text"),
    ),
    _referentiel_list(
        "v_assessment_methods", "cqpm_assessment_methods",
        "Assessment methods of a CQPM référentiel as a whole (its list of \"modalités d'évaluation\"), one row "
        "per method in document order.",
        number("method_number", "Number of the assessment method within the référentiel, 1-based."),
        shown("text", "method", "Wording of the assessment method, as printed."),
    ),
    # the newer layout (1. activités, 2. blocs de compétences, 3. évaluation)
    _referentiel_list(
        "v_activities", "cqpm_activities",
        "Activities of newer-layout CQPM référentiels (section 1.1 \"Mission (s) et activités\"), one row per "
        f"activity, in printed order; {_VERSIONED}",
        number("activity_number", "Position of the activity in section 1.1, 1-based."),
        shown("title", "activity", "The activity as printed: a nominal heading (L'intervention de maintenance "
                                   "corrective) or a list item."),
        shown("text", doc="The paragraph(s) under the activity heading; NULL when the activity is a list item."),
    ),
    _competence_list(
        "v_connaissances", "cqpm_knowledge",
        "Connaissances associées of the compétences of newer-layout CQPM référentiels, one row per connaissance; "
        f"{_VERSIONED}",
        number("knowledge_number", "Position of the connaissance within its compétence, 1-based."),
        shown("text", "connaissance", "The connaissance as printed."),
    ),
    _competence_list(
        "v_resultats_attendus", "cqpm_expected_results",
        "Résultats attendus of the compétences of newer-layout CQPM référentiels (section 3), one row per result; "
        f"{_VERSIONED}",
        number("result_number", "Position of the result within its compétence, 1-based."),
        shown("text", "resultat_attendu", "The résultat attendu as printed."),
    ),
)


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

LIST_VIEWS = CQPM_VIEWS + ITEM_VIEWS + V2_VIEWS


def ddl() -> str:
    """The SQL of every declared list view (idempotent: CREATE OR REPLACE, COMMENT ON overwrites)."""
    header = ("-- Analysts' views of CQPM and RNCP list tables, generated from their declarations in "
              "pipeline/load/views.py.\n\n")
    return header + "\n\n".join(v.ddl() for v in LIST_VIEWS) + "\n"
