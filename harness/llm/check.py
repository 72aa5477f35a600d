"""`harness models check`: prove an endpoint answers, and how fast, with one small request."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from harness.llm.client import LLM, GenerationParams
from harness.llm.endpoints import EndpointRequest, open_endpoint
from harness.store import Store

PROMPT = [{"role": "user", "content": "Write a Python function `add(a, b)` that returns a + b. Code only."}]


@dataclass(frozen=True)
class ModelCheck:
    """What one small uncached request to an endpoint showed."""

    model: str
    base_url: str
    ready_s: float
    completion_tokens: int
    latency_s: float
    finish_reason: str

    @property
    def rate(self) -> float:
        """Completion tokens per second (0 when the latency is unknown)."""
        return self.completion_tokens / self.latency_s if self.latency_s else 0.0


def check_model(model: str | None, base_url: str | None, api_key: str | None, home: Path,
                log: Callable[[str], None] = lambda _m: None) -> ModelCheck:
    """Open the endpoint (`log` gets its start-up messages) and time one small request."""
    started = time.perf_counter()
    request = EndpointRequest(model=model, base_url=base_url, api_key=api_key, parallel=1)
    with open_endpoint(request, home, log=log) as endpoint:
        ready = time.perf_counter() - started
        llm = LLM(endpoint, Store(home), GenerationParams(temperature=0.0, max_tokens=64), use_cache=False)
        answer = llm.complete(PROMPT)
    return ModelCheck(endpoint.model, endpoint.base_url, ready, answer.completion_tokens,
                      answer.latency_s, answer.finish_reason)
