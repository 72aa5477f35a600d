"""Benchmark how `harness bench record` reads prompts: cached and chunked against read every call.

    python bench/record_speed.py [--tasks letter_counts edit_distance] [--templates 3]
                                 [--samples 4] [--rounds 2] [--out bench/results/record_speed.json]

Why: on 2 CPU cores reading the prompt is about half of a short answer's time. `harness bench
record` sends a cell's answers back to back from one thread (`RecordPlan.chunk`), and the
embedded server keeps prompts cached (its slots' own prefix, plus llama.cpp's prompt cache in
RAM), so a cell's prompt is read once. Three ways, same cells:

- baseline: the server with its prompt cache off (`ServerConfig(prompt_cache=False)`): every
  call reads its whole prompt;
- cached, one answer per cell in turn (chunk 1): consecutive requests carry different prompts,
  so only the RAM prompt cache can help;
- cached, a cell's answers back to back (the recorder's way).

Each records the same cells with the same sample indices and sampling parameters into a fresh
run store (no cached answer) against a freshly started embedded model, with the same request
concurrency; rounds rotate which way goes first, so the machine's noise hits all of them.
Needs the model and Docker; run nothing else model-heavy beside it.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from harness.bench.record import RecordPlan, open_recording  # noqa: E402
from harness.llm.client import GenerationParams  # noqa: E402
from harness.llm.endpoints import EndpointRequest, model_cache_dir  # noqa: E402
from harness.llm.models import DEFAULT_MODEL, get_model  # noqa: E402
from harness.llm.server import EmbeddedServer, ServerConfig  # noqa: E402
from harness.prompts.space import default_space  # noqa: E402
from harness.resources import builtin_tasks_dir  # noqa: E402
from harness.tasks.load import Task, find_task  # noqa: E402

WAYS = {
    "baseline: prompt cache off": (False, 1),
    "cached, one answer per cell in turn": (True, 1),
    "cached, a cell's answers back to back": (True, 0),
}
"""Label -> (server prompt cache on, chunk size; 0: the cell's whole sample count)."""
PARALLEL = 4
"""Requests in flight, as `harness bench record` sends them to the embedded model."""


def record_once(label: str, tasks: list[Task], templates: tuple[str, ...], samples: int,
                model: str, scratch: Path) -> dict[str, Any]:
    """Record the cells once in one way; wall time covers the model calls and grading only."""
    cached, chunk = WAYS[label]
    space = default_space("content")
    plan = RecordPlan(tuple(t.name for t in tasks), templates, samples,
                      GenerationParams(max_tokens=512, seed=0), temperatures=(0.8,),
                      chunk=chunk or samples)
    server = EmbeddedServer.for_model(get_model(model), cache_dir=model_cache_dir(),
                                      config=ServerConfig(n_parallel=PARALLEL, prompt_cache=cached))
    with server:
        request = EndpointRequest(model=model, base_url=server.base_url, api_key=server.api_key,
                                  parallel=PARALLEL)
        with open_recording(scratch / "table.jsonl.gz", tasks, space, plan, request, scratch,
                            workers=2) as recording:
            start = time.perf_counter()
            rows = recording.run()
            wall = time.perf_counter() - start
            calls = recording.llm.calls
    tokens = [r["completion_tokens"] for r in rows]
    return {"way": label, "prompt_cache": cached, "chunk": plan.chunk, "calls": calls, "wall_s": round(wall, 2),
            "calls_per_min": round(60 * calls / wall, 2), "s_per_call": round(wall / calls, 3),
            "completion_tokens_per_call": round(statistics.fmean(tokens), 1),
            "passed": sum(r["passed"] == r["total"] for r in rows)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tasks", nargs="+", default=["letter_counts", "edit_distance"])
    parser.add_argument("--templates", type=int, default=3, help="First N `content` templates.")
    parser.add_argument("--samples", type=int, default=4, help="Answers per cell.")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--model", default=DEFAULT_MODEL, help="Embedded model id.")
    parser.add_argument("--out", type=Path, default=Path("bench/results/record_speed.json"))
    args = parser.parse_args()

    folder = builtin_tasks_dir()
    assert folder is not None, "this install ships no built-in tasks"
    tasks = [find_task(folder, name) for name in args.tasks]
    templates = default_space("content").ids[:args.templates]
    console = Console()
    runs: list[dict[str, Any]] = []
    labels = list(WAYS)
    for round_ in range(args.rounds):
        shift = round_ % len(labels)
        for label in labels[shift:] + labels[:shift]:
            with tempfile.TemporaryDirectory(prefix="record-speed-") as scratch:
                console.print(f"round {round_ + 1}: {label} ...")
                run = record_once(label, tasks, templates, args.samples, args.model, Path(scratch))
                runs.append({"round": round_ + 1, **run})
                console.print(f"  {run['calls']} calls in {run['wall_s']} s: "
                              f"{run['calls_per_min']} calls/min")

    summary = []
    for label in WAYS:
        mine = [r for r in runs if r["way"] == label]
        calls, wall = sum(r["calls"] for r in mine), sum(r["wall_s"] for r in mine)
        summary.append({"way": label, "calls": calls, "wall_s": round(wall, 1),
                        "calls_per_min": round(60 * calls / wall, 2),
                        "per_round_calls_per_min": [r["calls_per_min"] for r in mine],
                        "completion_tokens_per_call": round(statistics.fmean(
                            r["completion_tokens_per_call"] for r in mine), 1)})
    base = summary[0]["calls_per_min"]
    table = Table(title=f"Recording {len(tasks)} tasks x {len(templates)} templates x "
                        f"{args.samples} answers, T=0.8, {args.rounds} rounds, {args.model}")
    for col in ("way", "calls", "wall s", "calls/min", "per round", "completion tok/call",
                "vs baseline"):
        table.add_column(col, justify="left" if col == "way" else "right")
    for s in summary:
        table.add_row(s["way"], str(s["calls"]), f"{s['wall_s']:.1f}", f"{s['calls_per_min']:.2f}",
                      ", ".join(f"{x:.2f}" for x in s["per_round_calls_per_min"]),
                      f"{s['completion_tokens_per_call']:.1f}", f"{s['calls_per_min'] / base:.2f}x")
    console.print(table)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"model": args.model, "tasks": args.tasks, "templates": list(templates),
                                    "samples": args.samples, "rounds": runs,
                                    "summary": summary}, indent=2) + "\n")
    console.print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
