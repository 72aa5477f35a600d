"""Named suites: a set of tasks chosen by one name (`harness run --suite NAME`).

A suite only chooses tasks; a run records the chosen task names and hashes, as it does for
`--task` and `--tag`, so a suite run's id is that of the same tasks named one by one.
Light to import: the CLI reads `SUITES` to build `--help`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.errors import HarnessError, TaskError

if TYPE_CHECKING:
    from harness.tasks.load import Task, TaskDirs

HUMANEVAL_PREFIX = "humaneval_"
"""Folder names `harness tasks import humaneval` writes (`humaneval_NNN`)."""

SUITES: dict[str, str] = {
    "builtin": "every task shipped with harness",
    "humaneval": "every imported HumanEval task (humaneval_*; `harness tasks import humaneval`)",
    "all": "every task in the tasks folders searched (--tasks-dir, or the default lookup)",
}
"""Suite name -> one-line description, in the order `--help` shows them."""


def describe_suites() -> str:
    """Every suite with its description, for `--suite` help texts."""
    return "; ".join(f"{name}: {text}" for name, text in SUITES.items())


def suite_tasks(name: str, search: TaskDirs) -> list[Task]:
    """The tasks of suite `name`, sorted by name. `search` is where `humaneval` and `all`
    look (the run's task folders); `builtin` always reads the built-in folder. Raises
    HarnessError listing the valid names on an unknown one, and TaskError when the suite
    holds no task."""
    from harness.resources import builtin_tasks_dir
    from harness.tasks.load import describe_dirs, load_task, load_tasks, task_folders

    if name == "builtin":
        folder = builtin_tasks_dir()
        if folder is None:
            raise TaskError("suite 'builtin': this install of harness ships no built-in tasks")
        return load_tasks(folder)
    if name == "humaneval":
        tasks = [load_task(f) for f in task_folders(search) if f.name.startswith(HUMANEVAL_PREFIX)]
        if not tasks:
            raise TaskError(f"suite 'humaneval': no {HUMANEVAL_PREFIX}* task in "
                            f"{describe_dirs(search)}; import them first with "
                            "`harness tasks import humaneval`")
        return tasks
    if name == "all":
        tasks = load_tasks(search)
        if not tasks:
            raise TaskError(f"suite 'all': no task in {describe_dirs(search)}")
        return tasks
    raise HarnessError(f"unknown suite '{name}'; valid suites: {', '.join(SUITES)}")
