"""What a strategy benchmark run is: its defaults and config, and every figure it measured.

The strategy replay (harness/bench/strategy_replay.py, run by
harness/bench/strategy_benchmark.py) counts in calls and scores on held-out answers; a
`StrategyResult` holds its agent rows, the value of learning, transfer and sensitivity,
and `to_dict()` is the agents.json written beside the plots (harness/bench/strategy_output.py).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from harness.bench.aggregate import (
    AgentFigures,
    Estimate,
    ReplayResult,
    agent_json,
    config_json,
    curve_json,
    estimate_json,
    per_budget_json,
)
from harness.bench.strategies import SELECTIONS

DEFAULT_BUDGETS = (1, 2, 5)
"""Calls per cell (template x temperature) per task at which recommendations are scored."""
DEFAULT_CALL_PRICE = 0.02
"""Reward given up per call beyond the first (as `harness run --call-price`): a strategy must
gain 2 points of reward per extra call to be worth it; 0 ignores cost."""
DEFAULT_HELDOUT = 0.5
"""Share of each cell's answers held out for scoring (5 + 5 of a 10-answer cell)."""
TRANSFER_GOAL = 0.8
"""Held-out cumulative regret of a trained agent / a fresh one: the goal (and never above 1)."""


@dataclass(frozen=True)
class StrategyConfig:
    """Everything that defines a strategy benchmark run."""

    agents: tuple[str, ...]
    """Agents benchmarked (uniform is the learning baseline)."""
    seeds: tuple[int, ...]
    """One run per seed and agent, each with its own split of the table; intervals are over
    seeds."""
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
    checkpoint_every: int = 2
    """Calls per task between recorded recommendations: the resolution of "calls to find"
    (every 8 read a first crossing anywhere in 9..16 calls as 16)."""
    permutations: int = 2000
    """Permutations per task in the sensitivity test."""
    workers: int = 2
    """Processes across seeds (1 = in this process)."""


@dataclass(frozen=True)
class StrategyAgentResult(AgentFigures):
    """One row of the strategy agent table (every count in calls, regret held out; intervals:
    the central 95% of the seeds, `harness.bench.aggregate.spread`)."""

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
class SelectionRow:
    """What one way of choosing answers gives at one temperature, whatever the template: its
    held-out outcome averaged over tasks and templates, and against one call at that temperature.
    No learner chooses here: what choosing among answers (or repairing one) gains on this model
    and these tasks, with the calls it takes beside it (the differences are in reward and
    pass@1, not net of a call price)."""

    temperature: float
    selection: str
    reward: Estimate
    """Held-out expected reward of the kept answer."""
    passed: Estimate
    """Held-out pass@1 of the kept answer."""
    calls: Estimate
    """Expected calls per answer."""
    versus_single: Mapping[str, Estimate]
    """"reward" / "passed" -> paired difference against `single` at the same temperature."""


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
    selections: tuple[SelectionRow, ...] = ()
    """Every (temperature, selection), whatever the template (no learner involved)."""

    def value_of(self, name: str, budget: int | None = None) -> ValueRow:
        return next(v for v in self.value
                    if v.name == name and (budget is None or v.budget in (0, budget)))

    def to_dict(self) -> dict[str, Any]:
        est = estimate_json
        return {
            "mode": "strategies",
            "config": config_json(self.config),
            "table": dict(self.table), "arms": list(self.arms), "cells": self.cells,
            "best_single": dict(self.best_single),
            "oracle": {k: dict(v) for k, v in self.oracle.items()},
            "find_target": self.find_target, "default": self.default,
            "agents": [
                agent_json(a, {"calls_to_find": est(a.calls_to_find),
                               "vs_uniform": est(a.vs_uniform),
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
            "selections": [
                {"temperature": r.temperature, "selection": r.selection, "reward": est(r.reward),
                 "passed": est(r.passed), "calls": est(r.calls),
                 "versus_single": {m: est(e) for m, e in r.versus_single.items()}}
                for r in self.selections
            ],
            "sensitivity": [dataclasses.asdict(s) for s in self.sensitivity],
            "wall_s": self.wall_s, "cpu_s": self.cpu_s, "notes": list(self.notes),
        }

