"""`harness bench agents`: pick the replay the table supports, run it and write it (the
tables are printed by harness/cli/bench.py).

A v1 table (one temperature, no visible vectors) gets the classic replay
(harness/bench/classic_benchmark.py, template arms, in sample) unless strategies or an
honest split are asked for; a v2 table gets the strategy replay
(harness/bench/strategy_benchmark.py): template x temperature x selection arms, costs in
calls, scored on held-out answers. The classic figures of a v1 table stay
comparable with earlier runs; `--honest-split 0.5` scores a v1 table out of sample too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.bench.classic_benchmark import DEFAULT_BUDGETS, run_benchmark
from harness.bench.run_setup import resolve_tasks
from harness.bench.strategies import recorded_selections
from harness.bench.strategy_benchmark import run_strategy_benchmark
from harness.bench.strategy_results import DEFAULT_CALL_PRICE, DEFAULT_HELDOUT
from harness.bench.table import AnswerTable
from harness.bench.table_io import DEFAULT_TABLE, complete_block, ordering, read_rows, with_repairs
from harness.errors import HarnessError

DEFAULT_OUT = Path("bench/results/agents")
"""Where the classic replay writes by default."""
DEFAULT_STRATEGY_OUT = Path("bench/results/strategies")
"""Where the strategy replay writes by default (the classic figures keep bench/results/agents)."""
CLASSIC_BUDGET = 10
"""Largest classic budget: pulls per template per task (a 10-answer cell, dealt once)."""
STRATEGY_BUDGET = 5
"""Largest strategy budget: calls per cell per task. With 5 of 10 answers held out a cell
deals 5; beyond that agents mostly see answers again (and the run costs twice as much)."""


def plan_replay(
    table_path: Path, selections: Sequence[str] | None, temperatures: Sequence[float] | None,
    honest_split: float | None,
) -> tuple[AnswerTable, list[str], tuple[str, ...], float, bool]:
    """(table, notes, selections, held-out share, classic?) for a table file and the options.

    Defaults: a v2 table plays every selection and holds out half of each cell; a v1 table
    plays single answers in sample (the classic replay).
    """
    rows, meta = read_rows(table_path)
    if not rows:
        raise HarnessError(f"{table_path}: the table has no rows")
    v2 = any(r.temperature is not None for r in rows)
    share = honest_split if honest_split is not None else (DEFAULT_HELDOUT if v2 else 0.0)
    kept, notes = complete_block(rows, temperatures, min_answers=2 if share > 0 else 1)
    table, repair_notes = with_repairs(
        AnswerTable.from_rows(kept, ordering(meta, kept), where=str(table_path)), table_path)
    notes += repair_notes
    chosen = tuple(selections) if selections else (recorded_selections(table) if v2 else ("single",))
    classic = share == 0 and chosen == ("single",)
    return table, notes, chosen, share, classic


@dataclass(frozen=True)
class AgentsReplay:
    """A finished replay: the result (classic or strategy), which replay it was, and where its
    outputs go."""

    result: Any
    classic: bool
    target: Path


def bench_agents(
    table_path: Path = DEFAULT_TABLE,
    seeds: int = 200,
    budget: int | None = None,
    out: Path | None = None,
    tasks_dir: Path = Path("tasks"),
    agents: Sequence[str] = (),
    samples_per_decision: int = 1,
    reward: str = "partial",
    workers: int = 2,
    holdout: float = 1 / 3,
    train_budget: int | None = None,
    transfer_budget: int | None = None,
    *,
    selections: Sequence[str] | None = None,
    temperatures: Sequence[float] | None = None,
    call_price: float = DEFAULT_CALL_PRICE,
    honest_split: float | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> AgentsReplay:
    """Load the table and replay it (`on_progress(done, total)` as seeds finish); write the
    outputs with `write_agents_outputs`."""
    table, notes, chosen, share, classic = plan_replay(table_path, selections, temperatures,
                                                       honest_split)
    tasks = resolve_tasks(table.tasks, tasks_dir)
    budget = budget or (CLASSIC_BUDGET if classic else STRATEGY_BUDGET)
    budgets = tuple(b for b in DEFAULT_BUDGETS if b < budget) + (budget,)
    if classic:
        result: Any = run_benchmark(
            table, agents or None, seeds, budgets, samples_per_decision, reward, holdout,
            tasks=tasks, workers=workers, transfer_train_budget=train_budget,
            transfer_budget=transfer_budget, on_progress=on_progress,
        )
        result = _with_notes(result, notes)
    else:
        result = run_strategy_benchmark(
            table, agents or None, seeds, budgets, chosen, call_price, share,
            samples_per_decision, reward, holdout, tasks=tasks, workers=workers,
            transfer_train_budget=train_budget, transfer_budget=transfer_budget,
            notes=notes, on_progress=on_progress,
        )
    target = out or (DEFAULT_OUT if classic else DEFAULT_STRATEGY_OUT)
    return AgentsReplay(result, classic, target)


def write_agents_outputs(replay: AgentsReplay) -> list[Path]:
    """agents.json and the plots, under replay.target; the paths written."""
    from harness.bench import classic_output, strategy_output

    write = classic_output.write_outputs if replay.classic else strategy_output.write_outputs
    return list(write(replay.result, replay.target))


def _with_notes(result: Any, notes: list[str]) -> Any:
    import dataclasses

    if not notes:
        return result
    return dataclasses.replace(result, notes=tuple(notes) + tuple(result.notes))
