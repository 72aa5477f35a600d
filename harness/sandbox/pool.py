"""The warm pool: long-lived locked-down containers, each running the worker as PID 1.

Each worker is a `docker run -i` child process whose stdin/stdout carry one
JSON line per job. A reader thread never stops draining its output (a host
that stops reading can make `docker kill` hang). The host keeps its own
deadline per job and replaces a worker that dies or stalls.

A worker exits by itself when its stdin closes, which is what happens when the
harness dies (even by SIGKILL), and `--rm` then removes its container. Several
harness processes may share one Docker daemon (a mounted socket, two containers
on one host), so `reap_leftovers` removes a running container only when its
owner is provably dead: same host (hostname, boot id and PID namespace, all
stored in labels) and the owner PID is gone or now belongs to a process with
another start time. A running container of any other host is never touched.
"""

from __future__ import annotations

import atexit
import itertools
import json
import os
import queue
import socket
import subprocess
import threading
import time
import weakref
from collections import deque
from dataclasses import asdict, dataclass
from typing import Any

from harness.errors import SandboxError
from harness.sandbox.image import LABEL, DockerClient

OWNER_LABEL = "harness.owner"
"""`<hostname>.<pid>` of the creating process: what to filter on to find one owner's containers."""
HOST_LABEL = "harness.owner.host"
BOOT_LABEL = "harness.owner.boot"
PIDNS_LABEL = "harness.owner.pidns"
PID_LABEL = "harness.owner.pid"
START_LABEL = "harness.owner.start"
CREATED_GRACE_S = 120.0
"""A Created (never started) container younger than this may be another harness's worker
that is starting right now; older ones are what a failed `docker run` leaves behind."""
_HOST = socket.gethostname()


WORKER_PROTOCOL = 1
"""The grading semantics sandbox/worker.py implements (its PROTOCOL, sent in its hello). Bump
both together: it is part of every grading cache key, so old verdicts are not reused."""

@dataclass(frozen=True)
class SandboxConfig:
    """Resource limits and pool size. Part of the execution-cache key."""

    workers: int = 2
    """Warm containers; one per core is the sweet spot."""
    memory_mb: int = 512
    """Container memory (and swap) limit; also the candidate's address-space limit."""
    pids: int = 64
    """Processes per container: stops fork bombs."""
    cpus: float = 1.0
    """CPU quota per container."""
    output_bytes: int = 1 << 20
    """What one program may print in total."""
    tmpfs_mb: int = 64
    """Size of the writable /tmp."""
    tmpfs_inodes: int = 4096
    """Inodes (files, directories and hard links) in /tmp."""
    runtime: str | None = None
    """An alternative OCI runtime such as runsc (gVisor)."""

    def limits(self) -> dict[str, int]:
        """The limits the worker enforces per program."""
        return {"memory_mb": self.memory_mb, "output_bytes": self.output_bytes, "nofile": 64}

    def cache_key(self) -> str:
        data = asdict(self)
        data.pop("workers")
        return json.dumps(data, sort_keys=True)


def docker_run_args(image: str, config: SandboxConfig, name: str, owner: str) -> list[str]:
    """The locked-down `docker run` command line (DESIGN.md's flags, nothing from the host env)."""
    args = [
        "docker", "run", "-i", "--rm", "--name", name,
        "--label", f"{LABEL}=worker", "--label", f"{OWNER_LABEL}={owner}",
        *(arg for key, value in Owner.current().labels().items()
          for arg in ("--label", f"{key}={value}")),
        "--network", "none", "--read-only",
        # nr_inodes also bounds hard links (tmpfs counts each one): a link flood stays small
        "--tmpfs", f"/tmp:rw,nosuid,nodev,size={config.tmpfs_mb}m,"
                   f"nr_inodes={config.tmpfs_inodes},mode=1777",
        "--ipc", "none",
        # no System V IPC or POSIX queues: they would outlive a program and reach the next one
        "--sysctl", "kernel.shmmni=0", "--sysctl", "kernel.shmall=0", "--sysctl", "kernel.msgmni=0",
        "--sysctl", "kernel.sem=0 0 0 0", "--sysctl", "fs.mqueue.queues_max=0",
        "--memory", f"{config.memory_mb}m", "--memory-swap", f"{config.memory_mb}m",
        "--pids-limit", str(config.pids), "--cpus", str(config.cpus),
        "--cap-drop", "ALL", "--security-opt", "no-new-privileges",
        "--user", "65534:65534", "--pull", "never", "--log-driver", "none",
    ]
    if config.runtime:
        args += ["--runtime", config.runtime]
    return [*args, image]


def owner_id() -> str:
    return f"{_HOST}.{os.getpid()}"


def _read_text(path: str) -> str:
    try:
        with open(path, encoding="ascii", errors="replace") as handle:
            return handle.read().strip()
    except OSError:
        return ""


def process_start(pid: int) -> str:
    """Start time of `pid` in clock ticks since boot (/proc/PID/stat field 22); "" if unreadable.

    With the boot id it tells a live owner from a new process that reuses its PID."""
    stat = _read_text(f"/proc/{pid}/stat")
    # the command name (field 2) may hold spaces and parentheses: split after the last ")"
    fields = stat.rpartition(")")[2].split()
    return fields[19] if len(fields) > 19 else ""


def _pid_namespace() -> str:
    try:
        return os.readlink("/proc/self/ns/pid")
    except OSError:
        return ""


@dataclass(frozen=True)
class Owner:
    """The process that created a container, and where its PID means something."""

    host: str
    boot: str
    """/proc/sys/kernel/random/boot_id: a reboot makes every old PID meaningless."""
    pidns: str
    """Two containers on one host may share hostname and boot id but never PID numbers."""
    pid: int
    start: str

    @classmethod
    def current(cls) -> Owner:
        pid = os.getpid()
        return cls(_HOST, _read_text("/proc/sys/kernel/random/boot_id"), _pid_namespace(),
                   pid, process_start(pid))

    @classmethod
    def from_labels(cls, labels: dict[str, str]) -> Owner | None:
        """None for a container without complete owner labels (another version, another tool)."""
        pid = labels.get(PID_LABEL, "")
        parts = [labels.get(key, "") for key in (HOST_LABEL, BOOT_LABEL, PIDNS_LABEL, START_LABEL)]
        if not pid.isdigit() or not all(parts):
            return None
        host, boot, pidns, start = parts
        return cls(host, boot, pidns, int(pid), start)

    def labels(self) -> dict[str, str]:
        return {HOST_LABEL: self.host, BOOT_LABEL: self.boot, PIDNS_LABEL: self.pidns,
                PID_LABEL: str(self.pid), START_LABEL: self.start}

    def same_host(self, other: Owner) -> bool:
        """True only when PIDs of both are comparable; unknown parts never compare equal."""
        here = (self.host, self.boot, self.pidns)
        return all(here) and here == (other.host, other.boot, other.pidns)


def owner_dead(owner: Owner | None, here: Owner) -> bool:
    """True only when the owner is provably gone: same host, and its PID is free or reused."""
    if owner is None or not owner.same_host(here):
        return False  # another host's worker exits when its owner's stdin closes
    if owner.pid == here.pid:
        return owner.start != here.start
    try:
        os.kill(owner.pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass  # it exists, as another user
    start = process_start(owner.pid)
    # unreadable (gone meanwhile, or a /proc mounted with hidepid): not provable, keep it
    return bool(start) and start != owner.start


def reap_reason(state: str, created: float, labels: dict[str, str], here: Owner,
                now: float, created_grace_s: float = CREATED_GRACE_S) -> str:
    """Why a worker container may be removed, or "" when it must be left alone."""
    if state in ("exited", "dead"):
        return state  # nothing runs in it: removing it cannot hurt anyone
    if state == "created" and now - created > created_grace_s:
        return "created but never started"
    if state in ("running", "paused", "restarting", "created"):
        owner = Owner.from_labels(labels)
        if owner is not None and owner_dead(owner, here):
            return f"owner pid {owner.pid} of this host is gone"
    return ""


def reap_leftovers(client: DockerClient, everything: bool = False,
                   created_grace_s: float = CREATED_GRACE_S) -> int:
    """Remove worker containers whose owner is provably dead (see `reap_reason`)."""
    removed = 0
    here, now = Owner.current(), time.time()
    # sparse: no per-container inspect, which races with containers that exit meanwhile
    for container in client.containers.list(all=True, sparse=True,
                                            filters={"label": f"{LABEL}=worker"}):
        attrs = container.attrs
        reason = reap_reason(str(attrs.get("State", "")), float(attrs.get("Created") or 0),
                             attrs.get("Labels") or {}, here, now, created_grace_s)
        if everything or reason:
            try:
                container.remove(force=True)
                removed += 1
            except Exception:  # noqa: BLE001 - already gone
                pass
    return removed


class Worker:
    """One warm container and the pipe to its PID 1."""

    def __init__(self, image: str, config: SandboxConfig, name: str) -> None:
        self.name = name
        self.proc = subprocess.Popen(
            docker_run_args(image, config, name, owner_id()),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            start_new_session=True,  # Ctrl-C in the terminal must not reach the container
        )
        self.lines: queue.Queue[bytes | None] = queue.Queue()
        self.stderr: deque[str] = deque(maxlen=20)
        threading.Thread(target=self._drain_stdout, daemon=True).start()
        threading.Thread(target=self._drain_stderr, daemon=True).start()

    def _drain_stdout(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def _drain_stderr(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.stderr.append(line.decode(errors="replace").rstrip())

    def _read(self, timeout: float) -> dict[str, Any] | None:
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            return None
        if line is None:
            return None
        reply: dict[str, Any] = json.loads(line)
        return reply

    def wait_hello(self, timeout: float = 30.0) -> dict[str, Any]:
        hello = self._read(timeout)
        if not hello or hello.get("kind") != "hello":
            self.kill()
            detail = " | ".join(self.stderr) or "no output"
            raise SandboxError(f"sandbox worker {self.name} did not start: {detail[:300]}")
        if hello.get("protocol") != WORKER_PROTOCOL:
            self.kill()
            raise SandboxError(f"sandbox worker {self.name} speaks protocol {hello.get('protocol')}, "
                               f"this harness {WORKER_PROTOCOL}: rebuild the image with "
                               "`harness sandbox build --force`")
        return hello

    def request(self, job: dict[str, Any], timeout: float) -> dict[str, Any] | None:
        """Send one job; None when the worker died or missed the host's deadline."""
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write((json.dumps(job) + "\n").encode())
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            return None
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read(max(0.0, deadline - time.monotonic()))
            if reply is None:
                return None
            if reply.get("id") == job.get("id"):
                return reply

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        subprocess.run(["docker", "rm", "-f", self.name], capture_output=True, check=False)
        if self.proc.poll() is None:
            self.proc.kill()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass

    def close(self) -> None:
        """Closing stdin makes the worker exit; --rm then removes the container."""
        try:
            if self.proc.stdin:
                self.proc.stdin.close()
        except OSError:
            pass


_names = itertools.count()


class SandboxPool:
    """A fixed number of warm workers shared by threads."""

    def __init__(self, image: str, config: SandboxConfig = SandboxConfig()) -> None:
        self.image = image
        self.config = config
        self.idle: queue.Queue[Worker] = queue.Queue()
        self.workers: list[Worker] = []
        self.replaced = 0
        self._lock = threading.Lock()
        self._closed = False
        self._finalizer = weakref.finalize(self, _close_workers, self.workers)
        atexit.register(self._finalizer)

    def _spawn(self) -> Worker:
        name = f"harness-sbx-{os.getpid()}-{next(_names)}"
        worker = Worker(self.image, self.config, name)
        with self._lock:
            self.workers.append(worker)
        return worker

    def start(self) -> SandboxPool:
        fresh = [self._spawn() for _ in range(self.config.workers)]
        for worker in fresh:
            worker.wait_hello()
            self.idle.put(worker)
        return self

    def __enter__(self) -> SandboxPool:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _replace(self, worker: Worker) -> Worker:
        worker.kill()
        with self._lock:
            if worker in self.workers:
                self.workers.remove(worker)
            self.replaced += 1
        fresh = self._spawn()
        fresh.wait_hello()
        return fresh

    def run(self, job: dict[str, Any], deadline_s: float) -> dict[str, Any] | None:
        """Run one job on an idle worker; None when the worker had to be replaced."""
        if self._closed:
            raise SandboxError("sandbox pool is closed")
        worker = self.idle.get()
        try:
            # an {"error": ...} reply is no verdict either (isolation refused, cannot clean up):
            # the caller records it as an infrastructure failure, with the worker's reason
            reply = worker.request(job, deadline_s)
            if reply is None or not worker.alive():
                worker = self._replace(worker)
            return reply
        finally:
            self.idle.put(worker)

    def close(self) -> None:
        self._closed = True
        self._finalizer()


def _close_workers(workers: list[Worker]) -> None:
    for worker in workers:
        worker.close()
    for worker in workers:
        try:
            worker.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            worker.kill()
    workers.clear()
