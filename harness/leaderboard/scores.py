"""Every leaderboard number, computed in one place from sample records.

`publish` uses these functions to write the claims in run.json and `check` uses
the very same functions to recompute them from samples.jsonl, so a claim can
only pass if it follows from the published samples.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from harness.leaderboard.records import SampleRecord
from harness.stats import best_template, wilson

DIGITS = 6
"""Floats are published rounded to this many decimals; checks allow that much slack."""


def rnd(value: float) -> float:
    return round(float(value), DIGITS)


@dataclass(frozen=True)
class Scores:
    """Aggregates over a group of samples (a run, a task, a template).

    pass_rate is pass@1 estimated as passed / samples (the unbiased estimator for
    k=1), with its 95% Wilson interval; mean_partial_credit is the mean share of
    tests passed, which separates prompts where all-or-nothing does not.
    """

    samples: int
    passed: int
    pass_rate: float
    pass_rate_ci95: tuple[float, float]
    syntax_valid_rate: float
    mean_partial_credit: float
    timeout_rate: float
    mean_reward: float
    completion_tokens: int
    mean_completion_tokens: float
    prompt_tokens: int

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["pass_rate_ci95"] = list(self.pass_rate_ci95)
        return data


def score(records: Sequence[SampleRecord]) -> Scores:
    n = len(records)
    passed = sum(r.status == "passed" for r in records)
    lo, hi = wilson(passed, n)

    def mean(values: Iterable[float]) -> float:
        return rnd(sum(values) / n) if n else 0.0

    completion = sum(r.completion_tokens for r in records)
    return Scores(
        samples=n, passed=passed, pass_rate=rnd(passed / n) if n else 0.0,
        pass_rate_ci95=(rnd(lo), rnd(hi)),
        syntax_valid_rate=mean(float(r.syntax_ok) for r in records),
        mean_partial_credit=mean(r.fraction for r in records),
        timeout_rate=mean(float(r.status == "timeout") for r in records),
        mean_reward=mean(r.reward for r in records),
        completion_tokens=completion, mean_completion_tokens=mean(r.completion_tokens for r in records),
        prompt_tokens=sum(r.prompt_tokens for r in records),
    )


def grouped(records: Iterable[SampleRecord],
            key: Callable[[SampleRecord], str]) -> dict[str, list[SampleRecord]]:
    groups: dict[str, list[SampleRecord]] = defaultdict(list)
    for r in records:
        groups[key(r)].append(r)
    return dict(sorted(groups.items()))


@dataclass(frozen=True)
class Best:
    """The learned best template of a task: highest mean reward, ties to more pulls, then id."""

    template: str
    mean_reward: float
    pulls: int
    pass_rate: float


def best_templates(records: Iterable[SampleRecord]) -> dict[str, Best]:
    """Per task, the template the samples favour.

    The empirical best (not the agent's internal belief) is published because
    anyone can recompute it from samples.jsonl; for the agents here both agree
    once a template has been pulled a few times.
    """
    out: dict[str, Best] = {}
    for task, items in grouped(records, lambda r: r.task).items():
        scores = {t: score(rows) for t, rows in grouped(items, lambda r: r.template).items()}
        template = best_template((t, s.mean_reward, s.samples) for t, s in scores.items())
        s = scores[template]
        out[task] = Best(template, s.mean_reward, s.samples, s.pass_rate)
    return out


def claims(records: Sequence[SampleRecord], seed: int = 0) -> dict[str, Any]:
    """The scores run.json claims: summary, per_task, per_template, best (without prompts)
    over the learning answers, and the evaluation over the fresh ones (None without any)."""
    learning = [r for r in records if r.phase == "learn"]
    return {
        "summary": score(learning).to_dict(),
        "per_task": {k: score(v).to_dict() for k, v in grouped(learning, lambda r: r.task).items()},
        "per_template": {k: score(v).to_dict()
                         for k, v in grouped(learning, lambda r: r.template).items()},
        "best": {k: asdict(v) for k, v in best_templates(learning).items()},
        "evaluation": evaluation_claim(records, seed),
    }


def mean_calls(records: Sequence[SampleRecord]) -> float:
    return rnd(sum(r.calls for r in records) / len(records)) if records else 0.0


def evaluation_claim(records: Sequence[SampleRecord], seed: int = 0) -> dict[str, Any] | None:
    """Fresh answers of the learned strategy against the default template, task by task: the
    scores of each side, and the paired uplift with the run's own two-level bootstrap."""
    from harness.loop.evaluation import uplift

    learned = grouped((r for r in records if r.phase == "eval_learned"), lambda r: r.task)
    default = grouped((r for r in records if r.phase == "eval_default"), lambda r: r.task)
    names = sorted(set(learned) & set(default))
    if not names:
        return None

    def passes(items: list[SampleRecord]) -> list[float]:
        return [float(r.status == "passed") for r in items]

    def rewards(items: list[SampleRecord]) -> list[float]:
        return [r.reward for r in items]

    tasks = {t: {"learned": learned[t][0].template, "default": default[t][0].template,
                 "n": min(len(learned[t]), len(default[t])),
                 "learned_pass": score(learned[t]).pass_rate, "default_pass": score(default[t]).pass_rate,
                 "learned_reward": score(learned[t]).mean_reward,
                 "default_reward": score(default[t]).mean_reward,
                 "learned_calls": mean_calls(learned[t]), "default_calls": mean_calls(default[t])}
             for t in names}
    both = [(learned[t], default[t]) for t in names]
    ups = {}
    for key, values in (("pass_uplift", passes), ("reward_uplift", rewards)):
        up = uplift({t: values(a) for t, (a, _) in zip(names, both, strict=True)},
                    {t: values(b) for t, (_, b) in zip(names, both, strict=True)}, seed)
        ups[key] = {"diff": rnd(up.diff), "low": rnd(up.low), "high": rnd(up.high)}
    pooled_learned = [r for t in names for r in learned[t]]
    pooled_default = [r for t in names for r in default[t]]
    return {"tasks": tasks, **ups,
            "learned": {**score(pooled_learned).to_dict(), "calls": mean_calls(pooled_learned)},
            "default": {**score(pooled_default).to_dict(), "calls": mean_calls(pooled_default)}}


@dataclass(frozen=True)
class CurvePoint:
    """Mean reward of one template's samples in one episode (all tasks pooled)."""

    episode: int
    mean_reward: float
    samples: int


def learning_curves(records: Iterable[SampleRecord]) -> dict[str, list[CurvePoint]]:
    """Per template, its mean reward per episode; key "" holds all templates pooled."""
    by: dict[tuple[str, int], list[float]] = defaultdict(list)
    for r in records:
        by[(r.template, r.episode)].append(r.reward)
        by[("", r.episode)].append(r.reward)
    curves: dict[str, list[CurvePoint]] = defaultdict(list)
    for (template, episode), rewards in sorted(by.items()):
        curves[template].append(CurvePoint(episode, sum(rewards) / len(rewards), len(rewards)))
    return dict(curves)
