"""Epsilon-greedy per task: the simplest learner, and a strong one when arms are few.

Untried arms start at an optimistic value, so each is tried once before the greedy
choice settles; with many arms use a preset, or lower `initial_value`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from harness.agents import check_space, random_argmax, rng_state, set_rng_state, space_state
from harness.agents.base import Agent, ArmSpace, Context, register_agent


@dataclass(frozen=True)
class EpsilonGreedyConfig:
    epsilon: float = 0.1
    """Probability of a uniformly random arm instead of the greedy one."""
    initial_value: float = 1.0
    """Value of an arm not yet tried on a task; 1.0 (the best reward) tries every arm once."""


@register_agent
class EpsilonGreedyAgent(Agent):
    name = "epsilon_greedy"
    config_cls = EpsilonGreedyConfig

    def __init__(
        self,
        space: ArmSpace,
        n_features: int,
        seed: int = 0,
        config: EpsilonGreedyConfig | None = None,
    ) -> None:
        super().__init__(space, n_features, seed)
        self.config = config or EpsilonGreedyConfig()
        self.counts: dict[str, np.ndarray] = {}
        self.sums: dict[str, np.ndarray] = {}
        self.pending: dict[str, np.ndarray] = {}

    def _row(self, task: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if task not in self.counts:
            self.counts[task] = np.zeros(self.space.n_arms)
            self.sums[task] = np.zeros(self.space.n_arms)
        self.pending.setdefault(task, np.zeros(self.space.n_arms))
        return self.counts[task], self.sums[task], self.pending[task]

    def _values(self, counts: np.ndarray, sums: np.ndarray) -> np.ndarray:
        return np.where(counts > 0, sums / np.maximum(counts, 1), self.config.initial_value)

    def choose(self, context: Context) -> int:
        counts, sums, pending = self._row(context.task)
        if self.rng.random() < self.config.epsilon:
            arm = int(self.rng.integers(self.space.n_arms))
        else:
            # Pulls in flight break ties, so a batch of untried arms fans out.
            arm = random_argmax(self._values(counts, sums) - 1e-6 * pending, self.rng)
        pending[arm] += 1
        return arm

    def update(self, context: Context, arm: int, reward: float) -> None:
        counts, sums, pending = self._row(context.task)
        counts[arm] += 1
        sums[arm] += reward
        pending[arm] = max(0.0, pending[arm] - 1)

    def best(self, context: Context) -> int:
        if context.task in self.counts:
            counts, sums = self.counts[context.task], self.sums[context.task]
        else:  # an unseen task: what worked across all tasks
            counts = sum(self.counts.values(), np.zeros(self.space.n_arms))
            sums = sum(self.sums.values(), np.zeros(self.space.n_arms))
        if not counts.any():
            return 0
        return int(np.argmax(np.where(counts > 0, sums / np.maximum(counts, 1), -np.inf)))

    def state(self) -> dict[str, Any]:
        return {
            "space": space_state(self.space),
            "counts": {t: c.tolist() for t, c in self.counts.items()},
            "sums": {t: s.tolist() for t, s in self.sums.items()},
            "rng": rng_state(self.rng),
        }

    def load_state(self, state: dict[str, Any]) -> None:
        check_space(state, self.space, self.name)
        self.counts = {t: np.array(c, dtype=float) for t, c in state["counts"].items()}
        self.sums = {t: np.array(s, dtype=float) for t, s in state["sums"].items()}
        self.pending = {}  # pulls in flight do not survive a restart
        set_rng_state(self.rng, state.get("rng"))
