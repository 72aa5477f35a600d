"""`harness run`: wire tasks, templates, endpoint, sandbox, store and agent, then drive the Runner.

A run's id is the hash of its configuration, so repeating a finished command
answers from the store at no cost (no model start, no call, no sandbox run),
and repeating a killed one resumes it.
"""

from __future__ import annotations

import secrets
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import asdict, dataclass, replace
from typing import Any

from harness.agents.base import Agent
from harness.errors import HarnessError
from harness.llm.client import GenerationParams
from harness.llm.endpoints import describe_endpoint, open_endpoint
from harness.loop.evaluation import evaluate
from harness.loop.learning import RunConfig, Runner, build_agent, summarise
from harness.loop.options import RunOptions
from harness.loop.strategies import StrategySpace, strategy_space
from harness.store import Store
from harness.tasks.load import Task, TaskDirs, find_task, select_tasks
from harness.tasks.sources import task_sources
from harness.tasks.suites import suite_tasks


def choose_space(options: RunOptions) -> StrategySpace:
    temperature = options.params.temperature
    if options.template:
        return strategy_space("single", temperature, [options.template])
    if options.templates:
        return strategy_space("custom", temperature, options.templates)
    return strategy_space(options.preset, temperature)


def validate_names(options: RunOptions) -> None:
    """Fail on an unknown agent, agent option or reward before anything slow starts."""
    from harness.agents import make_config
    from harness.grading.rewards import get_reward

    make_config(options.agent, **dict(options.agent_options))
    get_reward(options.reward)


def config_from(options: RunOptions, tasks: list[Task], space: StrategySpace) -> RunConfig:
    model, endpoint_id = describe_endpoint(options.endpoint)
    return RunConfig(
        tasks=tuple(t.name for t in tasks), agent=options.agent, episodes=options.episodes,
        samples=options.samples, reward=options.reward, seed=options.seed, templates=space.ids,
        model=model, endpoint=endpoint_id, params=options.params,
        task_hashes=tuple(t.hash for t in tasks), call_price=options.call_price,
        eval_samples=options.eval_samples, agent_options=tuple(sorted(options.agent_options)),
    )


def config_from_stored(data: dict[str, Any]) -> RunConfig:
    params = GenerationParams(**{**data["params"], "stop": tuple(data["params"].get("stop", ()))})
    fields: dict[str, Any] = {
        k: tuple(tuple(x) if isinstance(x, list) else x for x in v) if isinstance(v, list) else v
        for k, v in data.items() if k != "params"}  # JSON lists back to the config's tuples
    return RunConfig(**fields, params=params)


def resolve_resume(store: Store, options: RunOptions) -> tuple[RunConfig, str]:
    run = store.require_run(options.resume or "")
    return config_from_stored(run["config"]), run["id"]


def _search(options: RunOptions) -> TaskDirs:
    """The folders to read tasks from: as given, else the default lookup order."""
    return task_sources() if options.tasks_dir is None else options.tasks_dir


def choose_tasks(options: RunOptions, search: TaskDirs) -> list[Task]:
    """The suite's tasks (if any), then the named and tagged ones, each once, first seen first."""
    chosen: dict[str, Task] = {}
    if options.suite is not None:
        for task in suite_tasks(options.suite, search):
            chosen.setdefault(task.name, task)
    for task in select_tasks(search, options.tasks, options.tags):
        chosen.setdefault(task.name, task)
    return list(chosen.values())


def load_run_tasks(config: RunConfig, tasks_dir: TaskDirs) -> list[Task]:
    tasks = [find_task(tasks_dir, name) for name in config.tasks]
    for task, expected in zip(tasks, config.task_hashes, strict=True):
        if expected and task.hash != expected:
            raise HarnessError(f"task '{task.name}' changed since this run started "
                               f"({expected[:12]} -> {task.short_hash}); start a new run instead")
    return tasks


Log = Callable[[str], None]
"""Where a run's status lines go (rich markup allowed); the Python API drops them by default."""

Watch = Callable[[Runner, RunConfig, str], AbstractContextManager[object]]
"""Entered around the learning loop: the CLI's live progress and Ctrl-C handling."""


@dataclass(frozen=True)
class RunOutcome:
    """What a run left behind: enough to report on it without reading the store again."""

    run_id: str
    status: str
    """finished or stopped (resumable)."""
    store: Store
    space: StrategySpace
    tasks: tuple[Task, ...]
    agent: Agent | None
    """The agent as it ended (None when the run was already finished)."""


@contextmanager
def graceful_interrupt(runner: Runner, log: Log) -> Iterator[None]:
    """The first Ctrl-C asks the runner to stop after the samples in flight; a second one stops now.

    A KeyboardInterrupt raised wherever the main thread happens to be can land after the loop
    has decided how the run ended (and so be lost) or in the middle of a store write: a flag
    the loop checks has neither problem. Outside the main thread (no signals there) this is a
    no-op.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: object) -> None:
        if runner.stop_requested:
            raise KeyboardInterrupt
        runner.stop_requested = True
        log("[yellow]stopping after the samples in flight[/] (Ctrl-C again to stop at once)")

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _quiet(_message: str) -> None:
    pass


def start(options: RunOptions, log: Log = _quiet, watch: Watch | None = None) -> RunOutcome:
    """Run, resume, or find a finished run. Prints nothing: status lines go to `log`."""
    from harness.grading.grader import Grader, open_sandbox
    from harness.llm.client import LLM
    from harness.provenance import base_provenance
    from harness.sandbox.pool import SandboxConfig

    store = Store(options.home)
    if options.resume:
        config, run_id = resolve_resume(store, options)
        if options.endpoint.model and options.endpoint.model != config.model:
            raise HarnessError(f"run {run_id} was recorded with model '{config.model}'; --model "
                               f"'{options.endpoint.model}' would add another model's answers to it: "
                               f"pass --model {config.model} or leave --model out")
        space = strategy_space("resumed", config.params.temperature, config.templates)
        endpoint_request = replace(options.endpoint, model=options.endpoint.model or config.model)
        options = replace(options, agent=config.agent, reward=config.reward, endpoint=endpoint_request)
        tasks = load_run_tasks(config, _search(options))
    else:
        validate_names(options)
        tasks = choose_tasks(options, _search(options))
        if not tasks:
            raise HarnessError("no tasks chosen: pass --task NAME (repeatable), --tag TAG "
                               "or --suite NAME")
        space = choose_space(options)
        config = config_from(options, tasks, space)
        run_id = config.run_id()
        if options.fresh:
            run_id = f"{run_id}-{secrets.token_hex(3)}"
    existing = store.get_run(run_id)
    if existing and existing["status"] == "finished":
        log(f"run {run_id} already finished; showing its stored results "
            "(no model call, no sandbox run; --fresh starts a new run)")
        return RunOutcome(run_id, "finished", store, space, tuple(tasks), None)
    if existing:
        log(f"resuming run {run_id} ({len(store.samples(run_id))} samples recorded)")
    with open_endpoint(options.endpoint, options.home, log=log) as endpoint:
        log("starting sandbox")
        sandbox = open_sandbox(SandboxConfig(workers=options.workers), log=log,
                               executor=options.executor)
        grader = Grader(sandbox, store)
        agent, warm = build_agent(config, space, store,
                                  warm_start=not (options.fresh or existing))
        initial_key = f"init|{run_id}"
        if existing and (initial := store.get_policy(initial_key)) is not None:
            agent.load_state(initial["state"])  # the policy this run warm-started from
        if warm:
            store.put_policy(initial_key, agent.name, agent.state())
        if not existing:
            provenance = {**base_provenance(), "command": options.command or base_provenance()["command"],
                          "sandbox_image": sandbox.image_id, "executor": options.executor.kind,
                          "template_space": space.templates.fingerprint(),
                          "strategy_space": space.fingerprint(), "warm_start": warm,
                          "tasks": {t.name: t.hash for t in tasks}}
            store.create_run(run_id, {**asdict(config)}, provenance)
        in_flight = options.endpoint.parallel * options.endpoint.servers  # per server
        llm = LLM(endpoint, store, config.params, concurrency=in_flight,
                  use_cache=options.use_cache)
        runner = Runner(config, tasks, space, llm, grader.grade, store, agent, run_id,
                        concurrency=in_flight)
        status = "stopped"
        started = time.perf_counter()
        around = watch(runner, config, run_id) if watch else graceful_interrupt(runner, log)
        try:
            with around:
                status = runner.run()
        except KeyboardInterrupt:
            status = "stopped"  # a second Ctrl-C: the samples in flight are dropped, not recorded
        finally:
            grader.close()
            rows = store.samples(run_id)
            summary = {**summarise(rows), "llm_s": runner.progress.llm_s,
                       "sandbox_s": runner.progress.sandbox_s, "agent_s": runner.progress.agent_s,
                       "llm_calls": llm.calls, "llm_cache_hits": llm.cache_hits,
                       "sandbox_runs": grader.executed, "sandbox_cache_hits": grader.cache_hits,
                       "infra_failures": store.infra_failures(run_id),
                       **({"nodes_lost": list(getattr(grader.sandbox.pool, "lost", [])),
                           "jobs_requeued": int(getattr(grader.sandbox.pool, "requeued", 0))}
                          if options.executor.remote else {}),
                       "wall_s": time.perf_counter() - started, "strategy_calls": runner.progress.calls}
            evaluation = evaluate(store.samples(run_id, phase=None), rows, seed=config.seed)
            if evaluation is not None:
                summary["evaluation"] = evaluation.to_dict()
            store.finish_run(run_id, status, summary)
            if status == "stopped":
                log(f"[yellow]stopped[/]; resume with: harness run --resume {run_id}")
    return RunOutcome(run_id, status, store, space, tuple(tasks), agent)
