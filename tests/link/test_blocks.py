"""block_map: a newer-layout référentiel's blocs paired with its RNCP fiche's RNCPnnnnnBCnn blocs, in the
linker (pure) and through the warehouse (links recompute, ``refpipe links --json``'s shape)."""

from __future__ import annotations

from pathlib import Path

from golden import FIXTURES

from pipeline.link.evidence import assess
from pipeline.link.render import contract_links
from pipeline.load import warehouse as wh
from pipeline.normalize.document import normalize_document
from pipeline.parse import extract_document
from pipeline.query.read import read_links
from pipeline.records import (
    CodedText,
    Document,
    History,
    Kind,
    Provenance,
    Registration,
    RncpBlock,
    RncpFiche,
    Source,
)
from pipeline.runtime import links as links_store

NEW = FIXTURES / "new-layout"
_AT = Provenance(page=None, order=0)


def fiche(code: str, number: str, capacities: list[str], blocks: list[tuple[str, tuple[str, ...]]]) -> Document:
    """A synthetic 2017-print RNCP fiche (no bloc codes printed: RNCP<code>BC<nn> is their code)."""
    caps = tuple(CodedText(f"C{k}", text, _AT) for k, text in enumerate(capacities, start=1))
    rncp = RncpFiche(code=code, title="CQP : Certificat de qualification professionnelle (CQPM)", certifiers=(),
                     conventions=(), nsf=(), formacodes=(), activities=(), capacities=caps, jobs=(), rome=(),
                     blocks=tuple(RncpBlock(k, title, members, _AT) for k, (title, members) in enumerate(blocks, 1)),
                     validity=None, new_caledonia=None, french_polynesia=None, registration=Registration(),
                     awards_per_year=None, history=History(cqpm_number=number))
    source = Source(path=f"{code}.txt", sha256=(code.encode().hex() * 8)[:64], format="text", pages=None, size=0)
    return Document(source=source, kind=Kind.RNCP, rncp=rncp)


# the fiche of nlx02 (no bloc code printed on either side): blocs are paired by the capacities they hold
CND = fiche("RNCP36999", "0333", [
    "Préparer un contrôle non destructif d'après la gamme de contrôle",
    "Régler l'appareil à ultrasons",
    "Régler l'appareil à courants de Foucault",
    "Réaliser un contrôle par ressuage ou par magnétoscopie",
    "Rédiger un procès-verbal de contrôle",
], [("Préparer les contrôles", ("C1", "C2", "C3")), ("Contrôler et rendre compte", ("C4", "C5"))])


def test_blocs_pair_by_the_capacities_they_hold() -> None:
    ref = extract_document(NEW / "nlx02_controle-non-destructif.merged-results.txt")
    link = assess(CND, ref)
    assert link is not None and link.method == "history"
    assert [(c.rncp_code, c.cqpm_number) for c in link.capacity_map] == [
        ("C1", 1), ("C2", 2), ("C3", 3), ("C4", 4), ("C5", 5)]
    assert [(b.rncp_block, b.cqpm_block, b.score) for b in link.block_map] == [
        ("RNCP36999BC01", 1, 1.0), ("RNCP36999BC02", 2, 1.0)]


def test_a_printed_bloc_code_decides() -> None:
    ref = extract_document(NEW / "nlx01_soudeur-chaudronnerie.grid.txt")
    other = fiche("RNCP37001", "0412", ["Souder", "Lire un plan"], [("Bloc B", ("C1",)), ("Bloc A", ("C2",))])
    link = assess(other, ref)
    assert link is not None
    assert [(b.rncp_block, b.cqpm_block) for b in link.block_map] == [("RNCP37001BC01", 1), ("RNCP37001BC02", 2)]


def test_old_layout_links_carry_no_block_map() -> None:
    ref = extract_document(NEW / "nlx02_controle-non-destructif.v1-old-layout.txt")
    link = assess(CND, ref)
    assert link is not None and link.block_map == ()
    assert "block_map" not in contract_links([link])[0]


def test_the_block_map_is_stored_and_listed(tmp_path: Path) -> None:
    con = wh.connect(tmp_path / "w.duckdb")
    try:
        ref = normalize_document(extract_document(NEW / "nlx02_controle-non-destructif.merged-results.txt"))
        for doc in (CND, ref):
            wh.load(doc, con)
        links_store.recompute(con)
        (entry,) = contract_links(read_links(con))
    finally:
        con.close()
    assert (entry["rncp"], entry["cqpm"]) == ("RNCP36999", "0333")
    assert entry["block_map"] == [{"rncp": "RNCP36999BC01", "cqpm": 1, "score": 1.0},
                                  {"rncp": "RNCP36999BC02", "cqpm": 2, "score": 1.0}]
