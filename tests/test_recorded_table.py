"""The committed response table (bench/tables/) still matches the tasks and templates it claims.

The agent benchmark's figures in the README come from this table; a task edited since
recording silently changes what the table means, so CI fails and says to re-record.
"""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from harness.bench.record import prompts_digest
from harness.bench.sensitivity import sensitivity
from harness.bench.table_io import DEFAULT_TABLE, load_table, meta_path
from harness.cli import cli
from harness.prompts.space import default_space
from harness.tasks.load import find_task

ROOT = Path(__file__).resolve().parents[1]
TABLE = ROOT / DEFAULT_TABLE
TASKS_DIR = ROOT / "tasks"


def recorded_prompts(names: object, meta: dict[str, object]) -> str:
    """The digest of every prompt the table's plan sends, with the wording of today."""
    plan = meta["plan"]
    assert isinstance(plan, dict) and isinstance(names, list | tuple)
    tasks = [find_task(TASKS_DIR, name) for name in names]
    return prompts_digest(tasks, default_space("content"), tuple(plan["templates"]))


def test_the_table_is_complete_and_current() -> None:
    table = load_table(TABLE)
    assert len(table.tasks) >= 12
    assert set(table.templates) == set(default_space("content").ids)
    assert table.samples == (10, 10), "every cell holds 10 answers"
    meta = json.loads(meta_path(TABLE).read_text())
    assert meta["prompts"] == recorded_prompts(meta["plan"]["tasks"], meta), (
        "a prompt the table was recorded with has changed wording: run `harness bench record`")
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


# ------------------------------------------- the v2 table (strategies), possibly still recording

TABLE_V2 = ROOT / "bench/tables/responses_v2.jsonl.gz"


def test_the_v2_table_is_current() -> None:
    """Every row recorded so far is a full v2 row of the tasks as they are now."""
    from harness.bench.table_io import read_rows

    assert TABLE_V2.exists(), "bench/tables/responses_v2.jsonl.gz: record it with `harness bench record`"
    rows, meta = read_rows(TABLE_V2)
    assert meta["prompts"] == recorded_prompts(meta["plan"]["tasks"], meta), (
        "a prompt the v2 table was recorded with has changed wording: run `harness bench record`")
    for row in rows:
        assert row.temperature is not None and row.code is not None and row.visible is not None
        assert row.tests is not None and len(row.tests) == row.total and row.tests.count("1") == row.passed
    for name in {r.task for r in rows}:
        assert meta["tasks"][name] == find_task(TASKS_DIR, name).hash, (
            f"task {name} changed since the v2 table was recorded: run `harness bench record`"
        )


def test_a_short_strategy_replay_of_the_v2_table(tmp_path: Path) -> None:
    """The strategy replay runs on the v2 table; while fewer than 2 tasks are complete it
    says to let the recording run longer (a table still recording is not an error)."""
    from harness.bench.table_io import complete_block, read_rows
    from harness.errors import HarnessError

    rows, _ = read_rows(TABLE_V2)
    try:
        complete_block(rows, min_answers=2)
        replayable = True
    except HarnessError:
        replayable = False
    result = CliRunner().invoke(cli, [
        "bench", "agents", "--seeds", "2", "--budget", "1", "--agent", "thompson", "--agent",
        "factored", "--workers", "1", "--out", str(tmp_path), "--table", str(TABLE_V2),
        "--tasks-dir", str(TASKS_DIR), "--selections", "single,best_of_3",
    ])
    if not replayable:
        assert result.exit_code != 0 and "let the recording run longer" in result.output
        return
    assert result.exit_code == 0, result.output
    assert "placeholder features" not in result.output and "Value of learning" in result.output
    figures = json.loads((tmp_path / "agents.json").read_text())
    assert figures["mode"] == "strategies" and figures["table"]["version"] == 2
