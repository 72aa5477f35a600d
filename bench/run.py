"""End-to-end wall time of the default `harness run --task sort_ints` from a cold start.

    python bench/run.py [--task sort_ints] [--model qwen2.5-coder-1.5b]

Cold start: a fresh run store (no cached answers, no cached grades), the embedded
model installed and assembled but not loaded, the sandbox image built but no
container running. Prints the wall time with a breakdown (model start, LLM,
sandbox, agent) and, as the baseline measured in the same run, the bare LLM time
for the very same prompts (same concurrency, no harness around it).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from rich.console import Console
from rich.table import Table

from harness.llm.client import LLM, GenerationParams
from harness.llm.endpoints import EndpointRequest, open_endpoint
from harness.prompts import default_space, render
from harness.run import RunOptions, execute
from harness.store import Store
from harness.tasks import find_task

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--task", default="sort_ints")
    parser.add_argument("--model", default=None)
    args = parser.parse_args()
    out = Console()
    quiet = Console(quiet=True)
    with tempfile.TemporaryDirectory(prefix="harness-bench-run-") as tmp:
        home = Path(tmp) / "home"
        options = RunOptions(tasks=(args.task,), tasks_dir=ROOT / "tasks", home=home,
                             endpoint=EndpointRequest(model=args.model))
        started = time.perf_counter()
        run_id = execute(options, quiet, quiet)
        wall = time.perf_counter() - started
        store = Store(home)
        run = store.get_run(run_id)
        assert run is not None
        summary = run["summary"]
        rows = store.samples(run_id)

        # Baseline: the same prompts, straight to the model, same concurrency, nothing else.
        task = find_task(ROOT / "tasks", args.task)
        space = default_space()
        prompts = [(render(space.get(r["template"]), task, space.components), r["sample"]) for r in rows]
        base_home = Path(tmp) / "baseline"
        load_started = time.perf_counter()
        with open_endpoint(EndpointRequest(model=args.model), base_home) as endpoint:
            model_ready = time.perf_counter() - load_started
            llm = LLM(endpoint, Store(base_home), GenerationParams(seed=0), concurrency=4)
            gen_started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=4) as pool:
                answers = list(pool.map(lambda p: llm.complete(p[0], 100 + p[1]), prompts))
            generation = time.perf_counter() - gen_started
    tokens = sum(a.completion_tokens for a in answers)
    table = Table(title=f"harness run --task {args.task} (defaults) from a cold start")
    table.add_column("what")
    table.add_column("seconds", justify="right")
    table.add_column("share of wall", justify="right")
    sandbox_agent = summary["sandbox_s"] + summary["agent_s"]
    for label, seconds in (
        ("harness run, wall time", wall),
        ("  sandbox grading (summed over threads)", summary["sandbox_s"]),
        ("  agent choose/update", summary["agent_s"]),
        ("  sandbox + agent", sandbox_agent),
        ("baseline: model load", model_ready),
        ("baseline: the same prompts, LLM only", generation),
        ("baseline: load + LLM", model_ready + generation),
    ):
        table.add_row(label, f"{seconds:.2f}", f"{100 * seconds / wall:.1f}%")
    out.print(table)
    out.print(f"{len(rows)} samples, pass rate {summary['pass_rate']:.2f}; baseline generated {tokens} "
              f"tokens; harness overhead over load + LLM: {wall / (model_ready + generation):.2f}x; "
              f"target: wall < 180 s and sandbox + agent < 5% of wall")


if __name__ == "__main__":
    main()
