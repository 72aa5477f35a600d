"""Import the Ray executor, or say how to install it."""

from __future__ import annotations

import os

from harness.errors import HarnessError
from harness.executor import ExecutorConfig


class MissingExtra(HarnessError):
    """An optional dependency the command needs is not installed."""

    exit_code = 3


LOOPBACK = ("127.", "localhost")


def require_ray(executor: ExecutorConfig) -> None:
    """Nothing when Ray is importable; else a clear error saying how to install it.

    Ray started here (no address), or a cluster on this machine's loopback address, stays on
    loopback: without this Ray binds every interface, and rewrites a 127.0.0.1 address to the
    machine's outward one, where a loopback cluster does not listen. Ray reads it when first
    imported."""
    address = executor.ray_address or os.environ.get("RAY_ADDRESS") or ""
    if not address or address.startswith(LOOPBACK):
        os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    try:
        import ray  # noqa: F401
    except ImportError:
        raise MissingExtra("--executor ray needs Ray: pip install 'harness[ray]' "
                           "(or pip install ray==2.60.0)") from None
