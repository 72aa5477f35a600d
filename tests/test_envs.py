"""The replay Gymnasium environment: the API checker, seeds, and rewards read off the table."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from harness.agents.features import task_features
from harness.bench.split import draw_split
from harness.bench.strategies import SELECTIONS, StrategyArms, StrategyDecks, expected_selection
from harness.bench.synthetic import synthetic_tasks, synthetic_v2_table
from harness.bench.table import AnswerTable
from harness.errors import HarnessError
from harness.grading.rewards import compute_reward
from harness.prompts.space import default_space
from tests.conftest import ROOT, require_module

# Without the extra the module skips locally and fails in CI (tests/conftest.py).
gym = require_module("gymnasium", "pip install -e '.[gym]'")
env_checker = require_module("gymnasium.utils.env_checker", "pip install -e '.[gym]'")

import harness.envs  # noqa: E402  (registers the ids; needs gymnasium, imported above)
from harness.envs.replay import ReplayEnv  # noqa: E402

TASKS = synthetic_tasks(4)
TEMPLATES = default_space("content").ids[:4]


@pytest.fixture(scope="module")
def table() -> AnswerTable:
    return synthetic_v2_table(TASKS, TEMPLATES, samples=6, seed=3)


def make(table: AnswerTable, **options: Any) -> ReplayEnv:  # noqa: ANN401
    return ReplayEnv(table=table, task_objects={t.name: t for t in TASKS}, **options)


@pytest.mark.parametrize("action", ["multi", "discrete"])
def test_check_env_passes(table: AnswerTable, action: str) -> None:
    env = gym.make(harness.envs.REPLAY_ID, table=table, action=action, heldout=0.5,
                   task_objects={t.name: t for t in TASKS}).unwrapped
    env_checker.check_env(env)
    assert env.action_space.contains(env.action_of(env.arm_of(env.action_space.sample())))


def test_check_env_on_the_registered_id_and_the_recorded_table() -> None:
    env = gym.make(harness.envs.REPLAY_ID, table=ROOT / "bench/tables/responses_v2.jsonl.gz",
                   action="discrete", preset="default")
    env_checker.check_env(env.unwrapped)
    obs, info = env.reset(seed=1)
    assert obs in env.observation_space and info["task"] in env.unwrapped.task_names
    # the default preset's 12 strategies, repair included: the table holds every repair round
    assert len(env.unwrapped.arm_ids) == 12 and not env.unwrapped.unplayable
    assert sum(s.endswith("/repair") for s in env.unwrapped.arm_ids) == 4
    env.close()


def episode(env: ReplayEnv, seed: int, steps: int) -> list[tuple[float, dict[str, Any]]]:
    env.reset(seed=seed)
    env.action_space.seed(seed)
    return [(float(r), info) for r, info in
            (env.step(env.action_space.sample())[1::3] for _ in range(steps))]


def test_a_seeded_episode_gives_the_same_rewards_twice(table: AnswerTable) -> None:
    first = episode(make(table, horizon=40), seed=11, steps=40)
    again = episode(make(table, horizon=40), seed=11, steps=40)
    other = episode(make(table, horizon=40), seed=12, steps=40)
    assert first == again
    assert [r for r, _ in first] != [r for r, _ in other]


def test_single_steps_deal_each_cell_without_replacement(table: AnswerTable) -> None:
    """n single steps of an n-answer cell return exactly its answers' rewards, then reuse."""
    env = make(table, selections=("single",), call_price=0.0, horizon=100)
    for t, task in enumerate(table.tasks):
        for arm, strategy in enumerate(env.arm_ids):
            column = table.templates[env.arm_columns[arm]]
            cell = table.cells[(task, column)]
            env.reset(seed=t, options={"task": task})
            steps = [env.step(env.action_of(arm)) for _ in range(len(cell) + 1)]
            rewards = [float(s[1]) for s in steps]
            want = [compute_reward("partial", r.result()) for r in cell]
            assert Counter(rewards[:len(cell)]) == Counter(want)
            assert [s[4]["reused"] for s in steps] == [False] * len(cell) + [True]
            assert {s[4]["status"] for s in steps} <= {r.status for r in cell}
            assert all(s[4]["strategy"] == strategy and s[4]["calls"] == 1 for s in steps)


def test_best_of_k_rewards_are_cell_answers_less_the_call_price(table: AnswerTable) -> None:
    env = make(table, call_price=0.05, horizon=1000)
    env.reset(seed=0)
    env.action_space.seed(0)
    for _ in range(300):
        obs, reward, _, _, info = env.step(env.action_space.sample())
        strategy = info["strategy"]
        k = int(strategy.rsplit("_", 1)[1]) if "best_of" in strategy else 1
        column = strategy.rsplit("/", 1)[0]
        cell = [compute_reward("partial", r.result()) for r in table.cells[(info["task"], column)]]
        assert 1 <= info["calls"] <= k
        assert info["raw_reward"] in cell
        assert float(reward) == pytest.approx(info["raw_reward"] - 0.05 * (info["calls"] - 1))


def test_repair_steps_end_as_the_recorded_repair_rounds(table: AnswerTable) -> None:
    """With repair rounds recorded, a `repair` step is the dealt answer's outcome (its repair at
    two calls when it fails an example), with the status and pass of the answer kept."""
    from dataclasses import replace

    from tests.test_replay_v2 import repaired_rows

    repaired = replace(table, repairs={(r.task, r.column, r.sample): r for r in repaired_rows(table)})
    env = make(repaired, selections=("single", "repair"), call_price=0.05, horizon=1000)
    decks = StrategyDecks.build(repaired)
    env.reset(seed=1)
    repairs = [i for i, a in enumerate(env.arm_ids) if a.endswith("/repair")]
    seen = Counter()
    for n in range(200):
        obs, reward, _, _, info = env.step(env.action_of(repairs[n % len(repairs)]))
        t = repaired.tasks.index(info["task"])
        column = info["strategy"].rsplit("/", 1)[0]
        outcomes = decks.repairs[t][repaired.templates.index(column)]
        assert (info["raw_reward"], info["calls"], info["status"]) in {
            (o.reward, o.calls, o.status) for o in outcomes}
        assert float(reward) == pytest.approx(info["raw_reward"] - 0.05 * (info["calls"] - 1))
        seen[info["calls"]] += 1
    assert set(seen) == {1, 2}
    # by default the environment plays every selection the table can: repair too, as here
    assert any(a.endswith("/repair") for a in make(repaired).arm_ids)
    assert not any(a.endswith("/repair") for a in make(table).arm_ids)


def test_gaps_are_the_exact_held_out_values(table: AnswerTable) -> None:
    env = make(table, heldout=0.5, split_seed=4, call_price=0.02)
    arms = StrategyArms.build(table, SELECTIONS)
    decks = StrategyDecks.build(table)
    split = draw_split(decks, arms, 4, 0.5, 0.02)
    t, arm = 2, arms.ids.index(env.arm_ids[7])
    c, k = arms.columns[arm], arms.draws[arm]
    held = split.held[t][c]
    values = np.array([[decks.rewards[t][c][i]] for i in held])
    mean, calls = expected_selection([decks.scores[t][c][i] for i in held],
                                     [decks.stops[t][c][i] for i in held], values, k)
    assert env.values[t, 7] == pytest.approx(mean[0] - 0.02 * (calls - 1))
    assert env.gaps[t].min() == 0 and env.gaps[t, 7] == pytest.approx(env.oracle[t] - env.values[t, 7])
    env.reset(seed=0, options={"task": t})
    info = env.step(env.action_of(7))[4]
    assert info["gap"] == pytest.approx(env.gaps[t, 7])
    single = arms.ids.index(env.arm_ids[0])  # a single answer: its reward is the dealt one's
    c = arms.columns[single]
    dealt = {float(decks.rewards[t][c][i]) for i in split.deal[t][c]}
    assert {env.step(env.action_of(0))[4]["raw_reward"] for _ in range(20)} <= dealt


def test_observation_is_the_agents_context(table: AnswerTable) -> None:
    env = make(table, horizon=5)
    obs, _ = env.reset(seed=0, options={"task": TASKS[1].name})
    np.testing.assert_allclose(obs, task_features(TASKS[1]).astype(np.float32))
    for _ in range(5):
        obs, _, terminated, truncated, _ = env.step(env.action_space.sample())
        np.testing.assert_allclose(obs, task_features(TASKS[1], env.history()), rtol=1e-6)
    assert truncated and not terminated
    quiet = make(table, history=False)
    quiet.reset(seed=0, options={"task": 1})
    assert not quiet.step(quiet.action_space.sample())[0][-2:].any()


def test_multi_discrete_reaches_every_arm_and_call_budget_truncates(table: AnswerTable) -> None:
    env = make(table, call_budget=6, horizon=100)
    assert env.actions.names[-2:] == ("temperature", "selection")
    assert sorted(env.arm_of(env.action_of(a)) for a in range(len(env.arm_ids))) == \
        list(range(len(env.arm_ids)))
    assert int(np.prod(env.actions.nvec)) == len(env.arm_ids)  # a full product: every action an arm
    env.reset(seed=0)
    best_of_5 = next(a for a, s in enumerate(env.arm_ids) if s.endswith("best_of_5"))
    calls, truncated = 0, False
    while not truncated:
        _, _, _, truncated, info = env.step(env.action_of(best_of_5))
        calls += info["calls"]
    assert calls >= 6 and info["episode_calls"] == calls


def test_bad_options_and_actions_fail_clearly(table: AnswerTable) -> None:
    with pytest.raises(HarnessError, match="unknown replay option"):
        make(table, horizn=3)
    with pytest.raises(HarnessError, match="not in the table"):
        make(table, strategies=("nope@t0.2/single",))
    env = make(table, episode_tasks=(TASKS[0].name,))
    with pytest.raises(HarnessError, match="reset"):
        env.step(env.action_space.sample())
    assert {env.reset()[1]["task"] for _ in range(5)} == {TASKS[0].name}
    with pytest.raises(HarnessError, match="outside MultiDiscrete"):
        env.step(np.array(env.actions.nvec))


def test_the_library_never_imports_gymnasium() -> None:
    code = ("import sys, harness, harness.cli, harness.loop.wiring, harness.bench.agents; "
            "sys.exit('gymnasium' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], cwd=Path(ROOT)).returncode == 0

