"""Rendering shared by commands: one console, result tables, JSON lines."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from rich.console import Console
from rich.table import Table

from harness.results import GradeResult

STATUS_STYLE = {
    "passed": "green", "failed": "yellow", "error": "red", "timeout": "magenta",
    "oom": "magenta", "crashed": "red", "syntax_error": "red", "skipped": "dim",
}


def console(stderr: bool = False) -> Console:
    return Console(stderr=stderr, highlight=False)


def styled(status: str) -> str:
    return f"[{STATUS_STYLE.get(status, 'white')}]{status}[/]"


def grade_table(rows: Iterable[tuple[str, GradeResult]], title: str = "") -> Table:
    table = Table(title=title or None)
    for col, justify in (("file", "left"), ("status", "left"), ("tests", "right"),
                         ("time", "right"), ("first problem", "left")):
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    for name, result in rows:
        problem = result.message
        for test in result.tests:
            if test.outcome != "passed":
                problem = f"{test.name}: {test.outcome} {test.message}".strip()
                break
        table.add_row(name, styled(result.status), f"{result.passed}/{result.total}",
                      f"{result.duration_s * 1000:.0f} ms", problem[:80])
    return table


def json_line(record: dict[str, Any]) -> str:
    return json.dumps(record, sort_keys=True)
