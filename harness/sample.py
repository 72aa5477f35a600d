"""One graded answer: the record a run makes, stores, reports on and publishes.

Generation fills it (harness/loop/learning.py), the store keeps it and gives it back as
this type (harness/store.py), reports and the fresh-answer evaluation read it, and the
leaderboard publishes a subset of its fields (harness/leaderboard/records.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any, Literal, Protocol

from harness.grading.results import GradeResult

Phase = Literal["learn", "eval_learned", "eval_default"]
"""Learning answers, or the fresh evaluation answers of the learned / default strategy."""

EVAL_EPISODES: dict[str, int] = {"eval_learned": -1, "eval_default": -2}
"""Evaluation samples are stored (and published) under these episode numbers (learning uses 0..)."""


@dataclass(frozen=True)
class Sample:
    """One answer to one task with one strategy, graded."""

    episode: int
    """Learning round (0..), or -1 / -2 for the evaluation answers."""
    task: str
    sample: int
    """Index of the answer within its episode and task."""
    task_hash: str
    template: str
    """The strategy id that produced it (a bare template id means one call)."""
    llm_key: str
    """Cache key of the model call whose answer was kept."""
    response: str
    """The kept answer's text, as the model wrote it."""
    code: str
    """The program extracted from it (what was graded)."""
    finish_reason: str
    completion_tokens: int
    cached: bool
    """True when the answer came from the response cache (no model time spent)."""
    result: GradeResult
    reward: float | None
    """None only for an infrastructure failure, which is never stored."""
    calls: int = 1
    """Model calls the strategy made for this answer."""
    visible: str = ""
    """Pass vector of the kept answer on the visible examples ("" when none ran)."""
    phase: Phase = "learn"
    created: float = 0.0
    """When the store recorded it (seconds since the epoch); 0 before that."""

    @property
    def status(self) -> str:
        return self.result.status

    @property
    def passed(self) -> int:
        return self.result.passed

    @property
    def total(self) -> int:
        return self.result.total

    @property
    def fraction(self) -> float:
        return self.result.fraction

    @property
    def truncated(self) -> bool:
        return self.finish_reason == "length"

    def to_row(self) -> dict[str, Any]:
        """Plain JSON-able data (the store's columns)."""
        data = asdict(self)
        data["result"] = self.result.to_dict()
        data.update(status=self.status, passed=self.passed, total=self.total)
        return data

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Sample:
        result = row["result"]
        return cls(
            episode=int(row["episode"]), task=str(row["task"]), sample=int(row["sample"]),
            task_hash=str(row["task_hash"]), template=str(row["template"]),
            llm_key=str(row["llm_key"]), response=str(row["response"]), code=str(row["code"]),
            finish_reason=str(row.get("finish_reason") or ""),
            completion_tokens=int(row.get("completion_tokens") or 0),
            cached=bool(row.get("cached", False)),
            result=result if isinstance(result, GradeResult) else GradeResult.from_dict(result),
            reward=None if row.get("reward") is None else float(row["reward"]),
            calls=int(row.get("calls", 1)), visible=str(row.get("visible") or ""),
            phase=row.get("phase", "learn"), created=float(row.get("created") or 0.0))


class Graded(Protocol):
    """What scoring reads from an answer: a stored `Sample` or a published record alike."""

    @property
    def task(self) -> str: ...
    @property
    def task_hash(self) -> str: ...
    @property
    def template(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def reward(self) -> float | None: ...
    @property
    def calls(self) -> int: ...
    @property
    def phase(self) -> str: ...


def passes(samples: Iterable[Graded]) -> list[float]:
    """1.0 per sample that passed every test, else 0.0: what pass@1 averages."""
    return [float(s.status == "passed") for s in samples]


def rewards(samples: Iterable[Graded]) -> list[float]:
    """Each sample's reward (0.0 where none was given)."""
    return [s.reward or 0.0 for s in samples]
