"""Does the arm matter at all? A permutation test per task over the whole table.

Where a task's columns do not differ, no agent can beat uniform on it: the test says
which tasks carry the signal the agents compete for. Both replays report it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from harness.bench.table import AnswerTable


@dataclass(frozen=True)
class TaskSensitivity:
    """Does the template matter on this task? A permutation test over the table."""

    task: str
    best_template: str
    """The per-task oracle."""
    best_mean: float
    worst_mean: float
    headroom: float
    """Oracle mean minus the mean over templates: uniform's regret per pull."""
    f_stat: float
    """One-way F of reward by template."""
    eta2: float
    """Share of reward variance explained by the template."""
    p_value: float
    """Permutation p-value of F (templates shuffled across answers)."""



def sensitivity(
    table: AnswerTable, reward: str = "partial", permutations: int = 2000, seed: int = 0
) -> tuple[TaskSensitivity, ...]:
    """Per task, a permutation test of reward by template (one-way F).

    Where templates do not differ, no agent can beat uniform: this says which tasks
    carry the signal. Shuffling keeps group sizes, so F is monotone in the between-
    template sum of squares and the test compares that.
    """
    rng = np.random.default_rng([seed, 3])
    rewards = table.rewards(reward)
    out = []
    for i, task in enumerate(table.tasks):
        cells = rewards[i]
        y = np.concatenate(cells)
        labels = np.repeat(np.arange(len(cells)), [len(c) for c in cells])
        sizes = np.bincount(labels).astype(float)
        k, n = len(cells), len(y)
        grand = y.mean()
        sst = float(((y - grand) ** 2).sum())

        def ssb(
            sums: np.ndarray, sizes: np.ndarray = sizes, grand: float = grand, n: int = n
        ) -> Any:
            return (sums**2 / sizes).sum(axis=-1) - n * grand**2

        observed = float(ssb(np.bincount(labels, weights=y, minlength=k)))
        shuffled = rng.permuted(np.tile(labels, (permutations, 1)), axis=1)
        offsets = shuffled + k * np.arange(permutations)[:, None]
        sums = np.bincount(offsets.ravel(), weights=np.tile(y, permutations),
                           minlength=k * permutations).reshape(permutations, k)
        null = ssb(sums)
        if sst <= 1e-12 or k < 2 or n <= k:
            f_stat, eta2, p = 0.0, 0.0, 1.0
        else:
            ssw = max(sst - observed, 1e-12)
            f_stat = (observed / (k - 1)) / (ssw / (n - k))
            eta2 = observed / sst
            p = (1 + int((null >= observed - 1e-9).sum())) / (permutations + 1)
        cell_means = np.array([c.mean() for c in cells])
        out.append(TaskSensitivity(
            task=task, best_template=table.templates[int(np.argmax(cell_means))],
            best_mean=float(cell_means.max()), worst_mean=float(cell_means.min()),
            headroom=float(cell_means.max() - cell_means.mean()),
            f_stat=float(f_stat), eta2=float(eta2), p_value=float(p),
        ))
    return tuple(out)
