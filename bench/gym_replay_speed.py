"""Steps per second of `harness/Replay-v0` with a random agent, next to baselines timed in the
same run.

    taskset -c 1 python bench/gym_replay_speed.py [--steps 200000] [--repeats 3]

Every row plays `--steps` steps on the committed table (its complete block; the strategies
are every recorded cell x single / best of 2, 3, 5), best of `--repeats` after a warm-up,
wall clock, one process:
  gymnasium.make, MultiDiscrete / Discrete : `env.step(env.action_space.sample())`, resetting
      when an episode is truncated (16 steps): what an outside random agent gets, with
      gymnasium's wrappers (order enforcing, the passive checker);
  unwrapped env                     : the same steps on `env.unwrapped`, integer actions drawn
      in one batch beforehand (the environment's own cost);
  existing replay, per pull         : `StrategyEnv.pull(task, arm)` of harness/bench/
      strategy_replay.py, the pull `harness bench agents` makes, random task and arm;
  numpy draw floor                  : per step one `Generator.integers` call and a list lookup,
      the least a Python loop that draws a random answer can cost.
Goal: >= 20,000 steps/s through gymnasium.make with a random agent.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from rich.table import Table

from harness.console import console

ROOT = Path(__file__).resolve().parents[1]
TABLE = ROOT / "bench" / "tables" / "responses_v2.jsonl.gz"
GOAL = 20_000.0


def best_rate(run: Callable[[int], None], steps: int, repeats: int) -> tuple[float, list[float]]:
    """(best steps/s, every round's) of `run(steps)` after one short warm-up."""
    run(min(steps, 2000))
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        run(steps)
        rates.append(steps / (time.perf_counter() - start))
    return max(rates), rates


def gym_loop(env: Any) -> Callable[[int], None]:  # noqa: ANN401
    """A random agent through the gymnasium API."""
    def run(steps: int) -> None:
        env.reset(seed=0)
        env.action_space.seed(0)
        sample, step, reset = env.action_space.sample, env.step, env.reset
        for _ in range(steps):
            if step(sample())[3]:
                reset()
    return run


def raw_loop(env: Any) -> Callable[[int], None]:  # noqa: ANN401
    """Integer actions drawn beforehand: the environment's own per-step cost."""
    def run(steps: int) -> None:
        actions = np.random.default_rng(0).integers(env.action_space.n, size=steps).tolist()
        env.reset(seed=0)
        step, reset = env.step, env.reset
        for a in actions:
            if step(a)[3]:
                reset()
    return run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--table", type=Path, default=TABLE)
    parser.add_argument("--out", type=Path, default=ROOT / "bench/results/gym_replay_speed.json")
    args = parser.parse_args(argv)
    out = console()
    import gymnasium as gym

    import harness.envs
    from harness.bench.split import draw_split
    from harness.bench.strategy_replay import StrategyEnv

    start = time.perf_counter()
    multi = gym.make(harness.envs.REPLAY_ID, table=args.table)
    make_s = time.perf_counter() - start
    discrete = gym.make(harness.envs.REPLAY_ID, table=args.table, action="discrete")
    raw = gym.make(harness.envs.REPLAY_ID, table=args.table, action="discrete").unwrapped
    u = multi.unwrapped
    n_tasks, n_arms = len(u.task_names), len(u.arm_ids)

    split = draw_split(u.decks, u.replay_arms, 0, 0.0, u.config.call_price)
    replay = StrategyEnv(u.decks, u.replay_arms, split, u.config.call_price)

    def pulls(steps: int) -> None:
        rng = np.random.default_rng(0)
        tasks = rng.integers(n_tasks, size=steps).tolist()
        arms = rng.integers(len(u.replay_arms.ids), size=steps).tolist()
        pull = replay.pull
        for t, a in zip(tasks, arms, strict=True):
            pull(t, a)

    rewards = [float(x) for x in range(10)]

    def floor(steps: int) -> None:
        integers = np.random.default_rng(0).integers
        total = 0.0
        for _ in range(steps):
            total += rewards[int(integers(10))]

    rows: list[tuple[str, str, Callable[[int], None]]] = [
        ("gymnasium.make, MultiDiscrete " + str(list(u.actions.nvec)), "random agent",
         gym_loop(multi)),
        (f"gymnasium.make, Discrete({n_arms})", "random agent", gym_loop(discrete)),
        (f"unwrapped env, Discrete({n_arms})", "actions drawn beforehand", raw_loop(raw)),
        ("baseline: existing replay, StrategyEnv.pull", "random task and arm", pulls),
        ("baseline: numpy draw floor", "integers() + list lookup", floor),
    ]
    figures: dict[str, dict[str, Any]] = {}
    for label, agent, run in rows:
        with out.status(f"timing {label}"):
            best, rates = best_rate(run, args.steps, args.repeats)
        figures[label] = {"agent": agent, "best_steps_per_s": best, "rounds_steps_per_s": rates,
                          "us_per_step": 1e6 / best}
    headline = figures[rows[0][0]]["best_steps_per_s"]
    met = headline >= GOAL
    table = Table(title=f"harness/Replay-v0: {args.steps:,} steps, best of {args.repeats} "
                        f"(table: {n_tasks} tasks x {len(u.table.templates)} cells, {n_arms} "
                        "strategies)")
    for col in ("", "agent", "steps/s", "µs/step", "rounds"):
        table.add_column(col, justify="left" if col in ("", "agent") else "right")
    for label, fig in figures.items():
        table.add_row(label, fig["agent"], f"{fig['best_steps_per_s']:,.0f}",
                      f"{fig['us_per_step']:.1f}",
                      " ".join(f"{r / 1e3:.0f}k" for r in fig["rounds_steps_per_s"]))
    table.add_row(f"goal: >= {GOAL:,.0f} steps/s (gymnasium.make, random agent)",
                  "", "met" if met else "NOT MET", "", "")
    out.print(table)
    out.print(f"gymnasium.make (load the table, precompute every cell): {make_s:.2f} s; notes: "
              f"{'; '.join(u.notes) or 'none'}")

    from harness.provenance import base_provenance

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({
        **base_provenance(), "table": str(args.table.relative_to(ROOT) if args.table.is_relative_to(
            ROOT) else args.table), "table_notes": u.notes, "tasks": n_tasks,
        "cells": len(u.table.templates), "strategies": n_arms, "steps": args.steps,
        "repeats": args.repeats, "make_s": make_s, "figures": figures,
        "goal": {"steps_per_s": GOAL, "met": met}}, indent=2) + "\n")
    out.print(f"figures: {args.out}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
