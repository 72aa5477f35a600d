"""Agents on a synthetic Bernoulli bandit, plus persistence, registry and context features.

The environment mimics the prompt problem: 16 arms factored 2x2x2x2 (four binary
prompt components). Each task has one best combination; success probability rises
with each matching component (0.1 per match) and jumps for the exact best arm
(0.8 vs at most 0.4). Tasks come in two groups with different best arms; a context
feature says which group a task belongs to, so contextual agents can transfer.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from harness.agents import AGENT_NAMES, agent_options, make_agent
from harness.agents.base import Agent, ArmSpace, Context
from harness.agents.features import FEATURE_DIM, TaskHistory, make_context, task_features
from harness.errors import HarnessError
from harness.tasks.load import load_task

ROOT = Path(__file__).resolve().parent.parent
FACTORS = (2, 2, 2, 2)
ARMS = tuple(itertools.product(*(range(k) for k in FACTORS)))
SPACE = ArmSpace(FACTORS, ARMS, tuple("a" + "".join(map(str, arm)) for arm in ARMS))
BEST = {"t0": (1, 0, 1, 1), "t1": (0, 1, 0, 0), "t2": (1, 0, 1, 1), "t3": (0, 1, 0, 0)}
N_FEATURES = 4
SEEDS = (0, 1, 2)
PULLS_PER_TASK = 300
LEARNERS = ("epsilon_greedy", "ucb1", "thompson", "successive_halving", "linucb", "ppo")
CONTEXTUAL = ("linucb", "ppo")


def features(task: str) -> np.ndarray:
    """[bias, group A, group B, a small task-specific value]."""
    group = BEST[task] == BEST["t1"] if task in BEST else task.endswith("b")
    return np.array([1.0, float(not group), float(group), 0.1 * (sum(map(ord, task)) % 7)])


def context(task: str) -> Context:
    return Context(task, features(task))


def success_probability(task: str, arm: int) -> float:
    matches = sum(a == b for a, b in zip(ARMS[arm], BEST[task], strict=True))
    return 0.1 + 0.1 * matches + (0.3 if matches == 4 else 0.0)


def play(
    agent: Agent, seed: int, pulls: int = PULLS_PER_TASK, batch: int = 1, samples: int = 1
) -> float:
    """Interleave tasks. `batch` choices are made before their rewards arrive, and each
    choice is rewarded `samples` times (K answers per decision, as `harness run` does)."""
    rng = np.random.default_rng(1000 + seed)
    total = 0.0
    rounds = pulls // (batch * samples)
    for _ in range(rounds):
        for task in BEST:
            ctx = context(task)
            arms = [agent.choose(ctx) for _ in range(batch)]
            for arm in arms:
                for _ in range(samples):
                    reward = float(rng.random() < success_probability(task, arm))
                    agent.update(ctx, arm, reward)
                    total += reward
    return total / (len(BEST) * rounds * batch * samples)


def hits(agent: Agent) -> int:
    return sum(agent.best(context(task)) == ARMS.index(best) for task, best in BEST.items())


@pytest.fixture(scope="module")
def uniform_mean() -> float:
    return float(np.mean([play(make_agent("uniform", SPACE, N_FEATURES, s), s) for s in SEEDS]))


@pytest.mark.parametrize("name", LEARNERS)
def test_learners_find_the_best_arm_and_beat_uniform(name: str, uniform_mean: float) -> None:
    means, found = [], 0
    for seed in SEEDS:
        agent = make_agent(name, SPACE, N_FEATURES, seed)
        means.append(play(agent, seed))
        found += hits(agent)
    assert found >= 0.75 * len(SEEDS) * len(BEST), f"{name} found the best arm {found} times"
    assert np.mean(means) > uniform_mean + 0.05, (
        f"{name}: {np.mean(means):.3f} vs {uniform_mean:.3f}"
    )


@pytest.mark.parametrize("name", ["ucb1", "successive_halving", "linucb", "ppo"])
def test_learners_cope_with_batched_choices(name: str) -> None:
    agent = make_agent(name, SPACE, N_FEATURES, seed=0)
    play(agent, 0, batch=4)
    assert hits(agent) >= 3


@pytest.mark.parametrize("name", AGENT_NAMES)
def test_pending_choices_spread_over_arms(name: str) -> None:
    """Several choices before any reward (concurrent sampling) must not all repeat one arm."""
    agent = make_agent(name, SPACE, N_FEATURES, seed=0)
    chosen = [agent.choose(context("t0")) for _ in range(8)]
    assert len(set(chosen)) == 1 if name == "fixed" else len(set(chosen)) >= 3, chosen
    for arm in chosen:
        agent.update(context("t0"), arm, 0.5)
    assert 0 <= agent.choose(context("t0")) < SPACE.n_arms


@pytest.mark.parametrize("name", LEARNERS)
def test_learners_cope_with_several_samples_per_choice(name: str) -> None:
    agent = make_agent(name, SPACE, N_FEATURES, seed=1)
    play(agent, 1, samples=4)
    assert hits(agent) >= 3


def test_successive_halving_with_a_known_budget_settles_on_one_arm() -> None:
    agent = make_agent("successive_halving", SPACE, N_FEATURES, seed=0, budget=PULLS_PER_TASK)
    play(agent, 0)
    assert hits(agent) >= 3
    ctx = context("t0")
    assert len({agent.choose(ctx) for _ in range(5)}) == 1


@pytest.mark.parametrize("name", CONTEXTUAL)
def test_contextual_agents_transfer_to_unseen_tasks(name: str) -> None:
    agent = make_agent(name, SPACE, N_FEATURES, seed=0)
    play(agent, 0)
    assert agent.best(context("new_a")) == ARMS.index(BEST["t0"])
    assert agent.best(context("new_b")) == ARMS.index(BEST["t1"])


@pytest.mark.parametrize("name", AGENT_NAMES)
def test_save_load_round_trip_continues_identically(name: str, tmp_path: Path) -> None:
    agent = make_agent(name, SPACE, N_FEATURES, seed=3)
    play(agent, 3, pulls=20)
    path = tmp_path / f"{name}.json"
    agent.save(path)
    json.loads(path.read_text())  # plain JSON
    twin = make_agent(name, SPACE, N_FEATURES, seed=99)
    assert twin.load(path)
    assert json.dumps(twin.state(), sort_keys=True) == json.dumps(agent.state(), sort_keys=True)
    for task in BEST:
        assert twin.best(context(task)) == agent.best(context(task))
    assert play(twin, 4, pulls=10) == play(agent, 4, pulls=10)
    assert [twin.choose(context("t1")) for _ in range(5)] == [
        agent.choose(context("t1")) for _ in range(5)
    ]


def test_load_refuses_other_arms_and_other_agents(tmp_path: Path) -> None:
    path = tmp_path / "ucb1.json"
    make_agent("ucb1", SPACE, N_FEATURES).save(path)
    assert not make_agent("thompson", SPACE, N_FEATURES).load(path)
    small = ArmSpace((2,), ((0,), (1,)), ("x", "y"))
    with pytest.raises(HarnessError, match="arms"):
        make_agent("ucb1", small, N_FEATURES).load(path)


@pytest.mark.parametrize("name", AGENT_NAMES)
def test_same_seed_same_choices(name: str) -> None:
    runs = []
    for _ in range(2):
        agent = make_agent(name, SPACE, N_FEATURES, seed=7)
        play(agent, 7, pulls=40)
        runs.append([agent.choose(context(t)) for t in BEST])
    assert runs[0] == runs[1]


def test_registry_errors_and_options() -> None:
    with pytest.raises(HarnessError, match="ucb1"):
        make_agent("nope", SPACE, N_FEATURES)
    with pytest.raises(HarnessError, match="epsilon"):
        make_agent("epsilon_greedy", SPACE, N_FEATURES, nope=1)
    agent = make_agent("epsilon_greedy", SPACE, N_FEATURES, epsilon="0.25")  # from a CLI string
    assert agent.config.epsilon == 0.25  # type: ignore[attr-defined]
    fixed = make_agent("fixed", SPACE, N_FEATURES, arm="a1011")
    assert fixed.choose(context("t0")) == ARMS.index((1, 0, 1, 1))
    assert make_agent("fixed", SPACE, N_FEATURES, arm="3").choose(context("t0")) == 3
    with pytest.raises(HarnessError, match="not in the arm space"):
        make_agent("fixed", SPACE, N_FEATURES, arm="zzz")
    assert make_agent("successive_halving", SPACE, N_FEATURES, budget="none").config.budget is None  # type: ignore[attr-defined]
    options = dict((name, doc) for name, _, doc in agent_options("ppo"))
    assert "rollout" in options and options["rollout"].endswith("Must be >= 1.")


@pytest.mark.parametrize(("agent", "option", "value", "expected"), [
    ("epsilon_greedy", "epsilon", "5", "must be in [0, 1]"),
    ("epsilon_greedy", "epsilon", "-0.1", "must be in [0, 1]"),
    ("ppo", "lr", "0", "must be > 0"),
    ("ppo", "rollout", "0", "must be >= 1"),
    ("successive_halving", "eta", "1", "must be >= 2"),
    ("linucb", "alpha", "-1", "must be >= 0"),
])
def test_agent_options_out_of_range_name_the_option(agent: str, option: str, value: str,
                                                    expected: str) -> None:
    """An epsilon of 5 or a learning rate of 0 would run and learn nothing, silently."""
    with pytest.raises(HarnessError) as caught:
        make_agent(agent, SPACE, N_FEATURES, **{option: value})
    assert str(caught.value) == (f"--agent-opt {option}={value}: option {option} of agent "
                                 f"'{agent}' {expected}, got '{value}'")


def test_agent_options_at_the_ends_of_their_range_are_accepted() -> None:
    assert make_agent("epsilon_greedy", SPACE, N_FEATURES, epsilon="0").config.epsilon == 0  # type: ignore[attr-defined]
    assert make_agent("epsilon_greedy", SPACE, N_FEATURES, epsilon="1").config.epsilon == 1  # type: ignore[attr-defined]
    assert make_agent("factored", SPACE, N_FEATURES, arm_var="0").config.arm_var == 0  # type: ignore[attr-defined]


def test_importing_agents_does_not_import_torch() -> None:
    code = (
        "import sys, harness.agents, harness.prompts.space, harness.agents.features, harness.grading.rewards; "
        "harness.agents.make_agent('ucb1', harness.prompts.space.default_space().arm_space(), 4); "
        "assert 'torch' not in sys.modules, 'torch imported eagerly'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


# --- context features ---------------------------------------------------------------


def test_task_features_shape_scale_and_history() -> None:
    task = load_task(ROOT / "tasks" / "sort_ints")
    x = task_features(task)
    assert x.shape == (FEATURE_DIM,) and np.isfinite(x).all()
    assert x[0] == 1.0 and np.abs(x).max() <= 1.5
    assert x[-2:].tolist() == [0.0, 0.0]
    history = TaskHistory().add(1.0).add(0.0)
    assert history.pulls == 2 and history.mean_reward == 0.5
    y = task_features(task, history)
    assert np.array_equal(x[:-2], y[:-2]) and y[-2] == 0.5 and 0 < y[-1] <= 1
    ctx = make_context(task, history)
    assert ctx.task == "sort_ints" and np.array_equal(ctx.features, y)


def test_task_features_are_stable_across_processes() -> None:
    code = (
        "from harness.tasks.load import load_task; from harness.agents.features import task_features; "
        "print(task_features(load_task('tasks/sort_ints')).tolist())"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        check=True,
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"PYTHONHASHSEED": "123", "PATH": ""},
    ).stdout
    here = task_features(load_task(ROOT / "tasks" / "sort_ints"))
    assert np.allclose(json.loads(out), here)


def test_ppo_numpy_choice_probabilities_equal_the_torch_policy() -> None:
    """Choices use a hand-written numpy forward pass; it must match the trained network."""
    import torch

    from harness.agents.ppo import PPOAgent

    # Uneven components (one with a single option) and only part of their product as arms.
    arms = ((0, 0, 0, 0), (1, 3, 0, 2), (0, 2, 0, 1), (1, 1, 0, 0), (0, 3, 0, 2))
    space = ArmSpace(factor_sizes=(2, 4, 1, 3), arms=arms)
    agent = PPOAgent(space, n_features=6, seed=3)
    rng = np.random.default_rng(0)
    for _ in range(70):  # two learning steps move the weights away from their init
        ctx = Context("t", rng.normal(size=6).astype(np.float32))
        agent.update(ctx, agent.choose(ctx), float(rng.random()))
    assert agent.updates == 2
    x = rng.normal(size=6).astype(np.float32)
    with torch.no_grad():
        logits = agent.policy.arm_logits(torch.from_numpy(x)[None], agent.flat_arms)[0]
        expected = torch.log_softmax(logits, -1).double().numpy()
    assert np.allclose(agent._log_probs(x), expected, atol=1e-5)
    assert np.isclose(np.exp(agent._log_probs(x)).sum(), 1.0)
