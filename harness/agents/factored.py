"""Hierarchical Bayesian linear Thompson sampling over the arms' factors.

An arm is a combination of options (template components, and strategy settings such as
temperature or best-of-k); what makes one arm good often makes its neighbours good too.
So the reward is modelled through arm features rather than as one unknown per arm:

    x(a)    = [1, one-hot of each factor's option minus a reference level, chosen
               pairwise products of those indicators]                      (d features)
    r       = x(a) . w_t + u_ta + eps,    eps ~ N(0, noise_var),  u_ta ~ N(0, arm_var)
    w_t     = w + delta_t,                delta_t ~ N(0, T),  T = diag(task_intercept_var, task_var...)
    w       ~ N(0, global_var I)

w is what generally helps, learned from every task; delta_t is how task t differs, and
its prior shrinks the task toward w, so an unseen task starts from the pooled model and
a seen one moves away only as far as its own data insists. u_ta is what the factors
cannot explain (a task whose best template is not the sum of its parts): small at first
next to the factor effects, it lets each task converge to its arms' own means.
Nothing assumes which factor is which; levels no arm uses get no feature.

The posterior is exact for this Gaussian model (variances known; up to the snapshot lag
below), from per-task, per-arm pulls n_a and reward sums s_a. Integrating u out weights
arm a by c_a = n_a / (n_a arm_var + noise_var): G_t = X' diag(c) X and
g_t = X' (s / (n arm_var + noise_var)). Then

    what task t says about w, delta_t integrated out (Woodbury):
        N_t = (T^-1 + G_t)^-1,    I_t = T^-1 - T^-1 N_t T^-1,    h_t = T^-1 N_t g_t
    global:   P = I / global_var + sum_t I_t,   h = sum_t h_t
    every task but t:  P_c = P - I_t, h_c = h - h_t, so w_t ~ N(P_c^-1 h_c, P_c^-1 + T),
                       whose precision is R = (I + P_c T)^-1 P_c
    task t:   w_t ~ N(Q^-1 (R m_c + g_t), Q^-1),  Q = R + G_t
    arm a:    u_ta | w_t ~ N(k_a (s_a - n_a x.w_t), k_a noise_var),  k_a = arm_var / (noise_var + n_a arm_var)

Cost: the other tasks' part (I_t, h_t, the sums, each task's prior R) is a snapshot,
recomputed in two batched calls once all pulls have grown by `refresh` (5%) since the
last one, so it lags a little; a task's own data is always current. A choice then costs
one d x d Cholesky and inverse (d ~ 5-30) and O(arms) vector work, tens of microseconds.
The state is the counts and sums, the snapshot and the generator; everything else is
rebuilt from them, so a reload continues bit for bit.

Not modelled: noise that differs between tasks or arms (rewards lie in [-0.1, 1]), and
learning the variances from the data (empirical Bayes would be the next step).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Annotated, Any

import numpy as np

from harness.agents import check_space, random_argmax, rng_state, set_rng_state, space_state
from harness.agents.base import NON_NEGATIVE, POSITIVE, Agent, ArmSpace, Context, register_agent
from harness.errors import HarnessError

Pairs = tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class FactoredConfig:
    """Prior and noise variances (rewards lie in [-0.1, 1]) and which interactions to model."""

    noise_var: Annotated[float, POSITIVE] = 0.1
    """Variance of one reward around its arm's mean (a pass/fail reward at 50% has 0.25-0.3;
    smaller trusts each reward more and explores less)."""
    global_var: Annotated[float, POSITIVE] = 1.0
    """Prior variance of each shared weight (intercept and effects) before any data."""
    task_var: Annotated[float, POSITIVE] = 0.03
    """Prior variance of a task's deviation from each shared effect (0.17 std): how much
    what helps differs between tasks. Smaller pools more, larger learns per task."""
    task_intercept_var: Annotated[float, POSITIVE] = 0.1
    """Prior variance of a task's deviation from the shared intercept: tasks differ much
    more in difficulty than in which option helps."""
    arm_var: Annotated[float, NON_NEGATIVE] = 0.01
    """Prior variance of an arm's reward around what its factors predict, per task; 0 is a
    purely additive model (fastest to learn, but may settle next to the best arm)."""
    refresh: Annotated[float, NON_NEGATIVE] = 0.05
    """The other tasks' evidence is recomputed once all tasks' pulls have grown by this
    fraction since it last was (a task's own data is always current); 0 recomputes after
    every reward (exact, slower)."""
    interactions: str | tuple[tuple[int, int], ...] = ()
    """Factor pairs whose joint options get their own effect: pairs of factor indices,
    "0:1,2:3" (from the CLI), or "all"."""


def parse_interactions(spec: str | Pairs, n_factors: int) -> Pairs:
    """Sorted factor pairs from a config value; "all" is every pair (d grows fast)."""
    if isinstance(spec, str):
        if spec.strip().lower() == "all":
            return tuple(itertools.combinations(range(n_factors), 2))
        items = [item.split(":") for item in spec.split(",") if item.strip()]
        try:
            spec = tuple((int(a), int(b)) for a, b in items)
        except ValueError:
            spec = ((-1, -1),)  # reported below
    pairs: set[tuple[int, int]] = set()
    for pair in spec:
        if len(pair) != 2 or not all(isinstance(i, int) and 0 <= i < n_factors for i in pair):
            raise HarnessError(
                f"factored: interactions {spec!r} are not pairs of factor indices in "
                f"0..{n_factors - 1}; write e.g. interactions=0:1,2:3 or interactions=all"
            )
        if pair[0] != pair[1]:
            pairs.add((min(pair), max(pair)))
    return tuple(sorted(pairs))


def arm_features(space: ArmSpace, interactions: Pairs = ()) -> tuple[np.ndarray, tuple[str, ...]]:
    """(arms x d design matrix, feature names), names like "f2=1" and "f0=1*f3=2".

    Each factor's lowest option used by some arm is its reference level; levels no arm
    uses, and interaction columns that are zero for every arm, get no column.
    """
    arms = np.asarray(space.arms, dtype=int).reshape(space.n_arms, -1)
    columns: list[np.ndarray] = [np.ones(space.n_arms)]
    names: list[str] = ["intercept"]
    levels: list[list[tuple[str, np.ndarray]]] = []
    for f in range(arms.shape[1]):
        used = np.unique(arms[:, f])
        levels.append([(f"f{f}={v}", (arms[:, f] == v).astype(float)) for v in used[1:]])
        names += [name for name, _ in levels[f]]
        columns += [column for _, column in levels[f]]
    for f, g in interactions:
        for (name_f, col_f), (name_g, col_g) in itertools.product(levels[f], levels[g]):
            if (col_f * col_g).any():
                names.append(f"{name_f}*{name_g}")
                columns.append(col_f * col_g)
    return np.stack(columns, axis=1), tuple(names)


@register_agent
class FactoredAgent(Agent):
    """Tasks are told apart by name; `Context.features` is not used."""

    name = "factored"
    contextual = True  # shares across tasks (not through features): it transfers to new tasks
    config_cls = FactoredConfig

    def __init__(
        self, space: ArmSpace, n_features: int, seed: int = 0, config: FactoredConfig | None = None
    ) -> None:
        super().__init__(space, n_features, seed)
        self.config = config or FactoredConfig()
        n_factors = len(space.arms[0]) if space.arms else 0
        self.interactions = parse_interactions(self.config.interactions, n_factors)
        self.X, self.feature_names = arm_features(space, self.interactions)
        d = self.X.shape[1]
        self.tau_inv = np.full(d, 1.0 / self.config.task_var)  # T^-1, diagonal
        self.tau_inv[0] = 1.0 / self.config.task_intercept_var
        self.tau_inv_matrix = np.diag(self.tau_inv)
        self.eye = np.eye(d)
        # Learned state: per task, per arm pulls and reward sums.
        self.counts: dict[str, np.ndarray] = {}
        self.sums: dict[str, np.ndarray] = {}
        self.tasks: list[str] = []
        self.index: dict[str, int] = {}
        self.pulls = 0
        # A task's own G_t, g_t (current; recomputed after its rewards).
        self.G = np.zeros((0, d, d))
        self.g = np.zeros((0, d))
        self.stale_own: set[int] = set()
        # The shared snapshot: each task's I_t, h_t as of `snapshot_pulls` pulls (saved in
        # the state, so a reload continues bit for bit) and, derived from it, each task's
        # prior from the other tasks (R, R m_c); the last row is for tasks it does not cover.
        self.info = np.zeros((0, d, d))
        self.info_h = np.zeros((0, d))
        self.stale_snapshot: set[int] = set()
        self.snapshot_pulls = 0
        self.prior_R = self.prior_Rm = np.zeros((0, d))
        self.posteriors: dict[str, tuple[np.ndarray, ...]] = {}
        self._priors()

    # --- statistics -----------------------------------------------------------------

    def _add_task(self, task: str) -> int:
        i = self.index[task] = len(self.tasks)
        self.tasks.append(task)
        self.counts[task] = np.zeros(self.space.n_arms)
        self.sums[task] = np.zeros(self.space.n_arms)
        if i == len(self.G):  # grow by doubling
            grow = max(4, len(self.G))
            self.G, self.g, self.info, self.info_h = (
                np.concatenate([a, np.zeros((grow, *a.shape[1:]))])
                for a in (self.G, self.g, self.info, self.info_h)
            )
        return i

    def _own_terms(self, i: int) -> None:
        """G_t and g_t from task t's counts and sums (the residual u integrated out)."""
        n, s = self.counts[self.tasks[i]], self.sums[self.tasks[i]]
        pulled = np.flatnonzero(n)
        X = self.X[pulled]
        scale = n[pulled] * self.config.arm_var + self.config.noise_var
        self.G[i] = (X.T * (n[pulled] / scale)) @ X
        self.g[i] = X.T @ (s[pulled] / scale)
        self.stale_own.discard(i)

    def _refresh(self) -> None:
        """Recompute I_t, h_t of the tasks rewarded since the last snapshot, then the priors."""
        rows = sorted(self.stale_snapshot)
        for i in rows:
            if i in self.stale_own:
                self._own_terms(i)
        if rows:
            n_inv = np.linalg.inv(self.tau_inv_matrix + self.G[rows])  # N_t, one batched call
            self.info[rows] = self.tau_inv_matrix - self.tau_inv[:, None] * n_inv * self.tau_inv
            self.info_h[rows] = self.tau_inv * np.einsum("kij,kj->ki", n_inv, self.g[rows])
        self.stale_snapshot.clear()
        self.snapshot_pulls = self.pulls
        self._priors()

    def _priors(self) -> None:
        """Every task's prior from the others, R = (I + P_c T)^-1 P_c and R m_c, batched."""
        n = len(self.tasks)
        precision = self.eye / self.config.global_var + self.info[:n].sum(axis=0)
        h = self.info_h[:n].sum(axis=0)
        cavity = np.concatenate([precision - self.info[:n], precision[None]])
        cavity_h = np.concatenate([h - self.info_h[:n], h[None]])
        shrink = np.linalg.inv(self.eye + cavity / self.tau_inv)
        self.prior_R = shrink @ cavity
        self.prior_Rm = np.einsum("kij,kj->ki", shrink, cavity_h)
        self.posteriors.clear()

    def _posterior(self, task: str) -> tuple[np.ndarray, ...]:
        """(L^-1, u, k', s k, sd) with Q = L L': w_t = L^-T (u + z), and per arm
        reward = k' x.w_t + s k + sd z' (k' = 1 - n k folds the residual's mean in)."""
        cached = self.posteriors.get(task)
        if cached is not None:
            return cached
        i = self.index.get(task)
        row = i if i is not None and i < len(self.prior_R) - 1 else len(self.prior_R) - 1
        R, Rm = self.prior_R[row], self.prior_Rm[row]
        if i is None:
            n = s = np.zeros(self.space.n_arms)
            G, g = 0.0, 0.0
        else:
            if i in self.stale_own:
                self._own_terms(i)
            n, s, G, g = self.counts[task], self.sums[task], self.G[i], self.g[i]
        l_inv = np.linalg.inv(np.linalg.cholesky(R + G))
        k = self.config.arm_var / (self.config.noise_var + n * self.config.arm_var)
        cached = self.posteriors[task] = (
            l_inv, l_inv @ (Rm + g), 1.0 - n * k, s * k, np.sqrt(k * self.config.noise_var)
        )
        return cached

    # --- the agent interface ----------------------------------------------------------

    def mean(self, context: Context) -> np.ndarray:
        """Posterior mean reward of every arm for this task."""
        l_inv, u, keep, shift, _ = self._posterior(context.task)
        mean: np.ndarray = keep * (self.X @ (l_inv.T @ u)) + shift
        return mean

    def choose(self, context: Context) -> int:
        """Thompson sampling: one draw of the task's weights and residuals, its best arm."""
        l_inv, u, keep, shift, sd = self._posterior(context.task)
        w = l_inv.T @ (u + self.rng.standard_normal(len(u)))
        sample = keep * (self.X @ w) + shift
        if self.config.arm_var > 0:
            sample += sd * self.rng.standard_normal(len(sample))
        return random_argmax(sample, self.rng)

    def update(self, context: Context, arm: int, reward: float) -> None:
        i = self.index.get(context.task)
        if i is None:
            i = self._add_task(context.task)
        self.counts[context.task][arm] += 1
        self.sums[context.task][arm] += reward
        self.pulls += 1
        self.stale_own.add(i)
        self.stale_snapshot.add(i)
        self.posteriors.pop(context.task, None)
        if self.pulls - self.snapshot_pulls > self.config.refresh * self.snapshot_pulls:
            self._refresh()

    def settle(self) -> None:
        """The shared snapshot lags the latest pulls by up to `refresh` of them: catch up."""
        if self.stale_snapshot:
            self._refresh()

    def best(self, context: Context) -> int:
        """The highest posterior mean; an unseen task gets what helps across all tasks."""
        return int(np.argmax(self.mean(context)))

    def state(self) -> dict[str, Any]:
        n = len(self.tasks)
        return {
            "space": space_state(self.space),
            "features": list(self.feature_names),
            "counts": {t: c.tolist() for t, c in self.counts.items()},
            "sums": {t: s.tolist() for t, s in self.sums.items()},
            "snapshot": {
                "pulls": self.snapshot_pulls,
                "info": self.info[:n].tolist(),
                "info_h": self.info_h[:n].tolist(),
                "stale": [self.tasks[i] for i in sorted(self.stale_snapshot)],
            },
            "rng": rng_state(self.rng),
        }

    def load_state(self, state: dict[str, Any]) -> None:
        check_space(state, self.space, self.name)
        if state.get("features", list(self.feature_names)) != list(self.feature_names):
            raise HarnessError(
                f"saved factored state has features {', '.join(state['features'])}, this run "
                f"has {', '.join(self.feature_names)} (other interactions?); use the same "
                "options, or start fresh (--fresh)"
            )
        fresh = FactoredAgent(self.space, self.n_features, config=self.config)
        self.__dict__.update({k: v for k, v in fresh.__dict__.items() if k != "rng"})
        snapshot = state["snapshot"]
        for task, counts in state["counts"].items():
            i = self._add_task(task)
            self.counts[task] = np.array(counts, dtype=float)
            self.sums[task] = np.array(state["sums"][task], dtype=float)
            self.info[i] = snapshot["info"][i]
            self.info_h[i] = snapshot["info_h"][i]
        self.pulls = int(sum(c.sum() for c in self.counts.values()))
        self.snapshot_pulls = int(snapshot["pulls"])
        self.stale_own = set(range(len(self.tasks)))
        self.stale_snapshot = {self.index[task] for task in snapshot["stale"]}
        self._priors()
        set_rng_state(self.rng, state.get("rng"))
