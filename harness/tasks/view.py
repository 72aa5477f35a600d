"""Showing tasks to people: the list table, one task in full, and the scaffold for a new one."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from rich.panel import Panel
from rich.syntax import Syntax
from rich.table import Table

from harness.console import console, plain
from harness.errors import TaskError
from harness.tasks.load import (
    NAME_RE,
    Task,
    TaskDirs,
    describe_dirs,
    find_located_task,
    load_located_tasks,
)
from harness.tasks.sources import TaskSource, new_task_dir

DIFFICULTY_ORDER = {"easy": 0, "medium": 1, "hard": 2}


def list_tasks(tasks_dir: TaskDirs, tags: tuple[str, ...], difficulty: str | None,
               as_json: bool) -> list[tuple[Task, TaskSource]]:
    """Print the matching tasks (a table, or JSON lines) with the source each came from, and
    return them: with several sources, which folder a task is read from is not obvious."""
    rows = [(t, source) for t, source in load_located_tasks(tasks_dir)
            if (not tags or set(tags) & set(t.tags))
            and (difficulty is None or t.difficulty == difficulty)]
    rows.sort(key=lambda row: (DIFFICULTY_ORDER.get(row[0].difficulty, 9), row[0].name))
    if as_json:
        for t, source in rows:
            print(json.dumps({"name": t.name, "difficulty": t.difficulty, "tags": list(t.tags),
                              "tests": len(t.test_names), "hash": t.hash,
                              "source": source.label, "path": str(t.path)}))
        return rows
    table = Table(title=plain(f"{len(rows)} tasks in {describe_dirs(tasks_dir)}"))
    for col in ("name", "difficulty", "tags", "tests", "source"):
        table.add_column(col, justify="right" if col == "tests" else "left")
    for t, source in rows:
        table.add_row(plain(t.name), plain(t.difficulty), plain(", ".join(t.tags)),
                      str(len(t.test_names)), plain(source.label))
    console().print(table)
    return rows


def show_task(tasks_dir: TaskDirs, name: str) -> None:
    task, source = find_located_task(tasks_dir, name)
    out = console()
    meta = plain(f"{task.name}  {task.difficulty}  tags: {', '.join(task.tags) or '-'}  "
                 f"hash {task.short_hash}  from {source.label}")
    out.print(Panel(plain(task.description), title=meta, title_align="left"))
    if task.signature:
        out.print(Syntax(plain(task.signature).plain, "python", theme="ansi_dark"))
    for title, items in (("examples", task.examples), ("hints", task.hints)):
        if items:
            out.print(f"[bold]{title}[/]")
            for item in items:
                out.print(plain(f"  • {item}"))
    out.print(plain(f"tests ({len(task.test_names)}: {', '.join(task.test_names)})", "bold"))
    out.print(Syntax(plain(task.tests_source).plain, "python", theme="ansi_dark", line_numbers=True))


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
