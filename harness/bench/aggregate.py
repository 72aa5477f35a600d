"""From (agent, seed) runs to figures over seeds, the same way in both replays.

The classic replay (harness/bench/classic_benchmark.py, in pulls, in sample) and the
strategy replay (harness/bench/strategy_benchmark.py, in calls, out of sample) differ in
what a seed's regret gaps are and in how a figure's interval is drawn (standard error,
`Estimate.of`, or the central 95% of the seeds, `spread`); how runs become curves,
found-rates, bootstrap intervals, "to find" counts and transfer comparisons is the same,
and lives here. Bootstrap replicates resample seeds with one fixed stream, so every agent
and figure is resampled alike (paired).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import numpy as np

from harness.agents import agent_class
from harness.bench.jobs import SeedRun

if TYPE_CHECKING:
    from harness.bench.sensitivity import TaskSensitivity

Run = TypeVar("Run", bound=SeedRun)
Gaps = Callable[[int], np.ndarray]
"""seed -> (tasks, arms) regret gaps the seed's runs are scored with."""


@dataclass(frozen=True)
class Estimate:
    """A figure over seeds with its 95% interval."""

    mean: float
    """The point estimate (a mean over seeds, or a ratio of means)."""
    lo: float
    """Lower end of the 95% interval; inf when the figure was never reached."""
    hi: float
    """Upper end of the 95% interval."""

    @classmethod
    def of(cls, values: np.ndarray | Sequence[float]) -> Estimate:
        """Mean ± 1.96 standard errors over seeds."""
        x = np.asarray(values, dtype=float)
        half = float(1.96 * x.std(ddof=1) / math.sqrt(len(x))) if len(x) > 1 else 0.0
        return cls(float(x.mean()), float(x.mean() - half), float(x.mean() + half))

    @classmethod
    def exact(cls, value: float) -> Estimate:
        return cls(float(value), float(value), float(value))

    def to_dict(self) -> dict[str, float | None]:
        return {k: (v if math.isfinite(v) else None) for k, v in dataclasses.asdict(self).items()}


@dataclass(frozen=True)
class TransferResult:
    """A contextual agent trained on other tasks vs the best context-free agent from scratch."""

    agent: str
    """The contextual agent."""
    baseline: str
    """The context-free agent with the lowest held-out cumulative regret."""
    budgets: tuple[int, ...]
    """Budgets (per template, or per cell, per held-out task) the columns refer to."""
    trained: Mapping[int, Estimate]
    """budget -> held-out cumulative regret per task after training on the other tasks."""
    scratch: Mapping[int, Estimate]
    """budget -> the baseline's held-out cumulative regret per task."""
    ratio: Mapping[int, Estimate]
    """budget -> trained / scratch (bootstrap over seeds)."""
    curves: tuple[np.ndarray, np.ndarray]
    """(trained, scratch) mean held-out cumulative regret after 1..max pulls (calls) per task."""


@dataclass(frozen=True)
class AgentFigures:
    """One row of an agent table: what both replays report of an agent or a baseline, in
    their unit (pulls or calls); each replay's row adds its own figures between `found` and
    the keyword-only tail."""

    name: str
    """Agent name, or a baseline: "oracle", "best_single" (and the strategy replay's "default")."""
    kind: str
    """"agent" (driven through the Agent interface) or "baseline" (computed from the table)."""
    contextual: bool
    """Shares what it learns across tasks through features."""
    curve: tuple[np.ndarray, np.ndarray, np.ndarray]
    """(mean, lo, hi) cumulative regret per task after 1..max pulls (calls) per task."""
    cum_regret: Estimate
    """Cumulative regret per task at the largest budget."""
    simple_regret: Mapping[int, Estimate]
    """budget -> oracle value minus the recommendation's, averaged over tasks."""
    found: Mapping[int, Estimate]
    """budget -> share of tasks whose recommendation is within `threshold` of the oracle."""
    steps_per_s: float = field(kw_only=True)
    """Rewards per second of time spent inside the agent (choose, update, best)."""
    reused: float = field(kw_only=True)
    """Share of pulls (dealt answers) that came from a cell whose answers were all dealt."""
    cpu_s: float = field(default=0.0, kw_only=True)
    """CPU seconds of all this agent's runs (main, budget and transfer runs)."""


Row = TypeVar("Row", bound=AgentFigures)


@dataclass(frozen=True, kw_only=True)
class ReplayResult(Generic[Row]):
    """What every replay's result carries beside its own figures (`to_dict()`: agents.json)."""

    agents: tuple[Row, ...]
    """Baselines, then the agents."""
    transfer: tuple[TransferResult, ...]
    """Contextual agents on held-out tasks."""
    sensitivity: tuple[TaskSensitivity, ...]
    """Per task, a permutation test of whether the arm (template or column) matters."""
    wall_s: float
    """Seconds for the whole benchmark."""
    cpu_s: float = 0.0
    """CPU seconds the agent runs took, summed over worker processes."""
    notes: tuple[str, ...] = ()
    """Caveats found while running (missing task folders, changed tasks, left-out tasks, ...)."""

    def agent(self, name: str) -> Row:
        return next(a for a in self.agents if a.name == name)


# ------------------------------------------------------------------------------ seeds


def by_agent(runs: Iterable[Run]) -> dict[str, list[Run]]:
    """agent -> its runs in seed order (whatever order the workers finished in)."""
    out: dict[str, list[Run]] = {}
    for run in sorted(runs, key=lambda r: (r.agent, r.seed)):
        out.setdefault(run.agent, []).append(run)
    return out


def bootstrap_draws(n_seeds: int) -> np.ndarray:
    """(1000, seeds) resampled seed indices, from one fixed stream."""
    return np.random.default_rng(12345).integers(n_seeds, size=(1000, n_seeds))


def bootstrap_interval(values: np.ndarray, point: float) -> Estimate:
    """Percentile interval of bootstrap replicates; a replicate that never reached the
    target is inf (and inf/inf is treated as inf), so the interval can say "never"."""
    values = np.where(np.isnan(values), np.inf, values)
    lo, hi = np.quantile(values, [0.025, 0.975], method="inverted_cdf")
    return Estimate(float(point), float(lo), float(hi))


def spread(values: np.ndarray | Sequence[float]) -> Estimate:
    """The mean over seeds and the central 95% of the per-seed figures.

    The strategy replay's intervals. Not the standard error of the mean: each seed redraws
    the split of every cell into dealt and held-out answers, and a figure scored on 5 of a
    cell's 10 answers varies from split to split about as much as a 10-answer mean varies
    from table to table (finite-population correction: (10 - 5) / (10 - 1) of
    a 5-answer mean's variance). So the spread says how far the table's own noise (and the
    agent's randomness) can move the figure; it does not shrink with more seeds.
    """
    x = np.asarray(values, dtype=float)
    lo, hi = np.quantile(x, [0.025, 0.975]) if len(x) > 1 else (x.mean(), x.mean())
    return Estimate(float(x.mean()), float(lo), float(hi))


def spread_band(curves: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(mean, 2.5%, 97.5%) over seeds of (seeds, points) curves: `spread` at every point."""
    lo, hi = np.quantile(curves, [0.025, 0.975], axis=0)
    return curves.mean(axis=0), lo, hi


# ---------------------------------------------------------------- recommendations


def chosen_gaps(gaps: np.ndarray, choices: np.ndarray) -> np.ndarray:
    """(..., tasks) recommended arms -> the gap of each to its task's oracle."""
    chosen: np.ndarray = gaps[np.arange(len(gaps)), choices]
    return chosen


def found_curves(
    runs: Mapping[str, Sequence[SeedRun]], gaps: Gaps, threshold: float
) -> dict[str, np.ndarray]:
    """agent -> (seeds, checkpoints) share of tasks whose main-run recommendation is within
    `threshold` of the oracle."""
    return {
        name: np.stack([(chosen_gaps(gaps(r.seed), r.best) <= threshold).mean(axis=1)
                        for r in items])
        for name, items in runs.items()
    }


def first_reach(rates: np.ndarray, marks: np.ndarray, target: float) -> float:
    """Pulls at the first checkpoint where the rate reaches the target; inf if none does."""
    hit = np.flatnonzero(rates >= target - 1e-12)
    return float(marks[hit[0]]) if len(hit) else math.inf


def reach(
    curves: np.ndarray, marks: np.ndarray, target: float, boot: np.ndarray
) -> tuple[float, np.ndarray]:
    """Pulls (calls) per task until the mean found-rate over seeds reaches `target`: the point
    estimate and its bootstrap replicates (inf where never)."""
    point = first_reach(curves.mean(axis=0), marks, target)
    reps = np.array([first_reach(curves[idx].mean(axis=0), marks, target) for idx in boot])
    return point, reps


def vs_uniform(
    point: float, reps: np.ndarray, uniform: tuple[float, np.ndarray]
) -> Estimate | None:
    """An agent's "to find" over uniform's, paired over bootstrap replicates; None when either
    never gets there (never / never counts as never)."""
    uniform_point, uniform_reps = uniform
    if not (math.isfinite(point) and math.isfinite(uniform_point)):
        return None
    with np.errstate(invalid="ignore", divide="ignore"):
        return bootstrap_interval(reps / uniform_reps, point / uniform_point)


def budget_figures(
    items: Sequence[SeedRun], gaps: Gaps, budgets: Sequence[int], threshold: float,
    estimate: Callable[[np.ndarray], Estimate],
) -> tuple[dict[int, Estimate], dict[int, Estimate]]:
    """budget -> simple regret of the recommendations (mean gap over tasks), and budget -> the
    share of tasks found, each over an agent's seeds."""
    simple: dict[int, Estimate] = {}
    found: dict[int, Estimate] = {}
    for budget in budgets:
        chosen = np.stack([chosen_gaps(gaps(r.seed), r.budget_best[budget]) for r in items])
        simple[budget] = estimate(chosen.mean(axis=1))
        found[budget] = estimate((chosen <= threshold).mean(axis=1))
    return simple, found


# ---------------------------------------------------------------------------- transfer


def transfer_budgets(budgets: Sequence[int], transfer_budget: int) -> tuple[int, ...]:
    """The budgets the transfer test is scored at: those below its horizon, and the horizon."""
    return tuple(b for b in budgets if b < transfer_budget) + (transfer_budget,)


def transfer_curves(
    runs: Mapping[str, Sequence[SeedRun]], horizon: int
) -> tuple[str, np.ndarray, dict[str, np.ndarray]] | None:
    """(baseline, its (seeds, horizon) curves, contextual agent -> its trained curves) of
    held-out cumulative regret per task; None without a context-free agent.

    Context-free agents learn each task on its own, so their main-run regret on the
    held-out tasks is exactly a from-scratch run on those tasks (same dealing order); the
    baseline is the one of them with the lowest.
    """
    free = {
        name: np.stack([r.regret[list(r.heldout), :horizon].mean(axis=0) for r in items])
        for name, items in runs.items() if not agent_class(name).contextual
    }
    if not free:
        return None
    baseline = min(free, key=lambda name: free[name][:, -1].mean())
    trained = {
        name: np.stack([r.transfer.mean(axis=0) for r in items if r.transfer is not None])
        for name, items in runs.items()
        if agent_class(name).contextual and items[0].transfer is not None
    }
    return baseline, free[baseline], trained


def transfer_ratio(trained: np.ndarray, scratch: np.ndarray, i: int, boot: np.ndarray) -> Estimate:
    """Held-out regret trained / from scratch after i + 1 units, with a bootstrap interval."""
    point = trained[:, i].mean() / max(scratch[:, i].mean(), 1e-12)
    reps = trained[boot, i].mean(axis=1) / np.maximum(scratch[boot, i].mean(axis=1), 1e-12)
    return bootstrap_interval(reps, float(point))


def transfer_results(
    curves: tuple[str, np.ndarray, Mapping[str, np.ndarray]] | None, unit: int,
    budgets: tuple[int, ...], boot: np.ndarray, estimate: Callable[[np.ndarray], Estimate],
) -> tuple[TransferResult, ...]:
    """A `TransferResult` per trained agent of `transfer_curves`, at each budget (of `unit`
    pulls or calls per task: templates, or cells)."""
    if curves is None:
        return ()
    baseline, scratch, trained_by = curves
    at = {b: b * unit - 1 for b in budgets}
    return tuple(
        TransferResult(
            agent=name, baseline=baseline, budgets=budgets,
            trained={b: estimate(trained[:, i]) for b, i in at.items()},
            scratch={b: estimate(scratch[:, i]) for b, i in at.items()},
            ratio={b: transfer_ratio(trained, scratch, i, boot) for b, i in at.items()},
            curves=(trained.mean(axis=0), scratch.mean(axis=0)),
        )
        for name, trained in trained_by.items()
    )


# -------------------------------------------------------------------------------- JSON


def estimate_json(e: Estimate | None) -> Any:
    return None if e is None else e.to_dict()


def curve_json(c: tuple[np.ndarray, ...]) -> list[list[float]]:
    return [np.round(x, 5).tolist() for x in c]


def config_json(config: Any) -> dict[str, Any]:
    """A config dataclass as JSON (tuples as lists)."""
    return {k: (list(v) if isinstance(v, tuple) else v)
            for k, v in dataclasses.asdict(config).items()}


def per_budget_json(figures: Mapping[int, Estimate]) -> dict[str, Any]:
    return {str(b): estimate_json(e) for b, e in figures.items()}


def agent_json(agent: AgentFigures, middle: Mapping[str, Any]) -> dict[str, Any]:
    """An agent row of either replay: the shared figures around its own (`middle`)."""
    return {
        "name": agent.name, "kind": agent.kind, "contextual": agent.contextual,
        "cum_regret": estimate_json(agent.cum_regret),
        "simple_regret": per_budget_json(agent.simple_regret),
        "found": per_budget_json(agent.found),
        **middle,
        "steps_per_s": agent.steps_per_s, "reused": agent.reused, "cpu_s": agent.cpu_s,
        "curve_mean_lo_hi": curve_json(agent.curve),
    }
