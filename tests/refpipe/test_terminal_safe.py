"""What refpipe prints never drives the terminal: control and bidi characters of a stored value (a file
name) are shown escaped, JSON carries them as JSON escapes (issue 17)."""

from __future__ import annotations

import io
import json
from pathlib import Path

from typer.testing import CliRunner

from pipeline.load import warehouse as wh
from pipeline.normalize.text import json_safe, terminal_safe
from pipeline.records import Source
from refpipe.app import SafeConsole
from refpipe.cli import app

HOSTILE = "facture\u202etxt.exe\x1b[2J\x9b31m.pdf"


def test_terminal_safe_escapes_controls_and_bidi_and_keeps_layout() -> None:
    assert terminal_safe(HOSTILE) == "facture\\u202etxt.exe\\x1b[2J\\x9b31m.pdf"
    assert terminal_safe("a\tb\nc") == "a\tb\nc"
    assert json.loads(json_safe(json.dumps(HOSTILE, ensure_ascii=False))) == HOSTILE


def test_the_console_escapes_the_text_it_is_given_but_not_its_own_styles() -> None:
    buffer = io.StringIO()
    console = SafeConsole(file=buffer, force_terminal=True, color_system="standard", width=200)
    console.print(f"[bold]{HOSTILE}[/]")
    printed = buffer.getvalue()
    assert "\u202e" not in printed and "\x9b" not in printed and "\x1b[2J" not in printed
    assert "\\u202e" in printed and "\x1b[1m" in printed  # rich's own bold sequence goes through


def test_status_prints_a_hostile_file_name_escaped(tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    con = wh.connect(warehouse)
    wh.record_rejection(Source(path=f"/inbox/{HOSTILE}", sha256="ab" * 32, format="unread", pages=None, size=0),
                        "not a regular file: a named pipe (FIFO)", con)
    con.close()
    for args in (["status", "-w", str(warehouse)], ["status", "-w", str(warehouse), "--json"]):
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0, result.output
        assert "\u202e" not in result.output and "\x1b" not in result.output and "\x9b" not in result.output
        assert "named pipe" in result.output
