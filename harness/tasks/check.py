"""`harness tasks check`: every folder valid, every reference solution passing, every test file with teeth.

Teeth: a stub that returns None and one that returns its first argument must
each fail at least one test, else the tests could pass code that does nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.errors import TaskError
from harness.grading.results import GradeResult
from harness.tasks.load import Task, TaskDirs, check_folders, load_task

if TYPE_CHECKING:
    from harness.grading.grader import Grader

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

    def to_dict(self) -> dict[str, Any]:
        """The JSON record `harness tasks check --json` prints, one per task."""
        return {"task": self.name, "ok": self.ok, "reason": self.reason, "tests": self.tests}


def candidate_folders(tasks_dir: TaskDirs, names: tuple[str, ...]) -> list[Path]:
    return check_folders(tasks_dir, names)


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


def check_tasks(tasks_dir: Path, names: tuple[str, ...], grader: Grader,
                on_start: Callable[[int], None] = lambda _total: None,
                on_graded: Callable[[], None] = lambda: None) -> list[TaskCheck]:
    """Verdicts sorted by task name. `on_start` gets the number of programs to grade (reference
    solutions and stubs), `on_graded` is called after each, from grading threads: progress."""
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
    on_start(len(items))
    results = grader.grade_many(items, on_done=lambda _i, _r: on_graded())
    per = len(STUBS) + 1
    for index, task in enumerate(tasks):
        chunk = results[index * per:(index + 1) * per]
        checks.append(verdict(task, chunk[0], dict(zip(STUBS, chunk[1:], strict=True))))
    return sorted(checks, key=lambda c: c.name)


@contextmanager
def check_grader(home: Path, workers: int,
                 log: Callable[[str], None] = lambda _m: None) -> Iterator[Grader]:
    """A grader on a fresh sandbox pool, with the run store's cache; closed on exit."""
    from harness.grading.grader import Grader, open_sandbox
    from harness.sandbox.pool import SandboxConfig
    from harness.store import Store

    store = Store(home)  # a bad --home is reported before Docker starts
    sandbox = open_sandbox(SandboxConfig(workers=workers), log=log)
    grader = Grader(sandbox, store)
    try:
        yield grader
    finally:
        grader.close()
