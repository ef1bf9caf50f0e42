"""The current France Compétences fiche page (2019–): Layout -> Document.

One reader for every way the page reaches refpipe: the saved HTML (``extract.html``), its text copies
(the "icons" copy with "Icon de …" alt texts and a repeated value block, markdown pipe tables with or
without a leading pipe, the older "N° de fiche" layout with inline ``Label : value`` lines and the
``Date d'échance`` typo) and a browser-printed PDF.  They differ in how the page's labels and values
are laid out, not in the labels themselves, so the page is read as a sequence of lines (a paragraph,
a list item, or a table row with its cells) cut at the page's labels (``_LABELS``), each section
read by its reader.  Labels split over two lines ("Certification" / "remplacée par") are joined first.

The page states no "Code RNCP" line: the number is the ``N° de fiche`` tag.  A copy cut short keeps
what it shows and is PARTIAL, its reasons naming the sections it lacks.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

from pipeline.errors import RejectedInput
from pipeline.normalize.dates import find_french_date
from pipeline.normalize.text import fold_aligned as fold
from pipeline.parse.rncp.stream import clean, strip_end
from pipeline.records import (
    AccessRoute,
    BlockKind,
    CertifierDetail,
    CodedText,
    Competence,
    Document,
    History,
    Kind,
    Layout,
    Provenance,
    Registration,
    RncpBlock,
    RncpFiche,
    Statistic,
    Status,
    TextItem,
)

# ---------------------------------------------------------------------------------------------- lines


@dataclass(frozen=True)
class Line:
    """A paragraph, list item or table row of the page, in reading order."""

    text: str
    prov: Provenance
    gap: bool = True
    kind: BlockKind = BlockKind.PARAGRAPH
    cells: tuple[tuple[str, ...], ...] = ()  # table rows: each cell's paragraphs
    header: bool = False
    marker: str | None = None  # a list item's bullet as printed ("•", "◦" for a sub-item)

    @property
    def folded(self) -> str:
        return fold(self.text)

    @property
    def key(self) -> str:
        """The folded text as a label: apostrophes straight, no trailing colon."""
        return clean(self.folded).rstrip(" :")


_ICON_RE = re.compile(r"^icon(?:e)?\b")


def page_lines(layout: Layout) -> list[Line]:
    """Every line of the page but the images' alt texts ("Icon de certification")."""
    lines: list[Line] = []
    for block in layout.blocks:
        if block.kind is BlockKind.FOOTNOTE:
            continue
        prov = Provenance(page=block.page, order=block.order, bbox=block.bbox)
        if block.kind is BlockKind.TABLE_ROW:
            cells = tuple(tuple(clean(p.text) for p in c.paras if clean(p.text)) for c in block.cells)
            text = clean(" ".join(" ".join(c) for c in cells))
            if text:
                lines.append(Line(text, prov, block.gap_before, block.kind, cells, block.header))
            continue
        text = clean(block.text)
        if text and not _ICON_RE.match(fold(text)):
            lines.append(Line(text, prov, block.gap_before, block.kind, marker=block.marker))
    return _join_split_labels(lines)


# labels the page prints over two lines (a <br> in their title): first line -> its continuation
_SPLIT = {"certification": "remplacee par", "nomenclature": "du niveau de qualification",
          "date d'echeance": "de l'enregistrement", "date d'echance": "de l'enregistrement"}


def _join_split_labels(lines: list[Line]) -> list[Line]:
    out: list[Line] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        nxt = lines[i + 1] if i + 1 < len(lines) else None
        if nxt is not None and _SPLIT.get(line.key) is not None and nxt.folded.startswith(_SPLIT[line.key]):
            out.append(Line(f"{line.text} {nxt.text}", line.prov, line.gap, line.kind))
            i += 2
            continue
        out.append(line)
        i += 1
    return out


# ---------------------------------------------------------------------------------------------- labels


@dataclass(frozen=True)
class Label:
    name: str
    pattern: re.Pattern[str]
    essential: bool = False  # an "L'essentiel" line: its values may be repeated in the icons copy


def _l(name: str, pattern: str, essential: bool = False) -> Label:
    return Label(name, re.compile(pattern), essential)


_REST = r"\s*:?\s*(?P<rest>.*)$"
_LABELS: tuple[Label, ...] = (
    _l("ccn", r"^ccn\s*(?P<n>[1-3])\b" + _REST, True),
    _l("replaced_by", r"^certification\s+remplacee\s+par\b" + _REST, True),
    _l("level", r"^nomenclature\s+du\s+niveau\s+de\s+qualification\b" + _REST, True),
    _l("nsf", r"^code\(?s?\)?\s*nsf\b" + _REST, True),
    _l("formacodes", r"^formacode\(?s?\)?" + _REST, True),
    _l("start", r"^date\s+de\s+debut\s+des\s+parcours\s+certifiants\b" + _REST, True),
    _l("end", r"^date\s+d'ech(?:ea|e|a)nce\s+de\s+l'enregistrement\b" + _REST, True),
    _l("certifiers", r"^certificateur\(?s?\)?\s*:?$"),
    _l("summary", r"^resume\s+de\s+la\s+certification\s*:?$"),
    _l("objectives", r"^objectifs\s+et\s+contexte\s+de\s+la\s+certification" + _REST),
    _l("activities", r"^activites\s+visees" + _REST),
    _l("capacities", r"^competences\s+attestees" + _REST),
    _l("assessment", r"^modalites\s+d'evaluation\s*:?$"),
    _l("blocks", r"^blocs?\s+de\s+competences\s*:?$"),
    _l("sectors", r"^secteurs\s+d'activites?\b.*$"),
    _l("jobs", r"^types?\s+d'emplois?\s+accessibles?" + _REST),
    _l("rome", r"^code\(?s?\)?\s*rome\b" + _REST),
    _l("regulations", r"^references?\s+juridiques\s+des\s+reglementations\b.*$"),
    _l("access", r"^voies\s+d'acces\b.*$"),
    _l("prerequisites", r"^prerequis\b.*$"),
    _l("more", r"^pour\s+plus\s+d'informations\s*:?$"),
    _l("statistics", r"^statistiques\s*:?$"),
    _l("description", r"^lien\s+internet\s+vers\s+le\s+descriptif\b" + _REST),
    _l("referential", r"^referentiel\s+d'activites?,?\s+de\s+competences\b.*$"),
    _l("partners", r"^organisme\(?s?\)?\s+preparant\b.*$"),
    _l("links", r"^liens\s+avec\s+d'autres\s+certifications\b.*$"),
    _l("legal", r"^(?:references?\s+juridiques|reference\s+des\s+arretes|base\s+legale)\b.*$"),
    _l("journal", r"^date\s+du\s+dernier\s+journal\s+officiel\b[^:]*" + _REST),
    _l("old_versions", r"^anciennes\s+versions\s+de\s+la\s+certification\b.*$"),
)
# labels whose line may carry the value after a colon ("CCN1 : 3109 - Métallurgie")
_INLINE = {"ccn", "replaced_by", "level", "nsf", "formacodes", "start", "end", "objectives", "activities",
           "capacities", "jobs", "rome", "description", "journal"}


@dataclass
class Section:
    name: str
    label: Line
    lines: list[Line] = field(default_factory=list)
    n: str | None = None  # CCN1/2/3


def _match(line: Line) -> tuple[Label, re.Match[str]] | None:
    if line.header and line.cells:  # a table's header row belongs to the section above it
        return None
    key = clean(line.folded)
    for label in _LABELS:
        m = label.pattern.match(key)
        if m is None:
            continue
        rest = m.groupdict().get("rest")
        if rest and label.name not in _INLINE:
            continue
        if rest and label.name in _INLINE and ":" not in key[:m.start("rest")] and label.name != "ccn":
            continue  # "Activités visées par …" is prose; a value on the label's line follows a colon
        return label, m
    return None


def sections_of(lines: Sequence[Line]) -> tuple[list[Line], list[Section]]:
    """The lines before the first label (the page's head) and the labelled sections, in order."""
    head: list[Line] = []
    sections: list[Section] = []
    for line in lines:
        found = _match(line)
        if found is None:
            (sections[-1].lines if sections else head).append(line)
            continue
        label, m = found
        section = Section(label.name, line, n=m.groupdict().get("n"))
        rest = m.groupdict().get("rest")
        if rest:
            section.lines.append(Line(clean(line.text[m.start("rest"):]), line.prov, False, line.kind))
        sections.append(section)
    _drop_repeated_values(sections)
    return head, sections


_ESSENTIAL = {label.name for label in _LABELS if label.essential}


def _drop_repeated_values(sections: list[Section]) -> None:
    """The icons copy repeats the "L'essentiel" values, unlabelled, after the last of them: a value
    line equal to one already read under an earlier label ends the section's values."""
    seen: set[str] = set()
    for section in sections:
        if section.name not in _ESSENTIAL:
            continue
        kept: list[Line] = []
        for line in section.lines:
            if line.key in seen:
                break
            kept.append(line)
        seen.update(line.key for line in kept)
        section.lines = kept


# ---------------------------------------------------------------------------------------------- values

_CODE_RE = re.compile(r"\bn\s*[°o]\s*de\s+fiche\s*:?\s*(rncp\s*\d{3,6})\b")
_RNCP_RE = re.compile(r"^rncp\s*(\d{3,6})$")
_ANY_RNCP_RE = re.compile(r"\bRNCP\s*(\d{3,6})\b(?!\s*BC)", re.I)
_STATE_RE = re.compile(r"^(?:etat\s*:?\s*)?(active|inactive)$|\betat\s*:\s*(active|inactive)\b")
_LEVEL_RE = re.compile(r"\bniveau\s+([1-8])\b")
_CCN_RE = re.compile(r"^(\d{1,5})\s*[-–:]\s*(.+)$")
_CODE_LABEL_RE = re.compile(r"(?:^|(?<=\s))([0-9]{3}[a-z]?|[0-9]{5})\s+:\s+")
_ROME_RE = re.compile(r"^([A-N]\d{4})\s*[-–:]\s*(.+)$")
_CODED_RE = re.compile(r"^(?P<code>[AC]\d{1,2}(?:\.\d{1,2})*)\s*[.):\-–]?\s+(?P<text>\S.*)$")
_BLOC_RE = re.compile(r"^(?P<code>RNCP\d{3,6}BC(?P<n>\d{1,2}))\s*[-–:]\s*(?P<title>.+)$", re.I)
_SIRET_RE = re.compile(r"^\d{14}$")
# a certifier row flattened to one line: "NOM 78471719100018 - -" (name, SIRET, commercial name, site)
_FLAT_SIRET_RE = re.compile(r"^(?P<name>.+?)\s+(?P<siret>\d{14})(?:\s+.*)?$")
_FLAT_TAIL_RE = re.compile(r"(?:\s+(?:-|https?://\S+|www\.\S+))+\s*$")
_ROUTES = (
    ("FI", "apres un parcours de formation sous statut d'eleve ou d'etudiant"),
    ("FC", "apres un parcours de formation continue"),
    ("CA", "en contrat d'apprentissage"),
    ("CQ", "en contrat de professionnalisation"),
    ("CL", "par candidature individuelle"),
    ("VAE", "par experience"),
)
_OPEN_RE = re.compile(r"^(non\s+autorisee?|autorisee?|oui|non)\b\s*(.*)$")
_SUB_ITEM_RE = re.compile(r"^\s*(?:◦|o|▪)\s+")
_SUB_MARKERS = {"◦", "▪", "o"}
_STAT_RE = re.compile(r"^((?:19|20)\d{2})((?:\s+(?:\d{1,6}|-)){1,4})\s*$")


def _date(text: str) -> date | None:
    return find_french_date(text)  # the one date grammar (dd/MM/yyyy, dd-MM-yyyy, "1er mars 2024", …)


def _item(text: str) -> str:
    """A list item's text without its bullet (text copies keep "•", "-", "*", "o")."""
    return clean(re.sub(r"^(?:[•▪◦*–-]|o(?=\s))\s+", "", text))


def _split_code_labels(text: str) -> list[tuple[str, str]]:
    """``254s : Label`` items; a PDF line may hold several ("23654 : Pliage 31854 : Robotique")."""
    starts = list(_CODE_LABEL_RE.finditer(text))
    out = []
    for k, m in enumerate(starts):
        end = starts[k + 1].start() if k + 1 < len(starts) else len(text)
        out.append((m.group(1), clean(text[m.end():end])))
    return out


@dataclass
class _Reader:
    """Reads each section; ``reasons`` collects what a printed section did not give."""

    pdf: bool
    reasons: list[str] = field(default_factory=list)

    def paragraphs(self, lines: Sequence[Line]) -> list[tuple[str, Provenance]]:
        """Each line one paragraph; in a PDF, lines without a gap continue the one before."""
        out: list[tuple[str, Provenance]] = []
        for line in lines:
            if line.cells:
                continue
            text = _item(line.text) if line.kind is BlockKind.LIST_ITEM else line.text
            if out and self.pdf and not line.gap and line.kind is not BlockKind.LIST_ITEM:
                out[-1] = (f"{out[-1][0]} {text}", out[-1][1])
            else:
                out.append((text, line.prov))
        return out

    def coded(self, lines: Sequence[Line]) -> tuple[CodedText, ...]:
        items: list[CodedText] = []
        for text, prov in self.paragraphs(lines):
            m = _CODED_RE.match(text)
            if m:
                items.append(CodedText(m.group("code").upper(), strip_end(m.group("text")), prov))
            elif items and self.pdf:
                last = items[-1]
                items[-1] = CodedText(last.code, f"{last.text} {text}", last.prov)
            else:
                items.append(CodedText("", strip_end(text), prov))
        return tuple(items)

    def code_labels(self, lines: Sequence[Line]) -> tuple[CodedText, ...]:
        out = []
        for text, prov in self.paragraphs(lines):
            out += [CodedText(code, label, prov) for code, label in _split_code_labels(text)]
        return tuple(out)

    def certifiers(self, lines: Sequence[Line]) -> tuple[CertifierDetail, ...]:
        out: list[CertifierDetail] = []
        for line in lines:
            if line.header or fold(line.text).startswith("nom legal"):
                continue
            if line.cells:
                name = clean(" ".join(line.cells[0])) if line.cells else ""
                siret = next((c[0] for c in line.cells[1:2] if c and _SIRET_RE.match(c[0])), None)
            elif m := _FLAT_SIRET_RE.match(line.text):
                name, siret = m.group("name"), m.group("siret")
            else:  # no SIRET: the name is what precedes the "-" placeholders and the site
                name, siret = _FLAT_TAIL_RE.sub("", line.text), None
            if name and name != "-":
                out.append(CertifierDetail(name=name, siret=siret, active=None))
        return tuple(out)

    def blocks(self, lines: Sequence[Line]) -> tuple[RncpBlock, ...]:
        blocks: list[RncpBlock] = []
        current: dict[str, object] | None = None
        competences: list[str] = []
        assessment: list[str] = []

        def close() -> None:
            if current is None:
                return
            blocks.append(RncpBlock(
                number=int(str(current["n"])), title=str(current["title"]), capacities=(),
                prov=current["prov"],  # type: ignore[arg-type]
                code=str(current["code"]).upper(),
                competences=tuple(Competence(text=strip_end(c)) for c in competences),
                assessment=clean(" ".join(assessment)) or None,
                split_method="page-list"))

        for line in lines:
            m = _BLOC_RE.match(line.text) if not line.cells else None
            if m:
                close()
                current = {"n": m.group("n"), "code": m.group("code"), "title": m.group("title"),
                           "prov": line.prov}
                competences, assessment = [], []
                continue
            if current is None or line.header or fold(line.text).startswith("liste de competences"):
                continue
            if line.cells:
                competences += [_item(t) for t in line.cells[0]] if line.cells else []
                assessment += [t for cell in line.cells[1:] for t in cell]
            elif competences and (line.marker in _SUB_MARKERS or _SUB_ITEM_RE.match(line.text)):
                competences[-1] += " " + _item(line.text)  # "◦ sub-item" of a text copy: inside its parent
            elif line.kind is BlockKind.LIST_ITEM:
                competences.append(_item(line.text))
            elif self.pdf and not line.gap and assessment:
                assessment[-1] += " " + line.text
            elif self.pdf and not line.gap and competences and not assessment:
                competences[-1] += " " + line.text
            elif not line.gap and current is not None and not competences and not assessment:
                current["title"] = f"{current['title']} {line.text}"  # a wrapped bloc title
            else:
                assessment.append(line.text)
        close()
        return tuple(blocks)

    def access_routes(self, lines: Sequence[Line]) -> tuple[AccessRoute, ...]:
        routes: dict[str, AccessRoute] = {}
        for line in lines:
            if line.header:
                continue
            text = fold(clean(line.text))
            for route, label in _ROUTES:
                if not text.startswith(label):
                    continue
                original = clean(line.text)[len(label):].strip()
                m = _OPEN_RE.match(fold(original))
                if not m:
                    self.reasons.append(f"access_routes: '{line.text}' states no Autorisé/Non autorisé")
                    routes[route] = AccessRoute(route=route, open=None)
                    break
                jury = clean(original[m.start(2):]) if m.group(2) else ""
                routes[route] = AccessRoute(route=route, open=not m.group(1).startswith("non"),
                                            jury=None if jury in ("", "-") else jury)
                break
        order = [r for r, _ in sorted(_ROUTES, key=lambda x: ["FI", "CA", "FC", "CQ", "CL", "VAE"].index(x[0]))]
        return tuple(routes[r] for r in order if r in routes)

    def statistics(self, lines: Sequence[Line]) -> tuple[Statistic, ...]:
        out: list[Statistic] = []
        for line in lines:
            if line.header:
                continue
            m = _STAT_RE.match(clean(line.text.replace("%", " ")))  # rates may print "80 %"
            if not m:
                continue
            values = [None if v == "-" else int(v) for v in m.group(2).split()] + [None] * 4
            out.append(Statistic(year=int(m.group(1)), certified=values[0], certified_vae=values[1],
                                 employment_6m=values[2], job_2y=values[3]))
        return tuple(out)


def _codes(lines: Sequence[Line]) -> tuple[str, ...]:
    """RNCP numbers named by a section (bloc codes excluded), in order, once each."""
    found: dict[str, None] = {}
    for line in lines:
        for m in _ANY_RNCP_RE.finditer(line.text):
            found[f"RNCP{int(m.group(1))}"] = None
    return tuple(found)


# ---------------------------------------------------------------------------------------------- the fiche


def is_fiche_page(layout: Layout) -> bool:
    """The page's own marks: a ``N° de fiche`` tag or the "Nomenclature du niveau de qualification" line."""
    text = fold(" ".join(b.text for b in layout.blocks[:200]))
    return bool(_CODE_RE.search(text) or re.search(r"\bn\s*[°o]\s*de\s+fiche\b", text)) and bool(
        re.search(r"\brncp\s*\d{3,6}\b", text))


def _code_and_head(head: list[Line], lines: Sequence[Line]) -> tuple[str | None, int | None]:
    """The fiche's number and the index (in ``lines``) of the first tag line (N° de fiche / Etat)."""
    code: str | None = None
    first: int | None = None
    for i, line in enumerate(lines[: len(head) + 2]):
        folded = clean(line.folded)
        m = _CODE_RE.search(folded)
        tag = bool(m) or bool(re.match(r"^n\s*[°o]\s*de\s+fiche\s*:?$", folded)) or bool(_STATE_RE.search(folded))
        if tag and first is None:
            first = i
        if m and code is None:
            code = "RNCP" + str(int(re.sub(r"\D", "", m.group(1))))
        elif re.match(r"^n\s*[°o]\s*de\s+fiche\s*:?$", folded) and i + 1 < len(lines):
            nxt = _RNCP_RE.match(clean(lines[i + 1].folded))
            if nxt and code is None:
                code = f"RNCP{int(nxt.group(1))}"
    return code, first


def _title(lines: Sequence[Line], first_tag: int | None, pdf: bool) -> str | None:
    if not first_tag:
        return None
    j = first_tag - 1
    parts = [lines[j].text]
    while pdf and j > 0 and not lines[j].gap:  # a title wrapped over lines in a PDF
        j -= 1
        parts.insert(0, lines[j].text)
    return clean(" ".join(parts)) or None


def _state(lines: Sequence[Line]) -> bool | None:
    for line in lines:
        m = _STATE_RE.search(clean(line.folded))
        if m:
            return (m.group(1) or m.group(2)) == "active"
    return None


_ALWAYS = (("level", "Nomenclature du niveau de qualification"), ("end", "Date d'échéance de l'enregistrement"),
           ("certifiers", "Certificateur(s)"), ("capacities", "Compétences attestées"),
           ("access", "Voies d'accès"))


def parse_fiche_page(layout: Layout) -> Document:
    lines = page_lines(layout)
    head, sections = sections_of(lines)
    code, first_tag = _code_and_head(head, lines)
    if code is None:
        raise RejectedInput(layout.source.path, "fiche page without its number (no 'N° de fiche RNCP…')")
    pdf = layout.source.format == "pdf"
    reader = _Reader(pdf=pdf)
    by_name: dict[str, list[Section]] = {}
    for s in sections:
        by_name.setdefault(s.name, []).append(s)

    def body(name: str) -> list[Line]:
        return [line for s in by_name.get(name, []) for line in s.lines]

    def text(name: str) -> str | None:
        return clean(" ".join(t for t, _ in reader.paragraphs(body(name)))) or None

    conventions = []
    for s in by_name.get("ccn", []):
        value = clean(" ".join(line.text for line in s.lines))
        m = _CCN_RE.match(value)
        if m:
            conventions.append(CodedText(m.group(1), clean(m.group(2)), s.label.prov))
    level_text = fold(text("level") or "")
    level_match = _LEVEL_RE.search(level_text)
    details = reader.certifiers(body("certifiers"))
    fiche = RncpFiche(
        code=code,
        title=_title(lines, first_tag, pdf),
        certifiers=tuple(TextItem(c.name, s.label.prov) for c in details for s in by_name["certifiers"][:1]),
        conventions=tuple(conventions),
        nsf=reader.code_labels(body("nsf")),
        formacodes=reader.code_labels(body("formacodes")),
        activities=reader.coded(body("activities")),
        capacities=reader.coded(body("capacities")),
        jobs=tuple(TextItem(strip_end(t), p) for t, p in reader.paragraphs(body("jobs"))),
        rome=tuple(CodedText(m.group(1), clean(m.group(2)), p) for t, p in reader.paragraphs(body("rome"))
                   if (m := _ROME_RE.match(t))),
        blocks=reader.blocks(body("blocks")),
        validity=None,
        new_caledonia=None,
        french_polynesia=None,
        registration=Registration(journal_officiel=_date(text("journal") or ""), end=_date(text("end") or ""),
                                  start_of_pathways=_date(text("start") or "")),
        awards_per_year=None,
        history=History(),
        active=_state(lines[: (first_tag or 0) + 4]),
        level=int(level_match.group(1)) if level_match else None,
        certifier_details=details,
        objectives=text("objectives"),
        access_routes=reader.access_routes(body("access")),
        statistics=reader.statistics(body("statistics")),
        replaces=_codes(body("old_versions")),
        replaced_by=_codes(body("replaced_by")),
    )
    reasons = reader.reasons + _missing(fiche, by_name, lines[-1].text if lines else "",
                                        sections[-1] if sections else None)
    return Document(source=layout.source, kind=Kind.RNCP, rncp=fiche,
                    status=Status.PARTIAL if reasons else Status.LOADED, reasons=tuple(reasons))


#: sections printed only with a value: a copy that ends inside one without it was cut there
_VALUED: dict[str, Callable[[RncpFiche], object]] = {
    "statistics": lambda f: f.statistics, "journal": lambda f: f.registration.journal_officiel,
    "old_versions": lambda f: f.replaces}


def _missing(fiche: RncpFiche, by_name: dict[str, list[Section]], last_line: str,
             last: Section | None = None) -> list[str]:
    """What the page always prints but this copy lacks (a copy cut short), or prints without a value.

    A copy is cut short when it lacks a section the page always prints (``_ALWAYS``), or when it ends:
    - inside the "Voies d'accès" table (its last section, without the table's last row, "Par expérience");
    - on a heading with nothing under it but, at most, a table's header row ("Pour plus d'informations",
      "Statistiques", "Références juridiques", "Date du dernier Journal Officiel", "Anciennes versions …");
    - inside a section printed only with a value (``_VALUED``: statistics, the JO date, the old versions) of
      which nothing could be read (a header or a line cut in its middle).
    Not detected: a copy cut just after the whole "Voies d'accès" table (the sections after it are not
    confirmed on every page, and the fixtures RNCP37001/RNCP28301 end there), nor one cut between two complete
    rows of the statistics or old-versions tables, or after the last one (what was read is whole)."""
    reasons: list[str] = []
    if fiche.title is None:
        reasons.append("title: no title line before the 'N° de fiche' tag")
    absent = [label for name, label in _ALWAYS if name not in by_name]
    ends = f"the copy ends at '{last_line[:60]}'"
    if absent:
        reasons.append(f"copy cut short: no {', '.join(repr(a) for a in absent)} section ({ends})")
    elif last is not None and last.name == "access" and not any(r.route == "VAE" for r in fiche.access_routes):
        reasons.append("copy cut short: the \"Voies d'accès\" table ends before its last row ('Par expérience') "
                       f"and nothing follows it ({ends})")
    elif last is not None and all(line.header for line in last.lines):
        reasons.append(f"copy cut short: it ends on the heading '{clean(last.label.text)[:60]}' with nothing "
                       f"under it ({ends})")
    elif last is not None and last.name in _VALUED and not _VALUED[last.name](fiche):
        reasons.append(f"copy cut short: it ends inside the section '{clean(last.label.text)[:60]}', of which "
                       f"nothing could be read ({ends})")
    empty = {"certifiers": fiche.certifier_details, "capacities": fiche.capacities,
             "end": fiche.registration.end}
    reasons += [f"{name}: section '{by_name[name][0].label.text}' printed but nothing could be read"
                for name, value in empty.items() if name in by_name and not value]
    if "level" in by_name and fiche.level is None and "sans niveau" not in fold(
            " ".join(line.text for line in by_name["level"][0].lines)):
        reasons.append("level: 'Nomenclature du niveau de qualification' printed but no 'Niveau N' read")
    return reasons
