"""Disjoint LinUCB (Li et al. 2010): one ridge regression per arm over task features.

Arms are shared by all tasks, so what a template earned on one task informs tasks with
similar features, including tasks never seen before (the bias feature carries each
arm's overall quality). Inverses are kept up to date with Sherman-Morrison rank-one
updates, so a choice costs O(arms x features^2), not a matrix inversion.

Pulls in flight enter the confidence width, not the estimate: after choosing arm a for
context x, a's width shrinks as if x had been observed, so a batch of choices for the
same task spreads over arms; the estimate changes only when the reward arrives.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Annotated, Any

import numpy as np

from harness.agents import check_space, random_argmax, rng_state, set_rng_state, space_state
from harness.agents.base import NON_NEGATIVE, POSITIVE, Agent, ArmSpace, Context, register_agent
from harness.errors import HarnessError


@dataclass(frozen=True)
class LinUCBConfig:
    alpha: Annotated[float, NON_NEGATIVE] = 1.0
    """Width of the confidence bonus alpha*sqrt(x' A^-1 x); larger explores more."""
    ridge: Annotated[float, POSITIVE] = 1.0
    """Ridge penalty: A starts as ridge*I, i.e. a zero-mean prior on each arm's weights."""


def _encode(array: np.ndarray) -> dict[str, Any]:
    data = np.ascontiguousarray(array, dtype="<f8").tobytes()
    return {"shape": list(array.shape), "f8": base64.b64encode(data).decode()}


def _decode(blob: dict[str, Any]) -> np.ndarray:
    return np.frombuffer(base64.b64decode(blob["f8"]), dtype="<f8").reshape(blob["shape"]).copy()


def _rank_one(inverse: np.ndarray, x: np.ndarray, sign: float = 1.0) -> None:
    """In place: inverse of (M + sign*x x') from inverse of M (Sherman-Morrison)."""
    ux = inverse @ x
    inverse -= sign * np.outer(ux, ux) / (1.0 + sign * x @ ux)


@register_agent
class LinUCBAgent(Agent):
    name = "linucb"
    contextual = True
    config_cls = LinUCBConfig
    relative_cost = 8.0  # a d x d solve per arm and decision

    def __init__(
        self, space: ArmSpace, n_features: int, seed: int = 0, config: LinUCBConfig | None = None
    ) -> None:
        super().__init__(space, n_features, seed)
        self.config = config or LinUCBConfig()
        k, d = space.n_arms, n_features
        self.A = np.tile(self.config.ridge * np.eye(d), (k, 1, 1))
        self.b = np.zeros((k, d))
        self.A_inv: np.ndarray = np.tile(np.eye(d) / self.config.ridge, (k, 1, 1))
        # (A + pending outer products)^-1 per arm, and the pending contexts themselves.
        self.width_inv = self.A_inv.copy()
        self.pending: dict[int, list[np.ndarray]] = {}

    def _x(self, context: Context) -> np.ndarray:
        x = np.asarray(context.features, dtype=float).reshape(-1)
        if x.shape != (self.n_features,):
            raise HarnessError(
                f"linucb: context has {x.size} features, the agent was built for {self.n_features}"
            )
        return x

    def _theta(self) -> np.ndarray:
        theta: np.ndarray = np.einsum("kij,kj->ki", self.A_inv, self.b)
        return theta

    def choose(self, context: Context) -> int:
        x = self._x(context)
        mean = self._theta() @ x
        width = np.sqrt(np.maximum(np.einsum("kij,i,j->k", self.width_inv, x, x), 0.0))
        arm = random_argmax(mean + self.config.alpha * width, self.rng)
        _rank_one(self.width_inv[arm], x)
        self.pending.setdefault(arm, []).append(x)
        return arm

    def update(self, context: Context, arm: int, reward: float) -> None:
        x = self._x(context)
        self.A[arm] += np.outer(x, x)
        self.b[arm] += reward * x
        _rank_one(self.A_inv[arm], x)
        queue = self.pending.get(arm)
        chosen_x = queue.pop(0) if queue else None
        if chosen_x is None:  # an update without a choose (replay): the width learns it now
            _rank_one(self.width_inv[arm], x)
        elif not np.array_equal(chosen_x, x):  # context changed in between: recompute exactly
            extra = sum(
                (np.outer(p, p) for p in self.pending.get(arm, [])), np.zeros_like(self.A[arm])
            )
            self.width_inv[arm] = np.linalg.inv(self.A[arm] + extra)

    def best(self, context: Context) -> int:
        return int(np.argmax(self._theta() @ self._x(context)))

    def state(self) -> dict[str, Any]:
        return {
            "space": space_state(self.space),
            "n_features": self.n_features,
            "A": _encode(self.A),
            "b": _encode(self.b),
            "rng": rng_state(self.rng),
        }

    def load_state(self, state: dict[str, Any]) -> None:
        check_space(state, self.space, self.name)
        if state.get("n_features") != self.n_features:
            raise HarnessError(
                f"saved linucb state has {state.get('n_features')} features, this run has "
                f"{self.n_features} (a changed feature set?); start fresh (--fresh)"
            )
        self.A, self.b = _decode(state["A"]), _decode(state["b"])
        self.A_inv = np.linalg.inv(self.A)
        self.width_inv = self.A_inv.copy()
        self.pending = {}  # pulls in flight do not survive a restart
        set_rng_state(self.rng, state.get("rng"))
