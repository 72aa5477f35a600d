"""The Ray executor on a two-node Ray cluster on 127.0.0.1 (real sandbox pools, one per node).

`harness run` with a scripted endpoint records the same samples with `--executor ray` as with
the local executor; a node removed in the middle of a run loses no sample and records none
twice; a node without a Docker daemon is an error naming that node; and the local path never
imports Ray.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from harness.cli import cli
from harness.loop.strategies import DEFAULT_TEMPLATE
from harness.store import Store
from tests.conftest import ROOT, TASKS_DIR, require_module
from tests.fake_openai import FakeOpenAI, completion

pytestmark = pytest.mark.docker

# Nothing leaves this machine: no usage report, and every Ray process on the loopback address
# (Ray would otherwise rewrite 127.0.0.1 to the machine's outward address when connecting).
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")

GOOD = "def sort_ints(xs):\n    return sorted(xs)\n"
WRONG = "def sort_ints(xs):\n    return list(xs)\n"
BROKEN = "def sort_ints(xs)\n    return sorted(xs)\n"
SLOW_GOOD = "import time\ntime.sleep(0.25)\n" + GOOD
SLOW_WRONG = "import time\ntime.sleep(0.25)\n" + WRONG


def by_seed(*programs: str):  # noqa: ANN201
    """A script whose answer depends only on the request's seed: the same for both executors."""
    def script(body: dict[str, Any], index: int) -> tuple[int, dict[str, Any]]:
        program = programs[int(body.get("seed") or 0) % len(programs)]
        return 200, completion(f"```python\n{program}```")
    return script


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    """Two Ray nodes on 127.0.0.1, one CPU each (so one warm worker per node's pool)."""
    ray = require_module("ray", 'pip install -e ".[ray]"')
    from ray.cluster_utils import Cluster

    fast_death = {"health_check_period_ms": 500, "health_check_failure_threshold": 3,
                  "health_check_initial_delay_ms": 0}
    made = Cluster(initialize_head=True, head_node_args={
        "num_cpus": 1, "node_ip_address": "127.0.0.1", "include_dashboard": False,
        "_system_config": fast_death})
    made.add_node(num_cpus=1, node_ip_address="127.0.0.1")
    ray.init(address=made.address, _node_ip_address="127.0.0.1", include_dashboard=False,
             log_to_driver=False)
    try:
        yield made
    finally:
        ray.shutdown()
        made.shutdown()


def invoke(*args: str) -> Any:  # noqa: ANN401
    return CliRunner().invoke(cli, list(args))


def run_args(url: str, home: Path, *extra: str) -> list[str]:
    return ["run", "--task", "sort_ints", "--base-url", url, "--model", "fake",
            "--home", str(home), "--tasks-dir", str(TASKS_DIR), "--workers", "2", *extra]


def recorded(home: Path) -> tuple[str, list[tuple[Any, ...]], int]:
    """(run id, every sample's identity and verdict in a stable order, infra failures)."""
    store = Store(home)
    run_id = store.list_runs()[-1]["id"]
    rows = sorted((s.episode, s.task, s.sample, s.phase, s.template, s.code, s.result.status,
                   s.result.passed, s.result.total, s.reward) for s in store.samples(run_id, phase=None))
    return run_id, rows, store.infra_failures(run_id)


def test_local_path_never_imports_ray(tmp_path: Path) -> None:
    """A local grade, through the CLI's and the API's modules, leaves Ray unimported."""
    code = (
        "import sys\n"
        "import harness, harness.cli, harness.cli.run, harness.cli.eval, harness.cli.bench\n"
        "import harness.loop.wiring, harness.bench.record, harness.executor\n"
        f"grade = harness.evaluate('sort_ints', {GOOD!r}, tasks_dir={str(TASKS_DIR)!r}, home=None)\n"
        "assert grade.status == 'passed', grade\n"
        "print('ray' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=tmp_path, timeout=120, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


def test_ray_address_needs_the_ray_executor(tmp_path: Path) -> None:
    result = invoke("eval", "--task", "sort_ints", str(ROOT / "tasks/sort_ints/solution.py"),
                    "--ray-address", "auto", "--home", str(tmp_path))
    assert result.exit_code == 2
    assert "--ray-address needs --executor ray" in result.output


def test_an_address_nobody_listens_on_fails_at_once(tmp_path: Path) -> None:
    require_module("ray", 'pip install -e ".[ray]"')
    result = invoke("eval", "--task", "sort_ints", str(ROOT / "tasks/sort_ints/solution.py"),
                    "--tasks-dir", str(TASKS_DIR), "--home", str(tmp_path),
                    "--executor", "ray", "--ray-address", "127.0.0.1:1")
    assert result.exit_code == 3, result.output
    assert "cannot reach the Ray cluster at 127.0.0.1:1" in result.output
    assert "Traceback" not in result.output


def test_run_on_two_nodes_records_what_the_local_executor_records(cluster: Any, tmp_path: Path) -> None:
    """A learning agent, one sample at a time (so its choices do not depend on timing)."""
    with FakeOpenAI(by_seed(GOOD, WRONG, BROKEN, GOOD)) as fake:
        common = ("--episodes", "3", "--samples", "3", "--eval-samples", "2", "--parallel", "1",
                  "--seed", "7")
        local = invoke(*run_args(fake.base_url, tmp_path / "local", *common))
        assert local.exit_code == 0, local.output
        on_ray = invoke(*run_args(fake.base_url, tmp_path / "ray", *common,
                                  "--executor", "ray", "--ray-address", cluster.address))
        assert on_ray.exit_code == 0, on_ray.output
    assert "grading on 2 Ray nodes" in on_ray.output
    local_id, local_rows, local_infra = recorded(tmp_path / "local")
    ray_id, ray_rows, ray_infra = recorded(tmp_path / "ray")
    assert ray_id == local_id  # the executor is not part of the run's identity
    assert len(ray_rows) == 3 * 3 + 2 * 2
    assert ray_rows == local_rows
    assert {row[6] for row in ray_rows} >= {"passed", "failed", "syntax_error"}
    assert local_infra == ray_infra == 0
    provenance = Store(tmp_path / "ray").get_run(ray_id)
    assert provenance is not None and provenance["provenance"]["executor"] == "ray"


def test_eval_on_ray_grades_like_local(cluster: Any, tmp_path: Path) -> None:
    files = []
    for name, program in (("good.py", GOOD), ("wrong.py", WRONG), ("broken.py", BROKEN)):
        (tmp_path / name).write_text(program)
        files.append(str(tmp_path / name))
    common = ("eval", "--task", "sort_ints", *files, "--json", "--no-cache",
              "--tasks-dir", str(TASKS_DIR), "--home", str(tmp_path / "home"))
    local = invoke(*common)
    on_ray = invoke(*common, "--executor", "ray", "--ray-address", cluster.address)
    assert local.exit_code == on_ray.exit_code == 0, on_ray.output

    def statuses(output: str) -> list[str]:
        return [line.split('"status": "')[1].split('"')[0] for line in output.splitlines()
                if '"status": "' in line]

    assert statuses(on_ray.output) == statuses(local.output) == ["passed", "failed", "syntax_error"]


def test_a_node_without_docker_is_named(cluster: Any, tmp_path: Path) -> None:
    node = cluster.add_node(num_cpus=1, node_ip_address="127.0.0.1",
                            env_vars={"DOCKER_HOST": f"unix://{tmp_path}/no-docker.sock"})
    try:
        result = invoke("eval", "--task", "sort_ints", str(ROOT / "tasks/sort_ints/solution.py"),
                        "--tasks-dir", str(TASKS_DIR), "--home", str(tmp_path),
                        "--executor", "ray", "--ray-address", cluster.address)
    finally:
        cluster.remove_node(node)
    assert result.exit_code == 3, result.output
    assert f"node 127.0.0.1 ({node.node_id[:8]})" in result.output
    assert "Docker daemon not reachable" in result.output
    assert "Traceback" not in result.output


def test_losing_a_node_mid_run_loses_and_doubles_nothing(cluster: Any, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Node 2 is removed the moment a batch of jobs is handed to it (after another batch went
    before): the run ends on node 1 with every sample once, and the batch is graded again there.

    The removal is tied to the dispatcher giving node 2 work, not to the clock: removed at an
    arbitrary moment, node 2 may hold no job and get none afterwards, and nobody notices it.
    Nor is it tied to a batch count past the first: on a loaded machine jobs queue up, batches
    grow and a run may hand out only a few."""
    from harness.executor.ray_pools import RayPools

    nodes = list(cluster.worker_nodes)
    assert len(nodes) == 1
    doomed = nodes[0].node_id
    killed = threading.Event()
    dispatched = [0]
    next_batch = RayPools._next_batch

    def remove_when_it_gets_work(self: RayPools) -> Any:  # noqa: ANN401
        chosen = next_batch(self)
        if chosen is not None:
            dispatched[0] += 1
            if chosen[0].node_id == doomed and dispatched[0] > 1 and not killed.is_set():
                killed.set()
                cluster.remove_node(nodes[0])  # the batch is sent to a node that is gone
        return chosen

    monkeypatch.setattr(RayPools, "_next_batch", remove_when_it_gets_work)
    common = ("--template", DEFAULT_TEMPLATE, "--episodes", "4", "--samples", "4",
              "--eval-samples", "2", "--parallel", "4", "--seed", "3")
    with FakeOpenAI(by_seed(SLOW_GOOD, SLOW_WRONG)) as fake:
        on_ray = invoke(*run_args(fake.base_url, tmp_path / "ray", *common,
                                  "--executor", "ray", "--ray-address", cluster.address))
        assert on_ray.exit_code == 0, on_ray.output
        assert killed.is_set(), "node 2 was never given a batch after the first"
        local = invoke(*run_args(fake.base_url, tmp_path / "local", *common))
        assert local.exit_code == 0, local.output
    assert f"node 127.0.0.1 ({nodes[0].node_id[:8]}) lost" in on_ray.output
    assert "continuing on 1 node" in on_ray.output
    run_id, ray_rows, infra = recorded(tmp_path / "ray")
    _, local_rows, _ = recorded(tmp_path / "local")
    keys = [row[:4] for row in ray_rows]
    assert len(keys) == len(set(keys)) == 4 * 4 + 2 * 2
    assert ray_rows == local_rows
    assert infra == 0  # a lost node is re-queued, never an infrastructure failure of the program
    summary = Store(tmp_path / "ray").get_run(run_id)
    assert summary is not None and len(summary["summary"]["nodes_lost"]) == 1
    assert summary["summary"]["jobs_requeued"] >= 1  # it was grading when it went
