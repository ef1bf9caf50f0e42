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

``ExportReader.read(known=...)`` also fingerprints each ``FICHE`` (a hash of its raw bytes, cut from the stream
before the parser sees them, salted by the caller with the digest of the code that turns bytes into a document
and by the file's prolog): a fiche whose fingerprint an earlier import recorded comes out as a ``KnownFiche``
(its document id and code) without being parsed — the parser gets an empty placeholder on as many lines, so
the whole file is still checked well-formed and every line and column it reports is the file's.  Where bytes
cannot be cut safely (a comment, CDATA or processing instruction, as V2 exports have), every byte from there
on is parsed and each fiche fingerprinted as serialised, as before.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import zipfile
import zlib
from collections import deque
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import IO

from lxml import etree

from pipeline.errors import RejectedInput
from pipeline.extract.containers import is_litter_path
from pipeline.normalize.dates import parse_french_date
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
_NAME_DATE_RE = re.compile(r"(\d{4})[-_](\d{2})[-_](\d{2})")
_RUN_RE = re.compile(r" {2,}|\s*[\r\n]+\s*")
_SPACES_RE = re.compile(r" {2,}")
_LEVEL_RE = re.compile(r"(\d)")
_BC_RE = re.compile(r"BC(\d+)$")


@dataclass(frozen=True)
class ExportInfo:
    """What the file says about itself: flow version, fiche series, date (from the member or file name)."""

    member: str | None  # the XML member read inside the zip (None: a bare XML file)
    flux_version: str | None  # VERSION_FLUX ("4.1")
    series: str | None  # "RNCP" | "RS" from the name, when it says
    export_date: date | None


@dataclass(frozen=True)
class ReadFiche:
    """A fiche turned into a document, with the fingerprint of its bytes ("" when not asked for)."""

    fingerprint: str
    document: Document
    start_line: int | None = None  # the line of its <FICHE> tag


@dataclass(frozen=True)
class KnownFiche:
    """A fiche whose bytes an earlier import already turned into the document ``document_id`` (by
    fingerprint): not re-read.  ``line``: where its document would have placed it (its ``reading_order``)."""

    fingerprint: str
    document_id: str
    code: str
    line: int | None


#: fingerprint -> (document id, code, line of its reading order relative to its <FICHE> tag) of the fiches an
#: earlier import read
Known = Mapping[str, tuple[str, str, int | None]]


def fingerprint(fiche: etree._Element, salt: bytes = b"") -> str:
    """A hash of the ``FICHE`` element's serialised bytes (not its place in the file), salted."""
    h = hashlib.sha256(salt)  # sha256 and UTF-8: the fastest of those measured (sha1, md5, blake2b; ASCII)
    h.update(etree.tostring(fiche, encoding="utf-8", with_tail=False))
    return h.hexdigest()[:32]


def first_line(fiche: etree._Element) -> int | None:
    """The line of the fiche's first certifier, else of its first bloc: the ``reading_order`` its document's
    ``document_sources`` row gets (``rncp_export._line``), read without building the record."""
    for wrapper, item, default in (("CERTIFICATEURS", "CERTIFICATEUR", 0),
                                   ("BLOCS_COMPETENCES", "BLOC_COMPETENCES", 1)):
        w = next(fiche.iterchildren(wrapper), None)  # not find(): ElementPath costs ~2 µs a call
        e = None if w is None else next(w.iterchildren(item), None)
        if e is not None:
            return e.sourceline or default
    return None


def is_export(path: Path, head: bytes) -> bool:
    """True when the file is an open-data export: a zip holding an ``export_fiches`` XML or CSV member, or
    an XML whose root is ``FICHES``."""
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as z:
                names = [unicodedata.normalize("NFC", n).lower() for n in z.namelist() if not is_litter_path(n)]
        except (zipfile.BadZipFile, OSError):  # cut short (no central directory): the first member's header
            size = int.from_bytes(head[26:28], "little")
            first = head[30:30 + size].decode("utf-8", "replace").lower()
            return "fiches" in first and first.endswith((".xml", ".csv"))
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
            members = [i for i in z.infolist() if i.filename.lower().endswith(".xml") and not i.is_dir()
                       and not is_litter_path(i.filename)]  # a Mac's __MACOSX/._export_….xml is no member
            if not members:
                raise RejectedInput(str(path), "zip holds no XML member (an open-data export holds one "
                                               "export_fiches_*.xml)")
            if len(members) > 1:  # one would be read and the others lost in silence
                names = ", ".join(unicodedata.normalize("NFC", m.filename) for m in members)
                raise RejectedInput(str(path), f"zip holds {len(members)} XML members ({names}); an open-data export "
                                               "holds one: ingest each XML on its own (unzipped)")
            member = members[0]
            with z.open(member) as stream:
                yield stream, unicodedata.normalize("NFC", member.filename)
    except zipfile.BadZipFile as exc:
        raise RejectedInput(str(path), f"truncated or corrupt zip ({exc}: no central directory, the file was cut "
                                       "short?); the export is rejected whole (nothing of it is loaded)") from exc


def no_fiche(path: str, notes: list[str]) -> RejectedInput:
    """An export that parses to its end but holds no fiche (an empty ``FICHES``, a server's stub): rejected
    whole, since importing it would mark every fiche of the previous export withdrawn."""
    why = f" ({'; '.join(notes)})" if notes else ""
    return RejectedInput(path, f"the export holds no fiche{why}; it is rejected whole (importing it would mark "
                               "every fiche of the previous export withdrawn)")


def parse_date(text: str | None) -> date | None:
    """An export's date ("21/04/2017"), read by the one French date grammar."""
    return parse_french_date(text)


# ---------------------------------------------------------------------------------------------- one fiche


Index = dict[str, list[etree._Element]]  # an element's direct children by tag, in document order


def _ix(e: etree._Element | None) -> Index:
    """The direct children of ``e`` by tag: every lookup below is one dict access (a fiche has ~150)."""
    out: Index = {}
    if e is not None:
        for c in e:
            tag = c.tag
            if tag in out:
                out[tag].append(c)
            else:
                out[tag] = [c]
    return out


def _child(ix: Index, tag: str) -> etree._Element | None:
    found = ix.get(tag)
    return found[0] if found else None


def _text(e: etree._Element | None) -> str | None:
    """An element's text (an empty element: ""), None when absent; whitespace at the ends removed."""
    if e is None:
        return None
    text = (e.text or "").strip()
    return text if text.isascii() else unicodedata.normalize("NFC", text)


def _ctext(ix: Index, tag: str) -> str | None:
    """``_text`` of the first ``tag`` child (inlined: ~90 fields a fiche)."""
    found = ix.get(tag)
    if not found:
        return None
    text = (found[0].text or "").strip()
    return text if text.isascii() else unicodedata.normalize("NFC", text)


def _items(ix: Index, wrapper: str, item: str) -> list[etree._Element]:
    """The ``item`` children of the ``wrapper`` child (CODES_NSF/NSF): repeats are always a list."""
    w = _child(ix, wrapper)
    return [] if w is None else [c for c in w if c.tag == item]


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


@lru_cache(maxsize=4096)  # jury compositions repeat across a fiche's routes and across fiches
def _prose(value: str | None) -> str | None:
    """Plain text whose paragraphs the export separates by runs of spaces: one paragraph a line."""
    if value is None:
        return None
    return "\n".join(_paragraphs(value)) or None


def _paragraphs(value: str) -> list[str]:
    """The paragraphs of an export text: separated by runs of spaces (V4.1) or line breaks (older flows)."""
    if "\n" in value or "\r" in value:
        return [p for p in (" ".join(x.split()) for x in _RUN_RE.split(value)) if p]
    text = value.strip()
    if text.isprintable():  # no whitespace but the space: the parts of its runs are already single-spaced
        return _SPACES_RE.split(text) if text else []
    return [p for p in (" ".join(x.split()) for x in _SPACES_RE.split(value)) if p]


def _label(ix: Index) -> str:
    """LIBELLE (V3, V4.1) or INTITULE (V2) of a coded element."""
    value = _ctext(ix, "LIBELLE")
    if value is None:
        value = _ctext(ix, "INTITULE")
    return " ".join((value or "").split())


def _coded(fx: Index, wrapper: str, item: str) -> tuple[CodedText, ...]:
    out = []
    for k, e in enumerate(_items(fx, wrapper, item)):
        x = _ix(e)
        out.append(CodedText(code=_ctext(x, "CODE") or "", text=_label(x), prov=Provenance(None, e.sourceline or k)))
    return tuple(out)


def _conventions(fx: Index) -> tuple[CodedText, ...]:
    out = []
    for n in (1, 2, 3):
        e = _child(fx, f"CCN_{n}")
        if e is not None:
            x = _ix(e)
            if code := _ctext(x, "NUMERO") or _ctext(x, "CODE"):
                out.append(CodedText(code=code, text=_label(x), prov=Provenance(None, e.sourceline or n)))
    return tuple(out)


def _certifiers(fx: Index) -> tuple[tuple[TextItem, ...], tuple[CertifierDetail, ...]]:
    items, details = [], []
    for k, e in enumerate(_items(fx, "CERTIFICATEURS", "CERTIFICATEUR")):
        x = _ix(e)
        name = " ".join((_ctext(x, "NOM_CERTIFICATEUR") or "").split())
        siret = "".join((_ctext(x, "SIRET_CERTIFICATEUR") or "").split()) or None
        prov = Provenance(None, e.sourceline or k)
        items.append(TextItem(name, prov))
        details.append(CertifierDetail(name=name, siret=siret, active=_yes(_ctext(x, "ETAT_CERTIFICATEUR")), prov=prov))
    return tuple(items), tuple(details)


def _partners(fx: Index) -> tuple[Partner, ...]:
    out = []
    for k, e in enumerate(_items(fx, "PARTENAIRES", "PARTENAIRE")):
        x = _ix(e)
        out.append(Partner(name=" ".join((_ctext(x, "NOM_PARTENAIRE") or "").split()),
                           siret="".join((_ctext(x, "SIRET_PARTENAIRE") or "").split()) or None,
                           habilitation=_ctext(x, "HABILITATION_PARTENAIRE"), state=_ctext(x, "ETAT_HABILITATION"),
                           prov=Provenance(None, e.sourceline or k)))
    return tuple(out)


def _routes(fx: Index) -> tuple[AccessRoute, ...]:
    out = []
    for route in ROUTES:
        e = _child(fx, f"SI_JURY_{route}")
        if e is None:
            continue
        if len(e):  # V3 / V4.1: a node {ACTIF, COMPOSITION?, DATE_DERNIERE_MODIFICATION?}
            x = _ix(e)
            is_open, jury = _yes(_ctext(x, "ACTIF")), _ctext(x, "COMPOSITION")
        else:  # V2: SI_JURY_CA = Oui, the composition in JURY_CA
            is_open, jury = _yes(_text(e)), _ctext(fx, f"JURY_{route}")
        out.append(AccessRoute(route=route, open=is_open, jury=_prose(jury), prov=Provenance(None, e.sourceline or 0)))
    return tuple(out)


def _statistics(fx: Index) -> tuple[Statistic, ...]:
    out = []
    for e in _items(fx, "STATISTIQUES_PROMOTIONS", "STATISTIQUES_PROMOTION"):
        x = _ix(e)
        year = _int(_ctext(x, "ANNEE"))
        if year is None:
            continue
        out.append(Statistic(year=year, certified=_int(_ctext(x, "NOMBRE_CERTIFIES")),
                             certified_vae=_int(_ctext(x, "NOMBRE_CERTIFIES_VAE")),
                             employment_6m=_int(_ctext(x, "TAUX_INSERTION_GLOBAL_6MOIS")),
                             job_2y=_int(_ctext(x, "TAUX_INSERTION_METIER_2ANS")),
                             prov=Provenance(None, e.sourceline or 0)))
    return tuple(out)


def _continuity(fx: Index, side: str) -> tuple[str, ...]:
    """ANCIENNES_CERTIFICATIONS / NOUVELLES_CERTIFICATIONS (V4.1), or the bare V2/V3 elements."""
    wrapper, item, ident = f"{side}S_CERTIFICATIONS", f"{side}_CERTIFICATION", f"ID_FICHE_{side}_CERTIFICATION"
    out: list[str] = []
    for e in _items(fx, wrapper, item) + fx.get(item, []):
        value = _ctext(_ix(e), ident) if len(e) else _text(e)
        value = "".join((value or "").split()).upper()
        if value and value not in out:
            out.append(value)
    return tuple(out)


def _blocks(fx: Index, code: str) -> tuple[RncpBlock, ...]:
    out = []
    for k, e in enumerate(_items(fx, "BLOCS_COMPETENCES", "BLOC_COMPETENCES"), start=1):
        x = _ix(e)
        bcode = "".join((_ctext(x, "CODE") or "").split()) or None
        m = _BC_RE.search(bcode or "")
        number = int(m.group(1)) if m and bcode and bcode.upper().startswith(code) else k
        out.append(RncpBlock(
            number=number, title=_label(x), capacities=(), prov=Provenance(None, e.sourceline or k), code=bcode,
            assessment=_prose(_ctext(x, "MODALITES_EVALUATION")), competences_raw=_ctext(x, "LISTE_COMPETENCES")))
    return tuple(out)


def _level(fx: Index) -> int | None:
    e = _child(fx, "NOMENCLATURE_EUROPE")
    if e is None:
        return None
    m = _LEVEL_RE.search(_ctext(_ix(e), "NIVEAU") or "")
    return int(m.group(1)) if m else None


def _jobs(value: str | None, line: int) -> tuple[TextItem, ...]:
    if not value:
        return ()
    parts = _paragraphs(value)
    if len(parts) == 1 and " - " in parts[0]:
        parts = [p.strip() for p in parts[0].split(" - ") if p.strip()]
    return tuple(TextItem(p, Provenance(None, line)) for p in parts)


def fiche_record(fiche: etree._Element) -> RncpFiche:
    """One ``FICHE`` element as a fiche record (direct children only)."""
    fx = _ix(fiche)
    code = "".join((_ctext(fx, "NUMERO_FICHE") or "").split()).upper()
    certifiers, details = _certifiers(fx)
    line = fiche.sourceline or 0
    return RncpFiche(
        code=code,
        title=" ".join((_ctext(fx, "INTITULE") or "").split()) or None,
        certifiers=certifiers,
        conventions=_conventions(fx),
        nsf=_coded(fx, "CODES_NSF", "NSF"),
        formacodes=_coded(fx, "FORMACODES", "FORMACODE"),
        activities=(),
        capacities=(),
        jobs=_jobs(_ctext(fx, "TYPE_EMPLOI_ACCESSIBLES"), line),
        rome=_coded(fx, "CODES_ROME", "ROME"),
        blocks=_blocks(fx, code),
        validity=_ctext(fx, "DUREE_VALIDITE") or None,
        new_caledonia=_yes(_ctext(fx, "ACCESSIBLE_NOUVELLE_CALEDONIE")),
        french_polynesia=_yes(_ctext(fx, "ACCESSIBLE_POLYNESIE_FRANCAISE")),
        registration=Registration(
            decision=parse_date(_ctext(fx, "DATE_DECISION")),
            journal_officiel=parse_date(_ctext(fx, "DATE_DERNIER_JO")),
            effective=parse_date(_ctext(fx, "DATE_EFFET")),
            end=parse_date(_ctext(fx, "DATE_FIN_ENREGISTREMENT")),
            start_of_pathways=parse_date(_ctext(fx, "DATE_DEBUT_PARCOURS_CERTIFIANTS")
                                         or _ctext(fx, "DATE_DEBUT_PARCOURS_CERTIFIANT")),
        ),
        awards_per_year=None,
        history=History(),
        active=_yes(_ctext(fx, "ACTIF")),
        state=_ctext(fx, "ETAT_FICHE") or None,
        level=_level(fx),
        certifier_details=details,
        objectives=_prose(_ctext(fx, "OBJECTIFS_CONTEXTE")),
        access_routes=_routes(fx),
        statistics=_statistics(fx),
        replaces=_continuity(fx, "ANCIENNE"),
        replaced_by=_continuity(fx, "NOUVELLE"),
        partners=_partners(fx),
        activities_raw=_ctext(fx, "ACTIVITES_VISEES"),
        capacities_raw=_ctext(fx, "CAPACITES_ATTESTEES"),
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
        self.notes: list[str] = []  # fiches left out, for the run summary and ``rncp_exports.notes``

    def __iter__(self) -> Iterator[Document]:
        for item in self.read():
            if isinstance(item, ReadFiche):
                yield item.document

    def read(self, known: Known | None = None, salt: bytes = b"") -> Iterator[ReadFiche | KnownFiche]:
        """The fiches, each as a ``ReadFiche``; with ``known``, each fiche is fingerprinted (``salt`` first) and
        one whose fingerprint ``known`` holds is a ``KnownFiche`` instead (not turned into a record)."""
        where = str(self.path)
        with open_xml(self.path) as (stream, member):
            if member:
                self.info = ExportInfo(member=member, flux_version=None,
                                       series=series_from_name(member) or self.info.series,
                                       export_date=date_from_name(member) or self.info.export_date)
            try:
                yield from self._fiches(stream, known, salt)
            except etree.XMLSyntaxError as exc:
                line, column = exc.position if exc.position else (exc.lineno, 0)
                inside = f" of {member}" if member else ""  # the line is the member's, not the zip's
                raise RejectedInput(where, f"malformed XML at line {line}, column {column}{inside}: {exc.msg}; "
                                           "the export is rejected whole (nothing of it is loaded)") from exc
            except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
                raise RejectedInput(where, f"truncated or corrupt zip member {member}: {exc}; the export is "
                                           "rejected whole (nothing of it is loaded)") from exc

    def _fiches(self, stream: IO[bytes], known: Known | None, salt: bytes) -> Iterator[ReadFiche | KnownFiche]:
        """Every byte goes through one pull parser (so the whole file is checked well-formed, with lines and
        columns as in the file), but a ``FICHE`` whose raw bytes are known is fed as an empty placeholder of
        the same lines: neither parsed nor serialised again (see ``_pieces``)."""
        parser = etree.XMLPullParser(events=("start", "end"), tag=("FICHES", "FICHE", "VERSION_FLUX"),
                                     huge_tree=True, resolve_entities=False, no_network=True)
        fed: deque[tuple[str, int, tuple[str, str, int | None] | None]] = deque()  # the fiches fed whole
        state = _RawState(salt)
        for data, whole in _pieces(stream):
            if whole and state.raw and _plain(data) and _FICHE_TAG.search(data, 1) is None:
                fp = state.fingerprint(data) if known is not None else ""
                hit = known.get(fp) if known is not None else None
                fed.append((fp, state.line, hit))
                parser.feed(_placeholder(data) if hit is not None else data)
            else:
                state.skeleton(data, whole)
                parser.feed(data)
            state.line += data.count(b"\n")
            yield from self._events(parser, fed, known, salt, state)
        parser.close()
        yield from self._events(parser, fed, known, salt, state)
        if not state.root_seen:
            raise RejectedInput(str(self.path), "not an open-data export: no <FICHES> root element")
        if not self.fiches and not self.skipped_rs:
            raise no_fiche(str(self.path), self.notes)

    def _events(self, parser: etree.XMLPullParser, fed: deque[tuple[str, int, tuple[str, str, int | None] | None]],
                known: Known | None, salt: bytes, state: _RawState) -> Iterator[ReadFiche | KnownFiche]:
        for event, e in parser.read_events():
            if event == "start":
                state.root_seen = state.root_seen or (e.tag == "FICHES" and e.getparent() is None)
                continue
            parent = e.getparent()
            if parent is None or parent.getparent() is not None:
                continue  # only the children of the root
            if e.tag == "VERSION_FLUX":
                self.info = ExportInfo(self.info.member, _text(e), self.info.series, self.info.export_date)
            elif e.tag == "FICHE" and fed:
                fp, start, hit = fed.popleft()
                if hit is not None:
                    yield from self._known(fp, hit, None if hit[2] is None else start + hit[2])
                else:
                    yield from self._read_fiche(e, fp)
            elif e.tag == "FICHE":
                yield from self._fiche(e, known, salt)
            e.clear()
            while e.getprevious() is not None:
                del parent[0]

    def _known(self, fp: str, hit: tuple[str, str, int | None], line: int | None) -> Iterator[KnownFiche]:
        if hit[1].startswith("RS") and not self.include_rs:
            self.skipped_rs += 1
        else:
            self.fiches += 1
            yield KnownFiche(fp, hit[0], hit[1], line)

    def _read_fiche(self, e: etree._Element, fp: str) -> Iterator[ReadFiche]:
        fiche = fiche_record(e)
        if fiche.code.startswith("RS") and not self.include_rs:
            self.skipped_rs += 1
        elif fiche.code:
            self.fiches += 1
            yield ReadFiche(fp, Document(source=self.source, kind=Kind.RNCP, rncp=fiche), e.sourceline)
        else:  # no number, no key: it cannot be a version of anything; said, not dropped in silence
            ident = _ctext(_ix(e), "ID_FICHE")
            self.notes.append(f"a fiche without NUMERO_FICHE at line {e.sourceline}"
                              f"{f' (ID_FICHE {ident})' if ident else ''} was left out")

    def _fiche(self, e: etree._Element, known: Known | None, salt: bytes) -> Iterator[ReadFiche | KnownFiche]:
        """A fiche that could not be cut from the bytes safely (see ``_plain``): fingerprinted as serialised."""
        fp = ""
        if known is not None:
            fp = fingerprint(e, salt)
            hit = known.get(fp)
            if hit is not None:
                yield from self._known(fp, hit, first_line(e))
                return
        yield from self._read_fiche(e, fp)


# ---------------------------------------------------------------------------------------------- raw fiches

_FICHE_OPEN = re.compile(rb"<FICHE[\s>]")
_FICHE_CLOSE = b"</FICHE>"
#: another FICHE tag inside a cut (an end tag written ``</FICHE >`` was missed): not one fiche, read as it is
_FICHE_TAG = re.compile(rb"<FICHE[\s>/]")
_CHUNK = 1 << 20


def _pieces(stream: IO[bytes]) -> Iterator[tuple[bytes, bool]]:
    """The stream's bytes in order, as ``(bytes, whole)``: ``whole`` for the bytes from a ``<FICHE>`` tag to the
    first ``</FICHE>`` after it, the rest (prolog, ``VERSION_FLUX``, blanks, the end) as it comes.  A cut is
    only trusted for bytes ``_plain`` passes: outside comments, CDATA and processing instructions, ``</FICHE>``
    can only be the end tag (``<`` is escaped in text and attributes)."""
    buf = b""
    eof = False
    while True:
        if not eof:
            chunk = stream.read(_CHUNK)
            eof = not chunk
            buf += chunk
        pos = 0
        while (m := _FICHE_OPEN.search(buf, pos)) is not None:
            end = buf.find(_FICHE_CLOSE, m.end())
            if end < 0:
                break
            if m.start() > pos:
                yield buf[pos:m.start()], False
            stop = end + len(_FICHE_CLOSE)
            yield buf[m.start():stop], True
            pos = stop
        if eof:
            if pos < len(buf):
                yield buf[pos:], False
            return
        m = _FICHE_OPEN.search(buf, pos)
        keep = m.start() if m else max(pos, len(buf) - len(b"<FICHE "))  # a tag the chunk cut in two
        if keep > pos:
            yield buf[pos:keep], False
        buf = buf[keep:]


def _plain(data: bytes) -> bool:
    """No comment, CDATA, DOCTYPE or processing instruction inside: where a ``</FICHE>`` could hide.  The rare
    ``!`` and ``?`` are looked for first: a search for ``<!`` stops at every ``<`` of the fiche (~20× slower)."""
    return not ((b"!" in data and b"<!" in data) or (b"?" in data and b"<?" in data))


def _placeholder(data: bytes) -> bytes:
    """An empty ``FICHE`` on as many lines as ``data``, its last line as long: later lines and columns stay
    those of the file (whitespace between the root's children is insignificant)."""
    lines = data.count(b"\n")
    if lines == 0:
        return b"<FICHE/>" + b" " * max(0, len(data) - 8)
    last = len(data) - data.rfind(b"\n") - 1
    return b"<FICHE/>" + b"\n" * lines + b" " * last


class _RawState:
    """Where the cut is (line), whether raw fiches are trusted yet, and the salt of their fingerprints: the
    caller's salt and the file's prolog (its encoding, DOCTYPE and root change what the same bytes mean)."""

    def __init__(self, salt: bytes) -> None:
        self.line = 1
        self.raw = True
        self.root_seen = False
        self._prolog: list[bytes] | None = [salt]
        self._salted: hashlib._Hash | None = None

    def skeleton(self, data: bytes, whole: bool) -> None:
        """Bytes fed as they are: the prolog (kept until the first fiche), blanks between fiches, or a fiche that
        is not plain, which ends raw mode for the rest of the file, as would anything unusual between fiches."""
        rest = data
        if self._prolog is not None:
            self._prolog.append(data)
            if self.line == 1 and data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<?xml"):
                rest = data[data.find(b"?>") + 2:]
        if whole or not _plain(rest):
            self.raw = False

    def fingerprint(self, data: bytes) -> str:
        if self._salted is None:
            self._salted = hashlib.sha256(b"raw\0" + b"".join(self._prolog or ()))
            self._prolog = None
        h = self._salted.copy()
        h.update(data)
        return h.hexdigest()[:32]
