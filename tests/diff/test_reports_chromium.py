"""The meeting reports as a user makes them (``refpipe diff … --format html|pdf|docx``) on a real pair,
checked where a reader sees them: Chromium screenshots of the side-by-side and redline views (deleted
words red on the old side, inserted words green on the new side), the printed PDF (its text, and a
rendered page with both colours), the Word file (its tracked changes, read back with python-docx).

Set ``REPORT_SHOTS_DIR=DIR`` to keep the screenshots and rendered pages for a look.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from pathlib import Path

import docx
import pdfplumber
import pypdfium2
import pytest
from browser import REFPIPE, chromium_binary, run_chromium
from pairs import PAIRS, expected
from PIL import Image

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def chromium() -> str:
    return chromium_binary()

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
PAIR = next(p for p in PAIRS if p.name.startswith("001"))


def _keep(path: Path) -> None:
    if shots := os.environ.get("REPORT_SHOTS_DIR"):
        Path(shots).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(shots) / path.name)


@pytest.fixture(scope="module")
def refpipe_diff(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """``refpipe diff v1.pdf v2.pdf --format F [--view V] --output …`` on one warehouse (ingested once)."""
    exp = expected(PAIR)
    work = tmp_path_factory.mktemp("reports")

    def run(fmt: str, view: str | None, name: str) -> Path:
        out = work / name
        cmd = [str(REFPIPE), "diff", str(PAIR / exp["v1"]), str(PAIR / exp["v2"]), "--format", fmt,
               "--output", str(out), "--warehouse", str(work / "w.duckdb")]
        result = subprocess.run(cmd + (["--view", view] if view else []), capture_output=True, text=True,
                                timeout=300)
        assert result.returncode == 0, result.stderr
        assert "7 change(s)" in result.stdout
        _keep(out)
        return out

    return run


def _shot(chromium: str, page: Path, out: Path, profile: Path) -> Image.Image:
    run_chromium(chromium, profile, "--hide-scrollbars", "--window-size=1100,2400", f"--screenshot={out}",
                 page.as_uri())
    _keep(out)
    return Image.open(out).convert("RGB")


def _is_red(p: tuple[int, int, int]) -> bool:  # the deleted words: dark red text or pale red background
    r, g, b = p
    return (r > 140 and g < 60 and b < 60) or (r > 245 and 205 < g < 235 and 205 < b < 235)


def _is_green(p: tuple[int, int, int]) -> bool:  # the inserted words: dark green text or pale green background
    r, g, b = p
    return (g > 70 and r < 40 and b < 40) or (200 < r < 230 and g > 240 and 200 < b < 230)


def _where(image: Image.Image, test) -> list[int]:  # type: ignore[no-untyped-def]
    """x of every pixel passing ``test`` (sampled every 2 pixels)."""
    w, h = image.size
    px = image.load()
    return [x for y in range(0, h, 2) for x in range(0, w, 2) if test(px[x, y])]


def test_side_by_side_screenshot_red_old_column_green_new_column(chromium: str, refpipe_diff,  # type: ignore[no-untyped-def]
                                                                  tmp_path: Path) -> None:
    page = refpipe_diff("html", "side-by-side", "cote-a-cote.html")
    html = page.read_text(encoding="utf-8")
    assert '<table class="sbs">' in html and "<footer>" in html
    image = _shot(chromium, page, tmp_path / "cote-a-cote.png", tmp_path / "profile")
    # the legend shows both colours at the top; below it, red stays left and green right of the middle
    legend_bottom = 520
    body = image.crop((0, legend_bottom, image.width, image.height))
    red, green = _where(body, _is_red), _where(body, _is_green)
    assert len(red) > 500 and len(green) > 500, (len(red), len(green))
    middle = image.width // 2
    assert sum(x < middle for x in red) / len(red) > 0.9
    assert sum(x > middle for x in green) / len(green) > 0.9


def test_redline_screenshot_marks_both_inline(chromium: str, refpipe_diff, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page = refpipe_diff("html", "redline", "texte-integral.html")
    dom = run_chromium(chromium, tmp_path / "profile", "--dump-dom", page.as_uri()).stdout
    assert "Texte intégral de la nouvelle version" in dom
    assert "<ins>conformes</ins>" in dom and "<del>cohérentes</del>" in dom
    image = _shot(chromium, page, tmp_path / "texte-integral.png", tmp_path / "profile")
    red, green = _where(image, _is_red), _where(image, _is_green)
    assert len(red) > 500 and len(green) > 200, (len(red), len(green))


def test_pdf_report_prints_the_changes_and_their_colours(refpipe_diff, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    pdf = refpipe_diff("pdf", "side-by-side", "rapport.pdf")
    assert pdf.read_bytes().startswith(b"%PDF-")
    def flat(page: pdfplumber.page.Page) -> str:
        return " ".join((page.extract_text() or "").split())

    with pdfplumber.open(pdf) as doc:
        pages = [flat(p) for p in doc.pages]
        left = " ".join(flat(p.crop((0, 0, p.width / 2, p.height))) for p in doc.pages)
        right = " ".join(flat(p.crop((p.width / 2, 0, p.width, p.height))) for p in doc.pages)
        size = (doc.pages[0].width, doc.pages[0].height)
    assert abs(size[0] - 595) < 2 and abs(size[1] - 842) < 2  # A4
    text = " ".join(pages)
    for words in ("Comparaison de deux versions — vue côte à côte", "7 changement(s)", "Ancienne version",
                  "Nouvelle version", "Rapport généré le", "Sources", "fb8c0ec28d0a…", "2aa15535b81e…"):
        assert words in text, words
    assert "identifiées sont cohérentes avec la politique" in left and "conformes" not in left
    assert "identifiées sont conformes avec la politique" in right and "cohérentes" not in right
    rendered = pypdfium2.PdfDocument(pdf)
    colours = {"red": 0, "green": 0}
    for k in range(len(rendered)):
        image = rendered[k].render(scale=1.5).to_pil().convert("RGB")
        if k == 1:
            image.save(tmp_path / "rapport-page-2.png")
            _keep(tmp_path / "rapport-page-2.png")
        colours["red"] += len(_where(image, _is_red))
        colours["green"] += len(_where(image, _is_green))
    assert colours["red"] > 500 and colours["green"] > 500, colours


def test_docx_report_opens_with_word_tracked_changes(refpipe_diff) -> None:  # type: ignore[no-untyped-def]
    path = refpipe_diff("docx", None, "rapport.docx")
    document = docx.Document(io.BytesIO(path.read_bytes()))
    body = document.element.body
    ins = [t.text for el in body.iter(f"{W}ins") for t in el.iter(f"{W}t")]
    dels = [t.text for el in body.iter(f"{W}del") for t in el.iter(f"{W}delText")]
    assert "conformes" in ins and "cohérentes" in dels
    assert any((t or "").startswith("Capacité 9. Animer une réunion de suivi") for t in ins)
    assert any((t or "").startswith("Les éléments tiennent compte, au minimum") for t in dels)
    assert "Généré le" in document.sections[0].footer.paragraphs[0].text


def test_docx_report_opens_in_an_office_suite_with_its_changes_shown(refpipe_diff, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """LibreOffice (when installed: it is not a dependency) opens the file and prints the tracked changes."""
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("LibreOffice is not installed (apt-get install libreoffice-writer-nogui)")
    path = refpipe_diff("docx", None, "rapport-lo.docx")
    profile = f"-env:UserInstallation={(tmp_path / 'lo').as_uri()}"
    result = subprocess.run([soffice, "--headless", "--norestore", profile, "--convert-to", "pdf", "--outdir",
                             str(tmp_path), str(path)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    with pdfplumber.open(tmp_path / "rapport-lo.pdf") as doc:
        text = " ".join(" ".join((p.extract_text() or "").split()) for p in doc.pages)
    for words in ("Comparaison de deux versions", "Texte intégral de la nouvelle version",
                  "Animer une réunion de suivi", "cohérentes", "conformes", "Généré le"):
        assert words in text, words
