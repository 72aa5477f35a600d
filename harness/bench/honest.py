"""The strategy replay: agents choose strategies, pay in calls, and are scored out of sample.

An arm is a strategy (template x temperature x selection, harness/bench/strategies.py).
A pull deals answers of its (task, template, temperature) cell from the seed's dealing
part (harness/bench/split.py), applies the selection rule, and feeds the agent what a
live run would: `reward - call_price * (calls - 1)` of the kept answer. Every figure is
counted in calls, not pulls; a budget of b means b calls per cell (template x
temperature) per task, so with single answers only it is the classic "pulls per
template" and a best_of_3 pull spends up to 3 of it.

Scores come from the held-out part of each cell only: a pull of (t, a) costs the
held-out regret `oracle_t - value(t, a)` (both exact expectations over the held-out
answers), charged at the call that ends the pull; "found" and the value of a
recommendation are its held-out value. With `heldout=0` both parts are the whole cell
(in sample, as the classic replay).

What `run_strategy_benchmark` measures, per agent over seeds (the central 95% of the
per-seed figures, see `spread`): cumulative regret curves over calls per task; at each
budget the simple regret and found-rate of `best()`; calls per task until 90% of (task,
seed) pairs are found (or, when uniform never gets there, uniform's found-rate at the
largest budget) and its ratio to uniform's; the value of learning (the held-out reward, pass@1 and calls of the recommended
strategy, against uniform's, the best single strategy chosen on the dealing part and the
default strategy); transfer of contextual agents (trained on the other tasks) to
held-out tasks against the best context-free agent from scratch.
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
from harness.agents.base import Agent, ArmSpace
from harness.agents.features import TaskHistory
from harness.bench.aggregate import (
    AgentFigures,
    Estimate,
    ReplayResult,
    TransferResult,
    agent_json,
    bootstrap_draws,
    bootstrap_interval,
    budget_figures,
    by_agent,
    config_json,
    curve_json,
    estimate_json,
    first_reach,
    found_curves,
    per_budget_json,
    reach,
    transfer_budgets,
    transfer_curves,
    transfer_ratio,
    transfer_results,
    vs_uniform,
)
from harness.bench.jobs import WORKER, SeedRun, run_agent_seed, run_seed_jobs
from harness.bench.replay import (
    ResponseTable,
    TaskContexts,
    Trace,
    checked_arguments,
    sensitivity,
    task_objects,
    transfer_split_of,
)
from harness.bench.split import SeedSplit, draw_split, held_count, part_values
from harness.bench.strategies import (
    DEFAULT_STRATEGY,
    SELECTIONS,
    StrategyArms,
    StrategyDecks,
    default_strategy,
    draws_of,
)
from harness.bench.table import column_parts, is_v2
from harness.errors import HarnessError
from harness.tasks.load import Task

DEFAULT_BUDGETS = (1, 2, 5)
"""Calls per cell (template x temperature) per task at which recommendations are scored."""
DEFAULT_CALL_PRICE = 0.02
"""Reward given up per call beyond the first (as `harness run --call-price`): a strategy must
gain 2 points of reward per extra call to be worth it; 0 ignores cost."""
DEFAULT_HELDOUT = 0.5
"""Share of each cell's answers held out for scoring (5 + 5 of a 10-answer cell)."""
TRANSFER_GOAL = 0.8
"""Held-out cumulative regret of a trained agent / a fresh one: the goal (and never above 1)."""

# ----------------------------------------------------------------------------- config


@dataclass(frozen=True)
class StrategyConfig:
    """Everything that defines a strategy benchmark run."""

    agents: tuple[str, ...]
    """Agents benchmarked (uniform is the learning baseline)."""
    seeds: tuple[int, ...]
    """One run per seed and agent, each with its own split of the table; intervals are over seeds."""
    budgets: tuple[int, ...] = DEFAULT_BUDGETS
    """Calls per cell per task (b x cells calls per task) at which recommendations are scored."""
    selections: tuple[str, ...] = SELECTIONS
    """Selection rules crossed with every column of the table."""
    call_price: float = DEFAULT_CALL_PRICE
    """Reward given up per call beyond the first, in what agents learn and are scored on."""
    heldout: float = DEFAULT_HELDOUT
    """Share of each cell's answers held out for scoring; 0 scores in sample."""
    samples_per_decision: int = 1
    """K pulls per decision, as `harness run --samples K`."""
    reward: str = "partial"
    """Reward scheme (harness.grading.rewards)."""
    transfer_split: float | tuple[str, ...] = 1 / 3
    """Held-out tasks for transfer: a fraction drawn per seed, or fixed task names."""
    transfer_train_budget: int = 2
    """Calls per cell per training task before the held-out tasks are played."""
    transfer_budget: int = 5
    """Calls per cell per held-out task in the transfer test."""
    threshold: float = 0.05
    """A recommendation within this much held-out value of the held-out oracle is found."""
    target_rate: float = 0.9
    """Share of (task, seed) pairs that must be found for "calls to find"."""
    checkpoint_every: int = 8
    """Calls per task between recorded recommendations."""
    permutations: int = 2000
    """Permutations per task in the sensitivity test."""
    workers: int = 2
    """Processes across seeds (1 = in this process)."""


# ------------------------------------------------------------------------ environment


class StrategyEnv:
    """A table as a strategy bandit: a pull deals answers of its cell's dealing part.

    Each cell's dealing order comes from the seed alone, shared by every strategy of the
    cell (single and best_of_k draw from one deck, as they would from one model), so every
    agent run with the same seed meets the same answers in the same order. A deck used up
    is reshuffled and its answers count as reused: they carry no new information.
    """

    def __init__(self, decks: StrategyDecks, arms: StrategyArms, split: SeedSplit,
                 call_price: float) -> None:
        rng = np.random.default_rng([split.seed, 101])
        self.rng = rng
        self.deal = [[list(cell) for cell in row] for row in split.deal]
        self.order = [[[cell[i] for i in rng.permutation(len(cell))] for cell in row] for row in self.deal]
        self.position = [[0] * len(row) for row in self.deal]
        self.fresh = [[True] * len(row) for row in self.deal]
        self.scores = [[list(cell) for cell in row] for row in decks.scores]
        self.stops = [[list(cell) for cell in row] for row in decks.stops]
        self.rewards = [[cell.tolist() for cell in row] for row in decks.rewards]
        self.columns = list(arms.columns)
        self.draws = list(arms.draws)
        self.price = call_price
        self.answers = 0
        self.reused = 0

    def _next(self, t: int, c: int) -> int:
        position = self.position[t][c]
        order = self.order[t][c]
        if position == len(order):
            order = self.order[t][c] = [self.deal[t][c][i] for i in self.rng.permutation(len(order))]
            self.fresh[t][c] = False
            position = 0
        self.position[t][c] = position + 1
        self.answers += 1
        if not self.fresh[t][c]:
            self.reused += 1
        return order[position]

    def pull(self, t: int, arm: int) -> tuple[float, int, int]:
        """(net reward, calls, kept answer) of one use of strategy `arm` on task `t`."""
        c, k = self.columns[arm], self.draws[arm]
        scores, stops = self.scores[t][c], self.stops[t][c]
        kept, calls = -1, 0
        while calls < k:
            i = self._next(t, c)
            calls += 1
            if kept < 0 or scores[i] > scores[kept]:
                kept = i
            if stops[i]:
                break
        return self.rewards[t][c][kept] - self.price * (calls - 1), calls, kept


# ------------------------------------------------------------------------ episode loop


@dataclass(frozen=True)
class CallTrace(Trace):
    """What one agent run did, counted in calls: `regret` is (tasks, calls) held-out regret
    after each call, `checkpoints` are calls per task, `steps` the pulls (rewards fed to the
    agent) and `reused` the answers dealt from a deck already used up."""

    answers: int
    """Answers dealt (= calls)."""


def play_calls(
    agent: Agent, env: StrategyEnv, contexts: TaskContexts, tasks: Sequence[int], max_calls: int,
    gaps: np.ndarray, samples_per_decision: int = 1, checkpoints: Sequence[int] = (),
) -> CallTrace:
    """Play every task until it has used `max_calls` calls, with runner.py's structure: each
    episode one decision per unfinished task, K pulls of it, an update after each pull."""
    n = len(tasks)
    histories = [TaskHistory() for _ in tasks]
    used = [0] * n
    steps = np.zeros((n, max_calls + max(env.draws) + 1))
    marks = sorted(c for c in set(checkpoints) if 0 < c <= max_calls)
    best = np.zeros((len(marks), n), dtype=np.int32)
    next_mark = [0] * n
    agent_s = 0.0
    pulls = 0
    answers0, reused0 = env.answers, env.reused
    clock = time.perf_counter
    active = list(range(n))
    while active:
        for j in active:
            t = tasks[j]
            ctx = contexts(t, histories[j])
            t0 = clock()
            arm = agent.choose(ctx)
            agent_s += clock() - t0
            for sample in range(samples_per_decision):
                if used[j] >= max_calls:
                    break
                net, calls, _ = env.pull(t, arm)
                if sample:  # the history moved since the choice
                    ctx = contexts(t, histories[j])
                t0 = clock()
                agent.update(ctx, arm, net)
                agent_s += clock() - t0
                histories[j] = histories[j].add(net)
                used[j] += calls
                pulls += 1
                steps[j, used[j] - 1] += gaps[t, arm]
        for j in active:
            while next_mark[j] < len(marks) and used[j] >= marks[next_mark[j]]:
                ctx = contexts(tasks[j], histories[j])
                t0 = clock()
                best[next_mark[j], j] = agent.best(ctx)
                agent_s += clock() - t0
                next_mark[j] += 1
        active = [j for j in active if used[j] < max_calls]
    return CallTrace(
        tasks=tuple(tasks), regret=np.cumsum(steps, axis=1)[:, :max_calls], checkpoints=tuple(marks),
        best=best, steps=pulls, answers=env.answers - answers0, agent_s=agent_s,
        reused=env.reused - reused0,
    )


# --------------------------------------------------------------------------- seed runs


@dataclass(frozen=True)
class _Shared:
    """What every worker needs; sent once per process."""

    decks: StrategyDecks
    """The table's answers as the selection rule and the scores need them."""
    arms: StrategyArms
    """The strategies, in arm order."""
    tasks: tuple[Task, ...]
    """Task objects behind the table's tasks (features for contextual agents)."""
    space: ArmSpace
    """How the arms factor (template components, temperature, selection)."""
    config: StrategyConfig
    """The run's configuration."""
    split: float | tuple[int, ...]
    """Transfer split: a share of tasks, or held-out task indices."""
    cells: int
    """Columns (template x temperature) per task: the budget unit."""
    calls_per_pull: float
    """Mean expected calls of a pull over the arms, to give budget-aware agents pulls."""


@dataclass(frozen=True)
class _Run(SeedRun):
    """One (agent, seed) of the strategy replay: counts in calls; `steps` are the pulls (rewards
    fed to the agent), `answers` the calls they made."""

    answers: int
    """Answers dealt (calls) over all its runs of this seed."""


def _split(shared: _Shared, seed: int) -> SeedSplit:
    """The seed's split, computed once per process (every agent of the seed shares it)."""
    cache = WORKER.setdefault("splits", {})
    if seed not in cache:
        cfg = shared.config
        cache[seed] = draw_split(shared.decks, shared.arms, seed, cfg.heldout, cfg.call_price)
    return cache[seed]


def _run_seed(shared: _Shared, name: str, seed: int) -> _Run:
    started = time.process_time()
    split = _split(shared, seed)
    values = split.scored.value
    return run_agent_seed(
        shared, name, seed, unit=shared.cells, split=shared.split,
        gaps=values.max(axis=1, keepdims=True) - values,
        budget_of=lambda calls: max(1, round(calls / shared.calls_per_pull)), play=play_calls,
        env=lambda: StrategyEnv(shared.decks, shared.arms, split, shared.config.call_price),
        started=started, record=_Run, counted=("answers",),
    )


# ----------------------------------------------------------------------------- results


@dataclass(frozen=True)
class StrategyAgentResult(AgentFigures):
    """One row of the strategy agent table (every count in calls, regret held out; intervals:
    the central 95% of the seeds, `spread`)."""

    calls_to_find: Estimate | None
    """Calls per task until >= find_target of (task, seed) pairs are found; None if never."""
    vs_uniform: Estimate | None
    """calls_to_find / uniform's (bootstrap over seeds); < 1 means fewer calls than uniform."""
    calls_per_pull: float
    """Mean calls per pull the agent made (1 = always single)."""


@dataclass(frozen=True)
class ValueRow:
    """The held-out worth of a recommendation after a budget: what learning bought."""

    name: str
    """Agent, or "oracle" / "best_single" / "default"."""
    kind: str
    """"agent" or "baseline"."""
    budget: int
    """Calls per cell per task spent before the recommendation (0 for baselines)."""
    strategy: str
    """The most common recommendation (over tasks and seeds), for reading."""
    reward: Estimate
    """Held-out expected reward of the kept answer, averaged over tasks."""
    passed: Estimate
    """Held-out pass@1 (the kept answer passes every hidden test)."""
    calls: Estimate
    """Expected calls per answer."""
    value: Estimate
    """reward - call_price * (calls - 1): what the comparisons below are in."""
    versus: Mapping[str, Mapping[str, Estimate]]
    """"uniform" / "best_single" / "default" -> {"value", "reward", "passed"} paired
    difference over seeds (this minus that)."""


@dataclass(frozen=True)
class StrategyResult(ReplayResult[StrategyAgentResult]):
    """Everything the strategy benchmark measured; `to_dict()` is the JSON beside the plots."""

    config: StrategyConfig
    """The run's configuration."""
    table: Mapping[str, Any]
    """Shape and provenance of the response table."""
    arms: tuple[str, ...]
    """Strategy ids, in arm order."""
    cells: int
    """Columns (template x temperature) per task: budgets are calls per cell."""
    best_single: Mapping[str, int]
    """Strategy id -> seeds in which it was the best single strategy on the dealing part."""
    oracle: Mapping[str, Mapping[str, int]]
    """task -> held-out oracle strategy -> seeds (the oracle moves with the split)."""
    value: tuple[ValueRow, ...]
    """Value of learning: baselines, then every agent at every budget."""
    default: str | None
    """The strategy the "default" rows are: DEFAULT_STRATEGY, or its template at another
    temperature when the table lacks it."""
    find_target: float
    """The found-rate "calls to find" counts to: target_rate, or uniform's found-rate at the
    largest budget when uniform never reaches target_rate (out of sample it rarely does:
    the held-out oracle is the best of many noisy arms)."""
    transfer_worst: Mapping[str, tuple[Estimate, int]]
    """agent -> (the highest held-out regret ratio over the transfer curve, at how many calls)."""

    def value_of(self, name: str, budget: int | None = None) -> ValueRow:
        return next(v for v in self.value if v.name == name and (budget is None or v.budget in (0, budget)))

    def to_dict(self) -> dict[str, Any]:
        est = estimate_json
        return {
            "mode": "strategies",
            "config": config_json(self.config),
            "table": dict(self.table), "arms": list(self.arms), "cells": self.cells,
            "best_single": dict(self.best_single), "oracle": {k: dict(v) for k, v in self.oracle.items()},
            "find_target": self.find_target, "default": self.default,
            "agents": [
                agent_json(a, {"calls_to_find": est(a.calls_to_find), "vs_uniform": est(a.vs_uniform),
                               "calls_per_pull": a.calls_per_pull})
                for a in self.agents
            ],
            "value": [
                {
                    "name": v.name, "kind": v.kind, "budget": v.budget, "strategy": v.strategy,
                    "reward": est(v.reward), "passed": est(v.passed), "calls": est(v.calls),
                    "value": est(v.value),
                    "versus": {k: {m: est(e) for m, e in d.items()} for k, d in v.versus.items()},
                }
                for v in self.value
            ],
            "transfer": [
                {
                    "agent": t.agent, "baseline": t.baseline, "budgets": list(t.budgets),
                    "trained": per_budget_json(t.trained), "scratch": per_budget_json(t.scratch),
                    "ratio": per_budget_json(t.ratio),
                    "worst_ratio": est(self.transfer_worst[t.agent][0]),
                    "worst_at_calls": self.transfer_worst[t.agent][1],
                    "curves_trained_scratch": curve_json(t.curves),
                }
                for t in self.transfer
            ],
            "sensitivity": [dataclasses.asdict(s) for s in self.sensitivity],
            "wall_s": self.wall_s, "cpu_s": self.cpu_s, "notes": list(self.notes),
        }


# --------------------------------------------------------------------------- benchmark


def run_strategy_benchmark(
    table: ResponseTable,
    agents: Sequence[str] | None = None,
    seeds: int | Sequence[int] = 200,
    budgets: Sequence[int] = DEFAULT_BUDGETS,
    selections: Sequence[str] = SELECTIONS,
    call_price: float = DEFAULT_CALL_PRICE,
    heldout: float = DEFAULT_HELDOUT,
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
    notes: Sequence[str] = (),
    on_progress: Callable[[int, int], None] | None = None,
) -> StrategyResult:
    """Replay `table` with strategies as arms for every agent and seed (module docstring)."""
    started = time.perf_counter()
    agents, seed_list, budgets = checked_arguments(table, agents, seeds, budgets,
                                                   "calls per cell per task")
    if not 0 <= heldout < 1:
        raise HarnessError("heldout is the share of each cell's answers held out: 0 <= share < 1")
    if call_price < 0:
        raise HarnessError("the call price must be >= 0")
    task_objs, task_notes = task_objects(table, tasks)
    notes = [*notes, *task_notes]
    arms = StrategyArms.build(table, selections)
    decks = StrategyDecks.build(table, reward)
    if heldout > 0:
        fewest = int(decks.sizes.min())
        held = held_count(fewest, heldout)
        capped = [s for s, k in zip(arms.selections, map(draws_of, arms.selections), strict=True)
                  if k > held]
        if capped:
            notes.append(f"cells of {fewest} answers keep {held} for scoring: {', '.join(capped)} "
                         f"is scored on at most {held} draws there (biased low)")
    if any(s != "single" for s in arms.selections) and not all(decks.visible):
        bare = [t for t, v in zip(table.tasks, decks.visible, strict=True) if not v]
        notes.append(f"best_of_k selects on syntax validity on {len(bare)} task(s) without "
                     f"visible-example vectors{' (a v1 table)' if not is_v2(table) else ''}")
    default = default_strategy(arms.ids)
    if default is None:
        notes.append(f"the default strategy {DEFAULT_STRATEGY} is not among the arms: no "
                     "'vs default' column")
    elif default != DEFAULT_STRATEGY:
        notes.append(f"the table has no {DEFAULT_STRATEGY}: 'default' is {default}")
    split, recorded_split = transfer_split_of(table, transfer_split)
    cells = len(table.templates)
    config = StrategyConfig(
        agents=agents, seeds=seed_list, budgets=budgets, selections=arms.selections,
        call_price=call_price, heldout=heldout, samples_per_decision=samples_per_decision,
        reward=reward, transfer_split=recorded_split,
        transfer_train_budget=transfer_train_budget or 2,
        transfer_budget=min(transfer_budget or 5, max(budgets)),
        checkpoint_every=checkpoint_every or max(1, cells // 2),
        permutations=permutations, workers=max(1, workers),
    )
    everything = tuple(tuple(tuple(range(int(n))) for n in row) for row in decks.sizes)
    full = part_values(decks, arms, everything, call_price)
    shared = _Shared(decks, arms, tuple(task_objs), arms.arm_space(), config, split, cells,
                     float(full.calls.mean()))
    runs = run_seed_jobs(shared, _run_seed, TaskContexts, on_progress)
    splits = {s: draw_split(decks, arms, s, heldout, call_price) for s in seed_list}
    result = _aggregate(table, shared, runs, splits, notes)
    return dataclasses.replace(result, wall_s=time.perf_counter() - started,
                               cpu_s=sum(r.cpu_s for r in runs))


# ------------------------------------------------------------------------- aggregation


def spread(values: np.ndarray | Sequence[float]) -> Estimate:
    """The mean over seeds and the central 95% of the per-seed figures.

    Not the standard error of the mean: each seed redraws the split, and a figure scored
    on 5 of a cell's 10 answers varies from split to split about as much as a 10-answer
    mean varies from table to table (finite-population correction: (10 - 5) / (10 - 1) of
    a 5-answer mean's variance). So the spread says how far the table's own noise (and the
    agent's randomness) can move the figure; it does not shrink with more seeds.
    """
    x = np.asarray(values, dtype=float)
    lo, hi = np.quantile(x, [0.025, 0.975]) if len(x) > 1 else (x.mean(), x.mean())
    return Estimate(float(x.mean()), float(lo), float(hi))


def _band(curves: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(mean, 2.5%, 97.5%) over seeds of (seeds, points) curves."""
    lo, hi = np.quantile(curves, [0.025, 0.975], axis=0)
    return curves.mean(axis=0), lo, hi


def _aggregate(
    table: ResponseTable, shared: _Shared, runs: list[_Run], splits: Mapping[int, SeedSplit],
    notes: list[str],
) -> StrategyResult:
    cfg, arms, cells = shared.config, shared.arms, shared.cells
    n_tasks = len(table.tasks)
    rows = np.arange(n_tasks)
    max_calls = max(cfg.budgets) * cells
    runs_of = by_agent(runs)
    seeds = cfg.seeds
    n_seeds = len(seeds)
    boot = bootstrap_draws(n_seeds)
    threshold = cfg.threshold + 1e-9
    held = {s: splits[s].scored for s in seeds}
    gaps = {s: held[s].value.max(axis=1, keepdims=True) - held[s].value for s in seeds}
    marks = np.array(runs[0].checkpoints)
    found = found_curves(runs_of, gaps.__getitem__, threshold)  # (seeds, checkpoints)
    target = cfg.target_rate
    uniform_rates = found["uniform"].mean(axis=0)
    if not math.isfinite(first_reach(uniform_rates, marks, target)):
        target = float(uniform_rates[-1])  # what uniform finds with the whole budget
    to_find = {name: reach(curves, marks, target, boot) for name, curves in found.items()}
    calls_axis = np.arange(1, max_calls + 1)
    results: list[StrategyAgentResult] = []
    zero = np.zeros(max_calls)
    results.append(StrategyAgentResult(
        "oracle", "baseline", False, (zero, zero, zero), Estimate.exact(0.0),
        {b: Estimate.exact(0.0) for b in cfg.budgets}, {b: Estimate.exact(1.0) for b in cfg.budgets},
        None, None, float(np.mean([held[s].calls[rows, held[s].value.argmax(axis=1)].mean()
                                   for s in seeds])), steps_per_s=math.nan, reused=0.0,
    ))
    # Fixed strategies: the best single one on the dealing part (per seed), and the default.
    fixed: dict[str, np.ndarray] = {
        "best_single": np.array([int(np.argmax(splits[s].dealt.value.mean(axis=0))) for s in seeds])
    }
    default = default_strategy(arms.ids)
    if default is not None:
        fixed["default"] = np.full(n_seeds, arms.ids.index(default))
    for name, chosen in fixed.items():
        per_call = np.stack([gaps[s][:, a] / held[s].calls[:, a] for s, a in zip(seeds, chosen, strict=True)])
        lines = per_call.mean(axis=1)[:, None] * calls_axis  # (seeds, calls): a pull per its calls
        gap = np.stack([gaps[s][:, a] for s, a in zip(seeds, chosen, strict=True)])
        results.append(StrategyAgentResult(
            name, "baseline", False, _band(lines),
            spread(lines[:, -1]), {b: spread(gap.mean(axis=1)) for b in cfg.budgets},
            {b: spread((gap <= threshold).mean(axis=1)) for b in cfg.budgets}, None, None,
            float(np.mean([held[s].calls[:, a].mean() for s, a in zip(seeds, chosen, strict=True)])),
            steps_per_s=math.nan, reused=0.0,
        ))
    for name in cfg.agents:
        items = runs_of[name]
        curves = np.stack([r.regret.mean(axis=0) for r in items])
        simple, found_at = budget_figures(items, gaps.__getitem__, cfg.budgets, threshold, spread)
        point, reps = to_find[name]
        pulls = sum(r.steps for r in items)
        agent_s = sum(r.agent_s for r in items)
        results.append(StrategyAgentResult(
            name=name, kind="agent", contextual=agent_class(name).contextual,
            curve=_band(curves),
            cum_regret=spread(curves[:, -1]), simple_regret=simple, found=found_at,
            calls_to_find=bootstrap_interval(reps, point) if math.isfinite(point) else None,
            vs_uniform=vs_uniform(point, reps, to_find["uniform"]),
            calls_per_pull=sum(r.answers for r in items) / max(1, pulls),
            steps_per_s=pulls / agent_s if agent_s > 0 else math.inf,
            reused=sum(r.reused for r in items) / max(1, sum(r.answers for r in items)),
            cpu_s=sum(r.cpu_s for r in items),
        ))
    value = _value_rows(cfg, arms, runs_of, held, fixed, rows)
    transfer, worst = _transfer(cfg, runs_of, cells, boot)
    sens = sensitivity(table, cfg.reward, cfg.permutations)
    best_single: dict[str, int] = {}
    for a in fixed["best_single"]:
        best_single[arms.ids[a]] = best_single.get(arms.ids[a], 0) + 1
    oracle: dict[str, dict[str, int]] = {}
    for i, task in enumerate(table.tasks):
        counts: dict[str, int] = {}
        for s in seeds:
            a = arms.ids[int(np.argmax(held[s].value[i]))]
            counts[a] = counts.get(a, 0) + 1
        oracle[task] = dict(sorted(counts.items(), key=lambda kv: -kv[1]))
    parts = [column_parts(c) for c in table.templates]
    info = {
        "tasks": n_tasks, "templates": len({t for t, _ in parts}),
        "temperatures": sorted({x for _, x in parts}), "columns": cells, "arms": arms.n_arms,
        "samples_min_max": list(table.samples), "rows": sum(map(len, table.cells.values())),
        "version": 2 if is_v2(table) else 1,
        "meta": {k: v for k, v in table.meta.items() if k not in ("pass_prob", "tasks", "templates")},
    }
    return StrategyResult(
        config=cfg, table=info, arms=arms.ids, cells=cells,
        best_single=dict(sorted(best_single.items(), key=lambda kv: -kv[1])), oracle=oracle,
        agents=tuple(results), value=value, transfer=transfer, default=default, find_target=target,
        transfer_worst=worst,
        sensitivity=sens, wall_s=0.0, notes=tuple(notes),
    )


def _value_rows(
    cfg: StrategyConfig, arms: StrategyArms, runs_of: Mapping[str, list[_Run]],
    held: Mapping[int, Any], fixed: Mapping[str, np.ndarray], rows: np.ndarray,
) -> tuple[ValueRow, ...]:
    """Held-out reward, pass@1, calls and value of each recommendation, and paired
    differences against uniform's (same budget), the best single strategy and the default."""
    seeds = cfg.seeds
    metrics = ("value", "reward", "passed", "calls")

    def score(choices: Sequence[np.ndarray]) -> dict[str, np.ndarray]:
        """choices[seed] (tasks,) -> metric -> (seeds,) averaged over tasks."""
        return {m: np.array([getattr(held[s], m)[rows, c].mean() for s, c in zip(seeds, choices, strict=True)])
                for m in metrics}

    def common(choices: Sequence[np.ndarray]) -> str:
        ids, counts = np.unique(np.concatenate([np.atleast_1d(c) for c in choices]), return_counts=True)
        return arms.ids[int(ids[np.argmax(counts)])]

    choices = {"oracle": [held[s].value.argmax(axis=1) for s in seeds]}
    choices.update({n: [np.full(len(rows), a) for a in f] for n, f in fixed.items()})
    base = {name: score(choice) for name, choice in choices.items()}
    comparators = {n: f for n, f in base.items() if n != "oracle"}
    out = [
        _row(name, "baseline", 0, common(choice), base[name],
             {n: f for n, f in comparators.items() if n != name})
        for name, choice in choices.items()
    ]
    for budget in cfg.budgets:
        uniform = score([r.budget_best[budget] for r in runs_of["uniform"]])
        for name in cfg.agents:
            choice = [r.budget_best[budget] for r in runs_of[name]]
            versus = {"uniform": uniform, **comparators}
            out.append(_row(name, "agent", budget, common(choice), score(choice), versus))
    return tuple(out)


def _row(name: str, kind: str, budget: int, strategy: str, figures: Mapping[str, np.ndarray],
         versus: Mapping[str, Mapping[str, np.ndarray]]) -> ValueRow:
    return ValueRow(
        name=name, kind=kind, budget=budget, strategy=strategy,
        reward=spread(figures["reward"]), passed=spread(figures["passed"]),
        calls=spread(figures["calls"]), value=spread(figures["value"]),
        versus={other: {m: spread(figures[m] - theirs[m]) for m in ("value", "reward", "passed")}
                for other, theirs in versus.items()},
    )


def _transfer(
    cfg: StrategyConfig, runs_of: Mapping[str, list[_Run]], cells: int, boot: np.ndarray
) -> tuple[tuple[TransferResult, ...], dict[str, tuple[Estimate, int]]]:
    """Held-out tasks: trained contextual agents vs the best context-free agent from scratch
    (as the classic replay, in calls), and per agent the worst ratio along the curve."""
    horizon = cfg.transfer_budget * cells
    curves = transfer_curves(runs_of, horizon)
    transfer = transfer_results(curves, cells, transfer_budgets(cfg.budgets, cfg.transfer_budget),
                                boot, spread)
    if curves is None:
        return transfer, {}
    _, scratch, trained_by = curves
    worst = {}
    grid = np.arange(max(1, cells // 2), horizon + 1, max(1, cells // 4)) - 1  # from half a call per cell
    for name, trained in trained_by.items():
        ratios = trained[:, grid].mean(axis=0) / np.maximum(scratch[:, grid].mean(axis=0), 1e-12)
        top = int(grid[int(np.argmax(ratios))])
        worst[name] = (transfer_ratio(trained, scratch, top, boot), top + 1)
    return transfer, worst
