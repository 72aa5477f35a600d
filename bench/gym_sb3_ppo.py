"""Stable-Baselines3 PPO trained on `harness/Replay-v0`, against the harness's own agents on
the same held-out tasks, budget and answers.

    taskset -c 1 python bench/gym_sb3_ppo.py [--timesteps 150000] [--seeds 100]

Table: the committed v2 table's complete block; strategies: every recorded cell x single /
best of 2, 3, 5; call price 0.02. Tasks: the 4 held out by `harness bench agents`' transfer
rule for seed 0 (a third of the tasks); the other 8 are for training.

Training: SB3 PPO (MultiDiscrete actions, the default MLP, CPU, one thread) on the
environment over the 8 training tasks, episodes of 64 steps, answers dealt from the dealing
half of each cell (split seed 0). Its return per episode is 64 x the oracle minus the
pull regret, so maximising one minimises the other.

Scoring, per seed (each its own split of every cell into dealt and held-out answers, as
`harness bench agents` draws it): every agent plays the 4 held-out tasks for 5 calls per
cell (80 calls per task) through `play_calls` of harness/bench/strategy_replay.py, on the
dealing half, and is scored on the held-out half: cumulative regret and "found" after 1, 2
and 5 calls per cell, and the held-out reward, pass@1 and calls of its final
recommendation. Contextual harness agents first learn on the 8 training tasks (2 calls per
cell), as in the transfer test; the others start from scratch on the held-out tasks. The
SB3 policy is frozen: it acts on the same observation (task features + rewards so far) and
recommends its deterministic action. Intervals: the central 95% over seeds
(`harness.bench.aggregate.spread`, as `harness bench agents` reports them).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from rich.table import Table

from harness.console import console

ROOT = Path(__file__).resolve().parents[1]
TABLE = ROOT / "bench" / "tables" / "responses_v2.jsonl.gz"
AGENTS = ("uniform", "thompson", "factored", "linucb", "ppo")
"""The harness agents compared (successive halving needs a budget-planned run: left out)."""
BUDGETS = (1, 2, 5)
"""Calls per cell per held-out task at which figures are read."""
TRAIN_BUDGET = 2
"""Calls per cell per training task for contextual harness agents (the transfer test's)."""
HORIZON = 64
"""Steps per training episode of the SB3 policy."""


class PolicyAgent:
    """A trained SB3 policy behind the harness `Agent` calls `play_calls` makes: it chooses
    from the observation, learns nothing more, and recommends its deterministic action."""

    name = "sb3-ppo"
    contextual = True

    def __init__(self, model: Any, env: Any) -> None:  # noqa: ANN401
        self.model, self.env = model, env

    def _arm(self, features: np.ndarray, deterministic: bool) -> int:
        action, _ = self.model.predict(features.astype(np.float32), deterministic=deterministic)
        return int(self.env.arm_of(action))

    def choose(self, context: Any) -> int:  # noqa: ANN401
        return self._arm(context.features, False)

    def update(self, context: Any, arm: int, reward: float) -> None:  # noqa: ANN401
        pass

    def best(self, context: Any) -> int:  # noqa: ANN401
        return self._arm(context.features, True)


def train(env: Any, timesteps: int, seed: int) -> tuple[Any, float]:  # noqa: ANN401
    """(the PPO model, seconds) trained on `env`."""
    import torch
    from stable_baselines3 import PPO

    torch.set_num_threads(1)
    model = PPO("MlpPolicy", env, n_steps=1024, batch_size=256, n_epochs=5, gamma=0.9,
                ent_coef=0.01, learning_rate=3e-4, seed=seed, device="cpu", verbose=0)
    start = time.perf_counter()
    model.learn(total_timesteps=timesteps)
    return model, time.perf_counter() - start


def play_seed(agent: Any, seed: int, shared: dict[str, Any], train_first: bool) -> dict[str, Any]:  # noqa: ANN401
    """One agent on the held-out tasks for one seed: regret, found and the recommendation."""
    from harness.bench.split import draw_split
    from harness.bench.strategy_replay import StrategyEnv, play_calls

    decks, arms, price = shared["decks"], shared["arms"], shared["price"]
    cells, contexts = shared["cells"], shared["contexts"]
    split = draw_split(decks, arms, seed, 0.5, price)
    held = split.scored
    gaps = held.value.max(axis=1, keepdims=True) - held.value
    env = StrategyEnv(decks, arms, split, price)
    if train_first:
        play_calls(agent, env, contexts, shared["train"], TRAIN_BUDGET * cells, gaps)
    marks = [b * cells for b in BUDGETS]
    trace = play_calls(agent, env, contexts, shared["heldout"], max(marks), gaps, 1, marks)
    tasks = np.array(shared["heldout"])
    final = trace.best[-1]
    return {
        "regret": {b: float(trace.regret[:, m - 1].mean()) for b, m in zip(BUDGETS, marks,
                                                                         strict=True)},
        "found": {b: float((gaps[tasks, trace.best[i]] <= 0.05 + 1e-9).mean())
                  for i, b in enumerate(BUDGETS)},
        "reward": float(held.reward[tasks, final].mean()),
        "passed": float(held.passed[tasks, final].mean()),
        "calls": float(held.calls[tasks, final].mean()),
        "value": float(held.value[tasks, final].mean()),
        "default_value": float(held.value[tasks, shared["default"]].mean()),
        "recommended": [int(a) for a in final],
        "oracle": {"reward": float(held.reward[tasks, held.value[tasks].argmax(axis=1)].mean()),
                   "passed": float(held.passed[tasks, held.value[tasks].argmax(axis=1)].mean())},
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--timesteps", type=int, default=150_000)
    parser.add_argument("--seeds", type=int, default=100)
    parser.add_argument("--table", type=Path, default=TABLE)
    parser.add_argument("--out", type=Path, default=ROOT / "bench/results/gym_sb3_ppo.json")
    args = parser.parse_args(argv)
    out = console()
    import gymnasium as gym

    import harness.envs
    from harness.agents import agent_class, make_agent
    from harness.agents.features import FEATURE_DIM
    from harness.bench.aggregate import spread
    from harness.bench.jobs import heldout_tasks
    from harness.bench.replay import TaskContexts
    from harness.bench.strategies import default_strategy

    started = time.perf_counter()
    probe = gym.make(harness.envs.REPLAY_ID, table=args.table).unwrapped
    names = probe.task_names
    heldout = heldout_tasks(0, len(names), 1 / 3)
    train_tasks = tuple(names[i] for i in range(len(names)) if i not in heldout)
    env = gym.make(harness.envs.REPLAY_ID, table=args.table, episode_tasks=train_tasks,
                   horizon=HORIZON, heldout=0.5, split_seed=0)
    with out.status(f"training SB3 PPO for {args.timesteps:,} steps"):
        model, train_s = train(env, args.timesteps, seed=0)
    u = env.unwrapped
    default = default_strategy(u.arm_ids)
    shared = {"decks": u.decks, "arms": u.replay_arms, "price": u.config.call_price,
              "cells": len(u.table.templates), "contexts": TaskContexts(u.tasks),
              "train": tuple(i for i in range(len(names)) if i not in heldout),
              "heldout": heldout, "default": u.arm_ids.index(default) if default else 0}
    assert u.arm_ids == u.replay_arms.ids  # every strategy is an arm: env arms = replay arms
    runs: dict[str, list[dict[str, Any]]] = {}
    cpu: dict[str, float] = {}
    policy = PolicyAgent(model, u)
    for name in ("sb3-ppo", *AGENTS):
        t0 = time.process_time()
        with out.status(f"scoring {name} on {args.seeds} seeds"):
            if name == "sb3-ppo":
                runs[name] = [play_seed(policy, s, shared, False) for s in range(args.seeds)]
            else:
                contextual = agent_class(name).contextual
                runs[name] = [play_seed(make_agent(name, u.replay_arms.arm_space(), FEATURE_DIM, s), s,
                                        shared, contextual) for s in range(args.seeds)]
        cpu[name] = time.process_time() - t0

    def fig(name: str, key: str, sub: int | None = None) -> Any:  # noqa: ANN401
        values = [r[key] if sub is None else r[key][sub] for r in runs[name]]
        return spread(values)

    cells = shared["cells"]
    table = Table(title=f"held-out tasks {', '.join(names[i] for i in heldout)}: {args.seeds} "
                        f"seeds, regret and found after {'/'.join(str(b * cells) for b in BUDGETS)}"
                        " calls per task; the recommendation after the last")
    for col in ("agent", "cum. regret", "found", "reward", "pass@1", "calls", "Δ default"):
        table.add_column(col, justify="left" if col == "agent" else "right")
    results: dict[str, Any] = {}
    for name in runs:
        regret = [fig(name, "regret", b) for b in BUDGETS]
        found = [fig(name, "found", b) for b in BUDGETS]
        reward, passed, calls = fig(name, "reward"), fig(name, "passed"), fig(name, "calls")
        delta = spread([r["value"] - r["default_value"] for r in runs[name]])
        label = name if name == "sb3-ppo" else \
            f"{name} ({'trained on 8 tasks' if agent_class(name).contextual else 'from scratch'})"
        table.add_row(label, " / ".join(f"{e.mean:.2f}" for e in regret),
                      " / ".join(f"{e.mean:.0%}" for e in found), f"{reward.mean:.3f}",
                      f"{passed.mean:.0%}", f"{calls.mean:.2f}",
                      f"{delta.mean:+.3f} [{delta.lo:+.3f}, {delta.hi:+.3f}]")
        results[name] = {
            "regret": {b * cells: e.to_dict() for b, e in zip(BUDGETS, regret, strict=True)},
            "found": {b * cells: e.to_dict() for b, e in zip(BUDGETS, found, strict=True)},
            "reward": reward.to_dict(), "passed": passed.to_dict(), "calls": calls.to_dict(),
            "delta_default_value": delta.to_dict(), "cpu_s": cpu[name],
            "recommended": dict(Counter(u.arm_ids[a] for r in runs[name]
                                        for a in r["recommended"]).most_common(3))}
    oracle_reward = spread([r["oracle"]["reward"] for r in runs["uniform"]])
    oracle_pass = spread([r["oracle"]["passed"] for r in runs["uniform"]])
    table.add_row("held-out oracle (ceiling)", "0", "100%", f"{oracle_reward.mean:.3f}",
                  f"{oracle_pass.mean:.0%}", "", "")
    out.print(table)
    wall = time.perf_counter() - started
    out.print(f"SB3 PPO training: {args.timesteps:,} steps in {train_s:.0f} s "
              f"({args.timesteps / train_s:,.0f} steps/s including its updates); "
              f"whole benchmark {wall:.0f} s")

    import stable_baselines3

    from harness.provenance import base_provenance

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({
        **base_provenance(), "table": str(args.table.relative_to(ROOT)) if
        args.table.is_relative_to(ROOT) else str(args.table), "table_notes": u.notes,
        "stable_baselines3": stable_baselines3.__version__, "gymnasium": gym.__version__,
        "heldout_tasks": [names[i] for i in heldout], "train_tasks": list(train_tasks),
        "strategies": len(u.arm_ids), "cells": cells, "call_price": u.config.call_price,
        "budgets_calls_per_task": [b * cells for b in BUDGETS], "seeds": args.seeds,
        "timesteps": args.timesteps, "train_s": train_s, "wall_s": wall, "horizon": HORIZON,
        "default_strategy": default, "agents": results,
        "oracle": {"reward": oracle_reward.to_dict(), "passed": oracle_pass.to_dict()}},
        indent=2) + "\n")
    out.print(f"figures: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
