"""Named reward schemes: functions of one `GradeResult`.

The default is "partial" (fraction of tests passed, 0 on a syntax error). With a small
model, all-or-nothing rewards are mostly zeros on harder tasks, so an agent sees almost
no signal; the fraction of tests passed separated templates where pass/fail did not
(is_valid_ipv4: bare prompt 0.10 vs persona+examples+code-only 0.73, FACTS.md). A
syntax error scores 0 because it is usually a truncated answer, which a template
can cause (plan-first prompts hit the token cap) and so should learn to avoid.
"""

from __future__ import annotations

from collections.abc import Callable

from harness.errors import HarnessError
from harness.grading.results import GradeResult

RewardFn = Callable[[GradeResult], float]

REWARDS: dict[str, RewardFn] = {}
"""name -> reward function; filled by `@register_reward`."""

REWARD_RANGES: dict[str, tuple[float, float]] = {}
"""name -> (lowest, highest) reward the scheme can give: Thompson sampling maps rewards onto
[0, 1] with it, the leaderboard scales its learning-curve axes."""

DEFAULT_REWARD = "partial"


def register_reward(
    name: str, low: float = 0.0, high: float = 1.0
) -> Callable[[RewardFn], RewardFn]:
    """Decorator: make a reward scheme selectable by name (`--reward NAME`)."""

    def decorate(fn: RewardFn) -> RewardFn:
        REWARDS[name] = fn
        REWARD_RANGES[name] = (low, high)
        return fn

    return decorate


def all_passed(result: GradeResult) -> bool:
    """Every test ran and returned normally; counts, not status, are authoritative."""
    return result.syntax_ok and result.total > 0 and result.passed == result.total


@register_reward("binary", low=-0.1, high=1.0)
def binary(result: GradeResult) -> float:
    """The motivating scheme: 1.0 for syntactically correct code passing all tests, else -0.1."""
    return 1.0 if all_passed(result) else -0.1


@register_reward("partial")
def partial(result: GradeResult) -> float:
    """Fraction of tests passed; 0.0 on a syntax error. The default (see module docstring)."""
    return result.fraction if result.syntax_ok else 0.0


@register_reward("shaped")
def shaped(result: GradeResult) -> float:
    """Ordered outcomes: syntax error 0.0 < ran but passed nothing 0.1 < some 0.2-0.8 < all 1.0."""
    if not result.syntax_ok:
        return 0.0
    if all_passed(result):
        return 1.0
    if result.passed == 0:
        return 0.1
    return 0.2 + 0.6 * result.fraction


def get_reward(name: str) -> RewardFn:
    try:
        return REWARDS[name]
    except KeyError:
        raise HarnessError(
            f"unknown reward '{name}'; valid rewards: {', '.join(REWARDS)} (default {DEFAULT_REWARD})"
        ) from None


def compute_reward(name: str, result: GradeResult) -> float:
    if result.infra:
        raise HarnessError(f"no reward for an infrastructure failure ({result.message})")
    return float(get_reward(name)(result))


def lowest_reward() -> float:
    """The lowest reward any registered scheme gives: where a Beta posterior's 0 sits."""
    return min(low for low, _ in REWARD_RANGES.values())
