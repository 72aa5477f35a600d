"""`harness tasks check`: every folder valid, every reference solution passing, every test file with teeth.

Teeth: a stub that returns None and one that returns its first argument must
each fail at least one test, else the tests could pass code that does nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from rich.progress import Progress
from rich.table import Table

from harness.console import console, plain
from harness.errors import TaskError
from harness.grading.results import GradeResult
from harness.tasks.load import Task, load_task

STUBS = {
    "returns None": "def {name}(*args, **kwargs):\n    return None\n",
    "returns its input": "def {name}(*args, **kwargs):\n    return args[0] if args else None\n",
}


@dataclass(frozen=True)
class TaskCheck:
    """The verdict on one task folder."""

    name: str
    ok: bool
    reason: str
    tests: int = 0


def candidate_folders(tasks_dir: Path, names: tuple[str, ...]) -> list[Path]:
    if not tasks_dir.is_dir():
        raise TaskError(f"{tasks_dir}: tasks directory not found (set --tasks-dir or HARNESS_TASKS_DIR)")
    if names:
        return [tasks_dir / name for name in names]
    return sorted(p for p in tasks_dir.iterdir()
                  if p.is_dir() and not p.name.startswith((".", "_")))


def verdict(task: Task, reference: GradeResult, stubs: dict[str, GradeResult]) -> TaskCheck:
    if reference.status != "passed":
        failing = [f"{t.name} {t.outcome}: {t.message}" for t in reference.tests if t.outcome != "passed"]
        detail = failing[0] if failing else reference.message
        return TaskCheck(task.name, False,
                         f"reference solution {reference.status} ({reference.passed}/{reference.total}): {detail}"[:300],
                         reference.total)
    for label, result in stubs.items():
        if result.passed == result.total:
            return TaskCheck(task.name, False, f"tests have no teeth: a stub that {label} passes them all",
                             reference.total)
    return TaskCheck(task.name, True, "ok", reference.total)


def check_tasks(tasks_dir: Path, names: tuple[str, ...], grader, progress: Progress | None = None) -> list[TaskCheck]:  # noqa: ANN001
    checks: list[TaskCheck] = []
    tasks: list[Task] = []
    for folder in candidate_folders(tasks_dir, names):
        try:
            tasks.append(load_task(folder))
        except TaskError as exc:
            checks.append(TaskCheck(folder.name, False, str(exc)))
    items = []
    for task in tasks:
        items.append((task, task.solution_source))
        items.extend((task, stub.format(name=task.entry_point)) for stub in STUBS.values())
    bar = progress.add_task("grading", total=len(items)) if progress else None
    results = grader.grade_many(items, on_done=(lambda i, r: progress.advance(bar)) if progress else None)
    per = len(STUBS) + 1
    for index, task in enumerate(tasks):
        chunk = results[index * per:(index + 1) * per]
        checks.append(verdict(task, chunk[0], dict(zip(STUBS, chunk[1:], strict=True))))
    return sorted(checks, key=lambda c: c.name)


def check_tasks_cli(tasks_dir: Path, names: tuple[str, ...], home: Path, workers: int, as_json: bool) -> bool:
    from harness.grading.grader import Grader, open_sandbox
    from harness.sandbox.pool import SandboxConfig
    from harness.store import Store

    err = console(stderr=True)
    sandbox = open_sandbox(SandboxConfig(workers=workers), log=err.print)
    grader = Grader(sandbox, Store(home))
    try:
        with Progress(console=err, transient=True) as progress:
            checks = check_tasks(tasks_dir, names, grader, progress)
    finally:
        grader.close()
    if as_json:
        for c in checks:
            print(json.dumps({"task": c.name, "ok": c.ok, "reason": c.reason, "tests": c.tests}))
    else:
        table = Table(title=f"tasks check: {sum(c.ok for c in checks)}/{len(checks)} ok")
        for col in ("task", "ok", "tests", "reason"):
            table.add_column(col)
        for c in checks:
            table.add_row(plain(c.name), "[green]yes[/]" if c.ok else "[red]no[/]", str(c.tests), plain(c.reason))
        console().print(table)
    return all(c.ok for c in checks)
