"""Which files an ingestion batch takes from the folders it is given."""

from __future__ import annotations

import shutil
from pathlib import Path

from golden import FIXTURES

from pipeline.runtime.batch import discover


def test_a_saved_pages_companion_folder_is_not_ingested(tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "rncp-page" / "RNCP34917.html", tmp_path / "fiche.html")
    (tmp_path / "fiche_files").mkdir()
    (tmp_path / "fiche_files" / "style.css").write_text("body { margin: 0 }", "utf-8")
    (tmp_path / "notes_files").mkdir()  # no notes.html beside it: an ordinary folder
    (tmp_path / "notes_files" / "a.txt").write_text("texte", "utf-8")
    assert [Path(f.path).relative_to(tmp_path).as_posix() for f in discover([tmp_path])] == [
        "fiche.html", "notes_files/a.txt"]
