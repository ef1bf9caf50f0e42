"""Links in the contract's shape (``refpipe links --json``), one entry per logical link.

The warehouse keeps one link per (RNCP document, CQPM document) pair.  The same fiche or référentiel
may be ingested several times in different renderings (the text conversion and PDFs): those are
different documents (different bytes) with the same content, and would repeat the same link.  The
contract lists each *logical* link once: links with the same RNCP code, CQPM number and capacity map
form one entry, described by its best-scoring document pair (``method``, ``score``, sources), and
``documents`` lists every document pair behind it.  Links whose capacity maps differ (e.g. two
versions of a référentiel that reordered its capacities) stay separate entries.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pipeline.records import Link


def _group_key(link: Link) -> tuple[str, str, tuple[tuple[str, int], ...]]:
    number = link.cqpm_number or f"document {link.cqpm_document_id}"
    return link.rncp_code, number, tuple((c.rncp_code, c.cqpm_number) for c in link.capacity_map)


def _rank(link: Link) -> tuple[float, bool, bool, str, str]:
    """Best first: higher score, then text sources (what the gold names), then paths for stability."""
    return (-link.score, not link.rncp_source.endswith(".txt"), not link.cqpm_source.endswith(".txt"),
            link.rncp_source, link.cqpm_source)


def contract_links(links: Sequence[Link]) -> list[dict[str, Any]]:
    """``[{"rncp", "cqpm", "method", "score", "capacity_map", …extra keys}]`` sorted by RNCP, CQPM."""
    groups: dict[tuple[str, str, tuple[tuple[str, int], ...]], list[Link]] = {}
    for link in links:
        groups.setdefault(_group_key(link), []).append(link)
    out = []
    for members in groups.values():
        members.sort(key=_rank)
        best = members[0]
        out.append({
            "rncp": best.rncp_code,
            "cqpm": best.cqpm_number,
            "method": best.method,
            "score": round(best.score, 3),
            "capacity_map": [{"rncp": c.rncp_code, "cqpm": c.cqpm_number, "score": round(c.score, 3)}
                             for c in best.capacity_map],
            **({"block_map": [{"rncp": b.rncp_block, "cqpm": b.cqpm_block, "score": round(b.score, 3)}
                              for b in best.block_map]} if best.block_map else {}),
            "cqpm_number_source": best.number_source,
            "reason": best.reason,
            "rncp_source": best.rncp_source,
            "cqpm_source": best.cqpm_source,
            "rncp_document": best.rncp_document_id,
            "cqpm_document": best.cqpm_document_id,
            "evidence": {"history": best.history_score, "capacities": best.capacity_score,
                         "title": best.title_score},
            "documents": [
                {"rncp_document": m.rncp_document_id, "cqpm_document": m.cqpm_document_id,
                 "rncp_source": m.rncp_source, "cqpm_source": m.cqpm_source, "method": m.method,
                 "score": round(m.score, 3), "cqpm_number_source": m.number_source}
                for m in members
            ],
        })
    out.sort(key=lambda e: (e["rncp"], e["cqpm"] or "", e["rncp_source"], e["cqpm_source"]))
    return out
