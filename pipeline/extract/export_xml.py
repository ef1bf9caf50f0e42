"""France Compétences' open-data export (XML flows V4.1, V3, V2): one ``Document`` per fiche, streamed.

The export is one file (``export-fiches-rncp-v4-1-2026-11-30.zip`` holding one
``export_fiches_RNCP_V4_1_2026-11-30.xml``, or the bare XML) with ~30,000 fiches (~470 MB).  It is read
from inside the zip (``zipfile.open``: inflated as it is read, never extracted to disk) by
``lxml.etree.iterparse``; each ``FICHE`` is turned into a record as soon as it ends, then cleared with
the siblings before it, so memory holds one fiche at a time.

Reading is path-aware (research/rncp-current.md §C): only direct children are read, so the fiche's
``ACTIF`` is never the ``ACTIF`` of a ``SI_JURY_*``, and the ``BLOC_COMPETENCES`` inside a
``CORRESPONDANCE`` is never taken for a bloc.  An absent element is ``None`` / ``()``, an empty one an
empty string; repeated elements are always tuples; dates ``dd/MM/yyyy`` become ``date``.  Older flows'
spellings are read too: ``INTITULE`` for ``LIBELLE`` under NSF/FORMACODE/ROME/NOMENCLATURE_EUROPE (V2),
``SI_JURY_CA`` as text with a separate ``JURY_CA`` composition (V2), ``ANCIENNE_CERTIFICATION`` /
``NOUVELLE_CERTIFICATION`` as text without their ``ID_FICHE_*`` child (V2/V3).

Lists (LISTE_COMPETENCES, ACTIVITES_VISEES, CAPACITES_ATTESTEES) are kept as the source wrote them
(``*_raw``): ``pipeline.normalize.competences`` splits them.  A file that does not parse to its end
(truncated zip, malformed XML) raises ``RejectedInput`` with the line and column: the caller must
publish nothing of it, or its missing fiches would look withdrawn.
"""

from __future__ import annotations

import re
import unicodedata
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO

from lxml import etree

from pipeline.errors import RejectedInput
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
    Statistic,
    TextItem,
)

ROUTES = ("FI", "CA", "FC", "CQ", "CL", "VAE")  # the six voies d'accès, in the page's order
_DATE_RE = re.compile(r"\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*$")
_NAME_DATE_RE = re.compile(r"(\d{4})[-_](\d{2})[-_](\d{2})")
_RUN_RE = re.compile(r" {2,}|\s*[\r\n]+\s*")
_LEVEL_RE = re.compile(r"(\d)")


@dataclass(frozen=True)
class ExportInfo:
    """What the file says about itself: flow version, fiche series, date (from the member or file name)."""

    member: str | None  # the XML member read inside the zip (None: a bare XML file)
    flux_version: str | None  # VERSION_FLUX ("4.1")
    series: str | None  # "RNCP" | "RS" from the name, when it says
    export_date: date | None


def is_export(path: Path, head: bytes) -> bool:
    """True when the file is an open-data export: a zip holding an ``export_fiches`` XML or CSV member, or
    an XML whose root is ``FICHES``."""
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as z:
                names = [unicodedata.normalize("NFC", n).lower() for n in z.namelist()]
        except (zipfile.BadZipFile, OSError):
            return path.name.lower().startswith("export-fiches") or path.name.lower().startswith("export_fiches")
        return any(n.endswith((".xml", ".csv")) and "fiches" in n for n in names)
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if text.startswith(b"<?xml"):
        text = text[text.find(b"?>") + 2:].lstrip() if b"?>" in text else text
    while text.startswith(b"<!--"):
        text = text[text.find(b"-->") + 3:].lstrip() if b"-->" in text else b""
    return text.startswith(b"<FICHES")


def date_from_name(name: str) -> date | None:
    m = _NAME_DATE_RE.search(name)
    if not m:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def series_from_name(name: str) -> str | None:
    low = name.lower()
    if "fiches-rs" in low or "fiches_rs" in low:
        return "RS"
    if "rncp" in low:
        return "RNCP"
    return None


@contextmanager
def open_xml(path: Path) -> Iterator[tuple[IO[bytes], str | None]]:
    """The export's XML as a binary stream (inflated from the zip as it is read) and its member name."""
    try:
        with open(path, "rb") as f:
            zipped = f.read(4) == b"PK\x03\x04"
        if not zipped:
            with open(path, "rb") as f:
                yield f, None
            return
        with zipfile.ZipFile(path) as z:
            members = [i for i in z.infolist() if i.filename.lower().endswith(".xml") and not i.is_dir()]
            if not members:
                raise RejectedInput(str(path), "zip holds no XML member (an open-data export holds one "
                                               "export_fiches_*.xml)")
            member = members[0]
            with z.open(member) as stream:
                yield stream, unicodedata.normalize("NFC", member.filename)
    except zipfile.BadZipFile as exc:
        raise RejectedInput(str(path), f"truncated or corrupt zip: {exc}") from exc


def parse_date(text: str | None) -> date | None:
    if text is None:
        return None
    m = _DATE_RE.match(text)
    if not m:
        return None
    try:
        return date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
    except ValueError:
        return None


# ---------------------------------------------------------------------------------------------- one fiche


def _child(e: etree._Element, tag: str) -> etree._Element | None:
    for c in e:
        if c.tag == tag:
            return c
    return None


def _text(e: etree._Element | None) -> str | None:
    """An element's text (an empty element: ""), None when absent; whitespace at the ends removed."""
    if e is None:
        return None
    return unicodedata.normalize("NFC", (e.text or "").strip())


def _ctext(e: etree._Element, tag: str) -> str | None:
    return _text(_child(e, tag))


def _children(e: etree._Element | None, tag: str) -> list[etree._Element]:
    return [] if e is None else [c for c in e if c.tag == tag]


def _yes(value: str | None) -> bool | None:
    if value is None:
        return None
    v = value.strip().casefold()
    if v in ("oui", "actif", "active", "true", "1", "o"):
        return True
    if v in ("non", "inactif", "inactive", "false", "0", "n"):
        return False
    return None


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    v = value.strip().replace(" ", "").replace(",", ".")
    try:
        return int(float(v)) if v else None
    except ValueError:
        return None


def _prose(value: str | None) -> str | None:
    """Plain text whose paragraphs the export separates by runs of spaces: one paragraph a line."""
    if value is None:
        return None
    parts = [" ".join(p.split()) for p in _RUN_RE.split(value)]
    return "\n".join(p for p in parts if p) or None


def _label(e: etree._Element) -> str:
    """LIBELLE (V3, V4.1) or INTITULE (V2) of a coded element."""
    value = _ctext(e, "LIBELLE")
    if value is None:
        value = _ctext(e, "INTITULE")
    return " ".join((value or "").split())


def _coded(fiche: etree._Element, wrapper: str, item: str, code_tag: str = "CODE") -> tuple[CodedText, ...]:
    out = []
    for k, e in enumerate(_children(_child(fiche, wrapper), item)):
        code = _ctext(e, code_tag) or ""
        out.append(CodedText(code=code, text=_label(e), prov=Provenance(None, e.sourceline or k)))
    return tuple(out)


def _conventions(fiche: etree._Element) -> tuple[CodedText, ...]:
    out = []
    for n in (1, 2, 3):
        e = _child(fiche, f"CCN_{n}")
        if e is not None and (code := _ctext(e, "NUMERO") or _ctext(e, "CODE")):
            out.append(CodedText(code=code, text=_label(e), prov=Provenance(None, e.sourceline or n)))
    return tuple(out)


def _certifiers(fiche: etree._Element) -> tuple[tuple[TextItem, ...], tuple[CertifierDetail, ...]]:
    items, details = [], []
    for k, e in enumerate(_children(_child(fiche, "CERTIFICATEURS"), "CERTIFICATEUR")):
        name = " ".join((_ctext(e, "NOM_CERTIFICATEUR") or "").split())
        siret = "".join((_ctext(e, "SIRET_CERTIFICATEUR") or "").split()) or None
        items.append(TextItem(name, Provenance(None, e.sourceline or k)))
        details.append(CertifierDetail(name=name, siret=siret, active=_yes(_ctext(e, "ETAT_CERTIFICATEUR")),
                                       prov=Provenance(None, e.sourceline or k)))
    return tuple(items), tuple(details)


def _partners(fiche: etree._Element) -> tuple[Partner, ...]:
    return tuple(
        Partner(name=" ".join((_ctext(e, "NOM_PARTENAIRE") or "").split()),
                siret="".join((_ctext(e, "SIRET_PARTENAIRE") or "").split()) or None,
                habilitation=_ctext(e, "HABILITATION_PARTENAIRE"), state=_ctext(e, "ETAT_HABILITATION"),
                prov=Provenance(None, e.sourceline or k))
        for k, e in enumerate(_children(_child(fiche, "PARTENAIRES"), "PARTENAIRE")))


def _routes(fiche: etree._Element) -> tuple[AccessRoute, ...]:
    out = []
    for route in ROUTES:
        e = _child(fiche, f"SI_JURY_{route}")
        if e is None:
            continue
        if len(e):  # V3 / V4.1: a node {ACTIF, COMPOSITION?, DATE_DERNIERE_MODIFICATION?}
            is_open, jury = _yes(_ctext(e, "ACTIF")), _ctext(e, "COMPOSITION")
        else:  # V2: SI_JURY_CA = Oui, the composition in JURY_CA
            is_open, jury = _yes(_text(e)), _ctext(fiche, f"JURY_{route}")
        out.append(AccessRoute(route=route, open=is_open, jury=_prose(jury), prov=Provenance(None, e.sourceline or 0)))
    return tuple(out)


def _statistics(fiche: etree._Element) -> tuple[Statistic, ...]:
    out = []
    for e in _children(_child(fiche, "STATISTIQUES_PROMOTIONS"), "STATISTIQUES_PROMOTION"):
        year = _int(_ctext(e, "ANNEE"))
        if year is None:
            continue
        out.append(Statistic(year=year, certified=_int(_ctext(e, "NOMBRE_CERTIFIES")),
                             certified_vae=_int(_ctext(e, "NOMBRE_CERTIFIES_VAE")),
                             employment_6m=_int(_ctext(e, "TAUX_INSERTION_GLOBAL_6MOIS")),
                             job_2y=_int(_ctext(e, "TAUX_INSERTION_METIER_2ANS")),
                             prov=Provenance(None, e.sourceline or 0)))
    return tuple(out)


def _continuity(fiche: etree._Element, side: str) -> tuple[str, ...]:
    """ANCIENNES_CERTIFICATIONS / NOUVELLES_CERTIFICATIONS (V4.1), or the bare V2/V3 elements."""
    wrapper, item, ident = f"{side}S_CERTIFICATIONS", f"{side}_CERTIFICATION", f"ID_FICHE_{side}_CERTIFICATION"
    elements = _children(_child(fiche, wrapper), item) + _children(fiche, item)
    out: list[str] = []
    for e in elements:
        value = _ctext(e, ident) if len(e) else _text(e)
        value = "".join((value or "").split()).upper()
        if value and value not in out:
            out.append(value)
    return tuple(out)


def _blocks(fiche: etree._Element, code: str) -> tuple[RncpBlock, ...]:
    out = []
    for k, e in enumerate(_children(_child(fiche, "BLOCS_COMPETENCES"), "BLOC_COMPETENCES"), start=1):
        bcode = "".join((_ctext(e, "CODE") or "").split()) or None
        m = re.search(r"BC(\d+)$", bcode or "")
        number = int(m.group(1)) if m and bcode and bcode.upper().startswith(code.upper()) else k
        out.append(RncpBlock(
            number=number, title=" ".join((_label(e)).split()), capacities=(),
            prov=Provenance(None, e.sourceline or k), code=bcode,
            assessment=_prose(_ctext(e, "MODALITES_EVALUATION")),
            competences_raw=_ctext(e, "LISTE_COMPETENCES")))
    return tuple(out)


def _level(fiche: etree._Element) -> int | None:
    e = _child(fiche, "NOMENCLATURE_EUROPE")
    if e is None:
        return None
    m = _LEVEL_RE.search(_ctext(e, "NIVEAU") or "")
    return int(m.group(1)) if m else None


def _jobs(value: str | None, line: int) -> tuple[TextItem, ...]:
    if not value:
        return ()
    parts = [p for p in (" ".join(x.split()) for x in _RUN_RE.split(value)) if p]
    if len(parts) == 1 and " - " in parts[0]:
        parts = [p.strip() for p in parts[0].split(" - ") if p.strip()]
    return tuple(TextItem(p, Provenance(None, line)) for p in parts)


def fiche_record(fiche: etree._Element) -> RncpFiche:
    """One ``FICHE`` element as a fiche record (direct children only)."""
    code = "".join((_ctext(fiche, "NUMERO_FICHE") or "").split()).upper()
    certifiers, details = _certifiers(fiche)
    line = fiche.sourceline or 0
    return RncpFiche(
        code=code,
        title=" ".join((_ctext(fiche, "INTITULE") or "").split()) or None,
        certifiers=certifiers,
        conventions=_conventions(fiche),
        nsf=_coded(fiche, "CODES_NSF", "NSF"),
        formacodes=_coded(fiche, "FORMACODES", "FORMACODE"),
        activities=(),
        capacities=(),
        jobs=_jobs(_ctext(fiche, "TYPE_EMPLOI_ACCESSIBLES"), line),
        rome=_coded(fiche, "CODES_ROME", "ROME"),
        blocks=_blocks(fiche, code),
        validity=_ctext(fiche, "DUREE_VALIDITE") or None,
        new_caledonia=_yes(_ctext(fiche, "ACCESSIBLE_NOUVELLE_CALEDONIE")),
        french_polynesia=_yes(_ctext(fiche, "ACCESSIBLE_POLYNESIE_FRANCAISE")),
        registration=Registration(
            decision=parse_date(_ctext(fiche, "DATE_DECISION")),
            journal_officiel=parse_date(_ctext(fiche, "DATE_DERNIER_JO")),
            effective=parse_date(_ctext(fiche, "DATE_EFFET")),
            end=parse_date(_ctext(fiche, "DATE_FIN_ENREGISTREMENT")),
            start_of_pathways=parse_date(_ctext(fiche, "DATE_DEBUT_PARCOURS_CERTIFIANTS")
                                         or _ctext(fiche, "DATE_DEBUT_PARCOURS_CERTIFIANT")),
        ),
        awards_per_year=None,
        history=History(),
        active=_yes(_ctext(fiche, "ACTIF")),
        state=_ctext(fiche, "ETAT_FICHE") or None,
        level=_level(fiche),
        certifier_details=details,
        objectives=_prose(_ctext(fiche, "OBJECTIFS_CONTEXTE")),
        access_routes=_routes(fiche),
        statistics=_statistics(fiche),
        replaces=_continuity(fiche, "ANCIENNE"),
        replaced_by=_continuity(fiche, "NOUVELLE"),
        partners=_partners(fiche),
        activities_raw=_ctext(fiche, "ACTIVITES_VISEES"),
        capacities_raw=_ctext(fiche, "CAPACITES_ATTESTEES"),
    )


# ---------------------------------------------------------------------------------------------- the file


class ExportReader:
    """Iterate the fiches of one export: ``for doc in ExportReader(path, source): ...``; ``info`` is filled
    once the flow version is read; ``skipped_rs`` counts the RS fiches left out (``include_rs=False``)."""

    def __init__(self, path: Path | str, source: Source, *, include_rs: bool = True) -> None:
        self.path, self.source, self.include_rs = Path(path), source, include_rs
        self.info = ExportInfo(member=None, flux_version=None, series=series_from_name(self.path.name),
                               export_date=date_from_name(self.path.name))
        self.skipped_rs = 0
        self.fiches = 0

    def __iter__(self) -> Iterator[Document]:
        where = str(self.path)
        with open_xml(self.path) as (stream, member):
            if member:
                self.info = ExportInfo(member=member, flux_version=None,
                                       series=series_from_name(member) or self.info.series,
                                       export_date=date_from_name(member) or self.info.export_date)
            try:
                yield from self._fiches(stream)
            except etree.XMLSyntaxError as exc:
                line, column = exc.position if exc.position else (exc.lineno, 0)
                raise RejectedInput(where, f"malformed XML at line {line}, column {column}: {exc.msg}; "
                                           "the export is rejected whole (nothing of it is loaded)") from exc
            except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
                raise RejectedInput(where, f"truncated or corrupt zip member {member}: {exc}; the export is "
                                           "rejected whole (nothing of it is loaded)") from exc

    def _fiches(self, stream: IO[bytes]) -> Iterator[Document]:
        root_seen = False
        for event, e in etree.iterparse(stream, events=("start", "end"), tag=("FICHES", "FICHE", "VERSION_FLUX"),
                                        huge_tree=True, resolve_entities=False, no_network=True):
            if event == "start":
                root_seen = root_seen or (e.tag == "FICHES" and e.getparent() is None)
                continue
            parent = e.getparent()
            if parent is None or parent.getparent() is not None:
                continue  # only the children of the root
            if e.tag == "VERSION_FLUX":
                self.info = ExportInfo(self.info.member, _text(e), self.info.series, self.info.export_date)
            elif e.tag == "FICHE":
                fiche = fiche_record(e)
                if fiche.code.startswith("RS") and not self.include_rs:
                    self.skipped_rs += 1
                elif fiche.code:
                    self.fiches += 1
                    yield Document(source=self.source, kind=Kind.RNCP, rncp=fiche)
            e.clear()
            while e.getprevious() is not None:
                del parent[0]
        if not root_seen:
            raise RejectedInput(str(self.path), "not an open-data export: no <FICHES> root element")
