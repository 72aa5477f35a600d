"""Which endpoint a command talks to: a remote OpenAI-compatible one, or the embedded model.

A base URL or an API key (flag or OPENAI_* variable) selects a remote endpoint,
which then needs a model name. Otherwise the embedded model named by --model
(default: the 1.5B coder) is served on 127.0.0.1 for the life of the command.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from harness.errors import HarnessError
from harness.llm.client import Endpoint

OPENAI_URL = "https://api.openai.com/v1"


@dataclass(frozen=True)
class EndpointRequest:
    """What the user asked for, before anything is started."""

    model: str | None = None
    """The model id: an embedded model, or the remote endpoint's model."""
    base_url: str | None = None
    """The remote endpoint; it names the endpoint in the caches and the run id."""
    api_key: str | None = None
    """Key for the remote endpoint (and its replicas)."""
    parallel: int = 4
    """Requests in flight per server."""
    replicas: tuple[str, ...] = ()
    """More servers of the same model (the second and later --base-url): requests are spread
    over all of them, and answers are cached as the `base_url` endpoint's."""
    lookup: bool = False
    """Embedded model only: prompt lookup decoding (`ServerConfig.lookup`), for requests whose
    answers mostly copy their prompt."""

    @property
    def servers(self) -> int:
        """How many servers answer (the concurrency budget is `parallel` on each)."""
        return 1 + len(self.replicas) if self.remote else 1

    @property
    def remote(self) -> bool:
        return bool(self.base_url or self.api_key)


def model_cache_dir() -> Path:
    """Assembled model files are shared by every project of the user: 1.1 GB is assembled once."""
    return Path(os.environ.get("HARNESS_MODEL_CACHE", Path.home() / ".cache" / "harness"))


def describe_endpoint(request: EndpointRequest) -> tuple[str, str]:
    """(model id, endpoint identity) without starting anything: enough to find a stored run."""
    if request.replicas and not request.base_url:
        raise HarnessError("replicas need a first --base-url: it names the endpoint")
    if request.remote:
        if not request.model:
            raise HarnessError("--model (or HARNESS_MODEL) is required with a remote endpoint "
                           "(--base-url / OPENAI_BASE_URL or --api-key / OPENAI_API_KEY)")
        return request.model, (request.base_url or OPENAI_URL).rstrip("/")
    from harness.llm.models import DEFAULT_MODEL, get_model

    spec = get_model(request.model or DEFAULT_MODEL)
    return spec.id, f"embedded:{spec.id}:{spec.sha256[:12]}"


@contextmanager
def open_endpoint(request: EndpointRequest, home: Path,
                  log: Callable[[str], None] = lambda _m: None) -> Iterator[Endpoint]:
    """Yield a usable endpoint; an embedded server lives exactly as long as the with-block."""
    model, endpoint_id = describe_endpoint(request)
    if request.remote:
        yield Endpoint(base_url=endpoint_id, model=model, api_key=request.api_key or "sk-none",
                       cache_id=endpoint_id,
                       replicas=tuple(url.rstrip("/") for url in request.replicas))
        return
    from harness.llm.models import get_model
    from harness.llm.server import EmbeddedServer, ServerConfig

    spec = get_model(model)
    server = EmbeddedServer.for_model(spec, cache_dir=model_cache_dir(),
                                      config=ServerConfig(n_parallel=request.parallel,
                                                          lookup=request.lookup))
    log(f"starting embedded model {spec.id} on 127.0.0.1")
    with server:
        yield Endpoint(base_url=server.base_url, model=spec.id, api_key=server.api_key or "sk-none",
                       cache_id=endpoint_id, embedded=True)
