"""End-to-end wall time of the default `harness run --task sort_ints` from a cold start.

    python bench/run.py [--task sort_ints] [--model qwen2.5-coder-1.5b] [--out bench/results/run.json]

Cold start: a fresh run store (no cached answers, no cached grades), the embedded
model installed and assembled but not loaded, the sandbox image built but no
container running. Prints the wall time with a breakdown (sandbox, agent) and, as the
baseline measured in the same process right after the run, the bare LLM time for the
very requests the run sent, sent straight to a freshly started model with the same
concurrency and the LLM cache bypassed, so both sides time the same answers.

Which requests: the run store logs every model call by its cache key, a hash of
endpoint, model, messages, sampling parameters and sample index (harness/llm/client.py),
but keeps neither the messages nor the index. So the calls are also recorded in
process as the run makes them (`CallRecorder`), and the baseline sends exactly the
calls of the store's log, each as recorded; every baseline answer's key must equal
the run's, which proves the same messages, parameters and index went out. The
figures are printed as a table and written to bench/results/run.json.
"""

from __future__ import annotations

import argparse
import copy
import json
import sqlite3
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from harness.llm.client import LLM, Completion, Endpoint, GenerationParams
from harness.llm.endpoints import EndpointRequest, describe_endpoint, open_endpoint
from harness.loop.options import RunOptions
from harness.loop.wiring import start
from harness.store import Store

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "results" / "run.json"
TARGET_WALL_S = 180.0
"""The whole default run in under 3 minutes."""
TARGET_SANDBOX_AGENT_SHARE = 0.05
"""Sandbox grading and agent decisions under 5% of the wall time: the LLM is the cost."""


def run_options(task: str, model: str | None, home: Path, tasks_dir: Path = ROOT / "tasks") -> RunOptions:
    """What `harness run --task TASK [--model M]` runs: RunOptions' defaults, which are the
    CLI's (harness/loop/options.py), with the sampling seed tied to the run's seed as the
    CLI ties it."""
    defaults = RunOptions()
    return RunOptions(tasks=(task,), tasks_dir=tasks_dir, home=home,
                      endpoint=EndpointRequest(model=model),
                      params=replace(defaults.params, seed=defaults.seed))


@dataclass(frozen=True)
class Call:
    """One model call as the run made it: `LLM.complete`'s arguments and the client's params."""

    params: GenerationParams
    args: tuple[Any, ...]
    """Positional arguments of `LLM.complete` (messages, sample index)."""
    kwargs: tuple[tuple[str, Any], ...]
    """Keyword arguments of `LLM.complete` (e.g. a strategy's temperature)."""
    key: str
    """The cache key of the request: endpoint, model, messages, params, sample index."""
    text: str
    """The run's answer, to count how many answers the baseline reproduced."""


class CallRecorder:
    """Records every call that reached the model (not cache hits) while installed."""

    def __init__(self) -> None:
        self.calls: dict[str, Call] = {}
        self._lock = threading.Lock()

    @contextmanager
    def installed(self) -> Iterator[CallRecorder]:
        """Wrap `LLM.complete` for the life of the block (every client in this process)."""
        original = LLM.complete
        recorder = self

        def complete(llm: LLM, *args: Any, **kwargs: Any) -> Completion:  # noqa: ANN401
            completion = original(llm, *args, **kwargs)
            if not completion.cached:
                call = Call(llm.params, copy.deepcopy(args), tuple(sorted(kwargs.items())),
                            completion.key, completion.text)
                with recorder._lock:
                    recorder.calls[completion.key] = call
            return completion

        LLM.complete = complete  # type: ignore[method-assign]
        try:
            yield self
        finally:
            LLM.complete = original  # type: ignore[method-assign]


def logged_keys(store_path: Path) -> list[str]:
    """The cache keys of the store's successful model calls, in the order they were sent."""
    with closing(sqlite3.connect(store_path)) as conn:
        rows = conn.execute("SELECT key FROM llm_calls WHERE error IS NULL "
                            "ORDER BY started, id").fetchall()
    return [key for (key,) in rows]


def run_calls(keys: Sequence[str], recorded: Mapping[str, Call]) -> list[Call]:
    """The store's logged calls, each as recorded: exactly what the run sent, in its order.

    Fails when the two disagree (a call logged but not seen, or seen but not logged):
    the baseline would then not send what the run sent."""
    unseen = [k for k in keys if k not in recorded]
    unlogged = sorted(set(recorded) - set(keys))
    if unseen or unlogged:
        raise RuntimeError(f"the run store logs {len(keys)} calls, the recorder saw {len(recorded)}: "
                           f"{len(unseen)} logged but not recorded, {len(unlogged)} recorded but not "
                           "logged; cannot resend the run's requests")
    return [recorded[k] for k in keys]


def send_baseline(calls: Sequence[Call], endpoint: Endpoint, parallel: int,
                  store: Store) -> tuple[list[Completion], float]:
    """Send every call once, `parallel` at a time, never answered from the cache.

    Returns (answers, seconds). Each answer's cache key must equal the run's: the same
    endpoint, model, messages, parameters and sample index went out."""
    clients = {p: LLM(endpoint, store, p, concurrency=parallel, use_cache=False)
               for p in dict.fromkeys(c.params for c in calls)}
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=parallel) as pool:
        answers = list(pool.map(lambda c: clients[c.params].complete(*c.args, **dict(c.kwargs)),
                                calls))
    seconds = time.perf_counter() - started
    differ = sum(a.key != c.key for a, c in zip(answers, calls, strict=True))
    if differ:
        raise RuntimeError(f"{differ} of {len(calls)} baseline requests differ from the run's "
                           "(their cache keys do not match): they would time other answers")
    return answers, seconds


def timing_figures(*, task: str, model: str, run_id: str, wall_s: float, summary: Mapping[str, Any],
                   calls: int, model_load_s: float, baseline_s: float, baseline_tokens: int,
                   same_answers: int, parallel: int) -> dict[str, Any]:
    """The benchmark's numbers, as written to run.json (seconds; shares are of the run's wall time)."""
    sandbox_agent = float(summary["sandbox_s"]) + float(summary["agent_s"])
    load_llm = model_load_s + baseline_s
    if wall_s <= 0 or load_llm <= 0:
        raise ValueError(f"times must be positive: wall {wall_s}, load + LLM {load_llm}")
    share = sandbox_agent / wall_s
    return {
        "task": task, "model": model, "run_id": run_id, "parallel": parallel,
        "samples": int(summary["samples"]), "pass_rate": float(summary["pass_rate"]),
        "calls": calls,
        "run": {
            "wall_s": wall_s,
            "sandbox_s": float(summary["sandbox_s"]),
            "agent_s": float(summary["agent_s"]),
            "sandbox_agent_s": sandbox_agent,
            "sandbox_agent_share": share,
        },
        "baseline": {
            "model_load_s": model_load_s,
            "llm_s": baseline_s,
            "load_llm_s": load_llm,
            "completion_tokens": baseline_tokens,
            "same_answers": same_answers,
        },
        "overhead_x": wall_s / load_llm,
        "targets": {
            "wall_s": TARGET_WALL_S, "wall_met": wall_s < TARGET_WALL_S,
            "sandbox_agent_share": TARGET_SANDBOX_AGENT_SHARE,
            "sandbox_agent_met": share < TARGET_SANDBOX_AGENT_SHARE,
        },
    }


def table_rows(figures: Mapping[str, Any]) -> list[tuple[str, float, float]]:
    """(label, seconds, share of the run's wall time) per line of the printed table."""
    run, base = figures["run"], figures["baseline"]
    wall = run["wall_s"]
    lines = (
        ("harness run, wall time", wall),
        ("  sandbox grading (summed over threads)", run["sandbox_s"]),
        ("  agent choose/update", run["agent_s"]),
        ("  sandbox + agent", run["sandbox_agent_s"]),
        ("baseline: model load", base["model_load_s"]),
        (f"baseline: the same {figures['calls']} requests, LLM only, {figures['parallel']} concurrent",
         base["llm_s"]),
        ("baseline: load + LLM", base["load_llm_s"]),
    )
    return [(label, seconds, seconds / wall) for label, seconds in lines]


def timing_table(figures: Mapping[str, Any]) -> Table:
    table = Table(title=f"harness run --task {figures['task']} (defaults) from a cold start")
    table.add_column("what")
    table.add_column("seconds", justify="right")
    table.add_column("share of wall", justify="right")
    for label, seconds, share in table_rows(figures):
        table.add_row(label, f"{seconds:.2f}", f"{100 * share:.1f}%")
    return table


def summary_line(figures: Mapping[str, Any]) -> str:
    base, targets = figures["baseline"], figures["targets"]
    return (f"{figures['samples']} samples ({figures['calls']} model calls), pass rate "
            f"{figures['pass_rate']:.2f}; the baseline reproduced {base['same_answers']}/"
            f"{figures['calls']} answers ({base['completion_tokens']} tokens); harness overhead "
            f"over load + LLM: {figures['overhead_x']:.2f}x; targets: wall < {targets['wall_s']:.0f} s "
            f"({'met' if targets['wall_met'] else 'NOT met'}), sandbox + agent < "
            f"{100 * targets['sandbox_agent_share']:.0f}% of wall "
            f"({'met' if targets['sandbox_agent_met'] else 'NOT met'})")


def write_figures(figures: Mapping[str, Any], path: Path) -> None:
    """The figures with the provenance of the code that measured them."""
    from harness.provenance import base_provenance

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({**figures, "provenance": base_provenance()}, indent=1) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--task", default="sort_ints")
    parser.add_argument("--model", default=None)
    parser.add_argument("--out", type=Path, default=OUT, help="Where to write the figures (JSON).")
    args = parser.parse_args()
    out = Console()
    with tempfile.TemporaryDirectory(prefix="harness-bench-run-") as tmp:
        home = Path(tmp) / "home"
        options = run_options(args.task, args.model, home)
        with CallRecorder().installed() as recorder:
            started = time.perf_counter()
            outcome = start(options)
            run_id, status = outcome.run_id, outcome.status
            wall = time.perf_counter() - started
        if status != "finished":
            raise SystemExit(f"run {run_id} ended '{status}': no figures written")
        store = Store(home)
        run = store.get_run(run_id)
        calls = run_calls(logged_keys(store.path), recorder.calls)
        store.close()
        assert run is not None and run["summary"] is not None

        base_store = Store(Path(tmp) / "baseline")
        parallel = options.endpoint.parallel
        load_started = time.perf_counter()
        with open_endpoint(options.endpoint, base_store.home) as endpoint:
            model_load = time.perf_counter() - load_started
            answers, generation = send_baseline(calls, endpoint, parallel, base_store)
        base_store.close()
    figures = timing_figures(
        task=args.task, model=describe_endpoint(options.endpoint)[0], run_id=run_id, wall_s=wall,
        summary=run["summary"], calls=len(calls), model_load_s=model_load, baseline_s=generation,
        baseline_tokens=sum(a.completion_tokens for a in answers),
        same_answers=sum(a.text == c.text for a, c in zip(answers, calls, strict=True)),
        parallel=parallel,
    )
    out.print(timing_table(figures))
    out.print(summary_line(figures))
    write_figures(figures, args.out)
    out.print(f"figures written to {args.out}")


if __name__ == "__main__":
    main()
