"""The interface every prompt-choosing agent implements.

An agent picks an arm (a prompt template) for a context (a task), then learns
from the reward. Live runs and the offline replay benchmark drive agents through
exactly this interface, so what the benchmark shows is what `harness run` does.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np


@dataclass(frozen=True)
class Range:
    """Allowed values of a numeric config field, for `Annotated[float, Range(...)]`: a value a
    user sets with `--agent-opt` outside it is an error naming the option, not a run that
    quietly learns nothing (an epsilon of 5, a negative learning rate)."""

    low: float | None = None
    high: float | None = None
    open_low: bool = False
    """The low end itself is not allowed (a variance or a learning rate must be > 0)."""

    def allows(self, value: float) -> bool:
        if self.low is not None and (value <= self.low if self.open_low else value < self.low):
            return False
        return self.high is None or value <= self.high

    def describe(self) -> str:
        if self.low is not None and self.high is not None:
            return f"in {'(' if self.open_low else '['}{self.low:g}, {self.high:g}]"
        if self.low is not None:
            return f"{'>' if self.open_low else '>='} {self.low:g}"
        return f"<= {self.high:g}"


POSITIVE = Range(0, open_low=True)
NON_NEGATIVE = Range(0)
AT_LEAST_ONE = Range(1)
PROBABILITY = Range(0, 1)


@dataclass(frozen=True)
class ArmSpace:
    """The arms an agent chooses among, and how each factors into prompt components.

    `arms[i]` is the tuple of option indices (one per component) of arm i, so
    factored agents (PPO) can pick component by component and map back to an arm.
    """

    factor_sizes: tuple[int, ...]
    arms: tuple[tuple[int, ...], ...]
    labels: tuple[str, ...] = ()

    @property
    def n_arms(self) -> int:
        return len(self.arms)

    def arm_of(self, factors: tuple[int, ...]) -> int | None:
        try:
            return self.arms.index(tuple(factors))
        except ValueError:
            return None


@dataclass(frozen=True)
class Context:
    """What an agent knows about the task it is choosing for."""

    task: str
    features: np.ndarray


class Agent(ABC):
    """Choose, learn, and persist. Subclasses live one per file under harness/agents/."""

    name: ClassVar[str]
    """The name `--agent` and the registry know it by."""
    config_cls: ClassVar[type[Any]]
    """Its frozen Config dataclass: `--agent-opt KEY=VALUE` and `make_agent(**overrides)`
    set its fields."""
    contextual: ClassVar[bool] = False
    """True when it reads the task's feature vector (transfers between tasks)."""
    needs_budget: ClassVar[bool] = False
    """True when it plans from the number of rewards it will see per task (its Config has a
    `budget` field): runs and the replay size it to the run."""
    relative_cost: ClassVar[float] = 1.0
    """CPU per decision relative to a simple bandit's: the replay benchmark sizes its work
    chunks by it and starts slow agents first."""
    uses_torch: ClassVar[bool] = False
    """Runs torch networks: replay worker processes pin torch to one thread."""

    @classmethod
    def sized_for(cls, budget: int, n_tasks: int) -> dict[str, Any]:
        """Config overrides that fit the agent to a run of `budget` rewards per task over
        `n_tasks` tasks (none by default; `budget` for agents that plan from it)."""
        return {"budget": budget} if cls.needs_budget else {}

    def __init__(self, space: ArmSpace, n_features: int, seed: int = 0) -> None:
        self.space = space
        self.n_features = n_features
        self.rng = np.random.default_rng(seed)

    @abstractmethod
    def choose(self, context: Context) -> int:
        """The arm to pull next (may explore)."""

    @abstractmethod
    def update(self, context: Context, arm: int, reward: float) -> None:
        """Learn from one observed reward."""

    @abstractmethod
    def best(self, context: Context) -> int:
        """The arm the agent believes is best for this context (no exploration)."""

    def settle(self) -> None:  # noqa: B027 - optional: a no-op for agents without lazy state
        """Bring state that is updated lazily up to date before a final recommendation (most
        agents keep none)."""

    @abstractmethod
    def state(self) -> dict[str, Any]:
        """JSON-serialisable learned state."""

    @abstractmethod
    def load_state(self, state: dict[str, Any]) -> None:
        """Restore what `state()` returned."""

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(json.dumps({"agent": self.name, "state": self.state()}))
        tmp.replace(path)

    def load(self, path: Path) -> bool:
        """Warm-start from `path`; False when there is nothing compatible to load."""
        if not path.exists():
            return False
        data = json.loads(path.read_text())
        if data.get("agent") != self.name:
            return False
        self.load_state(data["state"])
        return True


AGENTS: dict[str, type[Agent]] = {}


def register_agent(cls: type[Agent]) -> type[Agent]:
    """Class decorator: make an agent available by its `name` to the CLI and benchmark."""
    AGENTS[cls.name] = cls
    return cls

