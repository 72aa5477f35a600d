"""Which endpoint a command talks to: a remote OpenAI-compatible one, or the embedded model.

A base URL or an API key (flag or OPENAI_* variable) selects a remote endpoint,
which then needs a model name. Otherwise the embedded model named by --model
(default: the 1.5B coder) is served on 127.0.0.1 for the life of the command.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from harness.errors import LLMError
from harness.llm.client import Endpoint

OPENAI_URL = "https://api.openai.com/v1"


@dataclass(frozen=True)
class EndpointRequest:
    """What the user asked for, before anything is started."""

    model: str | None = None
    base_url: str | None = None
    api_key: str | None = None
    parallel: int = 4

    @property
    def remote(self) -> bool:
        return bool(self.base_url or self.api_key)


def describe_endpoint(request: EndpointRequest) -> tuple[str, str]:
    """(model id, endpoint identity) without starting anything: enough to find a stored run."""
    if request.remote:
        if not request.model:
            raise LLMError("--model (or HARNESS_MODEL) is required with a remote endpoint "
                           "(--base-url / OPENAI_BASE_URL or --api-key / OPENAI_API_KEY)")
        return request.model, (request.base_url or OPENAI_URL).rstrip("/")
    from harness.llm.models import DEFAULT_MODEL, get_model

    spec = get_model(request.model or DEFAULT_MODEL)
    return spec.id, f"embedded:{spec.id}:{spec.sha256[:12]}"


@contextmanager
def open_endpoint(
    request: EndpointRequest, home: Path, log: Callable[[str], None] = lambda _m: None
) -> Iterator[Endpoint]:
    """Yield a usable endpoint; an embedded server lives exactly as long as the with-block."""
    if request.remote:
        if not request.model:
            raise LLMError(
                "--model (or HARNESS_MODEL) is required with a remote endpoint "
                "(--base-url / OPENAI_BASE_URL or --api-key / OPENAI_API_KEY)"
            )
        base_url = (request.base_url or OPENAI_URL).rstrip("/")
        yield Endpoint(
            base_url=base_url,
            model=request.model,
            api_key=request.api_key or "sk-none",
            cache_id=base_url,
        )
        return
    from harness.llm.models import DEFAULT_MODEL, get_model
    from harness.llm.server import EmbeddedServer, ServerConfig

    spec = get_model(request.model or DEFAULT_MODEL)
    server = EmbeddedServer.for_model(
        spec, cache_dir=home, config=ServerConfig(n_parallel=request.parallel)
    )
    log(f"starting embedded model {spec.id} on 127.0.0.1")
    with server:
        yield Endpoint(
            base_url=server.base_url,
            model=spec.id,
            api_key=server.api_key or "sk-none",
            cache_id=f"embedded:{spec.id}:{spec.sha256[:12]}",
            embedded=True,
        )


def endpoint_context(
    request: EndpointRequest, home: Path, log: Callable[[str], None] = lambda _m: None
) -> AbstractContextManager[Endpoint]:
    return open_endpoint(request, home, log)
