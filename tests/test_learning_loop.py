"""The learning loop against a scripted endpoint whose best template is known (real sandbox).

The fake endpoint answers correct code with a probability that depends on which
prompt components the template turned on, so the best arm is known in advance.
Its answers are a pure function of the prompt and the request's seed (sha256, not
the per-process salted `hash()`, and not the order requests arrive in), and every
run is sequential, so the test gives the same numbers in every process.
"""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import numpy as np
import pytest

from harness.agents import make_agent
from harness.agents.features import FEATURE_DIM, make_context
from harness.grading.grader import Grader
from harness.llm.client import LLM, Endpoint, GenerationParams
from harness.loop.learning import RunConfig, Runner
from harness.loop.strategies import strategy_space
from harness.prompts.space import default_space
from harness.store import Store
from tests.fake_openai import FakeOpenAI, completion

pytestmark = pytest.mark.docker

GOOD = "```python\ndef sort_ints(xs):\n    return sorted(xs)\n```"
BAD = "```python\ndef sort_ints(xs):\n    return xs\n```"
AGENTS = ("epsilon_greedy", "ucb1", "thompson", "successive_halving", "linucb", "ppo")
SEEDS = (0, 1, 2, 3, 4)


def p_correct(user: str) -> float:
    hints, examples = "Hints:" in user, "Examples" in user
    if hints and examples:
        return 0.95
    return 0.45 if hints else 0.1


def uniform01(*parts: object) -> float:
    """A stable draw in [0, 1) from its inputs: the same in every process and on every machine."""
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def script(body: dict, index: int) -> tuple[int, dict]:
    """Keyed by prompt and request seed (run seed + sample index), never by arrival `index`."""
    user = body["messages"][-1]["content"]
    u = uniform01(user, body.get("seed"))
    return 200, completion(GOOD if u < p_correct(user) else BAD)


def run_agent(name: str, seed: int, url: str, home: Path, grader: Grader, sort_task) -> tuple[str, float]:  # noqa: ANN001
    """One run of 48 samples, one at a time: with requests in flight together, the order
    rewards arrive in (and so what the agent learns) would depend on thread timing."""
    space = strategy_space("quick", 0.8)
    # Request seeds are run seed + sample index: 1000 apart, runs never share an answer.
    config = RunConfig(tasks=("sort_ints",), agent=name, episodes=48, samples=1, seed=seed,
                       templates=space.ids, model="fake", params=GenerationParams(seed=1000 * seed))
    store = Store(home)
    llm = LLM(Endpoint(base_url=url, model="fake", cache_id=url), store, config.params, concurrency=1)
    agent = make_agent(name, space.arm_space(), FEATURE_DIM, seed)
    config = dataclasses.replace(config, eval_samples=0)
    runner = Runner(config, [sort_task], space, llm, grader.grade, store, agent, f"run-{name}-{seed}",
                    concurrency=1)
    assert runner.run() == "finished"
    rows = store.samples(f"run-{name}-{seed}")
    assert len(rows) == 48
    best = space.get(space.ids[agent.best(make_context(sort_task, runner.history["sort_ints"]))]).template
    return best, float(np.mean([r.reward for r in rows]))


def best_arm() -> str:
    space = default_space("quick")
    from harness.prompts.space import render
    from harness.tasks.load import load_task
    from tests.conftest import TASKS_DIR

    task = load_task(TASKS_DIR / "sort_ints")
    scores = {t.id: p_correct(render(t, task, space.components)[-1]["content"]) for t in space.templates}
    top = max(scores.values())
    return {k for k, v in scores.items() if v == top}  # type: ignore[return-value]


def test_every_learning_agent_finds_the_best_template_and_beats_uniform(tmp_path: Path, sandbox, sort_task) -> None:  # noqa: ANN001
    grader = Grader(sandbox, Store(tmp_path / "exec"))  # two distinct programs: cached after once
    best = best_arm()
    assert 1 <= len(best) < len(default_space("quick").ids)
    with FakeOpenAI(script) as fake:
        uniform = [run_agent("uniform", s, fake.base_url, tmp_path / f"u{s}", grader, sort_task)[1]
                   for s in SEEDS]
        for name in AGENTS:
            results = [run_agent(name, s, fake.base_url, tmp_path / f"{name}{s}", grader, sort_task)
                       for s in SEEDS]
            hits = sum(choice in best for choice, _ in results)
            mean = float(np.mean([r for _, r in results]))
            assert hits >= 3, f"{name} found the best template in {hits}/{len(SEEDS)} seeds"
            assert mean > float(np.mean(uniform)), f"{name} {mean:.3f} <= uniform {np.mean(uniform):.3f}"
