"""`harness bench record`: a table of real graded responses for the offline agent benchmark.

Every cell (task x template x temperature) gets R samples, generated and graded exactly
as in a live run (same prompts, extraction, sandbox and cache keys). A row keeps the
extracted code and both pass vectors (the task's visible examples and its hidden tests),
so the replay can simulate strategies that choose among answers (best-of-k on the
visible examples) without a model, and a changed grader can regrade the table. Answers go round
the cells one at a time (every cell gets answer k before any gets answer k + 1), so a partial
table is balanced at every answer; the embedded server reads each cell's prompt once all the
same, from its prompt cache in RAM (`python bench/record_speed.py`: 1.32x the calls per
minute of reading every prompt, and sending a cell's answers back to back adds nothing). Answers and
grades are cached in the run store, so an interrupted recording resumes for free;
the table file is rewritten atomically as rows arrive.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import json
import os
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.bench.table_io import repair_path
from harness.errors import HarnessError, SandboxError
from harness.grading.grader import Grader
from harness.llm.client import LLM, GenerationParams
from harness.loop.strategies import REPAIR_TURN_VERSION, Answer, Executor, Strategy
from harness.prompts.space import TemplateSpace, render
from harness.tasks.load import Task, visible_checks

if TYPE_CHECKING:
    from harness.executor import ExecutorConfig
    from harness.llm.endpoints import EndpointRequest

# Tasks in (or near) the band where the embedded 1.5B model sometimes succeeds: where
# prompt content can matter. Easy tasks saturate and teach the agents nothing.
DEFAULT_TASKS = (
    "digit_sum", "second_largest", "balanced_brackets", "caesar_cipher", "roman_to_int",
    "run_length_encode", "merge_intervals", "coin_change_min", "format_duration",
    "is_valid_ipv4", "parse_csv_line", "top_k_words",
)


@dataclass(frozen=True)
class RecordPlan:
    """What to record."""

    tasks: tuple[str, ...]
    """Task names (rows of the table)."""
    templates: tuple[str, ...]
    """Template ids (columns)."""
    samples: int = 10
    """Samples per cell: a 0.3 pass-rate difference needs about 10 to show."""
    params: GenerationParams = GenerationParams()
    """Sampling parameters, as in live runs (the temperature comes from `temperatures`)."""
    temperatures: tuple[float, ...] = (0.2, 0.8)
    """One set of cells per temperature: low for near-greedy answers, 0.8 for diverse ones."""
    chunk: int = 1
    """Samples of one cell requested back to back from one thread; a partial table is balanced
    at multiples of it. 1: the server's RAM prompt cache already reads a prompt once, and
    larger chunks only leave threads idle at the end of a round."""


def table_row(task: Task, template: str, temperature: float, sample: int,
              answer: Answer, visible_total: int) -> dict[str, Any]:
    result = answer.result
    outcome = {t.name: t.outcome for t in result.tests}
    return {"task": task.name, "task_hash": task.hash, "template": template,
            "temperature": temperature, "sample": sample, "code": answer.code,
            "syntax_ok": result.syntax_ok, "status": result.status,
            "finish_reason": answer.finish_reason, "passed": result.passed, "total": result.total,
            "tests": "".join("1" if outcome.get(n) == "passed" else "0" for n in task.test_names),
            "completion_tokens": answer.completion_tokens,
            "visible": answer.visible or "0" * visible_total, "visible_total": visible_total}


def row_key(row: dict[str, Any]) -> tuple[Any, ...]:
    return (row["task"], row["template"], row.get("temperature", 0.0), row["sample"])


def prompts_digest(tasks: list[Task], space: TemplateSpace, templates: tuple[str, ...]) -> str:
    """Hash of every prompt the plan sends: a recording resumes only on the very same words
    (adding a template elsewhere in the space, or a task, changes no recorded prompt)."""
    digest = hashlib.sha256()
    for task in tasks:
        for template in templates:
            messages = render(space.get(template), task, space.components)
            digest.update(json.dumps([task.name, template, messages]).encode() + b"\n")
    return digest.hexdigest()[:16]


RESUMED_ON = ("model", "endpoint", "prompts", "repair_turn")
"""Meta fields (with the plan's sampling parameters) a table must share to be resumed."""


def kept_rows(path: Path, meta: dict[str, Any], tasks: list[Task],
              log: Callable[[str], None] = lambda _m: None) -> list[dict[str, Any]]:
    """Rows of an earlier recording of the same plan, model and prompts that are still valid:
    a table committed from another machine resumes without its run store. Any other file at
    `path` is an error, never overwritten: what was recorded is not lost. Rows of a task whose
    tests changed (its prompts did not) are graded answers to another task: not kept, and
    `log` hears which."""
    meta_path = path.with_name(path.name.removesuffix(".jsonl.gz") + ".meta.json")
    if not path.exists():
        return []
    keep = "pass another --table FILE, or move this file away to record afresh"
    if not meta_path.is_file():
        raise HarnessError(f"{path}: the file exists but has no {meta_path.name} beside it, so "
                           f"it is not a recording this command can resume; {keep}")
    try:
        old = json.loads(meta_path.read_text(encoding="utf-8"))
        if not isinstance(old, dict) or not isinstance(old.get("plan", {}), dict):
            raise ValueError(f"{meta_path.name} is not a recording's meta object")
        hashes = {t.name: t.hash for t in tasks}
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            rows = [json.loads(line) for line in handle if line.strip()]
        changed = Counter(r["task"] for r in rows if hashes.get(r["task"], r["task_hash"]) != r["task_hash"])
        rows = [r for r in rows if hashes.get(r["task"]) == r["task_hash"] and "code" in r]
    except (OSError, EOFError, ValueError, KeyError, TypeError) as exc:  # not a gzip JSONL table
        raise HarnessError(f"{path}: not a response table this command can resume "
                           f"({type(exc).__name__}: {exc}); {keep}") from None
    now = json.loads(json.dumps(meta))  # as it would read back (tuples become lists)
    differ = [f"{k} {old.get(k)!r} -> {now.get(k)!r}" for k in RESUMED_ON
              if old.get(k) != now.get(k)]
    if (params := old.get("plan", {}).get("params")) != now["plan"]["params"]:
        differ.append(f"plan.params {params!r} -> {now['plan']['params']!r}")
    if differ:
        raise HarnessError(f"{path}: holds a recording that differs from this one ("
                           f"{'; '.join(differ)}): its rows cannot be reused, and are not "
                           f"overwritten; {keep}")
    for name, n in sorted(changed.items()):
        log(f"task '{name}' changed since {path.name} was recorded: its {n} rows there are not "
            "kept; those in this plan are recorded again (answers the run store holds come from "
            "its cache)")
    return rows


def write_table(rows: list[dict[str, Any]], path: Path, meta: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    ordered = sorted(rows, key=row_key)
    tmp = path.with_name(path.name + ".tmp")
    with gzip.open(tmp, "wt", encoding="utf-8", compresslevel=9) as handle:
        for row in ordered:
            handle.write(json.dumps(row, sort_keys=True) + "\n")
    os.replace(tmp, path)
    meta_path = path.with_name(path.name.removesuffix(".jsonl.gz") + ".meta.json")
    meta_path.write_text(json.dumps({**meta, "rows": len(ordered)}, indent=2, sort_keys=True) + "\n")


def record_table(plan: RecordPlan, tasks: list[Task], space: TemplateSpace,
                 llm: LLM, grader: Grader, out: Path, meta: dict[str, Any],
                 on_row: Callable[[dict[str, Any]], None] = lambda _r: None,
                 concurrency: int = 4, save_every: int = 25,
                 on_start: Callable[[int], None] = lambda _n: None,
                 log: Callable[[str], None] = lambda _m: None) -> list[dict[str, Any]]:
    # One job = `chunk` consecutive samples of one cell, sent one after another from one
    # thread. Every cell gets a chunk before any cell gets the next one.
    chunk = max(1, plan.chunk)
    jobs = [(range(start, min(start + chunk, plan.samples)), task, template, temperature)
            for start in range(0, plan.samples, chunk) for temperature in plan.temperatures
            for task in tasks for template in plan.templates]
    meta = {**meta, "plan": {**asdict(plan), "params": asdict(plan.params)},
            "prompts": prompts_digest(tasks, space, plan.templates)}
    executor = Executor(llm, grader.grade, space)
    visible_total = visible_totals(tasks)

    def one(r: int, task: Task, template: str, temperature: float) -> dict[str, Any]:
        answer = executor.run(task, Strategy(template, temperature, "single"), r)
        return table_row(task, template, temperature, r, checked(answer, task), visible_total[task.name])

    return _record(jobs, one, tasks, out, meta, on_row, concurrency, save_every, on_start, log)


def visible_totals(tasks: list[Task]) -> dict[str, int]:
    """Visible examples per task (0: selection falls back to syntax validity)."""
    return {t.name: len(checks.test_names) if (checks := visible_checks(t)) else 0 for t in tasks}


def needs_repair(row: dict[str, Any]) -> bool:
    """A `repair` strategy asks again after this answer: it fails a visible example (or, on a
    task that shows none, it has no code that compiles)."""
    if row.get("visible_total"):
        return not row["code"] or "0" in row["visible"]
    return not row["code"] or not row["syntax_ok"]


def record_repairs(plan: RecordPlan, tasks: list[Task], space: TemplateSpace,
                   llm: LLM, grader: Grader, table: Path, meta: dict[str, Any],
                   on_row: Callable[[dict[str, Any]], None] = lambda _r: None,
                   concurrency: int = 4, save_every: int = 25,
                   on_start: Callable[[int], None] = lambda _n: None,
                 log: Callable[[str], None] = lambda _m: None) -> list[dict[str, Any]]:
    """The repair round of every answer of `table` (in the plan's cells) that a `repair`
    strategy would repair, into `repair_path(table)`: a row per repaired answer, with the
    sample index of the answer it repairs. The replay plays `repair` from both: a dealt answer
    that passes its visible examples is kept at one call; otherwise its recorded repair is
    kept (at two calls) when it passes at least as many of them."""
    rows = repair_jobs(plan, tasks, table)
    by_name = {t.name: t for t in tasks}
    out = repair_path(table)
    meta = {**meta, "repairs_of": table.name, "repair_turn": REPAIR_TURN_VERSION,
            "plan": {**asdict(plan), "params": asdict(plan.params)},
            "prompts": prompts_digest(tasks, space, plan.templates)}
    executor = Executor(llm, grader.grade, space)
    visible_total = visible_totals(tasks)
    jobs = [(range(r["sample"], r["sample"] + 1), by_name[r["task"]], r["template"], r["temperature"])
            for r in rows]
    code = {row_key(r): r["code"] for r in rows}

    def one(r: int, task: Task, template: str, temperature: float) -> dict[str, Any]:
        answer = executor.repair(task, template, temperature,
                                 code[(task.name, template, temperature, r)], r)
        return table_row(task, template, temperature, r, checked(answer, task), visible_total[task.name])

    return _record(jobs, one, tasks, out, meta, on_row, concurrency, save_every, on_start, log)


def repair_jobs(plan: RecordPlan, tasks: list[Task], table: Path) -> list[dict[str, Any]]:
    """The rows of `table` in the plan's cells that a `repair` strategy repairs, in the order a
    recording goes: every cell's first answer before any cell's second."""
    if not table.exists():
        raise HarnessError(f"--table {table}: no table to repair yet; record it first (without --repair)")
    hashes = {t.name: t.hash for t in tasks}
    with gzip.open(table, "rt", encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    changed = sorted({r["task"] for r in rows if hashes.get(r["task"], r["task_hash"]) != r["task_hash"]})
    if changed:  # its answers were graded against other tests: repairing them would mislead
        raise HarnessError(f"--table {table}: task {', '.join(map(repr, changed))} changed since the "
                           "table was recorded; record the table again first (without --repair)")
    rows = [r for r in rows if hashes.get(r["task"]) == r["task_hash"] and "code" in r
            and r["template"] in plan.templates and r.get("temperature") in plan.temperatures
            and needs_repair(r)]
    cells = {(t, a, x): i for i, (x, t, a) in enumerate(
        (x, t.name, a) for x in plan.temperatures for t in tasks for a in plan.templates)}
    return sorted(rows, key=lambda r: (r["sample"], cells[(r["task"], r["template"], r["temperature"])]))


def checked(answer: Answer, task: Task) -> Answer:
    """The answer, unless the sandbox failed on it: then nothing is recorded for it."""
    if answer.result.infra:
        raise SandboxError(f"the sandbox failed on {task.name}: {answer.result.message}; "
                           "nothing was recorded for it; the same command resumes")
    return answer


def _record(jobs: list[tuple[range, Task, str, float]],
            one: Callable[[int, Task, str, float], dict[str, Any]], tasks: list[Task], out: Path,
            meta: dict[str, Any], on_row: Callable[[dict[str, Any]], None], concurrency: int,
            save_every: int, on_start: Callable[[int], None],
            log: Callable[[str], None]) -> list[dict[str, Any]]:
    """Run the jobs on `concurrency` threads, skipping rows `out` already holds (the same plan,
    model and prompts; `on_start` hears how many of the jobs' rows those are), rewriting `out`
    every `save_every` rows and when stopped."""
    rows = kept_rows(out, meta, tasks, log)
    have = {row_key(r) for r in rows}
    on_start(sum(1 for samples, task, template, temperature in jobs for r in samples
                 if (task.name, template, temperature, r) in have))
    lock = threading.Lock()
    stop = threading.Event()

    def run(job: tuple[range, Task, str, float]) -> None:
        samples, task, template, temperature = job
        for r in samples:
            if stop.is_set():  # interrupted: finish the sample in flight, start no other
                return
            if (task.name, template, temperature, r) in have:
                continue  # already in the table (perhaps recorded on another machine)
            row = one(r, task, template, temperature)
            with lock:
                rows.append(row)
                on_row(row)
                if len(rows) % save_every == 0:
                    write_table(rows, out, meta)

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        futures = [pool.submit(run, job) for job in jobs]
        try:
            for future in futures:
                future.result()
        except BaseException:
            stop.set()
            pool.shutdown(cancel_futures=True)
            with lock:
                write_table(rows, out, meta)  # keep what was graded; the caches hold the rest
            raise
    write_table(rows, out, meta)
    return rows


def plan_recording(tasks_dir: Path, task_names: tuple[str, ...], preset: str,
                   template_ids: tuple[str, ...], samples: int, temperatures: tuple[float, ...],
                   max_tokens: int) -> tuple[list[Task], TemplateSpace, RecordPlan]:
    """The tasks, template space and plan a recording covers; fails on an unknown name before
    any model or sandbox starts."""
    from harness.prompts.space import default_space
    from harness.tasks.load import find_task

    tasks = [find_task(tasks_dir, name) for name in (task_names or DEFAULT_TASKS)]
    space = default_space(preset)
    templates = tuple(space.get(t).id for t in template_ids) if template_ids else space.ids
    plan = RecordPlan(tuple(t.name for t in tasks), templates, samples,
                      GenerationParams(max_tokens=max_tokens, seed=0), temperatures=temperatures)
    return tasks, space, plan


@dataclass(frozen=True)
class Recording:
    """A recording ready to run: model endpoint and sandbox started, provenance collected."""

    plan: RecordPlan
    tasks: list[Task]
    space: TemplateSpace
    llm: LLM
    grader: Grader
    out: Path
    meta: dict[str, Any]
    concurrency: int
    repair: bool = False
    """Record the repair rounds of the table's answers (`record_repairs`), not the table."""
    log: Callable[[str], None] = lambda _m: None
    """Hears what a recording does not keep of an earlier one, and why."""

    @property
    def total(self) -> int:
        """Rows of the complete table, or repairs of the table as it stands (the end of a
        progress bar)."""
        if self.repair:
            return len(repair_jobs(self.plan, self.tasks, self.out))
        return (len(self.tasks) * len(self.plan.templates) * len(self.plan.temperatures)
                * self.plan.samples)

    @property
    def written(self) -> Path:
        """The file the rows go to."""
        return repair_path(self.out) if self.repair else self.out

    def run(self, on_row: Callable[[dict[str, Any]], None] = lambda _r: None,
            on_start: Callable[[int], None] = lambda _n: None) -> list[dict[str, Any]]:
        """Record every missing row (see `record_table`, `record_repairs`); all its rows.
        `on_start` hears how many of the rows to record are there already."""
        record = record_repairs if self.repair else record_table
        return record(self.plan, self.tasks, self.space, self.llm, self.grader, self.out,
                      self.meta, on_row, self.concurrency, on_start=on_start, log=self.log)


@contextmanager
def open_recording(out: Path, tasks: list[Task], space: TemplateSpace, plan: RecordPlan,
                   request: EndpointRequest, home: Path, workers: int,
                   log: Callable[[str], None] = lambda _m: None,
                   executor: ExecutorConfig | None = None, repair: bool = False) -> Iterator[Recording]:
    """Start the endpoint (an embedded model lives as long as the with-block) and the sandbox
    (here, or on every node of a Ray cluster); both stop on exit."""
    from harness.grading.grader import open_sandbox
    from harness.llm.endpoints import open_endpoint
    from harness.provenance import base_provenance
    from harness.sandbox.pool import SandboxConfig
    from harness.store import Store

    store = Store(home)
    if repair:  # a repair round mostly rewrites the code it is shown: drafts come from the prompt
        request = dataclasses.replace(request, lookup=True)
    with open_endpoint(request, home, log=log) as endpoint:
        sandbox = open_sandbox(SandboxConfig(workers=workers), log=log, executor=executor)
        grader = Grader(sandbox, store)
        in_flight = request.parallel * request.servers
        try:
            llm = LLM(endpoint, store, plan.params, concurrency=in_flight)
            meta = {**base_provenance(), "model": endpoint.model, "endpoint": endpoint.cache_id,
                    "template_space": space.fingerprint(), "sandbox_image": sandbox.image_id,
                    "tasks": {t.name: t.hash for t in tasks}}
            yield Recording(plan, tasks, space, llm, grader, out, meta, in_flight, repair, log)
        finally:
            grader.close()
