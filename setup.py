"""One build step on top of pyproject.toml: ship the top-level sandbox and task files.

The repository keeps `Dockerfile.sandbox`, `sandbox/` and `tasks/` at top level; an installed
wheel needs them inside the package to work from any folder. build_py copies them into
`harness/_data/` with the same layout, so `harness.resources` finds one root either way and the
sandbox image tag (a hash over relative paths and bytes) stays the same. Copying at build time
puts real files in the wheel (no symlinks, no second copy in git) and leaves the source tree
alone, so an editable install keeps reading the checkout.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
SHIPPED = ("Dockerfile.sandbox", "sandbox", "tasks")  # keep in step with harness/resources.py
DATA = Path("harness", "_data")
IGNORE = shutil.ignore_patterns("__pycache__", "*.py[cod]")


class BuildPyWithData(build_py):
    """build_py, then copy SHIPPED into the built package (not for editable installs)."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):  # harness.resources falls back to the checkout
            return
        target = Path(self.build_lib) / DATA
        shutil.rmtree(target, ignore_errors=True)  # a stale build/ must not keep deleted tasks
        target.mkdir(parents=True)
        for name in SHIPPED:
            source = ROOT / name
            if source.is_dir():
                shutil.copytree(source, target / name, ignore=IGNORE)
            elif source.is_file():
                shutil.copy2(source, target / name)
            else:
                raise SystemExit(f"{source}: missing; the harness wheel must ship {name} "
                                 "(build from a checkout or a complete sdist)")


setup(cmdclass={"build_py": BuildPyWithData})
