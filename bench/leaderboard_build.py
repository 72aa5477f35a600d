"""`build_site` over a synthetic results folder vs the I/O floor (read + json-parse every file).

    python bench/leaderboard_build.py [--runs 20] [--tasks 200] [--samples 4] [--repeats 3]

The folder is generated from one committed run (`--template`, default run-2db72b85b494 from
leaderboard/results): N runs of T tasks (task_000 ..), each task answered `--samples` times in
one episode. Each sample copies the graded fields (status, passed/total, failed tests, reward)
of a sample of the template run, so every record stays self-consistent; the task, its hash
(the same in provenance.task_hashes and samples.jsonl), the template and the sample index are
rewritten. Every claim in run.json (summary, per_task, per_template, best, evaluation) is computed with
harness.leaderboard.scores.claims, the code `check` recomputes them with, so `check` accepts
every run. Run ids are distinct (sha256 of the run index).

Both sides are timed wall clock (perf_counter), best of `--repeats` after one warm-up:
  build     : `build_site(results, out)` into a fresh, empty output folder each time (a build
              into an existing site skips files it would write unchanged);
  I/O floor : read every run.json and samples.jsonl and json-parse the run.json and every line.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.table import Table

from harness.console import console
from harness.leaderboard.records import RUN_FILE, SAMPLES_FILE, SampleRecord, load_run
from harness.leaderboard.scores import claims

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = ROOT / "leaderboard" / "results"
TEMPLATE_RUN = "run-2db72b85b494"
GOAL_S = 5.0
"""The build of the default folder (20 runs x 200 tasks x 4 samples) should take under this."""
DROPPED_PROVENANCE = ("evaluation",)
"""Template provenance that names the template's own tasks, so it would not fit the synthetic ones."""


def task_name(i: int) -> str:
    return f"task_{i:03d}"


def task_hash(task: str) -> str:
    return hashlib.sha256(f"synthetic task {task}".encode()).hexdigest()


def run_id(i: int) -> str:
    return "run-" + hashlib.sha256(f"bench leaderboard_build run {i}".encode()).hexdigest()[:12]


def synthetic_run(template: dict[str, Any], prototypes: list[SampleRecord], index: int,
                  tasks: int, samples: int, seed: int) -> tuple[dict[str, Any], list[SampleRecord]]:
    """run.json and the samples of synthetic run `index`; claims computed by `scores.claims`."""
    rng = random.Random(seed * 1_000_003 + index)
    prov = {k: v for k, v in template["provenance"].items() if k not in DROPPED_PROVENANCE}
    templates: list[str] = list(prov["templates"])
    names = [task_name(t) for t in range(tasks)]
    records = []
    for t, task in enumerate(names):
        strategy = templates[(index + t) % len(templates)]
        for s in range(samples):
            proto = rng.choice(prototypes)
            records.append(dataclasses.replace(
                proto, task=task, task_hash=task_hash(task), template=strategy, episode=0, sample=s,
                phase="learn"))
    rid = run_id(index)
    prov.update(
        command=f"python bench/leaderboard_build.py (synthetic run {index} from {template['run_id']})",
        episodes=1, samples_per_decision=samples, tasks=names,
        task_hashes={task: task_hash(task) for task in names})
    scores = claims(records)
    prompt = [{"role": "system", "content": "You are a helpful assistant."}]
    best = {task: {**b, "prompt": [*prompt, {"role": "user", "content": f"Write `{task}`."}]}
            for task, b in scores["best"].items()}
    run = {"schema": template["schema"], "run_id": rid,
           "name": f"synthetic {index:03d} ({template['name']})", "provenance": prov,
           "summary": scores["summary"], "per_task": scores["per_task"],
           "per_template": scores["per_template"], "best": best, "evaluation": scores["evaluation"]}
    return run, records


def generate(results: Path, runs: int = 20, tasks: int = 200, samples: int = 4,
             template: Path = COMMITTED / TEMPLATE_RUN, seed: int = 0) -> int:
    """Write `runs` run folders under `results`; returns the number of samples written."""
    published = load_run(template)
    prototypes = [r for r in published.samples if r.phase == "learn"]
    written = 0
    for i in range(runs):
        run, records = synthetic_run(published.run, prototypes, i, tasks, samples, seed)
        folder = results / run["run_id"]
        folder.mkdir(parents=True, exist_ok=False)  # a repeated id would overwrite a run
        (folder / RUN_FILE).write_text(json.dumps(run, indent=1, ensure_ascii=False) + "\n",
                                       encoding="utf-8")
        (folder / SAMPLES_FILE).write_text("".join(r.to_json() + "\n" for r in records),
                                           encoding="utf-8")
        written += len(records)
    return written


def io_floor(results: Path) -> int:
    """Read and json-parse every run.json and samples.jsonl line; returns the objects parsed."""
    parsed = 0
    for folder in sorted(p for p in results.iterdir() if p.is_dir()):
        json.loads((folder / RUN_FILE).read_text(encoding="utf-8"))
        parsed += 1
        for line in (folder / SAMPLES_FILE).read_text(encoding="utf-8").splitlines():
            if line.strip():
                json.loads(line)
                parsed += 1
    return parsed


def best_of(fn: Callable[[int], object], repeats: int) -> list[float]:
    """Wall seconds of `repeats` calls fn(1..repeats), after one warm-up call fn(0)."""
    fn(0)
    times = []
    for k in range(1, repeats + 1):
        start = time.perf_counter()
        fn(k)
        times.append(time.perf_counter() - start)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--tasks", type=int, default=200)
    parser.add_argument("--samples", type=int, default=4, help="samples per task per run")
    parser.add_argument("--repeats", type=int, default=3, help="timed repeats (best is reported)")
    parser.add_argument("--template", type=Path, default=COMMITTED / TEMPLATE_RUN,
                        help="the published run folder the synthetic runs copy")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("bench/results/leaderboard_build.json"),
                        help="where the figures are written")
    args = parser.parse_args(argv)
    out = console()
    from harness.leaderboard.build import build_site

    with tempfile.TemporaryDirectory(prefix="harness-lb-bench-") as tmp:
        results, sites = Path(tmp) / "results", Path(tmp) / "sites"
        with out.status(f"generating {args.runs} runs x {args.tasks} tasks x {args.samples} samples"):
            start = time.perf_counter()
            n = generate(results, args.runs, args.tasks, args.samples, args.template, args.seed)
            generate_s = time.perf_counter() - start
        size = sum(f.stat().st_size for f in results.rglob("*") if f.is_file())
        built: list[Any] = []

        def build_fresh(k: int) -> None:
            built.append(build_site(results, sites / f"site-{k}"))

        with out.status("timing the I/O floor"):
            floor_times = best_of(lambda _k: io_floor(results), args.repeats)
        with out.status("timing build_site"):
            build_times = best_of(build_fresh, args.repeats)
        parsed = io_floor(results)
    if any(b.runs != args.runs or b.samples != n for b in built):
        out.print(f"[red]a build verified {[(b.runs, b.samples) for b in built]} "
                  f"(runs, samples), expected ({args.runs}, {n})[/]")
        return 1

    build_s, floor_s = min(build_times), min(floor_times)
    ratio = build_s / floor_s
    met = build_s < GOAL_S
    table = Table(title=f"build_site: {args.runs} runs x {args.tasks} tasks x {args.samples} "
                        f"samples = {n} samples, {size / 1e6:.1f} MB (best of {args.repeats}, "
                        "wall, after one warm-up)")
    for col in ("", "best s", "all s", "per run ms", "per sample µs"):
        table.add_column(col, justify="left" if not col else "right")
    for label, best, times in (("build_site (check + render)", build_s, build_times),
                               ("I/O floor (read + json-parse)", floor_s, floor_times)):
        table.add_row(label, f"{best:.3f}", " ".join(f"{t:.3f}" for t in times),
                      f"{1e3 * best / args.runs:.1f}", f"{1e6 * best / n:.1f}")
    table.add_row("ratio build / floor", f"{ratio:.1f}x", "", "", "")
    table.add_row(f"goal: build under {GOAL_S:g} s", "met" if met else "NOT MET", "", "", "")
    out.print(table)
    out.print(f"generation (not timed against anything): {generate_s:.2f} s; "
              f"{parsed} JSON documents parsed by the floor")

    from harness.provenance import base_provenance

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({
        **base_provenance(), "template_run": args.template.name, "seed": args.seed,
        "runs": args.runs, "tasks": args.tasks, "samples_per_task": args.samples,
        "samples": n, "bytes": size, "repeats": args.repeats, "generate_s": generate_s,
        "build": {"best_s": build_s, "times_s": build_times, "per_run_s": build_s / args.runs},
        "io_floor": {"best_s": floor_s, "times_s": floor_times, "per_run_s": floor_s / args.runs,
                     "documents": parsed},
        "ratio": ratio, "goal": {"build_under_s": GOAL_S, "met": met}}, indent=2) + "\n")
    out.print(f"figures: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
