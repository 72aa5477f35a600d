"""The published file formats: one `SampleRecord` per line of samples.jsonl, and run.json loading.

Records are parsed strictly (every field present, every type right) so that
`leaderboard build --check` can point at the exact line and field of a bad edit
instead of failing somewhere in the arithmetic.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.grading.results import STATUSES
from harness.sample import Sample

RUN_FILE = "run.json"
SAMPLES_FILE = "samples.jsonl"


@dataclass(frozen=True)
class SampleRecord:
    """One graded sample as published: enough to recompute every score and to regrade the
    answer (its code), but not its prompt (run.json carries the best prompts)."""

    task: str
    task_hash: str
    template: str
    episode: int
    sample: int
    status: str
    syntax_ok: bool
    passed: int
    total: int
    failed_tests: tuple[str, ...]
    duration_s: float
    completion_tokens: int
    prompt_tokens: int
    finish_reason: str
    reward: float
    phase: str
    """learn, or a fresh evaluation answer (eval_learned / eval_default) the learner never saw."""
    calls: int
    """Model calls this answer cost (best-of-k and repair strategies make several)."""
    code: str
    """The graded code, so `leaderboard build --regrade` can run every answer again."""

    @property
    def key(self) -> tuple[int, str, int]:
        """Unique within a run: evaluation answers have episodes -1 and -2."""
        return self.episode, self.task, self.sample

    @property
    def fraction(self) -> float:
        """Partial credit: the share of the task's tests that passed (0 when none ran)."""
        return self.passed / self.total if self.total else 0.0

    @classmethod
    def of(cls, sample: Sample, prompt_tokens: int = 0) -> SampleRecord:
        """The published subset of a stored sample (the code, not the prompt or response)."""
        result = sample.result
        return cls(
            task=sample.task, task_hash=sample.task_hash, template=sample.template,
            episode=sample.episode, sample=sample.sample, status=sample.status,
            syntax_ok=result.syntax_ok, passed=sample.passed, total=sample.total,
            failed_tests=tuple(t.name for t in result.tests if t.outcome != "passed"),
            duration_s=round(result.duration_s, 6),
            completion_tokens=sample.completion_tokens, prompt_tokens=int(prompt_tokens),
            finish_reason=sample.finish_reason, reward=float(sample.reward or 0.0),
            phase=sample.phase, calls=sample.calls, code=sample.code,
        )

    def to_json(self) -> str:
        data = asdict(self)
        data["failed_tests"] = list(self.failed_tests)
        return json.dumps(data, ensure_ascii=False)

    @classmethod
    def from_json(cls, line: str, where: str) -> SampleRecord:
        """Parse one line; `where` ("run-x: samples.jsonl line 3") prefixes every error."""
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise HarnessError(f"{where}: not valid JSON ({exc.msg})") from None
        if not isinstance(data, dict):
            raise HarnessError(f"{where}: expected a JSON object, got {type(data).__name__}")
        values: dict[str, Any] = {}
        for f in fields(cls):
            if f.name not in data:
                raise HarnessError(f"{where}: missing field '{f.name}'")
            values[f.name] = _typed(data[f.name], f.name, where)
        extra = sorted(set(data) - set(values))
        if extra:
            raise HarnessError(f"{where}: unknown field '{extra[0]}'")
        if values["phase"] not in PHASES:
            raise HarnessError(f"{where}: field 'phase' must be one of {', '.join(PHASES)}, "
                               f"got {values['phase']!r}")
        if values["status"] not in STATUSES:
            raise HarnessError(f"{where}: field 'status' must be one of {', '.join(STATUSES)}, "
                               f"got {values['status']!r}")
        return cls(**values)


_TYPES: dict[str, type] = {
    "task": str, "task_hash": str, "template": str, "status": str, "finish_reason": str,
    "episode": int, "sample": int, "passed": int, "total": int, "completion_tokens": int,
    "prompt_tokens": int, "syntax_ok": bool, "duration_s": float, "reward": float,
    "failed_tests": tuple, "phase": str, "calls": int, "code": str,
}
PHASES = ("learn", "eval_learned", "eval_default")


def _typed(value: Any, name: str, where: str) -> Any:  # noqa: ANN401 - JSON in, field type out
    kind = _TYPES[name]
    if kind is bool:
        ok = isinstance(value, bool)
    elif kind is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif kind is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        value = float(value) if ok else value
    elif kind is tuple:
        ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
        value = tuple(value) if ok else value
    else:
        ok = isinstance(value, str)
    if not ok:
        what = {tuple: "a list of strings", float: "a number", int: "an integer",
                bool: "true or false", str: "a string"}[kind]
        raise HarnessError(f"{where}: field '{name}' must be {what}, got {value!r}")
    return value


@dataclass(frozen=True)
class PublishedRun:
    """One folder of a results directory, parsed but not yet verified."""

    run_id: str
    folder: Path
    run: dict[str, Any]
    samples: tuple[SampleRecord, ...]
    lines: tuple[int, ...]
    """Line number in samples.jsonl of each sample, for error messages."""

    @property
    def provenance(self) -> dict[str, Any]:
        provenance: dict[str, Any] = self.run["provenance"]
        return provenance


RUN_KEYS = ("schema", "run_id", "name", "provenance", "summary", "per_task", "per_template", "best",
            "evaluation")


def load_run(folder: Path) -> PublishedRun:
    """Parse run.json and samples.jsonl of one published run; errors name the run and field."""
    run_id = folder.name
    run_path, samples_path = folder / RUN_FILE, folder / SAMPLES_FILE
    for path in (run_path, samples_path):
        if not path.is_file():
            raise HarnessError(f"{run_id}: {path.name} is missing from {folder}")
    try:
        run = json.loads(run_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise HarnessError(f"{run_id}: run.json is not valid JSON ({exc})") from None
    if not isinstance(run, dict):
        raise HarnessError(f"{run_id}: run.json must hold a JSON object")
    from harness.leaderboard import SCHEMA

    if run.get("schema") != SCHEMA:
        raise HarnessError(f"{run_id}: run.json schema is {run.get('schema')!r}; this harness reads "
                           f"{SCHEMA!r} (publish the run again with `harness publish {run_id}`)")
    for key in RUN_KEYS:
        if key not in run:
            raise HarnessError(f"{run_id}: run.json has no field '{key}'")
    if run["run_id"] != run_id:
        raise HarnessError(f"{run_id}: run.json run_id is {run['run_id']!r}, but its folder is {run_id!r}")
    for key in ("provenance", "summary", "per_task", "per_template", "best"):
        if not isinstance(run[key], dict):
            raise HarnessError(f"{run_id}: run.json field '{key}' must be an object")
    if run["evaluation"] is not None and not isinstance(run["evaluation"], dict):
        raise HarnessError(f"{run_id}: run.json field 'evaluation' must be an object or null")
    samples, numbers = [], []
    try:
        text = samples_path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise HarnessError(f"{run_id}: samples.jsonl is not UTF-8 text ({exc.reason} at byte "
                           f"{exc.start})") from None
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            samples.append(SampleRecord.from_json(line, f"{run_id}: samples.jsonl line {number}"))
            numbers.append(number)
    return PublishedRun(run_id=run_id, folder=folder, run=run, samples=tuple(samples),
                        lines=tuple(numbers))


def run_folders(results: Path) -> list[Path]:
    """Published run folders, sorted; a missing results directory is an error, an empty one is not."""
    if not results.is_dir():
        raise HarnessError(f"{results}: results directory not found (publish a run with "
                           "`harness publish RUN`, or pass --results DIR)")
    return sorted(p for p in results.iterdir() if p.is_dir() and not p.name.startswith("."))
