"""Shared fixtures. The sandbox fixtures need a running Docker daemon: CI starts one.

No silent skips in CI: when the environment variable CI is set (`CI=true`, as CI
services and `.ci/run` set it), a missing test dependency is a broken
install step, so `require_module` / `require_file` fail naming what is missing instead
of skipping, and any other skip (a `pytest.skip`, `importorskip` or `skipif` in any
test file) is turned into a failure that quotes its reason. Locally they still skip.
The docker and model tiers never skip: without a daemon or the embedded model their
tests fail (the sandbox fixture and `open_endpoint` raise), in CI and locally alike.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any, NoReturn

import pytest

from harness.grading.grader import Grader, StartedPool, open_sandbox
from harness.sandbox.pool import SandboxConfig
from harness.tasks.load import Task, load_task

ROOT = Path(__file__).resolve().parents[1]
TASKS_DIR = ROOT / "tasks"


def in_ci() -> bool:
    """CI=true (or any value but empty, 0, false, no): skips must not hide a broken setup."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def missing(what: str) -> NoReturn:
    """Skip locally; fail in CI, naming what is missing."""
    if in_ci():
        pytest.fail(f"{what} (CI is set: a missing test dependency fails, it is not skipped)",
                    pytrace=False)
    pytest.skip(what, allow_module_level=True)


def require_module(name: str, install: str) -> ModuleType:
    """Import `name`, or skip (locally) / fail (CI) saying how to install it."""
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        missing(f"python module {name!r} is not installed ({exc}); install it with: {install}")


def require_file(path: Path, install: str) -> Path:
    """An executable or data file the test needs, or skip (locally) / fail (CI)."""
    if not path.exists():
        missing(f"{path} is not installed; install it with: {install}")
    return path


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Iterator[None]:
    """In CI, a test that skipped (for whatever reason) is reported as failed."""
    outcome = yield
    report = outcome.get_result()
    if in_ci() and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, which counts as a failure: {skip_reason(report.longrepr)}"


SKIPPED_MODULES: list[str] = []
"""Modules that skipped themselves at import while CI was set."""


def pytest_collectreport(report: pytest.CollectReport) -> None:
    """In CI, note a module that skips itself at import (`importorskip` at top level).

    Its report stays a skip: a collection error would interrupt the whole session and
    hide every other result. The session fails at the end instead (below)."""
    if in_ci() and report.skipped:
        SKIPPED_MODULES.append(f"{report.nodeid}: {skip_reason(report.longrepr)}")


def pytest_terminal_summary(terminalreporter: Any) -> None:  # noqa: ANN401
    if SKIPPED_MODULES:
        terminalreporter.section("skipped in CI, which counts as a failure", red=True)
        for line in SKIPPED_MODULES:
            terminalreporter.line(line)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if SKIPPED_MODULES and exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def skip_reason(longrepr: Any) -> str:  # noqa: ANN401
    """The reason of a skip report (pytest stores it as (file, line, reason))."""
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


@pytest.fixture(scope="session")
def sandbox() -> Iterator[StartedPool]:
    """One warm pool for the whole session (starting one costs about a second)."""
    box = open_sandbox(SandboxConfig(workers=2), log=lambda _m: None)
    yield box
    box.pool.close()


@pytest.fixture(scope="session")
def grader(sandbox: StartedPool) -> Grader:
    """Grades without the execution cache, so every test really runs its code."""
    return Grader(sandbox, store=None)


@pytest.fixture(scope="session")
def sort_task() -> Task:
    return load_task(TASKS_DIR / "sort_ints")
