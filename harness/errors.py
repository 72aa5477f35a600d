"""User-facing errors.

A `HarnessError` is a mistake the user can fix (a bad flag, a malformed task
folder, Docker not running). The CLI prints its message on one line and exits
non-zero; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations


class HarnessError(Exception):
    """An error whose message alone tells the user what to fix."""

    exit_code = 2


class TaskError(HarnessError):
    """A task folder or file is malformed."""


class SandboxError(HarnessError):
    """Docker or the sandbox image is not usable."""


class LLMError(HarnessError):
    """An endpoint or model cannot be used."""
