"""Every agent replayed on a recorded response table: regret, calls vs uniform, transfer, speed.

    python bench/agents.py [--table T] [--seeds N] [--budget B] [--out DIR] [--tasks-dir DIR]
    python bench/agents.py --synthetic [same options]

The same as `harness bench agents` (see harness/bench/agents.py). `--synthetic` first writes a
made-up table shaped like the real one: 12 built-in tasks (4 easy, 4 medium, 4 hard) x
the 16 templates of the 'content' preset x 10 answers, with known pass probabilities
(content components help or hurt by difficulty), to .harness/bench/synthetic.jsonl.gz,
and writes its results to .harness/bench/agents-synthetic unless --out is given, so
they never mix with results of a real table.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# This checkout's harness, not another install.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness.bench.synthetic import synthetic_table, synthetic_tasks  # noqa: E402
from harness.bench.table_io import save_table  # noqa: E402
from harness.cli import cli  # noqa: E402
from harness.tasks.load import Task, load_tasks  # noqa: E402

SYNTHETIC_TABLE = Path(".harness/bench/synthetic.jsonl.gz")
SYNTHETIC_OUT = Path(".harness/bench/agents-synthetic")


def option(args: list[str], name: str, default: str) -> str:
    """The value of `--name V` or `--name=V` in args, else the default."""
    for i, arg in enumerate(args):
        if arg == name and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return default


def pick_tasks(tasks_dir: Path, per_difficulty: int = 4) -> list[Task]:
    """4 built-in tasks of each difficulty (real features for contextual agents), else
    placeholders."""
    try:
        tasks = load_tasks(tasks_dir)
    except Exception:  # no tasks folder here: placeholder tasks work as well
        tasks = []
    chosen = [
        t for difficulty in ("easy", "medium", "hard")
        for t in [t for t in tasks if t.difficulty == difficulty][:per_difficulty]
    ]
    return chosen if len(chosen) == 3 * per_difficulty else synthetic_tasks(3 * per_difficulty)


def write_synthetic(tasks_dir: Path) -> Path:
    tasks = pick_tasks(tasks_dir)
    table = synthetic_table(tasks, samples=10, seed=0)
    return save_table(table.rows(), SYNTHETIC_TABLE, table.meta)


if __name__ == "__main__":
    args = sys.argv[1:]
    if "--synthetic" in args:
        args.remove("--synthetic")
        tasks_dir = Path(option(args, "--tasks-dir", os.environ.get("HARNESS_TASKS_DIR", "tasks")))
        path = write_synthetic(tasks_dir)
        print(f"synthetic table: {path}")
        args = ["--table", str(path), *args]
        if option(args, "--out", "") == "":
            args += ["--out", str(SYNTHETIC_OUT)]
    cli.main(["bench", "agents", *args], prog_name="bench/agents.py")
