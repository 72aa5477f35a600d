"""Made-up v2 tables (temperatures, visible-example vectors) with known pass probabilities.

For tests and quick checks of the strategy replay when no recorded table is at hand.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from harness.bench.replay import Response, ResponseTable, synthetic_pass_prob
from harness.tasks.load import Task


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
) -> ResponseTable:
    """Answers of every (task, template, temperature) cell.

    An answer has no code with probability 0.05; otherwise it passes every hidden test with
    the cell's probability (`pass_prob[task, template]`, lower by 0.05 at temperatures
    above 0.5), else a Binomial(tests - 1, 0.3) share. Each visible example agrees with the
    hidden outcome (pass for a full pass, fail otherwise) with `visible_agreement`, so
    best-of-k on the visible examples helps as much as they predict the hidden tests.
    """
    probs = synthetic_pass_prob(tasks, templates, seed) if pass_prob is None else pass_prob
    rng = np.random.default_rng([seed, 31])
    rows: list[Response] = []
    for i, task in enumerate(tasks):
        for j, template in enumerate(templates):
            for temperature in temperatures:
                p = float(np.clip(probs[i, j] - (0.05 if temperature > 0.5 else 0.0), 0.0, 1.0))
                for k in range(samples):
                    missing = rng.random() < 0.05
                    solved = not missing and rng.random() < p
                    passed = 0 if missing else tests if solved else int(rng.binomial(tests - 1, 0.3))
                    agree = rng.random(visible) < visible_agreement
                    vis = "" if not visible else "".join(
                        "1" if (solved == bool(a)) else "0" for a in agree
                    ) if not missing else "0" * visible
                    rows.append(Response(
                        task=task.name, task_hash=task.hash, template=template, sample=k,
                        syntax_ok=not missing, status="syntax_error" if missing else
                        "passed" if solved else "failed",
                        finish_reason="length" if missing else "stop", passed=passed, total=tests,
                        completion_tokens=int(rng.integers(60, 400)), temperature=float(temperature),
                        code="" if missing else f"def {task.entry_point}(x): return {k}",
                        tests="0" * tests if missing else "1" * passed + "0" * (tests - passed),
                        visible=vis, visible_total=visible,
                    ))
    meta = {"model": "synthetic", "synthetic": True, "seed": seed,
            "tasks": [t.name for t in tasks], "templates": [
                f"{a}@t{x:g}" for a in templates for x in temperatures]}
    return ResponseTable.from_rows(rows, meta, where="synthetic v2 table")
