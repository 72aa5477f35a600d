"""`harness sandbox bench`: the warm pool against one container per program and the bare host.

All three grade the same batch of sort_ints programs (correct and wrong) with
the whole test file. The host variant runs the programs unsandboxed: it is a
speed reference only and only ever sees the fixed programs built here.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path

from harness.grading.grader import Grader, StartedPool, job_for
from harness.sandbox.pool import docker_run_args
from harness.tasks.load import Task

# The plainest interpreter on the host (few site-packages to scan): the fastest fair baseline.
HOST_PYTHON = "/usr/bin/python3" if Path("/usr/bin/python3").exists() else sys.executable
WRONG_PROGRAMS = (
    "def sort_ints(xs):\n    return xs\n",
    "def sort_ints(xs):\n    return sorted(xs, reverse=True)\n",
    "def sort_ints(xs):\n    return sorted(set(xs))\n",
)

HOST_RUNNER = """
import importlib, sys, json
sys.path.insert(0, '.')
tests = importlib.import_module('tests')
out = {}
for name in NAMES:
    try:
        getattr(tests, name)(); out[name] = 'passed'
    except AssertionError:
        out[name] = 'failed'
    except Exception:
        out[name] = 'error'
print(json.dumps(out))
"""


@dataclass(frozen=True)
class BenchRow:
    """One way of grading, measured on the same batch."""

    method: str
    programs: int
    seconds: float
    median_ms: float
    passed: int

    @property
    def per_second(self) -> float:
        return self.programs / self.seconds if self.seconds else 0.0


@dataclass(frozen=True)
class SandboxBench:
    """The three ways of grading one batch: warm pool first, then docker run, then host."""

    tests: int
    workers: int
    rows: tuple[BenchRow, ...]

    @property
    def pool(self) -> BenchRow:
        return self.rows[0]

    def speed_up(self, row: BenchRow) -> float | None:
        """How many times faster the warm pool is than `row` (None when row measured nothing)."""
        return self.pool.per_second / row.per_second if row.per_second else None


def programs(task: Task, n: int) -> list[str]:
    """n distinct programs (a comment makes each unique, defeating any cache), half correct."""
    pool = [task.solution_source, *WRONG_PROGRAMS]
    out = []
    for i in range(n):
        base = task.solution_source if i % 2 == 0 else pool[1 + (i // 2) % len(WRONG_PROGRAMS)]
        out.append(f"{base}\n# program {i}\n")
    return out


def _timed(run_one: Callable[[str], bool], codes: list[str], workers: int) -> tuple[float, float, int]:
    latencies: list[float] = []

    def one(code: str) -> bool:
        t0 = time.perf_counter()
        ok = run_one(code)
        latencies.append(time.perf_counter() - t0)
        return ok

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as ex:
        passed = sum(ex.map(one, codes))
    return time.perf_counter() - start, statistics.median(latencies) * 1000, passed


def bench_pool(grader: Grader, task: Task, codes: list[str]) -> BenchRow:
    workers = grader.sandbox.config.workers
    seconds, median, passed = _timed(lambda c: grader.grade(task, c).status == "passed", codes, workers)
    return BenchRow(f"warm pool ({workers} workers)", len(codes), seconds, median, passed)


def bench_docker_run(sandbox: StartedPool, task: Task, codes: list[str], workers: int) -> BenchRow:
    def one(code: str) -> bool:
        job = {**job_for(task, code, sandbox.config), "id": "x"}
        args = docker_run_args(sandbox.image_tag, sandbox.config, f"harness-bench-{time.monotonic_ns()}", "bench")
        proc = subprocess.run(args, input=json.dumps(job) + "\n", capture_output=True, text=True,
                              timeout=120, check=False)
        lines = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
        return any(r.get("status") == "passed" for r in lines)

    seconds, median, passed = _timed(one, codes, workers)
    return BenchRow(f"docker run --rm per program ({workers} parallel)", len(codes), seconds, median, passed)


def bench_host(task: Task, codes: list[str], workers: int) -> BenchRow:
    """The fastest fair host baseline: one folder per thread, only solution.py rewritten per program."""
    runner = HOST_RUNNER.replace("NAMES", repr(list(task.test_names)))
    local = threading.local()
    with tempfile.TemporaryDirectory(prefix="harness-hostbench-") as tmp:
        def folder() -> Path:
            if not hasattr(local, "dir"):
                local.dir = Path(tempfile.mkdtemp(dir=tmp))
                (local.dir / "tests.py").write_text(task.tests_source)
                (local.dir / "run.py").write_text(runner)
            folder: Path = local.dir
            return folder

        def one(code: str) -> bool:
            d = folder()
            (d / "solution.py").write_text(code)
            proc = subprocess.run([HOST_PYTHON, "-I", "-B", "run.py"], cwd=d, capture_output=True,
                                  text=True, timeout=60, check=False)
            try:
                out = json.loads(proc.stdout)
            except ValueError:
                return False
            return all(v == "passed" for v in out.values())

        seconds, median, passed = _timed(one, codes, workers)
    return BenchRow(f"host python3 -I per program ({workers} parallel, unsafe)", len(codes), seconds, median, passed)


def run_bench(tasks_dir: Path, n_programs: int, n_docker: int, workers: int, *,
              log: Callable[[str], None] = lambda _m: None,
              phase: Callable[[str], AbstractContextManager[object]] = lambda _n: nullcontext(),
              ) -> SandboxBench:
    """Grade the same batch three ways. `log` gets the sandbox start-up messages; each timed
    method runs inside `phase(name)` (a status line, say)."""
    from harness.grading.grader import open_sandbox
    from harness.sandbox.pool import SandboxConfig
    from harness.tasks.load import find_task

    task = find_task(tasks_dir, "sort_ints")
    sandbox = open_sandbox(SandboxConfig(workers=workers), log=log)
    grader = Grader(sandbox, store=None)
    try:
        codes = programs(task, n_programs)
        grader.grade_many([(task, c) for c in codes[:workers * 4]])  # warm up
        with phase("warm pool"):
            pool_row = bench_pool(grader, task, codes)
        with phase("host subprocess"):
            host_row = bench_host(task, codes, workers)
        with phase("docker run per program"):
            docker_row = bench_docker_run(sandbox, task, codes[:n_docker], workers)
    finally:
        grader.close()
    return SandboxBench(len(task.test_names), workers, (pool_row, docker_row, host_row))


def write_figures(bench: SandboxBench, out_path: Path) -> Path:
    """The rows, their speed-ups and the provenance, as JSON at out_path."""
    from dataclasses import asdict

    from harness.provenance import base_provenance

    out_path.parent.mkdir(parents=True, exist_ok=True)
    figures = [{**asdict(r), "per_second": r.per_second, "pool_speed_up": bench.speed_up(r)}
               for r in bench.rows]
    out_path.write_text(json.dumps({**base_provenance(), "workers": bench.workers, "rows": figures},
                                   indent=2) + "\n")
    return out_path
