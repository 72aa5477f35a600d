"""An in-process OpenAI-compatible server for an embedded model (xllamacpp).

The harness talks to every model through the openai client, so the embedded model is
served over HTTP on 127.0.0.1 like any remote endpoint: one code path, and the
client layer never knows which it got. xllamacpp runs llama.cpp's server on its own
threads inside this process; it lives exactly as long as the `xllamacpp.Server`
object, so stopping means dropping the only reference to it.
"""

from __future__ import annotations

import json
import os
import secrets
import time
import urllib.error
import urllib.request
import weakref
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from harness.errors import LLMError
from harness.llm.models import DEFAULT_MODEL, ModelSpec, get_model, model_file

HOST = "127.0.0.1"


@dataclass(frozen=True)
class ServerConfig:
    """How to run the embedded server; recorded with a run's provenance."""

    n_parallel: int = 4  # concurrent requests; 4 gives ~1.2-1.4x the tokens/s of 1 on 2 cores
    ctx_per_request: int = 2048  # prompt + answer tokens per slot (~1.5k needed, with margin)
    threads: int | None = None  # None: every core this process may use
    ready_timeout_s: float = 60.0
    verbose: bool = False  # True: llama.cpp's full log on stderr (load details, timings)
    prompt_cache: bool = True  # False: every request reads its whole prompt (a benchmark baseline)
    lookup: bool = False  # draft tokens from n-grams already in the context (prompt lookup)
    """Speculative decoding with drafts copied from the context: pays when answers repeat what
    the prompt shows (a repair round rewrites the code shown back), costs a little otherwise.
    Every token is still sampled from the model, so the answers' distribution is the same."""

    @property
    def n_ctx(self) -> int:
        """Total KV-cache size; llama.cpp splits it evenly across the parallel slots."""
        return self.n_parallel * self.ctx_per_request

    @property
    def n_threads(self) -> int:
        """Explicit threads, else the cores this process may run on (affinity-aware)."""
        if self.threads:
            return self.threads
        try:
            return len(os.sched_getaffinity(0))
        except AttributeError:  # not on Linux
            return os.cpu_count() or 1

    def validate(self) -> None:
        if self.n_parallel < 1:
            raise LLMError(f"n_parallel must be at least 1, got {self.n_parallel}")
        if self.ctx_per_request < 256:
            raise LLMError(
                f"ctx_per_request must be at least 256 tokens, got {self.ctx_per_request}"
            )
        if self.threads is not None and self.threads < 1:
            raise LLMError(f"threads must be at least 1, got {self.threads}")


def _release(holder: list[Any]) -> None:
    """Drop the xllamacpp.Server: its destructor stops the HTTP and inference threads.

    A module-level function over a holder list, so the finalizer never keeps the
    EmbeddedServer itself alive.
    """
    holder.clear()


class EmbeddedServer:
    """Serve one GGUF file on 127.0.0.1:<free port> for the openai client.

    Use as a context manager, or call start() and stop(). Safe to start and stop
    repeatedly; a forgotten server is stopped at interpreter exit.
    """

    def __init__(
        self,
        model_path: Path | str,
        model_id: str,
        config: ServerConfig | None = None,
    ) -> None:
        self.model_path = Path(model_path)
        self.model_id = model_id
        self.config = config or ServerConfig()
        self.config.validate()
        self.api_key = ""
        self.load_s = 0.0  # seconds from start() until /health answered ok
        self._address = ""
        self._holder: list[Any] = []
        self._finalizer: weakref.finalize[[list[Any]], EmbeddedServer] | None = None

    @classmethod
    def for_model(
        cls,
        model: str | ModelSpec = DEFAULT_MODEL,
        cache_dir: Path | str = ".harness",
        config: ServerConfig | None = None,
    ) -> EmbeddedServer:
        """A server for a registered embedded model (assembling its file if needed)."""
        spec = get_model(model) if isinstance(model, str) else model
        return cls(model_file(spec, cache_dir), spec.id, config)

    # -- lifecycle ---------------------------------------------------------------

    @property
    def running(self) -> bool:
        return bool(self._holder)

    def params(self, api_key: str) -> Any:  # noqa: ANN401 - xllamacpp.CommonParams
        """llama.cpp's server parameters for this configuration."""
        import xllamacpp

        cfg = self.config
        params = xllamacpp.CommonParams()
        params.model.path = str(self.model_path)
        params.model_alias = {self.model_id}
        params.n_parallel = cfg.n_parallel
        params.n_ctx = cfg.n_ctx
        params.cpuparams.n_threads = cfg.n_threads
        params.cpuparams_batch.n_threads = cfg.n_threads
        params.hostnames = [HOST]
        if not cfg.prompt_cache:  # neither the slot's own prefix nor llama.cpp's RAM prompt cache
            params.cache_prompt = False
            params.cache_ram_mib = 0
            params.cache_idle_slots = False
        if cfg.lookup:
            params.speculative.types = [xllamacpp.common_speculative_type.COMMON_SPECULATIVE_TYPE_NGRAM_SIMPLE]
        params.port = 0  # the OS picks a free port: several harness processes never clash
        params.api_keys = [api_key]
        params.verbosity = 3 if cfg.verbose else 1  # 1: errors only
        return params

    def start(self) -> EmbeddedServer:
        """Load the model and serve it; returns once /health answers ok."""
        if self.running:
            return self
        try:
            import xllamacpp
        except ImportError:
            raise LLMError(
                "the embedded model needs xllamacpp; run: pip install xllamacpp "
                "(or set OPENAI_BASE_URL to use a remote endpoint)"
            ) from None
        if not self.model_path.is_file():
            raise LLMError(f"model file {self.model_path} does not exist")

        cfg = self.config
        # A per-server key: llama.cpp allows any CORS origin, so without one any web
        # page open in a local browser could use (or probe) the model.
        self.api_key = secrets.token_urlsafe(18)
        params = self.params(self.api_key)

        started = time.perf_counter()
        try:
            server = xllamacpp.Server(params)  # blocks until the model is loaded
        except RuntimeError as exc:
            hint = "" if cfg.verbose else " (llama.cpp logged why on stderr)"
            raise LLMError(
                f"cannot serve {self.model_path}: {exc}{hint}; check that it is a GGUF model "
                "file and that there is enough free memory"
            ) from None
        self._holder.append(server)
        self._finalizer = weakref.finalize(self, _release, self._holder)
        self._address = str(server.listening_address).rstrip("/")
        try:
            self._wait_healthy(started + cfg.ready_timeout_s)
        except BaseException:
            self.stop()
            raise
        self.load_s = time.perf_counter() - started
        return self

    def stop(self) -> None:
        """Stop serving and free the model's memory and threads (idempotent)."""
        if self._finalizer is not None:
            self._finalizer()  # runs _release once; also detaches the atexit hook
            self._finalizer = None
        self._holder.clear()
        self._address = ""

    def __enter__(self) -> EmbeddedServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- addresses ---------------------------------------------------------------

    @property
    def address(self) -> str:
        """Root URL, e.g. http://127.0.0.1:40123 (where /health lives)."""
        if not self._address:
            raise LLMError("the embedded server is not running; call start() first")
        return self._address

    @property
    def base_url(self) -> str:
        """The OpenAI-compatible base URL to give the openai client."""
        return f"{self.address}/v1"

    @property
    def port(self) -> int:
        return int(self.address.rsplit(":", 1)[1])

    def _wait_healthy(self, deadline: float) -> None:
        url = f"{self._address}/health"
        # No proxies: this request must stay on the loopback interface.
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        last = "no answer"
        while True:
            try:
                with opener.open(url, timeout=2) as resp:
                    if resp.status == 200 and json.load(resp).get("status") == "ok":
                        return
                    last = f"HTTP {resp.status}"
            except urllib.error.HTTPError as exc:  # 503 while loading
                last = f"HTTP {exc.code}"
            except (OSError, ValueError) as exc:
                last = str(exc)
            if time.perf_counter() > deadline:
                raise LLMError(
                    f"embedded server at {self._address} not healthy after "
                    f"{self.config.ready_timeout_s:.0f} s ({last}); raise ready_timeout_s "
                    "or free CPU/memory"
                )
            time.sleep(0.05)

    def __repr__(self) -> str:
        state = self._address or "stopped"
        return f"EmbeddedServer({self.model_id!r}, {state})"
