"""The sandbox benchmark end to end on a tiny batch: it runs, and it writes its figures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from harness.cli import cli
from tests.conftest import TASKS_DIR

pytestmark = pytest.mark.docker


def test_sandbox_bench_prints_and_writes_the_three_methods(tmp_path: Path) -> None:
    out = tmp_path / "sandbox.json"
    result = CliRunner().invoke(cli, ["sandbox", "bench", "--programs", "8", "--docker-programs", "2",
                                      "--out", str(out), "--tasks-dir", str(TASKS_DIR)])
    assert result.exit_code == 0, result.output
    figures = json.loads(out.read_text())
    methods = [row["method"] for row in figures["rows"]]
    assert len(methods) == 3 and methods[0].startswith("warm pool")
    assert figures["rows"][0]["pool_speed_up"] == 1.0
    # half the programs are correct, on every method
    assert [row["passed"] for row in figures["rows"]] == [4, 1, 4]
    assert figures["git_commit"] and figures["command"]
