"""The Ray executor: one sandbox pool per node, as a Ray actor pinned to that node.

Each actor connects to its node's Docker daemon, builds the sandbox image there on first use
(the tag is the hash of the image inputs, so every node runs the same image) and starts as
many warm workers as the node offers CPUs to Ray (`ray start --num-cpus`).

The driver queues the jobs the Grader's threads hand it; one dispatcher thread sends them to
the node with the most free room, as many as are waiting in one actor call (up to
`BATCH_PER_WORKER` per worker), with `CALLS_PER_NODE` calls and at most `SLOTS_PER_WORKER`
jobs per worker in flight on a node: a slow node is not buried under queued jobs (back-
pressure), a fast one has its next batch waiting while it grades, and under load one Ray call
carries several jobs. Alone, a job still goes at once, on its own.

A node that dies takes only its in-flight jobs with it: the driver puts each of them back at
the head of the queue for the surviving nodes, logs which node was lost and how many remain,
and goes on. Only the driver writes the run store, so a job that ran on the lost node and
again elsewhere is recorded once; a lost node is the sandbox's failure, never the candidate's.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, replace
from typing import Any

import ray
from ray.exceptions import GetTimeoutError, NodeDiedError, RayActorError, RayTaskError
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

from harness.errors import SandboxError
from harness.executor import ExecutorConfig
from harness.executor.load import LOOPBACK
from harness.grading.grader import StartedPool
from harness.sandbox.pool import SandboxConfig, SandboxPool, reap_leftovers

Log = Callable[[str], None]

SLOTS_PER_WORKER = 4
"""Jobs in flight per warm worker: the batch it grades and the next one on its way."""
BATCH_PER_WORKER = 2
"""Most jobs per actor call, per worker of the node: at most half a node's slots."""
CALLS_PER_NODE = 2
"""Actor calls in flight per node: one being graded, the next one waiting behind it. Jobs that
arrive meanwhile wait on the driver and go together in the following call: under load one
call carries several jobs (a call per job cost about 25% of the throughput when the driver
shared its core with the grading)."""
REPLACE_GRACE_S = 60.0
"""Beyond a job's own deadline: time for the node to replace a stalled worker and answer."""
START_TIMEOUT_S = 600.0
"""A node's first use may build the image (about 10 s from Debian packages; more elsewhere)."""


class NodePool:
    """One node's warm sandbox pool. Runs inside a Ray actor on that node: jobs in, replies out;
    it never sees the run store."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = SandboxConfig(**config)
        self.pool: SandboxPool | None = None
        # one thread per worker: jobs start in the order they arrived, so the first batch
        # finishes (and its replies travel back) while the next one is graded
        self.threads = ThreadPoolExecutor(max_workers=self.config.workers)

    def start(self) -> dict[str, Any]:
        """Docker, the image and the workers of this node; an `error` instead of raising, so the
        driver can name the node that failed."""
        from harness.sandbox.image import docker_client, ensure_image

        lines: list[str] = []
        try:
            client = docker_client()
            reap_leftovers(client)
            tag = ensure_image(client, log=lines.append)
            image_id = str(client.images.get(tag).id)
            self.pool = SandboxPool(tag, self.config).start()
        except Exception as exc:  # noqa: BLE001 - reported to the driver with the node's name
            return {"error": str(exc) or type(exc).__name__, "log": lines}
        return {"image_tag": tag, "image_id": image_id, "workers": self.config.workers,
                "host": socket.gethostname(), "log": lines}

    def run(self, job: dict[str, Any], deadline_s: float) -> dict[str, Any] | None:
        if self.pool is None:
            raise SandboxError("this node's sandbox pool is not started")
        return self.pool.run(job, deadline_s)

    def run_batch(self, jobs: list[dict[str, Any]],
                  deadlines: list[float]) -> list[dict[str, Any] | None]:
        """Several jobs at once on this node's workers; the replies in the same order."""
        return list(self.threads.map(self.run, jobs, deadlines))

    def close(self) -> None:
        if self.pool is not None:
            self.pool.close()
        self.threads.shutdown(wait=False, cancel_futures=True)


@dataclass
class Node:
    """The driver's view of one node's pool."""

    actor: Any
    node_id: str
    address: str
    workers: int
    slots: int
    in_flight: int = 0
    """Jobs sent and not answered."""
    calls: int = 0
    """Actor calls sent and not answered."""
    alive: bool = True
    image_tag: str = ""
    image_id: str = ""
    """The node's sandbox image, as its Docker daemon names it."""

    @property
    def name(self) -> str:
        return f"{self.address} ({self.node_id[:8]})"


def connect(executor: ExecutorConfig) -> bool:
    """Join (or start) the Ray cluster; True when this call started Ray, so it shuts it down.
    A process already connected to Ray (a notebook, a test) grades on that cluster."""
    if ray.is_initialized():
        return False
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    options: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False,
                               "logging_level": logging.ERROR}
    address = executor.ray_address or os.environ.get("RAY_ADDRESS") or None
    if address:
        options["address"] = address
    if not address or address.startswith(LOOPBACK):
        # a Ray of our own, or a cluster on this machine's loopback: reached from loopback only
        options["_node_ip_address"] = "127.0.0.1"
    if address:
        check_reachable(address)
    try:
        ray.init(**options)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        where = address or "a local Ray"
        raise SandboxError(f"cannot join the Ray cluster at {where} ({exc}); "
                           "check --ray-address and `ray status`") from None
    return True


def check_reachable(address: str, timeout_s: float = 5.0) -> None:
    """Fail at once on a HOST:PORT nobody listens on (Ray itself retries for minutes)."""
    if address in ("auto", "local"):
        return
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        raise SandboxError(f"--ray-address {address}: expected HOST:PORT or auto")
    try:
        socket.create_connection((host, int(port)), timeout=timeout_s).close()
    except OSError as exc:
        raise SandboxError(f"cannot reach the Ray cluster at {address} ({exc}); "
                           "check --ray-address and `ray status`") from None


def live_nodes() -> list[dict[str, Any]]:
    """Alive nodes that offer CPUs, in a stable order (by node id)."""
    every: list[dict[str, Any]] = ray.nodes()  # type: ignore[no-untyped-call]
    nodes = [n for n in every if n.get("Alive") and n.get("Resources", {}).get("CPU", 0) > 0]
    return sorted(nodes, key=lambda n: str(n["NodeID"]))


def start_nodes(config: SandboxConfig, log: Log) -> list[Node]:
    """An actor per node, pinned there, each with a pool sized to the node's CPUs."""
    actor_class = ray.remote(NodePool)
    nodes: list[Node] = []
    for info in live_nodes():
        workers = max(1, int(info["Resources"]["CPU"]))
        slots = workers * SLOTS_PER_WORKER
        actor = actor_class.options(
            num_cpus=0, max_concurrency=slots + 2, max_restarts=0, max_task_retries=0,
            scheduling_strategy=NodeAffinitySchedulingStrategy(str(info["NodeID"]), soft=False),
        ).remote(asdict(replace(config, workers=workers)))
        nodes.append(Node(actor, str(info["NodeID"]), str(info["NodeManagerAddress"]),
                          workers, slots))
    if not nodes:
        raise SandboxError("the Ray cluster has no alive node with CPUs: check `ray status`")
    replies = [node.actor.start.remote() for node in nodes]
    failures = []
    for node, ref in zip(nodes, replies, strict=True):
        try:
            reply = ray.get(ref, timeout=START_TIMEOUT_S)
        except (RayActorError, GetTimeoutError, RayTaskError) as exc:
            reply = {"error": f"its sandbox pool did not start ({type(exc).__name__})", "log": []}
        for line in reply.get("log", []):
            log(f"node {node.name}: {line}")
        if "error" in reply:
            failures.append(f"node {node.name}: {reply['error']}")
        else:
            node.image_tag, node.image_id = str(reply["image_tag"]), str(reply["image_id"])
    if failures:
        for node in nodes:
            ray.kill(node.actor)
        raise SandboxError("the sandbox cannot start on every Ray node: " + "; ".join(failures))
    return nodes


class Pending:
    """One job waiting for its reply; the Grader's thread sleeps on `done`."""

    def __init__(self, job: dict[str, Any], deadline_s: float) -> None:
        self.job = job
        self.deadline_s = deadline_s
        self.done = threading.Event()
        self.reply: dict[str, Any] | None = None
        self.error: BaseException | None = None

    def finish(self, reply: dict[str, Any] | None = None, error: BaseException | None = None) -> None:
        self.reply, self.error = reply, error
        self.done.set()


@dataclass
class Batch:
    """Jobs sent to one node in one actor call."""

    node: Node
    pending: list[Pending]
    expires: float
    """Monotonic time after which the node is given up on for these jobs (they count as
    infrastructure failures, which the Grader retries)."""


class RayPools:
    """Sends queued sandbox jobs to the nodes' pools in batches, with bounded in-flight work per
    node; puts the jobs of a node that dies back in the queue for the surviving ones."""

    def __init__(self, nodes: list[Node], log: Log, owns_ray: bool) -> None:
        self.nodes = nodes
        self.log = log
        self.owns_ray = owns_ray
        self.lost: list[str] = []
        """Nodes lost during the run, by name."""
        self.requeued = 0
        """Jobs sent again because their node died."""
        self.calls = 0
        """Actor calls made (each carries one batch)."""
        self._queue: deque[Pending] = deque()
        self._in_flight: dict[Any, Batch] = {}
        self._cond = threading.Condition()
        self._closed = False
        self._threads = [
            threading.Thread(target=self._guarded, args=(self._dispatch,), name="ray-dispatch",
                             daemon=True),
            threading.Thread(target=self._guarded, args=(self._collect,), name="ray-collect",
                             daemon=True)]
        for thread in self._threads:
            thread.start()

    @property
    def workers(self) -> int:
        return sum(node.workers for node in self.nodes if node.alive)

    @property
    def slots(self) -> int:
        return sum(node.slots for node in self.nodes)

    def run(self, job: dict[str, Any], deadline_s: float) -> dict[str, Any] | None:
        """Queue one job and wait for its reply (None: the node stalled; the Grader retries)."""
        pending = Pending(job, deadline_s)
        with self._cond:
            if self._closed:
                raise SandboxError("sandbox pool is closed")
            if not any(node.alive for node in self.nodes):
                raise self._all_lost()
            self._queue.append(pending)
            self._cond.notify_all()
        pending.done.wait()
        if pending.error is not None:
            raise pending.error
        return pending.reply

    def _guarded(self, loop: Callable[[], None]) -> None:
        """Run a loop; should it fail, no Grader thread is left waiting for ever."""
        try:
            loop()
        except Exception as exc:  # noqa: BLE001 - handed to every waiting job instead
            error = SandboxError(f"the Ray dispatcher failed: {type(exc).__name__}: {exc}")
            with self._cond:
                self._closed = True
                self._fail_all(error)
                for batch in self._in_flight.values():
                    for pending in batch.pending:
                        pending.finish(error=error)
                self._in_flight.clear()
                self._cond.notify_all()

    # -- the dispatcher: queue -> nodes
    def _next_batch(self) -> tuple[Node, list[Pending]] | None:
        """Wait for queued jobs and a node with room; None when closing."""
        with self._cond:
            while True:
                if self._closed:
                    return None
                live = [node for node in self.nodes if node.alive]
                if not live:
                    self._fail_all(self._all_lost())
                elif self._queue:
                    free = [node for node in live
                            if node.in_flight < node.slots and node.calls < CALLS_PER_NODE]
                    if free:
                        node = min(free, key=lambda n: (n.calls, n.in_flight / n.slots))
                        size = min(node.slots - node.in_flight, node.workers * BATCH_PER_WORKER,
                                   len(self._queue))
                        batch = [self._queue.popleft() for _ in range(size)]
                        node.in_flight += size
                        node.calls += 1
                        return node, batch
                self._cond.wait()

    def _dispatch(self) -> None:
        while (chosen := self._next_batch()) is not None:
            node, batch = chosen
            try:
                ref = node.actor.run_batch.remote([p.job for p in batch],
                                                  [p.deadline_s for p in batch])
            except Exception as exc:  # noqa: BLE001 - the actor handle is unusable: node lost
                self._lose(node, exc, batch)
                continue
            # behind the node's other calls: each of its workers may have SLOTS_PER_WORKER jobs
            expires = (time.monotonic() + max(p.deadline_s for p in batch) * SLOTS_PER_WORKER
                       + REPLACE_GRACE_S)
            with self._cond:
                self.calls += 1
                self._in_flight[ref] = Batch(node, batch, expires)
                self._cond.notify_all()

    # -- the collector: replies -> waiting threads
    def _collect(self) -> None:
        while True:
            with self._cond:
                while not self._in_flight and not self._closed:
                    self._cond.wait()
                if self._closed:
                    return
                refs = list(self._in_flight)
            ready, _ = ray.wait(refs, num_returns=1, timeout=0.2)
            now = time.monotonic()
            with self._cond:
                ready += [ref for ref, batch in self._in_flight.items()
                          if ref not in ready and now > batch.expires]
            for ref in ready:
                self._settle(ref)

    def _settle(self, ref: Any) -> None:  # noqa: ANN401 - a ray.ObjectRef
        with self._cond:
            batch = self._in_flight.pop(ref, None)
        if batch is None:
            return
        try:
            replies: list[dict[str, Any] | None] = ray.get(ref, timeout=0)
        except GetTimeoutError:  # the node did not answer in time: infra failures, retried
            try:
                ray.cancel(ref)
            except Exception:  # noqa: BLE001 - running already: its replies are dropped
                pass
            replies = [None] * len(batch.pending)
        except RayTaskError as exc:  # the node's pool raised (it could not replace a worker)
            self._release(batch.node, batch.pending)
            error = SandboxError(f"node {batch.node.name}: {exc.cause}")
            for pending in batch.pending:
                pending.finish(error=error)
            return
        except (RayActorError, NodeDiedError) as exc:
            self._lose(batch.node, exc, batch.pending)
            return
        self._release(batch.node, batch.pending)
        for pending, reply in zip(batch.pending, replies, strict=True):
            pending.finish(reply)

    def _release(self, node: Node, batch: list[Pending]) -> None:
        with self._cond:
            node.in_flight -= len(batch)
            node.calls -= 1
            self._cond.notify_all()

    def _lose(self, node: Node, exc: BaseException, batch: list[Pending]) -> None:
        """Mark the node lost and put its jobs back at the head of the queue."""
        with self._cond:
            node.in_flight -= len(batch)
            node.calls -= 1
            self._queue.extendleft(reversed(batch))
            self.requeued += len(batch)
            first = node.alive
            node.alive = False
            if first:
                self.lost.append(node.name)
            remaining = sum(1 for n in self.nodes if n.alive)
            self._cond.notify_all()
        if not first:
            return
        self.log(f"[yellow]node {node.name} lost[/] ({type(exc).__name__}); its jobs in flight "
                 f"are sent again; continuing on {remaining} node{'s' * (remaining != 1)}")
        try:
            ray.kill(node.actor)
        except Exception:  # noqa: BLE001 - already gone with its node
            pass

    def _all_lost(self) -> SandboxError:
        return SandboxError("every Ray node's sandbox pool is lost (" + ", ".join(self.lost)
                            + "); nothing more was graded: resume when the cluster is back")

    def _fail_all(self, error: BaseException) -> None:
        """Every queued job gets `error` (called with the lock held)."""
        while self._queue:
            self._queue.popleft().finish(error=error)

    def close(self) -> None:
        with self._cond:
            if self._closed:
                return
            self._closed = True
            self._fail_all(SandboxError("sandbox pool is closed"))
            for batch in self._in_flight.values():
                for pending in batch.pending:
                    pending.finish(error=SandboxError("sandbox pool is closed"))
            self._in_flight.clear()
            self._cond.notify_all()
        for thread in self._threads:
            thread.join(timeout=5)
        alive = [node for node in self.nodes if node.alive]
        try:
            ray.get([node.actor.close.remote() for node in alive], timeout=30)
        except Exception:  # noqa: BLE001 - a node gone meanwhile: its workers exit with it
            pass
        for node in alive:
            try:
                ray.kill(node.actor)
            except Exception:  # noqa: BLE001
                pass
        if self.owns_ray:
            ray.shutdown()


def open_ray_pools(config: SandboxConfig, executor: ExecutorConfig, log: Log) -> StartedPool:
    """A pool on every alive node of the cluster, behind one dispatcher the Grader calls."""
    owns = connect(executor)
    try:
        nodes = start_nodes(config, log)
    except BaseException:
        if owns:
            ray.shutdown()
        raise
    here = ray.get_runtime_context().get_node_id()
    local = next((n for n in nodes if n.node_id == here), nodes[0])
    image_id = local.image_id
    if len({n.image_id for n in nodes}) > 1:
        log("[yellow]the nodes built different image ids from the same inputs[/]; grading "
            f"cache keys use {image_id[:19]} (node {local.name})")
    pools = RayPools(nodes, log, owns)
    log(f"grading on {len(nodes)} Ray node{'s' * (len(nodes) != 1)}: "
        + ", ".join(f"{n.name} x{n.workers}" for n in nodes))
    return StartedPool(pool=pools, image_tag=local.image_tag, image_id=image_id,
                       config=replace(config, workers=pools.slots))
