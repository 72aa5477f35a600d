"""Grading throughput: the local executor vs Ray with one node vs Ray with two node processes,
plus what the driver spends per result, and a paper estimate for 10 and 100 nodes.

    taskset -c 1 python bench/ray_grading.py [--programs 300] [--rounds 8] [--workers 2]

The same distinct programs (sort_ints: correct and wrong ones, so no two are alike) are graded
without the execution cache by: this machine's warm pool (`--workers` containers); a Ray
cluster of one node offering `--workers` CPUs (so a pool of `--workers` containers); and a Ray
cluster of two node processes on this machine offering half as many each (the same containers
in all, so the difference is the cost of spreading). Every Ray process binds 127.0.0.1 only.
Pool start-up is not timed; each executor grades a warm-up batch first. Local and Ray rounds
alternate (local, Ray, local, ...) while both are up, so a noisy machine slows both alike; the
overhead of each Ray setup is its median round against the median of the local rounds it was
interleaved with: of the best rounds (the least disturbed by whatever else the machine runs),
and of the medians.

Driver costs per result, measured here: the run store's writes for one graded sample (grading
cache, answer cache and call log, the sample row), and a Ray actor call carrying a real job and
a real reply (one at a time: the round trip; 64 in flight: wall time per call, and the driver
process's own CPU time per call, which is what the driver pays when the actor is on another
machine). The estimate divides these into a second: the driver's ceilings, which N nodes at
the measured per-node rate reach first or not.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
# Ray rewrites a 127.0.0.1 address to the machine's outward one unless told it is alone.
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")

from harness.executor import ExecutorConfig  # noqa: E402
from harness.grading.grader import Grader, StartedPool, cache_key, job_for, open_sandbox  # noqa: E402
from harness.grading.results import GradeResult  # noqa: E402
from harness.sandbox.pool import SandboxConfig  # noqa: E402
from harness.tasks.load import Task, load_task  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "ray_grading.json"
NETWORK_BYTES_S = 125e6
"""1 Gbit/s: what the network estimate assumes between the driver and the nodes."""


def programs(task: Task, n: int) -> list[tuple[Task, str]]:
    """n distinct programs, one in three wrong."""
    items = []
    for i in range(n):
        body = "list(xs)" if i % 3 == 2 else "sorted(xs)"
        items.append((task, f"def sort_ints(xs):\n    # program {i}\n    return {body}\n"))
    return items


def grade_rounds(box: StartedPool, items: list[tuple[Task, str]], rounds: int,
                 warm: bool = True) -> list[float]:
    """Seconds per round of grading every item (after a warm-up batch, unless `warm` is off)."""
    grader = Grader(box, store=None)
    if warm:
        grader.grade_many(items[:40])
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        results = grader.grade_many(items)
        times.append(time.perf_counter() - started)
        assert not any(r.infra for r in results), "the sandbox failed during the benchmark"
    return times


def on_cluster(cpus: list[int], body: Callable[[str], Any]) -> Any:  # noqa: ANN401
    """Run `body(address)` against a fresh Ray cluster of one node per entry of `cpus`."""
    import ray
    from ray.cluster_utils import Cluster

    cluster = Cluster(initialize_head=True, head_node_args={
        "num_cpus": cpus[0], "node_ip_address": "127.0.0.1", "include_dashboard": False})
    for extra in cpus[1:]:
        cluster.add_node(num_cpus=extra, node_ip_address="127.0.0.1")
    ray.init(address=cluster.address, _node_ip_address="127.0.0.1", include_dashboard=False,
             log_to_driver=False)
    try:
        return body(cluster.address)
    finally:
        ray.shutdown()
        cluster.shutdown()


JOBS_PER_CALL: dict[str, float] = {}
"""Programs per Ray actor call in each setup's timed rounds."""


def paired_rounds(cpus: list[int], local_box: StartedPool, items: list[tuple[Task, str]],
                  rounds: int) -> tuple[list[float], list[float]]:
    """(local seconds, Ray seconds) per round, alternating: a noisy machine hits both alike."""
    def body(address: str) -> tuple[list[float], list[float]]:
        box = open_sandbox(SandboxConfig(), log=lambda _m: None,
                           executor=ExecutorConfig("ray", address))
        local: list[float] = []
        remote: list[float] = []
        try:
            grade_rounds(box, items[:40], 1)  # warm both before timing either
            grade_rounds(local_box, items[:40], 1)
            calls = 0
            for _ in range(rounds):
                before = getattr(box.pool, "calls", 0)
                remote += grade_rounds(box, items, 1, warm=False)
                calls += getattr(box.pool, "calls", 0) - before
                local += grade_rounds(local_box, items, 1, warm=False)
            JOBS_PER_CALL[f"{len(cpus)} node{'s' * (len(cpus) > 1)}"] = len(items) * rounds / max(1, calls)
        finally:
            box.pool.close()
        return local, remote
    result: tuple[list[float], list[float]] = on_cluster(cpus, body)
    return result


class Echo:
    """Answers a job with a reply of the real size: the Ray round trip without the sandbox."""

    def __init__(self, reply: dict[str, Any]) -> None:
        self.reply = reply

    def run(self, job: dict[str, Any], deadline_s: float) -> dict[str, Any]:
        return self.reply


def ray_call_costs(job: dict[str, Any], reply: dict[str, Any], calls: int) -> dict[str, float]:
    """Microseconds per actor call: one at a time (round trip) and 64 in flight (driver cost)."""
    def body(_address: str) -> dict[str, float]:
        import ray

        actor = ray.remote(Echo).options(num_cpus=0, max_concurrency=64).remote(reply)
        ray.get(actor.run.remote(job, 1.0))
        started = time.perf_counter()
        for _ in range(calls // 4):
            ray.get(actor.run.remote(job, 1.0))
        round_trip = (time.perf_counter() - started) / (calls // 4)
        started, cpu = time.perf_counter(), time.process_time()
        pending: list[Any] = []
        for _ in range(calls):
            pending.append(actor.run.remote(job, 1.0))
            if len(pending) >= 64:
                ready, pending = ray.wait(pending, num_returns=len(pending) // 2)
                ray.get(ready)
        ray.get(pending)
        pipelined = (time.perf_counter() - started) / calls
        driver_cpu = (time.process_time() - cpu) / calls
        return {"round_trip_us": round_trip * 1e6, "pipelined_us": pipelined * 1e6,
                "driver_cpu_us": driver_cpu * 1e6}
    result: dict[str, float] = on_cluster([1], body)
    return result


def store_costs(task: Task, result: GradeResult, n: int) -> dict[str, float]:
    """Microseconds per write of what the driver records for one graded sample."""
    from harness.sample import Sample
    from harness.store import CachedResponse, Store

    with tempfile.TemporaryDirectory() as home:
        store = Store(Path(home))
        store.create_run("bench", {"tasks": [task.name]}, {})
        config = SandboxConfig()
        started = time.perf_counter()
        for i in range(n):
            job = job_for(task, f"# {i}\n", config)
            store.put_exec(cache_key(job, "image", config), result.to_dict())
        exec_s = (time.perf_counter() - started) / n
        answer = CachedResponse("```python\ndef f(): pass\n```", "stop", 120, 80, 1.0)
        started = time.perf_counter()
        for i in range(n):
            store.record_answer(f"key-{i}", "model", answer, 1)
        answer_s = (time.perf_counter() - started) / n
        started = time.perf_counter()
        for i in range(n):
            store.add_sample("bench", Sample(
                episode=i // 4, task=task.name, sample=i % 4, task_hash=task.hash, template="t",
                llm_key=f"key-{i}", response=answer.text, code="def f(): pass\n",
                finish_reason="stop", completion_tokens=80, cached=False, result=result,
                reward=1.0))
        sample_s = (time.perf_counter() - started) / n
        store.close()
    return {"exec_cache_us": exec_s * 1e6, "answer_us": answer_s * 1e6,
            "sample_us": sample_s * 1e6, "total_us": (exec_s + answer_s + sample_s) * 1e6}


def estimate(per_node: float, driver: dict[str, float], job_bytes: int,
             nodes: int) -> dict[str, Any]:
    """Results per second at `nodes` nodes, and which ceiling binds first."""
    ceilings = {
        "store writes": 1e6 / driver["store_us"],
        "dispatch (Ray calls)": 1e6 / driver["dispatch_us"],
        "driver CPU (both)": 1e6 / (driver["store_us"] + driver["dispatch_us"]),
        "network (1 Gbit/s)": NETWORK_BYTES_S / job_bytes,
    }
    demand = per_node * nodes
    limit, ceiling = min(ceilings.items(), key=lambda kv: kv[1])
    return {"nodes": nodes, "demand_per_s": demand, "ceilings_per_s": ceilings,
            "expected_per_s": min(demand, ceiling),
            "limited_by": "the nodes (sandbox time)" if demand <= ceiling else limit}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--programs", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="containers in every setup")
    args = parser.parse_args()
    task = load_task(ROOT / "tasks" / "sort_ints")
    items = programs(task, args.programs)
    log = lambda m: print(m, file=sys.stderr)  # noqa: E731

    local_box = open_sandbox(SandboxConfig(workers=args.workers), log=log)
    try:
        half = max(1, args.workers // 2)
        local1, ray1 = paired_rounds([args.workers], local_box, items, args.rounds)
        log(f"ray 1 node: {[round(t, 3) for t in ray1]} local: {[round(t, 3) for t in local1]}")
        local2, ray2 = paired_rounds([half, args.workers - half], local_box, items, args.rounds)
        log(f"ray 2 nodes: {[round(t, 3) for t in ray2]} local: {[round(t, 3) for t in local2]}")
        local = local1 + local2
        sample_job = {**job_for(*items[0], local_box.config), "id": "0" * 16}
        reply = local_box.pool.run(sample_job, 30.0) or {}
    finally:
        local_box.pool.close()
    job_bytes = len(json.dumps(sample_job)) + len(json.dumps(reply))
    calls = ray_call_costs(sample_job, reply, 2000)
    stores = store_costs(task, GradeResult.from_dict(reply), 500)

    n = args.programs
    per_program = {name: min(times) / n * 1e3
                   for name, times in (("local", local), ("ray_1_node", ray1),
                                       ("ray_2_nodes", ray2))}
    # each Ray setup against the local rounds interleaved with its own; the best round is the
    # one least disturbed by whatever else the machine ran, the median shows the spread
    overhead = {"local": 0.0,
                "ray_1_node": (min(ray1) / min(local1) - 1) * 100,
                "ray_2_nodes": (min(ray2) / min(local2) - 1) * 100}
    overhead_median = {"local": 0.0,
                       "ray_1_node": (statistics.median(ray1) / statistics.median(local1) - 1) * 100,
                       "ray_2_nodes": (statistics.median(ray2) / statistics.median(local2) - 1) * 100}
    per_node = 1e3 / per_program["ray_1_node"]  # programs/s of one node with --workers workers
    # the driver's own CPU per call: on a real cluster the actor's side runs on another machine
    driver = {"store_us": stores["total_us"], "dispatch_us": calls["driver_cpu_us"]}
    estimates = [estimate(per_node, driver, job_bytes, nodes) for nodes in (1, 10, 100)]

    print(f"{n} programs x {args.rounds} rounds, {args.workers} sandbox containers in each setup "
          "(best round; overhead against the local rounds interleaved with it, best and median)")
    print(f"{'executor':<14}{'ms/program':>11}{'programs/s':>12}{'overhead':>10}{'median':>9}")
    for name, ms in per_program.items():
        print(f"{name:<14}{ms:>11.3f}{1e3 / ms:>12.1f}{overhead[name]:>+9.1f}%"
              f"{overhead_median[name]:>+8.1f}%")
    print(f"driver per result: store writes {stores['total_us']:.0f} us (grading cache "
          f"{stores['exec_cache_us']:.0f}, answer + call log {stores['answer_us']:.0f}, sample "
          f"{stores['sample_us']:.0f}); Ray call {calls['round_trip_us']:.0f} us round trip, "
          f"{calls['pipelined_us']:.0f} us each with 64 in flight, of which the driver's CPU "
          f"{calls['driver_cpu_us']:.0f} us; {job_bytes} bytes per job + reply; programs per "
          "Ray call: " + ", ".join(f"{k} {v:.1f}" for k, v in JOBS_PER_CALL.items()))
    print(f"{'nodes':>6}{'demand/s':>10}{'store/s':>9}{'dispatch/s':>11}{'driver/s':>10}"
          f"{'network/s':>11}{'expected/s':>12}  limited by")
    for e in estimates:
        c = e["ceilings_per_s"]
        print(f"{e['nodes']:>6}{e['demand_per_s']:>10.0f}{c['store writes']:>9.0f}"
              f"{c['dispatch (Ray calls)']:>11.0f}{c['driver CPU (both)']:>10.0f}"
              f"{c['network (1 Gbit/s)']:>11.0f}{e['expected_per_s']:>12.0f}  {e['limited_by']}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({
        "command": "taskset -c 1 python bench/ray_grading.py " + " ".join(sys.argv[1:]),
        "programs": n, "rounds": args.rounds, "workers": args.workers,
        "seconds": {"local": local, "ray_1_node": ray1, "ray_2_nodes": ray2},
        "ms_per_program_best": per_program, "overhead_pct_best": overhead,
        "overhead_pct_median": overhead_median,
        "driver": {"store": stores, "ray_call": calls, "job_and_reply_bytes": job_bytes},
        "programs_per_ray_call": JOBS_PER_CALL,
        "estimates": estimates,
    }, indent=2) + "\n")
    print(f"results: {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
