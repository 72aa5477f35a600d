"""Shared fixtures. The sandbox fixtures need a running Docker daemon: CI starts one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.grading import Grader, Sandbox, open_sandbox
from harness.sandbox.pool import SandboxConfig
from harness.tasks import Task, load_task

ROOT = Path(__file__).resolve().parents[1]
TASKS_DIR = ROOT / "tasks"


@pytest.fixture(scope="session")
def sandbox() -> Iterator[Sandbox]:
    """One warm pool for the whole session (starting one costs about a second)."""
    box = open_sandbox(SandboxConfig(workers=2), log=lambda _m: None)
    yield box
    box.pool.close()


@pytest.fixture(scope="session")
def grader(sandbox: Sandbox) -> Grader:
    """Grades without the execution cache, so every test really runs its code."""
    return Grader(sandbox, store=None)


@pytest.fixture(scope="session")
def sort_task() -> Task:
    return load_task(TASKS_DIR / "sort_ints")
