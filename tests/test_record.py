"""`harness bench record` against a scripted endpoint (real sandbox): table rows, resumability."""

from __future__ import annotations

import gzip
import json
import shutil
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


def test_record_never_overwrites_a_table_it_cannot_resume(tmp_path: Path) -> None:
    """Another model's recording, or a file that is no table, at --table was silently replaced
    by the new recording; now it is an error that says what differs, and the file is kept."""
    table = tmp_path / "t.jsonl.gz"
    with FakeOpenAI(script) as fake:
        args = ["bench", "record", "--table", str(table), "--task", "sort_ints", "--preset", "quick",
                "--template", "bare", "--samples", "1", "--temperature", "0.8",
                "--base-url", fake.base_url, "--tasks-dir", str(TASKS_DIR),
                "--home", str(tmp_path / "h")]
        assert CliRunner().invoke(cli, [*args, "--model", "fake"]).exit_code == 0
        recorded = table.read_bytes()
        other = CliRunner().invoke(cli, [*args, "--model", "other"])
        assert other.exit_code == 1, other.output
        assert (f"{table}: holds a recording that differs from this one (model 'fake' -> "
                "'other')") in other.output
        assert table.read_bytes() == recorded and len(fake.requests) == 1
        notes = tmp_path / "notes.json"
        notes.write_text('{"mine": true}\n')
        stray = [a if a != str(table) else str(notes) for a in args]
        result = CliRunner().invoke(cli, [*stray, "--model", "fake"])
        assert result.exit_code == 1 and "not a recording this command can resume" in result.output
        assert notes.read_text() == '{"mine": true}\n' and "Traceback" not in result.output


def test_record_says_which_changed_tasks_it_records_again(tmp_path: Path) -> None:
    """A task whose tests changed since the table was recorded: its rows were dropped without a
    word; now the recording names the task and how many rows, before it starts."""
    tasks = tmp_path / "tasks"
    shutil.copytree(TASKS_DIR / "sort_ints", tasks / "sort_ints")
    table = tmp_path / "t.jsonl.gz"
    with FakeOpenAI(script) as fake:
        args = ["bench", "record", "--table", str(table), "--task", "sort_ints", "--preset", "quick",
                "--template", "bare", "--samples", "2", "--temperature", "0.8", "--model", "fake",
                "--base-url", fake.base_url, "--tasks-dir", str(tasks), "--home", str(tmp_path / "h")]
        assert CliRunner().invoke(cli, args).exit_code == 0
        tests = tasks / "sort_ints" / "tests.py"
        tests.write_text(tests.read_text() + "\n\ndef test_more():\n    assert sort_ints([2, 1]) == [1, 2]\n")
        again = CliRunner().invoke(cli, args)
        assert again.exit_code == 0, again.output
        assert "task 'sort_ints' changed since" in again.output and "its 2 rows" in again.output
        assert len(fake.requests) == 2  # the same prompts: answered from the run store's cache
        with gzip.open(table, "rt") as handle:
            rows = [json.loads(line) for line in handle]
        assert len(rows) == 2 and {r["tests"] for r in rows} == {"1" * 8}  # graded on 7 + 1 tests
        assert "changed since" not in CliRunner().invoke(cli, args).output
        tests.write_text(tests.read_text() + "\n")  # changed again: the table has not caught up
        repair = CliRunner().invoke(cli, [*args, "--repair"])
        assert repair.exit_code == 1 and "task 'sort_ints' changed since the table was recorded; " \
            "record the table again first" in repair.output, repair.output
        spec = tasks / "sort_ints" / "task.toml"  # its prompt changed too: not resumable, no promise
        spec.write_text(spec.read_text().replace("ascending", "increasing", 1))
        moved = CliRunner().invoke(cli, args)
        assert moved.exit_code == 1 and "holds a recording that differs" in moved.output
        assert "recorded again" not in moved.output


WRONG = "def sort_ints(xs):\n    return list(xs)\n"  # fails every unsorted visible example


def half_wrong(body: dict, index: int) -> tuple[int, dict]:
    """Wrong first answers for even seeds, right ones for odd seeds; a repair request (it shows
    the failing example) is answered right."""
    if "fails this example" in body["messages"][-1]["content"]:
        return 200, completion(f"```python\n{GOOD['sort_ints']}```")
    return 200, completion(f"```python\n{GOOD['sort_ints'] if body['seed'] % 2 else WRONG}```")


def test_record_repair_rounds_of_the_answers_that_fail_their_examples(tmp_path: Path) -> None:
    """`--repair` asks again after exactly the answers a live `repair` strategy would repair,
    with the request a live run makes (so the live path's answer is the recorded one), and
    resumes without a call."""
    from harness.grading.grader import Grader, open_sandbox
    from harness.llm.client import LLM, Endpoint, GenerationParams
    from harness.loop.strategies import Executor, Strategy
    from harness.prompts.components import ALIASES
    from harness.prompts.space import default_space
    from harness.sandbox.pool import SandboxConfig
    from harness.store import Store
    from harness.tasks.load import load_task

    table = tmp_path / "t.jsonl.gz"
    reference = ALIASES["reference"]
    with FakeOpenAI(half_wrong) as fake:
        args = ["bench", "record", "--table", str(table), "--task", "sort_ints", "--preset", "quick",
                "--template", "reference", "--samples", "4", "--temperature", "0.8",
                "--base-url", fake.base_url, "--model", "fake", "--tasks-dir", str(TASKS_DIR),
                "--home", str(tmp_path / "h")]
        early = CliRunner().invoke(cli, [*args, "--repair", "--table", str(tmp_path / "none.jsonl.gz")])
        assert early.exit_code == 2 and "record it first" in early.output
        assert CliRunner().invoke(cli, args).exit_code == 0
        with gzip.open(table, "rt") as handle:
            rows = {r["sample"]: r for r in map(json.loads, handle)}
        failing = sorted(s for s, r in rows.items() if "0" in r["visible"])
        assert failing and len(failing) < len(rows)
        before = len(fake.requests)
        repaired = CliRunner().invoke(cli, [*args, "--repair"])
        assert repaired.exit_code == 0, repaired.output
        assert len(fake.requests) == before + len(failing)
        with gzip.open(tmp_path / "t.repair.jsonl.gz", "rt") as handle:
            repairs = [json.loads(line) for line in handle]
        assert sorted(r["sample"] for r in repairs) == failing
        assert {r["status"] for r in repairs} == {"passed"}
        shown = fake.requests[-1]["messages"][-2]["content"]
        assert shown.startswith("```python\n") and "list(xs)" in shown  # the recorded code, fenced
        again = CliRunner().invoke(cli, [*args, "--repair"])
        assert again.exit_code == 0 and len(fake.requests) == before + len(failing)

        # the live strategy asks exactly what was recorded: every call is a cache hit
        store = Store(tmp_path / "h")
        llm = LLM(Endpoint(base_url=fake.base_url, model="fake", cache_id=fake.base_url), store,
                  GenerationParams(max_tokens=512, seed=0))
        grader = Grader(open_sandbox(SandboxConfig(workers=1)), store)
        try:
            task = load_task(TASKS_DIR / "sort_ints")
            live = Executor(llm, grader.grade, default_space("quick")).run(
                task, Strategy(reference, 0.8, "repair"), failing[0])
        finally:
            grader.close()
        assert live.calls == 2 and live.cached and live.result.status == "passed"
        assert len(fake.requests) == before + len(failing)
