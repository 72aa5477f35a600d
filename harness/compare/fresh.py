"""The final evaluation every method gets: fresh answers of its final prompt on the test tasks.

The same path for all: the harness's `Executor` (its prompt rendering, code extraction,
visible-example selection where a strategy asks for it, sandbox grading), the same sampling
seed and, within one seed, the same sample indices per task, so two methods of that seed that
end on the same prompt get the very same answers (paired, common random numbers). Each seed
draws from its own range of indices: two seeds that end on the same prompt get different
answers, so pooling seeds never counts one answer twice. None of these answers was seen
while tuning (their indices start far from any tuning answer's).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from harness.errors import HarnessError, SandboxError
from harness.grading.rewards import compute_reward
from harness.loop.strategies import Answer, Executor, StrategySpace
from harness.tasks.load import Task

EVAL_INDEX = 3_000_000
"""First sample index of the final evaluation's answers (seed 0)."""
SEED_STRIDE = 10_000
"""Sample indices per seed: seed s evaluates from EVAL_INDEX + s * SEED_STRIDE."""
EVAL_SEED = 424_242
"""Sampling seed of every method's final evaluation (the same for all of them)."""


def first_index(seed: int) -> int:
    """Where a seed's evaluation answers start."""
    return EVAL_INDEX + seed * SEED_STRIDE


def evaluate_task(task: Task, strategy_id: str, space: StrategySpace, executor: Executor,
                  answers: int, seed: int = 0, parallel: int = 4, reward: str = "partial",
                  on_answer: Callable[[], None] = lambda: None,
                  adapter_parses: Callable[[str], bool] | None = None) -> dict[str, Any]:
    """`answers` fresh answers of one strategy on one task: rewards, passes, calls, tokens and
    how many had no code the extraction could find; for a DSPy prompt, also which answers
    DSPy's own adapter could parse (`adapter_parses`)."""
    strategy = space.get(strategy_id)
    if answers * strategy.draws > SEED_STRIDE:
        raise HarnessError(f"--answers {answers}: at most {SEED_STRIDE // strategy.draws} fresh answers per "
                           f"task for {strategy_id}")

    def one(j: int) -> Answer:
        answer = executor.run(task, strategy, first_index(seed) + j * strategy.draws)
        if answer.result.infra:
            raise SandboxError(f"the sandbox failed on {task.name}: {answer.result.message}")
        on_answer()
        return answer

    pool = ThreadPoolExecutor(max_workers=max(1, parallel))
    try:
        done: Sequence[Answer] = list(pool.map(one, range(answers)))
    except BaseException:  # Ctrl-C or a failure: the answers in flight finish, no new one starts
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()
    extra = {} if adapter_parses is None else {"adapter_ok": [adapter_parses(a.text) for a in done]}
    return {
        **extra,
        "strategy": strategy_id,
        "rewards": [compute_reward(reward, a.result) for a in done],
        "passes": [a.result.status == "passed" for a in done],
        "calls": [a.calls for a in done],
        "completion_tokens": sum(a.completion_tokens for a in done),
        "unparseable": sum(not a.code for a in done),
        "syntax_errors": sum(not a.result.syntax_ok for a in done),
        "finish_length": sum(a.finish_reason == "length" for a in done),
    }
