"""Per-task reward tables shared by the context-free agents (uniform, epsilon-greedy, UCB1).

Each task gets its own counts and reward sums per arm, plus the pulls in flight
(chosen, not yet rewarded) so a batch of concurrent choices can spread out.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from harness.agents import check_space, rng_state, set_rng_state, space_state
from harness.agents.base import Agent, ArmSpace, Context


class PerTaskMeans(Agent):
    """Everything but `choose`: the table, updates, the greedy `best`, and persistence."""

    def __init__(self, space: ArmSpace, n_features: int, seed: int = 0) -> None:
        super().__init__(space, n_features, seed)
        self.counts: dict[str, np.ndarray] = {}
        self.sums: dict[str, np.ndarray] = {}
        self.pending: dict[str, np.ndarray] = {}

    def _row(self, task: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if task not in self.counts:
            self.counts[task] = np.zeros(self.space.n_arms)
            self.sums[task] = np.zeros(self.space.n_arms)
        self.pending.setdefault(task, np.zeros(self.space.n_arms))
        return self.counts[task], self.sums[task], self.pending[task]

    def update(self, context: Context, arm: int, reward: float) -> None:
        counts, sums, pending = self._row(context.task)
        counts[arm] += 1
        sums[arm] += reward
        pending[arm] = max(0.0, pending[arm] - 1)

    def best(self, context: Context) -> int:
        """The best observed mean; no randomness, so asking never perturbs later choices."""
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
