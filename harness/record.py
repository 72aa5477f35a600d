"""`harness bench record`: a table of real graded responses for the offline agent benchmark.

Every cell (task x template) gets R samples, generated and graded exactly as in
a live run (same prompts, extraction, sandbox and cache keys). Samples come in
chunks (a cell's chunk back to back, so the server keeps its prompt cached); every
cell gets chunk k before any gets chunk k + 1, so a partial table is balanced. Answers and
grades are cached in the run store, so an interrupted recording resumes for free;
the table file is rewritten atomically as rows arrive.
"""

from __future__ import annotations

import gzip
import json
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from harness.extract import extract_code
from harness.grading import Grader
from harness.llm.client import LLM, GenerationParams
from harness.prompts import TemplateSpace, render
from harness.runner import no_code_result
from harness.tasks import Task

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
    """Sampling parameters, as in live runs."""
    chunk: int = 5
    """Samples of one cell requested back to back, so the server reuses the cell's cached
    prompt; a partial table is balanced at multiples of it."""


def table_row(task: Task, template: str, sample: int, finish_reason: str, tokens: int,
              syntax_ok: bool, status: str, passed: int, total: int) -> dict[str, Any]:
    return {"task": task.name, "task_hash": task.hash, "template": template, "sample": sample,
            "syntax_ok": syntax_ok, "status": status, "finish_reason": finish_reason,
            "passed": passed, "total": total, "completion_tokens": tokens}


def write_table(rows: list[dict[str, Any]], path: Path, meta: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    ordered = sorted(rows, key=lambda r: (r["task"], r["template"], r["sample"]))
    tmp = path.with_name(path.name + ".tmp")
    with gzip.open(tmp, "wt", encoding="utf-8", compresslevel=9) as handle:
        for row in ordered:
            handle.write(json.dumps(row, sort_keys=True) + "\n")
    os.replace(tmp, path)
    meta_path = path.with_name(path.name.removesuffix(".jsonl.gz") + ".meta.json")
    meta_path.write_text(json.dumps({**meta, "rows": len(ordered)}, indent=2, sort_keys=True) + "\n")


def record_table(plan: RecordPlan, tasks: list[Task], space: TemplateSpace, llm: LLM,
                 grader: Grader, out: Path, meta: dict[str, Any],
                 on_row: Callable[[dict[str, Any]], None] = lambda _r: None,
                 concurrency: int = 4, save_every: int = 25) -> list[dict[str, Any]]:
    # One job = `chunk` consecutive samples of one cell, sent one after another from one
    # thread: the server hands the request back to the slot that holds the same prompt, so
    # the prompt is processed once per chunk, not once per sample (most of the cost of a
    # short answer on CPU). Every cell gets a chunk before any cell gets the next one.
    chunk = max(1, plan.chunk)
    jobs = [(range(start, min(start + chunk, plan.samples)), task, template)
            for start in range(0, plan.samples, chunk) for task in tasks
            for template in plan.templates]
    rows: list[dict[str, Any]] = []
    meta = {**meta, "plan": {**asdict(plan), "params": asdict(plan.params)}}

    def one(r: int, task: Task, template: str) -> dict[str, Any]:
        messages = render(space.get(template), task, space.components)
        answer = llm.complete(messages, r)
        extraction = extract_code(answer.text, task.entry_point)
        result = grader.grade(task, extraction.code) if extraction.found else no_code_result(task, extraction.reason)
        return table_row(task, template, r, answer.finish_reason, answer.completion_tokens,
                         result.syntax_ok, result.status, result.passed, result.total)

    lock = threading.Lock()
    stop = threading.Event()

    def run(job: tuple[range, Task, str]) -> None:
        samples, task, template = job
        for r in samples:
            if stop.is_set():  # interrupted: finish the sample in flight, start no other
                return
            row = one(r, task, template)
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


def record_cli(table_path: Path, task_names: tuple[str, ...], preset: str, samples: int,
               temperature: float, max_tokens: int, model: str | None, base_url: str | None,
               api_key: str | None, parallel: int, tasks_dir: Path, home: Path, workers: int) -> None:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    from harness.console import console
    from harness.grading import open_sandbox
    from harness.llm.endpoints import EndpointRequest, open_endpoint
    from harness.prompts import default_space
    from harness.provenance import base_provenance
    from harness.sandbox.pool import SandboxConfig
    from harness.store import Store
    from harness.tasks import find_task

    tasks = [find_task(tasks_dir, name) for name in (task_names or DEFAULT_TASKS)]
    space = default_space(preset)
    plan = RecordPlan(tuple(t.name for t in tasks), space.ids, samples,
                      GenerationParams(temperature=temperature, max_tokens=max_tokens, seed=0))
    err = console(stderr=True)
    store = Store(home)
    request = EndpointRequest(model=model, base_url=base_url, api_key=api_key, parallel=parallel)
    with open_endpoint(request, home, log=err.print) as endpoint:
        sandbox = open_sandbox(SandboxConfig(workers=workers), log=err.print)
        grader = Grader(sandbox, store)
        llm = LLM(endpoint, store, plan.params, concurrency=parallel)
        meta = {**base_provenance(), "model": endpoint.model, "endpoint": endpoint.cache_id,
                "template_space": space.fingerprint(), "sandbox_image": sandbox.image_id,
                "tasks": {t.name: t.hash for t in tasks}}
        total = len(tasks) * len(space.ids) * samples
        columns = (TextColumn("recording"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[rate]}"),
                   TimeRemainingColumn())
        try:
            with Progress(*columns, console=err) as progress:
                bar = progress.add_task("record", total=total, rate="")
                passed = [0]

                def on_row(row: dict[str, Any]) -> None:
                    passed[0] += row["status"] == "passed"
                    done = progress.tasks[bar].completed + 1
                    progress.update(bar, advance=1, rate=f"pass {passed[0] / done:.2f}")

                rows = record_table(plan, tasks, space, llm, grader, table_path, meta, on_row, parallel)
        except KeyboardInterrupt:
            err.print(f"[yellow]stopped[/]; what was graded is in {table_path} and the run store; "
                      "the same command resumes without repeating a model call")
            raise SystemExit(130) from None
        finally:
            grader.close()
    err.print(f"wrote {len(rows)} rows to {table_path} ({llm.calls} model calls, {llm.cache_hits} cached)")
