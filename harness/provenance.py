"""What a result needs to be trusted later: which code, tasks, model and sandbox produced it."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
from collections.abc import Sequence
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


def relative_command(argv: Sequence[str] | str, cwd: Path | None = None,
                     home: Path | None = None) -> str:
    """The command as it can be repeated from the project: no local absolute paths.

    Provenance is published (leaderboard run.json), so it must not carry this machine's
    layout or user name, and `harness run --home /home/me/proj/.harness` typed in
    /home/me/proj is the command `harness run --home .harness`. argv[0] becomes its
    basename; an argument (or the value of `--flag=value`) that is an absolute path
    becomes relative when it lies under the working directory `cwd`; an argument under
    the user's `home` becomes `~/...` (not a `--flag=` value: no shell expands that ~);
    other paths (e.g. /tmp) stay. A string is split with shlex (as `shlex.join` wrote
    it); the result is shell-quoted, so it can be pasted into a shell.
    """
    args = shlex.split(argv) if isinstance(argv, str) else list(argv)
    if not args:
        return ""
    bases = ((Path.cwd() if cwd is None else cwd, ""), (Path.home() if home is None else home, "~"))

    def shorten(arg: str, tilde: bool = True) -> str:
        if arg.startswith("-") and "=" in arg:  # a shell expands no ~ after `--flag=`
            flag, value = arg.split("=", 1)
            return f"{shlex.quote(flag)}={shorten(value, tilde=False)}"
        if tilde and (arg == "~" or (arg.startswith("~/") and len(arg) > 2)):  # already ~/...
            return "~" + (f"/{shlex.quote(arg[2:])}" if len(arg) > 1 else "")
        if os.path.isabs(arg):
            for base, prefix in bases[: 2 if tilde else 1]:
                for p, b in ((os.path.normpath(arg), os.path.normpath(base)),
                             (os.path.realpath(arg), os.path.realpath(base))):
                    if b == os.sep or not (p == b or p.startswith(b + os.sep)):
                        continue
                    rel = os.path.relpath(p, b)
                    if not prefix:
                        return shlex.quote(rel)
                    # unquoted, so a shell still expands it
                    return prefix if rel == "." else f"{prefix}/{shlex.quote(rel)}"
        return shlex.quote(arg)

    return " ".join([shlex.quote(os.path.basename(args[0]) or args[0]), *map(shorten, args[1:])])


def command_line() -> str:
    """This process's command, relative (see `relative_command`): the argv click parsed
    when a `harness` command is running (also under click's test runner, where sys.argv
    is pytest's), else sys.argv."""
    try:
        import click

        ctx = click.get_current_context(silent=True)
    except ImportError:
        ctx = None
    obj = ctx.find_root().obj if ctx is not None else None
    if isinstance(obj, dict) and isinstance(obj.get("argv"), list):
        return relative_command(["harness", *obj["argv"]])
    return relative_command(sys.argv) if sys.argv and sys.argv[0] else "harness"


def base_provenance() -> dict[str, Any]:
    return {
        "harness_version": harness_version(),
        "git_commit": git_commit(),
        "python": sys.version.split()[0],
        "command": command_line(),
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
