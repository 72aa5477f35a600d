"""The Stable-Baselines3 example (bench/gym_sb3_ppo.py) end to end on a tiny budget."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from tests.conftest import ROOT, require_module


def test_the_stable_baselines3_example_runs(tmp_path: Path) -> None:
    """bench/gym_sb3_ppo.py end to end on a tiny budget: the example keeps working."""
    require_module("stable_baselines3", "pip install -e '.[sb3]'")
    import torch

    spec = importlib.util.spec_from_file_location("gym_sb3_ppo", ROOT / "bench/gym_sb3_ppo.py")
    assert spec is not None and spec.loader is not None
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    out = tmp_path / "gym_sb3_ppo.json"
    threads = torch.get_num_threads()
    try:
        assert example.main(["--timesteps", "1024", "--seeds", "2", "--out", str(out)]) == 0
    finally:
        torch.set_num_threads(threads)
    figures = json.loads(out.read_text())
    assert set(figures["agents"]) == {"sb3-ppo", "uniform", "thompson", "factored", "linucb", "ppo"}
    assert len(figures["heldout_tasks"]) == 4 and figures["seeds"] == 2
