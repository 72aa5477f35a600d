"""The proof every run ends with: fresh answers of the learned strategy against the default.

Learning picks the strategy that looked best on the answers it saw, which flatters it
(the winner's curse). So after learning, each task gets new answers, never used to
choose, of the learned strategy and of the default template (one call at the run's
temperature). The uplift is the mean over tasks of the per-task difference, with a 95%
bootstrap interval that resamples tasks and, within each task, answers: it carries
the noise of the answers, not only of the choice of tasks.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from harness.sample import Sample, passes, rewards

BOOTSTRAP = 4000
"""Bootstrap resamples behind every interval."""


@dataclass(frozen=True)
class Uplift:
    """Mean per-task difference (learned - default) and its 95% interval."""

    diff: float
    low: float
    high: float

    @property
    def excludes_zero(self) -> bool:
        return self.low > 0 or self.high < 0


@dataclass(frozen=True)
class TaskEval:
    """One task's fresh answers, both ways of asking."""

    task: str
    learned: str
    """The learned strategy id."""
    default: str
    n: int
    """Fresh answers per side."""
    learned_pass: float
    default_pass: float
    learned_reward: float
    default_reward: float
    learned_calls: float
    """Model calls per answer."""
    default_calls: float


@dataclass(frozen=True)
class Evaluation:
    """The run's answer to "does the learned way of asking beat the default, and by how much"."""

    tasks: tuple[TaskEval, ...]
    pass_uplift: Uplift
    reward_uplift: Uplift
    learned_calls: float
    default_calls: float
    verdict: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def uplift(learned: Mapping[str, Sequence[float]], default: Mapping[str, Sequence[float]],
           seed: int = 0, resamples: int = BOOTSTRAP) -> Uplift:
    """Mean over tasks of mean(learned) - mean(default); interval by a two-level bootstrap
    (tasks, then answers within each task on each side)."""
    names = sorted(set(learned) & set(default))
    if not names:
        return Uplift(0.0, 0.0, 0.0)
    a = [np.asarray(learned[t], dtype=float) for t in names]
    b = [np.asarray(default[t], dtype=float) for t in names]
    point = float(np.mean([x.mean() - y.mean() for x, y in zip(a, b, strict=True)]))
    rng = np.random.default_rng(seed)
    n = len(names)
    draws = np.empty(resamples)
    for i in range(resamples):
        picks = rng.integers(0, n, n) if n > 1 else np.zeros(1, dtype=int)
        total = 0.0
        for j in picks:
            x, y = a[j], b[j]
            total += x[rng.integers(0, len(x), len(x))].mean() - y[rng.integers(0, len(y), len(y))].mean()
        draws[i] = total / len(picks)
    low, high = np.percentile(draws, [2.5, 97.5])
    return Uplift(point, float(low), float(high))


def evaluate(rows: Sequence[Sample], learning: Sequence[Sample],
             seed: int = 0) -> Evaluation | None:
    """From a run's stored samples (every phase) and its learning samples; None before any
    evaluation answer exists."""
    sides: dict[str, dict[str, list[Sample]]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        if row.phase != "learn":
            sides[row.phase][row.task].append(row)
    learned, default = sides.get("eval_learned", {}), sides.get("eval_default", {})
    names = sorted(set(learned) & set(default))
    if not names:
        return None

    def calls(items: list[Sample]) -> float:
        return float(np.mean([r.calls for r in items]))

    tasks = tuple(
        TaskEval(task=t, learned=learned[t][0].template, default=default[t][0].template,
                 n=min(len(learned[t]), len(default[t])),
                 learned_pass=float(np.mean(passes(learned[t]))),
                 default_pass=float(np.mean(passes(default[t]))),
                 learned_reward=float(np.mean(rewards(learned[t]))),
                 default_reward=float(np.mean(rewards(default[t]))),
                 learned_calls=calls(learned[t]), default_calls=calls(default[t]))
        for t in names)
    pass_up = uplift({t: passes(learned[t]) for t in names}, {t: passes(default[t]) for t in names}, seed)
    reward_up = uplift({t: rewards(learned[t]) for t in names}, {t: rewards(default[t]) for t in names}, seed)
    l_calls = float(np.mean([t.learned_calls for t in tasks]))
    d_calls = float(np.mean([t.default_calls for t in tasks]))
    return Evaluation(tasks, pass_up, reward_up, l_calls, d_calls,
                      verdict(tasks, pass_up, reward_up, learning, l_calls))


def verdict(tasks: Sequence[TaskEval], pass_up: Uplift, reward_up: Uplift,
            learning: Sequence[Sample], calls: float) -> str:
    """One honest sentence: never names a winner the evidence does not support."""
    if learning and all(r.status == "passed" for r in learning):
        return ("nothing to learn at this budget: every strategy tried passed every test, so no "
                "way of asking was shown to be better than the default")
    if all(t.learned == t.default for t in tasks):
        return "the learned strategy is the default itself"
    figure = (f"pass@1 {pass_up.diff:+.3f} [{pass_up.low:+.3f}, {pass_up.high:+.3f}], "
              f"reward {reward_up.diff:+.3f} [{reward_up.low:+.3f}, {reward_up.high:+.3f}], "
              f"at {calls:.2f} calls per answer")
    if pass_up.excludes_zero or reward_up.excludes_zero:
        better = pass_up.low > 0 or reward_up.low > 0
        worse = pass_up.high < 0 or reward_up.high < 0
        if better and not worse:
            return f"the learned strategy beats the default on fresh answers: {figure}"
        if worse and not better:
            return f"the learned strategy is worse than the default on fresh answers: {figure}"
    return f"no evidence at this budget that the learned strategy differs from the default: {figure}"
