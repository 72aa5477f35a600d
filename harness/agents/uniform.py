"""Uniform random choice: the no-learning baseline every learning agent must beat.

It still keeps per-task means, so `best()` reports the empirically best arm (pure
exploration followed by a recommendation).
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.agents.base import ArmSpace, Context, register_agent
from harness.agents.tabular import PerTaskMeans


@dataclass(frozen=True)
class UniformConfig:
    """Uniform has no options."""


@register_agent
class UniformAgent(PerTaskMeans):
    name = "uniform"
    config_cls = UniformConfig

    def __init__(
        self, space: ArmSpace, n_features: int, seed: int = 0, config: UniformConfig | None = None
    ) -> None:
        super().__init__(space, n_features, seed)
        self.config = config or UniformConfig()

    def choose(self, context: Context) -> int:
        return int(self.rng.integers(self.space.n_arms))
