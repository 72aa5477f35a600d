"""The classic benchmark: every agent replayed on a table's columns (templates) as arms, in
pulls, scored in sample; its config, what it measured and how runs become those figures.

Regret is expected regret: a pull of cell (t, a) costs `oracle_t - mean(t, a)` with
means over the full table, so the noise of which answer was dealt does not enter it.

What `run_benchmark` measures, per agent over independent seeds (95% intervals):

- cumulative regret against the per-task oracle, as curves over pulls per task;
- simple regret of `agent.best(context)` and the share of tasks whose recommendation is
  within 0.05 reward of the oracle, after B pulls per template (B x templates per task);
  agents that plan from the run length (successive halving) get a run per budget;
- calls versus uniform: pulls per task until 90% of (task, seed) pairs are within 0.05
  ("to 90%", may never happen within the budget), and the mean pulls per task from which
  a task's recommendation stays within ("settle"), each as a ratio to uniform's;
- transfer: contextual agents train on the other tasks, then play held-out tasks from
  their first pull, against the best context-free agent on the same tasks from scratch;
- a permutation test per task of whether the template matters at all;
- agent steps/s (time inside choose/update/best) and CPU seconds.

Baselines: the oracle (regret 0 by definition) and the best single template overall,
computed from the table; uniform is an agent like the others. Seeds run in worker
processes (one torch thread each); every (agent, seed) result depends on nothing else.

A v2 table (rows with a temperature, the code and visible/hidden pass vectors) has
"TEMPLATE@tT" columns; harness/bench/strategy_benchmark.py replays it with strategies
(template x temperature x best-of-k selection) as arms, costs in calls, and scores on
held-out answers.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from harness.agents import agent_class
from harness.agents.base import ArmSpace
from harness.bench.aggregate import (
    AgentFigures,
    Estimate,
    ReplayResult,
    agent_json,
    bootstrap_draws,
    bootstrap_interval,
    budget_figures,
    by_agent,
    chosen_gaps,
    config_json,
    curve_json,
    estimate_json,
    found_curves,
    per_budget_json,
    reach,
    transfer_budgets,
    transfer_curves,
    transfer_results,
    vs_uniform,
)
from harness.bench.jobs import SeedRun, run_agent_seed, run_seed_jobs
from harness.bench.replay import Decks, ReplayEnv, TaskContexts, play
from harness.bench.run_setup import (
    arm_space_for,
    checked_arguments,
    task_objects,
    transfer_split_of,
)
from harness.bench.sensitivity import sensitivity
from harness.bench.table import AnswerTable
from harness.tasks.load import Task

DEFAULT_BUDGETS = (1, 2, 5, 10)
"""Pulls per template per task at which recommendations are scored (up to `--budget`)."""
DEFAULT_TRAIN_BUDGET = 2
"""Pulls per template per training task before transfer: 32 pulls per task over 16
templates, what one `harness run` with its defaults (8 episodes x 4 samples) gives a
warm-started policy. More training helps transfer (synthetic table over placeholder
tasks, LinUCB, held-out regret ratio at budget 1: 0.73 after 2, 0.53 after 10) but PPO's
training steps are the benchmark's largest cost (about 0.8 ms each)."""
DEFAULT_TRANSFER_BUDGET = 5
"""Pulls per template per held-out task in the transfer test (capped at the largest
budget). Transfer is about the first pulls on a new task: on the synthetic table the
per-task learners overtake the trained contextual agents after about 2 pulls per
template, and every held-out PPO step costs about 0.8 ms."""


@dataclass(frozen=True)
class BenchmarkConfig:
    """Everything that defines a benchmark run."""

    agents: tuple[str, ...]
    """Agents benchmarked (uniform is the learning baseline)."""
    seeds: tuple[int, ...]
    """One independent run per seed and agent; confidence intervals are over seeds."""
    budgets: tuple[int, ...] = DEFAULT_BUDGETS
    """Pulls per template per task at which recommendations are scored (B x templates pulls)."""
    samples_per_decision: int = 1
    """K answers per decision, as `harness run --samples K`."""
    reward: str = "partial"
    """Reward scheme (harness.grading.rewards)."""
    transfer_split: float | tuple[str, ...] = 1 / 3
    """Held-out tasks for transfer: a fraction drawn per seed, or fixed task names."""
    transfer_train_budget: int = DEFAULT_TRAIN_BUDGET
    """Pulls per template per training task before the held-out tasks are played."""
    transfer_budget: int = DEFAULT_TRANSFER_BUDGET
    """Pulls per template per held-out task (the transfer table's largest budget)."""
    threshold: float = 0.05
    """A recommendation within this much reward of the oracle counts as found."""
    target_rate: float = 0.9
    """Share of (task, seed) pairs that must be found for "pulls to find"."""
    checkpoint_every: int = 8
    """Pulls per task between recorded recommendations (for pulls-to-find)."""
    permutations: int = 2000
    """Permutations per task in the sensitivity test."""
    workers: int = 2
    """Processes across seeds (1 = in this process)."""


@dataclass(frozen=True)
class AgentResult(AgentFigures):
    """One row of the agent table (counts in pulls; intervals: mean ± 1.96 SE over seeds)."""

    pulls_to_find: Estimate | None
    """Pulls per task until >= target_rate of (task, seed) pairs are found; None if never."""
    vs_uniform: Estimate | None
    """pulls_to_find / uniform's (bootstrap over seeds); < 1 means fewer calls than uniform."""
    pulls_to_settle: Estimate | None
    """Per (task, seed): pulls from which every later recommendation is within `threshold`,
    averaged (runs that never settle count as the largest budget: a lower bound)."""
    settle_vs_uniform: Estimate | None
    """pulls_to_settle / uniform's (bootstrap over seeds)."""
    unsettled: float
    """Share of (task, seed) pairs not within `threshold` at the largest budget."""


@dataclass(frozen=True)
class BenchmarkResult(ReplayResult[AgentResult]):
    """Everything the benchmark measured; `to_dict()` is the JSON written next to the plots."""

    config: BenchmarkConfig
    table: Mapping[str, Any]
    """Shape and provenance of the response table."""
    oracle: Mapping[str, str]
    """task -> template with the best mean reward."""
    best_single: str
    """The template with the best mean reward over all tasks."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "config": config_json(self.config),
            "table": dict(self.table),
            "oracle": dict(self.oracle),
            "best_single": self.best_single,
            "agents": [
                agent_json(a, {
                    "pulls_to_find": estimate_json(a.pulls_to_find),
                    "vs_uniform": estimate_json(a.vs_uniform),
                    "pulls_to_settle": estimate_json(a.pulls_to_settle),
                    "settle_vs_uniform": estimate_json(a.settle_vs_uniform),
                    "unsettled": a.unsettled,
                })
                for a in self.agents
            ],
            "transfer": [
                {
                    "agent": t.agent, "baseline": t.baseline, "trained": per_budget_json(t.trained),
                    "scratch": per_budget_json(t.scratch), "ratio": per_budget_json(t.ratio),
                    "curves_trained_scratch": curve_json(t.curves),
                }
                for t in self.transfer
            ],
            "sensitivity": [dataclasses.asdict(s) for s in self.sensitivity],
            "wall_s": self.wall_s,
            "cpu_s": self.cpu_s,
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class _Shared:
    """What every worker needs; sent once per process."""

    decks: Decks
    table: AnswerTable
    tasks: tuple[Task, ...]
    gaps: np.ndarray
    space: ArmSpace
    config: BenchmarkConfig
    heldout_split: float | tuple[int, ...]


def _run_seed(shared: _Shared, name: str, seed: int) -> SeedRun:
    started = time.process_time()
    return run_agent_seed(
        shared, name, seed, unit=len(shared.table.templates), split=shared.heldout_split,
        gaps=shared.gaps, budget_of=lambda pulls: pulls, play=play, started=started,
        env=lambda: ReplayEnv(shared.table, shared.config.reward, seed, shared.decks),
    )


def run_benchmark(
    table: AnswerTable,
    agents: Sequence[str] | None = None,
    seeds: int | Sequence[int] = 200,
    budgets: Sequence[int] = DEFAULT_BUDGETS,
    samples_per_decision: int = 1,
    reward: str = "partial",
    transfer_split: float | Sequence[str] = 1 / 3,
    *,
    tasks: Mapping[str, Task] | None = None,
    transfer_train_budget: int | None = None,
    transfer_budget: int | None = None,
    workers: int = 2,
    permutations: int = 2000,
    checkpoint_every: int | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> BenchmarkResult:
    """Replay `table` for every agent and seed; see the module docstring for what is measured.

    `tasks` gives the Task objects behind the table's task names (their features feed
    contextual agents); missing ones get placeholder tasks and a note.
    """
    started = time.perf_counter()
    agents, seed_list, budgets = checked_arguments(table, agents, seeds, budgets,
                                                   "pulls per template per task")
    task_objs, notes = task_objects(table, tasks)
    n_arms = len(table.templates)
    split, recorded_split = transfer_split_of(table, transfer_split)
    config = BenchmarkConfig(
        agents=agents, seeds=seed_list, budgets=budgets,
        samples_per_decision=samples_per_decision, reward=reward, transfer_split=recorded_split,
        transfer_train_budget=transfer_train_budget or DEFAULT_TRAIN_BUDGET,
        transfer_budget=min(transfer_budget or DEFAULT_TRANSFER_BUDGET, max(budgets)),
        checkpoint_every=checkpoint_every or max(1, n_arms // 2),
        permutations=permutations, workers=max(1, workers),
    )
    decks = Decks.build(table, reward)
    means = decks.means()
    gaps = means.max(axis=1, keepdims=True) - means
    shared = _Shared(decks, table, tuple(task_objs), gaps, arm_space_for(table.templates),
                     config, split)
    runs = run_seed_jobs(shared, _run_seed, TaskContexts, on_progress)
    result = _aggregate(table, shared, runs, means, gaps, notes)
    return dataclasses.replace(result, wall_s=time.perf_counter() - started,
                               cpu_s=sum(r.cpu_s for r in runs))


# ------------------------------------------------------------------------- aggregation


def _settle(within: np.ndarray, marks: np.ndarray, max_pulls: int) -> np.ndarray:
    """(tasks, checkpoints) found-flags -> per task the first checkpoint of the final run of
    found recommendations; max_pulls when the last recommendation is not found."""
    n = within.shape[-1]
    trailing = np.where(within.all(axis=-1), n, np.argmin(within[..., ::-1], axis=-1))
    first = np.minimum(n - trailing, n - 1)
    return np.where(trailing > 0, marks[first], max_pulls).astype(float)


def _aggregate(
    table: AnswerTable, shared: _Shared, runs: list[SeedRun], means: np.ndarray,
    gaps: np.ndarray, notes: list[str],
) -> BenchmarkResult:
    cfg = shared.config
    n_tasks, n_arms = means.shape
    max_pulls = max(cfg.budgets) * n_arms
    pulls_axis = np.arange(1, max_pulls + 1)
    runs_of = by_agent(runs)
    boot = bootstrap_draws(len(cfg.seeds))
    threshold = cfg.threshold + 1e-9

    # Pulls-to-find per agent: point estimate and bootstrap replicates (paired over seeds).
    marks = np.array(runs[0].checkpoints)
    found = found_curves(runs_of, lambda seed: gaps, threshold)  # (seeds, checkpoints)
    to_find = {name: reach(curves, marks, cfg.target_rate, boot) for name, curves in found.items()}
    settle = {
        name: np.stack([_settle((chosen_gaps(gaps, r.best) <= threshold).T, marks, max_pulls)
                        for r in items])  # (seeds, tasks), censored runs = max_pulls
        for name, items in runs_of.items()
    }
    uniform_settle = settle["uniform"].mean(axis=1)
    results: list[AgentResult] = []
    oracle_zero = np.zeros(max_pulls)
    results.append(AgentResult(
        "oracle", "baseline", False, (oracle_zero, oracle_zero, oracle_zero), Estimate.exact(0.0),
        {b: Estimate.exact(0.0) for b in cfg.budgets},
        {b: Estimate.exact(1.0) for b in cfg.budgets}, None, None, None, None, 0.0,
        steps_per_s=math.nan, reused=0.0,
    ))
    best_single = int(np.argmax(means.mean(axis=0)))
    per_pull = float(gaps[:, best_single].mean())
    line = per_pull * pulls_axis
    single_found = float((gaps[:, best_single] <= threshold).mean())
    results.append(AgentResult(
        "best_single", "baseline", False, (line, line, line), Estimate.exact(line[-1]),
        {b: Estimate.exact(per_pull) for b in cfg.budgets},
        {b: Estimate.exact(single_found) for b in cfg.budgets}, None, None, None, None,
        1.0 - single_found, steps_per_s=math.nan, reused=0.0,
    ))
    for name in cfg.agents:
        items = runs_of[name]
        curves = np.stack([r.regret.mean(axis=0) for r in items])  # (seeds, pulls)
        sem = (curves.std(axis=0, ddof=1) / math.sqrt(len(items)) if len(items) > 1
               else 0 * curves[0])
        centre = curves.mean(axis=0)
        simple, found_at = budget_figures(items, lambda seed: gaps, cfg.budgets, threshold,
                                          Estimate.of)
        point, reps = to_find[name]
        per_seed = settle[name].mean(axis=1)
        settle_ratio = bootstrap_interval(
            per_seed[boot].mean(axis=1) / uniform_settle[boot].mean(axis=1),
            float(per_seed.mean() / uniform_settle.mean()),
        )
        final_found = np.stack([chosen_gaps(gaps, r.best[-1]) <= threshold for r in items])
        steps = sum(r.steps for r in items)
        agent_s = sum(r.agent_s for r in items)
        results.append(AgentResult(
            name=name, kind="agent", contextual=agent_class(name).contextual,
            curve=(centre, centre - 1.96 * sem, centre + 1.96 * sem),
            cum_regret=Estimate.of(curves[:, -1]), simple_regret=simple, found=found_at,
            pulls_to_find=bootstrap_interval(reps, point) if math.isfinite(point) else None,
            vs_uniform=vs_uniform(point, reps, to_find["uniform"]),
            pulls_to_settle=Estimate.of(per_seed), settle_vs_uniform=settle_ratio,
            unsettled=float(1.0 - final_found.mean()),
            steps_per_s=steps / agent_s if agent_s > 0 else math.inf,
            reused=sum(r.reused for r in items) / max(1, steps),
            cpu_s=sum(r.cpu_s for r in items),
        ))
    transfer = transfer_results(transfer_curves(runs_of, cfg.transfer_budget * n_arms), n_arms,
                                transfer_budgets(cfg.budgets, cfg.transfer_budget), boot,
                                Estimate.of)
    sens = sensitivity(table, cfg.reward, cfg.permutations)
    info = {
        "tasks": len(table.tasks), "templates": n_arms,
        "samples_min_max": list(table.samples), "rows": sum(map(len, table.cells.values())),
        "meta": {k: v for k, v in table.meta.items() if k != "pass_prob"},
    }
    return BenchmarkResult(
        config=cfg, table=info,
        oracle={t: table.templates[int(np.argmax(means[i]))] for i, t in enumerate(table.tasks)},
        best_single=table.templates[best_single], agents=tuple(results),
        transfer=transfer, sensitivity=sens, wall_s=0.0, notes=tuple(notes),
    )

