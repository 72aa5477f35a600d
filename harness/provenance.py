"""What a result needs to be trusted later: which code, tasks, model and sandbox produced it."""

from __future__ import annotations

import shlex
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any


def harness_version() -> str:
    try:
        return metadata.version("harness")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def git_commit(root: Path | None = None) -> str:
    """HEAD's commit, with '-dirty' when the work tree has uncommitted changes."""
    root = root or Path(__file__).resolve().parents[1]

    def git(*args: str) -> str:
        proc = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True,
                              check=False, timeout=10)
        return proc.stdout.strip() if proc.returncode == 0 else ""

    try:
        commit = git("rev-parse", "HEAD")
        if not commit:
            return "unknown"
        dirty = git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return commit + ("-dirty" if dirty else "")


def command_line() -> str:
    return shlex.join(["harness", *sys.argv[1:]]) if sys.argv else "harness"


def base_provenance() -> dict[str, Any]:
    return {
        "harness_version": harness_version(),
        "git_commit": git_commit(),
        "python": sys.version.split()[0],
        "command": command_line(),
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
