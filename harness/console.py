"""Rendering shared by commands: one console, result tables, JSON lines.

Text that came from a model, a candidate program or a task file (answers, code, test
messages, prompts, file names) goes through `plain` before it reaches the terminal:
as rich markup, `raise ValueError("[/oops]")` crashed `harness eval` and `[link=...]`
made a hyperlink, and escape sequences would drive the user's terminal.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from harness.grading.results import GradeResult

STATUS_STYLE = {
    "passed": "green", "failed": "yellow", "error": "red", "timeout": "magenta",
    "oom": "magenta", "crashed": "red", "syntax_error": "red", "skipped": "dim",
}

_ESCAPE = re.compile(
    r"\x1b(?:"
    r"\[[0-?]*[ -/]*[@-~]?"  # CSI: colours, cursor moves, screen clears
    r"|[]PX^_][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC (titles, hyperlinks), DCS, SOS, PM, APC
    r"|[ -/]*[0-~]?"  # any other escape
    r")"
)
"""Terminal escape sequences (ECMA-48). Every part is a run of one character class
followed by at most one fixed character, so matching is linear on any input."""
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
"""Control characters other than tab and newline (C0, DEL, C1, which holds the 8-bit
CSI), and the bidirectional controls that make a terminal show text reordered."""


def plain(text: object, style: str = "") -> Text:
    """Untrusted text for the terminal: shown literally, never read as rich markup, with
    escape sequences and control characters (except newline and tab) removed."""
    return Text(_CONTROL.sub("", _ESCAPE.sub("", str(text))), style=style)


def console(stderr: bool = False) -> Console:
    return Console(stderr=stderr, highlight=False)


def styled(status: str) -> Text:
    return plain(status, STATUS_STYLE.get(status, "white"))


def grade_table(rows: Iterable[tuple[str, GradeResult]], title: str = "") -> Table:
    table = Table(title=plain(title) if title else None)
    for col in ("file", "status", "tests", "time", "first problem"):
        table.add_column(col, justify="right" if col in ("tests", "time") else "left")
    for name, result in rows:
        problem = result.message
        for test in result.tests:
            if test.outcome != "passed":
                problem = f"{test.name}: {test.outcome} {test.message}".strip()
                break
        table.add_row(plain(name), styled(result.status), f"{result.passed}/{result.total}",
                      f"{result.duration_s * 1000:.0f} ms", plain(problem)[:80])
    return table


def json_line(record: dict[str, Any]) -> str:
    return json.dumps(record, sort_keys=True)
