"""Side by side with DSPy: which finds the better way of asking at the same task-model calls?

    taskset -c 1 python bench/dspy_compare.py [--budget 300] [--seeds 0 1 2] [--answers 20]
        [--methods default harness gepa mipro] [--select best_of_3] [--model M --base-url URL]
        [--out FILE]
    python bench/dspy_compare.py --report [--out FILE]   # figures of what is recorded, no model

The harness's agents over its strategy space, DSPy's GEPA and MIPROv2 (instructions only),
and the default template, all on the same model (the embedded one unless an endpoint is
given), the same grader and the same budget of task-model calls on the tuning tasks; then
every method's final prompt answers each held-out test task `--answers` times, fresh. The
split is fixed in harness/compare/config.py. Needs `pip install -e ".[compare]"`.

Resumable: rerun the same command; finished tunings and evaluated tasks are read back from
`--out`, and every answer already given is in the run store (`--home`). Figures go to `--out`
(default bench/results/dspy_compare.json) under "summary", with a table on the terminal and a
plot next to it (`.png`). A stopped run writes the summary of what finished (a method counts once
every test task is evaluated); `--report` prints it again without starting a model.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

# DSPy's own progress bars would tear through rich's; tqdm reads this when it is imported.
os.environ.setdefault("TQDM_DISABLE", "1")

from rich.console import Console  # noqa: E402
from rich.progress import (  # noqa: E402
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table  # noqa: E402

from harness.compare.config import DEFAULT_METHODS, METHODS, TEST_TASKS, TUNE_TASKS, CompareConfig  # noqa: E402
from harness.compare.plot import write_plot  # noqa: E402
from harness.compare.report import MARGIN, failures, pairwise, rows, summary, verdicts  # noqa: E402
from harness.compare.run import Hooks, open_comparison, save_results  # noqa: E402
from harness.loop.strategies import SELECTIONS  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "dspy_compare.json"


class RichHooks(Hooks):
    """A bar per tuning run (task-model calls against the budget) and per evaluation."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.bars: dict[str, TaskID] = {}

    def start(self, key: str, description: str, total: int | None) -> None:
        self.bars[key] = self.progress.add_task(description, total=total)

    def advance(self, key: str, amount: int = 1) -> None:
        if key in self.bars:
            self.progress.advance(self.bars[key], amount)

    def finish(self, key: str) -> None:
        if key in self.bars:
            self.progress.update(self.bars[key], visible=False)

    def log(self, message: str) -> None:
        self.progress.console.log(message)


def interval(u: dict[str, float] | Any) -> str:  # noqa: ANN401 - an Uplift or its dict
    if u is None:
        return "-"
    d = u if isinstance(u, dict) else u.__dict__
    return f"{d['diff']:+.3f} [{d['low']:+.3f}, {d['high']:+.3f}]"


@contextlib.contextmanager
def open_model(request: Any, home: Path, ctx: int, log: Any) -> Iterator[Any]:  # noqa: ANN401
    """The endpoint, as `harness run` opens it, except that an embedded model gets `ctx` tokens
    per request slot: the optimisers' own prompts (GEPA's reflection on 3 answers with their
    feedback, MIPROv2's proposals) outgrow the 2048 a run gives it. Same model and endpoint
    identity, so answers are shared with the run store's cache."""
    from harness.llm.client import Endpoint
    from harness.llm.endpoints import describe_endpoint, model_cache_dir, open_endpoint

    if request.remote:
        with open_endpoint(request, home, log=log) as endpoint:
            yield endpoint
        return
    from harness.llm.models import get_model
    from harness.llm.server import EmbeddedServer, ServerConfig

    model, endpoint_id = describe_endpoint(request)
    spec = get_model(model)
    server = EmbeddedServer.for_model(spec, cache_dir=model_cache_dir(),
                                      config=ServerConfig(n_parallel=request.parallel,
                                                          ctx_per_request=ctx))
    log(f"starting embedded model {spec.id} on 127.0.0.1 ({ctx} tokens per request)")
    with server:
        yield Endpoint(base_url=server.base_url, model=spec.id, api_key=server.api_key or "sk-none",
                       cache_id=endpoint_id, embedded=True)


def quiet_dspy(path: Path) -> None:
    """DSPy logs every example it could not parse or score; the counts are in the results, and
    the lines go to a file next to them instead of through the progress bars."""
    import logging

    import dspy  # type: ignore[import-untyped,import-not-found,unused-ignore]  # noqa: F401 - installs its log handlers, replaced here

    path.parent.mkdir(parents=True, exist_ok=True)
    for name in ("dspy", "gepa"):
        logger = logging.getLogger(name)
        for handler in list(logger.handlers):
            logger.removeHandler(handler)
        logger.addHandler(logging.FileHandler(path))
        logger.setLevel(logging.INFO)
        logger.propagate = False


def tables(data: dict[str, Any]) -> tuple[Table, Table]:
    """What tuning cost, and what it bought on the held-out tasks."""
    cost = Table(title="tuning: calls, tokens and time (mean over seeds)",
                 caption="an arm METHOD+RULE is METHOD's prompt, untuned: its tuning is METHOD's")
    quality = Table(title="held-out test tasks, fresh answers (pooled over seeds)")
    for name in ("method", "budget", "seeds", "task calls", "optimiser calls", "task tokens",
                 "optimiser tokens", "refused / optimiser failed", "wall s (tune / eval)",
                 "own validation", "unparsed while tuning"):
        cost.add_column(name, justify="left" if name == "method" else "right")
    for name in ("method", "budget", "reward", "as DSPy scores it", "pass@1", "calls/answer",
                 "unparseable", "reward vs default", "pass@1 vs default"):
        quality.add_column(name, justify="left" if name == "method" else "right")
    for r in rows(data):
        tuned = "+" not in r.method  # an arm's tuning is its base method's: not counted twice
        cost.add_row(r.method, str(r.budget), str(r.seeds),
                     *([f"{r.task_calls:.0f}", f"{r.optimiser_calls:.0f}", f"{r.task_tokens:.0f}",
                        f"{r.optimiser_tokens:.0f}", f"{r.refused:.0f} / {r.optimiser_failed:.0f}"]
                       if tuned else ["-"] * 5),
                     f"{r.wall_s:.0f} / {r.eval_wall_s:.0f}" if tuned else f"- / {r.eval_wall_s:.0f}",
                     "-" if r.validation is None else f"{r.validation:.3f}",
                     "-" if r.tuning_unparseable is None else f"{r.tuning_unparseable:.1%}")
        quality.add_row(r.method, str(r.budget), f"{r.reward:.3f}",
                        "-" if r.dspy_reward is None else f"{r.dspy_reward:.3f}", f"{r.pass_at_1:.3f}",
                        f"{r.calls_per_answer:.2f}", f"{r.unparseable:.1%}",
                        interval(r.reward_vs_default), interval(r.pass_vs_default))
    return cost, quality


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--budget", type=int, nargs="+", default=[300],
                        help="task-model calls per tuning run (several: one run each)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--answers", type=int, default=20, help="fresh answers per test task")
    parser.add_argument("--methods", nargs="+", default=list(DEFAULT_METHODS), choices=METHODS)
    parser.add_argument("--agents", nargs="+", default=["factored"], help="the harness's agents")
    parser.add_argument("--select", nargs="+", default=[],
                        choices=[r for r in SELECTIONS if r.startswith("best_of_")],
                        help="also evaluate the default's and each DSPy method's final prompt with "
                             "these selection rules, untuned (arms METHOD+RULE)")
    parser.add_argument("--tune", nargs="+", default=list(TUNE_TASKS))
    parser.add_argument("--test", nargs="+", default=list(TEST_TASKS))
    parser.add_argument("--preset", default="default", help="the harness's strategy space")
    parser.add_argument("--parallel", type=int, default=4, help="requests in flight")
    parser.add_argument("--ctx", type=int, default=4096,
                        help="embedded model: tokens per request slot (prompt and answer)")
    parser.add_argument("--gepa-minibatch", type=int, default=CompareConfig.gepa_minibatch,
                        help="examples per GEPA reflection (its prompt grows with them)")
    parser.add_argument("--reflection-max-tokens", type=int,
                        default=CompareConfig.reflection_max_tokens,
                        help="answer cap of the optimisers' own calls")
    parser.add_argument("--model", default=None)
    parser.add_argument("--base-url", default=None)
    parser.add_argument("--api-key", default=None)
    parser.add_argument("--tasks-dir", type=Path, default=None)
    parser.add_argument("--home", type=Path, default=Path(".harness"))
    parser.add_argument("--workers", type=int, default=2, help="sandbox containers")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--report", action="store_true",
                        help="only print the figures of what --out holds (no model, no sandbox)")
    args = parser.parse_args(argv)
    if args.select and not {"default", "gepa", "mipro", "gepa_leaky"} & set(args.methods):
        parser.error("--select: no default template or DSPy method among --methods to apply it to")
    if args.report:
        if not args.out.exists():
            Console(stderr=True).print(f"[red]error:[/] --out {args.out}: no results file yet")
            return 1
        return report(json.loads(args.out.read_text()), args.out)

    from harness.errors import HarnessError
    from harness.grading.grader import Grader, open_sandbox
    from harness.llm.endpoints import EndpointRequest
    from harness.sandbox.pool import SandboxConfig
    from harness.store import Store
    from harness.tasks.load import find_task
    from harness.tasks.sources import task_sources

    log_file = args.out.with_suffix(".log")
    config = CompareConfig(tune_tasks=tuple(args.tune), test_tasks=tuple(args.test),
                           budgets=tuple(args.budget), seeds=tuple(args.seeds),
                           methods=tuple(args.methods), agents=tuple(args.agents),
                           selections=tuple(args.select),
                           preset=args.preset, eval_answers=args.answers, parallel=args.parallel,
                           gepa_minibatch=args.gepa_minibatch,
                           reflection_max_tokens=args.reflection_max_tokens)
    console = Console(stderr=True)
    try:
        search = task_sources(args.tasks_dir)
        tasks = {n: find_task(search, n) for n in (*config.tune_tasks, *config.test_tasks)}
        request = EndpointRequest(model=args.model, base_url=args.base_url, api_key=args.api_key,
                                  parallel=args.parallel)
        store = Store(args.home)
        quiet_dspy(log_file)
        with open_model(request, args.home, args.ctx, console.log) as endpoint:
            grader = Grader(open_sandbox(SandboxConfig(workers=args.workers), log=console.log), store)
            try:
                # DSPy prints its own bars and notes to stdout: kept off the terminal
                with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                              TimeElapsedColumn(), console=console, redirect_stdout=False) as progress, \
                        open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
                    comparison = open_comparison(config, endpoint, store, grader, tasks, args.out,
                                                 RichHooks(progress))
                    data = comparison.run()
            finally:
                grader.close()
    except HarnessError as exc:
        console.print(f"[red]error:[/] {exc}")
        return 1
    except KeyboardInterrupt:
        console.print(f"[yellow]stopped[/]; the same command resumes (results so far in {args.out})")
        if args.out.exists():
            report(json.loads(args.out.read_text()), args.out)
        return 130
    console.print(f"DSPy's own log in {log_file}")
    return report(data, args.out)


def report(data: dict[str, Any], out: Path) -> int:
    """Summarise what `out` holds into it, print the tables and draw the plot."""
    data["summary"] = summary(data)
    save_results(out, data)
    for part in tables(data):
        Console().print(part)
    for key, why in failures(data).items():
        Console().print(f"[red]{key} failed[/]: {why}")
    for pair in pairwise(data):
        Console().print(f"{pair['a']} - {pair['b']} (budget {pair['budget']}): reward "
                        f"{interval(pair['reward'])}, pass@1 {interval(pair['pass'])}")
    for v in verdicts(data):
        Console().print(
            f"goal, {v.harness} vs {v.dspy} (budget {v.budget}"
            + (f" vs {v.dspy_budget}" if v.dspy_budget else "") + "): held-out reward "
            f"{interval(v.reward)} ({v.outcome}; matching allows {MARGIN}), calls while tuning "
            f"{v.harness_calls:.0f} vs {v.dspy_calls:.0f}, per final answer "
            f"{v.harness_calls_per_answer:.2f} vs {v.dspy_calls_per_answer:.2f}: "
            + ("[green]met[/]" if v.met else "[red]not met[/]"))
    plot = write_plot(data, out.with_suffix(".png"))
    Console(stderr=True).print(f"figures in {out}" + (f", plot in {plot}" if plot else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
