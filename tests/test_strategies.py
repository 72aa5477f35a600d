"""Strategies: ids, spaces, the selection rules and their call counts (scripted endpoint, real sandbox)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from click.testing import CliRunner

from harness.cli import cli
from harness.errors import HarnessError
from harness.grading.grader import Grader
from harness.grading.results import INFRA_ERROR, GradeResult
from harness.llm.client import LLM, Endpoint, GenerationParams
from harness.loop.strategies import Executor, Strategy, parse_strategy, strategy_space
from harness.prompts.components import ALIASES
from harness.prompts.space import default_space
from harness.store import Store
from harness.tasks.load import Task, load_task, visible_checks
from tests.conftest import TASKS_DIR
from tests.fake_openai import FakeOpenAI, completion

GOOD = "```python\ndef sort_ints(xs):\n    return sorted(xs)\n```"
BAD = "```python\ndef sort_ints(xs):\n    return list(xs)\n```"  # passes no unsorted example
REFERENCE = ALIASES["reference"]


def test_strategy_ids_round_trip_and_bare_templates_are_single_calls() -> None:
    s = parse_strategy(f"{REFERENCE}@t0.2/best_of_3", 0.8)
    assert s == Strategy(REFERENCE, 0.2, "best_of_3") and s.id == f"{REFERENCE}@t0.2/best_of_3"
    assert s.draws == 3 and s.max_calls == 3
    assert parse_strategy("reference", 0.8) == Strategy(REFERENCE, 0.8, "single")
    assert parse_strategy("reference/repair", 0.8).max_calls == 2
    for bad, word in (("reference/best_of_9", "selection"), ("reference@x1", "temperature"),
                      ("nope@t0.8", "template")):
        with pytest.raises(HarnessError, match=word):
            parse_strategy(bad, 0.8)


def test_spaces_factor_templates_temperatures_and_selections() -> None:
    space = strategy_space("default", 0.8)
    assert len(space.ids) == 2 * 2 * 3
    arms = space.arm_space()
    assert arms.factor_sizes[-2:] == (2, 3) and arms.n_arms == 12
    assert space.get(space.ids[5]).id == space.ids[5]
    legacy = strategy_space("content", 0.8)  # a template preset: one call at the run's temperature
    assert len(legacy.ids) == 16 and all(i.endswith("@t0.8/single") for i in legacy.ids)
    mixed = strategy_space("custom", 0.8, ["reference", f"{REFERENCE}@t0.2/best_of_3"])
    assert mixed.ids == (f"{REFERENCE}@t0.8/single", f"{REFERENCE}@t0.2/best_of_3")
    assert mixed.arm_space().n_arms == 2
    with pytest.raises(HarnessError, match="unknown preset"):
        strategy_space("nope", 0.8)


def test_visible_checks_are_the_examples_not_the_tests(sort_task: Task) -> None:
    checks = visible_checks(sort_task)
    assert checks is not None
    assert len(checks.test_names) == len(sort_task.examples)
    for example in sort_task.examples:
        assert f"assert {example}" in checks.tests_source
    assert "def test_" not in sort_task.tests_source.split("\n")[0]
    assert checks.hash != sort_task.hash


def by_index(body: dict, index: int) -> tuple[int, dict]:
    """Even sample indices answer wrong code, odd ones right; a repair request is answered right."""
    if any("fails this example" in m["content"] for m in body["messages"]):
        return 200, completion(GOOD)
    return 200, completion(GOOD if body["seed"] % 2 else BAD)


@pytest.mark.docker
@pytest.mark.parametrize(("selection", "index", "calls", "passed"), [
    ("single", 0, 1, False),
    ("single", 1, 1, True),
    ("best_of_3", 0, 2, True),   # draws 0 (fails the examples), 1 (passes): stops at the first pass
    ("best_of_3", 1, 1, True),
    ("best_of_2", 0, 2, True),
    ("repair", 0, 2, True),      # wrong, then repaired from the failing example
    ("repair", 1, 1, True),      # passes the examples: no repair call
])
def test_selection_rules_keep_the_right_answer_and_count_calls(
        tmp_path: Path, grader: Grader, sort_task: Task, selection: str, index: int, calls: int,
        passed: bool) -> None:
    with FakeOpenAI(by_index) as fake:
        llm = LLM(Endpoint(base_url=fake.base_url, model="fake", cache_id="f"), Store(tmp_path),
                  GenerationParams(seed=0))
        executor = Executor(llm, grader.grade, default_space())
        answer = executor.run(sort_task, Strategy(REFERENCE, 0.8, selection), index)
        assert answer.calls == calls == len(fake.requests)
        assert (answer.result.status == "passed") is passed
        assert answer.visible == ("1" * len(sort_task.examples) if passed else answer.visible)
        if selection == "repair" and calls == 2:
            assert "fails this example" in fake.requests[-1]["messages"][-1]["content"]
            assert "sort_ints" in fake.requests[-1]["messages"][-1]["content"]


@pytest.mark.docker
def test_without_examples_selection_falls_back_to_syntax_and_says_so(
        tmp_path: Path, grader: Grader, sort_task: Task) -> None:
    bare = load_task(TASKS_DIR / "sort_ints")
    bare = Task(**{**bare.__dict__, "examples": ()})

    def script(body: dict, index: int) -> tuple[int, dict]:
        return 200, completion("```python\ndef sort_ints(xs) return\n```" if index == 0 else GOOD)

    with FakeOpenAI(script) as fake:
        llm = LLM(Endpoint(base_url=fake.base_url, model="fake", cache_id="f"), Store(tmp_path),
                  GenerationParams(seed=0))
        answer = Executor(llm, grader.grade, default_space()).run(bare, Strategy(REFERENCE, 0.8, "best_of_3"), 0)
    assert answer.calls == 2 and answer.result.status == "passed"
    assert "no visible examples" in answer.note and answer.visible == ""


@pytest.mark.docker
def test_a_sandbox_failure_on_the_visible_examples_is_an_infrastructure_failure(
        tmp_path: Path, grader: Grader, sort_task: Task) -> None:
    """Not a wrong answer: selection must not keep another draw because the sandbox failed
    on this one, and the caller sees an infra result it retries, never a score."""
    checks = visible_checks(sort_task)
    assert checks is not None

    def flaky(task: Task, code: str) -> GradeResult:
        if task.hash == checks.hash:
            return GradeResult(syntax_ok=True, status=INFRA_ERROR, tests=(), passed=0,
                               total=len(checks.test_names), message="worker died")
        return grader.grade(task, code)

    with FakeOpenAI(by_index) as fake:
        llm = LLM(Endpoint(base_url=fake.base_url, model="fake", cache_id="f"), Store(tmp_path),
                  GenerationParams(seed=0))
        answer = Executor(llm, flaky, default_space()).run(sort_task, Strategy(REFERENCE, 0.8, "best_of_3"), 1)
    assert answer.result.infra and answer.calls == 1 == len(fake.requests)
    assert "visible examples" in answer.note


def sometimes(body: dict, index: int) -> tuple[int, dict]:
    """Right with probability 0.35 per answer, a pure function of the prompt and the seed."""
    user = body["messages"][-1]["content"]
    digest = hashlib.sha256(f"{user}|{body.get('seed')}".encode()).digest()
    return 200, completion(GOOD if int.from_bytes(digest[:8], "big") / 2**64 < 0.35 else BAD)


@pytest.mark.docker
def test_a_run_learns_that_best_of_3_beats_one_call_and_proves_it_on_fresh_answers(tmp_path: Path) -> None:
    """A known winner: with 35% right answers and visible examples that catch wrong ones,
    best of 3 passes about 73% at about 2.2 calls; one call passes 35%. The run must pick
    it, and its fresh answers must show the uplift with an interval above zero."""
    with FakeOpenAI(sometimes) as fake:
        result = CliRunner().invoke(cli, [
            "run", "--task", "sort_ints", "--base-url", fake.base_url, "--model", "fake",
            "--templates", f"{REFERENCE}@t0.8/single,{REFERENCE}@t0.8/best_of_3",
            "--episodes", "12", "--samples", "2", "--eval-samples", "30", "--parallel", "1",
            "--home", str(tmp_path), "--tasks-dir", str(TASKS_DIR)])
        assert result.exit_code == 0, result.output
    store = Store(tmp_path)
    run = store.list_runs()[0]
    evaluation = run["summary"]["evaluation"]
    task = evaluation["tasks"][0]
    assert task["learned"].endswith("/best_of_3")
    assert task["default"] == f"{REFERENCE}@t0.8/single" and task["default_calls"] == 1.0
    assert 1.0 < task["learned_calls"] <= 3.0
    assert evaluation["pass_uplift"]["low"] > 0, evaluation
    assert "beats the default" in evaluation["verdict"]
    rows = store.samples(run["id"], phase=None)
    assert sum(r.calls for r in rows) == len(fake.requests)  # every call counted, once


def test_ppo_updates_within_a_default_run(tmp_path: Path, sort_task: Task) -> None:
    """A default run gives one task 8 x 4 = 32 rewards: PPO's rollout must be smaller than
    that, or it would learn only after the run is over."""
    from harness.agents.base import Context
    from harness.agents.features import FEATURE_DIM
    from harness.loop.learning import RunConfig, build_agent

    space = strategy_space("default", 0.8)
    config = RunConfig(tasks=("sort_ints",), agent="ppo", templates=space.ids)
    agent, _ = build_agent(config, space, Store(tmp_path), warm_start=False)
    context = Context("sort_ints", __import__("numpy").zeros(FEATURE_DIM))
    for _ in range(config.episodes * config.samples):
        agent.update(context, agent.choose(context), 1.0)
    assert agent.updates >= 3  # type: ignore[attr-defined]


def test_agents_declare_their_sizing_and_user_options_win(tmp_path: Path) -> None:
    """Sizing comes from the agent class (no name checks in the loop); `--agent-opt` overrides it."""
    import json
    from dataclasses import asdict

    from harness.agents import agent_class
    from harness.loop.learning import RunConfig, build_agent

    assert agent_class("successive_halving").needs_budget
    assert not agent_class("thompson").needs_budget
    assert agent_class("ppo").relative_cost > agent_class("ucb1").relative_cost
    assert agent_class("ppo").uses_torch and not agent_class("linucb").uses_torch
    space = strategy_space("default", 0.8)
    config = RunConfig(tasks=("sort_ints",), agent="successive_halving", templates=space.ids)
    agent, _ = build_agent(config, space, Store(tmp_path), warm_start=False)
    assert agent.config.budget == config.episodes * config.samples  # type: ignore[attr-defined]
    chosen = RunConfig(tasks=("sort_ints",), agent="successive_halving", templates=space.ids,
                       agent_options=(("budget", "7"), ("eta", "3")))
    agent, _ = build_agent(chosen, space, Store(tmp_path), warm_start=False)
    assert (agent.config.budget, agent.config.eta) == (7, 3)  # type: ignore[attr-defined]
    assert chosen.run_id() != config.run_id()
    # a run without options keeps the id it had before the field existed
    legacy = {k: v for k, v in asdict(config).items() if k != "agent_options"}
    digest = hashlib.sha256(json.dumps(legacy, sort_keys=True).encode()).hexdigest()
    assert config.run_id() == f"run-{digest[:12]}"
    with pytest.raises(HarnessError, match="has no option nope"):
        build_agent(RunConfig(tasks=("sort_ints",), agent="thompson", templates=space.ids,
                              agent_options=(("nope", "1"),)), space, Store(tmp_path), warm_start=False)
