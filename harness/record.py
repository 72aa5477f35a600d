"""`harness bench record`: a table of real graded responses for the offline agent benchmark.

Every cell (task x template) gets R samples, generated and graded exactly as in
a live run (same prompts, extraction, sandbox and cache keys). Sample index r is
filled for every cell before r + 1, so a partial table is balanced. Answers and
grades are cached in the run store, so an interrupted recording resumes for free;
the table file is rewritten atomically as rows arrive.
"""

from __future__ import annotations

import gzip
import json
import os
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
    jobs = [(r, task, template) for r in range(plan.samples) for task in tasks
            for template in plan.templates]
    rows: list[dict[str, Any]] = []
    meta = {**meta, "plan": {**asdict(plan), "params": asdict(plan.params)}}

    def one(job: tuple[int, Task, str]) -> dict[str, Any]:
        r, task, template = job
        messages = render(space.get(template), task, space.components)
        answer = llm.complete(messages, r)
        extraction = extract_code(answer.text, task.entry_point)
        result = grader.grade(task, extraction.code) if extraction.found else no_code_result(task, extraction.reason)
        return table_row(task, template, r, answer.finish_reason, answer.completion_tokens,
                         result.syntax_ok, result.status, result.passed, result.total)

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        for row in pool.map(one, jobs):
            rows.append(row)
            on_row(row)
            if len(rows) % save_every == 0:
                write_table(rows, out, meta)
    write_table(rows, out, meta)
    return rows
