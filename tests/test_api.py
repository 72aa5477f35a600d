"""The Python API: `harness.run` returns the per-arm table and the learned strategy, no console
(scripted endpoint, real sandbox)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import harness
from harness.errors import HarnessError
from tests.conftest import TASKS_DIR
from tests.fake_openai import FakeOpenAI, completion

GOOD = "```python\ndef sort_ints(xs):\n    return sorted(xs)\n```"
BAD = "```python\ndef sort_ints(xs):\n    return xs\n```"


def test_import_harness_is_light() -> None:
    code = ("import sys, harness; assert harness.__all__; "
            "assert 'harness.loop.wiring' not in sys.modules and 'docker' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        harness.nope  # noqa: B018


def test_load_task_names_the_task_dir() -> None:
    assert harness.load_task("sort_ints", tasks_dir=TASKS_DIR).name == "sort_ints"
    with pytest.raises(HarnessError, match="unknown task 'nope'"):
        harness.load_task("nope", tasks_dir=TASKS_DIR)


@pytest.mark.docker
def test_run_returns_arms_and_the_learned_strategy(tmp_path: Path) -> None:
    def answer(body: dict, index: int) -> tuple[int, dict]:
        return 200, completion(GOOD if index % 2 else BAD)

    lines: list[str] = []
    kwargs = dict(agent="thompson", episodes=6, samples=2, eval_samples=3, model="fake",
                  tasks_dir=TASKS_DIR, home=tmp_path)
    with FakeOpenAI(answer) as fake:
        result = harness.run("sort_ints", base_url=fake.base_url, log=lines.append, **kwargs)
        calls = len(fake.requests)
        again = harness.run("sort_ints", base_url=fake.base_url, **kwargs)
        assert len(fake.requests) == calls  # a finished run is found in the store: no call
    assert result.status == "finished" and result.run_id.startswith("run-")
    assert {a.task for a in result.arms} == {"sort_ints"}
    assert sum(a.pulls for a in result.arms) == 6 * 2
    assert all(0.0 <= a.mean_reward <= 1.0 and a.calls_per_answer >= 1 for a in result.arms)
    assert result.evaluation is not None and result.evaluation.tasks[0].n == 3
    assert result.learned["sort_ints"] == result.evaluation.tasks[0].learned
    assert result.summary["llm_calls"] == calls
    assert any("starting sandbox" in line for line in lines)
    assert again.run_id == result.run_id and again.arms == result.arms


@pytest.mark.docker
def test_evaluate_grades_in_the_sandbox(tmp_path: Path) -> None:
    assert harness.evaluate("sort_ints", GOOD.strip("`").removeprefix("python\n"),
                            tasks_dir=TASKS_DIR, home=tmp_path).status == "passed"
    assert harness.evaluate("sort_ints", "def sort_ints(xs): return xs",
                            tasks_dir=TASKS_DIR, home=None).status == "failed"


def test_run_rejects_an_unknown_executor() -> None:
    with pytest.raises(HarnessError, match="executor must be one of local, ray, got 'dask'"):
        harness.run("sort_ints", executor="dask", tasks_dir=TASKS_DIR)


@pytest.mark.docker
def test_run_spreads_calls_over_several_base_urls(tmp_path: Path) -> None:
    """Several URLs are servers of one model: both answer, and the run is that of the first."""
    def answer(body: dict, index: int) -> tuple[int, dict]:
        return 200, completion(GOOD)

    kwargs = dict(agent="thompson", episodes=4, samples=2, eval_samples=2, model="fake",
                  tasks_dir=TASKS_DIR, parallel=2)
    with FakeOpenAI(answer) as first, FakeOpenAI(answer) as second:
        spread = harness.run("sort_ints", base_url=[first.base_url, second.base_url],
                             home=tmp_path / "two", **kwargs)
        assert first.requests and second.requests
        alone = harness.run("sort_ints", base_url=first.base_url, home=tmp_path / "one", **kwargs)
    assert spread.run_id == alone.run_id and spread.summary["llm_calls"] == alone.summary["llm_calls"]


@pytest.mark.docker
def test_run_grades_on_ray_when_asked(tmp_path: Path) -> None:
    """executor="ray" goes the way of `--executor ray`: an unreachable cluster fails at once."""
    from tests.conftest import require_module

    require_module("ray", "pip install -e '.[ray]'")
    with pytest.raises(HarnessError, match="cannot reach the Ray cluster at 127.0.0.1:1"):
        harness.run("sort_ints", executor="ray", ray_address="127.0.0.1:1", model="fake",
                    base_url="http://127.0.0.1:9/v1", tasks_dir=TASKS_DIR, home=tmp_path)
