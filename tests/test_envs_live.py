"""The live Gymnasium environment against a scripted endpoint and the real sandbox: the API
checker, the run store, and a killed sequence of episodes that resumes."""

from __future__ import annotations

import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from harness.cli import cli
from tests.conftest import ROOT, TASKS_DIR, require_module
from tests.fake_openai import FakeOpenAI, completion

# Without the extra the module skips locally and fails in CI (tests/conftest.py).
gym = require_module("gymnasium", "pip install -e '.[gym]'")
env_checker = require_module("gymnasium.utils.env_checker", "pip install -e '.[gym]'")

import harness.envs  # noqa: E402  (registers the ids; needs gymnasium, imported above)

pytestmark = pytest.mark.docker

GOOD = "```python\ndef sort_ints(xs):\n    return sorted(xs)\n```"
BAD = "```python\ndef sort_ints(xs):\n    return xs\n```"
TASKS = ("sort_ints", "is_palindrome")
HORIZON = 3
EPISODES = 4


def script(body: dict[str, Any], index: int) -> tuple[int, dict[str, Any]]:
    """Answers are a pure function of the prompt and the request seed (not of arrival order):
    hints make the right code likelier. Slow enough to kill a process between steps."""
    time.sleep(0.03)
    user = body["messages"][-1]["content"]
    digest = hashlib.sha256(f"{user}|{body.get('seed')}".encode()).digest()
    u = int.from_bytes(digest[:8], "big") / 2**64
    return 200, completion(GOOD if u < (0.9 if "Hints:" in user else 0.4) else BAD)


def make(url: str, home: Path, **options: Any) -> Any:  # noqa: ANN401
    return gym.make(harness.envs.LIVE_ID, tasks=TASKS, base_url=url, model="fake", home=home,
                    tasks_dir=TASKS_DIR, horizon=HORIZON, preset="default", **options)


def play(env: Any, episodes: int = EPISODES) -> list[tuple[str, str, float]]:  # noqa: ANN401
    """A scripted outside agent: seeded tasks and actions, so a second process repeats it."""
    env.action_space.seed(0)
    steps = []
    for episode in range(episodes):
        env.reset(seed=0 if episode == 0 else None)
        truncated = False
        while not truncated:
            _, reward, _, truncated, info = env.step(env.action_space.sample())
            steps.append((info["task"], info["strategy"], float(reward)))
    return steps


def play_in_process(url: str, home: str) -> None:
    """The subprocess side of the kill test."""
    play(make(url, Path(home)))


def test_check_env_passes_and_steps_land_in_the_run_store(tmp_path: Path) -> None:
    with FakeOpenAI(script) as fake:
        env = make(fake.base_url, tmp_path)
        env_checker.check_env(env.unwrapped)
        obs, info = env.reset(seed=3, options={"task": "sort_ints"})
        assert obs in env.observation_space and info["task"] == "sort_ints"
        _, reward, terminated, truncated, info = env.step(env.action_space.sample())
        assert info["run_id"] == env.unwrapped.run_id and not terminated and not truncated
        assert info["calls"] >= 1 and info["status"] in ("passed", "failed")
        assert float(reward) == pytest.approx(info["raw_reward"] - 0.02 * (info["calls"] - 1))
        env.close()
        env.close()  # closing twice is allowed
    run_id = env.unwrapped.run_id
    with sqlite3.connect(tmp_path / "harness.sqlite") as conn:
        status, config = conn.execute("SELECT status, config FROM runs WHERE id=?",
                                      (run_id,)).fetchone()
        rows = conn.execute("SELECT COUNT(*) FROM samples WHERE run_id=?", (run_id,)).fetchone()[0]
    assert status == "stopped" and '"agent": "gym"' in config and rows >= 4
    report = CliRunner().invoke(cli, ["report", run_id, "--home", str(tmp_path)])
    assert report.exit_code == 0, report.output


def count_samples(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(db) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM samples").fetchone()[0])
    except sqlite3.OperationalError:  # the tables are not there yet
        return 0


def test_a_killed_sequence_of_episodes_resumes_from_the_run_store(tmp_path: Path) -> None:
    with FakeOpenAI(script) as fake:
        reference = play(make(fake.base_url, tmp_path / "reference"))  # never interrupted
        reference_calls = len(fake.requests)
        home = tmp_path / "killed"
        code = ("import sys; from tests.test_envs_live import play_in_process; "
                "play_in_process(sys.argv[1], sys.argv[2])")
        env_vars = {**os.environ, "PYTHONPATH": str(ROOT)}
        proc = subprocess.Popen([sys.executable, "-c", code, fake.base_url, str(home)], cwd=ROOT,
                                env=env_vars, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.time() + 120
        while count_samples(home / "harness.sqlite") < 5 and time.time() < deadline \
                and proc.poll() is None:
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        killed_at = count_samples(home / "harness.sqlite")
        assert 5 <= killed_at < EPISODES * HORIZON, proc.stderr.read() if proc.stderr else ""
        before = len(fake.requests)
        env = make(fake.base_url, home)
        resumed = play(env)
        env.close()
        after = len(fake.requests)
    assert resumed == reference  # the same episodes, rewards and all
    assert env.unwrapped.served >= killed_at  # recorded steps came from the store
    # Nothing is paid twice but the one request in flight when the process was killed.
    assert (before - reference_calls) + (after - before) <= reference_calls + 1
    with sqlite3.connect(home / "harness.sqlite") as conn:
        keys = conn.execute("SELECT episode, sample FROM samples").fetchall()
    assert sorted(keys) == [(e, s) for e in range(EPISODES) for s in range(HORIZON)]
