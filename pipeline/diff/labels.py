"""The French words of the reports (Markdown and HTML): kinds, entities, field names, values."""

from __future__ import annotations

import re
from datetime import date

from pipeline.diff.redline import Op, Segment, list_redline, redline
from pipeline.records import Change, ChangeKind, Entity, Value

ENTITY = {
    Entity.CAPACITY: "Capacité", Entity.CRITERION: "Critère d'évaluation",
    Entity.CONDITION: "Condition de réalisation", Entity.ASSESSMENT: "Modalité d'évaluation",
    Entity.KNOWLEDGE: "Connaissance associée", Entity.EXPECTED_RESULT: "Résultat attendu",
    Entity.BLOCK: "Bloc de compétences", Entity.FIELD: "Information",
}
ENTITY_PLURAL = {
    Entity.CAPACITY: "Capacités", Entity.CRITERION: "Critères d'évaluation",
    Entity.CONDITION: "Conditions de réalisation", Entity.ASSESSMENT: "Modalités d'évaluation",
    Entity.KNOWLEDGE: "Connaissances associées", Entity.EXPECTED_RESULT: "Résultats attendus",
    Entity.BLOCK: "Blocs de compétences", Entity.FIELD: "Informations générales",
}
_FEMININE = {Entity.CAPACITY, Entity.CONDITION, Entity.ASSESSMENT, Entity.KNOWLEDGE, Entity.FIELD}
_KIND = {ChangeKind.ADDED: "ajouté", ChangeKind.REMOVED: "supprimé", ChangeKind.CHANGED: "modifié",
         ChangeKind.MOVED: "renuméroté"}
KIND_PLURAL = {ChangeKind.ADDED: "Ajouts", ChangeKind.REMOVED: "Suppressions",
               ChangeKind.CHANGED: "Modifications", ChangeKind.MOVED: "Renumérotations"}

FIELD = {
    "number": "Numéro de CQPM", "qualification_id": "Identifiant de qualification", "category": "Catégorie",
    "last_modified": "Date de dernière modification", "level": "Niveau", "title": "Intitulé",
    "objective": "Objectif", "missions": "Missions", "layout": "Présentation du référentiel",
    "environment": "Environnement de travail", "interactions": "Interactions dans l'environnement de travail",
    "assessment_methods": "Modalités d'évaluation",
    "code": "Code RNCP", "validity": "Durée de validité", "new_caledonia": "Accessible en Nouvelle-Calédonie",
    "french_polynesia": "Accessible en Polynésie française",
    "registration.decision": "Date de décision d'enregistrement",
    "registration.journal_officiel": "Date de publication au Journal officiel",
    "registration.effective": "Date d'effet de l'enregistrement",
    "registration.end": "Date de fin d'enregistrement", "awards_per_year": "Nombre de certifiés par an",
    "history.cqpm_number": "Historique : numéro de CQPM",
    "history.qualification_id": "Historique : identifiant de qualification",
    "history.first_validated": "Historique : première validation",
    "history.version_date": "Historique : date de la version", "history.category": "Historique : catégorie",
    "certifiers": "Certificateurs", "conventions": "Conventions collectives", "nsf": "Codes NSF",
    "formacodes": "Formacodes", "rome": "Codes ROME", "jobs": "Métiers visés", "activities": "Activités",
    # version 2 (current fiche page, open-data export)
    "active": "Fiche active", "state": "État de la fiche", "objectives": "Objectifs et contexte",
    "registration.start_of_pathways": "Date de début des parcours certifiants",
    "certifier_details": "Certificateur", "replaces": "Remplace la fiche", "replaced_by": "Remplacée par la fiche",
    "partners": "Organisme partenaire",
}
#: the six voies d'accès and the statistics of a year, as the page names them (keys ``access_routes.CA.jury``,
#: ``statistics.2024.certified``)
ROUTE = {"FI": "après un parcours de formation sous statut d'élève ou d'étudiant",
         "CA": "en contrat d'apprentissage", "FC": "après un parcours de formation continue",
         "CQ": "en contrat de professionnalisation", "CL": "par candidature individuelle", "VAE": "par expérience"}
STATISTIC = {"certified": "nombre de certifiés", "certified_vae": "nombre de certifiés à la suite d'une VAE",
             "employment_6m": "taux d'insertion global à 6 mois (%)",
             "job_2y": "taux d'insertion dans le métier visé à 2 ans (%)"}
#: what a change inside a bloc is about (keys ``block 3, compétence``): its words, whether they are feminine
_BLOCK_PART = {"compétence": ("compétence", True), "code": ("code", False),
               "modalités d'évaluation": ("modalités d'évaluation", True)}
_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
ABSENT = "(non renseigné)"


_LIST_FIELDS = {"missions", "assessment_methods", "certifiers", "jobs", "conventions", "nsf", "formacodes",
                "rome", "activities", "certifier_details", "replaces", "replaced_by", "partners"}
_NUMBERED = ("missions", "assessment_methods", "certifiers", "jobs", "certifier_details", "partners")


def _block_part(change: Change) -> tuple[str, str, bool] | None:
    """(bloc number, what in it, feminine) of a change inside a bloc (key ``block 3, compétence``), else None."""
    block, sep, part = change.key.partition(", ")
    if change.entity is not Entity.BLOCK or not sep or part not in _BLOCK_PART:
        return None
    words, feminine = _BLOCK_PART[part]
    return block.rpartition(" ")[2], words, feminine


def kind_label(change: Change) -> str:
    """"capacité ajoutée", "critère modifié"; for a field "valeur modifiée" or "élément ajouté"."""
    word = _KIND[change.kind]
    if change.entity is Entity.FIELD:
        base = change.key.partition(" ")[0]
        return f"élément {word}" if base in _LIST_FIELDS else f"valeur {word}e"
    if (inside := _block_part(change)) is not None:
        return word + ("e" if inside[2] else "") + ("s" if inside[1].endswith("s") else "")
    return word + ("e" if change.entity in _FEMININE else "")


def field_label(key: str) -> str:
    base, _, code = key.partition(" ")
    head, _, rest = base.partition(".")
    if head == "access_routes" and rest.count(".") == 1:  # access_routes.CA.jury
        route, _, what = rest.partition(".")
        return (f"Voie d'accès « {ROUTE.get(route, route)} », "
                + ("ouverte" if what == "open" else "composition du jury" if what == "jury" else what))
    if head == "statistics" and rest.count(".") == 1:  # statistics.2024.certified
        year, _, what = rest.partition(".")
        return f"Statistiques {year}, {STATISTIC.get(what, what)}"
    name = FIELD.get(base, base)
    return f"{name} {code}".strip()


def title(change: Change) -> str:
    """Heading of one change: what, which (numbering of the version where it exists), what happened."""
    if change.entity is Entity.FIELD:
        what = field_label(change.key)
        if change.key in _NUMBERED:
            what += f" n° {change.old_number or change.new_number}"
        elif change.key in ("conventions", "nsf", "formacodes", "rome", "activities"):
            what += f" {change.old_number or change.new_number}"
    elif (inside := _block_part(change)) is not None:  # a compétence, the code or the modalités of a bloc
        block, words, _ = inside
        what = f"{ENTITY[change.entity]} {block}, {words}"
        if words == "compétence":
            what += f" n° {change.old_number or change.new_number}"
    else:
        what = f"{ENTITY[change.entity]} {change.old_number or change.new_number or ''}".strip()
    return f"{what} : {kind_label(change)}"


def value_text(value: Value) -> str:
    """A value as the reader sees it: dates dd/mm/yyyy, booleans oui/non, lists joined."""
    if value is None:
        return ABSENT
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, tuple):
        return ", ".join(value) if value else "(aucune)"
    if isinstance(value, int):
        return str(value)
    m = _ISO.fullmatch(value)
    return f"{m.group(3)}/{m.group(2)}/{m.group(1)}" if m else value


def date_text(d: date | None) -> str:
    return d.strftime("%d/%m/%Y") if d else ABSENT


def valid_from_text(d: date | None, printed: bool) -> str:
    """The date a version applies from; when the document prints none, say it is the ingestion date."""
    return date_text(d) + ("" if printed or d is None else " (date d'ingestion : le document n'en indique pas)")


def shows_capacity(change: Change) -> bool:
    """Whether a report names the capacity of a change (its items, or a renumbered capacity)."""
    return bool(change.capacity) and (change.entity is not Entity.CAPACITY or change.kind is ChangeKind.MOVED)


def has_location(change: Change) -> bool:
    return any(v is not None for v in (change.old_number, change.new_number, change.old_page, change.new_page))


DETAIL = {"number": "Numéro", "title": "Intitulé", "conditions": "Conditions de réalisation",
          "criteria": "Critères d'évaluation", "assessment": "Modalités d'évaluation",
          "capacities": "Capacités du bloc", "code": "Code du bloc", "competences": "Compétences du bloc"}


def detail_items(change: Change) -> list[tuple[str, tuple[str, ...]]]:
    """The content of an added or removed capacity or bloc (``Change.detail``) as (French name, items): its
    number and title are in the heading; a bloc without a code has none; a fiche's bloc read from the export
    lists compétences, not the référentiel's capacities (its empty ``capacities`` is left out)."""
    names = {name for name, _ in change.detail}
    out = []
    for name, value in change.detail:
        if name in ("number", "title") or value is None or (name == "capacities" and "competences" in names
                                                           and not value):
            continue
        out.append((DETAIL.get(name, name), value if isinstance(value, tuple) else (str(value),)))
    return out


#: fields whose value is prose: shown as a word-level redline; other fields (codes, dates, numbers,
#: booleans) are shown whole, old value struck and new value marked
PROSE_FIELDS = {"title", "objective", "environment", "interactions", "missions", "assessment_methods", "certifiers",
                "jobs", "activities",
                "validity", "conventions", "nsf", "formacodes", "rome"}


def segments(change: Change) -> list[Segment]:
    """What a report shows for one change: a redline of the old and new values."""
    c = change
    if c.kind is ChangeKind.MOVED:
        return [Segment(Op.DELETE, f"n° {c.old}"), Segment(Op.INSERT, f"n° {c.new}")]
    if isinstance(c.old, tuple) or isinstance(c.new, tuple):
        return list_redline(c.old if isinstance(c.old, tuple) else (), c.new if isinstance(c.new, tuple) else ())
    prose = c.entity is not Entity.FIELD or c.key.partition(" ")[0] in PROSE_FIELDS
    if prose and c.old is not None and c.new is not None:
        return redline(value_text(c.old), value_text(c.new))
    old = Segment(Op.DELETE, value_text(c.old)) if c.old is not None else Segment(Op.EQUAL, ABSENT)
    new = Segment(Op.INSERT, value_text(c.new)) if c.new is not None else Segment(Op.EQUAL, ABSENT)
    if c.kind is ChangeKind.ADDED:
        return [new]
    if c.kind is ChangeKind.REMOVED:
        return [old]
    return [old, Segment(Op.EQUAL, " → "), new]


def side_segments(change: Change) -> tuple[list[Segment], list[Segment]]:
    """What the old and the new column of a side-by-side report show: the old value with its deleted
    words, the new value with its inserted words (empty for the side where the item does not exist)."""
    c = change
    if c.kind is ChangeKind.MOVED:
        return [Segment(Op.DELETE, f"n° {c.old}")], [Segment(Op.INSERT, f"n° {c.new}")]
    both = segments(c)
    if isinstance(c.old, tuple) or isinstance(c.new, tuple) or (
            (c.entity is not Entity.FIELD or c.key.partition(" ")[0] in PROSE_FIELDS)
            and c.old is not None and c.new is not None):
        old = [s for s in both if s.op is not Op.INSERT]
        new = [s for s in both if s.op is not Op.DELETE]
    else:
        old = [Segment(Op.DELETE, value_text(c.old))] if c.old is not None else [Segment(Op.EQUAL, ABSENT)]
        new = [Segment(Op.INSERT, value_text(c.new))] if c.new is not None else [Segment(Op.EQUAL, ABSENT)]
    return ([] if c.kind is ChangeKind.ADDED else old), ([] if c.kind is ChangeKind.REMOVED else new)
