"""Installed like a user would: where tasks and sandbox files are found, and what a wheel ships.

The lookup-order tests use temporary folders and pass `env`/`cwd` explicitly, so they never
depend on where pytest runs. The wheel test builds from a copy of the source (no `build/` in
the working tree) and checks the copies are byte-identical, which keeps the image tag.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import harness.resources as resources
import harness.tasks.sources as sources
from harness.cli.tasks import print_task_list
from harness.errors import SandboxError, TaskError
from harness.sandbox.image import ImageInputs, project_root
from harness.tasks.load import check_folders, find_located_task, find_task, load_tasks, locate_task
from harness.tasks.sources import TaskSource, new_task_dir, task_sources
from harness.tasks.view import list_tasks, new_task
from tests.conftest import ROOT, TASKS_DIR

NO_ENV: dict[str, str] = {}


def make_tasks(folder: Path, *names: str) -> Path:
    """A tasks folder holding copies of built-in tasks."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copytree(TASKS_DIR / name, folder / name)
    return folder


@pytest.fixture
def builtin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A stand-in for the tasks shipped with harness."""
    folder = make_tasks(tmp_path / "builtin", "sort_ints", "fizzbuzz")
    monkeypatch.setattr(sources, "builtin_tasks_dir", lambda: folder)
    return folder


def labels(search: tuple[TaskSource, ...]) -> list[tuple[str, Path]]:
    return [(s.label, s.path) for s in search]


# ------------------------------------------------------------------ lookup order


def test_explicit_dir_wins_over_everything_and_stands_alone(tmp_path: Path, builtin: Path) -> None:
    mine = make_tasks(tmp_path / "mine", "sort_ints")
    env_dir = make_tasks(tmp_path / "env", "fizzbuzz")
    make_tasks(tmp_path / "tasks", "fizzbuzz")
    found = task_sources(mine, env={"HARNESS_TASKS_DIR": str(env_dir)}, cwd=tmp_path)
    assert labels(found) == [("--tasks-dir", mine)]
    assert [t.name for t in load_tasks(found)] == ["sort_ints"]


def test_env_var_when_no_flag(tmp_path: Path, builtin: Path) -> None:
    env_dir = make_tasks(tmp_path / "env", "fizzbuzz")
    make_tasks(tmp_path / "tasks", "sort_ints")
    found = task_sources(None, env={"HARNESS_TASKS_DIR": str(env_dir)}, cwd=tmp_path)
    assert labels(found) == [("HARNESS_TASKS_DIR", env_dir)]


def test_process_environment_is_read_by_default(tmp_path: Path, builtin: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    env_dir = make_tasks(tmp_path / "env", "fizzbuzz")
    monkeypatch.setenv("HARNESS_TASKS_DIR", str(env_dir))
    assert labels(task_sources()) == [("HARNESS_TASKS_DIR", env_dir)]
    monkeypatch.setenv("HARNESS_TASKS_DIR", "  ")  # blank counts as unset
    monkeypatch.chdir(tmp_path)
    assert labels(task_sources()) == [("built-in", builtin)]


def test_local_tasks_stack_in_front_of_the_built_in_ones(tmp_path: Path, builtin: Path) -> None:
    local = make_tasks(tmp_path / "tasks", "fizzbuzz", "is_palindrome")
    (local / "fizzbuzz" / "tests.py").write_text(
        "from solution import fizzbuzz\n\n\ndef test_local():\n    assert fizzbuzz(3)\n")
    found = task_sources(None, env=NO_ENV, cwd=tmp_path)
    assert labels(found) == [("./tasks", local), ("built-in", builtin)]
    assert [t.name for t in load_tasks(found)] == ["fizzbuzz", "is_palindrome", "sort_ints"]
    task, source = find_located_task(found, "fizzbuzz")  # the local copy shadows the built-in
    assert source.label == "./tasks" and task.test_names == ("test_local",)
    assert find_located_task(found, "sort_ints")[1].label == "built-in"
    assert [p.parent for p in check_folders(found)] == [local, local, builtin]


def test_no_local_tasks_means_built_in_only(tmp_path: Path, builtin: Path) -> None:
    assert labels(task_sources(None, env=NO_ENV, cwd=tmp_path)) == [("built-in", builtin)]


def test_checkout_root_lists_its_tasks_once_as_local() -> None:
    found = task_sources(None, env=NO_ENV, cwd=ROOT)
    assert labels(found) == [("./tasks", ROOT / "tasks")]


def test_bad_explicit_dirs_name_the_flag_or_variable(tmp_path: Path, builtin: Path) -> None:
    with pytest.raises(TaskError, match=r"^--tasks-dir /nope: no such directory"):
        task_sources(Path("/nope"), env=NO_ENV, cwd=tmp_path)
    with pytest.raises(TaskError, match=r"^HARNESS_TASKS_DIR=/nope: no such directory"):
        task_sources(None, env={"HARNESS_TASKS_DIR": "/nope"}, cwd=tmp_path)
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    with pytest.raises(TaskError, match=rf"--tasks-dir {a_file}: not a directory"):
        task_sources(a_file, env=NO_ENV, cwd=tmp_path)
    with pytest.raises(TaskError, match=r"^harness.toml tasks_dir=/nope: no such directory"):
        task_sources(Path("/nope"), explicit_label="harness.toml tasks_dir")


def test_nothing_at_all_says_how_to_point_at_tasks(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sources, "builtin_tasks_dir", lambda: None)
    with pytest.raises(TaskError, match="pass --tasks-dir DIR, set HARNESS_TASKS_DIR"):
        task_sources(None, env=NO_ENV, cwd=tmp_path)


def test_unknown_task_and_paths_as_names_are_refused(tmp_path: Path, builtin: Path) -> None:
    found = task_sources(None, env=NO_ENV, cwd=tmp_path)
    with pytest.raises(TaskError, match=r"unknown task 'nope' in .*\(built-in\); known tasks: "
                                        r"fizzbuzz, sort_ints"):
        find_task(found, "nope")
    assert locate_task(found, "../builtin/sort_ints") is None


def test_a_plain_path_is_one_folder_as_before(tmp_path: Path, builtin: Path) -> None:
    mine = make_tasks(tmp_path / "mine", "is_palindrome")
    assert [t.name for t in load_tasks(mine)] == ["is_palindrome"]
    with pytest.raises(TaskError, match="unknown task 'sort_ints'"):
        find_task(mine, "sort_ints")
    with pytest.raises(TaskError, match="tasks directory not found"):
        load_tasks(tmp_path / "missing")


def test_list_reports_where_each_task_came_from(tmp_path: Path, builtin: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    make_tasks(tmp_path / "tasks", "is_palindrome")
    found = task_sources(None, env=NO_ENV, cwd=tmp_path)
    rows = list_tasks(found, (), None)
    print_task_list(rows, found, as_json=True)
    assert {t.name: s.label for t, s in rows} == {
        "is_palindrome": "./tasks", "sort_ints": "built-in", "fizzbuzz": "built-in"}
    printed = {r["name"]: r for r in map(json.loads, capsys.readouterr().out.splitlines())}
    assert printed["sort_ints"]["source"] == "built-in"
    assert printed["is_palindrome"]["path"] == str(tmp_path / "tasks" / "is_palindrome")
    print_task_list(rows, found, as_json=False)
    table = capsys.readouterr().out
    assert "source" in table and "./tasks" in table and "built-in" in table


def test_new_tasks_never_go_into_the_built_in_folder(tmp_path: Path, builtin: Path) -> None:
    assert new_task_dir(None, env=NO_ENV, cwd=tmp_path) == tmp_path / "tasks"
    assert new_task_dir(None, env={"HARNESS_TASKS_DIR": "/x"}, cwd=tmp_path) == Path("/x")
    assert new_task_dir(tmp_path / "fresh", env=NO_ENV) == tmp_path / "fresh"
    resolved = task_sources(None, env=NO_ENV, cwd=tmp_path)  # built-in only
    assert new_task_dir(resolved, cwd=tmp_path) == tmp_path / "tasks"
    folder = new_task(tmp_path / "fresh", "my_task")
    assert folder == tmp_path / "fresh" / "my_task" and (folder / "task.toml").is_file()


# ------------------------------------------------------------------ sandbox files


def test_checkout_resources_without_package_data() -> None:
    assert not resources.DATA_DIR.exists()  # an editable checkout ships no copy
    assert resources.resource_root() == ROOT
    assert resources.worker_path() == ROOT / "sandbox" / "worker.py"
    assert resources.dockerfile_path() == ROOT / "Dockerfile.sandbox"
    assert resources.builtin_tasks_dir() == ROOT / "tasks"


def copy_resources(dest: Path) -> Path:
    dest.mkdir(parents=True)
    shutil.copy(ROOT / "Dockerfile.sandbox", dest / "Dockerfile.sandbox")
    shutil.copytree(ROOT / "sandbox", dest / "sandbox",
                    ignore=shutil.ignore_patterns("__pycache__"))
    return dest


def test_package_data_comes_first_and_keeps_the_image_tag(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = copy_resources(tmp_path / "_data")
    monkeypatch.setattr(resources, "DATA_DIR", data)
    monkeypatch.delenv("HARNESS_ROOT", raising=False)
    assert resources.resource_root() == data and project_root() == data
    assert resources.builtin_tasks_dir() is None  # no tasks/ in this copy
    assert ImageInputs(data).tag == ImageInputs(ROOT).tag


def test_harness_root_overrides_and_a_bad_one_is_named(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    other = copy_resources(tmp_path / "other")
    monkeypatch.setenv("HARNESS_ROOT", str(other))
    assert project_root() == other
    monkeypatch.setenv("HARNESS_ROOT", str(tmp_path / "nope"))
    with pytest.raises(SandboxError, match=r"HARNESS_ROOT=.*nope: no Dockerfile.sandbox"):
        project_root()


# ------------------------------------------------------------------ the wheel


def test_built_wheel_ships_worker_dockerfile_and_tasks(tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "Dockerfile.sandbox"):
        shutil.copy(ROOT / name, source / name)
    skip = shutil.ignore_patterns("__pycache__", "*.pyc", "_data")
    for name in ("harness", "sandbox", "tasks"):
        shutil.copytree(ROOT / name, source / name, ignore=skip)
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", ".", "--no-deps", "-q", "-w", str(tmp_path / "dist")],
        cwd=source, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    (wheel,) = (tmp_path / "dist").glob("harness-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        unpacked = tmp_path / "unpacked"
        archive.extractall(unpacked)
    data = unpacked / "harness" / "_data"
    assert "harness/_data/sandbox/worker.py" in names
    assert "harness/_data/Dockerfile.sandbox" in names
    shipped = {p.name for p in (data / "tasks").iterdir() if (p / "task.toml").is_file()}
    assert shipped == {p.name for p in TASKS_DIR.iterdir() if (p / "task.toml").is_file()}
    for task in shipped:
        for file in ("task.toml", "tests.py", "solution.py"):
            assert (data / "tasks" / task / file).read_bytes() == \
                (TASKS_DIR / task / file).read_bytes()
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    assert not any(n.startswith(("tasks/", "sandbox/")) for n in names)  # only inside harness/
    assert ImageInputs(data).tag == ImageInputs(ROOT).tag  # same bytes, same image
