"""What both replays derive from a table and their options before any work.

The agents, seeds and budgets (checked, so a bad name fails before minutes of replay),
the Task behind each of the table's task names (its features feed contextual agents; a
task without a folder gets a placeholder), the transfer split, and the arm space of the
table's templates (how factored agents and PPO's heads see the arms).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from pathlib import Path

from harness.agents import agent_class, agent_names
from harness.agents.base import ArmSpace
from harness.bench.table import AnswerTable
from harness.errors import HarnessError
from harness.tasks.load import Task


def default_agents() -> tuple[str, ...]:
    """Every registered agent except `fixed` (a single template is the best_single baseline)."""
    return tuple(name for name in agent_names() if name != "fixed")


def arm_space_for(templates: Sequence[str]) -> ArmSpace:
    """The factored arm space of the table's templates (PPO's heads), or one flat component."""
    from harness.prompts.space import default_space

    try:
        return default_space().subset(templates).arm_space()
    except HarnessError:
        n = len(templates)
        return ArmSpace((n,), tuple((i,) for i in range(n)), tuple(templates))


def checked_arguments(
    table: AnswerTable, agents: Sequence[str] | None, seeds: int | Sequence[int],
    budgets: Sequence[int], unit: str,
) -> tuple[tuple[str, ...], tuple[int, ...], tuple[int, ...]]:
    """(agents, seeds, budgets) of a benchmark run, checked before any work; uniform is always
    among the agents: it is the baseline of "to find". `unit` names the budgets in errors."""
    agents = tuple(agents or default_agents())
    for name in agents:
        agent_class(name)  # unknown names fail before any work
    if "uniform" not in agents:
        agents = ("uniform", *agents)
    seed_list = tuple(range(seeds)) if isinstance(seeds, int) else tuple(seeds)
    if not seed_list:
        raise HarnessError("the benchmark needs at least one seed")
    budgets = tuple(sorted(set(budgets)))
    if not budgets or budgets[0] < 1:
        raise HarnessError(f"budgets are {unit}: positive integers")
    if len(table.tasks) < 2:
        raise HarnessError("the benchmark needs a table with at least 2 tasks")
    return agents, seed_list, budgets


def task_objects(
    table: AnswerTable, tasks: Mapping[str, Task] | None
) -> tuple[list[Task], list[str]]:
    """The Task behind each of the table's task names (features for contextual agents), and
    notes: a missing one becomes a placeholder, a changed one is only noted."""
    notes: list[str] = []
    found = []
    for name in table.tasks:
        task = (tasks or {}).get(name)
        recorded = table.cells[(name, table.templates[0])][0].task_hash
        if task is None:
            task = placeholder_task(name)
            notes.append(f"task '{name}' has no folder: contextual agents see placeholder features")
        elif recorded and task.hash != recorded:
            notes.append(f"task '{name}' changed since the table was recorded (its hash differs)")
        found.append(task)
    return found, notes


def transfer_split_of(
    table: AnswerTable, transfer_split: float | Sequence[str]
) -> tuple[float | tuple[int, ...], float | tuple[str, ...]]:
    """(what the runs hold out: a share or task indices, what the config records: the share or
    task names); unknown task names fail."""
    if isinstance(transfer_split, float | int):
        return float(transfer_split), float(transfer_split)
    unknown = [t for t in transfer_split if t not in table.tasks]
    if unknown or not transfer_split:
        raise HarnessError(f"transfer split: unknown or no held-out tasks {unknown}")
    return tuple(table.tasks.index(t) for t in transfer_split), tuple(transfer_split)


def placeholder_task(
    name: str, difficulty: str = "medium", tags: Sequence[str] = (), description: str = ""
) -> Task:
    """A Task built directly, for tables whose tasks have no folder (tests, synthetic tables)."""
    return Task(
        name=name, path=Path(name), entry_point=name,
        description=description or f"Solve the {name.replace('_', ' ')} task.",
        tests_source="", solution_source="", test_names=("test_1",),
        signature=f"def {name}(x)", tags=tuple(tags), difficulty=difficulty,
        hash=hashlib.sha256(name.encode()).hexdigest(),
    )


def resolve_tasks(names: Sequence[str], tasks_dir: Path) -> dict[str, Task]:
    """Task objects for the table's names, from the tasks folder (missing ones are skipped)."""
    from harness.tasks.load import find_task, locate_task

    found = {}
    for name in names:
        if locate_task(tasks_dir, name) is not None:
            found[name] = find_task(tasks_dir, name)
    return found

