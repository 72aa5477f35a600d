"""`harness eval`: grade given code files against one task."""

from __future__ import annotations

from pathlib import Path

from harness.console import console, grade_table, json_line, plain
from harness.errors import HarnessError
from harness.grading.results import GradeResult
from harness.tasks.load import Task, find_task


def read_code(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise HarnessError(f"{path}: cannot read code file as UTF-8 text ({exc})") from None


def eval_record(path: Path, task: Task, result: GradeResult) -> dict:
    """The stable JSON record of one graded file (documented in the README)."""
    return {"file": str(path), "task": task.name, "task_hash": task.hash, **result.to_dict()}


def evaluate_files(task_name: str, files: tuple[Path, ...], tasks_dir: Path, home: Path,
                   workers: int, as_json: bool, use_cache: bool = True) -> list[GradeResult]:
    from harness.grading.grader import Grader, open_sandbox
    from harness.sandbox.pool import SandboxConfig
    from harness.store import Store

    task = find_task(tasks_dir, task_name)
    codes = [read_code(path) for path in files]
    err = console(stderr=True)
    with err.status("starting sandbox"):
        sandbox = open_sandbox(SandboxConfig(workers=min(workers, len(codes))),
                               log=lambda message: err.print(plain(message)))
    grader = Grader(sandbox, Store(home) if use_cache else None)
    try:
        results = grader.grade_many([(task, code) for code in codes])
    finally:
        grader.close()
    if as_json:
        for path, result in zip(files, results, strict=True):
            print(json_line(eval_record(path, task, result)))
    else:
        rows = [(str(path), result) for path, result in zip(files, results, strict=True)]
        console().print(grade_table(rows, title=f"{task.name} ({task.short_hash})"))
    return results
