"""`harness/Replay-v0`: a recorded answer table as a Gymnasium environment.

An episode is one task (sampled from the seeded generator, or fixed with
`reset(options={"task": NAME})`); a step picks a strategy (template x temperature x selection)
and deals answers of that (task, template, temperature) cell without replacement, applies
the strategy's selection rule to them and returns the kept answer's reward less
`call_price` per call beyond the first: exactly what `harness bench agents` feeds its agents
(harness/bench/strategy_replay.py). The observation is the task's feature vector, the one
contextual agents see (harness/agents/features.py), whose last two entries carry the
episode's rewards so far (their mean and the log of their count) unless `history=False`.
`info` carries the calls, the kept answer's status and the oracle gap (the best strategy's
expected value on the task less the chosen one's), so regret is computed outside.

With `heldout > 0` every cell is split once per `split_seed` (harness/bench/split.py): steps
deal from one part only and the values, the oracle and the gaps come from the other, so a
policy is scored on answers it never saw. No model and no Docker: everything is
precomputed into plain lists per cell when the environment is made.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any, SupportsFloat

import gymnasium as gym
import numpy as np

from harness.agents.features import TaskHistory, task_features
from harness.bench.run_setup import placeholder_task
from harness.bench.split import draw_split, part_values
from harness.bench.strategies import StrategyArms, StrategyDecks, recorded_selections
from harness.bench.strategy_results import DEFAULT_CALL_PRICE
from harness.bench.table import AnswerTable, column_parts
from harness.envs.spaces import ActionKind, ActionMap, factor_names, observation_space, restrict
from harness.errors import HarnessError
from harness.tasks.load import Task

_LOG_101 = math.log1p(100)


@dataclass(frozen=True)
class ReplayConfig:
    """What the replay environment plays; `gymnasium.make("harness/Replay-v0", **fields)`."""

    table: AnswerTable | str | Path = Path("bench/tables/responses_v2.jsonl.gz")
    """A recorded table (a file: its largest complete block is used, as `harness bench
    agents` does), or an AnswerTable already loaded."""
    action: ActionKind = "multi"
    """`multi`: one action dimension per strategy part that varies; `discrete`: one index
    over the strategies."""
    selections: tuple[str, ...] | None = None
    """Selection rules crossed with every recorded cell (None: single, best_of_2, 3, 5, and
    repair when the table's repair rounds are all recorded, as `harness bench agents` plays)."""
    preset: str | None = None
    """Only the strategies of this preset (`harness templates list`) the table can play."""
    strategies: tuple[str, ...] = ()
    """Exactly these strategy ids (TEMPLATE@tT/SELECTION) instead of every one."""
    temperatures: tuple[float, ...] | None = None
    """Only these recorded temperatures (None: those of the complete block)."""
    episode_tasks: tuple[str, ...] = ()
    """Tasks episodes are drawn from (empty: every task of the table); a held-out set of
    tasks is the rest."""
    horizon: int = 16
    """Steps per episode before it is truncated."""
    call_budget: int | None = None
    """Also truncate once the episode's steps made this many calls."""
    reward: str = "partial"
    """Reward scheme over each kept answer's graded record."""
    call_price: float = DEFAULT_CALL_PRICE
    """Reward given up per call beyond the first (0: calls are free)."""
    heldout: float = 0.0
    """Share of each cell's answers held out for the values and gaps (0: everything is
    dealt and scored in sample)."""
    split_seed: int = 0
    """Seed of the dealt / held-out split (`reset(options={"split_seed": s})` redraws it)."""
    history: bool = True
    """Observations carry the episode's rewards so far (else those entries stay 0)."""
    tasks_dir: Path | None = None
    """Where the table's task folders are found for their features (None: the default lookup:
    HARNESS_TASKS_DIR, else ./tasks and the built-in tasks)."""


def _load(config: ReplayConfig) -> tuple[AnswerTable, list[str]]:
    if isinstance(config.table, AnswerTable):
        return config.table, []
    from harness.bench.table_io import load_complete

    return load_complete(config.table, config.temperatures,
                         min_answers=2 if config.heldout > 0 else 1)


def _task_objects(table: AnswerTable, given: Mapping[str, Task] | None,
                  tasks_dir: Path | None) -> list[Task]:
    """The Task behind each table task (its features); a task without a folder gets the
    replay's placeholder, as `harness bench agents` gives it."""
    if given is None:
        from harness.tasks.load import find_task, locate_task
        from harness.tasks.sources import task_sources

        search = task_sources() if tasks_dir is None else tasks_dir
        given = {name: find_task(search, name) for name in table.tasks
                 if locate_task(search, name) is not None}
    return [given.get(name) or placeholder_task(name) for name in table.tasks]


def _playable(config: ReplayConfig, arms: StrategyArms, table: AnswerTable) -> tuple[
        list[int], list[str]]:
    """(arm indices the environment offers, strategies asked for that the table cannot play)."""
    ids = arms.ids
    if config.strategies:
        unknown = [s for s in config.strategies if s not in ids]
        if unknown:
            raise HarnessError(f"strategies not in the table: {', '.join(unknown[:5])}; it has "
                               f"{len(ids)}, e.g. {ids[0]}")
        return [ids.index(s) for s in dict.fromkeys(config.strategies)], []
    if config.preset is None:
        return list(range(len(ids))), []
    from harness.loop.strategies import strategy_space

    wanted: dict[str, None] = {}
    for temperature in sorted({column_parts(c)[1] for c in table.templates}):
        wanted.update(dict.fromkeys(strategy_space(config.preset, temperature).ids))
    keep = [ids.index(s) for s in wanted if s in ids]
    if not keep:
        raise HarnessError(f"the table can play none of preset '{config.preset}' "
                           f"({len(wanted)} strategies, e.g. {next(iter(wanted))})")
    return keep, [s for s in wanted if s not in ids]


class ReplayEnv(gym.Env[np.ndarray, Any]):
    """A recorded table as an episodic Gymnasium environment (module docstring)."""

    metadata: dict[str, Any] = {"render_modes": []}

    def __init__(self, config: ReplayConfig | None = None, *,
                 task_objects: Mapping[str, Task] | None = None, **overrides: Any) -> None:
        known = {f.name for f in fields(ReplayConfig)}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise HarnessError(f"unknown replay option(s) {', '.join(unknown)}; valid: "
                               f"{', '.join(sorted(known))}")
        config = replace(config or ReplayConfig(), **overrides)
        if config.horizon < 1 or (config.call_budget is not None and config.call_budget < 1):
            raise HarnessError("horizon and call_budget must be >= 1")
        if not 0 <= config.heldout < 1 or config.call_price < 0:
            raise HarnessError("heldout is a share in [0, 1) and call_price must be >= 0")
        self.config = config
        table, self.notes = _load(config)
        self.table = table
        self.task_names: tuple[str, ...] = table.tasks
        arms = StrategyArms.build(table, config.selections or recorded_selections(table))
        decks = StrategyDecks.build(table, config.reward)
        keep, self.unplayable = _playable(config, arms, table)
        self.decks = decks
        """The table's answers as the selection rule and the scores need them."""
        self.replay_arms = arms
        """Every strategy the table can play (`harness bench agents`' arms); `arm_ids` are
        those offered, `offered` their indices here."""
        self.offered: tuple[int, ...] = tuple(keep)
        self.arm_ids: tuple[str, ...] = tuple(arms.ids[i] for i in keep)
        """The strategies offered, in arm order (what `discrete` actions index)."""
        full_space = arms.arm_space()
        self.arm_space = restrict(full_space, keep)
        self.actions = ActionMap.build(config.action, self.arm_space, factor_names(full_space))
        self.action_space = self.actions.gym_space()
        self.observation_space = observation_space()
        if config.episode_tasks:
            missing = [t for t in config.episode_tasks if t not in table.tasks]
            if missing:
                raise HarnessError(f"episode tasks not in the table: {', '.join(missing)}")
            self._episode_tasks = [table.tasks.index(t) for t in config.episode_tasks]
        else:
            self._episode_tasks = list(range(len(table.tasks)))
        self.tasks = _task_objects(table, task_objects, config.tasks_dir)
        self._static = [task_features(t).astype(np.float32) for t in self.tasks]
        cells = [[table.cells[(t, c)] for c in table.templates] for t in table.tasks]
        self._status = [[[r.status for r in cell] for cell in row] for row in cells]
        self._rewards = [[cell.tolist() for cell in row] for row in decks.rewards]
        self._passed = [[[bool(p) for p in cell] for cell in row] for row in decks.passed]
        self._scores = [[list(cell) for cell in row] for row in decks.scores]
        self._stops = [[list(cell) for cell in row] for row in decks.stops]
        self.arm_columns = [arms.columns[i] for i in keep]
        """Per offered strategy: the table column (template x temperature) it deals from."""
        self._draws = [arms.draws[i] for i in keep]
        self._repair = [bool(arms.repair) and arms.repair[i] for i in keep]
        self._set_split(config.split_seed)
        self._task = -1
        self._order: list[list[int] | None] = []
        self._position: list[int] = []
        self._steps = self._calls = self._pulls = 0
        self._mean = 0.0

    # ----------------------------------------------------------------------- the split

    def _set_split(self, seed: int) -> None:
        """Deal from one part of every cell, score on the other (or on all of it)."""
        cfg = self.config
        if cfg.heldout > 0:
            split = draw_split(self.decks, self.replay_arms, seed, cfg.heldout, cfg.call_price)
            deal, values = split.deal, split.scored
        else:
            deal = tuple(tuple(tuple(range(int(n))) for n in row) for row in self.decks.sizes)
            values = part_values(self.decks, self.replay_arms, deal, cfg.call_price)
        self.split_seed = seed
        self._deal = [[list(cell) for cell in row] for row in deal]
        self.values: np.ndarray = values.value[:, self.offered]
        """(tasks, arms) expected net reward of one step of each strategy (scored part)."""
        self.expected_reward: np.ndarray = values.reward[:, self.offered]
        """(tasks, arms) expected reward of the kept answer (scored part)."""
        self.expected_pass: np.ndarray = values.passed[:, self.offered]
        """(tasks, arms) expected pass@1 of the kept answer (scored part)."""
        self.expected_calls: np.ndarray = values.calls[:, self.offered]
        """(tasks, arms) expected calls of one step (scored part)."""
        self.oracle: np.ndarray = self.values.max(axis=1)
        """Per task: the best strategy's value."""
        self.gaps: np.ndarray = self.oracle[:, None] - self.values
        """(tasks, arms) oracle gap of each strategy: a step's expected regret."""
        self._gaps = self.gaps.tolist()

    # ------------------------------------------------------------------------- the API

    def reset(self, *, seed: int | None = None,
              options: dict[str, Any] | None = None) -> tuple[np.ndarray, dict[str, Any]]:
        """Start an episode on a task: `options` may fix it ({"task": NAME or index}) and
        redraw the split ({"split_seed": s})."""
        super().reset(seed=seed)
        options = options or {}
        if "split_seed" in options:
            self._set_split(int(options["split_seed"]))
        task = options.get("task")
        if task is None:
            t = self._episode_tasks[int(self.np_random.integers(len(self._episode_tasks)))]
        elif isinstance(task, str):
            if task not in self.task_names:
                raise HarnessError(f"task '{task}' is not in the table; it has "
                                   f"{', '.join(self.task_names)}")
            t = self.task_names.index(task)
        else:
            t = int(task)
            if not 0 <= t < len(self.task_names):
                raise HarnessError(f"task index {t} is outside 0..{len(self.task_names) - 1}")
        self._task = t
        columns = len(self._deal[t])
        self._order = [None] * columns
        self._position = [0] * columns
        self._steps = self._calls = self._pulls = 0
        self._mean = 0.0
        info = {"task": self.task_names[t], "oracle": float(self.oracle[t]),
                "split_seed": self.split_seed}
        return self._static[t].copy(), info

    def _next(self, c: int) -> tuple[int, bool]:
        """(answer, reused) of the next deal from column c's dealt part, without replacement
        until the part is used up (then reshuffled and marked reused)."""
        order = self._order[c]
        position = self._position[c]
        reused = False
        if order is None or position == len(order):
            reused = order is not None
            deal = self._deal[self._task][c]
            order = [deal[i] for i in self.np_random.permutation(len(deal)).tolist()]
            self._order[c] = order
            position = 0
        self._position[c] = position + 1
        return order[position], reused

    def step(self, action: Any) -> tuple[np.ndarray, SupportsFloat, bool, bool, dict[str, Any]]:  # noqa: ANN401
        """Use the chosen strategy once on the episode's task."""
        t = self._task
        if t < 0:
            raise HarnessError("call reset() before step()")
        arm = self.actions.arm(action)
        c, k = self.arm_columns[arm], self._draws[arm]
        scores, stops = self._scores[t][c], self._stops[t][c]
        kept, calls, reused = -1, 0, False
        while calls < k:  # the selection rule of harness/bench/strategies.py
            i, again = self._next(c)
            reused = reused or again
            calls += 1
            if kept < 0 or scores[i] > scores[kept]:
                kept = i
            if stops[i]:
                break
        raw, passed, status = self._rewards[t][c][kept], self._passed[t][c][kept], self._status[t][c][kept]
        if self._repair[arm]:  # the dealt answer's recorded repair round, when it needed one
            outcome = self.decks.repairs[t][c][kept]
            raw, passed, calls, status = outcome.reward, bool(outcome.passed), outcome.calls, outcome.status
        reward = raw - self.config.call_price * (calls - 1)
        self._steps += 1
        self._calls += calls
        self._pulls += 1
        self._mean += (reward - self._mean) / self._pulls
        obs = self._static[t].copy()
        if self.config.history:
            obs[-2] = min(max(self._mean, -1.0), 1.0)
            obs[-1] = min(math.log1p(self._pulls) / _LOG_101, 1.0)
        budget = self.config.call_budget
        truncated = self._steps >= self.config.horizon or (budget is not None and
                                                           self._calls >= budget)
        info = {"task": self.task_names[t], "strategy": self.arm_ids[arm], "calls": calls,
                "status": status, "passed": passed,
                "raw_reward": raw, "gap": self._gaps[t][arm], "reused": reused,
                "episode_calls": self._calls}
        return obs, reward, False, truncated, info

    # ------------------------------------------------------------------------ helpers

    def history(self) -> TaskHistory:
        """The episode's rewards so far, as contextual agents keep them."""
        return TaskHistory(self._pulls, self._mean)

    def arm_of(self, action: Any) -> int:  # noqa: ANN401 - an action of the action space
        """The arm (index into `arm_ids`) an action plays."""
        return self.actions.arm(action)

    def action_of(self, arm: int) -> Any:  # noqa: ANN401 - an action of the action space
        """The action that plays arm `arm`."""
        return self.actions.action(arm)


def task_split(names: Sequence[str], heldout: Sequence[str]) -> tuple[tuple[str, ...],
                                                                     tuple[str, ...]]:
    """(training tasks, held-out tasks): train with `episode_tasks=training`, score on the
    rest."""
    missing = [t for t in heldout if t not in names]
    if missing:
        raise HarnessError(f"held-out tasks not in the table: {', '.join(missing)}")
    return tuple(t for t in names if t not in heldout), tuple(t for t in names if t in heldout)
