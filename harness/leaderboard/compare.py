"""`harness compare RUN_A RUN_B` and the site's compare pages: two runs, task by task, B against A.

Each run is scored per task on its fresh evaluation answers of the learned strategy
(phase "eval_learned"): answers never used to choose the strategy, so they carry no
winner's curse. A run without them (eval-samples 0, a stopped run) falls back to its
learning answers, and that figure is marked in-sample. The overall difference is the mean
over shared tasks of B - A, with the two-level bootstrap interval of the run's own
evaluation (harness.loop.evaluation.uplift: tasks, then answers of both runs within each
task), so it carries the noise of the answers and not only of the choice of tasks.

Nothing here prints; harness/cli/compare.py renders the result.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from harness.errors import HarnessError
from harness.loop.evaluation import Uplift, uplift
from harness.sample import Graded, passes, rewards
from harness.store import Store

FRESH = "eval_learned"
"""The phase a run is scored on: fresh answers of its learned strategy."""
IN_SAMPLE = "learn"
"""The fallback when a run has no fresh answer for a task: its learning answers."""
PASSING = 0.5
"""A task counts as passed by a run when at least this share of its answers pass."""

Flip = Literal["gained", "lost", ""]
"""gained: B passes a task A does not; lost: A passes a task B does not."""


@dataclass(frozen=True)
class Side:
    """One run's figures on one task, and what they rest on (so a reader can discount them)."""

    pass_rate: float
    """pass@1: the share of its answers that passed every test."""
    reward: float
    """Mean reward of its answers."""
    calls: float
    """Model calls per answer (what the strategy cost)."""
    n: int
    """Answers behind the figures."""
    phase: str
    """"eval_learned" (fresh answers) or "learn" (the fallback)."""
    strategy: str
    """The strategy that answered (for learning answers, the one used most)."""
    task_hash: str
    """The task content the run graded against."""

    @property
    def in_sample(self) -> bool:
        """True when the figure comes from the answers the strategy was chosen on."""
        return self.phase != FRESH


@dataclass(frozen=True)
class TaskComparison:
    """One shared task, both runs, and B - A."""

    task: str
    a: Side
    b: Side
    pass_diff: float
    reward_diff: float
    flipped: Flip
    """Whether the task crossed the PASSING line between the runs, and which way."""

    @property
    def same_hash(self) -> bool:
        return self.a.task_hash == self.b.task_hash


@dataclass(frozen=True)
class Comparison:
    """Does run B beat run A on the tasks they share, by how much, and can the two be compared."""

    run_a: str
    run_b: str
    model_a: str
    model_b: str
    tasks: tuple[TaskComparison, ...]
    only_a: tuple[str, ...]
    """Tasks of run A that run B lacks (left out of every figure)."""
    only_b: tuple[str, ...]
    pass_diff: Uplift
    """Mean over shared tasks of B - A in pass@1, with its 95% interval."""
    reward_diff: Uplift
    calls_a: float
    """Model calls per answer, mean over shared tasks."""
    calls_b: float
    gained: tuple[str, ...]
    """Tasks B passes (pass rate >= 0.5) and A does not."""
    lost: tuple[str, ...]
    """Tasks A passes and B does not."""
    same_model: bool
    same_task_hashes: bool
    """False when a shared task's content differs between the runs: not comparable."""
    in_sample: bool
    """True when any figure rests on learning answers instead of fresh ones."""
    warnings: tuple[str, ...]
    verdict: str

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for row, task in zip(data["tasks"], self.tasks, strict=True):
            row["same_hash"] = task.same_hash
            row["a"]["in_sample"], row["b"]["in_sample"] = task.a.in_sample, task.b.in_sample
        return data


def compare_home(home: Path, run_a: str, run_b: str, seed: int = 0) -> Comparison:
    """Compare two runs of the store under `home`; refuses a folder without a store."""
    path = Path(home) / "harness.sqlite"
    if not path.is_file():
        raise HarnessError(f"no run store at {path} (pass --home or set HARNESS_HOME)")
    store = Store(home)
    try:
        return compare_runs(store, run_a, run_b, seed)
    finally:
        store.close()


@dataclass(frozen=True)
class RunAnswers:
    """One side of a comparison: a run's identity, its task versions and its answers, read
    from a run store or from published results."""

    run_id: str
    status: str
    model: str
    tasks: tuple[str, ...]
    """The tasks the run was asked to do, then any it has answers for, in order."""
    hashes: Mapping[str, str]
    """Each task's content hash as the run records it."""
    rows: Sequence[Graded]

    @classmethod
    def from_store(cls, store: Store, run_id: str) -> RunAnswers:
        run = store.require_run(run_id)
        rows = store.samples(run_id, phase=None)
        config = run["config"]
        hashes = {r.task: r.task_hash for r in rows}
        hashes.update({t: h for t, h in zip(config.get("tasks", ()), config.get("task_hashes", ()),
                                            strict=False) if h})
        tasks = tuple(dict.fromkeys([*config.get("tasks", ()), *(r.task for r in rows)]))
        return cls(run_id, str(run["status"]), str(config.get("model", "")), tasks, hashes, rows)


def compare_runs(store: Store, run_a: str, run_b: str, seed: int = 0) -> Comparison:
    """Compare run B with run A task by task; a HarnessError when they share no task."""
    return compare_answers(RunAnswers.from_store(store, run_a), RunAnswers.from_store(store, run_b),
                           seed)


def compare_answers(a: RunAnswers, b: RunAnswers, seed: int = 0) -> Comparison:
    """Run B against run A on the tasks they share (see the module docstring)."""
    run_a, run_b = a.run_id, b.run_id
    tasks_a, tasks_b = a.tasks, b.tasks
    only_a = tuple(t for t in tasks_a if t not in tasks_b)
    only_b = tuple(t for t in tasks_b if t not in tasks_a)
    shared = sorted(set(tasks_a) & set(tasks_b))
    if not shared:
        raise HarnessError(
            f"runs {run_a} and {run_b} share no task, so there is nothing to compare "
            f"(only in {run_a}: {_names(only_a)}; only in {run_b}: {_names(only_b)})")
    warnings: list[str] = []
    if run_a == run_b:
        warnings.append(f"{run_a} is compared with itself")
    for run in (a, b):
        if run.status != "finished":
            warnings.append(f"run {run.run_id} is {run.status}, not finished: its figures "
                            "may rest on fewer answers than it asked for")
    if only_a or only_b:
        warnings.append(f"compared on the {len(shared)} shared tasks only; "
                        f"only in {run_a}: {_names(only_a)}; only in {run_b}: {_names(only_b)}")

    picked_a, picked_b = _answers(a.rows), _answers(b.rows)
    unanswered = [t for t in shared if t not in picked_a or t not in picked_b]
    if unanswered:
        warnings.append(f"left out, no answers yet in one of the runs: {_names(unanswered)}")
    names = [t for t in shared if t in picked_a and t in picked_b]
    if not names:
        raise HarnessError(f"runs {run_a} and {run_b} share tasks ({_names(shared)}) but not one "
                           "of them has answers in both runs yet")

    tasks = tuple(_task(t, _side(picked_a[t], a.hashes), _side(picked_b[t], b.hashes))
                  for t in names)
    for run_id, flattered in ((run_a, [t.task for t in tasks if t.a.in_sample]),
                              (run_b, [t.task for t in tasks if t.b.in_sample])):
        if flattered:
            warnings.append(f"run {run_id} has no fresh evaluation answers for {_names(flattered)}: "
                            "those figures are its learning answers (in-sample, flattered by the "
                            "choice of strategy)")
    differing = [t.task for t in tasks if not t.same_hash]
    if differing:
        warnings.append(f"task content differs between the runs for {_names(differing)} (different "
                        "task hashes): those figures are not comparable")

    pass_diff = uplift({t: passes(picked_b[t]) for t in names},
                       {t: passes(picked_a[t]) for t in names}, seed)
    reward_diff = uplift({t: rewards(picked_b[t]) for t in names},
                         {t: rewards(picked_a[t]) for t in names}, seed)
    calls_a = float(np.mean([t.a.calls for t in tasks]))
    calls_b = float(np.mean([t.b.calls for t in tasks]))
    return Comparison(
        run_a=run_a, run_b=run_b, model_a=a.model, model_b=b.model, tasks=tasks,
        only_a=only_a, only_b=only_b, pass_diff=pass_diff, reward_diff=reward_diff,
        calls_a=calls_a, calls_b=calls_b,
        gained=tuple(t.task for t in tasks if t.flipped == "gained"),
        lost=tuple(t.task for t in tasks if t.flipped == "lost"),
        same_model=a.model == b.model, same_task_hashes=not differing,
        in_sample=any(t.a.in_sample or t.b.in_sample for t in tasks),
        warnings=tuple(warnings),
        verdict=verdict(pass_diff, reward_diff, calls_a, calls_b))


def verdict(pass_diff: Uplift, reward_diff: Uplift, calls_a: float, calls_b: float) -> str:
    """One sentence that names a winner only when an interval excludes zero, and never when
    pass@1 and reward point opposite ways (the figures themselves are beside it)."""
    cost = f"at {calls_b:.2f} against {calls_a:.2f} calls per answer"
    better = pass_diff.low > 0 or reward_diff.low > 0
    worse = pass_diff.high < 0 or reward_diff.high < 0
    if better and not worse:
        return f"B beats A: the 95% interval of B - A lies above 0, {cost}"
    if worse and not better:
        return f"B is worse than A: the 95% interval of B - A lies below 0, {cost}"
    if better and worse:
        return (f"no evidence at this sample size that B differs from A: pass@1 and reward "
                f"point opposite ways, {cost}")
    return (f"no evidence at this sample size that B differs from A: every 95% interval of "
            f"B - A includes 0, {cost}")


def _task(name: str, a: Side, b: Side) -> TaskComparison:
    flipped: Flip = ""
    if b.pass_rate >= PASSING > a.pass_rate:
        flipped = "gained"
    elif a.pass_rate >= PASSING > b.pass_rate:
        flipped = "lost"
    return TaskComparison(task=name, a=a, b=b, pass_diff=b.pass_rate - a.pass_rate,
                          reward_diff=b.reward - a.reward, flipped=flipped)


def _side(rows: Sequence[Graded], hashes: Mapping[str, str]) -> Side:
    strategy = Counter(r.template for r in rows).most_common(1)[0][0]
    return Side(pass_rate=float(np.mean(passes(rows))), reward=float(np.mean(rewards(rows))),
                calls=float(np.mean([r.calls for r in rows])), n=len(rows), phase=rows[0].phase,
                strategy=strategy, task_hash=hashes.get(rows[0].task, rows[0].task_hash))


def _answers(rows: Sequence[Graded]) -> dict[str, list[Graded]]:
    """Per task, the fresh answers of the learned strategy, else the learning answers."""
    by_phase: dict[str, dict[str, list[Graded]]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        by_phase[row.phase][row.task].append(row)
    fresh, learning = by_phase[FRESH], by_phase[IN_SAMPLE]
    return {t: fresh.get(t) or learning[t] for t in set(fresh) | set(learning)}


def _names(names: Sequence[str]) -> str:
    return ", ".join(names) if names else "none"
