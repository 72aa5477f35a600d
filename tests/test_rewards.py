"""Reward schemes: values, ordering, and errors on unknown names."""

from __future__ import annotations

import pytest

from harness.errors import HarnessError
from harness.grading.results import GradeResult
from harness.grading.results import TestResult as Outcome  # not collected as a test class
from harness.grading.rewards import (
    DEFAULT_REWARD,
    REWARD_RANGES,
    REWARDS,
    compute_reward,
    get_reward,
)


def graded(passed: int, total: int = 7, syntax_ok: bool = True, status: str = "") -> GradeResult:
    tests = tuple(Outcome(f"test_{i}", "passed" if i < passed else "failed") for i in range(total))
    if not status:
        status = "passed" if passed == total else "failed"
    return GradeResult(syntax_ok, status, tests, passed, total)


SYNTAX_ERROR = GradeResult(False, "syntax_error", (), 0, 7)
CRASHED = graded(0, status="crashed")
TIMEOUT = graded(0, status="timeout")
SOME = graded(3)
ALL = graded(7)


def test_registry_and_default() -> None:
    assert {"binary", "partial", "shaped"} <= set(REWARDS)
    assert DEFAULT_REWARD == "partial"
    assert set(REWARD_RANGES) == set(REWARDS)


def test_binary_is_the_motivating_example() -> None:
    assert compute_reward("binary", ALL) == 1.0
    for result in (SYNTAX_ERROR, CRASHED, TIMEOUT, SOME, graded(6)):
        assert compute_reward("binary", result) == -0.1


def test_binary_needs_tests_to_have_run() -> None:
    assert compute_reward("binary", graded(0, total=0, status="passed")) == -0.1


def test_counts_not_status_decide() -> None:
    # A program that crashed after every test returned normally keeps its credit...
    assert compute_reward("binary", graded(7, status="crashed")) == 1.0
    # ...and a status that claims success without passed tests earns none.
    assert compute_reward("binary", graded(2, status="passed")) == -0.1


def test_partial_is_the_fraction_passed() -> None:
    assert compute_reward("partial", SOME) == pytest.approx(3 / 7)
    assert compute_reward("partial", ALL) == 1.0
    assert compute_reward("partial", CRASHED) == 0.0
    assert compute_reward("partial", GradeResult(False, "syntax_error", (), 5, 7)) == 0.0


def test_shaped_orders_outcomes() -> None:
    values = [
        compute_reward("shaped", r)
        for r in (SYNTAX_ERROR, CRASHED, graded(1), SOME, graded(6), ALL)
    ]
    assert values == sorted(values) and len(set(values)) == len(values)
    assert values[0] == 0.0 and values[1] == 0.1 and values[-1] == 1.0
    assert compute_reward("shaped", TIMEOUT) == compute_reward("shaped", CRASHED)


@pytest.mark.parametrize("name", sorted(REWARDS))
def test_rewards_stay_in_range_and_grow_with_passed_tests(name: str) -> None:
    low, high = REWARD_RANGES[name]
    values = [compute_reward(name, graded(k)) for k in range(8)]
    assert values == sorted(values)
    assert all(low <= v <= high for v in [*values, compute_reward(name, SYNTAX_ERROR)])


def test_unknown_reward_lists_the_valid_names() -> None:
    with pytest.raises(HarnessError, match="binary.*partial.*shaped"):
        get_reward("nope")
    with pytest.raises(HarnessError):
        compute_reward("nope", ALL)
