"""Which folders of task folders a command reads, and why each one.

Lookup order: `--tasks-dir` when given, else `$HARNESS_TASKS_DIR` when set, else `./tasks` (when
it exists) in front of the tasks shipped with harness. An explicit choice (flag or variable) is
the whole set: a run, a check or a publish over "my folder" must not pick up other tasks. The
defaults stack, so a project's own `./tasks` adds to (and, by name, overrides) the built-in
ones instead of hiding them, and `harness tasks list` says where each task came from.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from harness.errors import TaskError
from harness.resources import builtin_tasks_dir

FLAG = "--tasks-dir"
ENV_VAR = "HARNESS_TASKS_DIR"
LOCAL = "./tasks"
BUILTIN = "built-in"


@dataclass(frozen=True)
class TaskSource:
    """One folder of task folders, labelled with where it came from (a flag, a variable, ...)."""

    label: str
    path: Path

    def __str__(self) -> str:
        return f"{self.path} ({self.label})"


class TaskSearch(tuple[TaskSource, ...]):
    """The folders to search, in lookup order. A tuple, so any Sequence[TaskSource] consumer
    takes it; it prints as its folders with their labels, so messages that show "the tasks
    dir" stay readable."""

    __slots__ = ()

    def __str__(self) -> str:
        return ", ".join(str(source) for source in self) or "no tasks folder"


def _given(label: str, value: Path) -> TaskSource:
    """A folder the user named: it must exist, and the error names how it was given."""
    shown = f"{label} {value}" if label.startswith("-") else f"{label}={value}"
    if not value.exists():
        raise TaskError(f"{shown}: no such directory; it should hold one folder per task")
    if not value.is_dir():
        raise TaskError(f"{shown}: not a directory; it should hold one folder per task")
    return TaskSource(label, value)


def task_sources(tasks_dir: Path | None = None, *, env: Mapping[str, str] | None = None,
                 cwd: Path | None = None, explicit_label: str = FLAG) -> TaskSearch:
    """The folders to search for tasks, first match by name wins (see the module docstring).

    `tasks_dir` is the `--tasks-dir` value, None when not given. `env` and `cwd` default to the
    process's own (tests pass their own). `explicit_label` names where `tasks_dir` came from
    when that is not the flag (a `harness.toml` key, an API argument), for errors and listings.
    Raises TaskError naming the flag or variable when the folder it names does not exist.
    """
    env = os.environ if env is None else env
    if tasks_dir is not None:
        return TaskSearch([_given(explicit_label, Path(tasks_dir))])
    from_env = env.get(ENV_VAR, "").strip()
    if from_env:
        return TaskSearch([_given(ENV_VAR, Path(from_env))])
    cwd = Path.cwd() if cwd is None else cwd
    sources: list[TaskSource] = []
    local = cwd / "tasks"
    if local.is_dir():
        sources.append(TaskSource(LOCAL, local))
    builtin = builtin_tasks_dir()
    # In a checkout's root ./tasks is the built-in folder itself: list it once, as ./tasks.
    if builtin is not None and not (local.is_dir() and _same(local, builtin)):
        sources.append(TaskSource(BUILTIN, builtin))
    if not sources:
        raise TaskError(f"no tasks found: pass {FLAG} DIR, set {ENV_VAR}, or create {LOCAL} "
                        "(this install of harness ships no built-in tasks)")
    return TaskSearch(sources)


def given_sources(folders: Sequence[Path], label: str = FLAG) -> TaskSearch:
    """Several folders named by a repeatable flag, searched in the order given."""
    return TaskSearch([_given(label, Path(folder)) for folder in folders])


def new_task_dir(tasks_dir: Path | Sequence[TaskSource] | None = None, *,
                 env: Mapping[str, str] | None = None, cwd: Path | None = None) -> Path:
    """Where `harness tasks new` writes: the folder given by flag or variable (created when
    missing), else `./tasks`; never the built-in folder, which belongs to the installed package.
    Takes the raw `--tasks-dir` value or an already resolved `task_sources` result."""
    env = os.environ if env is None else env
    if isinstance(tasks_dir, str | os.PathLike):
        return Path(tasks_dir)
    if tasks_dir is not None:
        writable = [source.path for source in tasks_dir if source.label != BUILTIN]
        return writable[0] if writable else (Path.cwd() if cwd is None else cwd) / "tasks"
    from_env = env.get(ENV_VAR, "").strip()
    if from_env:
        return Path(from_env)
    return (Path.cwd() if cwd is None else cwd) / "tasks"


def _same(a: Path, b: Path) -> bool:
    try:
        return a.samefile(b)
    except OSError:
        return False
