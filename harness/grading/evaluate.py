"""`harness eval`: grade given code files against one task."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.executor import ExecutorConfig
from harness.grading.results import GradeResult
from harness.tasks.load import Task, find_task


def read_code(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise HarnessError(f"{path}: cannot read code file as UTF-8 text ({exc})") from None


def eval_record(path: Path, task: Task, result: GradeResult) -> dict[str, Any]:
    """The stable JSON record of one graded file (documented in the README)."""
    return {"file": str(path), "task": task.name, "task_hash": task.hash, **result.to_dict()}


def evaluate_files(task_name: str, files: Sequence[Path], tasks_dir: Path, home: Path,
                   workers: int, use_cache: bool = True,
                   log: Callable[[str], None] = lambda _m: None,
                   executor: ExecutorConfig | None = None) -> tuple[Task, list[GradeResult]]:
    """Grade each file against the task in the sandbox (the grading cache in `home` first)."""
    from harness.grading.grader import Grader, open_sandbox
    from harness.sandbox.pool import SandboxConfig
    from harness.store import Store

    task = find_task(tasks_dir, task_name)
    codes = [read_code(path) for path in files]
    store = Store(home) if use_cache else None  # a bad --home is reported before Docker starts
    log("starting sandbox")
    sandbox = open_sandbox(SandboxConfig(workers=min(workers, len(codes))), log=log,
                           executor=executor)
    grader = Grader(sandbox, store)
    try:
        return task, grader.grade_many([(task, code) for code in codes])
    finally:
        grader.close()
        if store is not None:
            store.close()
