"""`harness/Live-v0`: real model answers, graded in the sandbox, as a Gymnasium environment.

An episode is one task of the run (sampled from the seeded generator, or fixed with
`reset(options={"task": NAME})`); a step uses the chosen strategy once through the pipeline
`harness run` uses (harness/loop/strategies.py `Executor`: the LLM client with its response
cache, extraction, visible checks, selection, grading with the execution cache) and returns
the kept answer's reward less `call_price` per call beyond the first. Every step is a sample
of a run in the run store (episode = the environment's episode, sample = the step), so
`harness report RUN` reads an outside agent's episodes like any run's.

The run id is the hash of the configuration (as `harness run`'s), so making the same
environment again continues the same run: steps already recorded are served from the store
(no model call, no sandbox run) as long as the agent repeats them, and new steps draw fresh
answers after every recorded one. A killed sequence of episodes resumes that way. The
endpoint and the sandbox start at the first step that needs them and stop at `close()`.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any, SupportsFloat

import gymnasium as gym
import numpy as np

from harness.agents.features import TaskHistory, task_features
from harness.envs.spaces import ActionKind, ActionMap, factor_names, observation_space
from harness.errors import HarnessError, SandboxError
from harness.grading.rewards import compute_reward
from harness.llm.client import GenerationParams
from harness.llm.endpoints import EndpointRequest
from harness.loop.learning import INFRA_LIMIT, RunConfig, summarise
from harness.loop.options import RunOptions
from harness.loop.strategies import Executor, Strategy, StrategySpace
from harness.loop.wiring import choose_space, choose_tasks, config_from
from harness.sample import Sample
from harness.store import Store
from harness.tasks.load import Task

_RUN = RunOptions()
_PARAMS = GenerationParams()
_LOG_101 = math.log1p(100)


@dataclass(frozen=True)
class LiveConfig:
    """What the live environment runs; `gymnasium.make("harness/Live-v0", **fields)`.
    Defaults are `harness run`'s (harness/loop/options.py)."""

    tasks: tuple[str, ...] = ()
    """Task names episodes are drawn from."""
    preset: str = _RUN.preset
    """Named set of strategies the actions choose among."""
    templates: tuple[str, ...] = ()
    """Exactly these template or strategy ids instead of a preset."""
    model: str | None = None
    """Model id (needed with a remote endpoint; else the embedded model of that name)."""
    base_url: str | None = None
    """A remote OpenAI-compatible endpoint (None: OPENAI_BASE_URL, else the embedded model)."""
    api_key: str | None = field(default=None, repr=False)
    """Its key (None: OPENAI_API_KEY)."""
    parallel: int = EndpointRequest.parallel
    """Requests in flight at once."""
    temperature: float = _PARAMS.temperature
    """Temperature of strategies that do not fix one."""
    max_tokens: int = _PARAMS.max_tokens
    """Cap on each answer's length."""
    seed: int = _RUN.seed
    """Seeds the endpoint's sampling (and names the run)."""
    reward: str = _RUN.reward
    """Reward scheme over the graded result."""
    call_price: float = _RUN.call_price
    """Reward given up per call beyond the first."""
    home: Path = _RUN.home
    """Run store folder (runs, samples, the response and execution caches)."""
    tasks_dir: Path | None = None
    """Folder of task folders (None: the default lookup, built-in tasks included)."""
    workers: int = 1
    """Sandbox containers (steps come one at a time: one is enough)."""
    use_cache: bool = _RUN.use_cache
    """Answer from the response cache when the same call was made before."""
    fresh: bool = False
    """Start a new run instead of continuing the one this configuration names."""
    horizon: int = 4
    """Steps per episode before it is truncated."""
    action: ActionKind = "multi"
    """`multi`: one action dimension per strategy part that varies; `discrete`: one index."""
    history: bool = True
    """Observations carry the episode's rewards so far."""
    label: str = "gym"
    """The agent name recorded with the run (e.g. "sb3-ppo")."""
    run_id: str | None = None
    """Continue this run (None: the id this configuration hashes to)."""

    def run_options(self) -> RunOptions:
        """The same options `harness run` would be given."""
        from harness.tasks.sources import task_sources

        search = task_sources(self.tasks_dir, explicit_label="tasks_dir")
        return RunOptions(
            tasks=self.tasks, preset=self.preset, templates=self.templates, seed=self.seed,
            endpoint=EndpointRequest(model=self.model, base_url=self.base_url,
                                     api_key=self.api_key, parallel=self.parallel),
            params=GenerationParams(temperature=self.temperature, max_tokens=self.max_tokens,
                                    seed=self.seed),
            reward=self.reward, call_price=self.call_price, home=Path(self.home),
            tasks_dir=search, workers=self.workers, use_cache=self.use_cache, fresh=self.fresh,
            command=f"gymnasium.make('harness/Live-v0') [{self.label}]", eval_samples=0,
        )


def _env_config(options: RunOptions, tasks: list[Task], space: StrategySpace,
                config: LiveConfig) -> RunConfig:
    """The run's config: `harness run`'s, with the outside agent's label and the horizon as
    samples per decision (episodes are open-ended: 0)."""
    base = config_from(options, tasks, space)
    return replace(base, agent=config.label, episodes=0, samples=config.horizon, eval_samples=0)


class LiveEnv(gym.Env[np.ndarray, Any]):
    """Tasks, an endpoint and the sandbox as an episodic Gymnasium environment (module
    docstring)."""

    metadata: dict[str, Any] = {"render_modes": []}

    def __init__(self, config: LiveConfig | None = None, **overrides: Any) -> None:
        known = {f.name for f in fields(LiveConfig)}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise HarnessError(f"unknown live option(s) {', '.join(unknown)}; valid: "
                               f"{', '.join(sorted(known))}")
        if isinstance(overrides.get("tasks"), str):
            overrides["tasks"] = (overrides["tasks"],)
        config = replace(config or LiveConfig(), **overrides)
        if config.horizon < 1:
            raise HarnessError("horizon must be >= 1")
        self.config = config
        options = config.run_options()
        from harness.grading.rewards import get_reward

        get_reward(options.reward)
        assert options.tasks_dir is not None  # run_options() always sets the lookup order
        tasks = choose_tasks(options, options.tasks_dir)
        if not tasks:
            raise HarnessError("the live environment needs tasks: tasks=('sort_ints', ...)")
        self.options = options
        self.tasks = tasks
        self.task_names = tuple(t.name for t in tasks)
        self.space = choose_space(options)
        self.run_config = _env_config(options, tasks, self.space, config)
        run_id = config.run_id or self.run_config.run_id()
        if config.fresh and config.run_id is None:
            import secrets

            run_id = f"{run_id}-{secrets.token_hex(3)}"
        self.run_id = run_id
        self.store = Store(options.home)
        existing = self.store.get_run(run_id)
        if existing is not None:
            stored = existing["config"]
            if list(stored["tasks"]) != list(self.task_names) or \
                    list(stored["templates"]) != list(self.space.ids):
                raise HarnessError(f"run {run_id} was recorded with other tasks or strategies; "
                                   "pass run_id=None (or fresh=True) to start a new run")
        self.arm_ids: tuple[str, ...] = self.space.ids
        """The strategies offered, in arm order (what `discrete` actions index)."""
        arm_space = self.space.arm_space()
        self.actions = ActionMap.build(config.action, arm_space, factor_names(arm_space))
        self.action_space = self.actions.gym_space()
        self.observation_space = observation_space()
        self._static = [task_features(t).astype(np.float32) for t in tasks]
        self._recorded = {(s.episode, s.task, s.sample): s for s in self.store.samples(run_id)}
        self._slots: Counter[tuple[str, str, float]] = Counter()
        for row in self._recorded.values():  # new answers come after every recorded one
            if row.template in self.arm_ids:
                strategy = self.space.get(row.template)
                self._slots[(row.task, strategy.template, strategy.temperature)] += \
                    strategy.draws
        self._episode = -1
        self._task = -1
        self._steps = 0
        self._history = TaskHistory()
        self._stack: ExitStack | None = None
        self._executor: Executor | None = None
        self.llm_calls = 0
        """Model calls this environment made (cache hits and recorded steps excluded)."""
        self.served = 0
        """Steps answered from the run store's record."""

    # ------------------------------------------------------------------- the pipeline

    def _open(self) -> Executor:
        """Start the endpoint and the sandbox (once), and record the run if it is new."""
        if self._executor is not None:
            return self._executor
        from harness.grading.grader import Grader, open_sandbox
        from harness.llm.client import LLM
        from harness.llm.endpoints import open_endpoint
        from harness.provenance import base_provenance
        from harness.sandbox.pool import SandboxConfig

        stack = ExitStack()
        try:
            endpoint = stack.enter_context(open_endpoint(self.options.endpoint, self.options.home))
            sandbox = open_sandbox(SandboxConfig(workers=self.options.workers), log=lambda _m: None,
                                   executor=self.options.executor)
            grader = Grader(sandbox, self.store)
            stack.callback(grader.close)
        except BaseException:
            stack.close()
            raise
        if self.store.get_run(self.run_id) is None:
            provenance = {**base_provenance(), "command": self.options.command,
                          "sandbox_image": sandbox.image_id,
                          "template_space": self.space.templates.fingerprint(),
                          "strategy_space": self.space.fingerprint(), "warm_start": False,
                          "tasks": {t.name: t.hash for t in self.tasks}}
            self.store.create_run(self.run_id, asdict(self.run_config), provenance)
        self._llm = LLM(endpoint, self.store, self.run_config.params,
                        concurrency=self.options.endpoint.parallel,
                        use_cache=self.options.use_cache)
        self._stack = stack
        self._executor = Executor(self._llm, grader.grade, self.space.templates)
        return self._executor

    def _sample(self, task: Task, arm_id: str, strategy: Strategy, index: int) -> Sample:
        """One use of the strategy, graded, as `Runner._sample` makes it; a sandbox failure
        is retried (and counted), never scored."""
        executor = self._open()
        for _ in range(INFRA_LIMIT):
            before = self._llm.calls
            answer = executor.run(task, strategy, index)
            self.llm_calls += self._llm.calls - before
            sample = Sample(
                episode=self._episode, task=task.name, sample=self._steps, task_hash=task.hash,
                template=arm_id, llm_key=answer.llm_key, response=answer.text, code=answer.code,
                finish_reason=answer.finish_reason, completion_tokens=answer.completion_tokens,
                cached=answer.cached, result=answer.result,
                reward=None if answer.result.infra else compute_reward(self.run_config.reward,
                                                                       answer.result),
                calls=answer.calls, visible=answer.visible, phase="learn",
            )
            if not answer.result.infra:
                return sample
            self.store.add_infra_failure(self.run_id, task.name, arm_id, answer.result.message)
        raise SandboxError(f"the sandbox failed {INFRA_LIMIT} times in a row; check Docker with "
                           "`harness sandbox doctor`, then make the environment again (it "
                           "continues the run)")

    # ------------------------------------------------------------------------- the API

    def reset(self, *, seed: int | None = None,
              options: dict[str, Any] | None = None) -> tuple[np.ndarray, dict[str, Any]]:
        """Start the next episode on a task: `options` may fix it ({"task": NAME or index})."""
        super().reset(seed=seed)
        options = options or {}
        task = options.get("task")
        if task is None:
            t = int(self.np_random.integers(len(self.tasks)))
        elif isinstance(task, str):
            if task not in self.task_names:
                raise HarnessError(f"task '{task}' is not one of {', '.join(self.task_names)}")
            t = self.task_names.index(task)
        else:
            t = int(task)
            if not 0 <= t < len(self.tasks):
                raise HarnessError(f"task index {t} is outside 0..{len(self.tasks) - 1}")
        self._episode += 1
        self._task = t
        self._steps = 0
        self._history = TaskHistory()
        info = {"task": self.task_names[t], "episode": self._episode, "run_id": self.run_id}
        return self._static[t].copy(), info

    def step(self, action: Any) -> tuple[np.ndarray, SupportsFloat, bool, bool, dict[str, Any]]:  # noqa: ANN401
        """Use the chosen strategy once on the episode's task (or serve the recorded step)."""
        if self._task < 0:
            raise HarnessError("call reset() before step()")
        arm = self.actions.arm(action)
        arm_id = self.arm_ids[arm]
        task = self.tasks[self._task]
        key = (self._episode, task.name, self._steps)
        recorded = self._recorded.get(key)
        if recorded is not None:
            if recorded.template != arm_id:
                raise HarnessError(
                    f"run {self.run_id} recorded {recorded.template} at episode {key[0]}, step "
                    f"{key[2]} on {task.name}, but the agent chose {arm_id}: a run is one "
                    "sequence of episodes; pass fresh=True to record a new one")
            sample = recorded
            self.served += 1
        else:
            strategy = self.space.get(arm_id)
            slot = (task.name, strategy.template, strategy.temperature)
            index = self._slots[slot]
            self._slots[slot] += strategy.draws
            sample = self._sample(task, arm_id, strategy, index)
            self.store.add_sample(self.run_id, sample)
            self._recorded[key] = sample
        raw = float(sample.reward or 0.0)
        reward = raw - self.run_config.call_price * (sample.calls - 1)
        self._steps += 1
        self._history = self._history.add(reward)
        obs = self._static[self._task].copy()
        if self.config.history:
            obs[-2] = min(max(self._history.mean_reward, -1.0), 1.0)
            obs[-1] = min(math.log1p(self._history.pulls) / _LOG_101, 1.0)
        truncated = self._steps >= self.config.horizon
        info = {"task": task.name, "strategy": arm_id, "calls": sample.calls,
                "status": sample.status, "passed": sample.status == "passed", "raw_reward": raw,
                "recorded": recorded is not None, "cached": sample.cached,
                "episode": self._episode, "step": self._steps - 1, "run_id": self.run_id}
        return obs, reward, False, truncated, info

    def close(self) -> None:
        """Stop the endpoint and the sandbox, and store the run's summary (it stays
        resumable: the same configuration continues it)."""
        stack, self._stack, self._executor = self._stack, None, None
        if stack is None:
            return
        started = time.perf_counter()
        try:
            stack.close()
        finally:
            if self.store.get_run(self.run_id) is not None:
                rows = self.store.samples(self.run_id)
                summary = {**summarise(rows), "llm_calls": self.llm_calls,
                           "served_from_store": self.served,
                           "infra_failures": self.store.infra_failures(self.run_id),
                           "close_s": time.perf_counter() - started}
                self.store.finish_run(self.run_id, "stopped", summary)
        super().close()

    def history(self) -> TaskHistory:
        """The episode's rewards so far, as contextual agents keep them."""
        return self._history
