"""The main job: an agent picks prompt templates, the LLM answers, the sandbox grades, the agent learns.

An episode is one round over the chosen tasks: for each task the agent picks
a template and K samples are generated with it. Generation and grading
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
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from typing import Any

from harness.agents import make_agent
from harness.agents.base import Agent, Context
from harness.context import TaskHistory, make_context
from harness.errors import HarnessError, SandboxError
from harness.extract import extract_code
from harness.llm.client import LLM, GenerationParams
from harness.prompts import Template, TemplateSpace, render
from harness.results import GradeResult
from harness.rewards import compute_reward
from harness.store import Store
from harness.tasks import Task

INFRA_LIMIT = 3
"""Sandbox failures in a row (each already retried on fresh workers) that stop a run."""


@dataclass(frozen=True)
class RunConfig:
    """Everything that defines a run; its hash is the run id, so an identical run is found again."""

    tasks: tuple[str, ...]
    """Task names, in order."""
    agent: str = "thompson"
    """Agent that chooses templates (see `harness agents`)."""
    episodes: int = 8
    """Rounds over the tasks; each round makes one decision per task."""
    samples: int = 4
    """Answers generated per decision (same template)."""
    reward: str = "partial"
    """Reward scheme over the graded result."""
    seed: int = 0
    """Seeds the agent and the endpoint's sampling."""
    templates: tuple[str, ...] = ()
    """Template ids the agent chooses among."""
    model: str = ""
    """Model id as the endpoint knows it."""
    endpoint: str = ""
    """Endpoint identity for provenance: the URL, or the embedded model and its hash (not its port)."""
    params: GenerationParams = field(default_factory=GenerationParams)
    """Sampling parameters."""
    task_hashes: tuple[str, ...] = ()
    """Content hashes of the tasks, in the order of `tasks`."""

    def run_id(self) -> str:
        digest = hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()
        return f"run-{digest[:12]}"


@dataclass(frozen=True)
class SampleRow:
    """One graded answer as stored."""

    episode: int
    task: str
    sample: int
    task_hash: str
    template: str
    llm_key: str
    response: str
    code: str
    finish_reason: str
    completion_tokens: int
    cached: bool
    result: GradeResult
    reward: float | None
    """None only for an infrastructure failure, which is never stored as a sample."""

    def as_store_row(self) -> dict[str, Any]:
        data = asdict(self)
        data["result"] = self.result.to_dict()
        data.update(status=self.result.status, passed=self.result.passed, total=self.result.total)
        return data


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


def no_code_result(task: Task, reason: str) -> GradeResult:
    return GradeResult(syntax_ok=False, status="syntax_error", tests=(), passed=0,
                       total=len(task.test_names), message=f"no code in the answer: {reason}")


class Runner:
    """Drives one run to completion (or to a clean stop), writing everything to the store."""

    def __init__(self, config: RunConfig, tasks: list[Task], space: TemplateSpace, llm: LLM,
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

    # -- agent plumbing
    def context(self, task: Task) -> Context:
        return make_context(task, self.history[task.name])

    def learn(self, task: Task, template: str, reward: float) -> None:
        t0 = time.perf_counter()
        self.agent.update(self.context(task), self.arm_ids.index(template), reward)
        self.history[task.name] = self.history[task.name].add(reward)
        self.progress.agent_s += time.perf_counter() - t0

    def template(self, template_id: str) -> Template:
        return self.space.get(template_id)

    # -- the loop
    def run(self) -> str:
        """Run (or resume) to the end; returns the final status: finished or stopped."""
        recorded = self.store.samples(self.run_id)
        done_keys = {(r["episode"], r["task"], r["sample"]) for r in recorded}
        chosen: dict[tuple[int, str], str] = {}
        pulls: Counter[tuple[str, str]] = Counter()
        by_name = {t.name: t for t in self.tasks}
        for row in recorded:  # replay what a killed run already learned
            chosen[(row["episode"], row["task"])] = row["template"]
            pulls[(row["task"], row["template"])] += 1
            if row["task"] in by_name and row["template"] in self.arm_ids:
                self.learn(by_name[row["task"]], row["template"], float(row["reward"]))
            self._count(row["status"], 0)
        decisions = [(e, t) for e in range(self.config.episodes) for t in self.tasks]
        pending: dict[Future[SampleRow], tuple] = {}
        executor = ThreadPoolExecutor(max_workers=self.concurrency + 2, thread_name_prefix="sample")
        status = "finished"
        try:
            index = 0
            while index < len(decisions) or pending:
                while (index < len(decisions) and len(pending) < self.concurrency
                       and not self.stop_requested):
                    episode, task = decisions[index]
                    index += 1
                    self.progress.episode = episode + 1
                    missing = [k for k in range(self.config.samples)
                               if (episode, task.name, k) not in done_keys]
                    if not missing:
                        continue
                    template = chosen.get((episode, task.name)) or self._choose(task)
                    messages = render(self.template(template), task, self.space.components)
                    for k in missing:
                        cache_index = pulls[(task.name, template)]
                        pulls[(task.name, template)] += 1
                        job = (episode, task, k, template, messages, cache_index)
                        pending[executor.submit(self._sample, *job)] = job
                if not pending:
                    if self.stop_requested:
                        break
                    continue
                finished, _ = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
                for future in finished:
                    job = pending.pop(future)
                    episode, task, _, template = job[:4]
                    row = future.result()
                    if row.result.infra:  # the sandbox failed, not the code: count it, try again
                        self._infra_failure(row)
                        pending[executor.submit(self._sample, *job)] = job
                        continue
                    self.infra_streak = 0
                    if self.store.add_sample(self.run_id, row.as_store_row()):
                        self.learn(task, template, row.reward)
                        self._count(row.result.status, 0 if row.cached else row.completion_tokens)
                        self.on_progress(self.progress)
                if self.stop_requested and index < len(decisions):
                    status = "stopped"
        except KeyboardInterrupt:
            status = "stopped"
            self.stop_requested = True
            for future in pending:
                future.cancel()
            raise
        finally:
            executor.shutdown(wait=False, cancel_futures=True)
            self.store.put_policy(self.policy_key(), self.agent.name, self.agent.state())
        return status

    def _choose(self, task: Task) -> str:
        t0 = time.perf_counter()
        arm = self.agent.choose(self.context(task))
        best = self.arm_ids[self.agent.best(self.context(task))]
        self.progress.agent_s += time.perf_counter() - t0
        self.progress.best = best
        return self.arm_ids[arm]

    def _infra_failure(self, row: SampleRow) -> None:
        self.store.add_infra_failure(self.run_id, row.task, row.template, row.result.message)
        self.progress.infra += 1
        self.infra_streak += 1
        if self.infra_streak >= INFRA_LIMIT:
            raise SandboxError(
                f"the sandbox failed {self.infra_streak} times in a row ({row.result.message}); "
                "nothing was scored for it. Check Docker with `harness sandbox doctor`, then "
                f"continue with `harness run --resume {self.run_id}`")

    def _count(self, status: str, tokens: int) -> None:
        self.progress.done += 1
        self.progress.passed += status == "passed"
        self.progress.fresh_tokens += tokens

    def _sample(self, episode: int, task: Task, k: int, template: str,
                messages: list[dict[str, str]], cache_index: int) -> SampleRow:
        t0 = time.perf_counter()
        completion = self.llm.complete(messages, cache_index)
        t1 = time.perf_counter()
        extraction = extract_code(completion.text, task.entry_point)
        if extraction.found:
            result = self.grade(task, extraction.code)
        else:
            result = no_code_result(task, extraction.reason)
        t2 = time.perf_counter()
        self.progress.llm_s += t1 - t0
        self.progress.sandbox_s += t2 - t1
        return SampleRow(
            episode=episode, task=task.name, sample=k, task_hash=task.hash, template=template,
            llm_key=completion.key, response=completion.text, code=extraction.code,
            finish_reason=completion.finish_reason, completion_tokens=completion.completion_tokens,
            cached=completion.cached, result=result,
            reward=None if result.infra else compute_reward(self.config.reward, result),
        )

    def policy_key(self) -> str:
        return policy_key(self.config)


def policy_key(config: RunConfig) -> str:
    """Policies warm-start runs that share agent, model, arms and reward."""
    arms = hashlib.sha256(",".join(config.templates).encode()).hexdigest()[:10]
    return f"{config.agent}|{config.model}|{arms}|{config.reward}"


def build_agent(config: RunConfig, space: TemplateSpace, store: Store, fresh: bool) -> tuple[Agent, bool]:
    """The run's agent, warm-started from the store unless `fresh`."""
    from harness.context import FEATURE_DIM

    # successive halving plans its rounds from the budget: rewards per task in this run
    overrides = {"budget": config.episodes * config.samples} if config.agent == "successive_halving" else {}
    agent = make_agent(config.agent, space.arm_space(), FEATURE_DIM, config.seed, **overrides)
    warm = False
    if not fresh and (saved := store.get_policy(policy_key(config))) is not None:
        if saved["agent"] == agent.name:
            try:
                agent.load_state(saved["state"])
                warm = True
            except (KeyError, ValueError, TypeError):
                raise HarnessError(f"saved policy {policy_key(config)} is incompatible; use --fresh") from None
    return agent, warm


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The run's headline numbers, as stored with the run and checked by the leaderboard."""
    n = len(rows)
    passed = sum(r["status"] == "passed" for r in rows)
    return {
        "samples": n,
        "passed": passed,
        "pass_rate": passed / n if n else 0.0,
        "mean_reward": sum(float(r["reward"]) for r in rows) / n if n else 0.0,
        "completion_tokens": sum(int(r.get("completion_tokens") or 0) for r in rows),
    }
