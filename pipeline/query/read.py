"""The warehouse, read side: rebuild the frozen ``Document`` (with provenance) from the tables.

Never touches raw files and never re-parses: what ``load`` wrote is what comes back, lists in ``ord``.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Collection, Iterator, Sequence
from typing import Any

import duckdb

from pipeline.contract import HEADER_FIELDS
from pipeline.errors import PipelineError
from pipeline.link.inputs import BlockTitle, CapacityTitle, LinkInput, rncp_block_code
from pipeline.load import tables
from pipeline.records import (
    AccessRoute,
    BBox,
    BlockLink,
    CapacityLink,
    CertifierDetail,
    CodedText,
    Competence,
    CqpmActivity,
    CqpmBlock,
    CqpmCapacity,
    CqpmDocument,
    Document,
    Finding,
    History,
    Kind,
    Link,
    Partner,
    Provenance,
    Registration,
    RncpBlock,
    RncpFiche,
    Source,
    Statistic,
    Status,
    TextItem,
)

Row = dict[str, Any]


class DocumentNotFound(PipelineError, LookupError):
    """No document (or no single document) answers to the reference given."""

    def __init__(self, message: str, ref: str | None = None) -> None:
        self.ref = ref
        super().__init__(message)


class AmbiguousReference(DocumentNotFound):
    """The reference (an id prefix, a path) matches several documents."""

    def __init__(self, message: str, ref: str, candidates: Sequence[str]) -> None:
        self.candidates = tuple(candidates)
        super().__init__(message, ref)


def _prov(row: Row) -> Provenance:
    """Provenance from a row of a list table (its ``tables.PROV`` columns)."""
    box = (row["x0"], row["top"], row["x1"], row["bottom"])
    return Provenance(page=row["page"], order=row["reading_order"], bbox=BBox(*box) if None not in box else None)


class _Fetch:
    """The rows a reader asks for, by document and table: one query per call (``ids`` None), or, for a batch
    of ``ids``, one query per table over the whole batch, grouped by document (``read_documents``)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, ids: list[str] | None = None) -> None:
        self.con, self.ids = con, ids
        self.cache: dict[tuple[str, str], dict[str, list[Row]]] = {}

    def rows(self, table: tables.Table, doc_id: str, order: str | None = None) -> list[Row]:
        key = table.document_key or "document_id"
        if self.ids is None:
            return tables.fetch(self.con, table, f"{key} = ?", [doc_id], order=order)
        if (table.name, order or "") not in self.cache:
            grouped: dict[str, list[Row]] = defaultdict(list)
            for r in tables.fetch(self.con, table, f"{key} IN (SELECT unnest(?::VARCHAR[]))", [self.ids],
                                  order=f"{key}, {order}" if order else key):
                grouped[r[key]].append(r)
            self.cache[(table.name, order or "")] = grouped
        return self.cache[(table.name, order or "")].get(doc_id, [])


def _rows(f: _Fetch, name: str, doc_id: str, parent: str | None = None) -> list[Row]:
    """Rows of a list table by column name, in list order (within their parent item, if any)."""
    return f.rows(tables.TABLES[name], doc_id, order=f"{parent}, ord" if parent else "ord")


def _texts(f: _Fetch, table: str, doc_id: str) -> tuple[TextItem, ...]:
    return tuple(TextItem(r["text"], _prov(r)) for r in _rows(f, table, doc_id))


def _coded(f: _Fetch, table: str, value: str, doc_id: str) -> tuple[CodedText, ...]:
    return tuple(CodedText(r["code"], r[value], _prov(r)) for r in _rows(f, table, doc_id))


def _children(f: _Fetch, table: str, doc_id: str) -> dict[int, tuple[TextItem, ...]]:
    grouped: dict[int, list[TextItem]] = defaultdict(list)
    for r in _rows(f, table, doc_id, parent="capacity_ord"):
        grouped[r["capacity_ord"]].append(TextItem(r["text"], _prov(r)))
    return {k: tuple(v) for k, v in grouped.items()}


def _one(f: _Fetch, table: tables.Table, doc_id: str) -> Row | None:
    found = f.rows(table, doc_id)
    return found[0] if found else None


def _read_cqpm(f: _Fetch, doc_id: str) -> CqpmDocument | None:
    row = _one(f, tables.CQPM_REFERENTIELS, doc_id)
    if row is None:
        return None
    conditions = _children(f, "cqpm_conditions", doc_id)
    criteria = _children(f, "cqpm_criteria", doc_id)
    assessments = _children(f, "cqpm_assessments", doc_id)
    knowledge = _children(f, "cqpm_knowledge", doc_id)
    expected = _children(f, "cqpm_expected_results", doc_id)
    members: dict[int, list[int]] = defaultdict(list)
    for r in _rows(f, "cqpm_block_capacities", doc_id, parent="block_ord"):
        members[r["block_ord"]].append(r["capacity_number"])
    blocks = tuple(CqpmBlock(number=r["number"], code=r["code"], title=r["title"],
                             capacities=tuple(members.get(r["ord"], ())), prov=_prov(r))
                   for r in _rows(f, "cqpm_blocks", doc_id))
    bloc_of = {n: b.number for b in blocks for n in b.capacities}
    capacities = tuple(
        CqpmCapacity(number=r["number"], title=r["title"], conditions=conditions.get(r["ord"], ()),
                     criteria=criteria.get(r["ord"], ()), assessment=assessments.get(r["ord"], ()), prov=_prov(r),
                     block=bloc_of.get(r["number"]), knowledge=knowledge.get(r["ord"], ()),
                     expected_results=expected.get(r["ord"], ()))
        for r in _rows(f, "cqpm_capacities", doc_id)
    )
    return CqpmDocument(
        number=row["number"], qualification_id=row["qualification_id"], category=row["category"],
        last_modified=row["last_modified"], level=row["level"], title=row["title"], objective=row["objective"],
        missions=_texts(f, "cqpm_missions", doc_id), capacities=capacities,
        assessment_methods=_texts(f, "cqpm_assessment_methods", doc_id),
        listed_capacities=_coded(f, "cqpm_listed_capacities", "text", doc_id),
        layout_variant=row["layout_variant"],
        activities=tuple(CqpmActivity(title=r["title"], text=r["text"], prov=_prov(r))
                         for r in _rows(f, "cqpm_activities", doc_id)),
        environment=row["environment"], interactions=row["interactions"], blocks=blocks,
    )


def _read_rncp(f: _Fetch, doc_id: str) -> RncpFiche | None:
    row = _one(f, tables.RNCP_FICHES, doc_id)
    if row is None:
        return None
    codes: dict[int, list[str]] = defaultdict(list)
    for r in _rows(f, "rncp_block_capacities", doc_id, parent="block_ord"):
        codes[r["block_ord"]].append(r["capacity_code"])
    competences: dict[int, list[Competence]] = defaultdict(list)
    for r in _rows(f, "rncp_block_competences", doc_id, parent="block_ord"):
        competences[r["block_ord"]].append(Competence(text=r["text"], code=r["code"]))
    blocks = tuple(RncpBlock(number=r["number"], title=r["title"], capacities=tuple(codes.get(r["ord"], ())),
                             prov=_prov(r), code=r["code"], competences=tuple(competences.get(r["ord"], ())),
                             assessment=r["assessment"], split_method=r["split_method"],
                             competences_raw=r["competences_raw"])
                   for r in _rows(f, "rncp_blocks", doc_id))
    continuity = _rows(f, "rncp_continuity", doc_id)
    return RncpFiche(
        code=row["code"], title=row["title"],
        certifiers=_texts(f, "rncp_certifiers", doc_id),
        conventions=_coded(f, "rncp_conventions", "label", doc_id),
        nsf=_coded(f, "rncp_nsf", "label", doc_id),
        formacodes=_coded(f, "rncp_formacodes", "label", doc_id),
        activities=_coded(f, "rncp_activities", "text", doc_id),
        capacities=_coded(f, "rncp_capacities", "text", doc_id),
        jobs=_texts(f, "rncp_jobs", doc_id),
        rome=_coded(f, "rncp_rome", "label", doc_id),
        blocks=blocks,
        validity=row["validity"], new_caledonia=row["new_caledonia"], french_polynesia=row["french_polynesia"],
        registration=Registration(decision=row["registration_decision"],
                                  journal_officiel=row["registration_journal_officiel"],
                                  effective=row["registration_effective"], end=row["registration_end"],
                                  start_of_pathways=row["registration_start_of_pathways"]),
        awards_per_year=row["awards_per_year"],
        history=History(cqpm_number=row["history_cqpm_number"], qualification_id=row["history_qualification_id"],
                        first_validated=row["history_first_validated"], version_date=row["history_version_date"],
                        category=row["history_category"]),
        active=row["active"], state=row["state"], level=row["level"], objectives=row["objectives"],
        certifier_details=tuple(CertifierDetail(r["name"], r["siret"], r["active"], _prov(r))
                                for r in _rows(f, "rncp_certifier_details", doc_id)),
        access_routes=tuple(AccessRoute(r["route"], r["open"], r["jury"], _prov(r))
                            for r in _rows(f, "rncp_access_routes", doc_id)),
        statistics=tuple(Statistic(r["year"], r["certified"], r["certified_vae"], r["employment_6m"], r["job_2y"],
                                   _prov(r)) for r in _rows(f, "rncp_statistics", doc_id)),
        replaces=tuple(r["code"] for r in continuity if r["direction"] == "replaces"),
        replaced_by=tuple(r["code"] for r in continuity if r["direction"] == "replaced_by"),
        partners=tuple(Partner(r["name"], r["siret"], r["habilitation"], r["state"], _prov(r))
                       for r in _rows(f, "rncp_partners", doc_id)),
        activities_raw=row["activities_raw"], capacities_raw=row["capacities_raw"],
    )


def read_document(con: duckdb.DuckDBPyConnection, document_id: str, source_sha256: str | None = None) -> Document:
    """The document stored under ``document_id`` (exact id), as the frozen records ``load`` was given; its
    source is ``source_sha256`` when that source holds it (a document read from several files), else the
    source that first brought it."""
    sql = ("SELECT d.kind, d.status, d.reasons, s.path, s.sha256, s.format, s.pages, s.size "
           "FROM documents d JOIN sources s ON s.sha256 = {} WHERE d.id = ?")
    head = None
    if source_sha256 is not None:
        head = con.execute(sql.format("?") + " AND EXISTS (SELECT 1 FROM document_sources x WHERE "
                           "x.document_id = d.id AND x.source_sha256 = s.sha256)",
                           [source_sha256, document_id]).fetchone()
    if head is None:
        head = con.execute(sql.format("d.source_sha256"), [document_id]).fetchone()
    if head is None:
        raise DocumentNotFound(f"no document with id {document_id!r} in the warehouse", document_id)
    kind, status, reasons, path, sha, fmt, pages, size = head
    source = Source(path=path, sha256=sha, format=fmt, pages=pages, size=size if size is not None else 0)
    doc_kind = Kind(kind)
    f = _Fetch(con)
    cqpm = _read_cqpm(f, document_id) if doc_kind is Kind.CQPM else None
    if cqpm is not None and source_sha256 is not None:
        cqpm = _as_printed_by(con, cqpm, document_id, sha)
    return stored_as(Document(
        source=source,
        kind=doc_kind,
        cqpm=cqpm,
        rncp=_read_rncp(f, document_id) if doc_kind is Kind.RNCP else None,
        status=Status(status),
        reasons=tuple(reasons or ()),
    ), document_id)


def _as_printed_by(con: duckdb.DuckDBPyConnection, cqpm: CqpmDocument, document_id: str, sha: str) -> CqpmDocument:
    """The référentiel as the source ``sha`` prints it: the header fields it leaves blank stay blank, though
    the document holds them from another rendering (``document_sources.unprinted``)."""
    row = con.execute("SELECT unprinted FROM document_sources WHERE document_id = ? AND source_sha256 = ?",
                      [document_id, sha]).fetchone()
    blank: dict[str, Any] = {f: None for f in (row[0] if row and row[0] else []) if f in HEADER_FIELDS}
    return dataclasses.replace(cqpm, **blank) if blank else cqpm


def stored_as(document: Document, document_id: str) -> Document:
    """``document`` with the id it is stored under: a warehouse written when a document was its bytes keeps
    those ids, and a read-back document must not be re-identified by a re-hash of what was read."""
    document.__dict__["id"] = document_id  # Document.id is a cached property: this is its cached value
    return document


def read_documents(con: duckdb.DuckDBPyConnection, ids: Sequence[str], chunk: int = 2000) -> Iterator[Document]:
    """The documents ``ids`` (each with the source that first brought it), as ``read_document`` gives them,
    read with one query per table for each ``chunk`` of ids instead of ~20 per document: what a links
    recompute over a whole open-data export (30,000 fiches) reads."""
    for start in range(0, len(ids), chunk):
        part = list(ids[start:start + chunk])
        f = _Fetch(con, part)
        heads = {r[0]: r[1:] for r in con.execute(
            "SELECT d.id, d.kind, d.status, d.reasons, s.path, s.sha256, s.format, s.pages, s.size FROM documents d "
            "JOIN sources s ON s.sha256 = d.source_sha256 WHERE d.id IN (SELECT unnest(?::VARCHAR[]))",
            [part]).fetchall()}
        for doc_id in part:
            if doc_id not in heads:
                raise DocumentNotFound(f"no document with id {doc_id!r} in the warehouse", doc_id)
            kind, status, reasons, path, sha, fmt, pages, size = heads[doc_id]
            doc_kind = Kind(kind)
            yield stored_as(Document(
                source=Source(path=path, sha256=sha, format=fmt, pages=pages, size=size if size is not None else 0),
                kind=doc_kind,
                cqpm=_read_cqpm(f, doc_id) if doc_kind is Kind.CQPM else None,
                rncp=_read_rncp(f, doc_id) if doc_kind is Kind.RNCP else None,
                status=Status(status), reasons=tuple(reasons or ())), doc_id)


# ---------------------------------------------------------------------------------------------- link inputs


def read_link_inputs(con: duckdb.DuckDBPyConnection, ids: Sequence[str] | None = None, *,
                     heads_only: bool = False) -> tuple[LinkInput, ...]:
    """The ``LinkInput`` of every document (or of ``ids``), by id: what ``link_input(read_document(…))``
    gives, read with three queries over whole tables instead of one document at a time.  ``heads_only``:
    without capacities and blocs (one query: identity, numbers, titles, registration end)."""
    where, params = ("", []) if ids is None else ("WHERE d.id IN (SELECT unnest(?::VARCHAR[]))", [list(ids)])
    heads = con.execute(
        "SELECT d.id, d.kind, s.sha256, s.path, c.document_id IS NOT NULL, c.number, c.title, "
        "f.document_id IS NOT NULL, f.code, f.title, f.history_cqpm_number, f.registration_end "
        "FROM documents d JOIN sources s ON s.sha256 = d.source_sha256 "
        "LEFT JOIN cqpm_referentiels c ON c.document_id = d.id LEFT JOIN rncp_fiches f ON f.document_id = d.id "
        f"{where} ORDER BY d.id", params).fetchall()
    sub = where.replace("d.id", "document_id")
    if heads_only:
        sub, params = "WHERE false", []
    rncp: dict[str, list[CodedText]] = defaultdict(list)
    capacities = tables.TABLES["rncp_capacities"]
    for r in con.execute(f"SELECT {capacities.select()} FROM rncp_capacities {sub} ORDER BY document_id, ord",
                         params).fetchall():
        row = dict(zip(capacities.names, r, strict=True))
        rncp[row["document_id"]].append(CodedText(row["code"], row["text"], _prov(row)))
    cqpm: dict[str, list[CapacityTitle]] = defaultdict(list)
    for doc_id, number, title in con.execute(f"SELECT document_id, number, title FROM cqpm_capacities {sub} "
                                             "ORDER BY document_id, ord", params).fetchall():
        cqpm[doc_id].append(CapacityTitle(number, title))
    blocks = _link_blocks(con, sub, params)
    out = []
    for doc_id, kind, sha, path, has_cqpm, number, cqpm_title, has_rncp, code, rncp_title, named, end in heads:
        doc_kind = Kind(kind)
        head = (doc_id, doc_kind, sha, path)
        if doc_kind is Kind.RNCP and has_rncp:
            rncp_blocks = tuple(BlockTitle(b.number, rncp_block_code(code, b.number, b.code), b.title, b.capacities,
                                           b.ord) for b in blocks.get(("rncp", doc_id), ()))
            out.append(LinkInput(*head, linkable=True, title=rncp_title, code=code, named_number=named,
                                 registration_end=end, rncp_capacities=tuple(rncp.get(doc_id, ())),
                                 rncp_blocks=rncp_blocks))
        elif doc_kind is Kind.CQPM and has_cqpm:
            out.append(LinkInput(*head, linkable=True, title=cqpm_title, printed_number=number,
                                 cqpm_capacities=tuple(cqpm.get(doc_id, ())),
                                 cqpm_blocks=tuple(blocks.get(("cqpm", doc_id), ()))))
        else:
            out.append(LinkInput(*head, linkable=False))
    return tuple(out)


def _link_blocks(con: duckdb.DuckDBPyConnection, sub: str, params: list[Any]
                 ) -> dict[tuple[str, str], list[BlockTitle]]:
    """(kind, document id) -> its blocs as the linker sees them (members: RNCP capacity codes, or
    compétence numbers as text); an RNCP bloc's code is None here, filled from the fiche's code."""
    members: dict[tuple[str, str, int], list[str]] = defaultdict(list)
    for kind, table, column in (("rncp", "rncp_block_capacities", "capacity_code"),
                                ("cqpm", "cqpm_block_capacities", "capacity_number")):
        for doc_id, block_ord, member in con.execute(
                f"SELECT document_id, block_ord, {column} FROM {table} {sub} ORDER BY document_id, block_ord, ord",
                params).fetchall():
            members[(kind, doc_id, block_ord)].append(str(member))
    out: dict[tuple[str, str], list[BlockTitle]] = defaultdict(list)
    for kind, select in (("rncp", "NULL"), ("cqpm", "code")):
        table = f"{kind}_blocks"
        for doc_id, ord_, number, code, title in con.execute(
                f"SELECT document_id, ord, number, {select}, title FROM {table} {sub} ORDER BY document_id, ord",
                params).fetchall():
            out[(kind, doc_id)].append(BlockTitle(number, code, title, tuple(members.get((kind, doc_id, ord_), ())),
                                                  ord_))
    return out


def read_links(con: duckdb.DuckDBPyConnection, *, pairs: Sequence[tuple[str, str]] | None = None,
               ) -> tuple[Link, ...]:
    """The stored links (those of the (RNCP document, CQPM document) ``pairs``, or all) with their capacity
    maps and source paths, as ``Link`` records, in ``link_order``."""
    join, params = "", []
    if pairs is not None:
        join = ("JOIN (SELECT unnest(?::VARCHAR[]) AS r, unnest(?::VARCHAR[]) AS c) p "
                "ON p.r = l.document_id AND p.c = l.cqpm_document_id ")
        params = [[r for r, _ in pairs], [c for _, c in pairs]]
    maps: dict[tuple[str, str], list[CapacityLink]] = {}
    for r_id, c_id, code, number, score, r_ord, c_ord in con.execute(
            "SELECT document_id, cqpm_document_id, rncp_capacity, cqpm_capacity_number, score, ord, cqpm_ord "
            f"FROM capacity_links l {join}ORDER BY document_id, cqpm_document_id, ord", params).fetchall():
        maps.setdefault((r_id, c_id), []).append(CapacityLink(code, number, score, r_ord, c_ord))
    blocs: dict[tuple[str, str], list[BlockLink]] = {}
    for r_id, c_id, code, number, score, r_ord, c_ord in con.execute(
            "SELECT document_id, cqpm_document_id, rncp_block, cqpm_block, score, ord, cqpm_ord "
            f"FROM block_links l {join}ORDER BY document_id, cqpm_document_id, ord", params).fetchall():
        blocs.setdefault((r_id, c_id), []).append(BlockLink(code, number, score, r_ord, c_ord))
    rows = con.execute(
        "SELECT l.document_id, l.cqpm_document_id, l.rncp_code, l.cqpm_number, l.number_source, l.method, "
        "l.score, l.history_score, l.title_score, l.capacity_score, l.reason, rs.path, cs.path "
        f"FROM links l {join}JOIN documents rd ON rd.id = l.document_id "
        "JOIN sources rs ON rs.sha256 = rd.source_sha256 JOIN documents cd ON cd.id = l.cqpm_document_id "
        "JOIN sources cs ON cs.sha256 = cd.source_sha256 "
        "ORDER BY l.rncp_code, l.cqpm_number, l.document_id, l.cqpm_document_id", params).fetchall()
    return tuple(
        Link(rncp_document_id=r[0], cqpm_document_id=r[1], rncp_code=r[2], cqpm_number=r[3], number_source=r[4],
             method=r[5], score=r[6], history_score=r[7], title_score=r[8], capacity_score=r[9], reason=r[10],
             capacity_map=tuple(maps.get((r[0], r[1]), ())), rncp_source=r[11], cqpm_source=r[12],
             block_map=tuple(blocs.get((r[0], r[1]), ())))
        for r in rows
    )


def read_findings(con: duckdb.DuckDBPyConnection, ids: Sequence[str] | None = None, *,
                  exclude: Collection[str] = ()) -> tuple[Finding, ...]:
    """The stored quality findings (of the documents ``ids``, or all) but those of the rules in
    ``exclude``, by document in their stored order."""
    where, params = ["q.rule NOT IN (SELECT unnest(?::VARCHAR[]))"], [sorted(exclude)]
    if ids is not None:
        where.append("q.document_id IN (SELECT unnest(?::VARCHAR[]))")
        params.append(list(ids))
    out = []
    for r in con.execute(
            "SELECT q.document_id, q.source_sha256, s.path, q.reading_order, q.page, q.x0, q.top, q.x1, q.bottom, "
            "q.rule, q.severity, q.subject, q.message, q.related_document_id FROM quality_findings q "
            f"JOIN sources s ON s.sha256 = q.source_sha256 WHERE {' AND '.join(where)} ORDER BY q.document_id, q.ord",
            params).fetchall():
        order, page, x0, top, x1, bottom = r[3:9]
        bbox = BBox(x0, top, x1, bottom) if None not in (x0, top, x1, bottom) else None
        where_found = Provenance(page=page, order=order, bbox=bbox) if order is not None else None
        out.append(Finding(rule=r[9], severity=r[10], document_id=r[0], subject=r[11], message=r[12],
                           source_sha256=r[1], source_path=r[2], prov=where_found, related_document_id=r[13]))
    return tuple(out)
