"""Infrastructure failures are the sandbox's, never the model's: not scored, not learned, retried."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from harness.agents import make_agent
from harness.agents.features import FEATURE_DIM
from harness.errors import HarnessError, SandboxError
from harness.grading.grader import Grader, StartedPool, job_for, parse_reply
from harness.grading.results import INFRA_ERROR, GradeResult
from harness.grading.rewards import compute_reward
from harness.llm.client import LLM, Endpoint, GenerationParams
from harness.loop.learning import INFRA_LIMIT, RunConfig, Runner
from harness.loop.strategies import strategy_space
from harness.sandbox.pool import SandboxConfig
from harness.store import Store
from harness.tasks.load import Task
from tests.fake_openai import FakeOpenAI, completion

GOOD = "```python\ndef sort_ints(xs):\n    return sorted(xs)\n```"


class DeadPool:
    """A pool whose every worker dies or stalls: `run` answers None, as after a replacement."""

    def __init__(self) -> None:
        self.calls = 0

    def run(self, job: dict[str, Any], deadline_s: float) -> None:
        self.calls += 1
        return None

    def close(self) -> None:
        pass


def test_no_reply_is_an_infra_error_without_a_reward(sort_task: Task) -> None:
    result = parse_reply(None, sort_task)
    assert result.status == INFRA_ERROR and result.infra
    assert not result.syntax_ok and result.passed == 0
    with pytest.raises(HarnessError, match="infrastructure"):
        compute_reward("partial", result)
    error = parse_reply({"id": "x", "error": "isolation: setrlimit failed"}, sort_task)
    assert error.infra and "isolation" in error.message


def test_a_dead_pool_is_retried_then_reported_and_never_cached(tmp_path: Path, sort_task: Task) -> None:
    pool = DeadPool()
    store = Store(tmp_path)
    grader = Grader(StartedPool(pool, "tag", "image", SandboxConfig()), store)  # type: ignore[arg-type]
    result = grader.grade(sort_task, "def sort_ints(xs):\n    return sorted(xs)\n")
    assert result.infra and pool.calls == 3
    again = grader.grade(sort_task, "def sort_ints(xs):\n    return sorted(xs)\n")
    assert again.infra and pool.calls == 6 and grader.cache_hits == 0


def script(body: dict, index: int) -> tuple[int, dict]:
    return 200, completion(GOOD)


def make_runner(url: str, home: Path, task: Task, grade: Any, run_id: str) -> tuple[Runner, Store]:  # noqa: ANN401
    space = strategy_space("quick", 0.8)
    config = RunConfig(tasks=(task.name,), agent="thompson", episodes=3, samples=2,
                       templates=space.ids, model="fake", params=GenerationParams(seed=0))
    store = Store(home)
    llm = LLM(Endpoint(base_url=url, model="fake", cache_id=url), store, config.params, concurrency=1)
    agent = make_agent("thompson", space.arm_space(), FEATURE_DIM, 0)
    return Runner(config, [task], space, llm, grade, store, agent, run_id, concurrency=1), store


def test_a_run_stops_on_repeated_sandbox_failures_and_resumes_without_zeros(
        tmp_path: Path, sort_task: Task) -> None:
    def broken(task: Task, code: str) -> GradeResult:
        return parse_reply(None, task)

    def working(task: Task, code: str) -> GradeResult:
        return GradeResult(syntax_ok=True, status="passed", passed=len(task.test_names),
                           total=len(task.test_names))

    with FakeOpenAI(script) as fake:
        runner, store = make_runner(fake.base_url, tmp_path, sort_task, broken, "run-infra")
        learned: list[float] = []
        update = runner.agent.update
        runner.agent.update = lambda c, a, r: (learned.append(r), update(c, a, r))  # type: ignore[method-assign]
        with pytest.raises(SandboxError, match="sandbox failed 3 times in a row"):
            runner.run()
        assert store.samples("run-infra") == [] and learned == []
        assert store.infra_failures("run-infra") == INFRA_LIMIT
        calls = len(fake.requests)
        assert calls == 1  # each retry reused the cached answer

        resumed, store = make_runner(fake.base_url, tmp_path, sort_task, working, "run-infra")
        assert resumed.run() == "finished"
        rows = store.samples("run-infra")
        assert len(rows) == 6 and all(r.status == "passed" and r.reward == 1.0 for r in rows)
        fresh = store.samples("run-infra", phase=None)
        assert len(fresh) == 6 + 2 * 4  # the fresh evaluation answers, learned and default


@pytest.mark.docker
def test_a_refused_isolation_step_is_an_infra_error(sandbox: StartedPool, sort_task: Task) -> None:
    """The candidate's rlimits cannot be raised past the container's: the worker refuses to run
    the candidate and says which step failed, and the host records a sandbox failure."""
    job = job_for(sort_task, "def sort_ints(xs):\n    return sorted(xs)\n", sandbox.config)
    job["limits"] = {**job["limits"], "nofile": 10**9}
    reply = sandbox.pool.run({**job, "id": "isolation-test"}, 30.0)
    result = parse_reply(reply, sort_task)
    assert result.infra, result
    assert "isolation" in result.message and "setrlimit" in result.message
