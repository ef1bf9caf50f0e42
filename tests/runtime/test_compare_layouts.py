"""Versions across layouts: a CQPM in the old layout (v1) and its newer-layout revision (v2), ingested and
diffed as a CPNE member reads them (synthetic fixtures tests/fixtures/new-layout/nlx02_*)."""

from __future__ import annotations

from pathlib import Path

from golden import FIXTURES

from pipeline.records import Change, ChangeKind, Entity
from pipeline.runtime.compare import compare_warehouse
from pipeline.runtime.executor import shutdown

V1 = FIXTURES / "new-layout" / "nlx02_controle-non-destructif.v1-old-layout.txt"
V2 = FIXTURES / "new-layout" / "nlx02_controle-non-destructif.merged-results.txt"
ADDED, REMOVED, CHANGED, MOVED = ChangeKind.ADDED, ChangeKind.REMOVED, ChangeKind.CHANGED, ChangeKind.MOVED


def _kinds(changes: tuple[Change, ...], entity: Entity) -> list[tuple[str, object, object]]:
    return [(c.kind.value, c.old, c.new) for c in changes if c.entity is entity]


def test_old_layout_to_newer_layout(tmp_path: Path) -> None:
    try:
        report = compare_warehouse(tmp_path / "w.duckdb", V1, V2)
    finally:
        shutdown()
    # two versions of one key (the number both print), whichever was ingested first
    assert {report.old.label, report.new.label} == {"CQPM-0333@1", "CQPM-0333@2"}
    assert (Path(report.old.path).name, Path(report.new.path).name) == (V1.name, V2.name)
    changes = report.changes
    capacities = _kinds(changes, Entity.CAPACITY)
    # a capacity that became a compétence with new wording is changed, not removed + added
    assert ("changed", "Préparer le contrôle d'une pièce à partir de la gamme de contrôle",
            "Préparer un contrôle non destructif à partir d'une gamme de contrôle") in capacities
    # one split in two: the old one removed, the two new ones added
    assert [(k, o, n) for k, o, n in capacities if k in ("removed", "added")] == [
        ("removed", "Régler les appareils de contrôle par ultrasons et par courants de Foucault", None),
        ("added", None, "Régler l'appareil de contrôle par ultrasons"),
        ("added", None, "Régler l'appareil de contrôle par courants de Foucault"),
    ]
    # renumbered by the split (moved), one of them reworded too
    assert ("moved", 3, 4) in capacities and ("moved", 4, 5) in capacities
    assert ("changed", "Rédiger le procès-verbal de contrôle et archiver les enregistrements",
            "Rédiger le procès-verbal de contrôle") in capacities
    # blocs added
    assert _kinds(changes, Entity.BLOCK) == [
        ("added", None, "La préparation des contrôles"),
        ("added", None, "La réalisation des contrôles et le compte rendu"),
    ]
    # criteria changes inside matched units, keyed by the old capacity
    criteria = [(c.kind, c.key) for c in changes if c.entity is Entity.CRITERION]
    assert criteria == [(CHANGED, "capacity 1, criterion 1"), (CHANGED, "capacity 3, criterion 2"),
                        (ADDED, "capacity 3, criterion 3"), (REMOVED, "capacity 4, criterion 2")]
    # what only the newer layout has: résultats attendus of matched compétences, the layout itself
    assert [c.kind for c in changes if c.entity is Entity.EXPECTED_RESULT] == [ADDED, ADDED, ADDED]
    fields = {c.key: (c.old, c.new) for c in changes if c.entity is Entity.FIELD and c.key != "missions"
              and c.key != "assessment_methods"}
    assert fields["layout"] == ("old", "new") and fields["environment"][0] is None
    # nothing else is reported for the split capacity's new parts (their items are in the change's detail)
    split = next(c for c in changes if c.kind is ADDED and c.entity is Entity.CAPACITY)
    assert dict(split.detail)["block"] == 1 and dict(split.detail)["expected_results"]
    assert not [c for c in changes if c.entity is not Entity.CAPACITY and c.key.startswith("capacity 2,")]
    assert MOVED in {c.kind for c in changes}
