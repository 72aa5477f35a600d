"""The headline statistics, against values worked out by hand (arithmetic in the comments).

pass@k and the Wilson interval are what the report and the leaderboard rank by, so
each is pinned to numbers computed here without the code under test, and to the
published values of the Wilson interval.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from harness.llm.client import LLM, Endpoint, GenerationParams
from harness.sample import Sample
from harness.stats import group_stats, pass_at_k, wilson
from harness.store import Store
from tests.fake_openai import FakeOpenAI, completion

# ---------------------------------------------------------------------------- pass@k
# pass@k = 1 - C(n-c, k) / C(n, k): the chance that k answers drawn without
# replacement from the n samples include at least one of the c correct ones.


def test_pass_at_1_is_the_fraction_correct() -> None:
    # n=5, c=2, k=1: 1 - C(3,1)/C(5,1) = 1 - 3/5 = 0.4
    assert pass_at_k(5, 2, 1) == pytest.approx(0.4, abs=1e-12)
    # n=10, c=7, k=1: 1 - 3/10 = 0.7
    assert pass_at_k(10, 7, 1) == pytest.approx(0.7, abs=1e-12)


def test_pass_at_k_by_hand() -> None:
    # n=5, c=2, k=2: C(3,2) = 3, C(5,2) = 10 -> 1 - 3/10 = 0.7
    assert pass_at_k(5, 2, 2) == pytest.approx(0.7, abs=1e-12)
    # n=10, c=3, k=5: C(7,5) = 21, C(10,5) = 252 -> 1 - 21/252 = 1 - 1/12 = 0.916666...
    assert pass_at_k(10, 3, 5) == pytest.approx(11 / 12, abs=1e-12)
    # n=4, c=1, k=2: C(3,2) = 3, C(4,2) = 6 -> 1 - 3/6 = 0.5
    assert pass_at_k(4, 1, 2) == pytest.approx(0.5, abs=1e-12)
    # n=5, c=4, k=2: only 1 wrong answer, so any 2 include a correct one: C(1,2) = 0 -> 1.0
    assert pass_at_k(5, 4, 2) == 1.0


def test_pass_at_k_edges() -> None:
    # c = 0: no correct answer to draw -> 0 for every k
    assert [pass_at_k(5, 0, k) for k in (1, 3, 5)] == [0.0, 0.0, 0.0]
    # c = n: every draw is correct -> 1 for every k
    assert [pass_at_k(5, 5, k) for k in (1, 3, 5)] == [1.0, 1.0, 1.0]
    # k = n: all samples are drawn, so pass@n is 1 as soon as one is correct
    assert pass_at_k(5, 1, 5) == 1.0
    # k > n cannot be estimated from n samples: an error, never a silent number
    with pytest.raises(ValueError, match="pass@6 needs at least 6 samples, got 5"):
        pass_at_k(5, 2, 6)


def test_pass_at_k_equals_the_binomial_formula() -> None:
    """The product form the code uses equals 1 - C(n-c,k)/C(n,k) everywhere small."""
    for n in range(1, 13):
        for c in range(n + 1):
            for k in range(1, n + 1):
                expected = 1 - math.comb(n - c, k) / math.comb(n, k)
                assert pass_at_k(n, c, k) == pytest.approx(expected, abs=1e-12), (n, c, k)


# --------------------------------------------------------------------------- Wilson
# lo, hi = (p + z²/2n ± z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n), z = 1.96 (z² = 3.8416).


def test_wilson_at_one_half() -> None:
    # 3/6: p = 0.5, z²/n = 0.640267, denominator 1.640267
    # centre = (0.5 + 0.320133) / 1.640267 = 0.5
    # half = 1.96 * sqrt(0.25/6 + 3.8416/144) / 1.640267
    #      = 1.96 * sqrt(0.0416667 + 0.0266778) / 1.640267 = 1.96 * 0.2614277 / 1.640267 = 0.312387
    # -> [0.187613, 0.812387]; published (Wilson 1927; e.g. Newcombe 1998): [0.188, 0.812]
    lo, hi = wilson(3, 6)
    assert lo == pytest.approx(0.187613, abs=1e-6) and hi == pytest.approx(0.812387, abs=1e-6)
    assert round(lo, 3) == 0.188 and round(hi, 3) == 0.812


def test_wilson_at_zero_and_all() -> None:
    # 0/10: p = 0, denominator 1 + 0.38416 = 1.38416
    # centre = (3.8416/20) / 1.38416 = 0.19208 / 1.38416 = 0.138770
    # half = 1.96 * sqrt(3.8416/400) / 1.38416 = 1.96 * 0.098 / 1.38416 = 0.138770
    # -> [0, 0.277540]; published: [0, 0.278] (the normal approximation gives [0, 0])
    lo, hi = wilson(0, 10)
    assert lo == pytest.approx(0.0, abs=1e-12) and hi == pytest.approx(0.277540, abs=1e-6)
    # 10/10 mirrors it: [1 - 0.277540, 1] = [0.722460, 1]; published [0.722, 1]
    lo, hi = wilson(10, 10)
    assert lo == pytest.approx(0.722460, abs=1e-6) and hi == pytest.approx(1.0, abs=1e-12)


def test_wilson_other_published_values_and_no_data() -> None:
    # 1/10: denominator 1.38416; centre = (0.1 + 0.19208) / 1.38416 = 0.211016
    # half = 1.96 * sqrt(0.09/10 + 0.009604) / 1.38416 = 1.96 * 0.136396 / 1.38416 = 0.193140
    # -> [0.017876, 0.404156]; published [0.018, 0.404]
    lo, hi = wilson(1, 10)
    assert lo == pytest.approx(0.017876, abs=1e-6) and hi == pytest.approx(0.404156, abs=1e-6)
    # no samples: no information, the whole range
    assert wilson(0, 0) == (0.0, 1.0)


# ------------------------------------------------------------------------ group_stats


def test_group_stats_by_hand() -> None:
    def sample(template: str, status: str, reward: float, passed: int, finish: str,
               tokens: int | None) -> Sample:
        return Sample.from_row({
            "episode": 0, "task": "t", "sample": 0, "task_hash": "h", "template": template,
            "llm_key": "k", "response": "", "code": "", "finish_reason": finish,
            "completion_tokens": tokens, "reward": reward,
            "result": {"syntax_ok": status != "syntax_error", "status": status,
                       "passed": passed, "total": 4}})

    rows = [  # template a: 2 samples, template b: 3 samples
        sample("a", "passed", 1.0, 4, "stop", 30),
        sample("a", "syntax_error", 0.0, 0, "length", 50),
        sample("b", "failed", 0.5, 2, "stop", 10),
        sample("b", "timeout", 0.25, 1, "stop", 20),
        sample("b", "passed", 1.0, 4, "stop", None),
    ]
    a, b = group_stats(rows, ["template"])
    # a: 1 of 2 passed; rewards (1 + 0)/2; fractions (4/4 + 0/4)/2; 1 syntax error in 2;
    # 1 truncated in 2; tokens (30 + 50)/2 = 40
    assert (a.key, a.n, a.passed, a.pass_rate) == (("a",), 2, 1, 0.5)
    assert (a.mean_reward, a.mean_fraction, a.syntax_ok_rate) == (0.5, 0.5, 0.5)
    assert (a.truncated_rate, a.timeout_rate, a.mean_tokens) == (0.5, 0.0, 40.0)
    # b: 1 of 3 passed; rewards (0.5 + 0.25 + 1)/3 = 0.583333; fractions (2/4 + 1/4 + 4/4)/3
    # = 0.583333; no syntax error; 1 timeout in 3; tokens (10 + 20 + 0)/3 = 10 (None counts 0)
    assert (b.n, b.passed) == (3, 1)
    assert b.mean_reward == pytest.approx(1.75 / 3) and b.mean_fraction == pytest.approx(1.75 / 3)
    assert (b.syntax_ok_rate, b.truncated_rate) == (1.0, 0.0)
    assert b.timeout_rate == pytest.approx(1 / 3) and b.mean_tokens == pytest.approx(10.0)
    assert b.interval == wilson(1, 3)


# ------------------------------------------------------------ bench/run.py's figures
# (bench/run.py starts the real model, so it never runs in tests; its arithmetic, its
# output and how its baseline picks the requests to resend are checked here.)


def test_bench_run_figures_by_hand(tmp_path: Path) -> None:
    from bench.run import summary_line, table_rows, timing_figures, timing_table, write_figures

    summary = {"samples": 32, "pass_rate": 0.5, "sandbox_s": 0.3, "agent_s": 0.1}
    figures = timing_figures(task="sort_ints", model="m", run_id="run-1", wall_s=80.0, summary=summary,
                             calls=40, model_load_s=2.0, baseline_s=62.0, baseline_tokens=5000,
                             same_answers=38, parallel=4)
    # sandbox + agent = 0.3 + 0.1 = 0.4 s = 0.4 / 80 = 0.5% of the wall time (< 5%: met);
    # load + LLM = 2 + 62 = 64 s; overhead 80 / 64 = 1.25x; wall 80 s < 180 s: met
    assert figures["run"]["sandbox_agent_s"] == pytest.approx(0.4)
    assert figures["run"]["sandbox_agent_share"] == pytest.approx(0.005)
    assert figures["baseline"]["load_llm_s"] == 64.0 and figures["overhead_x"] == 1.25
    assert figures["targets"]["wall_met"] and figures["targets"]["sandbox_agent_met"]
    slow = timing_figures(task="t", model="m", run_id="r", wall_s=200.0,
                          summary={**summary, "sandbox_s": 12.0}, calls=1, model_load_s=1.0,
                          baseline_s=1.0, baseline_tokens=0, same_answers=0, parallel=1)
    # 200 s > 180 s; (12 + 0.1) / 200 = 6.05% > 5%: neither target met
    assert not slow["targets"]["wall_met"] and not slow["targets"]["sandbox_agent_met"]
    with pytest.raises(ValueError, match="positive"):
        timing_figures(task="t", model="m", run_id="r", wall_s=0.0, summary=summary, calls=0,
                       model_load_s=1.0, baseline_s=1.0, baseline_tokens=0, same_answers=0,
                       parallel=1)

    rows = table_rows(figures)  # shares of the 80 s wall time
    assert rows[0] == ("harness run, wall time", 80.0, 1.0)
    assert rows[1][1:] == pytest.approx((0.3, 0.00375))
    assert rows[5] == ("baseline: the same 40 requests, LLM only, 4 concurrent", 62.0, 0.775)
    assert rows[6][1:] == (64.0, 0.8)
    console = Console(record=True, width=120)
    console.print(timing_table(figures))
    text = console.export_text()
    assert "harness run --task sort_ints (defaults) from a cold start" in text
    assert "80.00" in text and "100.0%" in text and "62.00" in text and "77.5%" in text
    line = summary_line(figures)
    assert "32 samples (40 model calls)" in line and "reproduced 38/40 answers" in line
    assert "1.25x" in line and "wall < 180 s (met)" in line

    path = tmp_path / "results" / "run.json"
    write_figures(figures, path)
    written = json.loads(path.read_text())
    assert {k: v for k, v in written.items() if k != "provenance"} == figures
    assert {"git_commit", "harness_version", "command"} <= set(written["provenance"])


def test_bench_run_baseline_resends_exactly_the_runs_calls(tmp_path: Path) -> None:
    """Same messages, parameters and sample indices as the run's model calls, none from the cache."""
    from bench.run import CallRecorder, logged_keys, run_calls, send_baseline

    def answer(body: dict[str, Any], index: int) -> tuple[int, dict[str, Any]]:
        digest = hashlib.sha256(json.dumps([body["messages"], body.get("seed"),
                                            body.get("temperature")]).encode()).hexdigest()
        return 200, completion(f"```python\ndef f():\n    return '{digest[:8]}'\n```")

    one = [{"role": "user", "content": "write f"}]
    two = [{"role": "system", "content": "be brief"}, {"role": "user", "content": "write g"}]
    original = LLM.complete
    with FakeOpenAI(answer) as fake:
        endpoint = Endpoint(base_url=fake.base_url, model="fake", cache_id="fake")
        store = Store(tmp_path)
        with CallRecorder().installed() as recorder:
            llm = LLM(endpoint, store, GenerationParams(seed=7), concurrency=2)
            for index in (0, 1, 5):  # sample indices 0, 1, 5: request seeds 7, 8, 12
                llm.complete(one, index)
            llm.complete(two, 3, temperature=0.2)  # a strategy's own temperature
            assert llm.complete(one, 1).cached  # a cache hit is no model call: never resent
        assert LLM.complete is original  # uninstalled
        sent = len(fake.requests)
        assert sent == 4
        keys = logged_keys(store.path)
        calls = run_calls(keys, recorder.calls)
        assert len(calls) == 4
        # the run's own store: were the cache consulted, every answer would come from it
        answers, seconds = send_baseline(calls, endpoint, 2, store)
        assert len(fake.requests) == 8 and seconds > 0 and not any(a.cached for a in answers)

        def canonical(bodies: list[dict[str, Any]]) -> list[str]:
            return sorted(json.dumps(b, sort_keys=True) for b in bodies)

        assert canonical(fake.requests[sent:]) == canonical(fake.requests[:sent])
        assert sorted(b["seed"] for b in fake.requests[sent:]) == [7, 8, 10, 12]
        assert [a.text for a in answers] == [c.text for c in calls]
        assert sorted(logged_keys(store.path)[4:]) == sorted(keys)  # real calls again, logged

    with pytest.raises(RuntimeError, match="1 logged but not recorded, 0 recorded but not logged"):
        run_calls([*keys, "f" * 64], recorder.calls)
    with pytest.raises(RuntimeError, match="0 logged but not recorded, 1 recorded but not logged"):
        run_calls(keys[1:], recorder.calls)


@pytest.mark.docker
def test_bench_run_resends_every_call_of_a_real_run(tmp_path: Path) -> None:
    """bench/run.py's path on a scripted endpoint: every call the runner makes (several per
    sample for best-of-k and repair strategies, the evaluation answers) is resent as it was."""
    from bench.run import CallRecorder, logged_keys, run_calls, run_options, send_baseline
    from harness.llm.endpoints import EndpointRequest, describe_endpoint
    from harness.loop.wiring import start

    good, bad = "def sort_ints(xs):\n    return sorted(xs)", "def sort_ints(xs):\n    return xs"

    def answer(body: dict[str, Any], index: int) -> tuple[int, dict[str, Any]]:
        digest = hashlib.sha256(json.dumps([body["messages"], body.get("seed"),
                                            body.get("temperature")]).encode()).digest()
        return 200, completion(f"```python\n{good if digest[0] < 128 else bad}\n```")

    with FakeOpenAI(answer) as fake:
        request = EndpointRequest(model="fake", base_url=fake.base_url)
        options = replace(run_options("sort_ints", "fake", tmp_path / "home"), endpoint=request,
                          episodes=3, samples=2)
        with CallRecorder().installed() as recorder:
            outcome = start(options)
        run_id = outcome.run_id
        assert outcome.status == "finished"
        sent = len(fake.requests)
        store = Store(tmp_path / "home")
        calls = run_calls(logged_keys(store.path), recorder.calls)
        assert len(calls) == sent >= len(store.samples(run_id))
        model, endpoint_id = describe_endpoint(request)  # what the run keyed its calls with
        endpoint = Endpoint(base_url=fake.base_url, model=model, cache_id=endpoint_id)
        answers, _ = send_baseline(calls, endpoint, request.parallel, Store(tmp_path / "baseline"))
        resent = fake.requests[sent:]
        assert sorted(json.dumps(b, sort_keys=True) for b in resent) == \
            sorted(json.dumps(b, sort_keys=True) for b in fake.requests[:sent])
        assert [a.text for a in answers] == [c.text for c in calls]
