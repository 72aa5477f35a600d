"""The result record of one graded program (the contract in DESIGN.md)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Final, Literal, get_args

Status = Literal["passed", "failed", "error", "timeout", "oom", "crashed", "syntax_error",
                 "infra_error"]
"""Every status a graded program can have."""
STATUSES: tuple[str, ...] = get_args(Status)[:-1]
"""Verdicts on the candidate's code: each has a reward."""
INFRA_ERROR: Final = "infra_error"
"""The sandbox failed, not the code (a dead or stalled worker, a refused isolation step):
never a reward, never shown to an agent, never cached; the sample is retried."""


@dataclass(frozen=True)
class TestResult:
    """One `test_*` function: the unit of partial credit."""

    name: str
    outcome: str
    duration_s: float = 0.0
    message: str = ""


@dataclass(frozen=True)
class GradeResult:
    """What the sandbox saw of one program. Rewards are functions of this record."""

    syntax_ok: bool
    status: str
    tests: tuple[TestResult, ...] = field(default_factory=tuple)
    passed: int = 0
    total: int = 0
    duration_s: float = 0.0
    message: str = ""

    @property
    def infra(self) -> bool:
        return self.status == INFRA_ERROR

    @property
    def fraction(self) -> float:
        return self.passed / self.total if self.total else 0.0

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["tests"] = [asdict(t) for t in self.tests]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GradeResult:
        tests = tuple(TestResult(**t) for t in data.get("tests", ()))
        return cls(
            syntax_ok=bool(data["syntax_ok"]),
            status=str(data["status"]),
            tests=tests,
            passed=int(data.get("passed", 0)),
            total=int(data.get("total", len(tests))),
            duration_s=float(data.get("duration_s", 0.0)),
            message=str(data.get("message", "")),
        )
