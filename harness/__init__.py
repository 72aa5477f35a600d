"""harness: a code-generation benchmark that learns how to prompt.

The public API (everything else is internal and may move):

    import harness
    result = harness.run(task="sort_ints")      # learn, then prove it on fresh answers
    result.learned["sort_ints"], result.evaluation.pass_uplift
    harness.evaluate("sort_ints", code)         # grade one program in the sandbox
    harness.load_task("sort_ints")

Names load on first use, so `import harness` (and every `harness.*` submodule) stays light.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from harness.api import evaluate, load_task, run
    from harness.grading.results import GradeResult
    from harness.loop.report import ArmResult, RunResult
    from harness.tasks.load import Task

_EXPORTS = {
    "run": "harness.api", "evaluate": "harness.api", "load_task": "harness.api",
    "RunResult": "harness.loop.report", "ArmResult": "harness.loop.report",
    "GradeResult": "harness.grading.results", "Task": "harness.tasks.load",
}

__all__ = ["ArmResult", "GradeResult", "RunResult", "Task", "evaluate", "load_task", "run"]


def __getattr__(name: str) -> Any:  # noqa: ANN401 - whatever the exported object is
    if name not in _EXPORTS:
        raise AttributeError(f"module 'harness' has no attribute '{name}'")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
