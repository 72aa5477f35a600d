"""The harness's side: an agent learns over the strategy space on the tuning tasks, within a
budget of task-model calls, through the very `Executor` and grader `harness run` uses.

Each round makes one decision per tuning task (as an episode of `harness run` does); a
decision is started only while the budget still covers the chosen strategy's most
expensive case (`Strategy.max_calls`), so the budget is never overrun and may be left
partly unspent. The agent learns the reward less `call_price` per extra call, as in a run.
What it recommends for a test task it has never seen comes from the task's features alone
(contextual agents pool what they learned across tasks). A round's answers are learned in the
order they were asked for, not the order they arrive, so a rerun of a stopped tuning makes
the same choices and is answered from the run store's cache.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from harness.agents import agent_class, make_agent
from harness.agents.features import FEATURE_DIM, TaskHistory, make_context
from harness.errors import HarnessError, SandboxError
from harness.grading.rewards import compute_reward
from harness.loop.strategies import Answer, Executor, Strategy, StrategySpace
from harness.tasks.load import Task

LEARN_INDEX = 0
"""First sample index of the learning answers (the final evaluation uses its own range)."""


def tune_harness(agent_name: str, tune: Sequence[Task], test: Sequence[Task], space: StrategySpace,
                 executor: Executor, budget: int, seed: int, call_price: float,
                 parallel: int = 4, reward: str = "partial") -> dict[str, Any]:
    """Learn within `budget` task-model calls (the executor's client counts them and refuses
    any past the budget); the recommended strategy per test task, the in-sample score of what
    it would recommend per tuning task, and best-so-far per round."""
    if not agent_class(agent_name).contextual:
        raise HarnessError(f"agent '{agent_name}' learns per task and cannot recommend a strategy for "
                           "an unseen test task; use a contextual one (factored, linucb, ppo)")
    arm_ids = list(space.ids)
    per_task = max(1, budget // max(1, len(tune)))
    agent = make_agent(agent_name, space.arm_space(), FEATURE_DIM, seed,
                       **agent_class(agent_name).sized_for(per_task, len(tune)))
    history = {t.name: TaskHistory() for t in tune}
    slots: Counter[tuple[str, str, float]] = Counter()
    rewards: dict[tuple[str, str], list[float]] = defaultdict(list)
    curve: list[tuple[int, float]] = []
    committed = 0  # calls made plus the worst case of the decisions in flight
    used = 0

    def validation() -> float | None:
        """The harness's own score, as the optimisers report theirs: the in-sample reward, on
        the tuning tasks, of what it would recommend for a task it has not seen (what the test
        tasks get), averaged over the tuning tasks where that strategy has answers."""
        scores = []
        for task in tune:
            arm = arm_ids[agent.best(make_context(task, TaskHistory()))]
            if rewards[(task.name, arm)]:
                scores.append(sum(rewards[(task.name, arm)]) / len(rewards[(task.name, arm)]))
        return sum(scores) / len(scores) if scores else None

    with ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
        exhausted = False
        while not exhausted:
            pending: dict[Future[Answer], tuple[Task, Strategy]] = {}
            for task in tune:
                arm = arm_ids[agent.choose(make_context(task, history[task.name]))]
                strategy = space.get(arm)
                if committed + strategy.max_calls > budget:
                    exhausted = True
                    break
                committed += strategy.max_calls
                key = (task.name, strategy.template, strategy.temperature)
                index = LEARN_INDEX + slots[key]
                slots[key] += strategy.draws
                pending[pool.submit(executor.run, task, strategy, index)] = (task, strategy)
            if not pending:
                break
            for future, (task, strategy) in pending.items():  # in the order they were asked for
                answer = future.result()
                if answer.result.infra:
                    raise SandboxError(f"the sandbox failed on {task.name}: {answer.result.message}")
                committed -= strategy.max_calls - answer.calls
                used += answer.calls
                value = compute_reward(reward, answer.result)
                net = value - call_price * (answer.calls - 1)
                agent.update(make_context(task, history[task.name]), arm_ids.index(strategy.id), net)
                history[task.name] = history[task.name].add(net)
                rewards[(task.name, strategy.id)].append(value)
            agent.settle()
            score = validation()
            if score is not None:
                curve.append((used, max(score, curve[-1][1]) if curve else score))
    recommended = {t.name: arm_ids[agent.best(make_context(t, TaskHistory()))] for t in test}
    tuned = {t.name: arm_ids[agent.best(make_context(t, history[t.name]))] for t in tune}
    return {"strategies": recommended, "tune_strategies": tuned, "validation": validation(),
            "curve": curve, "task_calls_used": used, "agent": agent_name}
