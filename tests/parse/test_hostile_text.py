"""Text that a hostile or careless source can hold: very long capacity tables, control and separator
characters inside a table row, bidi overrides (issue 17).  Synthetic référentiels in the seeds' structure."""

from __future__ import annotations

import hashlib

import pytest

from pipeline.extract.text import extract_text
from pipeline.normalize.document import normalize_document
from pipeline.parse import parse
from pipeline.records import CqpmDocument, Document, Source

HEADER = "Capacités professionnelles\tConditions de réalisation\tCritères observables\tModalités d'évaluation"


def referentiel(rows: list[str]) -> bytes:
    lines = ["REFERENTIEL DU CQPM", "", "TITRE DU CQPM : **Opérateur (trice) de démonstration**", "",
             "I OBJECTIF PROFESSIONNEL DU CQPM", "", "L'opérateur prépare des pièces d'essai.", "",
             "II REFERENTIEL DE CERTIFICATION", "", HEADER, *rows, "",
             "III MODALITES D'EVALUATION", "", "a) Observation en situation de travail"]
    return "\n".join(lines).encode("utf-8")


def row(n: int, criterion: str = "Le résultat est conforme") -> str:
    return f"{n}. Réaliser l'opération d'essai {n}\tÀ partir d'une consigne\t<p>{criterion}</p>\tObservation"


def document(data: bytes) -> Document:
    source = Source(path="synthetic.txt", sha256=hashlib.sha256(data).hexdigest(), format="text", pages=None,
                    size=len(data))
    return normalize_document(parse(extract_text(source.path, data, source)))  # type: ignore[arg-type]


def capacities(doc: Document) -> list[tuple[int, str, tuple[str, ...]]]:
    assert isinstance(doc.cqpm, CqpmDocument), doc.reasons
    return [(c.number, c.title, tuple(i.text for i in c.criteria)) for c in doc.cqpm.capacities]


def test_a_150_row_table_keeps_every_capacity_with_its_own_number() -> None:
    got = capacities(document(referentiel([row(n) for n in range(1, 151)])))
    assert [n for n, _, _ in got] == list(range(1, 151))
    assert all(criteria == ("Le résultat est conforme",) for _, _, criteria in got)  # none swallowed by 99
    assert got[149][1] == "Réaliser l'opération d'essai 150"


@pytest.mark.parametrize("char", ["\x0b", "\x0c", "\x1c", "\x85", "\u2028", "\u2029", "\x1b", "\x9b", "\x07"])
def test_a_control_or_separator_in_a_row_keeps_every_capacity_and_is_not_stored(char: str) -> None:
    rows = [row(n) for n in range(1, 9)]
    rows[3] = row(4, f"Le résultat{char}est conforme")
    doc = document(referentiel(rows))
    got = capacities(doc)
    assert [n for n, _, _ in got] == list(range(1, 9))
    assert got[3][2] == ("Le résultat est conforme",)
    assert doc.status.value == "loaded"


@pytest.mark.parametrize("char", ["\u202e", "\u2066", "\u2069", "\u200f", "\x9b"])
def test_bidi_overrides_and_c1_controls_are_not_stored(char: str) -> None:
    rows = [row(n) for n in range(1, 4)]
    rows[1] = row(2, f"Le résultat {char}est conforme")
    got = capacities(document(referentiel(rows)))
    assert got[1][2] == ("Le résultat est conforme",)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"])
def test_a_utf16_text_with_its_byte_order_mark_reads_like_utf8(encoding: str) -> None:
    """Notepad's "Unicode" is UTF-16 with a byte-order mark: every other byte of French text is NUL, which
    made it "binary file (NUL bytes)".  UTF-32 too (its little-endian mark starts with UTF-16's: it was
    read as UTF-16 and ended "not a CQPM référentiel")."""
    from pipeline.extract.sniff import sniff_format

    utf8 = referentiel([row(1), row(2, "Les cotes relevées sont justes")])
    text = utf8.decode("utf-8")
    data = text.encode(encoding) if encoding == "utf-16" else "\ufeff".encode(encoding) + text.encode(encoding)
    assert sniff_format(data, "notepad.txt") == "text"
    doc = document(data)
    assert capacities(doc) == capacities(document(utf8))
    assert doc.cqpm is not None and doc.cqpm.title == "Opérateur (trice) de démonstration"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-32"])
def test_a_cut_utf16_or_utf32_text_is_rejected_saying_so(encoding: str) -> None:
    """A UTF-16 file of an odd number of bytes (cut) was rejected as "NUL byte at byte 1, line 1"."""
    from pipeline.errors import RejectedInput
    from pipeline.extract.sniff import sniff_format

    data = referentiel([row(1)]).decode("utf-8").encode(encoding)[:-1]
    name = encoding.upper()
    with pytest.raises(RejectedInput, match=rf"{name} text \(byte-order mark\) of {len(data)} bytes, not a whole "
                                            "number of .*: the file is cut or damaged"):
        sniff_format(data, "cut.txt")
    with pytest.raises(RejectedInput, match=f"{name} text .* cut or damaged"):
        document(data)


def test_a_nul_byte_in_a_text_is_rejected_naming_its_line() -> None:
    from pipeline.errors import RejectedInput
    from pipeline.extract.sniff import sniff_format

    data = referentiel([row(1)]).replace("prépare".encode(), b"pr\x00pare")
    with pytest.raises(RejectedInput, match=r"binary file \(NUL byte at byte \d+, line 7\)"):
        sniff_format(data, "damaged.txt")
