"""The recorded table: graded answers, R per (task, column) cell, and what a column is.

A v1 row is one graded answer to a (task, template) prompt sampled at 0.8; a v2 row
(`harness bench record` today) adds its temperature, its code and its visible/hidden pass
vectors, and its column is "TEMPLATE@tT". Both replays read the same `AnswerTable`: the
classic one plays columns as arms, the strategy one crosses them with selection rules.
No answer text is kept, only what a reward or a selection rule can use.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from harness.errors import HarnessError
from harness.grading.results import STATUSES, GradeResult
from harness.grading.rewards import compute_reward, get_reward

V1_TEMPERATURE = 0.8
"""The sampling temperature of every answer of a v1 table (its rows do not say)."""

_V2_FIELDS: dict[str, type] = {
    "temperature": float, "code": str, "tests": str, "visible": str, "visible_total": int,
}
"""Fields a v2 row adds (harness/bench/record.py); absent from v1 rows."""


@dataclass(frozen=True)
class GradedAnswer:
    """One graded answer of the table (the fields of a GradeResult a reward can use)."""

    task: str
    """Task name."""
    task_hash: str
    """Content hash of the task folder when the answer was graded."""
    template: str
    """Template id (an arm of the prompt space)."""
    sample: int
    """Index of this answer within its (task, template) cell: 0..R-1."""
    syntax_ok: bool
    """The extracted code parsed."""
    status: str
    """passed|failed|error|timeout|oom|crashed|syntax_error."""
    finish_reason: str
    """"stop", or "length" when the answer hit the token cap."""
    passed: int
    """Tests passed."""
    total: int
    """Tests run."""
    completion_tokens: int = 0
    """Tokens the model generated for this answer."""
    temperature: float | None = None
    """Sampling temperature (table v2); None in a v1 table, whose answers were all sampled
    at 0.8 (`V1_TEMPERATURE`)."""
    code: str | None = None
    """The extracted code, "" when the answer had none (v2; None in v1)."""
    tests: str | None = None
    """'1'/'0' per hidden test, in the task's order (v2; None in v1)."""
    visible: str | None = None
    """'1'/'0' per visible example of the task, "" when the task has none (v2; None in v1:
    best-of-k then selects on syntax validity)."""
    visible_total: int | None = None
    """Visible examples of the task (v2; None in v1)."""

    @property
    def column(self) -> str:
        """The table column of this answer: its template, plus `@tT` in a v2 table (the
        same cells as strategy ids without their selection)."""
        if self.temperature is None:
            return self.template
        return f"{self.template}@t{self.temperature:g}"

    def result(self) -> GradeResult:
        """The record rewards are computed from (per-test details are not replayed)."""
        return GradeResult(
            syntax_ok=self.syntax_ok, status=self.status, passed=self.passed, total=self.total
        )

    def to_dict(self) -> dict[str, Any]:
        """The row as written: a v1 row keeps exactly the v1 fields."""
        data = dataclasses.asdict(self)
        return {k: v for k, v in data.items() if v is not None or k not in _V2_FIELDS}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str = "") -> GradedAnswer:
        """Validated row; errors name the file, line and field."""
        prefix = f"{where}: " if where else ""
        kinds: dict[str, type | tuple[type, ...]] = {
            "task": str, "task_hash": str, "template": str, "sample": int, "syntax_ok": bool,
            "status": str, "finish_reason": str, "passed": int, "total": int,
            "completion_tokens": int,
        }
        values: dict[str, Any] = {}
        for name, kind in kinds.items():
            if name not in data:
                if name == "completion_tokens":
                    continue
                raise HarnessError(f"{prefix}missing field '{name}'")
            value = data[name]
            ok = isinstance(value, kind) and (kind is bool or not isinstance(value, bool))
            if not ok:
                shown = getattr(kind, "__name__", kind)
                raise HarnessError(f"{prefix}field '{name}' must be {shown}, got {value!r}")
            values[name] = value
        for name, kind in _V2_FIELDS.items():
            value = data.get(name)
            if value is None:
                continue
            if name == "temperature" and isinstance(value, int) and not isinstance(value, bool):
                value = float(value)
            if not isinstance(value, kind) or isinstance(value, bool):
                raise HarnessError(f"{prefix}field '{name}' must be {kind.__name__}, got {value!r}")
            values[name] = value
        for name in ("tests", "visible"):
            if values.get(name) is not None and set(values[name]) - {"0", "1"}:
                raise HarnessError(f"{prefix}field '{name}' must be a string of 0 and 1, "
                                   f"got {values[name]!r}")
        if values.get("visible") and values.get("visible_total") is not None and \
                len(values["visible"]) != values["visible_total"]:
            raise HarnessError(f"{prefix}field 'visible' has {len(values['visible'])} entries, "
                               f"visible_total says {values['visible_total']}")
        if values["status"] not in STATUSES:
            raise HarnessError(
                f"{prefix}field 'status' must be one of {', '.join(STATUSES)}, "
                f"got {values['status']!r}"
            )
        if not 0 <= values["passed"] <= values["total"] or values["sample"] < 0:
            raise HarnessError(
                f"{prefix}need 0 <= passed <= total and sample >= 0, got passed={values['passed']} "
                f"total={values['total']} sample={values['sample']}"
            )
        return cls(**values)


@dataclass(frozen=True)
class AnswerTable:
    """Recorded answers: every (task, template) cell holds R graded samples.

    In a v2 table a column is a template at one temperature (`GradedAnswer.column`,
    "TEMPLATE@tT"), so each (task, template, temperature) is a cell of its own.
    """

    tasks: tuple[str, ...]
    """Task names, in table order."""
    templates: tuple[str, ...]
    """Columns in arm order: template ids (v1), or "TEMPLATE@tT" (v2)."""
    cells: Mapping[tuple[str, str], tuple[GradedAnswer, ...]]
    """(task, template) -> its answers, sorted by sample index."""
    meta: Mapping[str, Any] = field(default_factory=dict)
    """Provenance from `<name>.meta.json`: model, params, tasks, templates, date."""
    repairs: Mapping[tuple[str, str, int], GradedAnswer] = field(default_factory=dict)
    """(task, column, sample) -> the repair round of that answer (`harness bench record
    --repair`), for answers a `repair` strategy repairs; empty when none were recorded."""

    def cell(self, task: str, template: str) -> tuple[GradedAnswer, ...]:
        return self.cells[(task, template)]

    @property
    def samples(self) -> tuple[int, int]:
        """(fewest, most) answers in a cell."""
        sizes = [len(rows) for rows in self.cells.values()]
        return min(sizes), max(sizes)

    def rows(self) -> list[GradedAnswer]:
        return [row for t in self.tasks for a in self.templates for row in self.cells[(t, a)]]

    def rewards(self, reward: str = "partial") -> list[list[np.ndarray]]:
        """[task][template] -> the rewards of that cell's answers, via compute_reward."""
        get_reward(reward)  # a clear error for an unknown scheme
        return [
            [
                np.array([compute_reward(reward, r.result()) for r in self.cells[(t, a)]])
                for a in self.templates
            ]
            for t in self.tasks
        ]

    def means(self, reward: str = "partial") -> np.ndarray:
        """(tasks, templates) mean reward per cell over the whole table: the replay's truth."""
        return np.array([[cell.mean() for cell in row] for row in self.rewards(reward)])

    @classmethod
    def from_rows(
        cls, rows: Iterable[GradedAnswer], meta: Mapping[str, Any] | None = None,
        where: str = "table",
    ) -> AnswerTable:
        """Group rows into cells; a missing cell or a duplicate answer is an error."""
        meta = dict(meta or {})
        cells: dict[tuple[str, str], list[GradedAnswer]] = {}
        tasks: dict[str, str] = {}
        templates: dict[str, None] = {}
        for row in rows:
            if tasks.setdefault(row.task, row.task_hash) != row.task_hash:
                raise HarnessError(
                    f"{where}: task '{row.task}' appears with two task hashes (the task changed "
                    "while recording); record it again"
                )
            templates.setdefault(row.column, None)
            cells.setdefault((row.task, row.column), []).append(row)
        if not cells:
            raise HarnessError(f"{where}: the table has no rows")
        found = meta.get("plan")
        plan: dict[str, Any] = found if isinstance(found, dict) else {}
        task_order = _ordered(tasks, meta.get("tasks") or plan.get("tasks"))
        template_order = _ordered(templates, meta.get("templates") or plan.get("templates"))
        missing = [(t, a) for t in task_order for a in template_order if (t, a) not in cells]
        if missing:
            shown = ", ".join(f"{t}/{a}" for t, a in missing[:5])
            raise HarnessError(
                f"{where}: {len(missing)} (task, template) cells have no answers ({shown}"
                f"{' ...' if len(missing) > 5 else ''}); every task needs every template"
            )
        frozen: dict[tuple[str, str], tuple[GradedAnswer, ...]] = {}
        for key, items in cells.items():
            items.sort(key=lambda r: r.sample)
            indices = [r.sample for r in items]
            if len(set(indices)) != len(indices):
                raise HarnessError(f"{where}: cell {key[0]}/{key[1]} repeats a sample index")
            frozen[key] = tuple(items)
        return cls(task_order, template_order, frozen, meta)


def _ordered(seen: Mapping[str, Any], preferred: Any) -> tuple[str, ...]:
    """The meta file's order when it lists exactly the names seen, else first appearance."""
    if isinstance(preferred, list) and sorted(map(str, preferred)) == sorted(seen):
        return tuple(map(str, preferred))
    return tuple(seen)


def column_parts(column: str) -> tuple[str, float]:
    """"TEMPLATE@tT" -> (template, T); a v1 column (a bare template) was sampled at 0.8."""
    template, sep, temperature = column.rpartition("@t")
    if not sep:
        return column, V1_TEMPERATURE
    try:
        return template, float(temperature)
    except ValueError:
        return column, V1_TEMPERATURE


def is_v2(table: AnswerTable) -> bool:
    """The table's rows carry temperatures, code and pass vectors (harness/bench/record.py)."""
    return any(rows[0].temperature is not None for rows in table.cells.values())

