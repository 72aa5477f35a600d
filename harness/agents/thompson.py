"""Beta-Bernoulli Thompson sampling per task, with fractional rewards.

Rewards are mapped linearly from [reward_min, reward_max] to [0, 1] and clipped, then
added as fractional successes (r) and failures (1 - r). That covers "binary" (-0.1 or
1), "partial" and "shaped" alike; the mapping keeps the order of rewards, which is all
the choice depends on. Sampling makes concurrent choices differ on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any

import numpy as np

from harness.agents import check_space, random_argmax, rng_state, set_rng_state, space_state
from harness.agents.base import POSITIVE, Agent, ArmSpace, Context, register_agent
from harness.grading.rewards import lowest_reward


@dataclass(frozen=True)
class ThompsonConfig:
    reward_min: float = field(default_factory=lowest_reward)
    """Reward mapped to 0 (a failure): the lowest reward of every registered scheme (-0.1)."""
    reward_max: float = 1.0
    """Reward mapped to 1 (a success)."""
    prior_alpha: Annotated[float, POSITIVE] = 1.0
    """Beta prior pseudo-successes; (1, 1) is uniform."""
    prior_beta: Annotated[float, POSITIVE] = 1.0
    """Beta prior pseudo-failures."""


@register_agent
class ThompsonAgent(Agent):
    name = "thompson"
    config_cls = ThompsonConfig

    def __init__(
        self, space: ArmSpace, n_features: int, seed: int = 0, config: ThompsonConfig | None = None
    ) -> None:
        super().__init__(space, n_features, seed)
        self.config = config or ThompsonConfig()
        self.successes: dict[str, np.ndarray] = {}
        self.failures: dict[str, np.ndarray] = {}

    def _row(self, task: str) -> tuple[np.ndarray, np.ndarray]:
        if task not in self.successes:
            self.successes[task] = np.zeros(self.space.n_arms)
            self.failures[task] = np.zeros(self.space.n_arms)
        return self.successes[task], self.failures[task]

    def _unit(self, reward: float) -> float:
        low, high = self.config.reward_min, self.config.reward_max
        return float(np.clip((reward - low) / (high - low), 0.0, 1.0))

    def choose(self, context: Context) -> int:
        successes, failures = self._row(context.task)
        samples = self.rng.beta(
            self.config.prior_alpha + successes, self.config.prior_beta + failures
        )
        return random_argmax(samples, self.rng)

    def update(self, context: Context, arm: int, reward: float) -> None:
        successes, failures = self._row(context.task)
        unit = self._unit(reward)
        successes[arm] += unit
        failures[arm] += 1.0 - unit

    def best(self, context: Context) -> int:
        """The highest posterior mean; an unseen task pools all tasks."""
        if context.task in self.successes:
            successes, failures = self.successes[context.task], self.failures[context.task]
        else:
            successes = sum(self.successes.values(), np.zeros(self.space.n_arms))
            failures = sum(self.failures.values(), np.zeros(self.space.n_arms))
        alpha = self.config.prior_alpha + successes
        return int(np.argmax(alpha / (alpha + self.config.prior_beta + failures)))

    def state(self) -> dict[str, Any]:
        return {
            "space": space_state(self.space),
            "successes": {t: s.tolist() for t, s in self.successes.items()},
            "failures": {t: f.tolist() for t, f in self.failures.items()},
            "rng": rng_state(self.rng),
        }

    def load_state(self, state: dict[str, Any]) -> None:
        check_space(state, self.space, self.name)
        self.successes = {t: np.array(s, dtype=float) for t, s in state["successes"].items()}
        self.failures = {t: np.array(f, dtype=float) for t, f in state["failures"].items()}
        set_rng_state(self.rng, state.get("rng"))
