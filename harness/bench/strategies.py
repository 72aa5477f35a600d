"""Strategies as replay arms: a (task, template, temperature) cell's answers, used one way.

A strategy id is "TEMPLATE@tT/SELECTION" (harness.loop.strategies). Pulling one on a task
deals answers of its cell: `single` one; `best_of_k` up to k, stopping at the first
whose visible vector is all ones, else keeping the one that passes the most visible
examples (ties: the first drawn); a task without visible examples (and every v1 row)
selects on syntax validity instead: the first syntax-valid answer. That is the rule
`harness.loop.strategies.Executor.run` applies live, read off the recorded vectors. Only the
kept answer is scored, with `compute_reward` on its record; calls are the answers drawn.

`expected_selection` gives a selection's exact expectation over random orders of a
set of answers (the U-statistic: unbiased for k draws from the cell's distribution
whenever k <= the answers given), which is how the held-out part is scored.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

import numpy as np

from harness.agents.base import ArmSpace
from harness.bench.run_setup import arm_space_for
from harness.bench.table import AnswerTable, GradedAnswer, column_parts
from harness.errors import HarnessError
from harness.grading.rewards import all_passed, compute_reward, get_reward

SELECTIONS = ("single", "best_of_2", "best_of_3", "best_of_5")
"""Selections the replay can play from a table of single answers."""
REPAIR = "repair"
"""The selection that also needs the table's recorded repair rounds (`harness bench record
--repair`): a pull deals one answer; one that fails a visible example is followed by its
recorded repair, kept when it passes at least as many (two calls)."""
DEFAULT_STRATEGY = "p0-o0-d1-s1-e1-c0-h0-f1@t0.8/single"
"""The default way of asking (harness.loop.strategies.DEFAULT_TEMPLATE, one call at 0.8): the
value-of-learning table's baseline."""


def default_strategy(ids: Sequence[str]) -> str | None:
    """The default strategy among `ids`; failing that, the default template's single answer at
    another recorded temperature (a table still recording may lack t0.8); None without either."""
    if DEFAULT_STRATEGY in ids:
        return DEFAULT_STRATEGY
    template = DEFAULT_STRATEGY.split("@")[0]
    return next((i for i in ids if i.startswith(f"{template}@") and i.endswith("/single")), None)


def strategy_id(template: str, temperature: float, selection: str) -> str:
    """Exactly `harness.loop.strategies.Strategy.id`."""
    return f"{template}@t{temperature:g}/{selection}"


def draws_of(selection: str) -> int:
    """Answers a selection draws at most."""
    if selection == "single":
        return 1
    if selection.startswith("best_of_") and selection.removeprefix("best_of_").isdigit():
        return int(selection.removeprefix("best_of_"))
    if selection == REPAIR:
        return 1
    raise HarnessError(f"unknown selection '{selection}'; valid: {', '.join((*SELECTIONS, REPAIR))}")


# ------------------------------------------------------------------ one answer, one pull


def answer_score(row: GradedAnswer) -> tuple[int, bool]:
    """(score, stop) of an answer under the selection rule.

    With visible examples: -1 without code, else the examples passed; stop when all pass.
    Without (or in a v1 row): 1 for valid syntax, -1 otherwise; stop at valid syntax.
    """
    if row.visible_total:
        if not row.code:
            return -1, False
        passed = (row.visible or "").count("1")
        return passed, passed == row.visible_total
    ok = row.syntax_ok and row.code != ""
    return (1, True) if ok else (-1, False)


def select(
    scores: Sequence[int], stops: Sequence[bool], order: Sequence[int], k: int
) -> tuple[int, int]:
    """(kept answer, calls) when answers are drawn in `order`, at most k of them."""
    kept = -1
    calls = 0
    for index in order[:k]:
        calls += 1
        if kept < 0 or scores[index] > scores[kept]:  # strictly: ties keep the first drawn
            kept = index
        if stops[index]:
            break
    if kept < 0:
        raise HarnessError("a selection needs at least one answer")
    return kept, calls


def expected_selection(
    scores: Sequence[int], stops: Sequence[bool], values: np.ndarray, k: int
) -> tuple[np.ndarray, float]:
    """(E[values of the kept answer], E[calls]) over uniformly random orders of the answers.

    `values` is (answers, m): any per-answer figures (reward, passed). Exact: the first
    stop among the first min(k, n) answers is at position j with the hypergeometric
    probability of j - 1 non-stops first, and is then a uniformly random stop answer; with
    no stop, the first min(k, n) are a random subset of the non-stops, and answer i is kept
    when no higher score is in it and i is drawn first of its equals in it. (The replay uses
    `harness.bench.split._cell_values`, the same sums in plain Python, for speed.)
    """
    key = (tuple(int(s) for s in scores), tuple(bool(s) for s in stops),
           tuple(map(tuple, np.asarray(values, dtype=float).tolist())), int(k))
    mean, calls = _expected(*key)
    return np.array(mean), calls


@lru_cache(maxsize=1 << 16)
def _expected(
    scores: tuple[int, ...], stops: tuple[bool, ...], values: tuple[tuple[float, ...], ...], k: int
) -> tuple[tuple[float, ...], float]:
    n = len(scores)
    if n == 0:
        raise HarnessError("a selection needs at least one answer")
    vals = np.array(values, dtype=float).reshape(n, -1)
    m = min(k, n)
    stop = np.array(stops, dtype=bool)
    n_stop = int(stop.sum())
    n_free = n - n_stop
    prefix = 1.0  # P(the first j - 1 drawn are all non-stops)
    p_first = []
    for j in range(1, m + 1):
        p_first.append(prefix * n_stop / (n - j + 1))
        prefix *= max(0, n_free - j + 1) / (n - j + 1)
    p_none = prefix
    calls = sum(j * p for j, p in enumerate(p_first, 1)) + m * p_none
    out = np.zeros(vals.shape[1])
    if n_stop:
        out += (1.0 - p_none) * vals[stop].mean(axis=0)
    if p_none > 0:
        free = np.flatnonzero(~stop)
        free_scores = np.array([scores[i] for i in free])
        total = math.comb(n_free, m)
        for i in free:
            s = scores[i]
            higher = int((free_scores > s).sum())
            equal = int((free_scores == s).sum())
            rest = n_free - higher - equal
            p = sum(math.comb(equal - 1, e - 1) * math.comb(rest, m - e) / e
                    for e in range(1, min(equal, m) + 1)) / total
            out += p_none * p * vals[i]
    return tuple(out.tolist()), float(calls)


# ------------------------------------------------------------------------- repair


class RepairOutcome(NamedTuple):
    """What a `repair` pull ends with after one dealt answer."""

    reward: float
    passed: float
    """1.0 when the kept answer passed every hidden test."""
    calls: int
    """1 when the dealt answer passed its visible examples, else 2."""
    status: str
    """The kept answer's grading status."""


def missing_repairs(table: AnswerTable) -> int:
    """Answers a `repair` strategy repairs whose repair round the table does not hold."""
    return sum(1 for (t, c), cell in table.cells.items() for row in cell
               if not answer_score(row)[1] and (t, c, row.sample) not in table.repairs)


def recorded_selections(table: AnswerTable) -> tuple[str, ...]:
    """Every selection the table can play: `repair` too once all its repair rounds are in."""
    return (*SELECTIONS, REPAIR) if table.repairs and not missing_repairs(table) else SELECTIONS


def repair_outcomes(table: AnswerTable, reward: str) -> tuple[tuple[tuple[RepairOutcome, ...], ...], ...]:
    """[task][column] -> per answer, what `repair` ends with after it: the answer itself at one
    call when it passes its visible examples; else, at two calls, its recorded repair when that
    passes at least as many of them (as harness.loop.strategies.Executor.run keeps it), or
    the answer."""
    def outcome(t: str, c: str, row: GradedAnswer) -> RepairOutcome:
        score, stop = answer_score(row)
        kept, calls = row, 1
        if not stop:
            repaired, calls = table.repairs[(t, c, row.sample)], 2
            if answer_score(repaired)[0] >= score:
                kept = repaired
        result = kept.result()
        return RepairOutcome(compute_reward(reward, result), float(all_passed(result)), calls,
                             kept.status)

    return tuple(tuple(tuple(outcome(t, c, row) for row in table.cells[(t, c)])
                       for c in table.templates) for t in table.tasks)


# --------------------------------------------------------------------- cells and arms


@dataclass(frozen=True)
class StrategyDecks:
    """Per (task, column) cell, what the selection rule and the scores need of each answer.

    Computed once per table and reward scheme: a reward is a pure function of the record.
    """

    reward: str
    """The reward scheme."""
    rewards: tuple[tuple[np.ndarray, ...], ...]
    """[task][column] -> compute_reward(reward, record) of each answer."""
    passed: tuple[tuple[np.ndarray, ...], ...]
    """[task][column] -> 1.0 where the answer passed every hidden test (pass@1)."""
    scores: tuple[tuple[tuple[int, ...], ...], ...]
    """[task][column] -> each answer's selection score (`answer_score`)."""
    stops: tuple[tuple[tuple[bool, ...], ...], ...]
    """[task][column] -> whether a best-of-k stops at this answer."""
    sizes: np.ndarray
    """(tasks, columns) answers per cell."""
    visible: tuple[bool, ...]
    """Per task: its answers carry visible-example vectors (else selection is on syntax)."""
    items: tuple[tuple[tuple[tuple[int, bool, float, float], ...], ...], ...] = ()
    """[task][column] -> (score, stop, reward, passed) of each answer: all a selection's
    expectation depends on."""
    repairs: tuple[tuple[tuple[RepairOutcome, ...], ...], ...] = ()
    """[task][column] -> what `repair` ends with after each answer (empty: no repair rounds
    recorded for every answer that needs one)."""

    @classmethod
    def build(cls, table: AnswerTable, reward: str = "partial") -> StrategyDecks:
        get_reward(reward)
        cells = [[table.cells[(t, c)] for c in table.templates] for t in table.tasks]
        rewards = tuple(tuple(np.array([compute_reward(reward, r.result()) for r in cell])
                              for cell in row) for row in cells)
        passed = tuple(tuple(np.array([float(all_passed(r.result())) for r in cell])
                             for cell in row) for row in cells)
        scored = [[[answer_score(r) for r in cell] for cell in row] for row in cells]
        items = tuple(
            tuple(
                tuple((s, x, float(r), float(p)) for (s, x), r, p in zip(
                    scored[t][c], rewards[t][c], passed[t][c], strict=True))
                for c in range(len(cells[t]))
            )
            for t in range(len(cells))
        )
        return cls(
            reward=reward, rewards=rewards, passed=passed,
            scores=tuple(tuple(tuple(s for s, _ in cell) for cell in row) for row in scored),
            stops=tuple(tuple(tuple(x for _, x in cell) for cell in row) for row in scored),
            sizes=np.array([[len(cell) for cell in row] for row in cells]),
            visible=tuple(any(bool(r.visible_total) for cell in row for r in cell)
                          for row in cells),
            items=items,
            repairs=repair_outcomes(table, reward) if not missing_repairs(table) else (),
        )


@dataclass(frozen=True)
class StrategyArms:
    """The arms of a strategy replay: every column (template x temperature) x selection."""

    templates: tuple[str, ...]
    """Template ids, in arm order."""
    temperatures: tuple[float, ...]
    """Temperatures, in arm order."""
    selections: tuple[str, ...]
    """Selection rules, in arm order."""
    ids: tuple[str, ...]
    """Strategy ids, template-major, then temperature, then selection (as StrategySpace)."""
    columns: tuple[int, ...]
    """Per arm: the index of its cell's column in the table."""
    draws: tuple[int, ...]
    """Per arm: answers drawn at most (k)."""
    repair: tuple[bool, ...] = ()
    """Per arm: a `repair` strategy (one answer dealt, then perhaps its recorded repair)."""

    @property
    def n_arms(self) -> int:
        return len(self.ids)

    @property
    def most_calls(self) -> int:
        """The most calls one pull can make."""
        return max(max(self.draws), 2 if any(self.repair) else 1)

    @classmethod
    def build(cls, table: AnswerTable, selections: Sequence[str] = ("single",)) -> StrategyArms:
        """Arms over the table's columns; the table must hold every template at every
        temperature."""
        if not selections:
            raise HarnessError("at least one selection is needed")
        draws = {s: draws_of(s) for s in selections}
        if REPAIR in selections and (unrecorded := missing_repairs(table)):
            raise HarnessError(f"selection 'repair' needs the repair round of every answer that "
                               f"fails a visible example; {unrecorded} of them are not recorded "
                               "(`harness bench record --repair`)")
        parts = [column_parts(c) for c in table.templates]
        templates = tuple(dict.fromkeys(t for t, _ in parts))
        temperatures = tuple(dict.fromkeys(x for _, x in parts))
        index = {p: i for i, p in enumerate(parts)}
        missing = [(t, x) for t in templates for x in temperatures if (t, x) not in index]
        if missing:
            raise HarnessError(f"the table lacks {len(missing)} template x temperature column(s), "
                               f"e.g. {missing[0][0]} at {missing[0][1]:g}")
        arms = [(t, x, s) for t in templates for x in temperatures for s in selections]
        return cls(
            templates=templates, temperatures=temperatures, selections=tuple(selections),
            ids=tuple(strategy_id(t, x, s) for t, x, s in arms),
            columns=tuple(index[(t, x)] for t, x, _ in arms),
            draws=tuple(draws[s] for _, _, s in arms),
            repair=tuple(s == REPAIR for _, _, s in arms),
        )

    def arm_space(self) -> ArmSpace:
        """Template factors (or one flat factor), then temperature, then selection: factored
        agents can learn what a temperature or a selection does across templates."""
        base = arm_space_for(self.templates)
        arms = tuple(factors + (ti, si) for factors in base.arms
                     for ti in range(len(self.temperatures)) for si in range(len(self.selections)))
        sizes = base.factor_sizes + (len(self.temperatures), len(self.selections))
        return ArmSpace(sizes, arms, self.ids)
