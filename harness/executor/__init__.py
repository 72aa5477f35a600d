"""Where sandbox jobs run: the warm pool on this machine, or one pool on every node of a Ray
cluster.

The Grader keeps the execution cache and every store write on the driver (this process); an
executor only runs sandbox jobs, a job dict in and the worker's reply dict out. So caching,
resume and provenance are the same whichever executor grades, and a job that ran twice
because a node died in the middle is still recorded once.

Light to import: nothing here imports Ray. `harness.executor.ray_pools` does, and is only
imported when a command asks for `--executor ray`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

EXECUTORS = ("local", "ray")
"""The executors `--executor` accepts."""


@dataclass(frozen=True)
class ExecutorConfig:
    """Which executor grades, and which Ray cluster it joins."""

    kind: str = "local"
    """local: one warm pool on this machine; ray: one warm pool per node of a Ray cluster."""
    ray_address: str | None = None
    """The Ray cluster to join (`auto`, `HOST:PORT`); None: $RAY_ADDRESS, else Ray started on
    this machine for the life of the command. Only read when `kind` is ray."""

    @property
    def remote(self) -> bool:
        return self.kind == "ray"


class JobRunner(Protocol):
    """Runs one sandbox job; what the Grader calls (a SandboxPool, or the Ray dispatcher)."""

    def run(self, job: dict[str, Any], deadline_s: float) -> dict[str, Any] | None:
        """The worker's reply; None when the worker died or stalled (the Grader retries)."""
        ...

    def close(self) -> None:
        """Stop every worker this runner started."""
        ...
