"""Epsilon-greedy per task: the simplest learner, and a strong one when arms are few.

Untried arms start at an optimistic value, so each is tried once before the greedy
choice settles; with many arms use a preset, or lower `initial_value`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import numpy as np

from harness.agents import random_argmax
from harness.agents.base import PROBABILITY, ArmSpace, Context, register_agent
from harness.agents.tabular import PerTaskMeans


@dataclass(frozen=True)
class EpsilonGreedyConfig:
    epsilon: Annotated[float, PROBABILITY] = 0.1
    """Probability of a uniformly random arm instead of the greedy one."""
    initial_value: float = 1.0
    """Value of an arm not yet tried on a task; 1.0 (the best reward) tries every arm once."""


@register_agent
class EpsilonGreedyAgent(PerTaskMeans):
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
