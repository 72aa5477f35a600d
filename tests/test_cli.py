"""CLI smoke tests on tiny inputs, through click's CliRunner."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from harness.cli import cli
from harness.errors import HarnessError, LLMError, SandboxError
from tests.conftest import TASKS_DIR


def invoke(*args: str):  # noqa: ANN201
    return CliRunner().invoke(cli, list(args))


def test_help_lists_the_commands() -> None:
    result = invoke("--help")
    assert result.exit_code == 0
    for name in ("run", "eval", "tasks", "sandbox", "report", "templates", "models"):
        assert name in result.output


@pytest.mark.parametrize("module", ["harness", "harness.cli"])
def test_python_dash_m_is_the_harness_command(module: str) -> None:
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", module, "--help"], capture_output=True, text=True,
                          timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "Usage: harness" in proc.stdout and "run" in proc.stdout


def test_tasks_list_and_filters() -> None:
    result = invoke("tasks", "list", "--tasks-dir", str(TASKS_DIR), "--json")
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert len(rows) >= 30 and {"name", "difficulty", "tags", "tests", "hash"} <= set(rows[0])
    hard = invoke("tasks", "list", "--tasks-dir", str(TASKS_DIR), "--difficulty", "hard", "--json")
    assert all(json.loads(line)["difficulty"] == "hard" for line in hard.output.splitlines())
    table = invoke("tasks", "list", "--tasks-dir", str(TASKS_DIR), "--tag", "dp")
    assert "coin_change_min" in table.output and "sort_ints" not in table.output


def test_tasks_list_suite_shows_what_a_suite_run_runs(tmp_path: Path) -> None:
    local = tmp_path / "tasks"
    shutil.copytree(TASKS_DIR / "sort_ints", local / "sort_ints")
    shutil.copytree(TASKS_DIR / "sort_ints", local / "humaneval_000")
    builtin = invoke("tasks", "list", "--tasks-dir", str(local), "--suite", "builtin", "--json")
    rows = [json.loads(line) for line in builtin.output.splitlines()]
    assert builtin.exit_code == 0 and len(rows) == 30
    assert {r["source"] for r in rows} == {"built-in"}  # the built-in folder, not --tasks-dir
    humaneval = invoke("tasks", "list", "--tasks-dir", str(local), "--suite", "humaneval", "--json")
    assert [(r["name"], r["source"]) for r in map(json.loads, humaneval.output.splitlines())] == \
        [("humaneval_000", "--tasks-dir")]
    bad = invoke("tasks", "list", "--suite", "nope")
    assert bad.exit_code == 1 and "valid suites: builtin, humaneval, all" in bad.output


def test_tasks_show() -> None:
    result = invoke("tasks", "show", "sort_ints", "--tasks-dir", str(TASKS_DIR))
    assert result.exit_code == 0
    assert "ascending order" in result.output and "test_negatives" in result.output


def test_tasks_new_scaffolds_a_valid_folder_and_refuses_to_overwrite(tmp_path: Path) -> None:
    from harness.tasks.load import load_task

    assert invoke("tasks", "new", "my_task", "--tasks-dir", str(tmp_path)).exit_code == 0
    task = load_task(tmp_path / "my_task")
    assert task.entry_point == "my_task" and task.test_names
    again = invoke("tasks", "new", "my_task", "--tasks-dir", str(tmp_path))
    assert again.exit_code != 0 and "refusing to overwrite" in again.output
    bad = invoke("tasks", "new", "Bad-Name", "--tasks-dir", str(tmp_path))
    assert bad.exit_code != 0 and "lowercase" in bad.output


def test_templates_show_renders_for_a_task() -> None:
    result = invoke("templates", "show", "bare", "--task", "sort_ints", "--tasks-dir", str(TASKS_DIR))
    assert result.exit_code == 0 and "sort_ints" in result.output
    bad = invoke("templates", "show", "nope")
    assert bad.exit_code != 0 and "unknown template 'nope'" in bad.output


def test_unknown_task_in_eval_is_one_clear_line(tmp_path: Path) -> None:
    code = tmp_path / "a.py"
    code.write_text("def f(): pass\n")
    result = invoke("eval", "--task", "nope", str(code), "--tasks-dir", str(TASKS_DIR))
    assert result.exit_code != 0 and "unknown task 'nope'" in result.output
    assert "Traceback" not in result.output


def test_eval_missing_and_unreadable_files(tmp_path: Path) -> None:
    missing = invoke("eval", "--task", "sort_ints", str(tmp_path / "none.py"))
    assert missing.exit_code != 0 and "does not exist" in missing.output
    binary = tmp_path / "b.py"
    binary.write_bytes(b"\xff\xfe\x00bad")
    result = invoke("eval", "--task", "sort_ints", str(binary), "--tasks-dir", str(TASKS_DIR))
    assert result.exit_code != 0 and "cannot read code file" in result.output


def test_bad_harness_toml_is_reported(tmp_path: Path) -> None:
    from harness.errors import HarnessError
    from harness.settings import load_config

    (tmp_path / "harness.toml").write_text("episodes = [")
    with pytest.raises(HarnessError, match="harness.toml: invalid TOML"):
        load_config(tmp_path / "harness.toml")


def test_harness_toml_supplies_defaults(tmp_path: Path) -> None:
    from harness.settings import default_map

    mapping = default_map(cli, {"tasks_dir": "elsewhere", "run": {"episodes": 3}})
    assert mapping["run"]["episodes"] == 3
    assert mapping["run"]["tasks_dir"] == "elsewhere"
    assert mapping["tasks"]["list"]["tasks_dir"] == "elsewhere"


@pytest.mark.docker
def test_eval_json_records(tmp_path: Path) -> None:
    good, bad = tmp_path / "good.py", tmp_path / "bad.py"
    good.write_text("def sort_ints(xs):\n    return sorted(xs)\n")
    bad.write_text("def sort_ints(xs):\n    return xs\n")
    result = invoke("eval", "--task", "sort_ints", str(good), str(bad), "--json",
                    "--tasks-dir", str(TASKS_DIR), "--home", str(tmp_path / "h"))
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]
    assert [r["file"] for r in records] == [str(good), str(bad)]
    assert records[0]["status"] == "passed" and records[0]["passed"] == records[0]["total"] == 7
    assert records[1]["status"] == "failed" and 0 < records[1]["passed"] < 7
    failed = [t for t in records[1]["tests"] if t["outcome"] == "failed"]
    assert failed and "assert sort_ints" in failed[0]["message"]
    table = invoke("eval", "--task", "sort_ints", str(good), "--tasks-dir", str(TASKS_DIR),
                   "--home", str(tmp_path / "h"))
    assert "passed" in table.output and "7/7" in table.output


@pytest.mark.docker
def test_tasks_check_reports_each_broken_task(tmp_path: Path) -> None:
    for name in ("sort_ints", "digit_sum"):
        shutil.copytree(TASKS_DIR / name, tmp_path / name)
    failing = tmp_path / "failing"
    shutil.copytree(TASKS_DIR / "sort_ints", failing)
    (failing / "solution.py").write_text("def sort_ints(xs):\n    return xs\n")
    toothless = tmp_path / "toothless"
    shutil.copytree(TASKS_DIR / "sort_ints", toothless)
    (toothless / "tests.py").write_text("from solution import sort_ints\n\n\ndef test_runs():\n    sort_ints([1])\n")
    (tmp_path / "no_tests").mkdir()
    shutil.copy(TASKS_DIR / "sort_ints" / "task.toml", tmp_path / "no_tests")
    result = invoke("tasks", "check", "--tasks-dir", str(tmp_path), "--home", str(tmp_path / ".h"), "--json")
    assert result.exit_code != 0
    lines = [line for line in result.output.splitlines() if line.startswith("{")]
    verdicts = {r["task"]: r for r in map(json.loads, lines)}
    assert verdicts["sort_ints"]["ok"] and verdicts["digit_sum"]["ok"]
    assert "reference solution failed" in verdicts["failing"]["reason"]
    assert "no teeth" in verdicts["toothless"]["reason"]
    assert "tests.py: missing" in verdicts["no_tests"]["reason"]


@pytest.mark.docker
def test_sandbox_doctor_all_green() -> None:
    result = invoke("sandbox", "doctor")
    assert result.exit_code == 0, result.output
    assert "no network" in result.output and "memory limit applied" in result.output


@pytest.mark.parametrize(("error", "code"), [
    (HarnessError("no such task"), 1), (SandboxError("Docker is not running"), 3),
    (LLMError("cannot reach the endpoint"), 3)])
def test_errors_exit_with_their_own_code_and_no_traceback(error: HarnessError, code: int) -> None:
    """1: what was asked is wrong; 3: the environment is (so scripts can tell them apart)."""
    from harness.cli import HarnessGroup

    @click.group(cls=HarnessGroup)
    def root() -> None:
        pass

    @root.command()
    def fail() -> None:
        raise error

    result = CliRunner().invoke(root, ["fail"])
    assert result.exit_code == code
    assert str(error) in result.output and "Traceback" not in result.output


def test_a_bad_home_is_one_clear_line_before_anything_starts(tmp_path: Path) -> None:
    """--home under a file, or a file that is no SQLite store: the flag or the store's path is
    named, with no traceback; `report` on a mistyped --home creates no empty store."""
    code = tmp_path / "a.py"
    code.write_text("def sort_ints(xs):\n    return sorted(xs)\n")
    under_a_file = str(code / "home")
    for args in (["report", "run-x"], ["eval", "--task", "sort_ints", str(code)]):
        result = invoke(*args, "--home", under_a_file, "--tasks-dir", str(TASKS_DIR))
        assert result.exit_code == 2 and "Invalid value for '--home'" in result.output
        assert f"{code} is a file, not a folder" in result.output
    corrupt = tmp_path / "corrupt"
    corrupt.mkdir()
    (corrupt / "harness.sqlite").write_text("not a database")
    for args in (["report", "run-x"], ["compare", "run-a", "run-b"],
                 ["eval", "--task", "sort_ints", str(code), "--tasks-dir", str(TASKS_DIR)]):
        result = invoke(*args, "--home", str(corrupt))
        assert result.exit_code == 1, result.output
        assert f"{corrupt / 'harness.sqlite'}: not a usable run store" in result.output
        assert "Traceback" not in result.output and "starting sandbox" not in result.output
    mistyped = invoke("report", "run-x", "--home", str(tmp_path / "typo"))
    assert mistyped.exit_code == 1 and "no run store at" in mistyped.output
    assert not (tmp_path / "typo").exists()


def test_the_store_itself_names_a_home_it_cannot_use(tmp_path: Path) -> None:
    """The library (harness.run, harness.evaluate) gets the same errors as the CLI."""
    from harness.store import Store

    (tmp_path / "file").write_text("")
    with pytest.raises(HarnessError, match=r"run store folder .*file/home: cannot be created"):
        Store(tmp_path / "file" / "home")
    (tmp_path / "dir" / "harness.sqlite").mkdir(parents=True)
    with pytest.raises(HarnessError, match="cannot open the run store"):
        Store(tmp_path / "dir")


@pytest.mark.parametrize("args", [
    ["tasks", "new", "x", "--tasks-dir", "{file}/tasks"],
    ["tasks", "import", "humaneval", "--dest", "{file}/tasks"],
    ["publish", "run-x", "--results", "{file}/results"],
    ["leaderboard", "build", "--out", "{file}/site"],
    ["sandbox", "bench", "--out", "{file}/sandbox.json"],
    ["bench", "record", "--table", "{file}/t.jsonl.gz", "--base-url", "http://127.0.0.1:9/v1"],
    ["bench", "agents", "--out", "{file}/agents"],
    ["report", "run-x", "--plot", "{file}/curve.png"],
])
def test_an_output_path_under_a_file_is_refused_before_any_work(tmp_path: Path,
                                                                 args: list[str]) -> None:
    """Found when the folder is made, after the work, it was a traceback and lost the work."""
    file = tmp_path / "file"
    file.write_text("")
    result = invoke(*(a.format(file=file) for a in args))
    assert result.exit_code == 2, result.output
    assert f"{file} is a file, not a folder" in result.output
    assert "Traceback" not in result.output


def test_templates_list_rejects_an_unknown_preset_before_printing() -> None:
    result = invoke("templates", "list", "--preset", "nope")
    assert result.exit_code == 1 and result.output.startswith("Error: unknown preset 'nope'")


@pytest.mark.parametrize(("toml", "message"), [
    ("tasks_dir = 5", "key 'tasks_dir' is a path and must be a string in quotes, got 5"),
    ("seed = 1979-05-27", "key 'seed' must be a string, number or true/false"),
    ("unknown_key = 1", "unknown key 'unknown_key'; expected an option name some command has"),
    ("[runn]\nepisodes = 2", "unknown key 'runn' (did you mean 'run'?); expected a command table"),
    ("[run]\nepisode = 2", "unknown key 'run.episode' (did you mean 'episodes'?)"),
    ("[tasks.list]\njson = true", "unknown key 'tasks.list.json' (did you mean 'as_json'?)"),
    ("[run]\nepisodes = [1, 2]", "key 'run.episodes' takes one value, got a list"),
    ("home = ['.a', '.b']", "key 'home' takes one value, got a list"),
])
def test_harness_toml_mistakes_are_named_not_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str], toml: str,
                                                     message: str) -> None:
    """Through the console script: a typo in harness.toml was silently ignored, and a path
    given as a number was a traceback in every command."""
    from harness.cli import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "harness.toml").write_text(toml + "\n")
    monkeypatch.setattr("sys.argv", ["harness", "tasks", "list", "--tasks-dir", str(TASKS_DIR)])
    with pytest.raises(SystemExit) as info:
        main()
    err = capsys.readouterr().err
    assert info.value.code == 2 and f"Error: harness.toml: {message}" in err
    assert "Traceback" not in err


def test_harness_toml_accepts_lists_for_repeatable_and_shared_keys() -> None:
    from harness.settings import default_map

    mapping = default_map(cli, {"base_url": ["http://127.0.0.1:1/v1", "http://127.0.0.1:2/v1"],
                                "tasks": {"list": {"as_json": True, "tags": ["dp"]}}})
    assert mapping["run"]["base_url"] == ["http://127.0.0.1:1/v1", "http://127.0.0.1:2/v1"]
    assert mapping["models"]["check"]["base_url"] == mapping["run"]["base_url"]  # every server
    assert mapping["tasks"]["list"]["tags"] == ["dp"]


def test_a_bad_value_from_a_variable_names_the_variable(tmp_path: Path) -> None:
    """The user typed no --workers; "Invalid value for '--workers'" alone sent them looking
    for a flag that is not on their command line."""
    env = {"HARNESS_WORKERS": "abc", "HARNESS_HOME": str(tmp_path / "h")}
    result = CliRunner().invoke(cli, ["run", "--task", "sort_ints"], env=env)
    assert result.exit_code == 2, result.output
    assert "Invalid value for '--workers' (from $HARNESS_WORKERS): 'abc'" in result.output
    flag = CliRunner().invoke(cli, ["run", "--task", "sort_ints", "--workers", "abc"], env=env)
    assert "Invalid value for '--workers': 'abc'" in flag.output


def test_models_check_checks_every_server_and_names_the_dead_one(tmp_path: Path) -> None:
    """A spread run takes several --base-url; `models check` took one, so harness.toml's list
    never reached it and a dead replica went unnoticed until the run."""
    from tests.fake_openai import FakeOpenAI, completion

    def script(body: dict, index: int) -> tuple[int, dict]:
        return 200, completion("```python\ndef add(a, b):\n    return a + b\n```", tokens=12)

    with FakeOpenAI(script) as one, FakeOpenAI(script) as two:
        urls = [one.base_url, two.base_url]
        result = invoke("models", "check", "fake", *(f"--base-url={u}" for u in urls),
                        "--home", str(tmp_path / "h"))
        assert result.exit_code == 0, result.output
        assert [u in result.output for u in urls] == [True, True]
        assert result.output.count("ok fake at") == 2 and len(one.requests) == len(two.requests) == 1
        dead = "http://127.0.0.1:9/v1"
        broken = invoke("models", "check", "fake", f"--base-url={dead}", f"--base-url={one.base_url}",
                        "--home", str(tmp_path / "h"))
        assert broken.exit_code == 3, broken.output
        assert f"failed {dead}" in broken.output and len(one.requests) == 2  # still checked
        assert f"1 of 2 endpoints failed the check: {dead}" in broken.output
        assert "Traceback" not in broken.output
