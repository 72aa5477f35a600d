"""Leftover containers: removed only when their owner is provably dead, never another host's.

Several harness processes may share one Docker daemon (a mounted socket, two containers
on one host). A running worker of another host is never touched: it exits by itself when
its owner's stdin connection closes, which the SIGKILL test below shows without any reap.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from harness.sandbox.image import LABEL
from harness.sandbox.pool import (
    BOOT_LABEL,
    HOST_LABEL,
    OWNER_LABEL,
    PID_LABEL,
    PIDNS_LABEL,
    START_LABEL,
    Owner,
    SandboxConfig,
    docker_run_args,
    owner_dead,
    process_start,
    reap_leftovers,
    reap_reason,
)

ROOT = Path(__file__).resolve().parents[1]
HERE = Owner.current()
NOW = time.time()


def dead_owner() -> Owner:
    """This host, a PID whose process has exited (and was reaped) a moment ago."""
    child = subprocess.Popen(["sleep", "30"])
    start = process_start(child.pid)
    child.kill()
    child.wait()
    assert start, "could not read /proc/PID/stat of a child"
    return dataclasses.replace(HERE, pid=child.pid, start=start)


# ------------------------------------------------------------------ the rule, without Docker

def test_labels_round_trip_and_reach_the_command_line() -> None:
    assert Owner.from_labels(HERE.labels()) == HERE
    assert set(HERE.labels()) == {HOST_LABEL, BOOT_LABEL, PIDNS_LABEL, PID_LABEL, START_LABEL}
    assert HERE.boot and HERE.pidns and HERE.start, HERE
    args = docker_run_args("img", SandboxConfig(), "n", "o")
    labels = {args[i + 1].split("=", 1)[0]: args[i + 1].split("=", 1)[1]
              for i, a in enumerate(args) if a == "--label"}
    assert labels[OWNER_LABEL] == "o" and labels[LABEL] == "worker"
    assert {k: labels[k] for k in HERE.labels()} == HERE.labels()


def test_process_start_reads_field_22() -> None:
    with open("/proc/self/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    assert process_start(os.getpid()) == fields[19]
    assert process_start(2**22 + 12345) == ""


@pytest.mark.parametrize("state", ["exited", "dead"])
def test_a_stopped_container_is_always_removable(state: str) -> None:
    other = dataclasses.replace(HERE, host="elsewhere", boot="another-boot")
    assert reap_reason(state, NOW, other.labels(), HERE, NOW)
    assert reap_reason(state, NOW, {}, HERE, NOW)


def test_a_created_container_is_removed_only_when_old_or_orphaned() -> None:
    other = dataclasses.replace(HERE, host="elsewhere")
    assert reap_reason("created", NOW - 5, other.labels(), HERE, NOW) == ""  # starting right now
    assert reap_reason("created", NOW - 600, other.labels(), HERE, NOW)
    assert reap_reason("created", NOW - 5, dead_owner().labels(), HERE, NOW)


@pytest.mark.parametrize("change", [
    {"host": "another-host"}, {"boot": "another-boot-id"}, {"pidns": "pid:[1]"},
], ids=["hostname", "boot-id", "pid-namespace"])
def test_a_running_container_of_another_host_is_never_removed(change: dict[str, str]) -> None:
    gone = dataclasses.replace(dead_owner(), **change)  # its PID means nothing here
    assert not owner_dead(gone, HERE)
    assert reap_reason("running", NOW, gone.labels(), HERE, NOW) == ""


def test_a_running_container_of_a_dead_or_reused_pid_on_this_host_is_removed() -> None:
    assert reap_reason("running", NOW, dead_owner().labels(), HERE, NOW)
    reused = dataclasses.replace(HERE, start=str(int(HERE.start) - 1))  # our PID, older owner
    assert reap_reason("running", NOW, reused.labels(), HERE, NOW)
    parent = os.getppid()
    other_reused = dataclasses.replace(HERE, pid=parent, start="1")
    assert reap_reason("running", NOW, other_reused.labels(), HERE, NOW)


def test_a_live_owner_or_unknown_owner_keeps_its_container() -> None:
    assert reap_reason("running", NOW, HERE.labels(), HERE, NOW) == ""
    parent = dataclasses.replace(HERE, pid=os.getppid(), start=process_start(os.getppid()))
    assert reap_reason("running", NOW, parent.labels(), HERE, NOW) == ""
    legacy = {OWNER_LABEL: f"{HERE.host}.{dead_owner().pid}"}  # an older harness: no proof
    assert reap_reason("running", NOW, legacy, HERE, NOW) == ""
    partial = {k: v for k, v in dead_owner().labels().items() if k != START_LABEL}
    assert reap_reason("running", NOW, partial, HERE, NOW) == ""
    blind = dataclasses.replace(HERE, boot="")  # no boot id here: nothing is provable
    assert reap_reason("running", NOW, dataclasses.replace(dead_owner(), boot="").labels(),
                       blind, NOW) == ""


# ------------------------------------------------------------------ real containers

@pytest.fixture(scope="module")
def image() -> str:
    from harness.sandbox.image import docker_client, ensure_image

    return ensure_image(docker_client(), log=lambda _m: None)


def _state(name: str) -> str:
    out = subprocess.run(["docker", "inspect", "-f", "{{.State.Status}}", name],
                         capture_output=True, text=True, timeout=30, check=False)
    return out.stdout.strip() if out.returncode == 0 else "gone"


@pytest.fixture()
def containers(image: str) -> Iterator[Callable[..., str]]:
    """Start labelled stand-in workers (a sleeping python3, locked down); removed afterwards."""
    names: list[str] = []

    def start(labels: dict[str, str], code: str = "import time; time.sleep(120)",
              create_only: bool = False) -> str:
        name = f"harness-reaptest-{uuid.uuid4().hex[:10]}"
        names.append(name)
        label_args = [arg for key, value in {f"{LABEL}": "worker", **labels}.items()
                      for arg in ("--label", f"{key}={value}")]
        verb = ["create"] if create_only else ["run", "-d"]
        subprocess.run(
            ["docker", *verb, "--name", name, *label_args, "--network", "none", "--read-only",
             "--cap-drop", "ALL", "--user", "65534:65534", "--pull", "never",
             "--log-driver", "none", "--entrypoint", "python3", image, "-I", "-c", code],
            capture_output=True, text=True, timeout=60, check=True)
        return name

    yield start
    for name in names:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True, timeout=60, check=False)


def _reap() -> None:
    from harness.sandbox.image import docker_client

    reap_leftovers(docker_client())


@pytest.mark.docker
def test_reap_spares_running_workers_of_other_hosts_and_live_owners(containers: Callable[..., str]) -> None:
    gone = dead_owner()
    other_host = containers({**dataclasses.replace(gone, host="another-host").labels(),
                             OWNER_LABEL: f"another-host.{gone.pid}"})
    other_boot = containers({**dataclasses.replace(gone, boot=str(uuid.uuid4())).labels(),
                             OWNER_LABEL: f"{HERE.host}.{gone.pid}"})
    live = containers({**HERE.labels(), OWNER_LABEL: f"{HERE.host}.{HERE.pid}"})
    legacy = containers({OWNER_LABEL: f"another-host.{gone.pid}"})
    _reap()
    for name in (other_host, other_boot, live, legacy):
        assert _state(name) == "running", f"{name} was touched"


@pytest.mark.docker
def test_reap_removes_workers_of_a_dead_owner_on_this_host(containers: Callable[..., str]) -> None:
    gone = dead_owner()
    orphan = containers({**gone.labels(), OWNER_LABEL: f"{HERE.host}.{gone.pid}"})
    reused = containers({**dataclasses.replace(HERE, start="1").labels(),
                         OWNER_LABEL: f"{HERE.host}.{HERE.pid}"})
    exited = containers({**dataclasses.replace(HERE, host="another-host").labels()}, code="pass")
    subprocess.run(["docker", "wait", exited], capture_output=True, timeout=60, check=True)
    _reap()
    for name in (orphan, reused, exited):
        assert _state(name) == "gone", f"{name} survived the reap"


@pytest.mark.docker
def test_reap_leaves_a_fresh_created_container_alone(containers: Callable[..., str]) -> None:
    from harness.sandbox.image import docker_client

    fresh = containers({**dataclasses.replace(HERE, host="another-host").labels()},
                       create_only=True)
    reap_leftovers(docker_client())
    assert _state(fresh) == "created", "a starting worker of another harness was removed"
    reap_leftovers(docker_client(), created_grace_s=0.0)
    assert _state(fresh) == "gone"


def _owned(owner: str) -> list[str]:
    out = subprocess.run(
        ["docker", "ps", "-a", "--filter", f"label={LABEL}=worker",
         "--filter", f"label={OWNER_LABEL}={owner}", "--format", "{{.Names}}"],
        capture_output=True, text=True, timeout=30, check=True).stdout
    return sorted(line for line in out.split() if line)


def _children(pid: int) -> list[int]:
    kids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                kids.append(int(entry))
    return kids


VICTIM = """
import time
from harness.grading.grader import open_sandbox
from harness.sandbox.pool import SandboxConfig, owner_id
box = open_sandbox(SandboxConfig(workers=2), log=lambda _m: None)
print(owner_id(), flush=True)
time.sleep(120)
"""


@pytest.mark.docker
@pytest.mark.parametrize("with_docker_clients", [False, True],
                         ids=["harness-only", "with-docker-clients"])
def test_sigkilled_harness_leaves_no_container_without_any_reap(with_docker_clients: bool) -> None:
    """The worker exits when the harness's end of its stdin closes; `--rm` removes it.

    No `reap_leftovers` here: another host's harness could never reap these, so they must
    go on their own. With the `docker run -i` clients killed too, the daemon closes stdin."""
    victim = subprocess.Popen([sys.executable, "-c", VICTIM], cwd=ROOT, stdout=subprocess.PIPE,
                              text=True)
    try:
        owner = victim.stdout.readline().strip() if victim.stdout else ""
        assert owner.endswith(f".{victim.pid}"), owner
        assert len(_owned(owner)) == 2
        clients = _children(victim.pid) if with_docker_clients else []
        victim.send_signal(signal.SIGKILL)
        for pid in clients:  # the `docker run -i` clients this test's subprocess started
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        victim.wait(timeout=10)
        deadline = time.monotonic() + 10
        while (left := _owned(owner)) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not left, f"containers of a SIGKILLed harness are still there after 10 s: {left}"
    finally:
        if victim.poll() is None:
            victim.kill()
            victim.wait(timeout=10)


SHARER = r"""
import json, sys, time
import harness.sandbox.pool as pool
if sys.argv[1] != "-":
    pool._HOST = sys.argv[1]  # as if in its own container on this host, sharing the socket
from harness.grading.grader import Grader, open_sandbox
from harness.sandbox.pool import SandboxConfig
from harness.tasks.load import load_task

task = load_task(sys.argv[2])
box = open_sandbox(SandboxConfig(workers=2), log=lambda _m: None)  # reaps leftovers first
grader = Grader(box, store=None)
CODES = {"right": "def sort_ints(xs):\n    return sorted(xs)\n",
         "wrong": "def sort_ints(xs):\n    return xs\n"}

def grade_all():
    out = []
    for _ in range(2):
        for name, code in CODES.items():
            result = grader.grade(task, code)
            out.append([name, result.status, result.passed, result.total])
    return out

first = grade_all()
names = sorted(worker.name for worker in box.pool.workers)
print("ready", flush=True)
sys.stdin.readline()  # the other harness starts, and reaps, meanwhile
time.sleep(0.5)
second = grade_all()
print(json.dumps({"first": first, "second": second, "replaced": box.pool.replaced,
                  "before": names, "after": sorted(w.name for w in box.pool.workers)}), flush=True)
box.pool.close()
"""


@pytest.mark.docker
@pytest.mark.parametrize("hosts", [("-", "-"), ("harness-a", "harness-b")],
                         ids=["same-host", "two-hosts-one-daemon"])
def test_two_harness_processes_share_one_daemon(hosts: tuple[str, str], image: str) -> None:
    """The second harness's start-up reap must not touch the first one's warm workers."""
    task_dir = str(ROOT / "tasks" / "sort_ints")
    procs: list[subprocess.Popen[str]] = []
    with tempfile.TemporaryFile("w+") as errors:
        try:
            for host in hosts:  # one after the other: B reaps while A holds a warm pool
                proc = subprocess.Popen([sys.executable, "-c", SHARER, host, task_dir], cwd=ROOT,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=errors, text=True)
                procs.append(proc)
                line = proc.stdout.readline() if proc.stdout else ""
                errors.seek(0)
                assert line.strip() == "ready", f"{host}: {line!r} {errors.read()[-2000:]}"
            reports = []
            for proc in procs:
                assert proc.stdin is not None and proc.stdout is not None
                proc.stdin.write("go\n")
                proc.stdin.flush()
            for proc in procs:
                out, _ = proc.communicate(timeout=120)
                errors.seek(0)
                assert proc.returncode == 0, errors.read()[-2000:]
                reports.append(json.loads(out.strip().splitlines()[-1]))
        finally:
            for proc in procs:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait(timeout=10)
    for host, report in zip(hosts, reports, strict=True):
        for rnd in ("first", "second"):
            for name, status, passed, total in report[rnd]:
                if name == "right":
                    assert (status, passed, total) == ("passed", 7, 7), (host, rnd, report)
                else:
                    assert status == "failed" and 0 < passed < total == 7, (host, rnd, report)
        assert report["replaced"] == 0, f"{host} lost workers to the other harness: {report}"
        assert report["before"] == report["after"], report
