"""The strategy replay: a table as a bandit over strategies, paid in calls, and its episode loop.

An arm is a strategy (template x temperature x selection, harness/bench/strategies.py).
A pull deals answers of its (task, template, temperature) cell from the seed's dealing
part (harness/bench/split.py), applies the selection rule, and feeds the agent what a
live run would: `reward - call_price * (calls - 1)` of the kept answer. Every figure is
counted in calls, not pulls; a budget of b means b calls per cell (template x
temperature) per task, so with single answers only it is the classic "pulls per
template" and a best_of_3 pull spends up to 3 of it.

Scores come from the held-out part of each cell only: a pull of (t, a) costs the
held-out regret `oracle_t - value(t, a)` (both exact expectations over the held-out
answers), charged at the call that ends the pull. harness/bench/strategy_benchmark.py runs
this over agents and seeds; harness/bench/replay.py is the classic replay's counterpart.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from harness.agents.base import Agent
from harness.agents.features import TaskHistory
from harness.bench.replay import TaskContexts, Trace
from harness.bench.split import SeedSplit
from harness.bench.strategies import StrategyArms, StrategyDecks


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
        self.order = [[[cell[i] for i in rng.permutation(len(cell))] for cell in row]
                      for row in self.deal]
        self.position = [[0] * len(row) for row in self.deal]
        self.fresh = [[True] * len(row) for row in self.deal]
        self.scores = [[list(cell) for cell in row] for row in decks.scores]
        self.stops = [[list(cell) for cell in row] for row in decks.stops]
        self.rewards = [[cell.tolist() for cell in row] for row in decks.rewards]
        self.columns = list(arms.columns)
        self.draws = list(arms.draws)
        self.repair = list(arms.repair or (False,) * arms.n_arms)
        self.repairs = decks.repairs
        self.most_calls = arms.most_calls
        self.price = call_price
        self.answers = 0
        self.calls = 0
        self.reused = 0

    def _next(self, t: int, c: int) -> int:
        position = self.position[t][c]
        order = self.order[t][c]
        if position == len(order):
            order = [self.deal[t][c][i] for i in self.rng.permutation(len(order))]
            self.order[t][c] = order
            self.fresh[t][c] = False
            position = 0
        self.position[t][c] = position + 1
        self.answers += 1
        if not self.fresh[t][c]:
            self.reused += 1
        return int(order[position])

    def pull(self, t: int, arm: int) -> tuple[float, int, int]:
        """(net reward, calls, kept answer) of one use of strategy `arm` on task `t`."""
        c, k = self.columns[arm], self.draws[arm]
        if self.repair[arm]:  # one answer, then its recorded repair when it fails an example
            i = self._next(t, c)
            reward, _, calls, _ = self.repairs[t][c][i]
            self.calls += calls
            return reward - self.price * (calls - 1), calls, i
        scores, stops = self.scores[t][c], self.stops[t][c]
        kept, calls = -1, 0
        while calls < k:
            i = self._next(t, c)
            calls += 1
            if kept < 0 or scores[i] > scores[kept]:
                kept = i
            if stops[i]:
                break
        self.calls += calls
        return self.rewards[t][c][kept] - self.price * (calls - 1), calls, kept


# ------------------------------------------------------------------------ episode loop


@dataclass(frozen=True)
class CallTrace(Trace):
    """What one agent run did, counted in calls: `regret` is (tasks, calls) held-out regret
    after each call, `checkpoints` are calls per task, `steps` the pulls (rewards fed to the
    agent) and `reused` the answers dealt from a deck already used up."""

    answers: int
    """Answers dealt (a `repair` pull deals one and may make two calls)."""
    calls: int
    """Calls made."""


def play_calls(
    agent: Agent, env: StrategyEnv, contexts: TaskContexts, tasks: Sequence[int], max_calls: int,
    gaps: np.ndarray, samples_per_decision: int = 1, checkpoints: Sequence[int] = (),
) -> CallTrace:
    """Play every task until it has used `max_calls` calls, with the learning loop's (loop/learning.py) structure: each
    episode one decision per unfinished task, K pulls of it, an update after each pull."""
    n = len(tasks)
    histories = [TaskHistory() for _ in tasks]
    used = [0] * n
    steps = np.zeros((n, max_calls + env.most_calls + 1))
    marks = sorted(c for c in set(checkpoints) if 0 < c <= max_calls)
    best = np.zeros((len(marks), n), dtype=np.int32)
    next_mark = [0] * n
    agent_s = 0.0
    pulls = 0
    answers0, reused0, calls0 = env.answers, env.reused, env.calls
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
        tasks=tuple(tasks), regret=np.cumsum(steps, axis=1)[:, :max_calls],
        checkpoints=tuple(marks),
        best=best, steps=pulls, answers=env.answers - answers0, calls=env.calls - calls0,
        agent_s=agent_s,
        reused=env.reused - reused0,
    )

