"""Made-up answer tables with known pass probabilities, for tests and quick checks of both
replays when no recorded table is at hand.

`synthetic_table` is a v1 table (template columns, one temperature); `synthetic_v2_table`
adds temperatures and visible-example vectors for the strategy replay. Both draw the
pass probabilities from `synthetic_pass_prob`: content components help or hurt by task
difficulty, the structure a contextual agent can learn once and transfer.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from harness.bench.run_setup import placeholder_task
from harness.bench.table import AnswerTable, GradedAnswer
from harness.errors import HarnessError
from harness.tasks.load import Task

_SYNTHETIC_KINDS = {
    "easy": (("strings", "lists"), "Return the reversed words of a short string of text."),
    "medium": (("parsing", "empty_input"), "Parse the record into fields, handling empty input."),
    "hard": (("dp", "math"), "Compute the minimum cost with dynamic programming over all splits."),
}


def synthetic_tasks(n: int) -> list[Task]:
    """n placeholder tasks cycling easy/medium/hard, with tags and words that reveal the kind."""
    kinds = list(_SYNTHETIC_KINDS)
    out = []
    for i in range(n):
        kind = kinds[i % 3]
        tags, text = _SYNTHETIC_KINDS[kind]
        out.append(placeholder_task(f"synthetic_{i:02d}", kind, tags, f"{text} Variant {i}."))
    return out


# Effect on the pass probability of turning a content component on, by difficulty: the
# structure a contextual agent can learn once and transfer (difficulty is a feature).
_EFFECTS = {
    "easy": {"base": 0.40, "solved_example": 0.00, "examples": 0.30, "edge_cases": 0.05,
             "hints": -0.10},
    "medium": {"base": 0.25, "solved_example": -0.05, "examples": 0.10, "edge_cases": 0.25,
               "hints": 0.05},
    "hard": {"base": 0.10, "solved_example": 0.15, "examples": 0.05, "edge_cases": -0.05,
             "hints": 0.30},
}


def synthetic_pass_prob(
    tasks: Sequence[Task], templates: Sequence[str], seed: int = 0, noise: float = 0.03
) -> np.ndarray:
    """(tasks, templates) probability that an answer passes every test.

    Content components (examples, edge cases, hints, solved example) help or hurt by
    task difficulty, plus a little per-cell noise; templates that are not factored ids
    get noise around the base rate.
    """
    from harness.prompts.space import default_space

    space = default_space()
    names = [c.name for c in space.components]
    rng = np.random.default_rng([seed, 17])
    out = np.zeros((len(tasks), len(templates)))
    for i, task in enumerate(tasks):
        effects = _EFFECTS.get(task.difficulty, _EFFECTS["medium"])
        for j, template_id in enumerate(templates):
            try:
                factors = space.get(template_id).factors
            except HarnessError:
                factors = None
            p = effects["base"]
            if factors is not None:
                p += sum(
                    effects[name] for name, option in zip(names, factors, strict=True)
                    if name in effects and option > 0
                )
            out[i, j] = p + noise * rng.standard_normal()
    return np.clip(out, 0.02, 0.95)


def synthetic_table(
    tasks: Sequence[Task],
    templates: Sequence[str] | None = None,
    samples: int = 10,
    seed: int = 0,
    pass_prob: np.ndarray | None = None,
    tests: int = 6,
) -> AnswerTable:
    """A table of made-up answers with known per-cell pass probabilities (in `meta`).

    An answer is a syntax error (truncated) with probability 0.05, passes every test with
    the cell's pass probability, and otherwise passes a Binomial(tests - 1, 0.3) share,
    roughly the bimodal outcomes real answers show.
    """
    from harness.prompts.space import default_space

    templates = tuple(templates or default_space("content").ids)
    probs = synthetic_pass_prob(tasks, templates, seed) if pass_prob is None else pass_prob
    rng = np.random.default_rng([seed, 29])
    rows: list[GradedAnswer] = []
    for i, task in enumerate(tasks):
        for j, template in enumerate(templates):
            for k in range(samples):
                truncated = rng.random() < 0.05
                solved = not truncated and rng.random() < probs[i, j]
                passed = 0 if truncated else tests if solved else int(rng.binomial(tests - 1, 0.3))
                rows.append(GradedAnswer(
                    task=task.name, task_hash=task.hash, template=template, sample=k,
                    syntax_ok=not truncated,
                    status="syntax_error" if truncated else "passed" if solved else "failed",
                    finish_reason="length" if truncated else "stop",
                    passed=passed, total=tests, completion_tokens=int(rng.integers(60, 400)),
                ))
    meta = {
        "model": "synthetic", "synthetic": True, "seed": seed,
        "tasks": [t.name for t in tasks], "templates": list(templates),
        "pass_prob": np.round(probs, 4).tolist(),
    }
    return AnswerTable.from_rows(rows, meta, where="synthetic table")


def synthetic_v2_table(
    tasks: Sequence[Task],
    templates: Sequence[str],
    temperatures: Sequence[float] = (0.2, 0.8),
    samples: int = 10,
    seed: int = 0,
    pass_prob: np.ndarray | None = None,
    tests: int = 6,
    visible: int = 3,
    visible_agreement: float = 0.9,
) -> AnswerTable:
    """Answers of every (task, template, temperature) cell.

    An answer has no code with probability 0.05; otherwise it passes every hidden test with
    the cell's probability (`pass_prob[task, template]`, lower by 0.05 at temperatures
    above 0.5), else a Binomial(tests - 1, 0.3) share. Each visible example agrees with the
    hidden outcome (pass for a full pass, fail otherwise) with `visible_agreement`, so
    best-of-k on the visible examples helps as much as they predict the hidden tests.
    """
    probs = synthetic_pass_prob(tasks, templates, seed) if pass_prob is None else pass_prob
    rng = np.random.default_rng([seed, 31])
    rows: list[GradedAnswer] = []
    for i, task in enumerate(tasks):
        for j, template in enumerate(templates):
            for temperature in temperatures:
                p = float(np.clip(probs[i, j] - (0.05 if temperature > 0.5 else 0.0), 0.0, 1.0))
                for k in range(samples):
                    missing = rng.random() < 0.05
                    solved = not missing and rng.random() < p
                    passed = (0 if missing else tests if solved
                              else int(rng.binomial(tests - 1, 0.3)))
                    agree = rng.random(visible) < visible_agreement
                    vis = "" if not visible else "".join(
                        "1" if (solved == bool(a)) else "0" for a in agree
                    ) if not missing else "0" * visible
                    rows.append(GradedAnswer(
                        task=task.name, task_hash=task.hash, template=template, sample=k,
                        syntax_ok=not missing, status="syntax_error" if missing else
                        "passed" if solved else "failed",
                        finish_reason="length" if missing else "stop", passed=passed, total=tests,
                        completion_tokens=int(rng.integers(60, 400)),
                        temperature=float(temperature),
                        code="" if missing else f"def {task.entry_point}(x): return {k}",
                        tests="0" * tests if missing else "1" * passed + "0" * (tests - passed),
                        visible=vis, visible_total=visible,
                    ))
    meta = {"model": "synthetic", "synthetic": True, "seed": seed,
            "tasks": [t.name for t in tasks], "templates": [
                f"{a}@t{x:g}" for a in templates for x in temperatures]}
    return AnswerTable.from_rows(rows, meta, where="synthetic v2 table")
