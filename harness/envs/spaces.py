"""Gymnasium spaces of the environments: actions that pick a strategy, and the task observation.

An action is either a `MultiDiscrete` with one dimension per part of a strategy that varies
among the arms offered (template components, temperature, selection), so a policy can learn
what each part does, or a `Discrete` index into the arms (a preset's strategies, say). Every
action is valid: a `MultiDiscrete` combination that is not an arm (only possible when the
arms are not a full product of their parts) plays the arm that shares most of its parts.
The mapping is a precomputed integer array, so turning an action into an arm costs one dot
product and one lookup per step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from harness.agents.base import ArmSpace
from harness.agents.features import FEATURE_DIM
from harness.errors import HarnessError

ActionKind = Literal["multi", "discrete"]
"""`multi`: one dimension per strategy part; `discrete`: one index over the arms."""

ACTION_KINDS: tuple[str, ...] = ("multi", "discrete")

MAX_COMBINATIONS = 1 << 20
"""Largest `MultiDiscrete` product the lookup table is built for."""

OBS_LOW = -1.0
"""Lowest value of any task feature (signed word buckets, the clipped mean reward)."""
OBS_HIGH = 1.5
"""Highest value of any task feature (the description length is capped at 1.5)."""


def factor_names(space: ArmSpace) -> tuple[str, ...]:
    """Names of an arm space's factors: the template components (or one `template` factor for
    a flat space), then `temperature` and `selection`."""
    from harness.prompts.components import COMPONENTS

    n = len(space.factor_sizes) - 2
    parts = tuple(c.name for c in COMPONENTS) if n == len(COMPONENTS) else tuple(
        f"template_{i}" if n > 1 else "template" for i in range(n))
    return (*parts, "temperature", "selection")


@dataclass(frozen=True)
class ActionMap:
    """How an action becomes an arm (an index into the environment's arms) and back."""

    kind: ActionKind
    """The action space's kind."""
    nvec: tuple[int, ...]
    """Options per action dimension (one dimension for `discrete`)."""
    names: tuple[str, ...]
    """What each dimension chooses (strategy parts, or `strategy`)."""
    strides: tuple[int, ...]
    """Flat index of an action = sum(action * strides)."""
    lookup: tuple[int, ...]
    """Flat action index -> arm (every combination maps to some arm)."""
    actions: tuple[tuple[int, ...], ...]
    """Arm -> its action (the inverse, for agents that think in arms)."""

    @classmethod
    def build(cls, kind: str, space: ArmSpace, names: Sequence[str]) -> ActionMap:
        """The action map over every arm of `space` (factors named by `names`)."""
        if kind not in ACTION_KINDS:
            raise HarnessError(f"unknown action kind '{kind}'; valid: {', '.join(ACTION_KINDS)}")
        n_arms = space.n_arms
        if n_arms == 0:
            raise HarnessError("the environment needs at least one strategy")
        if kind == "discrete":
            return cls("discrete", (n_arms,), ("strategy",), (1,), tuple(range(n_arms)),
                       tuple((i,) for i in range(n_arms)))
        factors = np.array(space.arms, dtype=np.int64).reshape(n_arms, -1)
        varying = [j for j in range(factors.shape[1]) if len(set(factors[:, j].tolist())) > 1]
        if not varying:  # a single arm: one dimension of one option
            return cls("multi", (1,), ("strategy",), (1,), (0,), ((0,),))
        values = [sorted(set(factors[:, j].tolist())) for j in varying]
        local = np.array([[values[d].index(int(factors[a, j])) for d, j in enumerate(varying)]
                          for a in range(n_arms)], dtype=np.int64)
        nvec = tuple(len(v) for v in values)
        total = int(np.prod(nvec))
        if total > MAX_COMBINATIONS:
            raise HarnessError(f"{total} action combinations: too many for a MultiDiscrete "
                               "action; use action='discrete'")
        strides = tuple(int(np.prod(nvec[d + 1:])) for d in range(len(nvec)))
        grid = np.indices(nvec).reshape(len(nvec), -1).T  # every combination, flat order
        matches = (grid[:, None, :] == local[None, :, :]).sum(axis=2)  # (combinations, arms)
        lookup = tuple(int(a) for a in matches.argmax(axis=1))  # exact, else most parts shared
        return cls("multi", nvec, tuple(names[j] for j in varying), strides, lookup,
                   tuple(tuple(int(x) for x in row) for row in local))

    def gym_space(self) -> Any:  # noqa: ANN401 - a gymnasium space (imported lazily)
        """The gymnasium action space."""
        from gymnasium import spaces

        if self.kind == "discrete":
            return spaces.Discrete(self.nvec[0])
        return spaces.MultiDiscrete(np.array(self.nvec, dtype=np.int64))

    def arm(self, action: Any) -> int:  # noqa: ANN401 - whatever the agent passes
        """The arm an action plays; out-of-range actions are an error naming the space."""
        if self.kind == "discrete":
            index = int(action)
            if not 0 <= index < self.nvec[0]:
                raise HarnessError(f"action {action!r} is outside Discrete({self.nvec[0]})")
            return index
        values = action.tolist() if isinstance(action, np.ndarray) else list(action)
        flat = 0
        if len(values) == len(self.nvec):  # plain ints: numpy costs more than it saves here
            for value, size, stride in zip(values, self.nvec, self.strides, strict=True):
                if not 0 <= value < size:
                    break
                flat += int(value) * stride
            else:
                return self.lookup[flat]
        raise HarnessError(f"action {action!r} is outside MultiDiscrete({list(self.nvec)}) "
                           f"({', '.join(self.names)})")

    def action(self, arm: int) -> Any:  # noqa: ANN401 - an int or an int64 vector
        """The action that plays `arm`."""
        if self.kind == "discrete":
            return int(arm)
        return np.array(self.actions[arm], dtype=np.int64)


def observation_space() -> Any:  # noqa: ANN401 - a gymnasium Box (imported lazily)
    """The task feature vector of `harness.agents.features` (history included), as float32."""
    from gymnasium import spaces

    return spaces.Box(OBS_LOW, OBS_HIGH, shape=(FEATURE_DIM,), dtype=np.float32)


def restrict(space: ArmSpace, keep: Sequence[int]) -> ArmSpace:
    """The arm space of the arms `keep` (in that order)."""
    return ArmSpace(space.factor_sizes, tuple(space.arms[i] for i in keep),
                    tuple(space.labels[i] for i in keep) if space.labels else ())
