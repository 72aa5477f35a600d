"""Task folders: loading, validation and identity.

A task is a folder holding `task.toml`, `tests.py` and `solution.py`. Every
problem is reported as a `TaskError` naming the file, the key and what was
expected, so a user can fix their own folders without reading this code.
"""

from __future__ import annotations

import ast
import dataclasses
import hashlib
import os
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from harness.errors import TaskError
from harness.grading.ast_guard import parse
from harness.tasks.sources import FLAG, TaskSearch, TaskSource

DIFFICULTIES = ("easy", "medium", "hard")
TASK_FILES = ("task.toml", "tests.py", "solution.py")
NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
DEFAULT_TIMEOUT_S = 2.0

# key -> (expected type(s), description used in error messages)
_KEYS: dict[str, tuple[type | tuple[type, ...], str]] = {
    "entry_point": (str, "a Python identifier"),
    "description": (str, "a non-empty string"),
    "signature": (str, "a string such as 'def f(xs: list[int]) -> list[int]'"),
    "examples": (list, "a list of strings"),
    "tags": (list, "a list of strings"),
    "difficulty": (str, "one of easy, medium, hard"),
    "timeout_s": ((int, float), "a positive number of seconds per test"),
    "hints": (list, "a list of strings"),
    "preamble": (str, "Python source (imports, helper functions) the task's code may use"),
    "prompt": (str, "the task's original prompt text (rendered by the `native` template)"),
}
_REQUIRED = ("entry_point", "description")


@dataclass(frozen=True)
class Task:
    """One coding task, loaded and validated from its folder."""

    name: str
    path: Path
    entry_point: str
    description: str
    tests_source: str
    solution_source: str
    test_names: tuple[str, ...]
    signature: str = ""
    examples: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    difficulty: str = "medium"
    timeout_s: float = DEFAULT_TIMEOUT_S
    hints: tuple[str, ...] = ()
    preamble: str = ""
    """Imports and helper functions the statement relies on (e.g. HumanEval's `poly`): shown
    to the model and run before the candidate's code, as the source benchmark does."""
    prompt: str = ""
    """The source benchmark's own prompt (HumanEval: stub plus docstring), for `native`."""
    hash: str = field(default="")

    @property
    def short_hash(self) -> str:
        return self.hash[:12]



def task_hash(folder: Path) -> str:
    """Content hash over the three task files, so changed tasks never mix with old results."""
    return files_hash({name: (folder / name).read_bytes() for name in TASK_FILES})


def files_hash(files: Mapping[str, bytes]) -> str:
    """`task_hash` of a task folder held in memory (an importer's output, before writing)."""
    digest = hashlib.sha256()
    for name in TASK_FILES:
        digest.update(name.encode() + b"\0")
        digest.update(files[name])
        digest.update(b"\0")
    return digest.hexdigest()


def _read(folder: Path, name: str) -> str:
    path = folder / name
    if not path.is_file():
        raise TaskError(f"{path}: missing; a task folder needs {', '.join(TASK_FILES)}")
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TaskError(f"{path}: cannot be read as UTF-8 text ({exc})") from None


def _check_key(path: Path, key: str, value: object) -> None:
    expected, what = _KEYS[key]
    ok = isinstance(value, expected) and not isinstance(value, bool)
    if ok and isinstance(value, list):
        ok = all(isinstance(item, str) for item in value)
    if ok and key == "entry_point":
        ok = str(value).isidentifier()
    if ok and key == "description":
        ok = bool(str(value).strip())
    if ok and key == "difficulty":
        ok = value in DIFFICULTIES
    if ok and key == "timeout_s":
        ok = isinstance(value, int | float) and 0 < value <= 60
    if not ok:
        raise TaskError(f"{path}: key '{key}' must be {what}, got {value!r}")


def parse_toml(folder: Path) -> dict[str, object]:
    path = folder / "task.toml"
    text = _read(folder, "task.toml")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TaskError(f"{path}: invalid TOML ({exc})") from None
    for key in data:
        if key not in _KEYS:
            raise TaskError(
                f"{path}: unknown key '{key}'; expected one of {', '.join(sorted(_KEYS))}"
            )
    for key in _REQUIRED:
        if key not in data:
            raise TaskError(f"{path}: missing required key '{key}' ({_KEYS[key][1]})")
    for key, value in data.items():
        _check_key(path, key, value)
    return data


def _parse_python(folder: Path, name: str) -> tuple[str, ast.Module]:
    source = _read(folder, name)
    try:
        return source, ast.parse(source, filename=name)
    except SyntaxError as exc:
        raise TaskError(f"{folder / name}: syntax error at line {exc.lineno}: {exc.msg}") from None


def _top_level_names(module: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in module.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.ImportFrom | ast.Import):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
    return names


def test_functions(module: ast.Module) -> tuple[str, ...]:
    """Names of top-level `test_*` functions, in file order: each is one unit of credit."""
    return tuple(
        node.name
        for node in module.body
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")
    )


def _preamble(folder: Path, data: dict[str, object]) -> str:
    text = str(data.get("preamble", "")).strip()
    if text:
        try:
            ast.parse(text)
        except SyntaxError as exc:
            raise TaskError(f"{folder / 'task.toml'}: key 'preamble' must be valid Python "
                            f"(line {exc.lineno}: {exc.msg})") from None
    return text + "\n" if text else ""


def load_task(folder: Path | str) -> Task:
    """Load and validate one task folder."""
    folder = Path(folder)
    if not folder.is_dir():
        raise TaskError(f"{folder}: not a task folder (no such directory)")
    name = folder.name
    if not NAME_RE.match(name):
        raise TaskError(
            f"{folder}: task folder name must be lowercase letters, digits and underscores"
        )
    data = parse_toml(folder)
    tests_source, tests_ast = _parse_python(folder, "tests.py")
    solution_source, solution_ast = _parse_python(folder, "solution.py")
    names = test_functions(tests_ast)
    if not names:
        raise TaskError(f"{folder / 'tests.py'}: no test_* functions; each one is a unit of credit")
    entry = str(data["entry_point"])
    if entry not in _top_level_names(solution_ast):
        raise TaskError(
            f"{folder / 'solution.py'}: does not define entry_point '{entry}' named in task.toml"
        )
    return Task(
        name=name,
        path=folder,
        entry_point=entry,
        description=str(data["description"]).strip(),
        tests_source=tests_source,
        solution_source=solution_source,
        test_names=names,
        signature=str(data.get("signature", "")),
        # parse_toml checked every key's type (_KEYS): the casts only tell mypy so.
        examples=tuple(cast("Iterable[str]", data.get("examples", ()))),
        tags=tuple(cast("Iterable[str]", data.get("tags", ()))),
        difficulty=str(data.get("difficulty", "medium")),
        timeout_s=float(cast("float", data.get("timeout_s", DEFAULT_TIMEOUT_S))),
        hints=tuple(cast("Iterable[str]", data.get("hints", ()))),
        preamble=_preamble(folder, data),
        prompt=str(data.get("prompt", "")),
        hash=task_hash(folder),
    )


TaskDirs = Path | Sequence[TaskSource]
"""Where to look for tasks: one folder (a plain Path, as given), or the labelled folders of
`harness.tasks.sources.task_sources` in lookup order."""


def as_sources(tasks_dir: TaskDirs) -> list[TaskSource]:
    """A plain Path is one folder chosen explicitly, exactly as before the lookup order."""
    if isinstance(tasks_dir, str | os.PathLike):
        return [TaskSource(FLAG, Path(tasks_dir))]
    return list(tasks_dir)


def describe_dirs(tasks_dir: TaskDirs) -> str:
    """The folders for messages: a plain Path as given, sources with their labels."""
    if isinstance(tasks_dir, str | os.PathLike):
        return str(tasks_dir)
    return str(TaskSearch(tasks_dir))


def _existing(source: TaskSource) -> Path:
    if not source.path.is_dir():
        raise TaskError(
            f"{source.path}: tasks directory not found (set --tasks-dir or HARNESS_TASKS_DIR)"
        )
    return source.path


def located_folders(tasks_dir: TaskDirs) -> list[tuple[Path, TaskSource]]:
    """Every task folder (one holding task.toml) with its source, by name; when two sources
    hold the same name the earlier one wins, as it does for `find_task`."""
    found: dict[str, tuple[Path, TaskSource]] = {}
    for source in as_sources(tasks_dir):
        for folder in _existing(source).iterdir():
            if folder.is_dir() and (folder / "task.toml").exists():
                found.setdefault(folder.name, (folder, source))
    return [found[name] for name in sorted(found)]


def task_folders(tasks_dir: TaskDirs) -> list[Path]:
    return [folder for folder, _ in located_folders(tasks_dir)]


def load_tasks(tasks_dir: TaskDirs) -> list[Task]:
    return [load_task(folder) for folder in task_folders(tasks_dir)]


def load_located_tasks(tasks_dir: TaskDirs) -> list[tuple[Task, TaskSource]]:
    """Every task with the source it came from (for `harness tasks list`)."""
    return [(load_task(folder), source) for folder, source in located_folders(tasks_dir)]


def locate_task(tasks_dir: TaskDirs, name: str) -> tuple[Path, TaskSource] | None:
    """The folder of task `name` in the first source that has it; None when none has."""
    if not NAME_RE.match(name):  # never a path: "../x" must not reach outside the sources
        return None
    for source in as_sources(tasks_dir):
        folder = _existing(source) / name
        if (folder / "task.toml").exists():
            return folder, source
    return None


def find_located_task(tasks_dir: TaskDirs, name: str) -> tuple[Task, TaskSource]:
    found = locate_task(tasks_dir, name)
    if found is None:
        known = [p.name for p in task_folders(tasks_dir)]
        hint = ", ".join(known[:30]) + (" ..." if len(known) > 30 else "")
        raise TaskError(
            f"unknown task '{name}' in {describe_dirs(tasks_dir)}; known tasks: {hint or 'none'}"
        )
    return load_task(found[0]), found[1]


def find_task(tasks_dir: TaskDirs, name: str) -> Task:
    return find_located_task(tasks_dir, name)[0]


def check_folders(tasks_dir: TaskDirs, names: Sequence[str] = ()) -> list[Path]:
    """The folders `harness tasks check` judges: each named one (a missing one then fails in
    `load_task` with its path), else every folder not starting with "." or "_", with or
    without task.toml, so that broken ones are reported too. Earlier sources win by name."""
    sources = as_sources(tasks_dir)
    if names:
        folders = []
        for name in names:
            hits = [s.path / name for s in sources if (_existing(s) / name).is_dir()]
            folders.append(hits[0] if hits else _existing(sources[0]) / name)
        return folders
    found: dict[str, Path] = {}
    for source in sources:
        for folder in _existing(source).iterdir():
            if folder.is_dir() and not folder.name.startswith((".", "_")):
                found.setdefault(folder.name, folder)
    return [found[name] for name in sorted(found)]


def select_tasks(
    tasks_dir: TaskDirs, names: Iterable[str] = (), tags: Iterable[str] = ()
) -> list[Task]:
    """Tasks named explicitly plus tasks carrying any of `tags`, without duplicates."""
    names, tags = list(names), set(tags)
    chosen = {name: find_task(tasks_dir, name) for name in names}
    if tags:
        for task in load_tasks(tasks_dir):
            if tags & set(task.tags):
                chosen.setdefault(task.name, task)
        if not chosen:
            raise TaskError(
                f"no task in {describe_dirs(tasks_dir)} has tag(s) {', '.join(sorted(tags))}"
            )
    return list(chosen.values())


VISIBLE_PREFIX = "test_example_"


def visible_checks(task: Task) -> Task | None:
    """The task's visible `examples` as a task of their own, graded by the same sandbox path.

    Strategies choose among answers with these (best-of-k, repair); the hidden tests never
    take part. Each example `call == expected` becomes one `test_example_<i>`; an example that
    is not a Python expression is left out. None when nothing is left.
    """
    lines = [f"from solution import {task.entry_point}", ""]
    names: list[str] = []
    for i, example in enumerate(task.examples):
        try:
            parse(example, mode="eval")
        except SyntaxError:
            continue
        name = f"{VISIBLE_PREFIX}{i}"
        names.append(name)
        lines += [f"def {name}():", f"    assert {example}", ""]
    if not names:
        return None
    source = "\n".join(lines)
    digest = hashlib.sha256(f"visible\0{task.hash}\0{source}".encode()).hexdigest()
    return dataclasses.replace(task, tests_source=source, test_names=tuple(names), hash=digest)
