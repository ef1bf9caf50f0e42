"""France Compétences' CSV export (``export-fiches-csv-YYYY-MM-DD.zip``, 10 files): what it has, per fiche.

The zip holds ``export_fiches_CSV_<Part>_YYYY_MM_DD.csv`` members (research/rncp-current.md §B.5):
``Standard`` (one row per fiche) and nine side files keyed by ``Numero_Fiche`` (blocs, CCN, certifiers,
partners, NSF, formacodes, ROME, continuity, access routes).  ``;``-separated, quoted, CRLF, maybe a BOM;
member names may be NFD-encoded (``Blocs_De_Compe\\u0301tences``): they are NFC-normalised before matching.
SIRETs may start with a TAB, labels carry their code prefix (``251 : Mécanique``) and doubled
apostrophes (``d''affaires``).

What the CSV does not have, the fiches do not get: no compétence lists, no modalités, no objectives,
no statistics, no jury compositions.  ``notes`` says so (the run summary shows it).  The side files are
read into dicts keyed by fiche number first (they are small next to the XML), then ``Standard`` is
streamed, one fiche at a time.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

from pipeline.errors import RejectedInput
from pipeline.extract.containers import is_litter_path
from pipeline.extract.export_xml import (
    ROUTES,
    ExportInfo,
    date_from_name,
    no_fiche,
    parse_date,
    series_from_name,
)
from pipeline.normalize.text import strip_accents
from pipeline.records import (
    AccessRoute,
    CertifierDetail,
    CodedText,
    Document,
    History,
    Kind,
    Partner,
    Provenance,
    Registration,
    RncpBlock,
    RncpFiche,
    Source,
    TextItem,
)

NOTE = ("CSV export: no compétence lists, modalités d'évaluation, objectives, statistics or jury compositions "
        "(the XML export has them)")
_ROUTE_LABELS = {  # VoixdAccès values (the page's labels) -> route codes
    "eleve": "FI", "etudiant": "FI", "apprentissage": "CA", "formation continue": "FC",
    "professionnalisation": "CQ", "candidature individuelle": "CL", "experience": "VAE", "vae": "VAE",
}
_CODE_PREFIX_RE = re.compile(r"^\s*([0-9A-Za-z]{2,6})\s*:\s*(.*)$")


def _fold(text: str) -> str:
    return strip_accents(text.casefold())


def _part(name: str) -> str | None:
    """Which of the ten files a member is (``standard``, ``blocs``, ``ccn``, …), from its NFC name."""
    low = _fold(unicodedata.normalize("NFC", name))
    for part in ("standard", "blocs", "ccn", "certificateurs", "partenaires", "nsf", "formacode", "rome",
                 "ancienne", "voix"):
        if part in low:
            return part
    return None


def is_csv_export(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as z:
            return any(n.lower().endswith(".csv") and _part(n) == "standard" and not is_litter_path(n)
                       for n in z.namelist())
    except (zipfile.BadZipFile, OSError):
        return False


def _rows(z: zipfile.ZipFile, info: zipfile.ZipInfo) -> Iterator[dict[str, str]]:
    with z.open(info) as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
        reader = csv.reader(text, delimiter=";", quotechar='"')
        header = [_fold(h.strip()) for h in next(reader, [])]
        for row in reader:
            yield {h: (row[i].strip() if i < len(row) else "") for i, h in enumerate(header)}


def _get(row: dict[str, str], *names: str) -> str:
    for n in names:
        if n in row:
            return row[n]
    for n in names:  # a header spelled a little differently: the first column that contains the name
        for k, v in row.items():
            if n in k:
                return v
    return ""


def _label(text: str) -> tuple[str | None, str]:
    text = text.replace("''", "'")
    m = _CODE_PREFIX_RE.match(text)
    return (m.group(1), m.group(2).strip()) if m else (None, text.strip())


def _yes(value: str) -> bool | None:
    v = _fold(value.strip())
    return True if v in ("oui", "active", "actif") else False if v in ("non", "inactive", "inactif") else None


class CsvExportReader:
    """Iterate the fiches of a CSV export zip (see the module docstring); ``notes`` for the run summary."""

    def __init__(self, path: Path | str, source: Source, *, include_rs: bool = True) -> None:
        self.path, self.source, self.include_rs = Path(path), source, include_rs
        self.info = ExportInfo(member=None, flux_version=None, series=series_from_name(self.path.name),
                               export_date=date_from_name(self.path.name))
        self.notes: list[str] = [NOTE]
        self.skipped_rs = 0
        self.fiches = 0

    def __iter__(self) -> Iterator[Document]:
        where = str(self.path)
        try:
            with zipfile.ZipFile(self.path) as z:
                found: dict[str, list[zipfile.ZipInfo]] = defaultdict(list)
                for info in z.infolist():
                    part = _part(info.filename)
                    if part and info.filename.lower().endswith(".csv") and not is_litter_path(info.filename):
                        found[part].append(info)
                for part, infos in found.items():
                    if len(infos) > 1:  # one would be read and the others lost in silence (two exports zipped)
                        names = ", ".join(unicodedata.normalize("NFC", i.filename) for i in infos)
                        raise RejectedInput(where, f"zip holds {len(infos)} CSV files of the part {part!r} ({names}); "
                                                   "a CSV export holds one of each: ingest each export on its own")
                parts = {part: infos[0] for part, infos in found.items()}
                if "standard" not in parts:
                    raise RejectedInput(where, "CSV export without its Standard file")
                member = unicodedata.normalize("NFC", parts["standard"].filename)
                self.info = ExportInfo(member, None, self.info.series, date_from_name(member) or self.info.export_date)
                side = {p: self._side(z, i) for p, i in parts.items() if p != "standard"}
                for line, row in enumerate(_rows(z, parts["standard"]), start=2):
                    code = "".join(_get(row, "numero_fiche").split()).upper()
                    if not code:  # no key: said, not dropped in silence
                        self.notes.append(f"a fiche without Numero_Fiche at line {line} of {member} was left out")
                        continue
                    if code.startswith("RS") and not self.include_rs:
                        self.skipped_rs += 1
                        continue
                    self.fiches += 1
                    yield Document(source=self.source, kind=Kind.RNCP, rncp=self._fiche(code, row, line, side))
                if not self.fiches and not self.skipped_rs:
                    raise no_fiche(where, self.notes[1:])
        except (zipfile.BadZipFile, EOFError, OSError, UnicodeDecodeError, csv.Error) as exc:
            raise RejectedInput(where, f"truncated or unreadable CSV export: {exc}; the export is rejected whole "
                                       "(nothing of it is loaded)") from exc

    @staticmethod
    def _side(z: zipfile.ZipFile, info: zipfile.ZipInfo) -> dict[str, list[dict[str, str]]]:
        out: dict[str, list[dict[str, str]]] = defaultdict(list)
        for row in _rows(z, info):
            code = "".join(_get(row, "numero_fiche").split()).upper()
            if code:
                out[code].append(row)
        return out

    def _fiche(self, code: str, row: dict[str, str], line: int,
               side: dict[str, dict[str, list[dict[str, str]]]]) -> RncpFiche:
        prov = Provenance(None, line)

        def rows(part: str) -> list[dict[str, str]]:
            return side.get(part, {}).get(code, [])

        def coded(part: str, code_names: tuple[str, ...], label_names: tuple[str, ...]) -> tuple[CodedText, ...]:
            out = []
            for r in rows(part):
                prefix, label = _label(_get(r, *label_names))
                value = _get(r, *code_names).strip() or prefix or ""
                if value or label:
                    out.append(CodedText(value, label, prov))
            return tuple(out)

        certs = [(_get(r, "nom_certificateur"), "".join(_get(r, "siret_certificateur").split()) or None)
                 for r in rows("certificateurs")]
        conventions = []
        for r in rows("ccn"):
            for n in (1, 2, 3):
                number = _get(r, f"ccn_{n}_numero").strip()
                if number:
                    conventions.append(CodedText(number, _get(r, f"ccn_{n}_libelle").replace("''", "'"), prov))
        routes: dict[str, bool] = {}
        for r in rows("voix"):
            value = _fold(" ".join(v for k, v in r.items() if k != "numero_fiche"))
            for label, route in _ROUTE_LABELS.items():
                if label in value:
                    routes[route] = True
        replaces: list[str] = []
        replaced_by: list[str] = []
        for r in rows("ancienne"):
            for k, v in r.items():
                v = "".join(v.split()).upper()
                if v and v != code and re.fullmatch(r"(RNCP|RS)\d+", v):
                    (replaces if "ancien" in k else replaced_by if "nouvel" in k else []).append(v)
        blocks = tuple(
            RncpBlock(number=k, title=_get(r, "bloc_competences_libelle", "libelle", "intitule").replace("''", "'"),
                      capacities=(), prov=prov, code=_get(r, "bloc_competences_code", "code").strip() or None)
            for k, r in enumerate(rows("blocs"), start=1))
        level = re.search(r"(\d)", _get(row, "nomenclature_europe_niveau"))
        return RncpFiche(
            code=code, title=_get(row, "intitule").replace("''", "'") or None,
            certifiers=tuple(TextItem(n, prov) for n, _ in certs), conventions=tuple(conventions),
            nsf=coded("nsf", ("nsf_code", "code"), ("nsf_intitule", "nsf_libelle", "intitule", "libelle")),
            formacodes=coded("formacode", ("formacode_code", "code"), ("formacode_libelle", "libelle", "intitule")),
            activities=(), capacities=(), jobs=(),
            rome=coded("rome", ("codes_rome_code", "rome_code", "code"), ("codes_rome_libelle", "libelle", "intitule")),
            blocks=blocks, validity=None,
            new_caledonia=_yes(_get(row, "accessible_nouvelle_caledonie")),
            french_polynesia=_yes(_get(row, "accessible_polynesie_francaise")),
            registration=Registration(decision=parse_date(_get(row, "date_decision")),
                                      journal_officiel=parse_date(_get(row, "date_dernier_jo")),
                                      effective=parse_date(_get(row, "date_effet")),
                                      end=parse_date(_get(row, "date_fin_enregistrement"))),
            awards_per_year=None, history=History(),
            active=_yes(_get(row, "actif")), state=None, level=int(level.group(1)) if level else None,
            certifier_details=tuple(CertifierDetail(n, s, None, prov) for n, s in certs),
            access_routes=tuple(AccessRoute(r, routes.get(r, False), None, prov) for r in ROUTES) if rows("voix")
            or "voix" in side else (),
            replaces=tuple(dict.fromkeys(replaces)), replaced_by=tuple(dict.fromkeys(replaced_by)),
            partners=tuple(Partner(_get(r, "nom_partenaire"), "".join(_get(r, "siret_partenaire").split()) or None,
                                   _get(r, "habilitation_partenaire") or None, _get(r, "etat_habilitation") or None,
                                   prov) for r in rows("partenaires")),
        )
