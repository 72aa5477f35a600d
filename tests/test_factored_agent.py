"""The factored agent: exact hierarchical posterior, learning speed, transfer, persistence.

The synthetic table is what the agent assumes: 6 tasks over 24 arms (3 binary factors
and a ternary one), each task's success probability an intercept plus shared factor
effects, with small task-specific deviations, and Bernoulli rewards. Learning the 5
effects once beats learning 24 arms per task, and an unseen task starts from them.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest

from harness.agents import make_agent
from harness.agents.base import Agent, ArmSpace, Context
from harness.agents.factored import FactoredAgent, arm_features, parse_interactions
from harness.errors import HarnessError

FACTORS = (2, 2, 2, 3)
ARMS = tuple(itertools.product(*(range(k) for k in FACTORS)))
SPACE = ArmSpace(FACTORS, ARMS, tuple("a" + "".join(map(str, arm)) for arm in ARMS))
X = np.array([[1, a, b, c, d == 1, d == 2] for a, b, c, d in ARMS], dtype=float)
SEEDS = range(20)
PULLS = 48  # per task: 2 per arm


def table(seed: int, n_tasks: int = 6, deviation: float = 0.02) -> np.ndarray:
    """(tasks, arms) success probabilities: shared effects of 0.08-0.2 either way, task
    intercepts +-0.1 and per-task effect deviations of `deviation` std."""
    rng = np.random.default_rng([seed, 1])
    effects = rng.choice([-1, 1], 5) * rng.uniform(0.08, 0.2, 5)
    swing = effects[:3].sum() + max(effects[3], effects[4], 0) + min(effects[3], effects[4], 0)
    shared = np.concatenate([[0.5 - swing / 2], effects])  # centred on 0.5
    tasks = np.concatenate(
        [rng.uniform(-0.1, 0.1, (n_tasks, 1)), rng.normal(0, deviation, (n_tasks, 5))], axis=1
    )
    return np.clip((shared + tasks) @ X.T, 0.02, 0.98)


def ctx(task: int | str) -> Context:
    return Context(f"t{task}" if isinstance(task, int) else task, np.zeros(3))


def play(agent: Agent, means: np.ndarray, tasks: range, pulls: int, seed: int) -> float:
    """Tasks interleaved, one pull each per round; returns the cumulative expected regret."""
    rng = np.random.default_rng([seed, 2])
    regret = 0.0
    for _ in range(pulls):
        for t in tasks:
            arm = agent.choose(ctx(t))
            agent.update(ctx(t), arm, float(rng.random() < means[t, arm]))
            regret += means[t].max() - means[t, arm]
    return regret


def test_beats_per_arm_thompson_on_an_additive_table() -> None:
    regret = {name: [] for name in ("factored", "thompson")}
    for seed in SEEDS:
        means = table(seed)
        for name, runs in regret.items():
            runs.append(play(make_agent(name, SPACE, 3, seed), means, range(6), PULLS, seed))
    ratio = np.mean(regret["factored"]) / np.mean(regret["thompson"])
    assert ratio < 0.8, f"factored/thompson cumulative regret {ratio:.2f}"


def test_an_unseen_task_starts_from_what_helps_elsewhere() -> None:
    gaps = []
    for seed in SEEDS:
        means = table(seed)
        agent = make_agent("factored", SPACE, 3, seed)
        play(agent, means, range(5), 2 * PULLS, seed)
        gaps.append(means[5].max() - means[5, agent.best(ctx(5))])
        assert "t5" not in agent.counts  # asking does not create a task
    gap = np.array(gaps)  # the average arm is 0.34 below the best
    assert gap.mean() < 0.04 and (gap <= 0.05).mean() >= 0.7, gap.round(3)


def test_an_unseen_task_is_played_with_less_regret_after_training() -> None:
    trained, fresh = [], []
    for seed in range(10):
        means = table(seed)
        agent = make_agent("factored", SPACE, 3, seed)
        play(agent, means, range(5), PULLS, seed)
        trained.append(play(agent, means, range(5, 6), 24, seed + 100))
        fresh.append(play(make_agent("factored", SPACE, 3, seed), means, range(5, 6), 24, seed + 100))
    assert np.mean(trained) < 0.75 * np.mean(fresh), (np.mean(trained), np.mean(fresh))


def _brute_force(agent: FactoredAgent, observations: list[tuple[str, int, float]],
                 tasks: list[str]) -> dict[str, np.ndarray]:
    """Per task, the posterior mean reward of every arm from the joint Gaussian over
    (w, every delta_t, every u_ta), solved directly."""
    c, d, k = agent.config, agent.X.shape[1], SPACE.n_arms
    T = np.full(d, c.task_var)
    T[0] = c.task_intercept_var
    n_par = d * (1 + len(tasks)) + k * len(tasks)
    prior = np.concatenate([np.full(d, c.global_var), *[T] * len(tasks),
                            *[np.full(k, c.arm_var)] * len(tasks)])
    Z = np.zeros((len(observations), n_par))
    y = np.array([r for _, _, r in observations])
    for row, (task, arm, _) in enumerate(observations):
        j = tasks.index(task)
        Z[row, :d] = Z[row, (j + 1) * d:(j + 2) * d] = agent.X[arm]
        Z[row, d * (1 + len(tasks)) + j * k + arm] = 1
    mean = np.linalg.solve(np.diag(1 / prior) + Z.T @ Z / c.noise_var, Z.T @ y / c.noise_var)
    out = {}
    for j, task in enumerate(tasks):
        u = mean[d * (1 + len(tasks)) + j * k:d * (1 + len(tasks)) + (j + 1) * k]
        out[task] = agent.X @ (mean[:d] + mean[(j + 1) * d:(j + 2) * d]) + u
    return out


def test_posterior_is_the_exact_hierarchical_one() -> None:
    agent = make_agent("factored", SPACE, 3, 0, refresh=0.0, arm_var=0.02, interactions="0:3")
    assert isinstance(agent, FactoredAgent)
    rng = np.random.default_rng(0)
    observations = []
    for _ in range(60):
        task, arm, reward = f"t{rng.integers(3)}", int(rng.integers(8)), float(rng.random())
        agent.update(ctx(task), arm, reward)
        observations.append((task, arm, reward))
    tasks = ["t0", "t1", "t2", "new"]  # "new" has no data: the pooled prediction
    for task, expected in _brute_force(agent, observations, tasks).items():
        assert np.allclose(agent.mean(ctx(task)), expected, atol=1e-10), task


def test_lazy_refresh_lags_by_at_most_the_refresh_fraction() -> None:
    agent = make_agent("factored", SPACE, 3, 0, refresh=0.1)
    exact = make_agent("factored", SPACE, 3, 0, refresh=0.0)
    means = table(0)
    rng = np.random.default_rng(5)
    for step in range(300):
        task = step % 6
        arm = int(rng.integers(SPACE.n_arms))
        reward = float(rng.random() < means[task, arm])
        for a in (agent, exact):
            a.update(ctx(task), arm, reward)
        assert agent.pulls - agent.snapshot_pulls <= 0.1 * agent.snapshot_pulls
    for task in range(7):
        assert np.abs(agent.mean(ctx(task)) - exact.mean(ctx(task))).max() < 0.05


def test_features_interactions_and_options() -> None:
    X_, names = arm_features(SPACE)
    assert np.array_equal(X_, X) and names == ("intercept", "f0=1", "f1=1", "f2=1", "f3=1", "f3=2")
    _, names = arm_features(SPACE, parse_interactions("3:0", 4))
    assert names[-2:] == ("f0=1*f3=1", "f0=1*f3=2")
    assert len(parse_interactions("all", 4)) == 6
    assert parse_interactions(((1, 0), (0, 1)), 4) == ((0, 1),)
    for bad in ("0:9", "a:b", "0-1"):
        with pytest.raises(HarnessError, match="interactions"):
            parse_interactions(bad, 4)
    agent = make_agent("factored", SPACE, 3, 0, interactions="0:1", noise_var="0.2")  # CLI strings
    assert agent.feature_names[-1] == "f0=1*f1=1" and agent.config.noise_var == 0.2  # type: ignore[attr-defined]
    # Only levels some arm uses get a column; a flat space is one factor of many levels.
    subset = ArmSpace(FACTORS, tuple(a for a in ARMS if a[1] == 1 and a[3] != 0))
    assert arm_features(subset)[1] == ("intercept", "f0=1", "f2=1", "f3=2")
    flat = ArmSpace((5,), tuple((i,) for i in range(5)))
    agent = make_agent("factored", flat, 3, 0)
    play(agent, np.tile([0.2, 0.3, 0.9, 0.4, 0.1], (2, 1)), range(2), 60, 0)
    assert agent.best(ctx(0)) == 2


def test_an_interaction_is_learned_when_asked_for() -> None:
    """A reward that is only high when factors 0 and 1 agree: no additive model fits it."""
    means = np.array([[0.8 if a == b else 0.2 for a, b, _, _ in ARMS]])
    agent = make_agent("factored", SPACE, 3, 0, interactions=((0, 1),), arm_var=0.0)
    rng = np.random.default_rng(0)
    for arm in np.tile(np.arange(SPACE.n_arms), 10):
        agent.update(ctx(0), int(arm), means[0, arm] + 0.1 * rng.standard_normal())
    assert np.abs(agent.mean(ctx(0)) - means[0]).max() < 0.1


@pytest.mark.parametrize("refresh", [0.0, 0.05, 0.5])
def test_state_round_trips_exactly_and_play_is_deterministic(refresh: float, tmp_path: Path) -> None:
    means = table(3)
    agent = make_agent("factored", SPACE, 3, 3, refresh=refresh)
    play(agent, means, range(4), 30, 3)
    agent.update(ctx(0), 0, 1.0)  # rewards after the last snapshot, one of a new task
    agent.update(ctx(4), 5, 0.0)
    assert isinstance(agent, FactoredAgent)
    assert (agent.pulls > agent.snapshot_pulls) == (refresh > 0)  # a stale snapshot is saved
    path = tmp_path / "factored.json"
    agent.save(path)
    twin = make_agent("factored", SPACE, 3, 99, refresh=refresh)
    assert twin.load(path)
    assert json.dumps(twin.state(), sort_keys=True) == json.dumps(agent.state(), sort_keys=True)
    for task in range(6):
        assert np.array_equal(twin.mean(ctx(task)), agent.mean(ctx(task)))  # type: ignore[attr-defined]
    assert play(twin, means, range(6), 20, 4) == play(agent, means, range(6), 20, 4)
    assert json.dumps(twin.state()) == json.dumps(agent.state())
    runs = []
    for seed in (3, 3, 4):
        run = make_agent("factored", SPACE, 3, seed, refresh=refresh)
        play(run, means, range(4), 30, 3)
        runs.append(run.state())
    assert json.dumps(runs[0]) == json.dumps(runs[1])  # the seed fixes everything
    assert runs[0]["counts"] != runs[2]["counts"]  # and matters


def test_load_refuses_other_features_and_arms(tmp_path: Path) -> None:
    path = tmp_path / "factored.json"
    agent = make_agent("factored", SPACE, 3, 0)
    play(agent, table(0), range(2), 5, 0)
    agent.save(path)
    with pytest.raises(HarnessError, match="interactions"):
        make_agent("factored", SPACE, 3, 0, interactions="0:1").load(path)
    small = ArmSpace((2,), ((0,), (1,)), ("x", "y"))
    with pytest.raises(HarnessError, match="arms"):
        make_agent("factored", small, 3, 0).load(path)
