"""One backend for every model: the `openai` client against an OpenAI-compatible endpoint.

The embedded model is served on 127.0.0.1 and reached through exactly this
code path. Every answer is cached in the run store, keyed by endpoint, model,
messages, parameters and sample index, so a request is never paid for twice;
each real call is logged with its token usage and latency.

An endpoint may have replicas: more servers of the same model. Each request goes to the
server with the fewest requests in flight (a retry may go to another one), and the cache
key names the endpoint, never the replica that answered, so the answers are shared.
"""

from __future__ import annotations

import hashlib
import json
import random
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from harness.errors import LLMError
from harness.store import CachedResponse, Store


@dataclass(frozen=True)
class GenerationParams:
    """Sampling parameters; all of them are part of the cache key."""

    temperature: float = 0.8
    """Sampling temperature; 0 makes answers (nearly) deterministic."""
    max_tokens: int = 512
    """Cap on answer length; truncated code is a syntax error, so not too low."""
    seed: int | None = None
    """Base seed; sample i is requested with seed + i where the endpoint supports it."""
    stop: tuple[str, ...] = ()
    """Stop sequences."""


@dataclass(frozen=True)
class Endpoint:
    """Where requests go. `cache_id` names the endpoint in cache keys (not the port)."""

    base_url: str
    model: str
    api_key: str = field(default="sk-none", repr=False)
    cache_id: str = ""
    embedded: bool = False
    replicas: tuple[str, ...] = ()
    """More base URLs serving the same model; requests are spread over `base_url` and these."""

    @property
    def urls(self) -> tuple[str, ...]:
        return (self.base_url, *self.replicas)


@dataclass(frozen=True)
class Completion:
    """One answer, fresh or from the cache."""

    text: str
    finish_reason: str
    prompt_tokens: int
    completion_tokens: int
    latency_s: float
    cached: bool
    key: str


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try before giving up on a request."""

    attempts: int = 6
    """Tries per request, the first included."""
    base_delay_s: float = 0.5
    """First backoff; doubles each retry, with jitter."""
    max_delay_s: float = 20.0
    """Cap on one backoff."""
    timeout_s: float = 600.0
    """Per-request timeout: a small CPU model can take minutes under load."""


def cache_key(
    endpoint: Endpoint, messages: list[dict[str, str]], params: GenerationParams, sample_index: int
) -> str:
    payload = {
        "endpoint": endpoint.cache_id or endpoint.base_url,
        "model": endpoint.model,
        "messages": messages,
        "params": asdict(params),
        "sample": sample_index,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def _retryable(exc: BaseException) -> bool:
    import openai

    if isinstance(exc, openai.APIStatusError):
        return exc.status_code == 429 or exc.status_code >= 500 or exc.status_code == 408
    return isinstance(
        exc,
        openai.APIConnectionError
        | openai.APITimeoutError
        | ValueError
        | openai.APIResponseValidationError
        | KeyError
        | TypeError
        | IndexError,
    )


def _fatal(exc: BaseException, endpoint: Endpoint, url: str | None = None) -> LLMError:
    import openai

    url = url or endpoint.base_url
    where = f"{url} (model '{endpoint.model}')"
    if isinstance(exc, openai.AuthenticationError):
        return LLMError(f"{where} rejected the API key (401): check --api-key / OPENAI_API_KEY")
    if isinstance(exc, openai.PermissionDeniedError):
        return LLMError(f"{where} denied access (403): the key may lack access to this model")
    if isinstance(exc, openai.NotFoundError):
        return LLMError(f"{where}: model not found (404); check --model / HARNESS_MODEL")
    if isinstance(exc, openai.APIConnectionError | openai.APITimeoutError):
        return LLMError(
            f"cannot reach {url}: {exc}; check --base-url / OPENAI_BASE_URL"
        )
    if isinstance(exc, openai.BadRequestError):
        return LLMError(f"{where} refused the request (400): {str(exc)[:200]}")
    return LLMError(f"{where} failed: {type(exc).__name__}: {str(exc)[:200]}")


class LLM:
    """A cached, retrying, concurrency-bounded chat-completion client."""

    def __init__(
        self,
        endpoint: Endpoint,
        store: Store,
        params: GenerationParams = GenerationParams(),
        concurrency: int = 4,
        retry: RetryPolicy = RetryPolicy(),
        use_cache: bool = True,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        import openai

        self.endpoint = endpoint
        self.store = store
        self.params = params
        self.retry = retry
        self.use_cache = use_cache
        self._sleep = sleep
        self._slots = threading.BoundedSemaphore(concurrency)
        self._clients = [openai.OpenAI(base_url=url, api_key=endpoint.api_key, max_retries=0,
                                       timeout=retry.timeout_s) for url in endpoint.urls]
        self._in_flight = [0] * len(self._clients)
        self._turn = 0
        self.served = [0] * len(self._clients)
        """Calls answered per URL of `endpoint.urls`."""
        self.calls = 0
        self.cache_hits = 0
        self._lock = threading.Lock()

    def _pick(self) -> int:
        """The replica with the fewest requests in flight; ties go round robin."""
        with self._lock:
            count = len(self._clients)
            order = [(self._turn + i) % count for i in range(count)]
            index = min(order, key=lambda i: self._in_flight[i])
            self._turn = (index + 1) % count
            self._in_flight[index] += 1
            return index

    def _done(self, index: int, ok: bool) -> None:
        with self._lock:
            self._in_flight[index] -= 1
            self.served[index] += ok

    def complete(self, messages: list[dict[str, str]], sample_index: int = 0,
                 temperature: float | None = None) -> Completion:
        """One answer; `temperature` overrides the client's own (strategies sample at several)."""
        params = self.params if temperature is None else replace(self.params, temperature=temperature)
        key = cache_key(self.endpoint, messages, params, sample_index)
        if self.use_cache and (hit := self.store.get_response(key)) is not None:
            with self._lock:
                self.cache_hits += 1
            return Completion(
                hit.text,
                hit.finish_reason,
                hit.prompt_tokens,
                hit.completion_tokens,
                hit.latency_s,
                True,
                key,
            )
        with self._slots:
            completion, attempts = self._call(messages, sample_index, key, params)
        self.store.record_answer(key, self.endpoint.model, CachedResponse(
            completion.text, completion.finish_reason, completion.prompt_tokens,
            completion.completion_tokens, completion.latency_s), attempts)
        with self._lock:
            self.calls += 1
        return completion

    def _request(self, messages: list[dict[str, str]], sample_index: int,
                 params: GenerationParams, replica: int = 0) -> Any:  # noqa: ANN401 - servers break the SDK types
        kwargs: dict[str, Any] = {
            "model": self.endpoint.model,
            "messages": messages,
            "temperature": params.temperature,
            "max_tokens": params.max_tokens,
        }
        if params.seed is not None:
            kwargs["seed"] = params.seed + sample_index
        if params.stop:
            kwargs["stop"] = list(params.stop)
        return self._clients[replica].chat.completions.create(**kwargs)

    def _call(
        self, messages: list[dict[str, str]], sample_index: int, key: str, params: GenerationParams
    ) -> tuple[Completion, int]:
        last: BaseException | None = None
        last_url = self.endpoint.base_url
        for attempt in range(1, self.retry.attempts + 1):
            started = time.perf_counter()
            replica = self._pick()
            ok = False
            try:
                response = self._request(messages, sample_index, params, replica)
                choice = response.choices[0]
                text = choice.message.content or ""
                usage = response.usage
                completion = Completion(
                    text=text,
                    finish_reason=str(choice.finish_reason or ""),
                    prompt_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
                    completion_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
                    latency_s=time.perf_counter() - started,
                    cached=False,
                    key=key,
                )
                ok = True
                return completion, attempt
            except Exception as exc:  # noqa: BLE001 - sorted into retryable and fatal below
                if not _retryable(exc):
                    raise _fatal(exc, self.endpoint, self.endpoint.urls[replica]) from None
                last, last_url = exc, self.endpoint.urls[replica]
            finally:
                self._done(replica, ok)
            if attempt < self.retry.attempts:
                delay = min(self.retry.max_delay_s, self.retry.base_delay_s * 2 ** (attempt - 1))
                self._sleep(delay * (0.5 + random.random() / 2))
        assert last is not None
        raise _fatal(last, self.endpoint, last_url)
