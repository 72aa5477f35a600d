"""Successive halving per task (Karnin et al. 2013): a race that drops the worse half.

Each round every surviving arm is pulled up to a common target, then the best
1/eta of them (by mean of all their pulls so far) survive. With a known per-task
budget the rounds split it evenly and the last survivor is played afterwards. With
no budget (open-ended runs) brackets repeat with all arms and doubled pulls per
round (the doubling trick), reusing every earlier sample, so the agent keeps
correcting an early wrong elimination.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Annotated, Any

import numpy as np

from harness.agents import check_space, random_argmax, rng_state, set_rng_state, space_state
from harness.agents.base import Agent, ArmSpace, Context, Range, register_agent


@dataclass(frozen=True)
class SuccessiveHalvingConfig:
    budget: int | None = None
    """Pulls per task (episodes x samples); None = open-ended, doubling brackets."""
    eta: Annotated[int, Range(2)] = 2
    """Keep the best 1/eta arms each round."""


@dataclass
class _Race:
    """One task's race; plain data so it serialises as-is."""

    counts: list[float]
    sums: list[float]
    survivors: list[int]
    target: float
    round: int = 0
    bracket: int = 0
    pending: list[float] = field(default_factory=list)


@register_agent
class SuccessiveHalvingAgent(Agent):
    name = "successive_halving"
    config_cls = SuccessiveHalvingConfig
    needs_budget = True

    def __init__(
        self,
        space: ArmSpace,
        n_features: int,
        seed: int = 0,
        config: SuccessiveHalvingConfig | None = None,
    ) -> None:
        super().__init__(space, n_features, seed)
        self.config = config or SuccessiveHalvingConfig()
        self.eta = max(2, self.config.eta)
        self.n_rounds = (
            max(1, math.ceil(math.log(space.n_arms, self.eta))) if space.n_arms > 1 else 1
        )
        self.races: dict[str, _Race] = {}

    def _pulls_per_arm(self, n_survivors: int, bracket: int) -> float:
        """Pulls each survivor gets this round: an equal share of the bracket's budget."""
        if self.config.budget is not None:
            budget = float(self.config.budget)
        else:
            budget = float(self.space.n_arms * self.n_rounds * 2**bracket)
        return max(1.0, math.floor(budget / (self.n_rounds * n_survivors)))

    def _race(self, task: str) -> _Race:
        if task not in self.races:
            n = self.space.n_arms
            self.races[task] = _Race(
                counts=[0.0] * n,
                sums=[0.0] * n,
                survivors=list(range(n)),
                target=self._pulls_per_arm(n, 0),
            )
        race = self.races[task]
        if not race.pending:
            race.pending = [0.0] * self.space.n_arms
        return race

    def choose(self, context: Context) -> int:
        race = self._race(context.task)
        survivors = np.array(race.survivors)
        pulls = np.array([race.counts[a] + race.pending[a] for a in race.survivors])
        if len(survivors) == 1:
            arm = int(survivors[0])
        else:
            # The least-pulled survivor: below target while the round runs, and an even
            # spread of extra pulls while the round waits for rewards in flight.
            arm = int(survivors[random_argmax(-pulls, self.rng)])
        race.pending[arm] += 1
        return arm

    def update(self, context: Context, arm: int, reward: float) -> None:
        race = self._race(context.task)
        race.counts[arm] += 1
        race.sums[arm] += reward
        race.pending[arm] = max(0.0, race.pending[arm] - 1)
        self._advance(race)

    def _advance(self, race: _Race) -> None:
        while len(race.survivors) > 1 and all(
            race.counts[a] >= race.target for a in race.survivors
        ):
            keep = max(1, math.ceil(len(race.survivors) / self.eta))
            means = [race.sums[a] / race.counts[a] for a in race.survivors]
            order = sorted(range(len(means)), key=lambda i: (-means[i], race.survivors[i]))
            race.survivors = sorted(race.survivors[i] for i in order[:keep])
            race.round += 1
            if len(race.survivors) == 1 and self.config.budget is None:
                race.bracket += 1  # open-ended: race again, twice the pulls per round
                race.round = 0
                race.survivors = list(range(self.space.n_arms))
                race.target = self._pulls_per_arm(self.space.n_arms, race.bracket)
            else:
                race.target += self._pulls_per_arm(len(race.survivors), race.bracket)

    def best(self, context: Context) -> int:
        if context.task in self.races:
            race = self.races[context.task]
            counts, sums = np.array(race.counts), np.array(race.sums)
            if len(race.survivors) == 1 and self.config.budget is not None:
                return race.survivors[0]
        else:  # an unseen task: what worked across all tasks
            counts = np.sum([r.counts for r in self.races.values()], axis=0)
            sums = np.sum([r.sums for r in self.races.values()], axis=0)
        if not np.any(counts):
            return 0
        return int(np.argmax(np.where(counts > 0, sums / np.maximum(counts, 1), -np.inf)))

    def state(self) -> dict[str, Any]:
        races = {
            task: {k: v for k, v in vars(race).items() if k != "pending"}
            for task, race in self.races.items()
        }
        return {"space": space_state(self.space), "races": races, "rng": rng_state(self.rng)}

    def load_state(self, state: dict[str, Any]) -> None:
        check_space(state, self.space, self.name)
        self.races = {task: _Race(**race) for task, race in state["races"].items()}
        set_rng_state(self.rng, state.get("rng"))
