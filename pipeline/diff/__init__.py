"""Version diffs: match two versions of a document by content, list what changed, render reports.

``structured.diff_documents(old, new)`` compares two frozen ``Document`` records and returns frozen
``Change`` records (``changes.py``); ``compare.compare`` resolves/ingests the two references, diffs
them and stores the run (``pipeline.load.diff_store``); ``render_json``, ``render_md`` and
``render_html`` turn a ``DiffReport`` into the three report formats.
"""
