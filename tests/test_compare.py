"""`harness compare RUN_A RUN_B`: against figures worked by hand on hand-made samples, its
refusals, the terminal and JSON output, and two real runs (scripted endpoint, real sandbox)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

import harness
from harness.cli import cli
from harness.errors import HarnessError
from harness.leaderboard.compare import compare_home, compare_runs
from harness.sample import Phase, Sample
from harness.store import Store
from tests.conftest import TASKS_DIR
from tests.fake_openai import FakeOpenAI, completion

EPISODE = {"learn": 0, "eval_learned": -1, "eval_default": -2}
PASS_REWARD, FAIL_REWARD = 1.0, 0.25


def sample(task: str, k: int, passed: bool, phase: Phase, calls: int = 1,
           template: str = "tpl", task_hash: str = "") -> Sample:
    """One graded answer: a pass is 4/4 tests and reward 1, a failure 1/4 and reward 0.25."""
    return Sample.from_row({
        "episode": EPISODE[phase], "task": task, "sample": k, "task_hash": task_hash or f"h-{task}",
        "template": template, "llm_key": f"{task}-{phase}-{k}", "response": "", "code": "",
        "finish_reason": "stop", "completion_tokens": 10, "calls": calls, "phase": phase,
        "reward": PASS_REWARD if passed else FAIL_REWARD,
        "result": {"syntax_ok": True, "status": "passed" if passed else "failed",
                   "passed": 4 if passed else 1, "total": 4}})


def make_run(store: Store, run_id: str, passes: dict[str, tuple[int, int]], phase: Phase,
             calls: int = 1, model: str = "m", hashes: dict[str, str] | None = None,
             template: str = "tpl") -> None:
    """A finished run whose `phase` answers of each task are (passes, answers)."""
    hashes = hashes or {}
    tasks = list(passes)
    store.create_run(run_id, {"tasks": tasks, "model": model,
                              "task_hashes": [hashes.get(t, f"h-{t}") for t in tasks]}, {})
    for task, (good, n) in passes.items():
        for k in range(n):
            store.add_sample(run_id, sample(task, k, k < good, phase, calls, template,
                                            hashes.get(task, "")))
    store.finish_run(run_id, "finished", {})


@pytest.fixture
def store(tmp_path: Path) -> Store:
    """Runs A and B of the worked example (fresh answers), plus learning and default answers
    that must be ignored because fresh answers of the learned strategy exist."""
    s = Store(tmp_path / "home")
    make_run(s, "run-a", {"t1": (2, 10), "t2": (4, 10)}, "eval_learned", calls=1)
    make_run(s, "run-b", {"t1": (10, 10), "t2": (9, 10)}, "eval_learned", calls=3, template="best")
    for run_id in ("run-a", "run-b"):  # all-passing learning answers, all-failing default ones
        for task in ("t1", "t2"):
            for k in range(3):
                s.add_sample(run_id, sample(task, k, True, "learn"))
                s.add_sample(run_id, sample(task, k, False, "eval_default"))
    return s


def test_worked_example(store: Store) -> None:
    c = compare_runs(store, "run-a", "run-b")
    t1, t2 = c.tasks
    # pass@1 on fresh answers: A t1 2/10 = 0.2, t2 4/10 = 0.4; B t1 10/10 = 1.0, t2 9/10 = 0.9
    assert (t1.task, t1.a.pass_rate, t1.b.pass_rate) == ("t1", 0.2, 1.0)
    assert (t2.task, t2.a.pass_rate, t2.b.pass_rate) == ("t2", 0.4, 0.9)
    assert t1.pass_diff == pytest.approx(0.8) and t2.pass_diff == pytest.approx(0.5)
    # reward (pass 1, fail 0.25): A t1 (2 + 8*0.25)/10 = 0.4, t2 (4 + 6*0.25)/10 = 0.55;
    # B t1 1.0, t2 (9 + 0.25)/10 = 0.925 -> diffs 0.6 and 0.375
    assert (t1.a.reward, t2.a.reward) == pytest.approx((0.4, 0.55))
    assert (t1.b.reward, t2.b.reward) == pytest.approx((1.0, 0.925))
    assert (t1.reward_diff, t2.reward_diff) == pytest.approx((0.6, 0.375))
    # overall: mean over tasks, (0.8 + 0.5)/2 = 0.65 and (0.6 + 0.375)/2 = 0.4875
    assert c.pass_diff.diff == pytest.approx(0.65)
    assert c.reward_diff.diff == pytest.approx(0.4875)
    for up in (c.pass_diff, c.reward_diff):
        assert 0 < up.low <= up.diff <= up.high  # B is clearly better: 0 is outside the interval
    # both tasks cross 0.5 upwards (0.2 -> 1.0, 0.4 -> 0.9)
    assert (t1.flipped, t2.flipped, c.gained, c.lost) == ("gained", "gained", ("t1", "t2"), ())
    assert (c.calls_a, c.calls_b) == (1.0, 3.0)
    assert (t1.a.n, t1.b.n, t1.a.strategy, t1.b.strategy) == (10, 10, "tpl", "best")
    assert c.same_model and c.same_task_hashes and not c.in_sample
    assert (c.only_a, c.only_b, c.warnings) == ((), (), ())
    assert c.verdict == ("B beats A: the 95% interval of B - A lies above 0, "
                         "at 3.00 against 1.00 calls per answer")


def test_swapped_runs_lose_both_tasks(store: Store) -> None:
    c = compare_runs(store, "run-b", "run-a")
    assert c.pass_diff.diff == pytest.approx(-0.65) and c.pass_diff.high < 0
    assert (c.gained, c.lost) == ((), ("t1", "t2"))
    assert c.verdict.startswith("B is worse than A:")


def test_flips_both_ways_and_no_evidence(tmp_path: Path) -> None:
    s = Store(tmp_path)
    # t1: A 1/4 = 0.25, B 2/4 = 0.5 (gained: >= 0.5 counts as passing); t2: A 3/4, B 1/4 (lost);
    # t3: A 4/4, B 3/4 (both pass: no flip)
    make_run(s, "a", {"t1": (1, 4), "t2": (3, 4), "t3": (4, 4)}, "eval_learned")
    make_run(s, "b", {"t1": (2, 4), "t2": (1, 4), "t3": (3, 4)}, "eval_learned")
    c = compare_runs(s, "a", "b")
    assert [t.flipped for t in c.tasks] == ["gained", "lost", ""]
    assert (c.gained, c.lost) == (("t1",), ("t2",))
    # (0.25 - 0.5 - 0.25)/3 = -1/6
    assert c.pass_diff.diff == pytest.approx(-1 / 6)
    assert c.pass_diff.low < 0 < c.pass_diff.high
    assert c.verdict.startswith("no evidence at this sample size that B differs from A")


def test_without_fresh_answers_the_learning_answers_are_used_and_marked(tmp_path: Path) -> None:
    s = Store(tmp_path)
    make_run(s, "fresh", {"t1": (1, 2)}, "eval_learned")
    make_run(s, "template-run", {"t1": (3, 4)}, "learn")  # eval-samples 0: learning answers only
    c = compare_runs(s, "fresh", "template-run")
    (t1,) = c.tasks
    assert (t1.a.phase, t1.a.in_sample, t1.b.phase, t1.b.in_sample) == (
        "eval_learned", False, "learn", True)
    assert (t1.a.pass_rate, t1.b.pass_rate) == (0.5, 0.75)
    assert c.in_sample
    assert any("run template-run has no fresh evaluation answers for t1" in w and "in-sample" in w
               for w in c.warnings)
    assert c.to_dict()["tasks"][0]["b"]["in_sample"] is True


def test_different_task_content_and_model_are_reported(tmp_path: Path) -> None:
    s = Store(tmp_path)
    make_run(s, "a", {"t1": (1, 2), "t2": (1, 2)}, "eval_learned", model="m1")
    make_run(s, "b", {"t1": (1, 2), "t2": (1, 2)}, "eval_learned", model="m2",
             hashes={"t2": "changed"})
    c = compare_runs(s, "a", "b")
    assert (c.model_a, c.model_b, c.same_model) == ("m1", "m2", False)
    assert not c.same_task_hashes
    assert [t.same_hash for t in c.tasks] == [True, False]
    assert any("task content differs between the runs for t2" in w and "not comparable" in w
               for w in c.warnings)


def test_tasks_in_one_run_only_are_named(tmp_path: Path) -> None:
    s = Store(tmp_path)
    make_run(s, "a", {"t1": (1, 2), "only-a": (1, 2)}, "eval_learned")
    make_run(s, "b", {"t1": (2, 2), "only-b": (1, 2)}, "eval_learned")
    c = compare_runs(s, "a", "b")
    assert [t.task for t in c.tasks] == ["t1"]
    assert (c.only_a, c.only_b) == (("only-a",), ("only-b",))
    assert any("only in a: only-a; only in b: only-b" in w for w in c.warnings)


def test_no_shared_task_is_refused(tmp_path: Path) -> None:
    s = Store(tmp_path)
    make_run(s, "a", {"x": (1, 2)}, "eval_learned")
    make_run(s, "b", {"y": (1, 2)}, "eval_learned")
    with pytest.raises(HarnessError, match=r"runs a and b share no task.*only in a: x; only in b: y"):
        compare_runs(s, "a", "b")


def invoke(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args], env={"COLUMNS": "160"})


def test_cli_errors_name_the_run_and_exit_1(store: Store, tmp_path: Path) -> None:
    home = tmp_path / "home"
    unknown = invoke("compare", "run-a", "run-nope", "--home", home)
    assert unknown.exit_code == 1
    assert "no run 'run-nope'" in unknown.output and "recent runs: run-a, run-b" in unknown.output
    make_run(store, "run-c", {"other": (1, 1)}, "eval_learned")
    disjoint = invoke("compare", "run-a", "run-c", "--home", home)
    assert disjoint.exit_code == 1 and "share no task" in disjoint.output
    missing = invoke("compare", "a", "b", "--home", tmp_path / "nothing")
    assert missing.exit_code == 1 and "no run store at" in missing.output
    assert not (tmp_path / "nothing").exists()  # a typo in --home makes no empty store


def test_cli_table_verdict_and_json(store: Store, tmp_path: Path) -> None:
    home = tmp_path / "home"
    make_run(store, "run-x", {"t1": (0, 2), "[red]t2[/red]": (2, 2)}, "learn")
    make_run(store, "run-y", {"t1": (2, 2), "[red]t2[/red]": (2, 2)}, "eval_learned", calls=2)
    shown = invoke("compare", "run-a", "run-b", "--home", home)
    assert shown.exit_code == 0, shown.output
    for header in ("task", "A pass@1", "B pass@1", "Δ", "A reward", "B reward", "calls A/B", "flipped"):
        assert header in shown.output
    assert "│ t1   │    0.200 │    1.000 │ +0.800 │" in shown.output
    assert "1.00/3.00" in shown.output and "B passes, A not" in shown.output
    assert "overall B - A over 2 shared tasks: pass@1 +0.650 [" in shown.output
    assert "verdict: B beats A" in shown.output and "warning" not in shown.output

    marked = invoke("compare", "run-x", "run-y", "--home", home)
    assert marked.exit_code == 0, marked.output
    assert "[red]t2[/red]" in marked.output  # a task name is shown literally, never as markup
    assert "0.000*" in marked.output and "* in-sample" in marked.output
    assert "warning: run run-x has no fresh evaluation answers" in marked.output

    as_json = invoke("compare", "run-a", "run-b", "--home", home, "--json")
    assert as_json.exit_code == 0, as_json.output
    data = json.loads(as_json.output)
    assert data["pass_diff"]["diff"] == pytest.approx(0.65)
    assert [t["flipped"] for t in data["tasks"]] == ["gained", "gained"]
    assert data["same_task_hashes"] is True and data["tasks"][0]["same_hash"] is True


def test_compare_home_reads_the_store(store: Store, tmp_path: Path) -> None:
    assert compare_home(tmp_path / "home", "run-a", "run-b").pass_diff.diff == pytest.approx(0.65)


GOOD = {"sort_ints": "def sort_ints(xs):\n    return sorted(xs)",
        "digit_sum": "def digit_sum(n):\n    return sum(int(d) for d in str(abs(n)))"}
BAD = {"sort_ints": "def sort_ints(xs):\n    return xs",
       "digit_sum": "def digit_sum(n):\n    return sum(int(d) for d in str(n))"}


def answers(table: dict[str, str]) -> Any:  # noqa: ANN401 - a FakeOpenAI script
    def script(body: dict[str, Any], index: int) -> tuple[int, dict[str, Any]]:
        text = "\n".join(str(m.get("content", "")) for m in body["messages"])
        task = "digit_sum" if "digit_sum" in text else "sort_ints"
        return 200, completion(f"```python\n{table[task]}\n```")
    return script


@pytest.mark.docker
def test_two_real_runs_compared(tmp_path: Path) -> None:
    """A: one template, no fresh answers, digit_sum answered wrongly (it ignores the sign);
    B: a learning agent with fresh answers, every answer right."""
    home, tasks = tmp_path / "home", ["sort_ints", "digit_sum"]
    with FakeOpenAI(answers({"sort_ints": GOOD["sort_ints"], "digit_sum": BAD["digit_sum"]})) as fake:
        a = harness.run(tasks, template="bare", episodes=2, samples=2, eval_samples=0,
                        model="fake", base_url=fake.base_url, tasks_dir=TASKS_DIR, home=home)
    with FakeOpenAI(answers(GOOD)) as fake:
        b = harness.run(tasks, agent="thompson", episodes=3, samples=1, eval_samples=3, seed=1,
                        model="fake", base_url=fake.base_url, tasks_dir=TASKS_DIR, home=home)
    assert a.status == b.status == "finished" and a.run_id != b.run_id

    c = compare_home(home, a.run_id, b.run_id)
    by_task = {t.task: t for t in c.tasks}
    assert sorted(by_task) == ["digit_sum", "sort_ints"]
    assert by_task["digit_sum"].a.pass_rate == 0.0 and by_task["digit_sum"].b.pass_rate == 1.0
    assert by_task["sort_ints"].pass_diff == 0.0
    assert (by_task["digit_sum"].a.n, by_task["digit_sum"].b.n) == (4, 3)
    assert c.gained == ("digit_sum",) and c.lost == ()
    assert c.pass_diff.diff == pytest.approx(0.5)
    assert c.pass_diff.low <= 0.5 <= c.pass_diff.high
    assert c.same_model and c.same_task_hashes and c.in_sample
    assert all(t.a.in_sample and not t.b.in_sample for t in c.tasks)

    shown = invoke("compare", a.run_id, b.run_id, "--home", home)
    assert shown.exit_code == 0, shown.output
    assert "digit_sum" in shown.output and "B passes, A not" in shown.output
    assert "warning: run " in shown.output and "in-sample" in shown.output
    print(shown.output)  # the example output: shown with -s, or when the test fails
