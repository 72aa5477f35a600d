"""Uniform random choice: the no-learning baseline every learning agent must beat.

It still keeps per-task means, so `best()` reports the empirically best arm (pure
exploration followed by a recommendation).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from harness.agents import check_space, rng_state, set_rng_state, space_state
from harness.agents.base import Agent, ArmSpace, Context, register_agent


@dataclass(frozen=True)
class UniformConfig:
    """Uniform has no options."""


@register_agent
class UniformAgent(Agent):
    name = "uniform"
    config_cls = UniformConfig

    def __init__(
        self, space: ArmSpace, n_features: int, seed: int = 0, config: UniformConfig | None = None
    ) -> None:
        super().__init__(space, n_features, seed)
        self.config = config or UniformConfig()
        self.counts: dict[str, np.ndarray] = {}
        self.sums: dict[str, np.ndarray] = {}

    def _row(self, task: str) -> tuple[np.ndarray, np.ndarray]:
        if task not in self.counts:
            self.counts[task] = np.zeros(self.space.n_arms)
            self.sums[task] = np.zeros(self.space.n_arms)
        return self.counts[task], self.sums[task]

    def choose(self, context: Context) -> int:
        return int(self.rng.integers(self.space.n_arms))

    def update(self, context: Context, arm: int, reward: float) -> None:
        counts, sums = self._row(context.task)
        counts[arm] += 1
        sums[arm] += reward

    def best(self, context: Context) -> int:
        if context.task in self.counts:
            counts, sums = self.counts[context.task], self.sums[context.task]
        else:  # an unseen task: what worked across all tasks
            counts = sum(self.counts.values(), np.zeros(self.space.n_arms))
            sums = sum(self.sums.values(), np.zeros(self.space.n_arms))
        means = np.where(counts > 0, sums / np.maximum(counts, 1), -np.inf)
        return (
            int(np.argmax(means)) if counts.any() else 0
        )  # no rng: best() must not perturb choices

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
        set_rng_state(self.rng, state.get("rng"))
