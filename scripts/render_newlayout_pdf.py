"""Render a synthetic newer-layout text fixture (tests/fixtures/new-layout/nlx*.txt) as a PDF with LibreOffice.

    python scripts/render_newlayout_pdf.py tests/fixtures/new-layout/nlx03_traitement-surface.modalites-5th.txt

Writes ``<stem>.lo-html.pdf`` beside the text: every line becomes a paragraph, tab-separated rows a bordered
table (one checkbox item per line in a cell), through ``soffice --headless --convert-to pdf``.  Used once to
make the PDF fixtures; LibreOffice is not a dependency of refpipe.
"""

from __future__ import annotations

import html
import subprocess
import sys
import tempfile
from pathlib import Path


def _cell(raw: str) -> str:
    raw = raw.replace("**", "").replace("</p> ☐", "</p><p>☐").replace(" ☐ ", "</p><p>☐ ")
    if "☐" in raw and not raw.startswith("<p>"):
        raw = f"<p>{raw}</p>"
    return raw


def to_html(text: str) -> str:
    body: list[str] = []
    rows: list[str] = []

    def flush() -> None:
        if rows:
            body.append('<table border="1" cellspacing="0" cellpadding="4" width="100%">' + "".join(rows) + "</table>")
            rows.clear()

    for line in text.splitlines():
        if "\t" in line:
            rows.append("<tr>" + "".join(f'<td valign="top">{_cell(c)}</td>' for c in line.split("\t")) + "</tr>")
            continue
        if not line.strip():
            continue
        flush()
        stripped = line.strip()
        if stripped.startswith("- "):
            body.append(f"<p>– {html.escape(stripped[2:])}</p>")
        elif stripped.startswith("**") and stripped.endswith("**"):
            body.append(f"<p><b>{html.escape(stripped.strip('*'))}</b></p>")
        else:
            body.append(f"<p>{html.escape(stripped.replace('**', ''))}</p>")
    flush()
    style = 'body{font-family:"DejaVu Sans";font-size:9pt} td p{margin:0}'
    return f'<html><head><meta charset="utf-8"><style>{style}</style></head><body>' + "\n".join(body) + "</body></html>"


def render(source: Path) -> Path:
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / f"{source.stem}.lo-html.html"
        page.write_text(to_html(source.read_text(encoding="utf-8")), encoding="utf-8")
        subprocess.run(["soffice", "--headless", "--convert-to", "pdf:writer_web_pdf_Export", "--outdir",
                        str(source.parent), str(page)], check=True, capture_output=True, timeout=300)
    return source.with_name(f"{source.stem}.lo-html.pdf")


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        print(render(Path(arg)))
