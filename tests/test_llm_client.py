"""The openai-client backend: retries, clear errors, the response cache (fast, local fake server)."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.errors import LLMError
from harness.llm.client import LLM, Endpoint, GenerationParams, RetryPolicy, cache_key
from harness.store import Store
from tests.fake_openai import FakeOpenAI, completion

MESSAGES = [{"role": "user", "content": "Write sort_ints."}]
FAST_RETRY = RetryPolicy(attempts=6, base_delay_s=0.01, max_delay_s=0.02, timeout_s=0.5)


def make_llm(url: str, store: Store, **kw) -> LLM:  # noqa: ANN003
    endpoint = Endpoint(base_url=url, model="fake-model", cache_id="fake")
    return LLM(endpoint, store, GenerationParams(temperature=0.5, max_tokens=64), retry=FAST_RETRY, **kw)


def test_retries_429_500_timeout_malformed_then_records_once(tmp_path: Path) -> None:
    replies = [
        (429, {"error": {"message": "slow down"}}),
        (500, {"error": {"message": "boom"}}),
        (200, ("sleep", 1.5)),
        (200, b"{not json"),
        (200, completion("```python\ndef sort_ints(xs):\n    return sorted(xs)\n```")),
    ]
    with FakeOpenAI(lambda body, i: replies[min(i, len(replies) - 1)]) as fake:
        store = Store(tmp_path)
        llm = make_llm(fake.base_url, store)
        answer = llm.complete(MESSAGES, sample_index=0)
        assert "sorted(xs)" in answer.text and not answer.cached
        assert len(fake.requests) == 5
        assert store.call_count() == 1
        assert llm.calls == 1
        # the same request again: answered by the cache, no request reaches the server
        again = make_llm(fake.base_url, store).complete(MESSAGES, sample_index=0)
        assert again.cached and again.text == answer.text
        assert len(fake.requests) == 5
        assert store.call_count() == 1
        # another sample index is another request
        make_llm(fake.base_url, store).complete(MESSAGES, sample_index=1)
        assert len(fake.requests) == 6 and store.call_count() == 2


def test_no_cache_bypasses(tmp_path: Path) -> None:
    with FakeOpenAI(lambda body, i: (200, completion(f"answer {i}"))) as fake:
        store = Store(tmp_path)
        make_llm(fake.base_url, store).complete(MESSAGES)
        fresh = make_llm(fake.base_url, store, use_cache=False).complete(MESSAGES)
        assert fresh.text == "answer 1" and len(fake.requests) == 2


def test_request_carries_params_and_seed(tmp_path: Path) -> None:
    with FakeOpenAI(lambda body, i: (200, completion("x"))) as fake:
        endpoint = Endpoint(base_url=fake.base_url, model="fake-model")
        llm = LLM(endpoint, Store(tmp_path), GenerationParams(temperature=0.3, max_tokens=77, seed=5,
                                                              stop=("###",)), retry=FAST_RETRY)
        llm.complete(MESSAGES, sample_index=2)
        body = fake.requests[0]
        assert body["model"] == "fake-model" and body["max_tokens"] == 77
        assert body["temperature"] == 0.3 and body["seed"] == 7 and body["stop"] == ["###"]


@pytest.mark.parametrize(("status", "message"), [
    (401, "rejected the API key"),
    (404, "model not found"),
    (400, "refused the request"),
])
def test_fatal_errors_are_clear_and_not_retried(tmp_path: Path, status: int, message: str) -> None:
    with FakeOpenAI(lambda body, i: (status, {"error": {"message": "nope"}})) as fake:
        with pytest.raises(LLMError, match=message):
            make_llm(fake.base_url, Store(tmp_path)).complete(MESSAGES)
        assert len(fake.requests) == 1


def test_unreachable_endpoint(tmp_path: Path) -> None:
    llm = make_llm("http://127.0.0.1:9/v1", Store(tmp_path))
    with pytest.raises(LLMError, match="cannot reach http://127.0.0.1:9/v1"):
        llm.complete(MESSAGES)


def test_cache_key_depends_on_everything() -> None:
    ep = Endpoint(base_url="http://a/v1", model="m", cache_id="a")
    base = cache_key(ep, MESSAGES, GenerationParams(), 0)
    assert cache_key(ep, MESSAGES, GenerationParams(), 1) != base
    assert cache_key(ep, MESSAGES, GenerationParams(temperature=0.1), 0) != base
    assert cache_key(Endpoint(base_url="http://a/v1", model="m2", cache_id="a"), MESSAGES,
                     GenerationParams(), 0) != base
    assert cache_key(ep, [{"role": "user", "content": "other"}], GenerationParams(), 0) != base
    # the API key and the port of an embedded server are not part of the key
    assert cache_key(Endpoint(base_url="http://b/v1", model="m", api_key="k", cache_id="a"),
                     MESSAGES, GenerationParams(), 0) == base
