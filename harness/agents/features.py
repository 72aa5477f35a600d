"""Task context features for contextual agents (LinUCB, PPO).

A fixed-length vector describes a task so that what an agent learned about one task
transfers to tasks that look alike, including tasks it has never seen. Every part is
scaled to roughly [0, 1] (the bag of words is unit length), so no part drowns the
others in a linear model. Hashing uses hashlib, never `hash()`, so a vector is the
same in every process and a saved agent stays valid after a restart.
"""

from __future__ import annotations

import ast
import hashlib
import math
import re
from dataclasses import dataclass

import numpy as np

from harness.agents.base import Context
from harness.grading.ast_guard import parse
from harness.prompts.fields import signature_of
from harness.tasks.load import DIFFICULTIES, Task

TAG_BUCKETS = 8
WORD_BUCKETS = 32
N_STATS = 5
N_HISTORY = 2

FEATURE_NAMES: tuple[str, ...] = (
    ("bias",)
    + tuple(f"difficulty={d}" for d in DIFFICULTIES)
    + tuple(f"tag_bucket_{i}" for i in range(TAG_BUCKETS))
    + ("description_length", "n_examples", "n_hints", "has_signature", "n_arguments")
    + tuple(f"word_bucket_{i}" for i in range(WORD_BUCKETS))
    + ("history_mean_reward", "history_log_pulls")
)
"""One name per feature, in vector order (for reports and debugging)."""

FEATURE_DIM: int = len(FEATURE_NAMES)

_STOPWORDS = frozenset(
    {"the", "a", "an", "of", "to", "in", "and", "or", "is", "are", "be", "for", "with", "on"}
    | {"as", "by", "it", "its", "that", "this", "each", "from", "at", "if", "else", "return"}
    | {"returns", "given", "list", "function", "should", "must", "which", "when", "one", "no"}
)


@dataclass(frozen=True)
class TaskHistory:
    """What has been observed on one task so far; the caller keeps and passes it."""

    pulls: int = 0
    """Rewards observed on this task."""
    mean_reward: float = 0.0
    """Their running mean (0.0 before any)."""

    def add(self, reward: float) -> TaskHistory:
        pulls = self.pulls + 1
        return TaskHistory(pulls, self.mean_reward + (reward - self.mean_reward) / pulls)


def _digest(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")


def _tag_part(tags: tuple[str, ...]) -> np.ndarray:
    out = np.zeros(TAG_BUCKETS)
    for tag in tags:
        out[_digest("tag:" + tag.lower().replace("-", "_")) % TAG_BUCKETS] = 1.0
    return out


def _words_part(text: str) -> np.ndarray:
    """Signed feature hashing (collisions cancel in expectation), scaled to unit length."""
    out = np.zeros(WORD_BUCKETS)
    for word in re.findall(r"[a-z][a-z0-9_]+", text.lower()):
        if word in _STOPWORDS:
            continue
        h = _digest("word:" + word)
        out[h % WORD_BUCKETS] += 1.0 if (h >> 32) & 1 else -1.0
    norm = np.linalg.norm(out)
    return out / norm if norm > 0 else out


def _n_arguments(task: Task) -> int:
    signature = signature_of(task)
    try:
        tree = parse(signature + ": ...")
    except SyntaxError:
        return 0
    assert isinstance(tree, ast.Module)
    node = tree.body[0] if tree.body else None
    if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return 0
    args = node.args
    return len(args.posonlyargs) + len(args.args) + len(args.kwonlyargs)


def _stats_part(task: Task) -> np.ndarray:
    return np.array(
        [
            min(math.log1p(len(task.description)) / math.log1p(2000), 1.5),
            min(len(task.examples) / 5, 1.0),
            min(len(task.hints) / 3, 1.0),
            1.0 if task.signature.strip() else 0.0,
            min(_n_arguments(task) / 4, 1.0),
        ]
    )


def _history_part(history: TaskHistory | None) -> np.ndarray:
    if history is None or history.pulls == 0:
        return np.zeros(N_HISTORY)
    return np.array(
        [
            float(np.clip(history.mean_reward, -1.0, 1.0)),
            min(math.log1p(history.pulls) / math.log1p(100), 1.0),
        ]
    )


def task_features(task: Task, history: TaskHistory | None = None) -> np.ndarray:
    """The context vector of a task (length FEATURE_DIM, float64)."""
    difficulty = np.array([1.0 if task.difficulty == d else 0.0 for d in DIFFICULTIES])
    vector = np.concatenate(
        [
            np.ones(1),
            difficulty,
            _tag_part(task.tags),
            _stats_part(task),
            _words_part(task.description),
            _history_part(history),
        ]
    )
    assert vector.shape == (FEATURE_DIM,)
    return vector


def make_context(task: Task, history: TaskHistory | None = None) -> Context:
    """The `Context` an agent's choose/update/best receives for this task."""
    return Context(task=task.name, features=task_features(task, history))
