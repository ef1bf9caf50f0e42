"""The warehouse, read side: rebuild the frozen ``Document`` (with provenance) from the tables.

Never touches raw files and never re-parses: what ``load`` wrote is what comes back, lists in ``ord``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from typing import Any

import duckdb

from pipeline.errors import PipelineError
from pipeline.link.inputs import CapacityTitle, LinkInput
from pipeline.load import tables
from pipeline.records import (
    BBox,
    CapacityLink,
    CodedText,
    CqpmCapacity,
    CqpmDocument,
    Document,
    Finding,
    History,
    Kind,
    Link,
    Provenance,
    Registration,
    RncpBlock,
    RncpFiche,
    Source,
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


def _rows(con: duckdb.DuckDBPyConnection, name: str, doc_id: str, parent: str | None = None) -> list[Row]:
    """Rows of a list table by column name, in list order (within their parent item, if any)."""
    table = tables.TABLES[name]
    return tables.fetch(con, table, f"{table.document_key} = ?", [doc_id],
                        order=f"{parent}, ord" if parent else "ord")


def _texts(con: duckdb.DuckDBPyConnection, table: str, doc_id: str) -> tuple[TextItem, ...]:
    return tuple(TextItem(r["text"], _prov(r)) for r in _rows(con, table, doc_id))


def _coded(con: duckdb.DuckDBPyConnection, table: str, value: str, doc_id: str) -> tuple[CodedText, ...]:
    return tuple(CodedText(r["code"], r[value], _prov(r)) for r in _rows(con, table, doc_id))


def _children(con: duckdb.DuckDBPyConnection, table: str, doc_id: str) -> dict[int, tuple[TextItem, ...]]:
    grouped: dict[int, list[TextItem]] = defaultdict(list)
    for r in _rows(con, table, doc_id, parent="capacity_ord"):
        grouped[r["capacity_ord"]].append(TextItem(r["text"], _prov(r)))
    return {k: tuple(v) for k, v in grouped.items()}


def _one(con: duckdb.DuckDBPyConnection, table: tables.Table, doc_id: str) -> Row | None:
    found = tables.fetch(con, table, "document_id = ?", [doc_id])
    return found[0] if found else None


def _read_cqpm(con: duckdb.DuckDBPyConnection, doc_id: str) -> CqpmDocument | None:
    row = _one(con, tables.CQPM_REFERENTIELS, doc_id)
    if row is None:
        return None
    conditions = _children(con, "cqpm_conditions", doc_id)
    criteria = _children(con, "cqpm_criteria", doc_id)
    assessments = _children(con, "cqpm_assessments", doc_id)
    capacities = tuple(
        CqpmCapacity(number=r["number"], title=r["title"], conditions=conditions.get(r["ord"], ()),
                     criteria=criteria.get(r["ord"], ()), assessment=assessments.get(r["ord"], ()), prov=_prov(r))
        for r in _rows(con, "cqpm_capacities", doc_id)
    )
    return CqpmDocument(
        number=row["number"], qualification_id=row["qualification_id"], category=row["category"],
        last_modified=row["last_modified"], level=row["level"], title=row["title"], objective=row["objective"],
        missions=_texts(con, "cqpm_missions", doc_id), capacities=capacities,
        assessment_methods=_texts(con, "cqpm_assessment_methods", doc_id),
        listed_capacities=_coded(con, "cqpm_listed_capacities", "text", doc_id),
        layout_variant=row["layout_variant"],
    )


def _read_rncp(con: duckdb.DuckDBPyConnection, doc_id: str) -> RncpFiche | None:
    row = _one(con, tables.RNCP_FICHES, doc_id)
    if row is None:
        return None
    codes: dict[int, list[str]] = defaultdict(list)
    for r in _rows(con, "rncp_block_capacities", doc_id, parent="block_ord"):
        codes[r["block_ord"]].append(r["capacity_code"])
    blocks = tuple(RncpBlock(number=r["number"], title=r["title"], capacities=tuple(codes.get(r["ord"], ())),
                             prov=_prov(r))
                   for r in _rows(con, "rncp_blocks", doc_id))
    return RncpFiche(
        code=row["code"], title=row["title"],
        certifiers=_texts(con, "rncp_certifiers", doc_id),
        conventions=_coded(con, "rncp_conventions", "label", doc_id),
        nsf=_coded(con, "rncp_nsf", "label", doc_id),
        formacodes=_coded(con, "rncp_formacodes", "label", doc_id),
        activities=_coded(con, "rncp_activities", "text", doc_id),
        capacities=_coded(con, "rncp_capacities", "text", doc_id),
        jobs=_texts(con, "rncp_jobs", doc_id),
        rome=_coded(con, "rncp_rome", "label", doc_id),
        blocks=blocks,
        validity=row["validity"], new_caledonia=row["new_caledonia"], french_polynesia=row["french_polynesia"],
        registration=Registration(decision=row["registration_decision"],
                                  journal_officiel=row["registration_journal_officiel"],
                                  effective=row["registration_effective"], end=row["registration_end"]),
        awards_per_year=row["awards_per_year"],
        history=History(cqpm_number=row["history_cqpm_number"], qualification_id=row["history_qualification_id"],
                        first_validated=row["history_first_validated"], version_date=row["history_version_date"],
                        category=row["history_category"]),
    )


def read_document(con: duckdb.DuckDBPyConnection, document_id: str) -> Document:
    """The document stored under ``document_id`` (exact id), as the frozen records ``load`` was given."""
    head = con.execute(
        "SELECT d.kind, d.status, d.reasons, s.path, s.sha256, s.format, s.pages, s.size "
        "FROM documents d JOIN sources s ON s.sha256 = d.source_sha256 WHERE d.id = ?", [document_id],
    ).fetchone()
    if head is None:
        raise DocumentNotFound(f"no document with id {document_id!r} in the warehouse", document_id)
    kind, status, reasons, path, sha, fmt, pages, size = head
    source = Source(path=path, sha256=sha, format=fmt, pages=pages, size=size if size is not None else 0)
    doc_kind = Kind(kind)
    return Document(
        source=source,
        kind=doc_kind,
        cqpm=_read_cqpm(con, document_id) if doc_kind is Kind.CQPM else None,
        rncp=_read_rncp(con, document_id) if doc_kind is Kind.RNCP else None,
        status=Status(status),
        reasons=tuple(reasons or ()),
    )


# ---------------------------------------------------------------------------------------------- link inputs


def read_link_inputs(con: duckdb.DuckDBPyConnection, ids: Sequence[str] | None = None) -> tuple[LinkInput, ...]:
    """The ``LinkInput`` of every document (or of ``ids``), by id: what ``link_input(read_document(…))``
    gives, read with three queries over whole tables instead of one document at a time."""
    where, params = ("", []) if ids is None else ("WHERE d.id IN (SELECT unnest(?::VARCHAR[]))", [list(ids)])
    heads = con.execute(
        "SELECT d.id, d.kind, s.sha256, s.path, c.document_id IS NOT NULL, c.number, c.title, "
        "f.document_id IS NOT NULL, f.code, f.title, f.history_cqpm_number, f.registration_end "
        "FROM documents d JOIN sources s ON s.sha256 = d.source_sha256 "
        "LEFT JOIN cqpm_referentiels c ON c.document_id = d.id LEFT JOIN rncp_fiches f ON f.document_id = d.id "
        f"{where} ORDER BY d.id", params).fetchall()
    sub = where.replace("d.id", "document_id")
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
    out = []
    for doc_id, kind, sha, path, has_cqpm, number, cqpm_title, has_rncp, code, rncp_title, named, end in heads:
        doc_kind = Kind(kind)
        head = (doc_id, doc_kind, sha, path)
        if doc_kind is Kind.RNCP and has_rncp:
            out.append(LinkInput(*head, linkable=True, title=rncp_title, code=code, named_number=named,
                                 registration_end=end, rncp_capacities=tuple(rncp.get(doc_id, ()))))
        elif doc_kind is Kind.CQPM and has_cqpm:
            out.append(LinkInput(*head, linkable=True, title=cqpm_title, printed_number=number,
                                 cqpm_capacities=tuple(cqpm.get(doc_id, ()))))
        else:
            out.append(LinkInput(*head, linkable=False))
    return tuple(out)


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
             capacity_map=tuple(maps.get((r[0], r[1]), ())), rncp_source=r[11], cqpm_source=r[12])
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
