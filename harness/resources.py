"""Where the files that are not Python modules live: the sandbox worker, its Dockerfile and the
built-in tasks.

The repository keeps them at top level (`sandbox/worker.py`, `Dockerfile.sandbox`, `tasks/`);
a built wheel carries copies under `harness/_data/` with the same layout (see setup.py). So one
root answers every lookup: the installed package data when it is there, else the checkout. An
editable install has no `_data`, so it reads the checkout and sees edits at once.
"""

from __future__ import annotations

from pathlib import Path

from harness.errors import HarnessError

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = PACKAGE_DIR / "_data"
"""Package data inside an installed wheel (absent in a source checkout)."""
CHECKOUT_DIR = PACKAGE_DIR.parent
"""The source checkout holding this package (meaningful only for a checkout or editable install)."""

DOCKERFILE = "Dockerfile.sandbox"
WORKER_DIR = "sandbox"
WORKER = f"{WORKER_DIR}/worker.py"
TASKS = "tasks"
SHIPPED = (DOCKERFILE, WORKER_DIR, TASKS)
"""What setup.py copies into `harness/_data/`, relative to the repository root."""


def _is_root(folder: Path) -> bool:
    return (folder / DOCKERFILE).is_file() and (folder / WORKER).is_file()


def resource_root() -> Path | None:
    """The folder holding `Dockerfile.sandbox`, `sandbox/` and `tasks/`: package data first, so
    an installed wheel never picks up an unrelated checkout; None when neither is complete."""
    for folder in (DATA_DIR, CHECKOUT_DIR):
        if _is_root(folder):
            return folder
    return None


def _require_root() -> Path:
    root = resource_root()
    if root is None:
        raise HarnessError(
            f"harness resources not found: neither {DATA_DIR} (installed package data) nor "
            f"{CHECKOUT_DIR} (source checkout) holds {DOCKERFILE} and {WORKER}; reinstall harness"
        )
    return root


def dockerfile_path() -> Path:
    """The sandbox image's Dockerfile."""
    return _require_root() / DOCKERFILE


def worker_path() -> Path:
    """The worker that runs inside every sandbox container."""
    return _require_root() / WORKER


def builtin_tasks_dir() -> Path | None:
    """The task folders shipped with harness; None when this install has none."""
    root = resource_root()
    if root is not None and (root / TASKS).is_dir():
        return root / TASKS
    return None
