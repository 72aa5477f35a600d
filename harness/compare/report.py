"""The figures a comparison reports, computed from its results file alone.

Per method and budget, pooled over seeds: task-model and optimiser calls and tokens while
tuning, wall time, held-out partial reward and pass@1 on fresh answers, the rate of answers
without parseable code, the optimiser's own validation score (on the tuning tasks) next to
its fresh score (on the test tasks), and paired differences, against the default template
and between methods, with the two-level bootstrap interval of `harness run`. The units are
(test task, seed) pairs: each seed's answers are its own (the default template is evaluated
per seed), a difference pairs a method's answers with the other side's of the same task and
seed, and only seeds both sides finished enter it; the bootstrap resamples those units, then
answers within each.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from harness.compare.config import base_method
from harness.loop.evaluation import Uplift, uplift


@dataclass(frozen=True)
class MethodRow:
    """One method at one budget, over every seed that finished its evaluation."""

    method: str
    budget: int
    seeds: int
    task_calls: float
    """Task-model calls while tuning, mean over seeds."""
    optimiser_calls: float
    """The optimiser's own calls (reflection, proposals), mean over seeds."""
    task_tokens: float
    """Task-model tokens (prompt and completion) while tuning, mean over seeds."""
    optimiser_tokens: float
    """The optimiser's own tokens (prompt and completion), mean over seeds."""
    refused: float
    """Task-model calls refused for want of budget (the optimiser was told it was spent), mean
    over seeds."""
    optimiser_failed: float
    """The optimiser's own calls the endpoint refused or failed (e.g. a prompt over the
    context), mean over seeds: GEPA skips such a reflection."""
    wall_s: float
    """Tuning wall time, mean over seeds (a run tuned again after its optimiser failed counts
    the failed attempt too: the retry replays its calls from the cache)."""
    eval_wall_s: float
    """Wall time of the final evaluation, mean over seeds."""
    reward: float
    """Held-out partial reward on fresh answers (mean over tasks)."""
    pass_at_1: float
    calls_per_answer: float
    """Model calls per final answer (best-of-k strategies make more than one)."""
    unparseable: float
    """Share of fresh answers with no code the extraction could find."""
    validation: float | None
    """The optimiser's own score of its final prompt on the tuning tasks (mean over seeds)."""
    reward_vs_default: Uplift | None
    pass_vs_default: Uplift | None
    tuning_unparseable: float | None = None
    """DSPy methods: share of task answers while tuning that ChatAdapter could not parse
    (each scored 0 by the optimiser)."""
    dspy_reward: float | None = None
    """DSPy methods: the held-out reward as DSPy would score the same fresh answers (an
    answer ChatAdapter cannot parse scores 0); the harness's extraction is more lenient."""


def unit(task: str, seed: int | None) -> str:
    """A (test task, seed) pair: the unit of every mean and difference."""
    return f"{task}/s{seed}"


def _per_task(runs: list[dict[str, Any]], field: str) -> dict[str, list[float]]:
    """Every run's values of `field` per (test task, seed)."""
    return {unit(task, run["seed"]): [float(x) for x in result[field]]
            for run in runs for task, result in run.get("eval", {}).items()}


def _mean_over_tasks(values: Mapping[str, list[float]]) -> float:
    return float(np.mean([np.mean(v) for v in values.values()])) if values else 0.0


def groups(data: Mapping[str, Any]) -> dict[tuple[str, int], list[dict[str, Any]]]:
    """Finished runs by (method, budget); a run counts once every test task is evaluated."""
    tests = data["config"]["test_tasks"]
    out: dict[tuple[str, int], list[dict[str, Any]]] = defaultdict(list)
    for run in data["runs"].values():
        if not run["tuning"].get("failed") and all(t in run.get("eval", {}) for t in tests):
            out[(run["method"], run["budget"])].append(run)
    return dict(out)


def rows(data: Mapping[str, Any], seed: int = 0) -> list[MethodRow]:
    found = groups(data)
    default = found.get(("default", 0), [])
    d_reward, d_pass = _per_task(default, "rewards"), _per_task(default, "passes")
    out = []
    for (method, budget), runs in sorted(found.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        reward, passes = _per_task(runs, "rewards"), _per_task(runs, "passes")
        calls = _per_task(runs, "calls")
        answers = sum(len(v) for v in reward.values())
        tuning = [r["tuning"] for r in runs]
        validations = [t["validation"] for t in tuning if t.get("validation") is not None]
        vs_default = method != "default" and bool({r["seed"] for r in runs} & {r["seed"] for r in default})
        parsed = [t["unparseable"] for t in tuning if isinstance(t.get("unparseable"), dict)]
        seen = sum(p["parsed"] + p["failed"] for p in parsed)
        native: dict[str, list[float]] = {}
        for run in runs:
            for task, result in run.get("eval", {}).items():
                if "adapter_ok" in result:
                    native[unit(task, run["seed"])] = [
                        r * ok for r, ok in zip(result["rewards"], result["adapter_ok"], strict=True)]
        out.append(MethodRow(
            method=method, budget=budget, seeds=len(runs),
            task_calls=float(np.mean([t["calls"]["task_calls"] for t in tuning])),
            optimiser_calls=float(np.mean([t["calls"]["optimiser_calls"] for t in tuning])),
            task_tokens=float(np.mean([t["calls"]["task_prompt_tokens"]
                                       + t["calls"]["task_completion_tokens"] for t in tuning])),
            optimiser_tokens=float(np.mean([t["calls"]["optimiser_prompt_tokens"]
                                            + t["calls"]["optimiser_completion_tokens"]
                                            for t in tuning])),
            refused=float(np.mean([t["calls"]["refused"] for t in tuning])),
            optimiser_failed=float(np.mean([t["calls"]["optimiser_failed"] for t in tuning])),
            wall_s=float(np.mean([t["wall_s"] + t.get("failed_wall_s", 0.0) for t in tuning])),
            eval_wall_s=float(np.mean([r.get("eval_wall_s", 0.0) for r in runs])),
            reward=_mean_over_tasks(reward), pass_at_1=_mean_over_tasks(passes),
            calls_per_answer=_mean_over_tasks(calls),
            unparseable=sum(r["eval"][t]["unparseable"] for r in runs for t in r["eval"]) / max(1, answers),
            validation=float(np.mean(validations)) if validations else None,
            reward_vs_default=uplift(reward, d_reward, seed) if vs_default else None,
            pass_vs_default=uplift(passes, d_pass, seed) if vs_default else None,
            tuning_unparseable=sum(p["failed"] for p in parsed) / seen if seen else None,
            dspy_reward=_mean_over_tasks(native) if native else None))
    return out


def pairwise(data: Mapping[str, Any], seed: int = 0) -> list[dict[str, Any]]:
    """Every pair of methods at the same budget, the untuned arms of the default template (budget
    0) with every budget: the reward and pass@1 difference (a - b)."""
    found = groups(data)
    out = []
    keys = sorted(k for k in found if k[0] != "default")
    for i, a in enumerate(keys):
        for b in keys[i + 1:]:
            if a[1] != b[1] and 0 not in (a[1], b[1]):
                continue
            ra, rb = _per_task(found[a], "rewards"), _per_task(found[b], "rewards")
            pa, pb = _per_task(found[a], "passes"), _per_task(found[b], "passes")
            out.append({"a": a[0], "b": b[0], "budget": max(a[1], b[1]),
                        "reward": asdict(uplift(ra, rb, seed)), "pass": asdict(uplift(pa, pb, seed))})
    return out


def failures(data: Mapping[str, Any]) -> dict[str, str]:
    """Tuned runs whose optimiser raised, and why."""
    return {key: run["tuning"]["failed"] for key, run in data["runs"].items()
            if run["tuning"].get("failed")}


def prompts(data: Mapping[str, Any]) -> dict[str, Any]:
    """Each tuned run's final prompt: DSPy's instruction, or the harness's strategy per task."""
    out: dict[str, Any] = {}
    for key, run in data["runs"].items():
        tuning = run["tuning"]
        out[key] = tuning.get("instruction") or tuning.get("strategies")
    return out


def curves(data: Mapping[str, Any]) -> dict[str, list[tuple[int, float]]]:
    """Best-so-far of each tuned run's own validation score against calls spent."""
    return {key: [tuple(p) for p in run["tuning"].get("curve", [])]
            for key, run in data["runs"].items() if run["tuning"].get("curve")}


MARGIN = 0.05
"""How far below a DSPy optimiser's held-out reward the harness may be and still match it: the
95% interval of (harness - DSPy) must lie above -MARGIN (a non-inferiority margin, 1/20 of the
reward's range)."""

DSPY_METHODS = ("gepa", "mipro")
"""The optimisers the goal is stated against (`gepa_leaky` sees the hidden tests: not a rival);
their prompts' selection arms (`gepa+best_of_3`) are rivals too."""


@dataclass(frozen=True)
class Verdict:
    """The goal for one harness agent against one DSPy optimiser: at least as good a held-out
    reward, with fewer total calls while tuning. At the same budget, and against a DSPy run
    given a larger budget than the harness's (a harder test for the harness)."""

    harness: str
    dspy: str
    budget: int
    """The harness's budget of task-model calls."""
    reward: Uplift
    """Held-out reward, harness - DSPy, paired per (test task, seed)."""
    harness_calls: float
    """Calls while tuning, task model and optimiser, mean over seeds."""
    dspy_calls: float
    harness_calls_per_answer: float
    """What the final prompt costs at use (a best of k makes up to k calls)."""
    dspy_calls_per_answer: float
    dspy_budget: int = 0
    """DSPy's budget (0: the harness's)."""

    @property
    def outcome(self) -> str:
        """'beats' (interval above 0), 'matches' (above -MARGIN), 'loses' (below 0 and not
        within the margin), or 'unclear' (the interval is too wide to tell)."""
        if self.reward.low > 0:
            return "beats"
        if self.reward.low >= -MARGIN:
            return "matches"
        return "loses" if self.reward.high < 0 else "unclear"

    @property
    def met(self) -> bool:
        return self.outcome in ("beats", "matches") and self.harness_calls < self.dspy_calls


def verdicts(data: Mapping[str, Any], seed: int = 0) -> list[Verdict]:
    """Every (harness agent at its budget, DSPy optimiser at the same or a larger budget) with a
    seed both finished, on those seeds only (each side's calls too); none before."""
    found = groups(data)
    out = []
    for (h, budget) in sorted(k for k in found if k[0].startswith("harness:")):
        rivals = sorted((b, m) for m, b in found if b >= budget and base_method(m) in DSPY_METHODS)
        for dspy_budget, d in rivals:
            both = {r["seed"] for r in found[(h, budget)]} & {r["seed"] for r in found[(d, dspy_budget)]}
            if not both:  # no seed both finished: nothing is paired yet
                continue
            a = [r for r in found[(h, budget)] if r["seed"] in both]
            b = [r for r in found[(d, dspy_budget)] if r["seed"] in both]
            diff = uplift(_per_task(a, "rewards"), _per_task(b, "rewards"), seed)
            out.append(Verdict(h, d, budget, diff, _tuning_calls(a), _tuning_calls(b),
                               _mean_over_tasks(_per_task(a, "calls")),
                               _mean_over_tasks(_per_task(b, "calls")),
                               0 if dspy_budget == budget else dspy_budget))
    return out


def _tuning_calls(runs: list[dict[str, Any]]) -> float:
    """Task-model and optimiser calls while tuning, mean over the runs."""
    return float(np.mean([r["tuning"]["calls"]["task_calls"] + r["tuning"]["calls"]["optimiser_calls"]
                          for r in runs]))


def summary(data: Mapping[str, Any]) -> dict[str, Any]:
    """Everything above, JSON-ready (written next to the raw runs)."""
    return {"rows": [asdict(r) for r in rows(data)], "pairwise": pairwise(data),
            "verdicts": [{**asdict(v), "outcome": v.outcome, "met": v.met} for v in verdicts(data)],
            "prompts": prompts(data), "curves": curves(data), "failures": failures(data)}
