"""Gymnasium environments: bring your own RL agent, on the recorded table or live.

`harness/Replay-v0` (harness/envs/replay.py) replays a recorded answer table: thousands of
steps a second, no model, no Docker. `harness/Live-v0` (harness/envs/live.py) asks a real
endpoint and grades in the sandbox through the same pipeline, caches and run store as
`harness run`, so an outside agent's episodes are recorded and resumable like any run.

    import gymnasium as gym
    import harness.envs  # registers both ids

    env = gym.make("harness/Replay-v0", table="bench/tables/responses_v2.jsonl.gz")

Needs the `gym` extra (`pip install "harness[gym]"`); the rest of the library never imports
gymnasium. Importing this package registers the environments.
"""

from __future__ import annotations

REPLAY_ID = "harness/Replay-v0"
"""The replay environment's id."""
LIVE_ID = "harness/Live-v0"
"""The live environment's id."""


def register() -> None:
    """Register both ids with gymnasium (idempotent)."""
    try:
        import gymnasium as gym
    except ImportError as exc:
        raise ImportError("harness.envs needs gymnasium: pip install 'harness[gym]'") from exc
    if REPLAY_ID not in gym.registry:
        gym.register(REPLAY_ID, entry_point="harness.envs.replay:ReplayEnv")
    if LIVE_ID not in gym.registry:
        # Model answers differ between calls: same seed and actions, possibly other rewards.
        gym.register(LIVE_ID, entry_point="harness.envs.live:LiveEnv", nondeterministic=True)


register()

__all__ = ["LIVE_ID", "REPLAY_ID", "register"]
