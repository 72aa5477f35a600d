"""User-facing errors.

A `HarnessError` is a mistake the user can fix (a bad flag, a malformed task
folder, Docker not running). The CLI prints its message on one line and exits with
the error's `exit_code`; anything else is a bug and keeps its traceback.

Exit codes: 1 a problem with what was asked (a task, a file, a run id), 2 a usage error
(click's), 3 the environment (Docker, the sandbox, a model endpoint), 130 interrupted.
"""

from __future__ import annotations


class HarnessError(Exception):
    """An error whose message alone tells the user what to fix."""

    exit_code = 1


class TaskError(HarnessError):
    """A task folder or file is malformed."""


class SandboxError(HarnessError):
    """Docker or the sandbox image is not usable."""

    exit_code = 3


class LLMError(HarnessError):
    """An endpoint or model cannot be used."""

    exit_code = 3
