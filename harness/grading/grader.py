"""Grading: a task plus candidate code in, a `GradeResult` out, always through the sandbox.

Identical code for an identical task, image and limits is graded once: the
execution cache (in the run store) answers every later request.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from harness.errors import SandboxError
from harness.executor import ExecutorConfig, JobRunner
from harness.grading.results import INFRA_ERROR, GradeResult, TestResult
from harness.sandbox.pool import WORKER_PROTOCOL, SandboxConfig, SandboxPool, reap_leftovers
from harness.store import Store
from harness.tasks.load import Task


@dataclass(frozen=True)
class StartedPool:
    """A running sandbox pool and the identity of the image it runs: what a Grader grades on."""

    pool: JobRunner
    """This machine's SandboxPool, or the dispatcher over every Ray node's pool."""
    image_tag: str
    image_id: str
    """Part of every grading cache key (with the Ray executor: the image on the driver's node)."""
    config: SandboxConfig
    """The limits; `workers` is how many jobs may be in flight at once."""


def open_sandbox(config: SandboxConfig | None = None, log: Callable[[str], None] = print,
                 executor: ExecutorConfig | None = None) -> StartedPool:
    """Connect to Docker, clear leftovers of dead harness processes, build if needed, start.

    With `executor.kind == "ray"`, the same happens on every node of a Ray cluster instead."""
    from harness.sandbox.image import docker_client, ensure_image

    config = config or SandboxConfig()
    if executor is not None and executor.remote:
        from harness.executor.load import require_ray

        require_ray(executor)
        from harness.executor.ray_pools import open_ray_pools

        return open_ray_pools(config, executor, log)
    client = docker_client()
    reap_leftovers(client)
    tag = ensure_image(client, log=log)
    image_id = client.images.get(tag).id
    pool = SandboxPool(tag, config).start()
    return StartedPool(pool=pool, image_tag=tag, image_id=image_id, config=config)


def job_for(task: Task, code: str, config: SandboxConfig) -> dict[str, Any]:
    """The worker's job. A task's preamble runs before the candidate's code, as the source
    benchmark runs its prompt before the completion (a task without one: the code alone)."""
    return {
        "code": f"{task.preamble}\n{code}" if task.preamble else code,
        "tests": task.tests_source,
        "test_names": list(task.test_names),
        "entry_point": task.entry_point,
        "timeout_s": task.timeout_s,
        "limits": config.limits(),
    }


def cache_key(job: dict[str, Any], image_id: str, config: SandboxConfig) -> str:
    payload = json.dumps({"job": job, "image": image_id, "limits": config.cache_key(),
                          "protocol": WORKER_PROTOCOL}, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()


ATTEMPTS = 3
"""Tries on fresh workers before a program is given up as an infrastructure failure."""


def parse_reply(reply: dict[str, Any] | None, task: Task) -> GradeResult:
    """The worker's answer as a result; no answer, or an error instead of a verdict, is the
    sandbox's failure (`infra_error`), never the candidate's."""
    if reply is None or "status" not in reply:
        detail = (reply or {}).get("error", "the sandbox worker died or stalled and was replaced")
        tests = tuple(TestResult(name, INFRA_ERROR, 0.0, str(detail)) for name in task.test_names)
        return GradeResult(syntax_ok=False, status=INFRA_ERROR, tests=tests, passed=0,
                           total=len(task.test_names), message=f"sandbox failure: {detail}")
    return GradeResult.from_dict(reply)


class Grader:
    """Grades code for tasks on a sandbox pool, with the execution cache in front."""

    def __init__(self, sandbox: StartedPool, store: Store | None = None) -> None:
        self.sandbox = sandbox
        self.store = store
        self.cache_hits = 0
        self.executed = 0

    def grade(self, task: Task, code: str) -> GradeResult:
        config = self.sandbox.config
        job = job_for(task, code, config)
        key = cache_key(job, self.sandbox.image_id, config)
        if self.store is not None and (hit := self.store.get_exec(key)) is not None:
            self.cache_hits += 1
            return GradeResult.from_dict(hit)
        deadline = task.timeout_s * (len(task.test_names) + 1) + 10.0
        for _ in range(ATTEMPTS):  # a stalled or dead worker was replaced: try on a fresh one
            result = parse_reply(self.sandbox.pool.run({**job, "id": key[:16]}, deadline), task)
            if not result.infra:
                break
        self.executed += 1
        if self.store is not None and not result.infra:
            self.store.put_exec(key, result.to_dict())
        return result

    def grade_many(
        self,
        items: Sequence[tuple[Task, str]],
        on_done: Callable[[int, GradeResult], None] | None = None,
    ) -> list[GradeResult]:
        """Grade in parallel on every worker; results come back in input order."""
        results: list[GradeResult | None] = [None] * len(items)

        def one(index: int) -> None:
            task, code = items[index]
            result = self.grade(task, code)
            results[index] = result
            if on_done is not None:
                on_done(index, result)

        with ThreadPoolExecutor(max_workers=max(1, self.sandbox.config.workers)) as ex:
            list(ex.map(one, range(len(items))))
        if any(r is None for r in results):
            raise SandboxError("grading did not complete")
        return [r for r in results if r is not None]  # all of them: checked just above

    def close(self) -> None:
        self.sandbox.pool.close()
