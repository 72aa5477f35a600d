"""The main job: an agent picks strategies, the LLM answers, the sandbox grades, the agent learns.

An episode is one round over the chosen tasks: for each task the agent picks
a strategy (template, temperature, selection; see strategies.py) and K samples
are produced with it. The agent learns each sample's reward minus
`call_price` per extra call. After the last episode the run draws fresh answers
(never the ones it learned from) of the learned strategy and of the default
template, so the uplift it reports is out of sample. Generation and grading
overlap: up to `concurrency` requests are always in flight while finished
answers are graded on the warm pool, so the LLM never waits for the sandbox.
Every graded sample is written to the run store as it arrives; a killed run
resumes from there (recorded samples are replayed into the agent, nothing is
generated or counted twice).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from typing import Any

from harness.agents import agent_class, make_agent
from harness.agents.base import Agent, Context
from harness.agents.features import TaskHistory, make_context
from harness.errors import HarnessError, SandboxError
from harness.grading.results import GradeResult
from harness.grading.rewards import compute_reward
from harness.llm.client import LLM, GenerationParams
from harness.loop.options import RunOptions
from harness.loop.strategies import DEFAULT_TEMPLATE, Executor, Strategy, StrategySpace
from harness.sample import EVAL_EPISODES, Phase, Sample
from harness.store import Store
from harness.tasks.load import Task

_OPTIONS = RunOptions()  # the defaults, declared once in harness/loop/options.py

INFRA_LIMIT = 3
"""Sandbox failures in a row (each already retried on fresh workers) that stop a run."""


@dataclass(frozen=True)
class RunConfig:
    """Everything that defines a run; its hash is the run id, so an identical run is found again."""

    tasks: tuple[str, ...]
    """Task names, in order."""
    agent: str = _OPTIONS.agent
    """Agent that chooses templates (see `harness agents`)."""
    episodes: int = _OPTIONS.episodes
    """Rounds over the tasks; each round makes one decision per task."""
    samples: int = _OPTIONS.samples
    """Answers generated per decision (same template)."""
    reward: str = _OPTIONS.reward
    """Reward scheme over the graded result."""
    seed: int = _OPTIONS.seed
    """Seeds the agent and the endpoint's sampling."""
    templates: tuple[str, ...] = ()
    """Strategy ids the agent chooses among (a bare template id: one call at the run's
    temperature)."""
    model: str = ""
    """Model id as the endpoint knows it."""
    endpoint: str = ""
    """Endpoint identity for provenance: the URL, or the embedded model and its hash (not its port)."""
    params: GenerationParams = field(default_factory=GenerationParams)
    """Sampling parameters."""
    task_hashes: tuple[str, ...] = ()
    """Content hashes of the tasks, in the order of `tasks`."""
    call_price: float = _OPTIONS.call_price
    """Reward the agent gives up per call beyond the first: a best-of-3 that makes three calls
    must gain 0.04 reward to beat one call. 0 ignores cost. Stored rewards stay undiscounted."""
    eval_samples: int = _OPTIONS.eval_samples
    """Fresh answers per task of the learned strategy and of the default template after
    learning (0 skips the evaluation)."""

    agent_options: tuple[tuple[str, str], ...] = ()
    """`--agent-opt KEY=VALUE` overrides of the agent's Config fields, sorted by key."""

    def run_id(self) -> str:
        data = asdict(self)
        if not self.agent_options:  # runs from before the field existed keep their ids
            del data["agent_options"]
        digest = hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()
        return f"run-{digest[:12]}"


Job = tuple[int, Task, int, str, int, Phase]
"""One sample to produce: (episode, task, sample index, strategy id, first call index, phase)."""

EVAL_INDEX: dict[Phase, int] = {"eval_learned": 2_000_000, "eval_default": 1_000_000}
"""First sample index of each evaluation stream: far from any learning answer's."""


@dataclass
class Progress:
    """Live figures for the progress display."""

    done: int = 0
    total: int = 0
    episode: int = 0
    passed: int = 0
    fresh_tokens: int = 0
    started: float = field(default_factory=time.perf_counter)
    best: str = "-"
    infra: int = 0
    """Sandbox failures (retried, never scored)."""
    calls: int = 0
    """Model calls behind the recorded samples (cached ones included: the strategies' cost)."""
    llm_s: float = 0.0
    sandbox_s: float = 0.0
    agent_s: float = 0.0

    @property
    def pass_rate(self) -> float:
        return self.passed / self.done if self.done else 0.0

    @property
    def tokens_per_s(self) -> float:
        elapsed = time.perf_counter() - self.started
        return self.fresh_tokens / elapsed if elapsed > 0 else 0.0


class Runner:
    """Drives one run to completion (or to a clean stop), writing everything to the store."""

    def __init__(self, config: RunConfig, tasks: list[Task], space: StrategySpace, llm: LLM,
                 grade: Callable[[Task, str], GradeResult], store: Store, agent: Agent,
                 run_id: str, concurrency: int = 4,
                 on_progress: Callable[[Progress], None] | None = None) -> None:
        self.config = config
        self.tasks = tasks
        self.space = space
        self.llm = llm
        self.grade = grade
        self.store = store
        self.agent = agent
        self.concurrency = concurrency
        self.on_progress = on_progress or (lambda p: None)
        self.run_id = run_id
        self.arm_ids = list(space.ids)
        self.history: dict[str, TaskHistory] = {t.name: TaskHistory() for t in tasks}
        self.progress = Progress(total=config.episodes * len(tasks) * config.samples)
        self.stop_requested = False
        self.infra_streak = 0
        self.executor = Executor(llm, self._grade_timed, space.templates)

    def _grade_timed(self, task: Task, code: str) -> GradeResult:
        t0 = time.perf_counter()
        try:
            return self.grade(task, code)
        finally:
            self.progress.sandbox_s += time.perf_counter() - t0

    # -- agent plumbing
    def context(self, task: Task) -> Context:
        return make_context(task, self.history[task.name])

    def net(self, reward: float, calls: int) -> float:
        """What the agent learns: the reward less the price of the calls beyond the first."""
        return reward - self.config.call_price * (calls - 1)

    def learn(self, task: Task, arm: str, reward: float, calls: int) -> None:
        t0 = time.perf_counter()
        net = self.net(reward, calls)
        self.agent.update(self.context(task), self.arm_ids.index(arm), net)
        self.history[task.name] = self.history[task.name].add(net)
        self.progress.agent_s += time.perf_counter() - t0

    def _reserve(self, slots: Counter[tuple[str, str, float]], task: Task, strategy: Strategy) -> int:
        """Sample indices for one use of a strategy: each call of the cell gets its own."""
        key = (task.name, strategy.template, strategy.temperature)
        index = slots[key]
        slots[key] += strategy.draws
        return index

    # -- the loop
    def run(self) -> str:
        """Run (or resume) to the end; returns the final status: finished or stopped."""
        recorded = self.store.samples(self.run_id)
        done_keys = {(r.episode, r.task, r.sample) for r in recorded}
        chosen: dict[tuple[int, str], str] = {}
        slots: Counter[tuple[str, str, float]] = Counter()
        by_name = {t.name: t for t in self.tasks}
        for row in recorded:  # replay what a killed run already learned
            chosen[(row.episode, row.task)] = row.template
            if row.task in by_name and row.template in self.arm_ids:
                self._reserve(slots, by_name[row.task], self.space.get(row.template))
                self.learn(by_name[row.task], row.template, row.reward or 0.0, row.calls)
            self._count(row.status, 0, row.calls)
        decisions = [(e, t) for e in range(self.config.episodes) for t in self.tasks]

        def plan() -> Iterator[Job]:
            for episode, task in decisions:
                self.progress.episode = episode + 1
                missing = [k for k in range(self.config.samples)
                           if (episode, task.name, k) not in done_keys]
                if not missing:
                    continue
                arm = chosen.get((episode, task.name)) or self._choose(task)
                strategy = self.space.get(arm)
                for k in missing:
                    yield (episode, task, k, arm, self._reserve(slots, task, strategy), "learn")

        status = self._drain(plan(), learn=True)
        if status == "finished" and self.config.eval_samples > 0:
            status = self._drain(self._eval_jobs(), learn=False)
        return status

    def _eval_jobs(self) -> Iterator[Job]:
        """Fresh answers of the learned strategy and of the default template, per task."""
        recorded = {(r.episode, r.task, r.sample) for r in self.store.samples(self.run_id, phase=None)}
        default = Strategy(DEFAULT_TEMPLATE, self.config.params.temperature, "single").id
        self.agent.settle()  # the recommendation from everything learned, none of it lagging
        for task in self.tasks:
            learned = self.arm_ids[self.agent.best(self.context(task))]
            sides: tuple[tuple[Phase, str], ...] = (("eval_learned", learned), ("eval_default", default))
            for phase, arm in sides:
                strategy = self.space.get(arm)
                for j in range(self.config.eval_samples):
                    if (EVAL_EPISODES[phase], task.name, j) not in recorded:
                        yield (EVAL_EPISODES[phase], task, j, arm,
                               EVAL_INDEX[phase] + j * strategy.draws, phase)

    def _drain(self, jobs: Iterator[Job], learn: bool) -> str:
        """Keep `concurrency` samples in flight until `jobs` runs out or a stop is asked."""
        pending: dict[Future[Sample], Job] = {}
        executor = ThreadPoolExecutor(max_workers=self.concurrency + 2, thread_name_prefix="sample")
        exhausted = False
        try:
            while not exhausted or pending:
                while not exhausted and len(pending) < self.concurrency and not self.stop_requested:
                    job = next(jobs, None)
                    if job is None:
                        exhausted = True
                        break
                    pending[executor.submit(self._sample, *job)] = job
                if not pending:
                    break
                finished, _ = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
                for future in finished:
                    job = pending.pop(future)
                    task, arm = job[1], job[3]
                    row = future.result()
                    if row.result.infra:  # the sandbox failed, not the code: count it, try again
                        self._infra_failure(row)
                        pending[executor.submit(self._sample, *job)] = job
                        continue
                    self.infra_streak = 0
                    if self.store.add_sample(self.run_id, row) and learn:
                        assert row.reward is not None
                        self.learn(task, arm, row.reward, row.calls)
                        self._count(row.result.status, 0 if row.cached else row.completion_tokens,
                                    row.calls)
                        self.on_progress(self.progress)
        except KeyboardInterrupt:
            self.stop_requested = True
            for future in pending:
                future.cancel()
            raise
        finally:
            executor.shutdown(wait=False, cancel_futures=True)
            if learn:
                self.store.put_policy(self.policy_key(), self.agent.name, self.agent.state())
        return "stopped" if self.stop_requested and not exhausted else "finished"

    def _choose(self, task: Task) -> str:
        t0 = time.perf_counter()
        arm = self.agent.choose(self.context(task))
        best = self.arm_ids[self.agent.best(self.context(task))]
        self.progress.agent_s += time.perf_counter() - t0
        self.progress.best = best
        return self.arm_ids[arm]

    def _infra_failure(self, row: Sample) -> None:
        self.store.add_infra_failure(self.run_id, row.task, row.template, row.result.message)
        self.progress.infra += 1
        self.infra_streak += 1
        if self.infra_streak >= INFRA_LIMIT:
            raise SandboxError(
                f"the sandbox failed {self.infra_streak} times in a row ({row.result.message}); "
                "nothing was scored for it. Check Docker with `harness sandbox doctor`, then "
                f"continue with `harness run --resume {self.run_id}`")

    def _count(self, status: str, tokens: int, calls: int) -> None:
        self.progress.done += 1
        self.progress.passed += status == "passed"
        self.progress.fresh_tokens += tokens
        self.progress.calls += calls

    def _sample(self, episode: int, task: Task, k: int, arm: str, index: int, phase: Phase) -> Sample:
        t0 = time.perf_counter()
        answer = self.executor.run(task, self.space.get(arm), index)
        self.progress.llm_s += time.perf_counter() - t0  # wall time of the whole strategy
        return Sample(
            episode=episode, task=task.name, sample=k, task_hash=task.hash, template=arm,
            llm_key=answer.llm_key, response=answer.text, code=answer.code,
            finish_reason=answer.finish_reason, completion_tokens=answer.completion_tokens,
            cached=answer.cached, result=answer.result,
            reward=None if answer.result.infra else compute_reward(self.config.reward, answer.result),
            calls=answer.calls, visible=answer.visible, phase=phase,
        )

    def policy_key(self) -> str:
        return policy_key(self.config)


def policy_key(config: RunConfig) -> str:
    """Policies warm-start runs that share agent, model, arms and reward."""
    arms = hashlib.sha256(",".join(config.templates).encode()).hexdigest()[:10]
    return f"{config.agent}|{config.model}|{arms}|{config.reward}"


def build_agent(config: RunConfig, space: StrategySpace, store: Store,
                warm_start: bool) -> tuple[Agent, bool]:
    """The run's agent, and whether it was warm-started from the policy stored by earlier runs
    of the same agent, model, arms and reward (only when `warm_start`)."""
    from harness.agents.features import FEATURE_DIM

    budget = config.episodes * config.samples  # rewards per task in this run
    overrides = {**agent_class(config.agent).sized_for(budget, len(config.tasks)),
                 **dict(config.agent_options)}  # what the user set wins
    agent = make_agent(config.agent, space.arm_space(), FEATURE_DIM, config.seed, **overrides)
    warm = False
    if warm_start and (saved := store.get_policy(policy_key(config))) is not None:
        if saved["agent"] == agent.name:
            try:
                agent.load_state(saved["state"])
                warm = True
            except (KeyError, ValueError, TypeError):
                raise HarnessError(f"saved policy {policy_key(config)} is incompatible; use --fresh") from None
    return agent, warm


def summarise(rows: Sequence[Sample]) -> dict[str, Any]:
    """The run's headline numbers, as stored with the run and checked by the leaderboard."""
    n = len(rows)
    passed = sum(r.status == "passed" for r in rows)
    return {
        "samples": n,
        "passed": passed,
        "pass_rate": passed / n if n else 0.0,
        "mean_reward": sum(r.reward or 0.0 for r in rows) / n if n else 0.0,
        "completion_tokens": sum(r.completion_tokens for r in rows),
    }
