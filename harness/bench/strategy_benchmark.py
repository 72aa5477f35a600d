"""The strategy benchmark: every agent replayed over strategies for many seeds, each seed with
its own dealing / held-out split, and how the runs become the figures of a `StrategyResult`.

What `run_strategy_benchmark` measures, per agent over seeds (the central 95% of the
per-seed figures, see `harness.bench.aggregate.spread`): cumulative regret curves over
calls per task; at each budget the simple regret and found-rate of `best()`; calls per
task until 90% of (task, seed) pairs are found (or, when uniform never gets there,
uniform's found-rate at the largest budget) and its ratio to uniform's; the value of
learning (the held-out reward, pass@1 and calls of the recommended strategy, against
uniform's, the best single strategy chosen on the dealing part and the default strategy);
transfer of contextual agents (trained on the other tasks) to held-out tasks against the
best context-free agent from scratch. "Found" and the value of a recommendation are its
held-out value; with `heldout=0` both parts are the whole cell (in sample, as the classic
replay).
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
    Estimate,
    TransferResult,
    bootstrap_draws,
    bootstrap_interval,
    budget_figures,
    by_agent,
    first_reach,
    found_curves,
    reach,
    spread,
    spread_band,
    transfer_budgets,
    transfer_curves,
    transfer_ratio,
    transfer_results,
    vs_uniform,
)
from harness.bench.jobs import WORKER, SeedRun, run_agent_seed, run_seed_jobs
from harness.bench.replay import TaskContexts
from harness.bench.run_setup import checked_arguments, task_objects, transfer_split_of
from harness.bench.sensitivity import sensitivity
from harness.bench.split import SeedSplit, draw_split, held_count, part_values
from harness.bench.strategies import (
    DEFAULT_STRATEGY,
    SELECTIONS,
    StrategyArms,
    StrategyDecks,
    default_strategy,
    draws_of,
)
from harness.bench.strategy_replay import StrategyEnv, play_calls
from harness.bench.strategy_results import (
    DEFAULT_BUDGETS,
    DEFAULT_CALL_PRICE,
    DEFAULT_HELDOUT,
    SelectionRow,
    StrategyAgentResult,
    StrategyConfig,
    StrategyResult,
    ValueRow,
)
from harness.bench.table import AnswerTable, column_parts, is_v2
from harness.errors import HarnessError
from harness.tasks.load import Task

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
    fed to the agent), `answers` the answers they were dealt, `calls` the calls they made."""

    answers: int
    """Answers dealt over all its runs of this seed."""
    calls: int
    """Calls made over all its runs of this seed (a `repair` pull deals one answer, may call
    twice)."""


def _split(shared: _Shared, seed: int) -> SeedSplit:
    """The seed's split, computed once per process (every agent of the seed shares it)."""
    cache = WORKER.setdefault("splits", {})
    if seed not in cache:
        cfg = shared.config
        cache[seed] = draw_split(shared.decks, shared.arms, seed, cfg.heldout, cfg.call_price)
    split: SeedSplit = cache[seed]
    return split


def _run_seed(shared: _Shared, name: str, seed: int) -> _Run:
    started = time.process_time()
    split = _split(shared, seed)
    values = split.scored.value
    return run_agent_seed(
        shared, name, seed, unit=shared.cells, split=shared.split,
        gaps=values.max(axis=1, keepdims=True) - values,
        budget_of=lambda calls: max(1, round(calls / shared.calls_per_pull)), play=play_calls,
        env=lambda: StrategyEnv(shared.decks, shared.arms, split, shared.config.call_price),
        started=started, record=_Run, counted=("answers", "calls"),
    )


# --------------------------------------------------------------------------- benchmark


def run_strategy_benchmark(
    table: AnswerTable,
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
        checkpoint_every=checkpoint_every or max(1, cells // 8),
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


def _aggregate(
    table: AnswerTable, shared: _Shared, runs: list[_Run], splits: Mapping[int, SeedSplit],
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
        {b: Estimate.exact(0.0) for b in cfg.budgets},
        {b: Estimate.exact(1.0) for b in cfg.budgets}, None, None,
        float(np.mean([held[s].calls[rows, held[s].value.argmax(axis=1)].mean() for s in seeds])),
        steps_per_s=math.nan, reused=0.0,
    ))
    # Fixed strategies: the best single one on the dealing part (per seed), and the default.
    fixed: dict[str, np.ndarray] = {
        "best_single": np.array([int(np.argmax(splits[s].dealt.value.mean(axis=0))) for s in seeds])
    }
    default = default_strategy(arms.ids)
    if default is not None:
        fixed["default"] = np.full(n_seeds, arms.ids.index(default))
    for name, chosen in fixed.items():
        pairs = list(zip(seeds, chosen, strict=True))
        per_call = np.stack([gaps[s][:, a] / held[s].calls[:, a] for s, a in pairs])
        lines = per_call.mean(axis=1)[:, None] * calls_axis  # (seeds, calls): a pull per its calls
        gap = np.stack([gaps[s][:, a] for s, a in pairs])
        results.append(StrategyAgentResult(
            name, "baseline", False, spread_band(lines),
            spread(lines[:, -1]), {b: spread(gap.mean(axis=1)) for b in cfg.budgets},
            {b: spread((gap <= threshold).mean(axis=1)) for b in cfg.budgets}, None, None,
            float(np.mean([held[s].calls[:, a].mean() for s, a in pairs])),
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
            curve=spread_band(curves),
            cum_regret=spread(curves[:, -1]), simple_regret=simple, found=found_at,
            calls_to_find=bootstrap_interval(reps, point) if math.isfinite(point) else None,
            vs_uniform=vs_uniform(point, reps, to_find["uniform"]),
            calls_per_pull=sum(r.calls for r in items) / max(1, pulls),
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
        "meta": {k: v for k, v in table.meta.items()
                 if k not in ("pass_prob", "tasks", "templates")},
    }
    return StrategyResult(
        config=cfg, table=info, arms=arms.ids, cells=cells,
        best_single=dict(sorted(best_single.items(), key=lambda kv: -kv[1])), oracle=oracle,
        agents=tuple(results), value=value, transfer=transfer, default=default, find_target=target,
        transfer_worst=worst, selections=_selection_rows(arms, held, seeds),
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
        pairs = list(zip(seeds, choices, strict=True))
        return {m: np.array([getattr(held[s], m)[rows, c].mean() for s, c in pairs])
                for m in metrics}

    def common(choices: Sequence[np.ndarray]) -> str:
        ids, counts = np.unique(np.concatenate([np.atleast_1d(c) for c in choices]),
                                return_counts=True)
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


def _selection_rows(arms: StrategyArms, held: Mapping[int, Any],
                    seeds: Sequence[int]) -> tuple[SelectionRow, ...]:
    """Per seed, every (temperature, selection)'s held-out outcome averaged over tasks and
    templates (arms are template-major, then temperature, then selection)."""
    shape = (len(arms.templates), len(arms.temperatures), len(arms.selections))

    def mean(metric: str) -> np.ndarray:  # (seeds, temperatures, selections)
        return np.stack([getattr(held[s], metric).reshape(-1, *shape).mean(axis=(0, 1))
                         for s in seeds])

    figures = {m: mean(m) for m in ("reward", "passed", "calls")}
    single = arms.selections.index("single") if "single" in arms.selections else None
    rows = []
    for x, temperature in enumerate(arms.temperatures):
        for k, selection in enumerate(arms.selections):
            versus = {} if single is None else {
                m: spread(figures[m][:, x, k] - figures[m][:, x, single]) for m in ("reward", "passed")}
            rows.append(SelectionRow(
                temperature, selection, spread(figures["reward"][:, x, k]),
                spread(figures["passed"][:, x, k]), spread(figures["calls"][:, x, k]), versus))
    return tuple(rows)


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
    # From half a call per cell on.
    grid = np.arange(max(1, cells // 2), horizon + 1, max(1, cells // 4)) - 1
    for name, trained in trained_by.items():
        ratios = trained[:, grid].mean(axis=0) / np.maximum(scratch[:, grid].mean(axis=0), 1e-12)
        top = int(grid[int(np.argmax(ratios))])
        worst[name] = (transfer_ratio(trained, scratch, top, boot), top + 1)
    return transfer, worst
