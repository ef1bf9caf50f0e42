"""Make a corpus of N distinct PDFs from the project's fixtures, for the scale benchmarks (not a test).

    .venv/bin/python benchmarks/build_corpus.py N OUT_DIR

File i is fixture ``i % 15`` (the 15 PDFs of ``tests/fixtures/pdf`` and ``tests/fixtures/versions``: CQPM
référentiels and RNCP fiches, portrait grids and landscape rules, 4-6 pages each) with an *incremental
update* appended: a new document information dictionary (``/Title``, ``/Subject`` naming the variant,
``/CreationDate``), a one-entry xref section and a trailer whose ``/Prev`` points at the original xref.
That is how a PDF editor saves a metadata change, so every file stays a valid PDF that parses to the
same document as its fixture, while its bytes, hence its sha256, are new.  A document is its content
(its id hashes its canonical JSON), so the variants of one fixture are *sources* of one document, not
versions: N files are N sources of the 8 documents of the 15 fixtures (some fixtures are one référentiel in
two layouts).  Every file is still read, extracted and parsed by an ingest; the load of a known content
only records one more source.  ``bench_links.py`` needs N documents and changes their content itself.

Files are named ``{i:05d}_{fixture}.pdf``, so the discovery order interleaves the fixtures.  Building
1,000 files takes well under a second.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = sorted((ROOT / "tests/fixtures/pdf").glob("*.pdf")) + sorted(
    (ROOT / "tests/fixtures/versions").glob("*/*.pdf"))

_STARTXREF = re.compile(rb"startxref\s+(\d+)\s+%%EOF\s*$")
_TRAILER = re.compile(rb"trailer\s*<<(.*?)>>\s*startxref", re.S)


def variant(data: bytes, i: int) -> bytes:
    """``data`` (a PDF with a classic xref table) with an incremental update that sets a new Info dict."""
    end = _STARTXREF.search(data[-64:])
    trailers = _TRAILER.findall(data)
    if end is None or not trailers:
        raise ValueError("not a PDF with a classic trailer")
    prev = int(end.group(1))
    trailer = trailers[-1]
    size = int(re.search(rb"/Size\s+(\d+)", trailer).group(1))  # type: ignore[union-attr]
    root = re.search(rb"/Root\s+(\d+\s+\d+\s+R)", trailer).group(1)  # type: ignore[union-attr]
    ident = re.search(rb"/ID\s*(\[[^\]]*\])", trailer)
    out = bytearray(data if data.endswith(b"\n") else data + b"\n")
    info_at = len(out)
    out += (f"{size} 0 obj\n<< /Title (refpipe benchmark variant {i}) /Subject (variant {i} of a test fixture) "
            f"/Producer (refpipe benchmarks/build_corpus.py) /CreationDate (D:2024{1 + i % 12:02d}01000000Z) "
            f">>\nendobj\n").encode("ascii")
    xref_at = len(out)
    out += f"xref\n{size} 1\n{info_at:010d} 00000 n \n".encode("ascii")
    out += (f"trailer\n<< /Size {size + 1} /Root ".encode("ascii") + root
            + f" /Info {size} 0 R /Prev {prev} ".encode("ascii") + (b"/ID " + ident.group(1) if ident else b"")
            + f" >>\nstartxref\n{xref_at}\n%%EOF\n".encode("ascii"))
    return bytes(out)


def build(n: int, out_dir: Path, fixtures: list[Path] | None = None) -> list[Path]:
    """Write ``n`` distinct PDFs into ``out_dir`` (created); their paths, in discovery order."""
    fixtures = fixtures or FIXTURES
    sources = [p.read_bytes() for p in fixtures]
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        k = i % len(fixtures)
        name = fixtures[k].name if fixtures[k].parent.name == "pdf" else f"{fixtures[k].parent.name}.{fixtures[k].name}"
        path = out_dir / f"{i:05d}_{name}"
        path.write_bytes(variant(sources[k], i))
        paths.append(path)
    return paths


def main(argv: list[str]) -> int:
    if len(argv) != 2 or not argv[0].isdigit():
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    paths = build(int(argv[0]), Path(argv[1]))
    print(f"{len(paths)} PDFs in {argv[1]} ({sum(p.stat().st_size for p in paths) / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
