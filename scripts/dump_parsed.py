"""Developer aid: parse files without a warehouse and write their contract JSON, for score.py docs.

    .venv/bin/python scripts/dump_parsed.py OUT_DIR FILE... [--name-from-gold GOLD_DIR]

Each output is named after the file's stem (``000_8d1bcbb53b7e0a76.json`` for
``raw/000_8d1bcbb53b7e0a76.txt``) so that ``python3 ../shared/tools/score.py docs GOLD OUT -v`` pairs it
with its gold.  For PDFs named ``<stem>.<style>.pdf`` the output is ``<stem>.<style>.gold.json``'s name.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from pipeline.contract import document_to_json
from pipeline.errors import PipelineError
from pipeline.parse import extract_document


def main(argv: list[str]) -> int:
    out = Path(argv[0])
    out.mkdir(parents=True, exist_ok=True)
    for name in argv[1:]:
        path = Path(name)
        target = out / (path.stem + (".gold.json" if path.suffix == ".pdf" else ".json"))
        try:
            doc = extract_document(path)
        except PipelineError as exc:
            print(f"rejected: {exc}")
            continue
        target.write_text(json.dumps(document_to_json(doc), ensure_ascii=False, indent=1), encoding="utf-8")
        print(f"{path} -> {target} ({doc.status.value}{': ' + '; '.join(doc.reasons) if doc.reasons else ''})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
