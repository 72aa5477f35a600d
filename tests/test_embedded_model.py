"""End to end with the real embedded models: generate, extract, grade in the sandbox."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from harness.cli import cli
from harness.grading.extract import extract_code
from harness.grading.grader import Grader
from harness.llm.client import LLM, GenerationParams
from harness.llm.endpoints import EndpointRequest, open_endpoint
from harness.prompts.space import default_space, render
from harness.store import Store
from tests.conftest import TASKS_DIR

pytestmark = [pytest.mark.model, pytest.mark.docker]


def test_small_model_writes_sort_ints_that_passes(tmp_path: Path, sandbox, sort_task) -> None:  # noqa: ANN001
    store = Store(tmp_path)
    space = default_space()
    messages = render(space.get("reference"), sort_task, space.components)
    with open_endpoint(EndpointRequest(model="qwen2.5-coder-0.5b", parallel=1), tmp_path) as endpoint:
        assert endpoint.base_url.startswith("http://127.0.0.1:")
        llm = LLM(endpoint, store, GenerationParams(temperature=0.0, max_tokens=256, seed=1))
        answer = llm.complete(messages)
        assert answer.completion_tokens > 0 and not answer.cached
        extraction = extract_code(answer.text, "sort_ints")
        assert extraction.found, answer.text
        result = Grader(sandbox).grade(sort_task, extraction.code)
        assert result.syntax_ok
        assert result.status == "passed", (answer.text, result)
        # the same request again: from the cache, no model call
        again = LLM(endpoint, store, GenerationParams(temperature=0.0, max_tokens=256, seed=1))
        assert again.complete(messages).cached
        assert store.call_count() == 1 and again.calls == 0


def test_default_run_on_embedded_model_then_answered_from_caches(tmp_path: Path) -> None:
    args = ["run", "--task", "sort_ints", "--tasks-dir", str(TASKS_DIR), "--home", str(tmp_path)]
    first = CliRunner().invoke(cli, args)
    assert first.exit_code == 0, first.output
    assert "verdict:" in first.output and "pass@1" in first.output
    store = Store(tmp_path)
    calls = store.call_count()
    rows = store.samples(store.list_runs()[0]["id"], phase=None)
    assert len(rows) == 32 + 2 * 4  # 8 episodes x 4 samples, then 4 fresh answers per side
    assert calls == sum(r.calls for r in rows)  # every call of every strategy, once
    second = CliRunner().invoke(cli, args)
    assert second.exit_code == 0, second.output
    assert "already finished" in second.output
    assert "verdict:" in second.output
    assert store.call_count() == calls


@pytest.mark.parametrize("cached", [True, False])
def test_prompt_cache_reads_a_repeated_prompt_once_unless_switched_off(cached: bool) -> None:
    """`harness bench record` relies on the server's prompt cache; its benchmark switches it off."""
    from openai import OpenAI

    from harness.llm.endpoints import model_cache_dir
    from harness.llm.models import get_model
    from harness.llm.server import EmbeddedServer, ServerConfig

    server = EmbeddedServer.for_model(get_model("qwen2.5-coder-0.5b"), cache_dir=model_cache_dir(),
                                      config=ServerConfig(n_parallel=2, prompt_cache=cached))
    prompt = [{"role": "user", "content": "Write a Python function that sorts a list. " * 12}]
    other = [{"role": "user", "content": "Explain what a tuple is. " * 12}]
    with server:
        client = OpenAI(base_url=server.base_url, api_key=server.api_key)
        read = []
        for messages in (prompt, other, prompt):  # another prompt in between, as in a recording
            reply = client.chat.completions.create(model=server.model_id, messages=messages,
                                                   max_tokens=4, temperature=0.8)
            read.append((reply.model_extra or {})["timings"]["prompt_n"])
    assert read[0] > 100
    assert (read[2] <= 2) if cached else (read[2] == read[0])


@pytest.mark.parametrize("lookup", [True, False])
def test_prompt_lookup_drafts_from_the_prompt_only_when_asked(lookup: bool) -> None:
    """`harness bench record --repair` serves repair rounds with prompt lookup: an answer that
    copies code from its prompt is drafted from it (and every token still checked by the model)."""
    from openai import OpenAI

    from harness.llm.endpoints import model_cache_dir
    from harness.llm.models import get_model
    from harness.llm.server import EmbeddedServer, ServerConfig

    code = "\n".join(f"def f{i}(x):\n    return x * {i} + {i * i}\n" for i in range(8))
    messages = [{"role": "user", "content": f"```python\n{code}```\nRepeat this code exactly, "
                                            "in one ```python block, and nothing else."}]
    server = EmbeddedServer.for_model(get_model("qwen2.5-coder-0.5b"), cache_dir=model_cache_dir(),
                                      config=ServerConfig(n_parallel=1, lookup=lookup))
    with server:
        client = OpenAI(base_url=server.base_url, api_key=server.api_key)
        reply = client.chat.completions.create(model=server.model_id, messages=messages,
                                               max_tokens=200, temperature=0.0)
    timings = (reply.model_extra or {})["timings"]
    assert "def f3(x)" in (reply.choices[0].message.content or "")
    accepted = timings.get("draft_n_accepted", 0)
    assert (accepted > 50) if lookup else (accepted == 0), timings
