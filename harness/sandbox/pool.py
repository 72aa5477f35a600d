"""The warm pool: long-lived locked-down containers, each running the worker as PID 1.

Each worker is a `docker run -i` child process whose stdin/stdout carry one
JSON line per job. A reader thread never stops draining its output (a host
that stops reading can make `docker kill` hang). The host keeps its own
deadline per job and replaces a worker that dies or stalls. Containers carry
labels naming their owner process, so leftovers of a killed harness are
removed at the next start; a worker also exits by itself when its stdin
closes, which is what happens when the harness dies.
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
from harness.sandbox.image import LABEL

OWNER_LABEL = "harness.owner"
_HOST = socket.gethostname()


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
        "--network", "none", "--read-only",
        "--tmpfs", f"/tmp:rw,nosuid,nodev,size={config.tmpfs_mb}m,mode=1777",
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


def _owner_alive(owner: str) -> bool:
    host, _, pid = owner.rpartition(".")
    if host != _HOST or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def reap_leftovers(client: Any, everything: bool = False) -> int:  # noqa: ANN401
    """Remove worker containers whose owning harness process is gone."""
    removed = 0
    # sparse: no per-container inspect, which races with containers that exit meanwhile
    for container in client.containers.list(all=True, sparse=True,
                                            filters={"label": f"{LABEL}=worker"}):
        owner = (container.attrs.get("Labels") or {}).get(OWNER_LABEL, "")
        if everything or not _owner_alive(owner):
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
        return json.loads(line)

    def wait_hello(self, timeout: float = 30.0) -> dict[str, Any]:
        hello = self._read(timeout)
        if not hello or hello.get("kind") != "hello":
            self.kill()
            detail = " | ".join(self.stderr) or "no output"
            raise SandboxError(f"sandbox worker {self.name} did not start: {detail[:300]}")
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
            reply = worker.request(job, deadline_s)
            if reply is not None and "error" in reply:
                reply = None  # the worker could not grade (e.g. could not clean up): not a verdict
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
