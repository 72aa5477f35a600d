"""The public leaderboard: publish finished runs as plain files, verify them, render a static site.

`publish` turns a finished run in the SQLite store into `results/<run-id>/run.json`
(provenance and the scores it claims) and `samples.jsonl` (one graded sample per
line). `check` recomputes every claimed score from the samples, so a results
repository can be reviewed like code: a hand-edited number fails CI. `build`
renders the verified results as a static site that works from `file://`.

Modules: `records` (file formats), `scores` (the one place scores are computed),
`publish`, `check`, `suites` (the task set a run covered, hashed: one board per suite),
`compare` (two runs task by task), `svg` (charts), `build` (site, JSON, CSV).
"""

from __future__ import annotations

SCHEMA = "harness-leaderboard/2"
"""Format tag of run.json; bump when a field changes meaning."""
