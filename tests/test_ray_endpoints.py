"""Several servers of one model behind one endpoint (`--base-url` repeated): requests are
spread over them, a dead one is routed around, and the answers are cached as the first
URL's, so adding servers keeps the run id and every cached answer."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from harness.cli import cli
from harness.llm.client import LLM, Endpoint, GenerationParams, RetryPolicy, cache_key
from harness.store import Store
from tests.conftest import TASKS_DIR
from tests.fake_openai import FakeOpenAI, completion

MESSAGES = [{"role": "user", "content": "Write sort_ints."}]
FAST_RETRY = RetryPolicy(attempts=4, base_delay_s=0.01, max_delay_s=0.02, timeout_s=2.0)
GOOD = "```python\ndef sort_ints(xs):\n    return sorted(xs)\n```"
DEAD = "http://127.0.0.1:9/v1"


def answer(body: dict, index: int) -> tuple[int, dict]:
    return 200, completion(GOOD)


def test_requests_alternate_over_replicas_and_share_one_cache_key(tmp_path: Path) -> None:
    with FakeOpenAI(answer) as first, FakeOpenAI(answer) as second:
        endpoint = Endpoint(base_url=first.base_url, model="m", cache_id="fake",
                            replicas=(second.base_url,))
        llm = LLM(endpoint, Store(tmp_path), GenerationParams(), retry=FAST_RETRY)
        keys = [llm.complete(MESSAGES, sample_index=i).key for i in range(4)]
        assert len(first.requests) == len(second.requests) == 2
        assert llm.served == [2, 2]
    alone = Endpoint(base_url=first.base_url, model="m", cache_id="fake")
    assert keys == [cache_key(alone, MESSAGES, GenerationParams(), i) for i in range(4)]


def test_a_dead_replica_is_routed_around(tmp_path: Path) -> None:
    with FakeOpenAI(answer) as live:
        endpoint = Endpoint(base_url=live.base_url, model="m", cache_id="fake", replicas=(DEAD,))
        llm = LLM(endpoint, Store(tmp_path), GenerationParams(), retry=FAST_RETRY,
                  sleep=lambda _s: None)
        for i in range(4):
            assert "sorted" in llm.complete(MESSAGES, sample_index=i).text
        assert llm.served == [4, 0] and len(live.requests) == 4


@pytest.mark.docker
def test_more_servers_keep_the_run_id_and_the_cached_answers(tmp_path: Path) -> None:
    with FakeOpenAI(answer) as first, FakeOpenAI(answer) as second:
        args = ["run", "--task", "sort_ints", "--model", "fake", "--episodes", "1",
                "--samples", "2", "--eval-samples", "1", "--home", str(tmp_path),
                "--tasks-dir", str(TASKS_DIR), "--base-url", first.base_url]
        alone = CliRunner().invoke(cli, args)
        assert alone.exit_code == 0, alone.output
        paid = len(first.requests)
        both = CliRunner().invoke(cli, [*args, "--base-url", second.base_url])
        assert both.exit_code == 0, both.output
        assert "already finished" in both.output  # the same run: its id names the first URL
        again = CliRunner().invoke(cli, [*args, "--base-url", second.base_url, "--fresh"])
        assert again.exit_code == 0, again.output
        assert len(first.requests) == paid and not second.requests  # every answer was cached
    runs = Store(tmp_path).list_runs()
    assert len(runs) == 2 and runs[0]["config"]["endpoint"] == first.base_url


def test_harness_toml_sets_servers_and_executor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`base_url` may be one URL or a list; `executor` and `ray_address` are defaults too."""
    import harness.cli.run as run_cli
    from harness.settings import default_map, load_config

    (tmp_path / "harness.toml").write_text(
        'base_url = ["http://127.0.0.1:1/v1", "http://127.0.0.1:2/v1"]\nexecutor = "ray"\n'
        '[run]\nray_address = "127.0.0.1:6379"\n')
    seen: dict = {}

    def capture(**options: object) -> None:
        seen.update(options)
        raise SystemExit(0)

    monkeypatch.setattr(run_cli, "RunOptions", capture)
    defaults = default_map(cli, load_config(tmp_path / "harness.toml"))
    result = CliRunner().invoke(cli, ["run", "--task", "sort_ints", "--model", "m"],
                                default_map=defaults)
    assert result.exit_code == 0, result.output
    assert seen["endpoint"].base_url == "http://127.0.0.1:1/v1"
    assert seen["endpoint"].replicas == ("http://127.0.0.1:2/v1",)
    assert seen["executor"].kind == "ray" and seen["executor"].ray_address == "127.0.0.1:6379"
    (tmp_path / "harness.toml").write_text('base_url = "http://127.0.0.1:1/v1"\n')
    defaults = default_map(cli, load_config(tmp_path / "harness.toml"))
    result = CliRunner().invoke(cli, ["run", "--task", "sort_ints", "--model", "m"],
                                default_map=defaults)
    assert result.exit_code == 0, result.output
    assert seen["endpoint"].base_url == "http://127.0.0.1:1/v1" and seen["endpoint"].replicas == ()
