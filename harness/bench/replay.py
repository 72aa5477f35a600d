"""Replay recorded answers to benchmark agents offline: no model, no sandbox, thousands of seeds.

A response table holds real graded answers, R per (task, template) cell. Replaying it
turns every cell into a deck: a pull deals an unused answer of that cell (without
replacement, in a per-run order), grades nothing (the record is already graded) and
scores it with `harness.grading.rewards.compute_reward`, the very code live runs use. Agents
are driven through exactly the `Agent` interface with runner.py's episode structure
(one decision per task per episode, K samples per decision, one update per sample,
contexts from `harness.agents.features`), so what this benchmark shows is what `harness run`
would do on the same answers, minus the concurrency of in-flight requests.

Regret is expected regret: a pull of cell (t, a) costs `oracle_t - mean(t, a)` with
means over the full table, so the noise of which answer was dealt does not enter it.
When an agent pulls a cell more often than it has answers, the deck is reshuffled
(draws with replacement) and counted, because such pulls see no new information.

What `run_benchmark` measures, per agent over independent seeds (95% intervals):

- cumulative regret against the per-task oracle, as curves over pulls per task;
- simple regret of `agent.best(context)` and the share of tasks whose recommendation is
  within 0.05 reward of the oracle, after B pulls per template (B x templates per task);
  agents that plan from the run length (successive halving) get a run per budget;
- calls versus uniform: pulls per task until 90% of (task, seed) pairs are within 0.05
  ("to 90%", may never happen within the budget), and the mean pulls per task from which
  a task's recommendation stays within ("settle"), each as a ratio to uniform's;
- transfer: contextual agents train on the other tasks, then play held-out tasks from
  their first pull, against the best context-free agent on the same tasks from scratch;
- a permutation test per task of whether the template matters at all;
- agent steps/s (time inside choose/update/best) and CPU seconds.

Baselines: the oracle (regret 0 by definition) and the best single template overall,
computed from the table; uniform is an agent like the others. Seeds run in worker
processes (one torch thread each); every (agent, seed) result depends on nothing else.

Sections: the table, synthetic tables, the environment, the episode loop, the
benchmark, the sensitivity test, and output (rich tables, PNG plots, JSON).

This is the classic replay: templates as arms, scored in sample. A v2 table (rows with a
temperature, the code and visible/hidden pass vectors) is read by the same `Response`,
its columns being "TEMPLATE@tT"; harness/bench/ replays it with strategies (template x
temperature x best-of-k selection) as arms, costs in calls, and scores on held-out answers.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import io
import json
import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from harness.agents import agent_class, agent_names
from harness.agents import features as context_module
from harness.agents.base import Agent, ArmSpace, Context
from harness.agents.features import FEATURE_DIM, TaskHistory, make_context, task_features
from harness.bench import render
from harness.bench.aggregate import (
    AgentFigures,
    Estimate,
    ReplayResult,
    agent_json,
    bootstrap_draws,
    bootstrap_interval,
    budget_figures,
    by_agent,
    chosen_gaps,
    config_json,
    curve_json,
    estimate_json,
    found_curves,
    per_budget_json,
    reach,
    transfer_budgets,
    transfer_curves,
    transfer_results,
    vs_uniform,
)
from harness.bench.jobs import SeedRun, run_agent_seed, run_seed_jobs
from harness.errors import HarnessError
from harness.grading.results import STATUSES, GradeResult
from harness.grading.rewards import compute_reward, get_reward
from harness.tasks.load import Task

DEFAULT_TABLE = Path("bench/tables/responses.jsonl.gz")
DEFAULT_OUT = Path("bench/results/agents")
DEFAULT_BUDGETS = (1, 2, 5, 10)
DEFAULT_TRAIN_BUDGET = 2
"""Pulls per template per training task before transfer: 32 pulls per task over 16
templates, what one `harness run` with its defaults (8 episodes x 4 samples) gives a
warm-started policy. More training helps transfer (synthetic table over placeholder
tasks, LinUCB, held-out regret ratio at budget 1: 0.73 after 2, 0.53 after 10) but PPO's
training steps are the benchmark's largest cost (about 0.8 ms each)."""
DEFAULT_TRANSFER_BUDGET = 5
"""Pulls per template per held-out task in the transfer test (capped at the largest
budget). Transfer is about the first pulls on a new task: on the synthetic table the
per-task learners overtake the trained contextual agents after about 2 pulls per
template, and every held-out PPO step costs about 0.8 ms."""

# ----------------------------------------------------------------------------- the table


V1_TEMPERATURE = 0.8
"""The sampling temperature of every answer of a v1 table (its rows do not say)."""

_V2_FIELDS: dict[str, type] = {
    "temperature": float, "code": str, "tests": str, "visible": str, "visible_total": int,
}
"""Fields a v2 row adds (harness/record.py); absent from v1 rows."""


@dataclass(frozen=True)
class Response:
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
    def from_dict(cls, data: Mapping[str, Any], where: str = "") -> Response:
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
                raise HarnessError(f"{prefix}field '{name}' must be {kind.__name__}, got {value!r}")  # type: ignore[union-attr]
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
                f"{prefix}field 'status' must be one of {', '.join(STATUSES)}, got {values['status']!r}"
            )
        if not 0 <= values["passed"] <= values["total"] or values["sample"] < 0:
            raise HarnessError(
                f"{prefix}need 0 <= passed <= total and sample >= 0, got passed={values['passed']} "
                f"total={values['total']} sample={values['sample']}"
            )
        return cls(**values)


@dataclass(frozen=True)
class ResponseTable:
    """Recorded answers: every (task, template) cell holds R graded samples.

    In a v2 table a column is a template at one temperature (`Response.column`,
    "TEMPLATE@tT"), so each (task, template, temperature) is a cell of its own.
    """

    tasks: tuple[str, ...]
    """Task names, in table order."""
    templates: tuple[str, ...]
    """Columns in arm order: template ids (v1), or "TEMPLATE@tT" (v2)."""
    cells: Mapping[tuple[str, str], tuple[Response, ...]]
    """(task, template) -> its answers, sorted by sample index."""
    meta: Mapping[str, Any] = field(default_factory=dict)
    """Provenance from `<name>.meta.json`: model, params, tasks, templates, date."""

    def cell(self, task: str, template: str) -> tuple[Response, ...]:
        return self.cells[(task, template)]

    @property
    def samples(self) -> tuple[int, int]:
        """(fewest, most) answers in a cell."""
        sizes = [len(rows) for rows in self.cells.values()]
        return min(sizes), max(sizes)

    def rows(self) -> list[Response]:
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
        cls, rows: Iterable[Response], meta: Mapping[str, Any] | None = None, where: str = "table"
    ) -> ResponseTable:
        """Group rows into cells; a missing cell or a duplicate answer is an error."""
        meta = dict(meta or {})
        cells: dict[tuple[str, str], list[Response]] = {}
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
        plan = meta.get("plan") if isinstance(meta.get("plan"), dict) else {}
        task_order = _ordered(tasks, meta.get("tasks") or plan.get("tasks"))
        template_order = _ordered(templates, meta.get("templates") or plan.get("templates"))
        missing = [(t, a) for t in task_order for a in template_order if (t, a) not in cells]
        if missing:
            shown = ", ".join(f"{t}/{a}" for t, a in missing[:5])
            raise HarnessError(
                f"{where}: {len(missing)} (task, template) cells have no answers ({shown}"
                f"{' ...' if len(missing) > 5 else ''}); every task needs every template"
            )
        frozen: dict[tuple[str, str], tuple[Response, ...]] = {}
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


def meta_path(path: Path) -> Path:
    """`responses.jsonl.gz` -> `responses.meta.json` (beside the table)."""
    name = path.name
    for suffix in (".gz", ".jsonl", ".json"):
        name = name.removesuffix(suffix)
    return path.with_name(f"{name}.meta.json")


def _open_text(path: Path, mode: str) -> io.TextIOBase:
    if path.suffix == ".gz":
        return gzip.open(path, mode + "t", encoding="utf-8")  # type: ignore[return-value]
    return open(path, mode, encoding="utf-8")  # type: ignore[return-value]  # noqa: SIM115


def load_table(path: Path | str) -> ResponseTable:
    """Read a (gzip) JSONL response table and its optional meta file; every cell must be there
    (`harness.bench.table.load_complete` keeps the complete part of a table still recording)."""
    rows, meta = read_rows(path)
    return ResponseTable.from_rows(rows, meta, where=str(path))


def read_rows(path: Path | str) -> tuple[list[Response], dict[str, Any]]:
    """The validated rows of a (gzip) JSONL response table, and its meta file (or {})."""
    path = Path(path)
    if not path.is_file():
        raise HarnessError(
            f"{path}: no response table; record one with `harness bench record` "
            "(or pass --table FILE)"
        )
    meta: dict[str, Any] = {}
    if (mp := meta_path(path)).is_file():
        try:
            meta = json.loads(mp.read_text())
        except json.JSONDecodeError as exc:
            raise HarnessError(f"{mp}: invalid JSON ({exc})") from None
    rows: list[Response] = []
    try:
        with _open_text(path, "r") as fh:
            for number, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    data = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise HarnessError(f"{path}:{number}: invalid JSON ({exc})") from None
                if not isinstance(data, dict):
                    raise HarnessError(f"{path}:{number}: expected a JSON object per line")
                rows.append(Response.from_dict(data, f"{path}:{number}"))
    except (OSError, EOFError) as exc:  # a truncated or non-gzip file
        raise HarnessError(f"{path}: cannot be read ({exc})") from None
    return rows, meta


def save_table(
    rows: Iterable[Response | Mapping[str, Any]], path: Path | str, meta: Mapping[str, Any] | None = None
) -> Path:
    """Write rows as (gzip) JSONL and `meta` beside it; atomic, so a killed write leaves no half file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    items = [r if isinstance(r, Response) else Response.from_dict(r) for r in rows]
    table = ResponseTable.from_rows(items, meta, where=str(path))  # validate before writing
    tmp = path.with_name(path.name + ".tmp" + (".gz" if path.suffix == ".gz" else ""))
    with _open_text(tmp, "w") as fh:
        for row in items:
            fh.write(json.dumps(row.to_dict(), sort_keys=True) + "\n")
    tmp.replace(path)
    full_meta = {
        "tasks": list(table.tasks),
        "templates": list(table.templates),
        "rows": len(items),
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),  # noqa: UP017
        **dict(meta or {}),
    }
    mp = meta_path(path)
    mp.with_suffix(".tmp").write_text(json.dumps(full_meta, indent=2, sort_keys=True))
    mp.with_suffix(".tmp").replace(mp)
    return path


# ----------------------------------------------------------------------- synthetic tables


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


_SYNTHETIC_KINDS = {
    "easy": (("strings", "lists"), "Return the reversed words of a short string of text."),
    "medium": (("parsing", "empty_input"), "Parse the record into fields, handling empty input."),
    "hard": (("dp", "math"), "Compute the minimum cost with dynamic programming over all splits."),
}


def synthetic_tasks(n: int) -> list[Task]:
    """n placeholder tasks cycling easy/medium/hard, with tags and words that reveal the kind."""
    kinds = list(_SYNTHETIC_KINDS)
    out = []
    for i in range(n):
        kind = kinds[i % 3]
        tags, text = _SYNTHETIC_KINDS[kind]
        out.append(placeholder_task(f"synthetic_{i:02d}", kind, tags, f"{text} Variant {i}."))
    return out


# Effect on the pass probability of turning a content component on, by difficulty: the
# structure a contextual agent can learn once and transfer (difficulty is a feature).
_EFFECTS = {
    "easy": {"base": 0.40, "solved_example": 0.00, "examples": 0.30, "edge_cases": 0.05, "hints": -0.10},
    "medium": {"base": 0.25, "solved_example": -0.05, "examples": 0.10, "edge_cases": 0.25, "hints": 0.05},
    "hard": {"base": 0.10, "solved_example": 0.15, "examples": 0.05, "edge_cases": -0.05, "hints": 0.30},
}


def synthetic_pass_prob(
    tasks: Sequence[Task], templates: Sequence[str], seed: int = 0, noise: float = 0.03
) -> np.ndarray:
    """(tasks, templates) probability that an answer passes every test.

    Content components (examples, edge cases, hints, solved example) help or hurt by
    task difficulty, plus a little per-cell noise; templates that are not factored ids
    get noise around the base rate.
    """
    from harness.prompts.space import default_space

    space = default_space()
    names = [c.name for c in space.components]
    rng = np.random.default_rng([seed, 17])
    out = np.zeros((len(tasks), len(templates)))
    for i, task in enumerate(tasks):
        effects = _EFFECTS.get(task.difficulty, _EFFECTS["medium"])
        for j, template_id in enumerate(templates):
            try:
                factors = space.get(template_id).factors
            except HarnessError:
                factors = None
            p = effects["base"]
            if factors is not None:
                p += sum(
                    effects[name] for name, option in zip(names, factors, strict=True)
                    if name in effects and option > 0
                )
            out[i, j] = p + noise * rng.standard_normal()
    return np.clip(out, 0.02, 0.95)


def synthetic_table(
    tasks: Sequence[Task],
    templates: Sequence[str] | None = None,
    samples: int = 10,
    seed: int = 0,
    pass_prob: np.ndarray | None = None,
    tests: int = 6,
) -> ResponseTable:
    """A table of made-up answers with known per-cell pass probabilities (in `meta`).

    An answer is a syntax error (truncated) with probability 0.05, passes every test with
    the cell's pass probability, and otherwise passes a Binomial(tests - 1, 0.3) share,
    roughly the bimodal outcomes real answers show.
    """
    from harness.prompts.space import default_space

    templates = tuple(templates or default_space("content").ids)
    probs = synthetic_pass_prob(tasks, templates, seed) if pass_prob is None else pass_prob
    rng = np.random.default_rng([seed, 29])
    rows: list[Response] = []
    for i, task in enumerate(tasks):
        for j, template in enumerate(templates):
            for k in range(samples):
                truncated = rng.random() < 0.05
                solved = not truncated and rng.random() < probs[i, j]
                passed = 0 if truncated else tests if solved else int(rng.binomial(tests - 1, 0.3))
                rows.append(Response(
                    task=task.name, task_hash=task.hash, template=template, sample=k,
                    syntax_ok=not truncated,
                    status="syntax_error" if truncated else "passed" if solved else "failed",
                    finish_reason="length" if truncated else "stop",
                    passed=passed, total=tests, completion_tokens=int(rng.integers(60, 400)),
                ))
    meta = {
        "model": "synthetic", "synthetic": True, "seed": seed,
        "tasks": [t.name for t in tasks], "templates": list(templates),
        "pass_prob": np.round(probs, 4).tolist(),
    }
    return ResponseTable.from_rows(rows, meta, where="synthetic table")


# ------------------------------------------------------------------------- environment


@dataclass(frozen=True)
class Decks:
    """Per-cell answers as GradeResults and their rewards, computed once per table and scheme.

    A reward is a pure function of the record, so scoring each answer once with
    compute_reward gives exactly what scoring it at every pull would.
    """

    reward: str
    """The reward scheme."""
    results: tuple[tuple[tuple[GradeResult, ...], ...], ...]
    """[task][template] -> the cell's answers as grade records."""
    rewards: tuple[tuple[np.ndarray, ...], ...]
    """[task][template] -> compute_reward(reward, result) of each answer."""
    sizes: np.ndarray
    """(tasks, templates) answers per cell."""

    @classmethod
    def build(cls, table: ResponseTable, reward: str = "partial") -> Decks:
        results = tuple(
            tuple(tuple(r.result() for r in table.cells[(t, a)]) for a in table.templates)
            for t in table.tasks
        )
        rewards = tuple(
            tuple(np.array([compute_reward(reward, r) for r in cell]) for cell in row)
            for row in results
        )
        sizes = np.array([[len(cell) for cell in row] for row in results])
        return cls(reward, results, rewards, sizes)

    def means(self) -> np.ndarray:
        return np.array([[cell.mean() for cell in row] for row in self.rewards])


@dataclass(frozen=True)
class Pull:
    """What one pull dealt."""

    task: int
    """Task index in the table."""
    arm: int
    """Template index in the table (= arm index)."""
    sample: int
    """Which answer of the cell was dealt."""
    result: GradeResult
    """Its grade record."""
    reward: float
    """compute_reward(scheme, result)."""
    reused: bool
    """True when the cell was exhausted and the answer was drawn with replacement."""


class ReplayEnv:
    """A response table as a bandit: pulling (task, template) deals that cell's next unused answer.

    The dealing order of every cell is fixed when the environment is made, from `seed`
    alone, so every agent run with the same seed meets the same answers in the same
    order (common random numbers: differences between agents are not dealing luck).
    """

    def __init__(
        self, table: ResponseTable, reward: str = "partial", seed: int = 0, decks: Decks | None = None
    ) -> None:
        self.table = table
        self.decks = decks if decks is not None and decks.reward == reward else Decks.build(table, reward)
        self.rng = np.random.default_rng([seed, 101])
        sizes = self.decks.sizes
        keys = self.rng.random((*sizes.shape, int(sizes.max())))
        keys[np.arange(keys.shape[-1]) >= sizes[..., None]] = np.inf  # padding sorts last
        self.order = np.argsort(keys, axis=-1).tolist()
        self.position = np.zeros(sizes.shape, dtype=int).tolist()
        self.sizes = sizes.tolist()
        self.pulls = 0
        self.reused = 0
        self._task_index = {t: i for i, t in enumerate(table.tasks)}
        self._arm_index = {a: i for i, a in enumerate(table.templates)}

    def draw(self, task: int, arm: int) -> tuple[int, bool]:
        """(answer index, reused) for the next pull of a cell."""
        self.pulls += 1
        position = self.position[task][arm]
        if position < self.sizes[task][arm]:
            self.position[task][arm] = position + 1
            return self.order[task][arm][position], False
        self.reused += 1
        return int(self.rng.integers(self.sizes[task][arm])), True

    def reward(self, task: int, arm: int) -> float:
        """The fast path of `pull`: only the reward."""
        index, _ = self.draw(task, arm)
        return float(self.decks.rewards[task][arm][index])

    def pull(self, task: int | str, arm: int | str) -> Pull:
        """Deal one answer of the cell; names or indices."""
        t = self._task_index[task] if isinstance(task, str) else task
        a = self._arm_index[arm] if isinstance(arm, str) else arm
        index, reused = self.draw(t, a)
        return Pull(t, a, index, self.decks.results[t][a][index],
                    float(self.decks.rewards[t][a][index]), reused)


# ------------------------------------------------------------------------- episode loop


class TaskContexts:
    """`make_context(task, history)` for the table's tasks, with the static part computed once.

    Only the two history features change between pulls; the rest (hashing the
    description, parsing the signature) costs tens of microseconds, so it is computed
    once per task. The shortcut is checked against make_context at construction, on
    histories that hit every clipping branch, and dropped if it ever stops matching.
    """

    def __init__(self, tasks: Sequence[Task]) -> None:
        self.tasks = tuple(tasks)
        self.static = [task_features(t) for t in self.tasks]
        self.dim = FEATURE_DIM
        probes = (TaskHistory(), TaskHistory(7, 0.375), TaskHistory(250, -1.5), TaskHistory(3, 1.2))
        self.fast = getattr(context_module, "N_HISTORY", None) == 2 and all(
            np.array_equal(self._fast(i, h).features, make_context(t, h).features)
            for i, t in enumerate(self.tasks)
            for h in probes
        )

    def _fast(self, index: int, history: TaskHistory) -> Context:
        features = self.static[index].copy()
        if history.pulls:
            features[-2] = min(max(history.mean_reward, -1.0), 1.0)
            features[-1] = min(math.log1p(history.pulls) / _LOG_101, 1.0)
        else:
            features[-2:] = 0.0
        return Context(self.tasks[index].name, features)

    def __call__(self, index: int, history: TaskHistory) -> Context:
        if self.fast:
            return self._fast(index, history)
        return make_context(self.tasks[index], history)


_LOG_101 = math.log1p(100)


@dataclass(frozen=True)
class Trace:
    """What one agent run did, in the numbers the benchmark needs (in pulls; the strategy
    replay's `CallTrace` counts in calls)."""

    tasks: tuple[int, ...]
    """Task indices played, in order."""
    regret: np.ndarray
    """(tasks, pulls) cumulative expected regret of each task after each of its pulls."""
    checkpoints: tuple[int, ...]
    """Pulls per task at which `best` was recorded."""
    best: np.ndarray
    """(checkpoints, tasks) agent.best(context) at each checkpoint."""
    steps: int
    """Rewards fed to the agent (= pulls)."""
    agent_s: float
    """Seconds spent inside choose/update/best."""
    reused: int
    """Pulls of an exhausted cell (drawn with replacement)."""


def play(
    agent: Agent,
    env: ReplayEnv,
    contexts: TaskContexts,
    tasks: Sequence[int],
    pulls: int,
    gaps: np.ndarray,
    samples_per_decision: int = 1,
    checkpoints: Sequence[int] = (),
) -> Trace:
    """Run `pulls` pulls per task with runner.py's structure and record regret and recommendations.

    Each episode makes one decision per task (choose with the task's current history),
    then deals K answers of the chosen template, updating after each with the context
    of the history so far, as `Runner.learn` does.
    """
    k = samples_per_decision
    histories = [TaskHistory() for _ in tasks]
    step_gaps = np.zeros((len(tasks), pulls))
    done = [0] * len(tasks)
    marks = sorted(c for c in set(checkpoints) if 0 < c <= pulls)
    best = np.zeros((len(marks), len(tasks)), dtype=np.int32)
    next_mark = 0
    agent_s = 0.0
    reused_before = env.reused
    clock = time.perf_counter
    for episode in range(math.ceil(pulls / k)):
        for j, t in enumerate(tasks):
            ctx = contexts(t, histories[j])
            t0 = clock()
            arm = agent.choose(ctx)
            agent_s += clock() - t0
            for sample in range(min(k, pulls - done[j])):
                reward = env.reward(t, arm)
                if sample:  # the history moved since the choice
                    ctx = contexts(t, histories[j])
                t0 = clock()
                agent.update(ctx, arm, reward)
                agent_s += clock() - t0
                histories[j] = histories[j].add(reward)
                step_gaps[j, done[j]] = gaps[t, arm]
                done[j] += 1
        reached = min((episode + 1) * k, pulls)
        while next_mark < len(marks) and marks[next_mark] <= reached:
            ctxs = [contexts(t, histories[j]) for j, t in enumerate(tasks)]
            t0 = clock()
            best[next_mark] = [agent.best(c) for c in ctxs]
            agent_s += clock() - t0
            next_mark += 1
    return Trace(
        tasks=tuple(tasks), regret=np.cumsum(step_gaps, axis=1), checkpoints=tuple(marks),
        best=best, steps=sum(done), agent_s=agent_s, reused=env.reused - reused_before,
    )


# --------------------------------------------------------------------------- benchmark


@dataclass(frozen=True)
class BenchmarkConfig:
    """Everything that defines a benchmark run."""

    agents: tuple[str, ...]
    """Agents benchmarked (uniform is the learning baseline)."""
    seeds: tuple[int, ...]
    """One independent run per seed and agent; confidence intervals are over seeds."""
    budgets: tuple[int, ...] = DEFAULT_BUDGETS
    """Pulls per template per task at which recommendations are scored (B x templates pulls)."""
    samples_per_decision: int = 1
    """K answers per decision, as `harness run --samples K`."""
    reward: str = "partial"
    """Reward scheme (harness.grading.rewards)."""
    transfer_split: float | tuple[str, ...] = 1 / 3
    """Held-out tasks for transfer: a fraction drawn per seed, or fixed task names."""
    transfer_train_budget: int = DEFAULT_TRAIN_BUDGET
    """Pulls per template per training task before the held-out tasks are played."""
    transfer_budget: int = DEFAULT_TRANSFER_BUDGET
    """Pulls per template per held-out task (the transfer table's largest budget)."""
    threshold: float = 0.05
    """A recommendation within this much reward of the oracle counts as found."""
    target_rate: float = 0.9
    """Share of (task, seed) pairs that must be found for "pulls to find"."""
    checkpoint_every: int = 8
    """Pulls per task between recorded recommendations (for pulls-to-find)."""
    permutations: int = 2000
    """Permutations per task in the sensitivity test."""
    workers: int = 2
    """Processes across seeds (1 = in this process)."""


@dataclass(frozen=True)
class AgentResult(AgentFigures):
    """One row of the agent table (counts in pulls; intervals: mean ± 1.96 SE over seeds)."""

    pulls_to_find: Estimate | None
    """Pulls per task until >= target_rate of (task, seed) pairs are found; None if never."""
    vs_uniform: Estimate | None
    """pulls_to_find / uniform's (bootstrap over seeds); < 1 means fewer calls than uniform."""
    pulls_to_settle: Estimate | None
    """Per (task, seed): pulls from which every later recommendation is within `threshold`,
    averaged (runs that never settle count as the largest budget: a lower bound)."""
    settle_vs_uniform: Estimate | None
    """pulls_to_settle / uniform's (bootstrap over seeds)."""
    unsettled: float
    """Share of (task, seed) pairs not within `threshold` at the largest budget."""


@dataclass(frozen=True)
class TaskSensitivity:
    """Does the template matter on this task? A permutation test over the table."""

    task: str
    best_template: str
    """The per-task oracle."""
    best_mean: float
    worst_mean: float
    headroom: float
    """Oracle mean minus the mean over templates: uniform's regret per pull."""
    f_stat: float
    """One-way F of reward by template."""
    eta2: float
    """Share of reward variance explained by the template."""
    p_value: float
    """Permutation p-value of F (templates shuffled across answers)."""


@dataclass(frozen=True)
class BenchmarkResult(ReplayResult[AgentResult]):
    """Everything the benchmark measured; `to_dict()` is the JSON written next to the plots."""

    config: BenchmarkConfig
    table: Mapping[str, Any]
    """Shape and provenance of the response table."""
    oracle: Mapping[str, str]
    """task -> template with the best mean reward."""
    best_single: str
    """The template with the best mean reward over all tasks."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "config": config_json(self.config),
            "table": dict(self.table),
            "oracle": dict(self.oracle),
            "best_single": self.best_single,
            "agents": [
                agent_json(a, {
                    "pulls_to_find": estimate_json(a.pulls_to_find),
                    "vs_uniform": estimate_json(a.vs_uniform),
                    "pulls_to_settle": estimate_json(a.pulls_to_settle),
                    "settle_vs_uniform": estimate_json(a.settle_vs_uniform),
                    "unsettled": a.unsettled,
                })
                for a in self.agents
            ],
            "transfer": [
                {
                    "agent": t.agent, "baseline": t.baseline, "trained": per_budget_json(t.trained),
                    "scratch": per_budget_json(t.scratch), "ratio": per_budget_json(t.ratio),
                    "curves_trained_scratch": curve_json(t.curves),
                }
                for t in self.transfer
            ],
            "sensitivity": [dataclasses.asdict(s) for s in self.sensitivity],
            "wall_s": self.wall_s,
            "cpu_s": self.cpu_s,
            "notes": list(self.notes),
        }


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


@dataclass(frozen=True)
class _Shared:
    """What every worker needs; sent once per process."""

    decks: Decks
    table: ResponseTable
    tasks: tuple[Task, ...]
    gaps: np.ndarray
    space: ArmSpace
    config: BenchmarkConfig
    heldout_split: float | tuple[int, ...]


def _run_seed(shared: _Shared, name: str, seed: int) -> SeedRun:
    started = time.process_time()
    return run_agent_seed(
        shared, name, seed, unit=len(shared.table.templates), split=shared.heldout_split,
        gaps=shared.gaps, budget_of=lambda pulls: pulls, play=play, started=started,
        env=lambda: ReplayEnv(shared.table, shared.config.reward, seed, shared.decks),
    )


def checked_arguments(
    table: ResponseTable, agents: Sequence[str] | None, seeds: int | Sequence[int],
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


def task_objects(table: ResponseTable, tasks: Mapping[str, Task] | None) -> tuple[list[Task], list[str]]:
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
    table: ResponseTable, transfer_split: float | Sequence[str]
) -> tuple[float | tuple[int, ...], float | tuple[str, ...]]:
    """(what the runs hold out: a share or task indices, what the config records: the share or
    task names); unknown task names fail."""
    if isinstance(transfer_split, float | int):
        return float(transfer_split), float(transfer_split)
    unknown = [t for t in transfer_split if t not in table.tasks]
    if unknown or not transfer_split:
        raise HarnessError(f"transfer split: unknown or no held-out tasks {unknown}")
    return tuple(table.tasks.index(t) for t in transfer_split), tuple(transfer_split)


def run_benchmark(
    table: ResponseTable,
    agents: Sequence[str] | None = None,
    seeds: int | Sequence[int] = 200,
    budgets: Sequence[int] = DEFAULT_BUDGETS,
    samples_per_decision: int = 1,
    reward: str = "partial",
    transfer_split: float | Sequence[str] = 1 / 3,
    *,
    tasks: Mapping[str, Task] | None = None,
    transfer_train_budget: int | None = None,
    transfer_budget: int | None = None,
    workers: int = 2,
    permutations: int = 2000,
    checkpoint_every: int | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> BenchmarkResult:
    """Replay `table` for every agent and seed; see the module docstring for what is measured.

    `tasks` gives the Task objects behind the table's task names (their features feed
    contextual agents); missing ones get placeholder tasks and a note.
    """
    started = time.perf_counter()
    agents, seed_list, budgets = checked_arguments(table, agents, seeds, budgets,
                                                   "pulls per template per task")
    task_objs, notes = task_objects(table, tasks)
    n_arms = len(table.templates)
    split, recorded_split = transfer_split_of(table, transfer_split)
    config = BenchmarkConfig(
        agents=agents, seeds=seed_list, budgets=budgets,
        samples_per_decision=samples_per_decision, reward=reward, transfer_split=recorded_split,
        transfer_train_budget=transfer_train_budget or DEFAULT_TRAIN_BUDGET,
        transfer_budget=min(transfer_budget or DEFAULT_TRANSFER_BUDGET, max(budgets)),
        checkpoint_every=checkpoint_every or max(1, n_arms // 2),
        permutations=permutations, workers=max(1, workers),
    )
    decks = Decks.build(table, reward)
    means = decks.means()
    gaps = means.max(axis=1, keepdims=True) - means
    shared = _Shared(decks, table, tuple(task_objs), gaps, arm_space_for(table.templates),
                     config, split)
    runs = run_seed_jobs(shared, _run_seed, TaskContexts, on_progress)
    result = _aggregate(table, shared, runs, means, gaps, notes)
    return dataclasses.replace(result, wall_s=time.perf_counter() - started,
                               cpu_s=sum(r.cpu_s for r in runs))


# ------------------------------------------------------------------------- aggregation


def _settle(within: np.ndarray, marks: np.ndarray, max_pulls: int) -> np.ndarray:
    """(tasks, checkpoints) found-flags -> per task the first checkpoint of the final run of
    found recommendations; max_pulls when the last recommendation is not found."""
    n = within.shape[-1]
    trailing = np.where(within.all(axis=-1), n, np.argmin(within[..., ::-1], axis=-1))
    first = np.minimum(n - trailing, n - 1)
    return np.where(trailing > 0, marks[first], max_pulls).astype(float)


def _aggregate(
    table: ResponseTable, shared: _Shared, runs: list[SeedRun], means: np.ndarray,
    gaps: np.ndarray, notes: list[str],
) -> BenchmarkResult:
    cfg = shared.config
    n_tasks, n_arms = means.shape
    max_pulls = max(cfg.budgets) * n_arms
    pulls_axis = np.arange(1, max_pulls + 1)
    runs_of = by_agent(runs)
    boot = bootstrap_draws(len(cfg.seeds))
    threshold = cfg.threshold + 1e-9

    # Pulls-to-find per agent: point estimate and bootstrap replicates (paired over seeds).
    marks = np.array(runs[0].checkpoints)
    found = found_curves(runs_of, lambda seed: gaps, threshold)  # (seeds, checkpoints)
    to_find = {name: reach(curves, marks, cfg.target_rate, boot) for name, curves in found.items()}
    settle = {
        name: np.stack([_settle((chosen_gaps(gaps, r.best) <= threshold).T, marks, max_pulls)
                        for r in items])  # (seeds, tasks), censored runs = max_pulls
        for name, items in runs_of.items()
    }
    uniform_settle = settle["uniform"].mean(axis=1)
    results: list[AgentResult] = []
    oracle_zero = np.zeros(max_pulls)
    results.append(AgentResult(
        "oracle", "baseline", False, (oracle_zero, oracle_zero, oracle_zero), Estimate.exact(0.0),
        {b: Estimate.exact(0.0) for b in cfg.budgets}, {b: Estimate.exact(1.0) for b in cfg.budgets},
        None, None, None, None, 0.0, steps_per_s=math.nan, reused=0.0,
    ))
    best_single = int(np.argmax(means.mean(axis=0)))
    per_pull = float(gaps[:, best_single].mean())
    line = per_pull * pulls_axis
    single_found = float((gaps[:, best_single] <= threshold).mean())
    results.append(AgentResult(
        "best_single", "baseline", False, (line, line, line), Estimate.exact(line[-1]),
        {b: Estimate.exact(per_pull) for b in cfg.budgets},
        {b: Estimate.exact(single_found) for b in cfg.budgets}, None, None, None, None,
        1.0 - single_found, steps_per_s=math.nan, reused=0.0,
    ))
    for name in cfg.agents:
        items = runs_of[name]
        curves = np.stack([r.regret.mean(axis=0) for r in items])  # (seeds, pulls)
        sem = curves.std(axis=0, ddof=1) / math.sqrt(len(items)) if len(items) > 1 else 0 * curves[0]
        centre = curves.mean(axis=0)
        simple, found_at = budget_figures(items, lambda seed: gaps, cfg.budgets, threshold,
                                          Estimate.of)
        point, reps = to_find[name]
        per_seed = settle[name].mean(axis=1)
        settle_ratio = bootstrap_interval(
            per_seed[boot].mean(axis=1) / uniform_settle[boot].mean(axis=1),
            float(per_seed.mean() / uniform_settle.mean()),
        )
        final_found = np.stack([chosen_gaps(gaps, r.best[-1]) <= threshold for r in items])
        steps = sum(r.steps for r in items)
        agent_s = sum(r.agent_s for r in items)
        results.append(AgentResult(
            name=name, kind="agent", contextual=agent_class(name).contextual,
            curve=(centre, centre - 1.96 * sem, centre + 1.96 * sem),
            cum_regret=Estimate.of(curves[:, -1]), simple_regret=simple, found=found_at,
            pulls_to_find=bootstrap_interval(reps, point) if math.isfinite(point) else None,
            vs_uniform=vs_uniform(point, reps, to_find["uniform"]),
            pulls_to_settle=Estimate.of(per_seed), settle_vs_uniform=settle_ratio,
            unsettled=float(1.0 - final_found.mean()),
            steps_per_s=steps / agent_s if agent_s > 0 else math.inf,
            reused=sum(r.reused for r in items) / max(1, steps),
            cpu_s=sum(r.cpu_s for r in items),
        ))
    transfer = transfer_results(transfer_curves(runs_of, cfg.transfer_budget * n_arms), n_arms,
                                transfer_budgets(cfg.budgets, cfg.transfer_budget), boot, Estimate.of)
    sens = sensitivity(table, cfg.reward, cfg.permutations)
    info = {
        "tasks": len(table.tasks), "templates": n_arms,
        "samples_min_max": list(table.samples), "rows": sum(map(len, table.cells.values())),
        "meta": {k: v for k, v in table.meta.items() if k != "pass_prob"},
    }
    return BenchmarkResult(
        config=cfg, table=info,
        oracle={t: table.templates[int(np.argmax(means[i]))] for i, t in enumerate(table.tasks)},
        best_single=table.templates[best_single], agents=tuple(results),
        transfer=transfer, sensitivity=sens, wall_s=0.0, notes=tuple(notes),
    )


# ------------------------------------------------------------------------- sensitivity


def sensitivity(
    table: ResponseTable, reward: str = "partial", permutations: int = 2000, seed: int = 0
) -> tuple[TaskSensitivity, ...]:
    """Per task, a permutation test of reward by template (one-way F).

    Where templates do not differ, no agent can beat uniform: this says which tasks
    carry the signal. Shuffling keeps group sizes, so F is monotone in the between-
    template sum of squares and the test compares that.
    """
    rng = np.random.default_rng([seed, 3])
    rewards = table.rewards(reward)
    out = []
    for i, task in enumerate(table.tasks):
        cells = rewards[i]
        y = np.concatenate(cells)
        labels = np.repeat(np.arange(len(cells)), [len(c) for c in cells])
        sizes = np.bincount(labels).astype(float)
        k, n = len(cells), len(y)
        grand = y.mean()
        sst = float(((y - grand) ** 2).sum())

        def ssb(sums: np.ndarray, sizes: np.ndarray = sizes, grand: float = grand, n: int = n) -> Any:
            return (sums**2 / sizes).sum(axis=-1) - n * grand**2

        observed = float(ssb(np.bincount(labels, weights=y, minlength=k)))
        shuffled = rng.permuted(np.tile(labels, (permutations, 1)), axis=1)
        offsets = shuffled + k * np.arange(permutations)[:, None]
        sums = np.bincount(offsets.ravel(), weights=np.tile(y, permutations),
                           minlength=k * permutations).reshape(permutations, k)
        null = ssb(sums)
        if sst <= 1e-12 or k < 2 or n <= k:
            f_stat, eta2, p = 0.0, 0.0, 1.0
        else:
            ssw = max(sst - observed, 1e-12)
            f_stat = (observed / (k - 1)) / (ssw / (n - k))
            eta2 = observed / sst
            p = (1 + int((null >= observed - 1e-9).sum())) / (permutations + 1)
        cell_means = np.array([c.mean() for c in cells])
        out.append(TaskSensitivity(
            task=task, best_template=table.templates[int(np.argmax(cell_means))],
            best_mean=float(cell_means.max()), worst_mean=float(cell_means.min()),
            headroom=float(cell_means.max() - cell_means.mean()),
            f_stat=float(f_stat), eta2=float(eta2), p_value=float(p),
        ))
    return tuple(out)


# ------------------------------------------------------------------------------ output


def agent_table(result: BenchmarkResult) -> Any:
    """Agents as rows: regret, simple regret and found-rate per budget, calls vs uniform, speed.

    Each cell shows the estimate on its first line and its 95% interval on the second.
    """
    from rich.table import Table

    cfg = result.config
    top = max(cfg.budgets)
    max_pulls = top * int(result.table["templates"])
    table = Table(
        title=f"Agents on {result.table['tasks']} tasks x {result.table['templates']} templates, "
        f"{len(cfg.seeds)} seeds (reward {cfg.reward}, K={cfg.samples_per_decision})",
        caption=f"regret: cumulative expected regret per task after {top} pulls/template.  "
        f"B=b: simple regret of best() after b pulls/template · share of tasks within "
        f"{cfg.threshold:.2f} of the oracle.  to {cfg.target_rate:.0%}: pulls/task until "
        f"{cfg.target_rate:.0%} of (task, seed) pairs are within.  settle: mean pulls/task from "
        "which a task's recommendation stays within.  x uniform: ratio to uniform (< 1 = fewer "
        "calls).  reused: pulls of a cell whose answers were all dealt (drawn again).  Second "
        "lines: 95% CI over seeds (± 1.96 SE; bootstrap [ ] for ratios).",
        show_lines=True,
    )
    table.add_column("agent")
    table.add_column(f"regret\n@B{top}", justify="right")
    for b in cfg.budgets:
        table.add_column(f"B={b}\nSR · found", justify="right")
    for col in (f"to\n{cfg.target_rate:.0%}", "x\nuniform", "settle", "x\nuniform", "steps/s",
                "reused"):
        table.add_column(col, justify="right")
    for a in result.agents:
        exact = a.kind == "baseline"  # computed from the table: no interval
        settle = "-" if a.pulls_to_settle is None else (
            f"{a.pulls_to_settle.mean:.0f}\n±{render.half(a.pulls_to_settle):.0f}"
        )
        name = a.name if a.name != "best_single" else f"best_single\n{result.best_single}"
        table.add_row(name, render.regret_cell(a, exact), *render.budget_cells(a, cfg.budgets, exact),
                      render.find_cell(a.kind, a.pulls_to_find, max_pulls),
                      render.bracket(a.vs_uniform, 2), settle, render.bracket(a.settle_vs_uniform, 2),
                      render.speed_cell(a), "-" if exact else f"{a.reused:.0%}",
                      style="dim" if exact else None)
    return table


def transfer_table(result: BenchmarkResult) -> Any:
    """Held-out regret of trained contextual agents vs the best context-free agent from scratch."""
    from rich.table import Table

    cfg = result.config
    table = Table(
        title=f"Transfer: trained on the other tasks ({cfg.transfer_train_budget} pulls/template "
        f"each), then {cfg.transfer_budget} pulls/template on each held-out task; "
        f"{render.heldout_text(cfg.transfer_split)}",
        caption="cumulative regret per held-out task after b pulls/template: trained agent / best "
        "context-free agent from scratch; ratio (goal <= 0.70) with a bootstrap 95% CI",
        show_lines=True,
    )
    render.transfer_rows(table, result.transfer, lambda b: f"B={b}",
                         lambda ratio: "green" if ratio <= 0.7 else "yellow")
    return table


def sensitivity_table(result: BenchmarkResult) -> Any:
    from rich.table import Table

    sens = result.sensitivity
    differ = sum(s.p_value < 0.05 for s in sens)
    table = Table(
        title=f"Does the template matter? {differ} of {len(sens)} tasks at p < 0.05 "
        f"(permutation test, {result.config.permutations} permutations)",
        caption="headroom = oracle mean - mean over templates (uniform's regret per pull); "
        "where p is large no agent can beat uniform",
    )
    for col in ("task", "oracle template", "best", "worst", "headroom", "F", "eta²", "p"):
        table.add_column(col, justify="left" if col in ("task", "oracle template") else "right")
    for s in sens:
        style = None if s.p_value < 0.05 else "dim"
        table.add_row(s.task, s.best_template, f"{s.best_mean:.2f}", f"{s.worst_mean:.2f}",
                      f"{s.headroom:.3f}", f"{s.f_stat:.2f}", f"{s.eta2:.2f}", f"{s.p_value:.4f}",
                      style=style)
    return table


def plot(result: BenchmarkResult, out: Path) -> list[Path]:
    """Regret curves with 95% bands, simple regret / found-rate vs budget, transfer curves."""
    plt = render.pyplot()
    out.mkdir(parents=True, exist_ok=True)
    cfg = result.config
    n_arms = int(result.table["templates"])
    shown = [a for a in result.agents if a.name != "oracle"]  # the oracle is the zero line
    colour = render.colours(shown)
    paths = [render.regret_plot(
        shown, colour, [b * n_arms for b in cfg.budgets], out / "regret_curves.png",
        "pulls per task", "cumulative expected regret per task",
        f"Cumulative regret vs the per-task oracle ({len(cfg.seeds)} seeds, 95% CI)",
    )]

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.5))
    budgets = np.array(cfg.budgets)
    for a in shown:
        for ax, values in ((ax1, a.simple_regret), (ax2, a.found)):
            mean = np.array([values[b].mean for b in budgets])
            err = np.array([(values[b].hi - values[b].lo) / 2 for b in budgets])
            ax.errorbar(budgets, mean, yerr=err, marker="o", capsize=3, label=a.name,
                        color=colour[a.name], linestyle="--" if a.kind == "baseline" else "-")
    for ax in (ax1, ax2):
        ax.set_xscale("log")
        ax.set_xticks(budgets, [str(b) for b in budgets])
        ax.set_xlabel("budget (pulls per template per task)")
    ax1.set_ylabel("simple regret of best()")
    ax2.set_ylabel(f"share within {cfg.threshold:.2f} of the oracle")
    ax1.legend(fontsize=8)
    fig.suptitle("Recommendation quality vs budget (95% CI over seeds)")
    paths.append(render.save(fig, out / "simple_regret.png"))

    if result.transfer:
        paths.append(render.transfer_plot(result.transfer, colour, out / "transfer.png",
                                          "pulls per held-out task",
                                          "cumulative expected regret per task"))
    return paths


def write_outputs(result: BenchmarkResult, out: Path) -> list[Path]:
    """agents.json (every figure) plus the PNG plots; returns the paths written."""
    return render.write_figures(result, out, plot)


def resolve_tasks(names: Sequence[str], tasks_dir: Path) -> dict[str, Task]:
    """Task objects for the table's names, from the tasks folder (missing ones are skipped)."""
    from harness.tasks.load import find_task

    found = {}
    for name in names:
        if (tasks_dir / name / "task.toml").exists():
            found[name] = find_task(tasks_dir, name)
    return found


def bench_agents(*args: Any, **kwargs: Any) -> Any:
    """`harness bench agents`: harness.bench.agents.bench_agents (the classic replay on a v1
    table, the strategy replay with honest scoring on a v2 table), imported when called
    because that module builds on this one."""
    from harness.bench.agents import bench_agents as run

    return run(*args, **kwargs)
