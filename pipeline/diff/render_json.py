"""The JSON report: ``{"old": …, "new": …, "summary": …, "changes": [ … ]}`` (contract "Version diffs")."""

from __future__ import annotations

import json
from typing import Any

from pipeline.diff.changes import DiffReport, Side
from pipeline.records import Change, Value


def _value(v: Value) -> Any:
    return list(v) if isinstance(v, tuple) else v


def change_json(c: Change) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": c.kind.value, "entity": c.entity.value, "key": c.key}
    if c.capacity is not None:
        out["capacity"] = c.capacity
    out.update(old=_value(c.old), new=_value(c.new), old_number=c.old_number, new_number=c.new_number,
               old_page=c.old_page, new_page=c.new_page)
    if c.detail:
        out["detail"] = {k: _value(v) for k, v in c.detail}
    return out


def side_json(s: Side) -> dict[str, Any]:
    return {"document_id": s.document_id, "key": s.key, "version": s.version,
            "valid_from": s.valid_from.isoformat() if s.valid_from else None,
            "valid_from_source": s.valid_from_source, "kind": s.kind,
            "reference": s.reference, "title": s.title, "path": s.path, "pages": s.pages}


def report_json(report: DiffReport) -> dict[str, Any]:
    return {
        "old": side_json(report.old),
        "new": side_json(report.new),
        "run_id": report.run_id,
        "summary": {"total": len(report.changes), **report.kind_counts()},
        "changes": [change_json(c) for c in report.changes],
    }


def render_json(report: DiffReport) -> str:
    return json.dumps(report_json(report), ensure_ascii=False, indent=2) + "\n"
