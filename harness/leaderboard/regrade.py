"""`harness leaderboard build --regrade`: run every published answer again in the sandbox.

`--check` proves that each claim follows from samples.jsonl, but a folder forged
consistently (statuses flipped to passed, claims recomputed with this very code) passes
it. Each sample carries the code that was graded, so regrading grades that code again on
the task at the hash the run names and rejects any verdict that does not reproduce. The
execution cache makes a second regrade of the same results almost free.

A sandbox failure while regrading is reported as such (the regrade could not run), never
as a forgery; a task whose folder is missing, or whose files changed, stops the regrade
with the task and the hash it needs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from harness.errors import HarnessError, SandboxError, TaskError
from harness.grading.results import GradeResult
from harness.leaderboard.check import VerifiedRun
from harness.leaderboard.records import SampleRecord
from harness.tasks.load import Task, TaskDirs, describe_dirs, find_task


@dataclass(frozen=True)
class Regraded:
    """What a regrade did."""

    runs: int
    samples: int
    executed: int
    """Programs that ran in the sandbox (the rest came from the execution cache)."""


@dataclass(frozen=True)
class Verdict:
    """The fields of a sample the sandbox decides."""

    status: str
    syntax_ok: bool
    passed: int
    total: int
    failed: tuple[str, ...]

    @classmethod
    def of_record(cls, r: SampleRecord) -> Verdict:
        return cls(r.status, r.syntax_ok, r.passed, r.total, tuple(sorted(r.failed_tests)))

    @classmethod
    def of_result(cls, r: GradeResult) -> Verdict:
        failed = tuple(sorted(t.name for t in r.tests if t.outcome != "passed"))
        return cls(r.status, r.syntax_ok, r.passed, r.total, failed)

    def __str__(self) -> str:
        text = f"status {self.status!r}, {self.passed}/{self.total} tests passed"
        if not self.syntax_ok:
            text += ", no valid syntax"
        return text + (f", failed {', '.join(self.failed)}" if self.failed else "")


def run_tasks(v: VerifiedRun, search: TaskDirs) -> dict[str, Task]:
    """The run's tasks at the hashes it names, from the task folders searched."""
    tasks: dict[str, Task] = {}
    for name, expected in v.run["provenance"]["task_hashes"].items():
        try:
            task = find_task(search, name)
        except TaskError:
            raise HarnessError(f"{v.run_id}: cannot regrade: task '{name}' is not in "
                               f"{describe_dirs(search)} (pass --tasks-dir with the suite's task "
                               "folders)") from None
        if task.hash != expected:
            raise HarnessError(f"{v.run_id}: cannot regrade: task '{name}' in {task.path} hashes to "
                               f"{task.short_hash}, the run was graded on {expected[:12]}")
        tasks[name] = task
    return tasks


def regrade_runs(runs: list[VerifiedRun], search: TaskDirs, home: Path,
                 workers: int = 2, log: Callable[[str], None] = lambda _m: None,
                 on_done: Callable[[int], None] = lambda _n: None) -> Regraded:
    """Grade every sample's code again; raise naming each run whose first mismatch is found."""
    from harness.grading.grader import Grader, open_sandbox
    from harness.loop.strategies import no_code_result
    from harness.sandbox.pool import SandboxConfig
    from harness.store import Store

    tasks = {v.run_id: run_tasks(v, search) for v in runs}
    store = Store(home)
    grader = Grader(open_sandbox(SandboxConfig(workers=workers), log=log), store)
    problems: list[str] = []
    try:
        for v in runs:
            # An answer with no code was never sent to the sandbox: judged by the same rule here.
            todo = [i for i, r in enumerate(v.samples) if r.code]
            graded = grader.grade_many([(tasks[v.run_id][v.samples[i].task], v.samples[i].code)
                                        for i in todo], on_done=lambda _i, _r: on_done(1))
            results = [no_code_result(tasks[v.run_id][r.task], "no code in the published answer")
                       for r in v.samples]
            for i, result in zip(todo, graded, strict=True):
                results[i] = result
            for record, line, result in zip(v.samples, v.published.lines, results, strict=True):
                if result.infra:
                    raise SandboxError(f"{v.run_id}: the sandbox failed while regrading samples.jsonl "
                                       f"line {line}: {result.message}; nothing was judged, retry")
                published, regraded = Verdict.of_record(record), Verdict.of_result(result)
                if published != regraded:
                    problems.append(
                        f"{v.run_id}: samples.jsonl line {line} (task '{record.task}', episode "
                        f"{record.episode}, sample {record.sample}) does not reproduce: published "
                        f"{published}; regraded {regraded}")
                    break
    finally:
        grader.close()
        store.close()
    if problems:
        raise HarnessError("leaderboard regrade failed:\n  " + "\n  ".join(problems))
    return Regraded(len(runs), sum(len(v.samples) for v in runs), grader.executed)
