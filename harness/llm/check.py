"""`harness models check`: prove an endpoint answers, and how fast, with one small request."""

from __future__ import annotations

import time
from pathlib import Path

from harness.console import console
from harness.llm.client import LLM, GenerationParams
from harness.llm.endpoints import EndpointRequest, open_endpoint
from harness.store import Store

PROMPT = [{"role": "user", "content": "Write a Python function `add(a, b)` that returns a + b. Code only."}]


def check_model(model: str | None, base_url: str | None, api_key: str | None, home: Path) -> float:
    out = console()
    started = time.perf_counter()
    request = EndpointRequest(model=model, base_url=base_url, api_key=api_key, parallel=1)
    with open_endpoint(request, home, log=out.print) as endpoint:
        ready = time.perf_counter() - started
        llm = LLM(endpoint, Store(home), GenerationParams(temperature=0.0, max_tokens=64), use_cache=False)
        answer = llm.complete(PROMPT)
    rate = answer.completion_tokens / answer.latency_s if answer.latency_s else 0.0
    out.print(f"[green]ok[/] {endpoint.model} at {endpoint.base_url}: ready in {ready:.1f} s, "
              f"answered {answer.completion_tokens} tokens in {answer.latency_s:.2f} s "
              f"({rate:.1f} tokens/s, finish: {answer.finish_reason})")
    return rate
