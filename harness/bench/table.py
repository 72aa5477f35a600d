"""Response tables for the strategy benchmark: v1 and v2 rows, and tables still being recorded.

`harness bench record` rewrites its table every 25 rows while it runs, and records
every cell's first chunk of samples before any cell's second, so a partial table is
balanced but some (task, template, temperature) cells are still empty. The replay needs
every arm on every task, so it keeps the largest complete block: the temperatures and
tasks for which every template has answers, and says what it dropped.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from pathlib import Path

from harness.bench.replay import V1_TEMPERATURE, Response, ResponseTable, read_rows
from harness.errors import HarnessError


def column_parts(column: str) -> tuple[str, float]:
    """"TEMPLATE@tT" -> (template, T); a v1 column (a bare template) was sampled at 0.8."""
    template, sep, temperature = column.rpartition("@t")
    if not sep:
        return column, V1_TEMPERATURE
    try:
        return template, float(temperature)
    except ValueError:
        return column, V1_TEMPERATURE


def is_v2(table: ResponseTable) -> bool:
    """The table's rows carry temperatures, code and pass vectors (harness/record.py)."""
    return any(rows[0].temperature is not None for rows in table.cells.values())


def complete_block(
    rows: Sequence[Response], temperatures: Sequence[float] | None = None, min_answers: int = 1
) -> tuple[list[Response], list[str]]:
    """The rows of the largest complete (tasks x templates x temperatures) block, and notes.

    Among the subsets of the temperatures present (or asked for), the one that keeps the
    most (task, temperature) pairs with every template at >= `min_answers` answers (and
    at least 2 tasks) wins; ties keep more temperatures. Templates are all the table has.
    """
    notes: list[str] = []

    def temp(row: Response) -> float:
        return V1_TEMPERATURE if row.temperature is None else row.temperature

    present = sorted({temp(r) for r in rows})
    if temperatures:
        missing = [t for t in temperatures if t not in present]
        if missing:
            raise HarnessError(
                f"temperature(s) {', '.join(f'{t:g}' for t in missing)} not in the table "
                f"(it has {', '.join(f'{t:g}' for t in present) or 'none'})"
            )
        rows = [r for r in rows if temp(r) in temperatures]
        present = sorted(set(temperatures))
    counts: dict[tuple[str, str, float], int] = {}
    tasks: dict[str, None] = {}
    templates: dict[str, None] = {}
    for r in rows:
        key = (r.task, r.template, temp(r))
        counts[key] = counts.get(key, 0) + 1
        tasks.setdefault(r.task, None)
        templates.setdefault(r.template, None)
    best: tuple[tuple[int, int], tuple[float, ...], tuple[str, ...]] | None = None
    for size in range(len(present), 0, -1):
        for temps in itertools.combinations(present, size):
            kept = tuple(
                t for t in tasks
                if all(counts.get((t, a, x), 0) >= min_answers for a in templates for x in temps)
            )
            score = (len(kept) * len(temps), len(temps))
            if len(kept) >= 2 and (best is None or score > best[0]):
                best = (score, temps, kept)
    if best is None:
        raise HarnessError(
            f"the table has fewer than 2 tasks with every template at >= {min_answers} answer(s) "
            "per temperature; let the recording run longer"
        )
    _, temps, kept = best
    dropped = [t for t in tasks if t not in kept]
    if dropped:
        notes.append(f"{len(dropped)} task(s) with missing cells left out (still recording?): "
                     f"{', '.join(dropped)}")
    if len(temps) < len(present):
        notes.append(f"temperature(s) {', '.join(f'{t:g}' for t in present if t not in temps)} "
                     "left out: too few complete tasks there yet")
    keep_tasks, keep_temps = set(kept), set(temps)
    return [r for r in rows if r.task in keep_tasks and temp(r) in keep_temps], notes


def load_complete(
    path: Path | str, temperatures: Sequence[float] | None = None, min_answers: int = 1
) -> tuple[ResponseTable, list[str]]:
    """A v1 or v2 table as a ResponseTable of its complete block (see `complete_block`)."""
    rows, meta = read_rows(path)
    if not rows:
        raise HarnessError(f"{path}: the table has no rows")
    kept, notes = complete_block(rows, temperatures, min_answers)
    table = ResponseTable.from_rows(kept, ordering(meta, kept), where=str(path))
    return table, notes


def ordering(meta: dict, rows: Sequence[Response]) -> dict:
    """The meta with task and column orders for exactly the kept rows: the plan's order
    (templates, then temperatures) where it has one, else first appearance."""
    plan = meta.get("plan") if isinstance(meta.get("plan"), dict) else {}
    tasks = list(dict.fromkeys(r.task for r in rows))
    columns = list(dict.fromkeys(r.column for r in rows))
    planned_tasks = plan.get("tasks") or meta.get("tasks") or []
    planned_templates = plan.get("templates") or meta.get("templates") or []
    if isinstance(planned_tasks, list | dict):
        rank = {name: i for i, name in enumerate(planned_tasks)}
        tasks.sort(key=lambda t: rank.get(t, len(rank)))
    if isinstance(planned_templates, list):
        rank = {name: i for i, name in enumerate(planned_templates)}
        columns.sort(key=lambda c: (rank.get(column_parts(c)[0], len(rank)), column_parts(c)[1]))
    return {**meta, "tasks": tasks, "templates": columns}
