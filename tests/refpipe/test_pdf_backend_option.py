"""``--pdf-backend`` on the commands that read PDFs, and REFPIPE_PDF_BACKEND: the choice reaches the reader."""

from __future__ import annotations

import os

import pytest
import typer
from typer.testing import CliRunner

from refpipe.app import PdfBackend, use_pdf_backend
from refpipe.cli import app


@pytest.mark.parametrize("command", ["ingest", "diff", "serve"])
def test_commands_that_read_pdfs_offer_the_backend(command: str) -> None:
    result = CliRunner().invoke(app, [command, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0 and "--pdf-backend" in result.output and "pdfplumber" in result.output


def test_the_option_sets_the_environment_the_extraction_processes_inherit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REFPIPE_PDF_BACKEND", "pdfium")  # restored (unset) after the test
    use_pdf_backend(PdfBackend.PDFPLUMBER)
    assert os.environ["REFPIPE_PDF_BACKEND"] == "pdfplumber"
    from pipeline.extract.pdf import pdf_backend

    assert pdf_backend() == "pdfplumber"
    monkeypatch.setenv("REFPIPE_PDF_BACKEND", "mupdf")
    with pytest.raises(typer.Exit):  # a bad value in the environment is a usage error, before any work
        use_pdf_backend(None)
