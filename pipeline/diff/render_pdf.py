"""The PDF report: the HTML report printed by headless Chromium (``--print-to-pdf``).

Why Chromium and not WeasyPrint: the HTML report is written for, and checked in, Chromium (the e2e
tests open it there and look at screenshots), so printing it with the same engine gives the PDF the
reader has already seen, with the print CSS (A4, margins, no break inside a change, colours kept)
it was tested with; Debian's chromium is already what the project installs for those tests
(``scripts/ensure_chromium.sh``).  WeasyPrint would add a second CSS engine with its own layout
differences (and a Pango system dependency) for the same page.  The cost is a browser process per
report (a second or two): fine for a report a person asks for.

The HTML is written to a private temporary folder and printed from there (a ``file://`` page with no
network resource: the report has none); Chromium runs with a throw-away profile, no sandbox (it
runs as root in containers), no GPU, and a time limit.  ``REFPIPE_CHROMIUM`` names another binary.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from pipeline.errors import PipelineError

#: seconds Chromium may take to print one report
TIMEOUT = 120
NO_CHROMIUM = ("--format pdf needs Chromium to print the report and none was found: install it "
               "(scripts/ensure_chromium.sh, or apt-get install chromium) or set REFPIPE_CHROMIUM; "
               "--format html gives the same report to print from a browser")
_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


class ReportError(PipelineError):
    """A report could not be produced (no browser to print a PDF, or the browser failed)."""


def find_chromium() -> str | None:
    """The Chromium binary to print with: ``REFPIPE_CHROMIUM``, else Debian's, else one on the PATH."""
    named = os.environ.get("REFPIPE_CHROMIUM")
    if named:
        return named if Path(named).is_file() or shutil.which(named) else None
    if Path("/usr/bin/chromium").is_file():
        return "/usr/bin/chromium"
    return next((found for name in _CANDIDATES if (found := shutil.which(name))), None)


def html_to_pdf(html: str, chromium: str | None = None) -> bytes:
    """The PDF of an HTML page, printed by headless Chromium (A4 and margins come from the page's CSS)."""
    binary = chromium or find_chromium()
    if binary is None:
        raise ReportError(NO_CHROMIUM)
    with tempfile.TemporaryDirectory(prefix="refpipe-pdf-") as tmp:
        page, pdf = Path(tmp) / "rapport.html", Path(tmp) / "rapport.pdf"
        page.write_text(html, encoding="utf-8")
        cmd = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--no-pdf-header-footer", f"--user-data-dir={Path(tmp) / 'profile'}", f"--print-to-pdf={pdf}",
               page.as_uri()]
        try:
            result = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT, check=False)
        except subprocess.TimeoutExpired as exc:
            raise ReportError(f"Chromium did not print the report within {TIMEOUT} s") from exc
        except OSError as exc:
            raise ReportError(f"cannot run Chromium ({binary}): {exc}") from exc
        if result.returncode != 0 or not pdf.is_file() or pdf.stat().st_size == 0:
            tail = (result.stderr or "").strip().splitlines()[-3:]
            raise ReportError(f"Chromium could not print the report (exit {result.returncode}): "
                              + " / ".join(tail))
        return pdf.read_bytes()
