"""`harness leaderboard build --check`: recompute every claim of every published run from its samples.

A results repository is reviewed like code: this check is its CI. It fails on
any claimed score that the samples do not give, on a sample whose task hash the
run does not list, on a sample whose own fields contradict each other (a status
of "passed" with failed tests, a reward the reward scheme would not give) and on
missing or duplicated samples. Every problem names the run and the field.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.grading.results import GradeResult
from harness.leaderboard.records import PublishedRun, SampleRecord, load_run, run_folders
from harness.leaderboard.scores import DIGITS, claims
from harness.sample import EVAL_EPISODES

TOLERANCE = 10.0 ** -DIGITS
MAX_PER_RUN = 10
"""Problems listed per run: one bad run must not hide the others (a missing sample changes every score)."""


@dataclass(frozen=True)
class VerifiedRun:
    """A published run whose every claim follows from its samples."""

    published: PublishedRun
    scores: dict[str, Any]

    @property
    def run_id(self) -> str:
        return self.published.run_id

    @property
    def run(self) -> dict[str, Any]:
        return self.published.run

    @property
    def samples(self) -> tuple[SampleRecord, ...]:
        return self.published.samples


def fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.{DIGITS}g}"
    if isinstance(value, list):
        return "[" + ", ".join(fmt(v) for v in value) + "]"
    return repr(value) if isinstance(value, str) else str(value)


def compare(claimed: Any, actual: Any, path: str) -> list[str]:  # noqa: ANN401 - any JSON value
    """Differences between a claimed value and the recomputed one, as 'path claims X, samples give Y'."""
    if isinstance(actual, dict):
        if not isinstance(claimed, dict):
            return [f"{path} claims {fmt(claimed)}, samples give an object"]
        out = []
        for key, value in actual.items():
            if key not in claimed:
                out.append(f"{path}.{key} is missing from run.json (samples give {fmt(value)})"
                           if not isinstance(value, dict) else f"{path}.{key} is missing from run.json")
            else:
                out.extend(compare(claimed[key], value, f"{path}.{key}"))
        out.extend(f"{path}.{key} is claimed, but no sample gives it"
                   for key in claimed if key not in actual and not (path.startswith("best.") and key == "prompt"))
        return out
    if actual is None or claimed is None:
        return [] if actual is claimed else [f"{path} claims {fmt(claimed)}, samples give {fmt(actual)}"]
    if isinstance(actual, list):
        if not isinstance(claimed, list) or len(claimed) != len(actual):
            return [f"{path} claims {fmt(claimed)}, samples give {fmt(actual)}"]
        return [d for i, (c, a) in enumerate(zip(claimed, actual, strict=True))
                for d in compare(c, a, f"{path}[{i}]")]
    if isinstance(actual, bool | str | int):
        if type(claimed) is not type(actual):
            return [f"{path} claims {claimed!r}, samples give {actual!r} (type {type(actual).__name__})"]
        same = claimed == actual
    else:
        same = (isinstance(claimed, int | float) and not isinstance(claimed, bool)
                and abs(float(claimed) - actual) <= TOLERANCE)
    return [] if same else [f"{path} claims {fmt(claimed)}, samples give {fmt(actual)}"]


PROVENANCE_TYPES: dict[str, type] = {
    "model": str, "agent": str, "reward": str, "episodes": int, "samples_per_decision": int,
    "tasks": list, "task_hashes": dict, "templates": list, "seed": int,
}


def provenance_problems(run: dict[str, Any]) -> list[str]:
    prov = run["provenance"]
    out = [f"provenance.{key} must be a {kind.__name__}" for key, kind in PROVENANCE_TYPES.items()
           if not isinstance(prov.get(key), kind) or isinstance(prov.get(key), bool)]
    if not out and sorted(prov["tasks"]) != sorted(prov["task_hashes"]):
        out.append("provenance.task_hashes must list exactly the tasks of provenance.tasks")
    return out


def sample_problems(published: PublishedRun) -> list[str]:
    """Each sample against the run's task hashes, templates, budget and reward scheme."""
    from harness.grading.rewards import REWARDS, compute_reward

    prov = published.provenance
    hashes: dict[str, str] = prov["task_hashes"]
    templates = set(prov["templates"])
    scheme = prov["reward"]
    out: list[str] = []
    if scheme not in REWARDS:
        out.append(f"provenance.reward {scheme!r} is not a reward scheme of this harness "
                   f"({', '.join(REWARDS)}), so rewards cannot be recomputed")
    seen: set[tuple[int, str, int]] = set()
    for record, line in zip(published.samples, published.lines, strict=True):
        where = f"samples.jsonl line {line}"
        if record.task not in hashes:
            out.append(f"{where}: task_hash {record.task_hash[:12]} of task '{record.task}' cannot be "
                       "resolved: provenance.task_hashes does not list the task")
        elif record.task_hash != hashes[record.task]:
            out.append(f"{where}: task_hash {record.task_hash[:12]} of task '{record.task}' does not "
                       f"match provenance.task_hashes.{record.task} ({hashes[record.task][:12]})")
        if record.phase != "learn":
            if record.episode != EVAL_EPISODES[record.phase]:
                out.append(f"{where}: a {record.phase} answer must have episode "
                           f"{EVAL_EPISODES[record.phase]}, not {record.episode}")
        elif record.template not in templates:
            out.append(f"{where}: template '{record.template}' is not in provenance.templates")
        if record.phase == "learn" and not (0 <= record.episode < prov["episodes"]
                                            and 0 <= record.sample < prov["samples_per_decision"]):
            out.append(f"{where}: (episode {record.episode}, sample {record.sample}) is outside the "
                       "run's provenance.episodes x provenance.samples_per_decision")
        if record.calls < 1:
            out.append(f"{where}: calls must be at least 1, got {record.calls}")
        if record.key in seen:
            out.append(f"{where}: duplicate sample (episode {record.episode}, task '{record.task}', "
                       f"sample {record.sample})")
        seen.add(record.key)
        out.extend(f"{where}: {p}" for p in record_problems(record))
        if scheme in REWARDS:
            result = GradeResult(syntax_ok=record.syntax_ok, status=record.status,
                                 passed=record.passed, total=record.total)
            expected = compute_reward(scheme, result)
            if abs(expected - record.reward) > TOLERANCE:
                out.append(f"{where}: reward claims {fmt(record.reward)}, the '{scheme}' scheme "
                           f"gives {fmt(expected)} for {record.passed}/{record.total} tests")
    expected_n = prov["episodes"] * len(prov["tasks"]) * prov["samples_per_decision"]
    learning = sum(r.phase == "learn" for r in published.samples)
    if learning != expected_n:
        out.append(f"samples.jsonl has {learning} learning samples, the run's provenance "
                   f"(episodes x tasks x samples_per_decision) needs {expected_n}")
    return out


def record_problems(r: SampleRecord) -> list[str]:
    """Fields of one sample that contradict each other (see the sandbox's status rules)."""
    out = []
    if not 0 <= r.passed <= r.total:
        out.append(f"passed {r.passed} is not between 0 and total {r.total}")
    all_passed = r.syntax_ok and r.total > 0 and r.passed == r.total
    if (r.status == "passed") != all_passed:
        out.append(f"status {r.status!r} contradicts {r.passed}/{r.total} tests passed "
                   f"(syntax_ok {str(r.syntax_ok).lower()})")
    if (r.status == "syntax_error") == r.syntax_ok:
        out.append(f"status {r.status!r} contradicts syntax_ok {str(r.syntax_ok).lower()}")
    if r.syntax_ok and len(r.failed_tests) != r.total - r.passed:
        out.append(f"failed_tests lists {len(r.failed_tests)} tests, but {r.total - r.passed} "
                   f"of {r.total} failed")
    return out


def prompt_problems(run: dict[str, Any]) -> list[str]:
    out = []
    for task, best in run["best"].items():
        prompt = best.get("prompt") if isinstance(best, dict) else None
        if not (isinstance(prompt, list) and prompt and all(
                isinstance(m, dict) and isinstance(m.get("role"), str) and isinstance(m.get("content"), str)
                for m in prompt)):
            out.append(f"best.{task}.prompt must be a non-empty list of {{role, content}} messages")
    return out


def verify(published: PublishedRun) -> tuple[dict[str, Any], list[str]]:
    """Recomputed scores and the problems found, each prefixed with the run id."""
    problems = provenance_problems(published.run)
    if problems:
        return {}, [f"{published.run_id}: {p}" for p in problems]
    problems = sample_problems(published)
    scores = claims(published.samples, seed=published.provenance["seed"])
    for section in ("summary", "per_task", "per_template", "best", "evaluation"):
        problems.extend(compare(published.run[section], scores[section], section))
    problems.extend(prompt_problems(published.run))
    return scores, [f"{published.run_id}: {p}" for p in problems]


def check_results(results: Path) -> list[VerifiedRun]:
    """Every published run under `results`, verified; raises listing every problem found."""
    verified: list[VerifiedRun] = []
    problems: list[str] = []
    for folder in run_folders(results):
        try:
            published = load_run(folder)
        except HarnessError as exc:
            problems.append(str(exc))
            continue
        scores, found = verify(published)
        problems.extend(found[:MAX_PER_RUN])
        if len(found) > MAX_PER_RUN:
            problems.append(f"{published.run_id}: ... and {len(found) - MAX_PER_RUN} more problems")
        if not found:
            verified.append(VerifiedRun(published, scores))
    if problems:
        raise HarnessError(f"leaderboard check failed in {results}:\n  " + "\n  ".join(problems))
    return verified
