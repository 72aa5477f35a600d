"""Counting model calls by role, so a budget means the same thing for every method.

Task-model calls are the ones that answer a task (the budget); optimiser calls are what an
optimiser spends on itself (GEPA's reflections, MIPROv2's instruction proposals). Every call
counts, also one answered from the response cache: the count is a method's cost, not the
machine's. A task-model call beyond the budget is refused before it is made.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from harness.llm.client import LLM, Completion, Endpoint, GenerationParams
from harness.store import Store

Role = Literal["task", "optimiser"]


class BudgetExhausted(RuntimeError):
    """A task-model call beyond the budget was asked for; it was not made."""


@dataclass
class RoleCount:
    """Calls and tokens of one role."""

    calls: int = 0
    """Calls made (reserved and not given back)."""
    prompt_tokens: int = 0
    """Prompt tokens as the endpoint reported them."""
    completion_tokens: int = 0
    """Answer tokens as the endpoint reported them."""
    cached: int = 0
    """Calls answered from the response cache (counted in `calls` too)."""
    failed: int = 0
    """Requests that raised (the endpoint refused or failed them): not in `calls`."""


@dataclass
class CallCounter:
    """Thread-safe call counts per role, with a hard cap on task-model calls."""

    budget: int | None = None
    """Task-model calls allowed (None: no cap, e.g. in the final evaluation)."""
    on_call: Callable[[Role], None] = field(default=lambda _role: None)
    """Called after every counted call (progress bars)."""
    task: RoleCount = field(default_factory=RoleCount)
    """Calls that answer a task: what the budget caps."""
    optimiser: RoleCount = field(default_factory=RoleCount)
    """An optimiser's calls for itself (reflections, proposals): counted, never capped."""
    refused: int = 0
    """Task-model calls refused for the budget."""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def reserve(self, role: Role, calls: int = 1) -> None:
        """Claim `calls` calls before making them; raises BudgetExhausted past the budget."""
        with self._lock:
            count = self.task if role == "task" else self.optimiser
            if role == "task" and self.budget is not None and count.calls + calls > self.budget:
                self.refused += calls
                raise BudgetExhausted(f"the budget of {self.budget} task-model calls is spent")
            count.calls += calls

    def release(self, role: Role, calls: int = 1, failed: bool = False) -> None:
        """Give back reserved calls that were not made (`failed`: the request raised)."""
        with self._lock:
            count = self.task if role == "task" else self.optimiser
            count.calls -= calls
            count.failed += calls if failed else 0

    def record(self, role: Role, prompt_tokens: int, completion_tokens: int, cached: bool) -> None:
        """Tokens of a call already reserved."""
        with self._lock:
            count = self.task if role == "task" else self.optimiser
            count.prompt_tokens += prompt_tokens
            count.completion_tokens += completion_tokens
            count.cached += cached
        self.on_call(role)

    @property
    def remaining(self) -> int | None:
        return None if self.budget is None else self.budget - self.task.calls

    def to_dict(self) -> dict[str, object]:
        with self._lock:
            return {"budget": self.budget, "refused": self.refused,
                    **{f"{role}_{k}": getattr(getattr(self, role), k)
                       for role in ("task", "optimiser")
                       for k in ("calls", "prompt_tokens", "completion_tokens", "cached", "failed")}}


class CountingLLM(LLM):
    """The harness's client (same endpoint, retries and response cache), counting every call
    under one role. Every method's calls go through one of these."""

    def __init__(self, endpoint: Endpoint, store: Store, params: GenerationParams,
                 counter: CallCounter, role: Role, concurrency: int = 4,
                 use_cache: bool = True) -> None:
        super().__init__(endpoint, store, params, concurrency=concurrency, use_cache=use_cache)
        self.counter = counter
        self.role: Role = role

    def complete(self, messages: list[dict[str, str]], sample_index: int = 0,
                 temperature: float | None = None) -> Completion:
        self.counter.reserve(self.role)
        try:
            completion = super().complete(messages, sample_index, temperature=temperature)
        except BaseException as exc:
            self.counter.release(self.role, failed=isinstance(exc, Exception))
            raise
        self.counter.record(self.role, completion.prompt_tokens, completion.completion_tokens,
                            completion.cached)
        return completion
