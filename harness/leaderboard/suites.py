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

from harness.leaderboard.check import VerifiedRun

BUILTIN = "builtin"
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
def builtin_suite_hash() -> str | None:
    """The suite hash of every task shipped with harness (None when this install has none).

    Cached: the tasks are read and hashed once per process.
    """
    from harness.resources import builtin_tasks_dir
    from harness.tasks.suites import suite_tasks

    if builtin_tasks_dir() is None:
        return None
    tasks = suite_tasks(BUILTIN, ())  # the builtin suite ignores the search folders
    return suite_hash({t.name: t.hash for t in tasks}) if tasks else None


def make_suite(task_hashes: Mapping[str, str]) -> Suite:
    """The suite of these (name -> task hash) pairs, named "builtin" when it is exactly the built-in set.

    Other names carry the short hash: two ad hoc suites can share their first task names.
    """
    digest = suite_hash(task_hashes)
    tasks = tuple(sorted(task_hashes))
    if digest == builtin_suite_hash():
        return Suite(digest, BUILTIN, tasks)
    shown = ", ".join(tasks[:SHOWN_NAMES]) + ("…" if len(tasks) > SHOWN_NAMES else "")
    noun = "task" if len(tasks) == 1 else "tasks"
    return Suite(digest, f"ad hoc: {len(tasks)} {noun} ({shown}) {digest[:12]}", tasks)


def suite_of(run: VerifiedRun) -> Suite:
    """The suite a verified run covered, from its provenance.task_hashes (check ensures they match its tasks)."""
    hashes: dict[str, str] = run.run["provenance"]["task_hashes"]
    return make_suite(hashes)
