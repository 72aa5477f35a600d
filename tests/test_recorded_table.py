"""The committed response table (bench/tables/) still matches the tasks and templates it claims.

The agent benchmark's figures in the README come from this table; a task edited since
recording silently changes what the table means, so CI fails and says to re-record.
"""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from harness.cli import cli
from harness.prompts import default_space
from harness.replay import DEFAULT_TABLE, load_table, meta_path, sensitivity
from harness.tasks import find_task

ROOT = Path(__file__).resolve().parents[1]
TABLE = ROOT / DEFAULT_TABLE
TASKS_DIR = ROOT / "tasks"


def test_the_table_is_complete_and_current() -> None:
    table = load_table(TABLE)
    assert len(table.tasks) >= 12
    assert set(table.templates) == set(default_space("content").ids)
    assert table.samples == (10, 10), "every cell holds 10 answers"
    meta = json.loads(meta_path(TABLE).read_text())
    assert meta["template_space"] == default_space("content").fingerprint()
    for name in table.tasks:
        task = find_task(TASKS_DIR, name)
        assert meta["tasks"][name] == task.hash, (
            f"task {name} changed since the table was recorded: run `harness bench record`"
        )


def test_templates_matter_on_some_recorded_tasks() -> None:
    """The benchmark can only separate agents on tasks where the arms differ."""
    table = load_table(TABLE)
    found = sensitivity(table, "partial", permutations=500, seed=0)
    assert sum(s.p_value < 0.05 for s in found) >= 3


def test_a_short_replay_of_the_recorded_table(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, [
        "bench", "agents", "--seeds", "2", "--budget", "1", "--agent", "ucb1",
        "--agent", "linucb", "--workers", "1", "--out", str(tmp_path),
        "--table", str(TABLE), "--tasks-dir", str(TASKS_DIR),
    ])
    assert result.exit_code == 0, result.output
    assert "placeholder features" not in result.output
    figures = json.loads((tmp_path / "agents.json").read_text())
    assert [a["name"] for a in figures["agents"]][:2] == ["oracle", "best_single"]
