"""`harness bench record` against a scripted endpoint (real sandbox): table rows, resumability."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from harness.cli import cli
from tests.conftest import TASKS_DIR
from tests.fake_openai import FakeOpenAI, completion

pytestmark = pytest.mark.docker

GOOD = {"sort_ints": "def sort_ints(xs):\n    return sorted(xs)\n",
        "digit_sum": "def digit_sum(n):\n    return sum(int(c) for c in str(abs(n)))\n"}


def script(body: dict, index: int) -> tuple[int, dict]:
    user = body["messages"][-1]["content"]
    name = "sort_ints" if "sort_ints" in user else "digit_sum"
    return 200, completion(f"```python\n{GOOD[name]}```")


def test_record_writes_a_balanced_table_and_resumes_for_free(tmp_path: Path) -> None:
    table = tmp_path / "t.jsonl.gz"
    with FakeOpenAI(script) as fake:
        args = ["bench", "record", "--table", str(table), "--task", "sort_ints", "--task", "digit_sum",
                "--preset", "quick", "--samples", "2", "--temperature", "0.8", "--base-url", fake.base_url, "--model", "fake",
                "--tasks-dir", str(TASKS_DIR), "--home", str(tmp_path / "h")]
        first = CliRunner().invoke(cli, args)
        assert first.exit_code == 0, first.output
        with gzip.open(table, "rt") as handle:
            rows = [json.loads(line) for line in handle]
        assert len(rows) == 2 * 8 * 2 == len(fake.requests)
        assert {r["status"] for r in rows} == {"passed"}
        assert {"task", "task_hash", "template", "sample", "syntax_ok", "status", "finish_reason",
                "passed", "total", "completion_tokens", "temperature", "code", "tests",
                "visible", "visible_total"} <= set(rows[0])
        by_task = {r["task"]: r for r in rows}
        assert by_task["sort_ints"]["code"] == GOOD["sort_ints"].strip() or "sorted" in by_task["sort_ints"]["code"]
        assert set(by_task["sort_ints"]["tests"]) == {"1"}
        assert by_task["digit_sum"]["visible"] == "1" * by_task["digit_sum"]["visible_total"] != ""
        meta = json.loads((tmp_path / "t.meta.json").read_text())
        assert meta["rows"] == 32 and meta["model"] == "fake"
        again = CliRunner().invoke(cli, args)
        assert again.exit_code == 0, again.output
        assert len(fake.requests) == 32  # every answer came from the cache
        # another machine: no run store, only the table; it resumes from the table's rows
        with gzip.open(table, "rt") as handle:
            lines = handle.readlines()
        with gzip.open(table, "wt") as handle:
            handle.writelines(lines[:20])
        elsewhere = [a if a != str(tmp_path / "h") else str(tmp_path / "other") for a in args]
        third = CliRunner().invoke(cli, elsewhere)
        assert third.exit_code == 0, third.output
        assert len(fake.requests) == 32 + 12  # only the 12 rows the table lacked
        with gzip.open(table, "rt") as handle:
            assert len(handle.readlines()) == 32
