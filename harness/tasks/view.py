"""The tasks behind `harness tasks list/show/new`: which match, one task with its source, and
the scaffold for a new one. The tables and panels are drawn in harness/cli/tasks.py."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from harness.errors import TaskError
from harness.tasks.load import (
    NAME_RE,
    Task,
    TaskDirs,
    as_sources,
    find_located_task,
    load_located_tasks,
)
from harness.tasks.sources import BUILTIN, TaskSource, new_task_dir
from harness.tasks.suites import suite_tasks

DIFFICULTY_ORDER = {"easy": 0, "medium": 1, "hard": 2}


def list_tasks(tasks_dir: TaskDirs, tags: tuple[str, ...], difficulty: str | None,
               suite: str | None = None) -> list[tuple[Task, TaskSource]]:
    """The matching tasks with the source each came from (with several sources, which folder
    a task is read from is not obvious), easiest first, then by name. With `suite`, exactly
    the tasks `harness run --suite` would run (the `builtin` suite reads the built-in folder
    even where a local task shadows one of its names)."""
    located = load_located_tasks(tasks_dir) if suite is None else _suite_rows(suite, tasks_dir)
    rows = [(t, source) for t, source in located
            if (not tags or set(tags) & set(t.tags))
            and (difficulty is None or t.difficulty == difficulty)]
    rows.sort(key=lambda row: (DIFFICULTY_ORDER.get(row[0].difficulty, 9), row[0].name))
    return rows


def _suite_rows(suite: str, tasks_dir: TaskDirs) -> list[tuple[Task, TaskSource]]:
    """The suite's tasks, each with the searched source its folder sits in (else built-in)."""
    by_folder = {source.path.resolve(): source for source in as_sources(tasks_dir)}
    return [(t, by_folder.get(t.path.parent.resolve(), TaskSource(BUILTIN, t.path.parent)))
            for t in suite_tasks(suite, tasks_dir)]


def task_record(task: Task, source: TaskSource) -> dict[str, Any]:
    """One line of `harness tasks list --json`."""
    return {"name": task.name, "difficulty": task.difficulty, "tags": list(task.tags),
            "tests": len(task.test_names), "hash": task.hash,
            "source": source.label, "path": str(task.path)}


def show_task(tasks_dir: TaskDirs, name: str) -> tuple[Task, TaskSource]:
    """Task `name` and the source it is read from."""
    return find_located_task(tasks_dir, name)


TOML_TEMPLATE = '''entry_point = "{name}"
description = """
Describe exactly what {name} returns, including empty input and other edge cases.
"""
signature = "def {name}(xs: list[int]) -> int"
examples = ["{name}([1, 2, 3]) == 6"]
tags = ["lists"]
difficulty = "easy"
timeout_s = 2
hints = ["Name the trap a reviewer would point out."]
'''

TESTS_TEMPLATE = '''from solution import {name}


def test_example():
    assert {name}([1, 2, 3]) == 6


def test_empty():
    assert {name}([]) == 0


def test_negative():
    assert {name}([-1, 1, -2]) == -2
'''

SOLUTION_TEMPLATE = '''def {name}(xs: list[int]) -> int:
    return sum(xs)
'''


def new_task(tasks_dir: Path | Sequence[TaskSource] | None, name: str) -> Path:
    """Scaffold task `name` where `new_task_dir` says (the given folder, else ./tasks): never
    inside the installed package's built-in tasks."""
    if not NAME_RE.match(name):
        raise TaskError(f"task name '{name}' must be lowercase letters, digits and underscores")
    folder = new_task_dir(tasks_dir) / name
    if folder.exists():
        raise TaskError(f"{folder}: already exists; refusing to overwrite")
    folder.mkdir(parents=True)
    for file, template in (("task.toml", TOML_TEMPLATE), ("tests.py", TESTS_TEMPLATE),
                           ("solution.py", SOLUTION_TEMPLATE)):
        (folder / file).write_text(template.format(name=name), encoding="utf-8")
    return folder
