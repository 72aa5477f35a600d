"""Always the same template: the `--template ID` baseline and the control arm of benchmarks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from harness.agents import check_space, space_state
from harness.agents.base import Agent, ArmSpace, Context, register_agent
from harness.errors import HarnessError


@dataclass(frozen=True)
class FixedConfig:
    arm: int | str = 0
    """The arm to play: an index, or a label (template id) of the arm space."""


@register_agent
class FixedAgent(Agent):
    """Plays one arm; learns nothing, so its reward is the template's own quality."""

    name = "fixed"
    config_cls = FixedConfig

    def __init__(
        self, space: ArmSpace, n_features: int, seed: int = 0, config: FixedConfig | None = None
    ) -> None:
        super().__init__(space, n_features, seed)
        self.config = config or FixedConfig()
        self.arm = self._resolve(self.config.arm)

    def _resolve(self, arm: int | str) -> int:
        if isinstance(arm, int) and 0 <= arm < self.space.n_arms:
            return arm
        if isinstance(arm, str) and arm in self.space.labels:
            return self.space.labels.index(arm)
        labels = ", ".join(self.space.labels[:10]) + (" ..." if self.space.n_arms > 10 else "")
        raise HarnessError(
            f"fixed agent: arm {arm!r} is not in the arm space "
            f"(0..{self.space.n_arms - 1} or a label: {labels})"
        )

    def choose(self, context: Context) -> int:
        return self.arm

    def update(self, context: Context, arm: int, reward: float) -> None:
        pass

    def best(self, context: Context) -> int:
        return self.arm

    def state(self) -> dict[str, Any]:
        return {"space": space_state(self.space), "arm": self.arm}

    def load_state(self, state: dict[str, Any]) -> None:
        check_space(state, self.space, self.name)
        # The configured arm wins: a saved state must not silently change what `--template` runs.
