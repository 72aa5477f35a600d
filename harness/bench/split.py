"""Honest scoring: each seed splits every cell's answers into a dealing and a held-out part.

Agents are dealt answers from the dealing part only; the oracle, "found", regret and
the value of a recommendation come from the held-out part only. Scoring a choice on the
very answers it was made from rewards luck (the best-looking of 128 arms on 5 answers is
partly noise); on fresh answers it does not. The split is redrawn per seed, so the
spread of any figure over seeds includes the noise of which answers the table happens to
hold, not only the agents' own randomness.

A strategy's value on a part is its exact expectation over random orders of that part's
answers (`expected_selection`): unbiased for the strategy's value on the model whenever
k <= the part's answers per cell; a best_of_k with more draws than that is capped there.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from harness.bench.strategies import StrategyArms, StrategyDecks
from harness.errors import HarnessError


@dataclass(frozen=True)
class PartValues:
    """The expected outcome of one pull of every (task, arm) on one part of the answers."""

    reward: np.ndarray
    """(tasks, arms) expected reward of the kept answer."""
    passed: np.ndarray
    """(tasks, arms) expected pass@1 of the kept answer (all hidden tests pass)."""
    calls: np.ndarray
    """(tasks, arms) expected calls (answers drawn) per pull."""
    value: np.ndarray
    """(tasks, arms) reward - call_price * (calls - 1): what the agents learn and are scored on."""


@dataclass(frozen=True)
class SeedSplit:
    """One seed's split of every cell, and what each strategy is worth on each part."""

    seed: int
    """The seed it was drawn from (alone)."""
    deal: tuple[tuple[tuple[int, ...], ...], ...]
    """[task][column] -> the answers agents are dealt from."""
    held: tuple[tuple[tuple[int, ...], ...], ...]
    """[task][column] -> the answers the scores come from (= deal when nothing is held out)."""
    dealt: PartValues
    """Strategy values on the dealing part (what a learner could at best estimate)."""
    scored: PartValues
    """Strategy values on the held-out part: the truth of this seed."""


def held_count(n: int, share: float) -> int:
    """Answers held out of a cell of n: ceil(n * share), leaving at least one on each side."""
    if share <= 0:
        return 0
    if n < 2:
        raise HarnessError("an honest split needs at least 2 answers per cell (or --heldout 0)")
    return min(n - 1, max(1, math.ceil(n * share - 1e-9)))


def draw_split(
    decks: StrategyDecks, arms: StrategyArms, seed: int, heldout: float, call_price: float
) -> SeedSplit:
    """The split of seed `seed`: each cell shuffled from the seed alone, its last
    `held_count` answers held out. heldout 0 scores on the dealt answers (in sample)."""
    rng = np.random.default_rng([seed, 211])
    n_tasks, n_columns = decks.sizes.shape
    deal, held = [], []
    for t in range(n_tasks):
        deal_row, held_row = [], []
        for c in range(n_columns):
            n = int(decks.sizes[t, c])
            order = tuple(int(i) for i in rng.permutation(n))
            cut = n - held_count(n, heldout)
            deal_row.append(order[:cut])
            held_row.append(order[cut:] if cut < n else order)
        deal.append(tuple(deal_row))
        held.append(tuple(held_row))
    deal_t, held_t = tuple(deal), tuple(held)
    return SeedSplit(seed, deal_t, held_t, part_values(decks, arms, deal_t, call_price),
                     part_values(decks, arms, held_t, call_price))


def part_values(
    decks: StrategyDecks, arms: StrategyArms, part: tuple[tuple[tuple[int, ...], ...], ...],
    call_price: float,
) -> PartValues:
    """Every strategy's exact expected outcome on `part` of each cell (`repair`: the mean, over
    the part's answers, of what it ends with after each)."""
    ks = tuple(sorted(set(arms.draws)))
    repair = arms.repair or (False,) * arms.n_arms
    pairs = list(zip(arms.columns, arms.draws, repair, strict=True))
    columns = sorted(set(arms.columns))
    rows = []
    for t, cells in enumerate(part):
        answers = decks.items[t]
        per_column = {c: _cell_values(tuple(sorted(answers[c][i] for i in cells[c])), ks)
                      for c in columns}
        repaired = {c: _repair_values(tuple(decks.repairs[t][c][i][:3] for i in cells[c]))
                    for c in columns} if any(repair) else {}
        rows.append([repaired[c] if r else per_column[c][k] for c, k, r in pairs])
    reward, passed, calls = np.moveaxis(np.array(rows, dtype=float), -1, 0)
    return PartValues(reward, passed, calls, reward - call_price * (calls - 1))


def _repair_values(outcomes: tuple[tuple[float, float, int], ...]) -> tuple[float, float, float]:
    """(E reward, E pass, E calls) of `repair` on a part: one answer dealt at random."""
    n = len(outcomes)
    return (sum(o[0] for o in outcomes) / n, sum(o[1] for o in outcomes) / n,
            sum(o[2] for o in outcomes) / n)


@lru_cache(maxsize=1 << 16)
def _cell_values(
    items: tuple[tuple[int, bool, float, float], ...], ks: tuple[int, ...]
) -> dict[int, tuple[float, float, float]]:
    """k -> (E reward, E pass, E calls) of a cell part, whose answers are `items` in any order.

    `expected_selection` in plain Python, with the non-stop answers grouped by score (all
    members of a group are equally likely to be kept): the replay evaluates it for every
    cell, part and seed, and numpy's per-call overhead dominates at 5-10 answers.
    """
    n = len(items)
    if n == 0:
        raise HarnessError("a selection needs at least one answer")
    stop_items = [(r, p) for _, x, r, p in items if x]
    n_stop = len(stop_items)
    n_free = n - n_stop
    stop_r = sum(r for r, _ in stop_items) / n_stop if n_stop else 0.0
    stop_p = sum(p for _, p in stop_items) / n_stop if n_stop else 0.0
    groups: dict[int, tuple[int, float, float]] = {}  # score -> (answers, reward sum, pass sum)
    for score, stop, r, p in items:
        if not stop:
            size, r_sum, p_sum = groups.get(score, (0, 0.0, 0.0))
            groups[score] = (size + 1, r_sum + r, p_sum + p)
    out = {}
    for k in ks:
        m = min(k, n)
        prefix, calls = 1.0, 0.0
        for j in range(1, m + 1):
            calls += j * prefix * n_stop / (n - j + 1)
            prefix *= max(0, n_free - j + 1) / (n - j + 1)
        calls += m * prefix
        reward, passed = (1.0 - prefix) * stop_r, (1.0 - prefix) * stop_p
        if prefix > 0:
            total = math.comb(n_free, m)
            higher = n_free
            for score in sorted(groups):  # ascending: `higher` counts the groups above
                size, r_sum, p_sum = groups[score]
                higher -= size
                rest = n_free - higher - size
                kept = sum(math.comb(size - 1, e - 1) * math.comb(rest, m - e) / e
                           for e in range(1, min(size, m) + 1)) / total
                reward += prefix * kept * r_sum
                passed += prefix * kept * p_sum
        out[k] = (reward, passed, calls)
    return out
