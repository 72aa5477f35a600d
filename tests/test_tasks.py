"""Task folder loading and validation (fast, no Docker)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from harness.errors import TaskError
from harness.tasks.load import find_task, load_task, load_tasks, select_tasks, task_hash

ROOT = Path(__file__).resolve().parents[1]
SORT = ROOT / "tasks" / "sort_ints"


@pytest.fixture()
def task_copy(tmp_path: Path) -> Path:
    dest = tmp_path / "sort_ints"
    shutil.copytree(SORT, dest)
    return dest


def test_builtin_suite_loads() -> None:
    tasks = load_tasks(ROOT / "tasks")
    assert len(tasks) >= 30
    names = {t.name for t in tasks}
    assert "sort_ints" in names
    for task in tasks:
        assert len(task.test_names) >= 6, task.name
        assert task.difficulty in ("easy", "medium", "hard")
    by_difficulty = {d: sum(t.difficulty == d for t in tasks) for d in ("easy", "medium", "hard")}
    assert by_difficulty["easy"] >= 10 and by_difficulty["hard"] >= 10


def test_sort_ints_fields() -> None:
    task = load_task(SORT)
    assert task.entry_point == "sort_ints"
    assert task.test_names[0] == "test_basic"
    assert len(task.hash) == 64


def test_hash_changes_with_content(task_copy: Path) -> None:
    before = task_hash(task_copy)
    (task_copy / "tests.py").write_text((task_copy / "tests.py").read_text() + "\n# changed\n")
    assert task_hash(task_copy) != before


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: (d / "tests.py").unlink(), "tests.py: missing"),
        (lambda d: (d / "solution.py").unlink(), "solution.py: missing"),
        (lambda d: (d / "task.toml").write_text("entry_point = "), "invalid TOML"),
        (lambda d: (d / "task.toml").write_text('description = "x"\n'), "missing required key 'entry_point'"),
        (lambda d: (d / "task.toml").write_text('entry_point = "f"\ndescription = "x"\ncolour = 1\n'),
         "unknown key 'colour'"),
        (lambda d: (d / "task.toml").write_text('entry_point = "sort_ints"\ndescription = "x"\ndifficulty = "extreme"\n'),
         "key 'difficulty' must be one of easy, medium, hard"),
        (lambda d: (d / "task.toml").write_text('entry_point = "sort_ints"\ndescription = "x"\ntags = "lists"\n'),
         "key 'tags' must be a list of strings"),
        (lambda d: (d / "task.toml").write_text('entry_point = "sort_ints"\ndescription = "x"\ntimeout_s = -1\n'),
         "key 'timeout_s'"),
        (lambda d: (d / "tests.py").write_text("from solution import sort_ints\n\ndef helper():\n    pass\n"),
         "no test_* functions"),
        (lambda d: (d / "tests.py").write_text("def test_x(:\n"), "tests.py: syntax error"),
        (lambda d: (d / "solution.py").write_text("def other(xs):\n    return xs\n"),
         "does not define entry_point 'sort_ints'"),
    ],
)
def test_broken_folders_name_file_and_key(task_copy: Path, mutate, expected: str) -> None:  # noqa: ANN001
    mutate(task_copy)
    with pytest.raises(TaskError) as info:
        load_task(task_copy)
    assert expected in str(info.value)
    assert str(task_copy) in str(info.value)


def test_unknown_task_lists_known(tmp_path: Path, task_copy: Path) -> None:
    with pytest.raises(TaskError, match="unknown task 'nope'.*sort_ints"):
        find_task(task_copy.parent, "nope")


def test_select_by_tag() -> None:
    tasks = select_tasks(ROOT / "tasks", (), ("dp",))
    assert tasks and all("dp" in t.tags for t in tasks)
    with pytest.raises(TaskError, match="no task"):
        select_tasks(ROOT / "tasks", (), ("no-such-tag",))
