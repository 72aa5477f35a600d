"""`harness run` through the CLI: errors, caching, and a killed run that resumes (real sandbox)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from harness.cli import cli
from tests.conftest import ROOT, TASKS_DIR
from tests.fake_openai import FakeOpenAI, completion

GOOD = "```python\ndef sort_ints(xs):\n    return sorted(xs)\n```"


def invoke(*args: str, env: dict[str, str] | None = None):  # noqa: ANN201
    return CliRunner().invoke(cli, list(args), env=env)


@pytest.mark.parametrize(("args", "message"), [
    (["--task", "no_such_task"], "unknown task 'no_such_task'"),
    (["--task", "sort_ints", "--agent", "genius"], "unknown agent 'genius'; valid agents: fixed"),
    (["--task", "sort_ints", "--reward", "vibes"], "unknown reward 'vibes'"),
    (["--task", "sort_ints", "--template", "t9-x"], "unknown template 't9-x'"),
    (["--task", "sort_ints", "--preset", "nope"], "unknown preset 'nope'"),
    (["--resume", "run-000"], "no run 'run-000'"),
    (["--task", "sort_ints", "--templates", " , "], "names no template"),
    (["--resume", "run-000", "--task", "sort_ints", "--episodes", "3"],
     "continues the run with the settings it recorded; drop --task, --episodes"),
    (["--task", "sort_ints", "--base-url", "http://127.0.0.1:9/v1"], "--model"),
    (["--task", "sort_ints", "--model", "gpt-17"], "unknown embedded model 'gpt-17'"),
])
def test_run_rejects_bad_names_clearly(tmp_path: Path, args: list[str], message: str) -> None:
    result = invoke("run", *args, "--tasks-dir", str(TASKS_DIR), "--home", str(tmp_path))
    assert result.exit_code in (1, 2)  # what was asked, not the environment (3)
    assert message in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(("options", "message"), [
    (["--agent", "epsilon_greedy", "--agent-opt", "epsilon=abc"],
     "--agent-opt epsilon=abc: option epsilon of agent 'epsilon_greedy' expects a number, got 'abc'"),
    (["--agent", "ucb1", "--agent-opt", "nope=1"], "agent 'ucb1' has no option nope"),
    (["--agent", "epsilon_greedy", "--agent-opt", "epsilon=5"],
     "--agent-opt epsilon=5: option epsilon of agent 'epsilon_greedy' must be in [0, 1], got '5'"),
])
def test_run_rejects_bad_agent_options_before_anything_starts(tmp_path: Path, options: list[str],
                                                              message: str) -> None:
    """A bad --agent-opt was found only once the endpoint and the sandbox had started, and
    its message named neither the flag nor the option."""
    result = invoke("run", "--task", "sort_ints", *options, "--base-url", "http://127.0.0.1:9/v1",
                    "--model", "fake", "--tasks-dir", str(TASKS_DIR), "--home", str(tmp_path))
    assert result.exit_code == 1 and message in result.output
    assert "starting sandbox" not in result.output and "Traceback" not in result.output


def test_report_rejects_a_plot_it_cannot_write_before_printing(tmp_path: Path) -> None:
    """An unknown image type was a matplotlib traceback after the whole report had printed."""
    for plot in ("curve.txt", "curve"):
        result = invoke("report", "run-x", "--plot", str(tmp_path / plot), "--home", str(tmp_path))
        assert result.exit_code == 2 and "Invalid value for '--plot'" in result.output
        assert "must end in an image format such as .png" in result.output


@pytest.mark.docker
def test_second_identical_run_costs_nothing(tmp_path: Path) -> None:
    with FakeOpenAI(lambda body, i: (200, completion(GOOD))) as fake:
        args = ["run", "--task", "sort_ints", "--base-url", fake.base_url, "--model", "fake",
                "--episodes", "2", "--samples", "2", "--home", str(tmp_path), "--tasks-dir", str(TASKS_DIR)]
        first = invoke(*args)
        assert first.exit_code == 0, first.output
        # every strategy solves sort_ints: the report must not crown a winner
        assert "nothing to learn at this budget" in first.output
        assert len(fake.requests) == 4 + 2 * 4  # learning, then fresh learned + default answers
        second = invoke(*args)
        assert second.exit_code == 0, second.output
        assert len(fake.requests) == 12
        assert "pass@1" in second.output
        run_id = next(w for w in second.output.split() if w.startswith("run-"))
        plot = tmp_path / "curve.png"
        report = invoke("report", run_id, "--plot", str(plot), "--home", str(tmp_path),
                        "--tasks-dir", str(TASKS_DIR))
        assert report.exit_code == 0, report.output
        assert "pass@k" in report.output and "verdict:" in report.output
        assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        missing = invoke("report", "run-nope", "--home", str(tmp_path))
        assert missing.exit_code != 0 and "no run 'run-nope'" in missing.output


def count_samples(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(db, timeout=5) as conn:
            return conn.execute("SELECT COUNT(*) FROM samples").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def slow(body: dict, index: int) -> tuple[int, dict]:
    """A quarter second per answer: slow enough to interrupt a run in the middle."""
    time.sleep(0.25)
    return 200, completion(GOOD)


def start_run(args: list[str], db: Path, samples: int, **popen) -> subprocess.Popen:  # noqa: ANN003
    """`harness run` in a child process, returned once `samples` samples are recorded."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "harness.cli", *args], env=env, **popen)
    deadline = time.time() + 120
    while count_samples(db) < samples and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    return proc


@pytest.mark.docker
def test_killed_run_resumes_without_loss_or_double_counting(tmp_path: Path) -> None:
    with FakeOpenAI(slow) as fake:
        args = ["run", "--task", "sort_ints", "--base-url", fake.base_url, "--model", "fake",
                "--episodes", "10", "--samples", "2", "--parallel", "2", "--home", str(tmp_path),
                "--tasks-dir", str(TASKS_DIR), "--agent", "ucb1"]
        db = tmp_path / "harness.sqlite"
        proc = start_run(args, db, 6, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        before = count_samples(db)
        assert 6 <= before < 20
        with sqlite3.connect(db) as conn:
            run_id, status = conn.execute("SELECT id, status FROM runs").fetchone()
        assert status == "running"
        other = invoke("run", "--resume", run_id, "--base-url", fake.base_url, "--model", "other",
                       "--home", str(tmp_path), "--tasks-dir", str(TASKS_DIR))
        assert other.exit_code == 1 and "recorded with model 'fake'" in other.output
        assert count_samples(db) == before  # another model's answers were not added
        resumed = invoke(
            "run", "--resume", run_id, "--base-url", fake.base_url, "--model", "fake",
            "--home", str(tmp_path), "--tasks-dir", str(TASKS_DIR), "--parallel", "2")
        assert resumed.exit_code == 0, resumed.output
        with sqlite3.connect(db) as conn:
            keys = conn.execute("SELECT episode, task, sample FROM samples WHERE phase='learn'").fetchall()
            status = conn.execute("SELECT status FROM runs WHERE id=?", (run_id,)).fetchone()[0]
        assert status == "finished"
        assert sorted(keys) == [(e, "sort_ints", s) for e in range(10) for s in range(2)]


@pytest.mark.docker
@pytest.mark.parametrize("presses", [1, 2])
def test_ctrl_c_stops_cleanly_and_the_run_resumes(tmp_path: Path, presses: int) -> None:
    """One Ctrl-C stops after the samples in flight; a second stops at once. Either way the
    run is marked stopped, exits 130 and resumes to exactly the full set of samples.

    40 answers at 0.25 s, two at a time, leave seconds of work after the 4th sample, so the
    signal always lands mid-run, even on a loaded machine."""
    with FakeOpenAI(slow) as fake:
        args = ["run", "--task", "sort_ints", "--base-url", fake.base_url, "--model", "fake",
                "--episodes", "20", "--samples", "2", "--parallel", "2", "--home", str(tmp_path),
                "--tasks-dir", str(TASKS_DIR)]
        db = tmp_path / "harness.sqlite"
        proc = start_run(args, db, 4, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for _ in range(presses):
            proc.send_signal(signal.SIGINT)
            time.sleep(0.05)
        output, _ = proc.communicate(timeout=60)
        assert proc.returncode == 130, output
        assert "resume with: harness run --resume" in output
        assert "Traceback" not in output
        with sqlite3.connect(db) as conn:
            run_id, status = conn.execute("SELECT id, status FROM runs").fetchone()
        assert status == "stopped"
        assert 4 <= count_samples(db) < 40
        resumed = invoke("run", "--resume", run_id, "--base-url", fake.base_url, "--model", "fake",
                         "--home", str(tmp_path), "--tasks-dir", str(TASKS_DIR))
        assert resumed.exit_code == 0, resumed.output
        with sqlite3.connect(db) as conn:
            keys = conn.execute("SELECT episode, task, sample FROM samples WHERE phase='learn'").fetchall()
        assert sorted(keys) == [(e, "sort_ints", s) for e in range(20) for s in range(2)]
