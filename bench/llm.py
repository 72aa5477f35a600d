"""Benchmark the embedded models: cold start, sequential vs concurrent throughput.

    python bench/llm.py [--models qwen2.5-coder-1.5b qwen2.5-coder-0.5b] [--requests 8]

Why: the runner sends several requests at once to one in-process server; this shows
whether that pays on this machine (target: concurrent >= 1.15x sequential tokens/s)
and whether the default model is ready fast enough for an interactive run (target:
1.5B cold start to first token < 5 s). Models are assembled before timing starts.
Only one server runs at a time (2 cores).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness.llm.models import MODELS, get_model, model_file  # noqa: E402
from harness.llm.server import EmbeddedServer, ServerConfig  # noqa: E402

PROMPTS = (
    "Write a Python function sort_ints(xs) that returns the list sorted ascending.",
    "Write a Python function is_palindrome(s) that ignores case and non-letters.",
    "Write a Python function fizzbuzz(n) returning the list of strings for 1..n.",
    "Write a Python function to_roman(n) converting an int to a Roman numeral.",
    "Write a Python function coin_change(coins, amount) returning the fewest coins.",
    "Write a Python function parse_csv_line(line) that handles quoted fields.",
)
SYSTEM = "You are a concise Python programmer. Answer with code only."


@dataclass(frozen=True)
class Completion:
    tokens: int
    seconds: float

    @property
    def tok_s(self) -> float:
        return self.tokens / self.seconds if self.seconds else 0.0


@dataclass(frozen=True)
class ModelFigures:
    model_id: str
    load_s: float
    first_token_s: float
    first_completion_s: float
    seq_tok_s: float
    conc_tok_s: float
    seq_per_request: float
    conc_per_request: float
    mean_tokens: float
    cpu_share: float  # CPU this process got / (wall x threads): < 0.8 means other load interfered

    @property
    def ratio(self) -> float:
        return self.conc_tok_s / self.seq_tok_s if self.seq_tok_s else 0.0


def _messages(i: int) -> list[dict[str, str]]:
    return [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": PROMPTS[i % len(PROMPTS)]},
    ]


def _complete(client: Any, model: str, i: int, max_tokens: int) -> Completion:
    start = time.perf_counter()
    resp = client.chat.completions.create(
        model=model, messages=_messages(i), temperature=0.8, max_tokens=max_tokens
    )
    return Completion(resp.usage.completion_tokens, time.perf_counter() - start)


def _first_token(client: Any, model: str, max_tokens: int) -> tuple[float, float]:
    """Seconds until the first streamed content token and until the answer is complete."""
    start = time.perf_counter()
    first = 0.0
    stream = client.chat.completions.create(
        model=model, messages=_messages(0), temperature=0.8, max_tokens=max_tokens, stream=True
    )
    for chunk in stream:
        if not first and chunk.choices and chunk.choices[0].delta.content:
            first = time.perf_counter() - start
    return first, time.perf_counter() - start


def bench_model(
    model_id: str, requests: int, max_tokens: int, parallel: int, cache: Path, threads: int | None
) -> ModelFigures:
    from openai import OpenAI

    path = model_file(get_model(model_id), cache)  # assemble before the clock starts
    config = ServerConfig(n_parallel=parallel, threads=threads)
    threads = config.n_threads
    server = EmbeddedServer(path, model_id, config)
    t0 = time.perf_counter()
    with server:
        client = OpenAI(
            base_url=server.base_url, api_key=server.api_key, max_retries=0, timeout=600
        )
        ttft, _ = _first_token(client, model_id, max_tokens)
        first_token_s = server.load_s + ttft
        first_completion_s = time.perf_counter() - t0

        # Interleave the two modes in rounds of `parallel` requests, so load from other
        # processes on a shared machine hits both alike instead of skewing the ratio.
        seq: list[Completion] = []
        conc: list[Completion] = []
        wall = {"seq": 0.0, "conc": 0.0}
        cpu0, start0 = time.process_time(), time.perf_counter()
        with ThreadPoolExecutor(max_workers=parallel) as pool:
            for first in range(0, requests, parallel):
                batch = range(first, min(first + parallel, requests))
                modes = ("seq", "conc") if (first // parallel) % 2 == 0 else ("conc", "seq")
                for mode in modes:
                    start = time.perf_counter()
                    if mode == "seq":
                        seq += [_complete(client, model_id, i, max_tokens) for i in batch]
                    else:
                        conc += pool.map(
                            lambda i: _complete(client, model_id, i, max_tokens), batch
                        )
                    wall[mode] += time.perf_counter() - start
        cpu_share = (time.process_time() - cpu0) / ((time.perf_counter() - start0) * threads)
        seq_wall, conc_wall = wall["seq"], wall["conc"]

    return ModelFigures(
        model_id=model_id,
        load_s=server.load_s,
        first_token_s=first_token_s,
        first_completion_s=first_completion_s,
        seq_tok_s=sum(c.tokens for c in seq) / seq_wall,
        conc_tok_s=sum(c.tokens for c in conc) / conc_wall,
        seq_per_request=statistics.median(c.tok_s for c in seq),
        conc_per_request=statistics.median(c.tok_s for c in conc),
        mean_tokens=statistics.mean(c.tokens for c in seq + conc),
        cpu_share=cpu_share,
    )


def _print(figures: list[ModelFigures], requests: int, parallel: int) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Embedded models: {requests} requests per mode, {parallel} concurrent")
    headers = (
        "model",
        "load s",
        "to 1st token s",
        "to 1st answer s",
        "seq tok/s",
        "conc tok/s",
        "ratio",
        "req tok/s seq",
        "req tok/s conc",
        "tokens/answer",
        "cpu share",
    )
    for col in headers:
        table.add_column(col, justify="left" if col == "model" else "right", no_wrap=True)
    for f in figures:
        table.add_row(
            f.model_id,
            f"{f.load_s:.2f}",
            f"{f.first_token_s:.2f}",
            f"{f.first_completion_s:.2f}",
            f"{f.seq_tok_s:.1f}",
            f"{f.conc_tok_s:.1f}",
            f"{f.ratio:.2f}x",
            f"{f.seq_per_request:.1f}",
            f"{f.conc_per_request:.1f}",
            f"{f.mean_tokens:.0f}",
            f"{f.cpu_share:.0%}",
        )
    # a pipe gets 80 columns by default, too narrow for the table
    Console(width=None if sys.stdout.isatty() else 180).print(table)
    print("targets: 1.5B cold start to first token < 5 s; concurrent >= 1.15x sequential")
    if any(f.cpu_share < 0.8 for f in figures):
        print("warning: cpu share below 80%: other processes competed for the cores; rerun")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--models",
        nargs="+",
        default=["qwen2.5-coder-1.5b", "qwen2.5-coder-0.5b"],
        choices=list(MODELS),
    )
    parser.add_argument("--requests", type=int, default=8, help="requests per mode")
    parser.add_argument("--max-tokens", type=int, default=200)
    parser.add_argument("--parallel", type=int, default=4)
    parser.add_argument("--threads", type=int, default=None, help="default: os.cpu_count()")
    parser.add_argument(
        "--cache-dir", type=Path, default=Path(os.environ.get("HARNESS_HOME", ".harness"))
    )
    args = parser.parse_args(argv)

    load = os.getloadavg()[0]
    if load > 0.5:
        print(f"warning: load average {load:.1f} before start; figures will be low", flush=True)
    figures = []
    for model_id in args.models:
        print(f"benchmarking {model_id} ...", flush=True)
        figures.append(
            bench_model(
                model_id,
                args.requests,
                args.max_tokens,
                args.parallel,
                args.cache_dir,
                args.threads,
            )
        )
    _print(figures, args.requests, args.parallel)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
