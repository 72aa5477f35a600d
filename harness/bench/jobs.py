"""(agent, seed) jobs of both replays: what one plays and returns, and where the jobs run.

Every (agent, seed) run depends on nothing else, so the classic replay
(harness/bench/classic_benchmark.py) and the strategy replay
(harness/bench/strategy_benchmark.py) cut them into chunks, slow agents first, and run the
chunks in worker processes that each receive the run's shared data once. In one seed both
play the same runs (`run_agent_seed`); they differ in their environment, in their episode
loop and unit (pulls or calls) and in what their shared data holds.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import numpy as np

from harness.agents import agent_class, make_agent
from harness.agents.base import Agent, ArmSpace
from harness.tasks.load import Task

if TYPE_CHECKING:
    from harness.bench.replay import TaskContexts, Trace

WORKER: dict[str, Any] = {}
"""This process's state: "shared" (the run's data), "contexts" (its tasks' contexts), and
whatever a replay caches per process (the strategy replay's per-seed splits)."""


@dataclass(frozen=True)
class SeedRun:
    """One (agent, seed): the main run, budget runs and the transfer run, in the replay's unit
    (pulls in the classic replay, calls in the strategy replay)."""

    agent: str
    """Agent name."""
    seed: int
    """The seed: the agent's and the dealing order's (and the strategy replay's split's)."""
    regret: np.ndarray
    """(tasks, max units) per-task cumulative regret of the main run."""
    checkpoints: tuple[int, ...]
    """Units per task at which the main run's recommendations were recorded."""
    best: np.ndarray
    """(checkpoints, tasks) recommendations of the main run."""
    budget_best: Mapping[int, np.ndarray]
    """budget -> recommendations (tasks,) after that budget (of a run planned for it, if any)."""
    heldout: tuple[int, ...]
    """Tasks held out in this seed's transfer test."""
    transfer: np.ndarray | None
    """(held-out tasks, transfer units) cumulative regret after training; contextual agents only."""
    steps: int
    """Rewards fed to the agent over all its runs of this seed."""
    agent_s: float
    """Seconds inside choose/update/best."""
    reused: int
    """Pulls (answers) dealt from a cell whose answers were all dealt already."""
    cpu_s: float
    """CPU seconds of the whole (agent, seed) job in its process."""


class SharedData(Protocol):
    """What the job machinery reads of a replay's shared data (the rest is the replay's)."""

    @property
    def tasks(self) -> tuple[Task, ...]: ...

    @property
    def space(self) -> ArmSpace: ...

    @property
    def config(self) -> Any: ...


Play = Callable[..., "Trace"]
"""A replay's episode loop, called as play(agent, env, contexts, tasks, units, gaps,
samples_per_decision, checkpoints): `harness.bench.replay.play` or
`harness.bench.strategy_replay.play_calls` (each with its own env type)."""


Run = TypeVar("Run", bound=SeedRun)
RunSeed = Callable[[Any, str, int], Run]
"""A replay's `run_seed(shared, agent, seed)`: module-level, so worker processes can import it."""


@dataclass(frozen=True)
class AgentTraits:
    """What the job machinery must know of an agent beyond the `Agent` interface."""

    relative_cost: float
    """CPU per (agent, seed) relative to uniform's: sizes the chunks, slow agents go first."""
    needs_budget: bool
    """Plans from the run length (successive halving): gets `budget=`, as `harness run` does."""
    uses_torch: bool
    """Runs torch networks: worker processes pin torch to one thread."""


def agent_traits(name: str) -> AgentTraits:
    """What a registered agent declares about itself (class attributes of `Agent`)."""
    cls = agent_class(name)
    return AgentTraits(relative_cost=cls.relative_cost, needs_budget=cls.needs_budget,
                       uses_torch=cls.uses_torch)


def uses_torch(agents: Sequence[str]) -> bool:
    """Any of the agents runs torch (then every process pins it to one thread)."""
    return any(agent_traits(name).uses_torch for name in agents)


def heldout_tasks(seed: int, n_tasks: int, split: float | Sequence[int]) -> tuple[int, ...]:
    """The held-out task indices of one seed's transfer run."""
    if not isinstance(split, float | int):
        return tuple(sorted(split))
    n = min(n_tasks - 1, max(1, round(n_tasks * float(split))))
    rng = np.random.default_rng([seed, 7919])
    return tuple(sorted(rng.choice(n_tasks, size=n, replace=False).tolist()))


def run_agent_seed(
    shared: SharedData, name: str, seed: int, *, unit: int, split: float | Sequence[int],
    gaps: np.ndarray, budget_of: Callable[[int], int], env: Callable[[], Any], play: Play,
    started: float, record: Callable[..., Run] = SeedRun,  # type: ignore[assignment]  # mypy cannot bind a TypeVar default
    counted: Sequence[str] = (),
) -> Run:
    """One (agent, seed), in `unit`s per budget step (pulls per template, or calls per cell):
    the main run with its checkpoints; at each budget the recommendation (budget-aware agents,
    given `budget_of(units)`, get a run planned for it, scored at its end); for contextual
    agents, a run on the other tasks and then on this seed's held-out ones (`split`).

    `record` gets the sums over every run of steps, agent time, reused answers and of each
    further count named in `counted`, and the CPU seconds since `started`.
    """
    cfg = shared.config
    contexts = WORKER["contexts"]
    aware = agent_traits(name).needs_budget
    all_tasks = tuple(range(len(shared.tasks)))
    most = max(cfg.budgets) * unit
    k = cfg.samples_per_decision

    def fresh(units: int) -> Agent:
        extra = {"budget": budget_of(units)} if aware else {}
        return make_agent(name, shared.space, contexts.dim, seed, **extra)

    marks = sorted(set(range(cfg.checkpoint_every, most + 1, cfg.checkpoint_every))
                   | {b * unit for b in cfg.budgets})
    main = play(fresh(most), env(), contexts, all_tasks, most, gaps, k, marks)
    traces = [main]
    budget_best: dict[int, np.ndarray] = {}
    for budget in cfg.budgets:
        units = budget * unit
        if aware and units < most:  # a race planned for this budget, scored at its end
            run = play(fresh(units), env(), contexts, all_tasks, units, gaps, k, [units])
            budget_best[budget] = run.best[-1]
            traces.append(run)
        else:
            budget_best[budget] = main.best[main.checkpoints.index(units)]
    heldout = heldout_tasks(seed, len(all_tasks), split)
    transfer = None
    if agent_class(name).contextual:
        agent, replay = fresh(most), env()
        train = tuple(t for t in all_tasks if t not in heldout)
        train_units = cfg.transfer_train_budget * unit
        traces.append(play(agent, replay, contexts, train, train_units, gaps, k))
        traces.append(play(agent, replay, contexts, heldout, cfg.transfer_budget * unit, gaps, k))
        transfer = traces[-1].regret.astype(np.float32)
    return record(
        agent=name, seed=seed, regret=main.regret.astype(np.float32), checkpoints=main.checkpoints,
        best=main.best, budget_best=budget_best, heldout=heldout, transfer=transfer,
        steps=sum(t.steps for t in traces), agent_s=sum(t.agent_s for t in traces),
        reused=sum(t.reused for t in traces),
        **{count: sum(getattr(t, count) for t in traces) for count in counted},
        cpu_s=time.process_time() - started,
    )


def seed_jobs(
    agents: Sequence[str], seeds: Sequence[int], workers: int
) -> list[tuple[str, tuple[int, ...]]]:
    """(agent, seeds) chunks, slow agents first so the processes finish together."""
    cost = {name: agent_traits(name).relative_cost for name in agents}
    jobs = []
    for name in agents:
        size = 2 if cost[name] >= 50 else 8 if cost[name] >= 5 else 25
        size = max(1, min(size, math.ceil(len(seeds) / max(1, workers))))
        jobs += [(name, tuple(seeds[i : i + size])) for i in range(0, len(seeds), size)]
    return sorted(jobs, key=lambda j: -cost[j[0]])


@contextmanager
def one_torch_thread(enabled: bool) -> Iterator[None]:
    """In-process runs: PPO switches threads per call unless the process already uses one."""
    if not enabled:
        yield
        return
    import torch

    old = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(old)


def init_worker(
    shared: SharedData, contexts: Callable[[Sequence[Task]], TaskContexts], pool: bool = True
) -> None:
    """Per process: the shared data, its tasks' contexts, and one torch thread (the networks are
    tiny and the worker processes share the machine's cores; more threads only add switching)."""
    if pool:
        for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
            os.environ[var] = "1"
        if uses_torch(shared.config.agents):
            import torch

            torch.set_num_threads(1)
    WORKER.clear()
    WORKER["shared"] = shared
    WORKER["contexts"] = contexts(shared.tasks)


def run_chunk(run_seed: RunSeed[Run], name: str, seeds: tuple[int, ...]) -> list[Run]:
    """One job: `run_seed` for each seed, on this process's shared data."""
    return [run_seed(WORKER["shared"], name, seed) for seed in seeds]


def run_seed_jobs(
    shared: SharedData,
    run_seed: RunSeed[Run],
    contexts: Callable[[Sequence[Task]], TaskContexts],
    on_progress: Callable[[int, int], None] | None = None,
) -> list[Run]:
    """Every (agent, seed) of `shared.config`, in `config.workers` processes (1: this one)."""
    cfg = shared.config
    jobs = seed_jobs(cfg.agents, cfg.seeds, cfg.workers)
    runs: list[Run] = []
    if cfg.workers == 1:
        with one_torch_thread(uses_torch(cfg.agents)):
            init_worker(shared, contexts, pool=False)
            for i, (name, chunk) in enumerate(jobs):
                runs += run_chunk(run_seed, name, chunk)
                if on_progress:
                    on_progress(i + 1, len(jobs))
        return runs
    # Fork is fast and needs no `if __name__ == "__main__"` guard; but a process that
    # already runs torch must not be forked (its thread pools do not survive it).
    context = multiprocessing.get_context("spawn" if "torch" in sys.modules else "fork")
    with ProcessPoolExecutor(cfg.workers, mp_context=context, initializer=init_worker,
                             initargs=(shared, contexts)) as pool:
        futures = [pool.submit(run_chunk, run_seed, name, chunk) for name, chunk in jobs]
        for i, future in enumerate(as_completed(futures)):
            runs += future.result()
            if on_progress:
                on_progress(i + 1, len(jobs))
    return runs
