"""One HumanEval record and the error that skips it: shared by every step of the import.

Kept apart so the test split (`humaneval_tests`) and the task.toml writer
(`humaneval_task_toml`) can raise the same `ConversionError` that `humaneval.convert_all`
reports, without importing the importer itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


class ConversionError(Exception):
    """A problem that cannot become a task folder; the message is the reason reported."""


@dataclass(frozen=True)
class Problem:
    """One HumanEval record."""

    task_id: str
    prompt: str
    entry_point: str
    canonical_solution: str
    test: str


def folder_name(task_id: str) -> str:
    """`HumanEval/7` -> `humaneval_007`."""
    match = re.fullmatch(r"HumanEval/(\d+)", task_id)
    if not match:
        raise ConversionError(f"task_id {task_id!r} is not of the form HumanEval/<number>")
    return f"humaneval_{int(match.group(1)):03d}"
