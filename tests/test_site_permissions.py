"""The built site and published files are world-readable, whatever the umask.

A web server usually runs as another user than the one who built the site; files written
through tempfile.mkstemp are 0600, which such a server cannot read (leaderboard issue, item 7).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from harness.cli import cli
from harness.leaderboard.publish import write_if_changed
from tests.conftest import ROOT

RESULTS = ROOT / "leaderboard" / "results"
"""The committed, published results."""


@pytest.fixture
def strict_umask() -> Iterator[None]:
    """A umask that gives others nothing: written files must be 0644 all the same."""
    previous = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(previous)


def build(out: Path) -> None:
    result = CliRunner().invoke(cli, ["leaderboard", "build", "--results", str(RESULTS),
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output


def modes(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): stat.S_IMODE(p.stat().st_mode) for p in root.rglob("*")
            if p.is_file()}


def test_built_site_files_are_readable_by_others(tmp_path: Path) -> None:
    out = tmp_path / "site"
    build(out)
    files = modes(out)
    assert "index.html" in files and any(name.startswith("raw/") for name in files)
    assert {name: mode for name, mode in files.items() if not mode & stat.S_IROTH} == {}
    assert set(files.values()) == {0o644}
    folders = [out, *(p for p in out.rglob("*") if p.is_dir())]
    assert all(stat.S_IMODE(p.stat().st_mode) & 0o005 == 0o005 for p in folders)  # r-x for others


def test_files_are_0644_whatever_the_umask(tmp_path: Path, strict_umask: None) -> None:
    out = tmp_path / "site"
    build(out)
    assert set(modes(out).values()) == {0o644}
    (out / "index.html").chmod(0o600)  # as an older harness left it: a rebuild repairs the mode
    build(out)
    assert stat.S_IMODE((out / "index.html").stat().st_mode) == 0o644


def test_write_if_changed_makes_missing_folders_0755(tmp_path: Path, strict_umask: None) -> None:
    path = tmp_path / "a" / "b" / "run.json"
    assert write_if_changed(path, "{}\n")
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert [stat.S_IMODE(p.stat().st_mode) for p in (tmp_path / "a", tmp_path / "a" / "b")] == [
        0o755, 0o755]
    assert not write_if_changed(path, "{}\n")  # unchanged: no write
    assert [p.name for p in path.parent.iterdir()] == ["run.json"]  # no temporary file left
