"""The classic replay: a recorded table as a bandit over its columns, and the episode loop.

An answer table holds real graded answers, R per (task, template) cell. Replaying it
turns every cell into a deck: a pull deals an unused answer of that cell (without
replacement, in a per-run order), grades nothing (the record is already graded) and
scores it with `harness.grading.rewards.compute_reward`, the very code live runs use. Agents
are driven through exactly the `Agent` interface with the learning loop's (loop/learning.py) episode structure
(one decision per task per episode, K samples per decision, one update per sample,
contexts from `harness.agents.features`), so what the benchmark shows is what `harness run`
would do on the same answers, minus the concurrency of in-flight requests.

When an agent pulls a cell more often than it has answers, the deck is reshuffled
(draws with replacement) and counted, because such pulls see no new information.
`TaskContexts` serves both replays (the strategy replay's loop is
harness/bench/strategy_replay.py); harness/bench/classic_benchmark.py runs this one over
agents and seeds.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from harness.agents import features as context_module
from harness.agents.base import Agent, Context
from harness.agents.features import FEATURE_DIM, TaskHistory, make_context, task_features
from harness.bench.table import AnswerTable
from harness.grading.results import GradeResult
from harness.grading.rewards import compute_reward
from harness.tasks.load import Task


@dataclass(frozen=True)
class Decks:
    """Per-cell answers as GradeResults and their rewards, computed once per table and scheme.

    A reward is a pure function of the record, so scoring each answer once with
    compute_reward gives exactly what scoring it at every pull would.
    """

    reward: str
    """The reward scheme."""
    results: tuple[tuple[tuple[GradeResult, ...], ...], ...]
    """[task][template] -> the cell's answers as grade records."""
    rewards: tuple[tuple[np.ndarray, ...], ...]
    """[task][template] -> compute_reward(reward, result) of each answer."""
    sizes: np.ndarray
    """(tasks, templates) answers per cell."""

    @classmethod
    def build(cls, table: AnswerTable, reward: str = "partial") -> Decks:
        results = tuple(
            tuple(tuple(r.result() for r in table.cells[(t, a)]) for a in table.templates)
            for t in table.tasks
        )
        rewards = tuple(
            tuple(np.array([compute_reward(reward, r) for r in cell]) for cell in row)
            for row in results
        )
        sizes = np.array([[len(cell) for cell in row] for row in results])
        return cls(reward, results, rewards, sizes)

    def means(self) -> np.ndarray:
        return np.array([[cell.mean() for cell in row] for row in self.rewards])


@dataclass(frozen=True)
class Pull:
    """What one pull dealt."""

    task: int
    """Task index in the table."""
    arm: int
    """Template index in the table (= arm index)."""
    sample: int
    """Which answer of the cell was dealt."""
    result: GradeResult
    """Its grade record."""
    reward: float
    """compute_reward(scheme, result)."""
    reused: bool
    """True when the cell was exhausted and the answer was drawn with replacement."""


class ReplayEnv:
    """A recorded table as a bandit: pulling (task, template) deals that cell's next unused answer.

    The dealing order of every cell is fixed when the environment is made, from `seed`
    alone, so every agent run with the same seed meets the same answers in the same
    order (common random numbers: differences between agents are not dealing luck).
    """

    def __init__(
        self, table: AnswerTable, reward: str = "partial", seed: int = 0, decks: Decks | None = None
    ) -> None:
        self.table = table
        if decks is None or decks.reward != reward:
            decks = Decks.build(table, reward)
        self.decks = decks
        self.rng = np.random.default_rng([seed, 101])
        sizes = self.decks.sizes
        keys = self.rng.random((*sizes.shape, int(sizes.max())))
        keys[np.arange(keys.shape[-1]) >= sizes[..., None]] = np.inf  # padding sorts last
        self.order = np.argsort(keys, axis=-1).tolist()
        self.position = np.zeros(sizes.shape, dtype=int).tolist()
        self.sizes = sizes.tolist()
        self.pulls = 0
        self.reused = 0
        self._task_index = {t: i for i, t in enumerate(table.tasks)}
        self._arm_index = {a: i for i, a in enumerate(table.templates)}

    def draw(self, task: int, arm: int) -> tuple[int, bool]:
        """(answer index, reused) for the next pull of a cell."""
        self.pulls += 1
        position = self.position[task][arm]
        if position < self.sizes[task][arm]:
            self.position[task][arm] = position + 1
            return self.order[task][arm][position], False
        self.reused += 1
        return int(self.rng.integers(self.sizes[task][arm])), True

    def reward(self, task: int, arm: int) -> float:
        """The fast path of `pull`: only the reward."""
        index, _ = self.draw(task, arm)
        return float(self.decks.rewards[task][arm][index])

    def pull(self, task: int | str, arm: int | str) -> Pull:
        """Deal one answer of the cell; names or indices."""
        t = self._task_index[task] if isinstance(task, str) else task
        a = self._arm_index[arm] if isinstance(arm, str) else arm
        index, reused = self.draw(t, a)
        return Pull(t, a, index, self.decks.results[t][a][index],
                    float(self.decks.rewards[t][a][index]), reused)


# ------------------------------------------------------------------------- episode loop


class TaskContexts:
    """`make_context(task, history)` for the table's tasks, with the static part computed once.

    Only the two history features change between pulls; the rest (hashing the
    description, parsing the signature) costs tens of microseconds, so it is computed
    once per task. The shortcut is checked against make_context at construction, on
    histories that hit every clipping branch, and dropped if it ever stops matching.
    """

    def __init__(self, tasks: Sequence[Task]) -> None:
        self.tasks = tuple(tasks)
        self.static = [task_features(t) for t in self.tasks]
        self.dim = FEATURE_DIM
        probes = (TaskHistory(), TaskHistory(7, 0.375), TaskHistory(250, -1.5), TaskHistory(3, 1.2))
        self.fast = getattr(context_module, "N_HISTORY", None) == 2 and all(
            np.array_equal(self._fast(i, h).features, make_context(t, h).features)
            for i, t in enumerate(self.tasks)
            for h in probes
        )

    def _fast(self, index: int, history: TaskHistory) -> Context:
        features = self.static[index].copy()
        if history.pulls:
            features[-2] = min(max(history.mean_reward, -1.0), 1.0)
            features[-1] = min(math.log1p(history.pulls) / _LOG_101, 1.0)
        else:
            features[-2:] = 0.0
        return Context(self.tasks[index].name, features)

    def __call__(self, index: int, history: TaskHistory) -> Context:
        if self.fast:
            return self._fast(index, history)
        return make_context(self.tasks[index], history)


_LOG_101 = math.log1p(100)


@dataclass(frozen=True)
class Trace:
    """What one agent run did, in the numbers the benchmark needs (in pulls; the strategy
    replay's `CallTrace` counts in calls)."""

    tasks: tuple[int, ...]
    """Task indices played, in order."""
    regret: np.ndarray
    """(tasks, pulls) cumulative expected regret of each task after each of its pulls."""
    checkpoints: tuple[int, ...]
    """Pulls per task at which `best` was recorded."""
    best: np.ndarray
    """(checkpoints, tasks) agent.best(context) at each checkpoint."""
    steps: int
    """Rewards fed to the agent (= pulls)."""
    agent_s: float
    """Seconds spent inside choose/update/best."""
    reused: int
    """Pulls of an exhausted cell (drawn with replacement)."""


def play(
    agent: Agent,
    env: ReplayEnv,
    contexts: TaskContexts,
    tasks: Sequence[int],
    pulls: int,
    gaps: np.ndarray,
    samples_per_decision: int = 1,
    checkpoints: Sequence[int] = (),
) -> Trace:
    """Run `pulls` pulls per task with the learning loop's (loop/learning.py) structure and record regret and recommendations.

    Each episode makes one decision per task (choose with the task's current history),
    then deals K answers of the chosen template, updating after each with the context
    of the history so far, as `Runner.learn` does.
    """
    k = samples_per_decision
    histories = [TaskHistory() for _ in tasks]
    step_gaps = np.zeros((len(tasks), pulls))
    done = [0] * len(tasks)
    marks = sorted(c for c in set(checkpoints) if 0 < c <= pulls)
    best = np.zeros((len(marks), len(tasks)), dtype=np.int32)
    next_mark = 0
    agent_s = 0.0
    reused_before = env.reused
    clock = time.perf_counter
    for episode in range(math.ceil(pulls / k)):
        for j, t in enumerate(tasks):
            ctx = contexts(t, histories[j])
            t0 = clock()
            arm = agent.choose(ctx)
            agent_s += clock() - t0
            for sample in range(min(k, pulls - done[j])):
                reward = env.reward(t, arm)
                if sample:  # the history moved since the choice
                    ctx = contexts(t, histories[j])
                t0 = clock()
                agent.update(ctx, arm, reward)
                agent_s += clock() - t0
                histories[j] = histories[j].add(reward)
                step_gaps[j, done[j]] = gaps[t, arm]
                done[j] += 1
        reached = min((episode + 1) * k, pulls)
        while next_mark < len(marks) and marks[next_mark] <= reached:
            ctxs = [contexts(t, histories[j]) for j, t in enumerate(tasks)]
            t0 = clock()
            best[next_mark] = [agent.best(c) for c in ctxs]
            agent_s += clock() - t0
            next_mark += 1
    return Trace(
        tasks=tuple(tasks), regret=np.cumsum(step_gaps, axis=1), checkpoints=tuple(marks),
        best=best, steps=sum(done), agent_s=agent_s, reused=env.reused - reused_before,
    )

