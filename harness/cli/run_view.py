"""How `harness run` and `harness report` look in a terminal: live progress, Ctrl-C, tables.

The loop itself (harness/loop/) prints nothing; this module renders what it returns.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.live import Live
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from harness.console import plain
from harness.loop.evaluation import Evaluation
from harness.loop.learning import Progress, RunConfig, Runner
from harness.loop.options import RunOptions
from harness.loop.report import ArmResult, RunResult, run_result
from harness.loop.strategies import StrategySpace, strategy_name
from harness.loop.wiring import Watch, graceful_interrupt, start
from harness.prompts.space import render
from harness.sample import Sample
from harness.stats import pass_at_k
from harness.store import Store
from harness.tasks.load import Task

KS = (1, 5, 10)


def progress_table(p: Progress, run_id: str, episodes: int) -> Table:
    table = Table.grid(padding=(0, 2))
    bar_width = 30
    filled = int(bar_width * p.done / p.total) if p.total else 0
    table.add_row(f"[bold]{run_id}[/]", f"[cyan]{'━' * filled}[/][dim]{'━' * (bar_width - filled)}[/]",
                  f"{p.done}/{p.total} samples", f"episode {p.episode}/{episodes}")
    table.add_row("best so far", f"[green]{p.best}[/]", f"pass {p.pass_rate:.2f}",
                  f"{p.tokens_per_s:.1f} tok/s")
    return table


def live_watch(err: Console) -> Watch:
    """Live progress on stderr plus graceful Ctrl-C, entered around the learning loop."""

    @contextmanager
    def watch(runner: Runner, config: RunConfig, run_id: str) -> Iterator[None]:
        with Live(progress_table(runner.progress, run_id, config.episodes), console=err,
                  refresh_per_second=4, transient=True) as live, graceful_interrupt(runner, err.print):
            runner.on_progress = lambda p: live.update(progress_table(p, run_id, config.episodes))
            yield

    return watch


def arm_table(arms: Sequence[ArmResult], title: str) -> Table:
    """Per task and strategy: reward and what it cost (calls), side by side."""
    table = Table(title=title)
    for col in ("task", "strategy", "pulls", "mean reward", "calls/answer", "net reward",
                "pass@1 [95% CI]", "syntax ok", "truncated", "tokens"):
        table.add_column(col, justify="left" if col in ("task", "strategy") else "right",
                         overflow="fold")
    for a in arms:
        lo, hi = a.pass_interval
        table.add_row(plain(a.task), plain(strategy_name(a.strategy)), str(a.pulls), f"{a.mean_reward:.3f}",
                      f"{a.calls_per_answer:.2f}", f"{a.net_reward:.3f}",
                      f"{a.pass_rate:.2f} [{lo:.2f}, {hi:.2f}]", f"{a.syntax_ok_rate:.2f}",
                      f"{a.truncated_rate:.2f}", f"{a.mean_tokens:.0f}")
    return table


def pass_at_k_table(rows: Sequence[Sample]) -> Table:
    """Unbiased pass@k per task over all its samples (k only where n >= k)."""
    table = Table(title="pass@k per task (all templates pooled)")
    table.add_column("task")
    table.add_column("n", justify="right")
    for k in KS:
        table.add_column(f"pass@{k}", justify="right")
    by_task: dict[str, list[bool]] = defaultdict(list)
    for r in rows:
        by_task[r.task].append(r.status == "passed")
    for task, outcomes in sorted(by_task.items()):
        n, c = len(outcomes), sum(outcomes)
        cells = [f"{pass_at_k(n, c, k):.3f}" if n >= k else "-" for k in KS]
        table.add_row(plain(task), str(n), *cells)
    return table


def evaluation_table(ev: Evaluation) -> Table:
    table = Table(title="fresh answers: learned strategy vs default template (never learned from)")
    for col in ("task", "learned strategy", "n", "pass@1 learned", "pass@1 default",
                "reward learned", "reward default", "calls/answer"):
        table.add_column(col, justify="left" if col in ("task", "learned strategy") else "right",
                         overflow="fold")
    for t in ev.tasks:
        table.add_row(plain(t.task), plain(strategy_name(t.learned)), str(t.n), f"{t.learned_pass:.2f}", f"{t.default_pass:.2f}",
                      f"{t.learned_reward:.3f}", f"{t.default_reward:.3f}",
                      f"{t.learned_calls:.2f} vs {t.default_calls:.2f}")
    p, r = ev.pass_uplift, ev.reward_uplift
    table.add_section()
    table.add_row("uplift (95% CI)", "", "", f"{p.diff:+.3f}", f"[{p.low:+.3f}, {p.high:+.3f}]",
                  f"{r.diff:+.3f}", f"[{r.low:+.3f}, {r.high:+.3f}]",
                  f"{ev.learned_calls:.2f} vs {ev.default_calls:.2f}")
    return table


def costs_line(summary: Mapping[str, Any]) -> str:
    wall = summary.get("wall_s") or 0.0
    calls = summary.get("llm_calls", 0)
    rate = f", {60 * calls / wall:.1f} model calls per minute" if wall else ""
    return (f"wall time {wall:.1f} s{rate}; model calls {calls} (+{summary.get('llm_cache_hits', 0)} "
            f"from the cache), {summary.get('strategy_calls', 0)} behind the learning samples; "
            f"sandbox runs {summary.get('sandbox_runs', 0)} (+{summary.get('sandbox_cache_hits', 0)} "
            f"cached); summed over threads: LLM {summary['llm_s']:.1f} s, sandbox "
            f"{summary['sandbox_s']:.2f} s, agent {summary['agent_s']:.3f} s")


def print_run_report(store: Store, run_id: str, out: Console, space: StrategySpace,
                     tasks: Sequence[Task]) -> None:
    result: RunResult = run_result(store, run_id)
    run = store.get_run(run_id) or {}
    rows = store.samples(run_id)
    config, summary = run["config"], result.summary
    out.print(Text.assemble(plain(run_id, "bold"), plain(
        f" {result.status}: {config['agent']} agent, model {config['model']}, "
        f"reward {config['reward']}, {len(rows)} samples")))
    if not rows:
        return
    out.print(arm_table(result.arms, "per strategy (learning answers)"))
    out.print(pass_at_k_table(rows))
    if summary.get("llm_s") is not None:
        out.print(costs_line(summary))
    if summary.get("infra_failures"):
        out.print(f"[yellow]sandbox failures: {summary['infra_failures']}[/] (retried on fresh "
                  "workers; never scored, never shown to the agent)")
    evaluation = result.evaluation
    if evaluation is None:
        out.print("no fresh evaluation answers (the run stopped early, or --eval-samples 0): "
                  "the per-strategy figures above are in-sample")
        return
    out.print(evaluation_table(evaluation))
    out.print(f"[bold]verdict:[/] {evaluation.verdict}")
    by_name = {t.name: t for t in tasks}
    for ev in evaluation.tasks:
        if ev.task not in by_name or ev.learned == ev.default:
            continue
        strategy = space.get(ev.learned)
        messages = render(space.templates.get(strategy.template), by_name[ev.task],
                          space.templates.components)
        text = "\n\n".join(f"[{m['role']}]\n{m['content']}" for m in messages)
        how = (f"temperature {strategy.temperature:g}, selection {strategy.selection}")
        out.print(Panel(plain(text), title=plain(f"learned strategy for {ev.task}: {strategy_name(ev.learned)} "
                                          f"= {ev.learned} ({how})"),
                        title_align="left", expand=False))


def execute(options: RunOptions, out: Console, err: Console) -> tuple[str, str]:
    """`harness run`: the run with live progress, then its report."""
    outcome = start(options, log=err.print, watch=live_watch(err))
    print_run_report(outcome.store, outcome.run_id, out, outcome.space, list(outcome.tasks))
    return outcome.run_id, outcome.status

