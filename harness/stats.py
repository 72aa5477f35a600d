"""Small statistics used by reports, the benchmark and the leaderboard."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from harness.sample import Sample


def wilson(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95% Wilson score interval: sane at 0/n and n/n, unlike the normal approximation."""
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k from n samples of which c passed (Chen et al., 2021)."""
    if k > n:
        raise ValueError(f"pass@{k} needs at least {k} samples, got {n}")
    if n - c < k:
        return 1.0
    return 1.0 - math.prod(1.0 - k / i for i in range(n - c + 1, n + 1))


def best_template(candidates: Iterable[tuple[str, float, int]]) -> str:
    """The learned best of (template, mean reward, pulls) candidates: the highest mean,
    ties to more pulls, then to the smaller id. One rule for reports and the leaderboard."""
    return min(candidates, key=lambda c: (-c[1], -c[2], c[0]))[0]


@dataclass(frozen=True)
class GroupStat:
    """Aggregates over the samples of one group (a template, a task, a run)."""

    key: tuple[str, ...]
    n: int
    passed: int
    mean_reward: float
    mean_fraction: float
    syntax_ok_rate: float
    truncated_rate: float
    timeout_rate: float
    mean_tokens: float

    @property
    def pass_rate(self) -> float:
        return self.passed / self.n if self.n else 0.0

    @property
    def interval(self) -> tuple[float, float]:
        return wilson(self.passed, self.n)


def group_stats(rows: Iterable[Sample], keys: Sequence[str]) -> list[GroupStat]:
    """Group samples by the fields named in `keys` and aggregate each group."""
    groups: dict[tuple[str, ...], list[Sample]] = {}
    for row in rows:
        groups.setdefault(tuple(str(getattr(row, k)) for k in keys), []).append(row)
    out = []
    for key, items in sorted(groups.items()):
        n = len(items)
        out.append(GroupStat(
            key=key, n=n,
            passed=sum(r.status == "passed" for r in items),
            mean_reward=sum(r.reward or 0.0 for r in items) / n,
            mean_fraction=sum(r.fraction for r in items) / n,
            syntax_ok_rate=sum(r.status != "syntax_error" for r in items) / n,
            truncated_rate=sum(r.truncated for r in items) / n,
            timeout_rate=sum(r.status == "timeout" for r in items) / n,
            mean_tokens=sum(r.completion_tokens for r in items) / n,
        ))
    return out
