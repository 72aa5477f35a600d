"""Reports on a run: per-template tables, pass@k, the learned best prompt, a learning-curve PNG."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from harness.console import plain
from harness.errors import HarnessError
from harness.loop.evaluation import evaluate, evaluation_table
from harness.loop.strategies import StrategySpace
from harness.prompts.space import render
from harness.stats import best_template, group_stats, pass_at_k
from harness.store import Store
from harness.tasks.load import Task

KS = (1, 5, 10)


def template_table(rows: list[dict[str, Any]], title: str, call_price: float = 0.0) -> Table:
    """Per task and strategy: reward and what it cost (calls), side by side."""
    table = Table(title=title)
    for col in ("task", "strategy", "pulls", "mean reward", "calls/answer", "net reward",
                "pass@1 [95% CI]", "syntax ok", "truncated", "tokens"):
        table.add_column(col, justify="left" if col in ("task", "strategy") else "right")
    calls: dict[tuple[str, str], list[int]] = defaultdict(list)
    for r in rows:
        calls[(str(r["task"]), str(r["template"]))].append(int(r.get("calls", 1)))
    stats = sorted(group_stats(rows, ("task", "template")), key=lambda s: (s.key[0], -s.mean_reward))
    for s in stats:
        lo, hi = s.interval
        per = sum(calls[s.key]) / len(calls[s.key])  # type: ignore[index]
        table.add_row(plain(s.key[0]), plain(s.key[1]), str(s.n), f"{s.mean_reward:.3f}", f"{per:.2f}",
                      f"{s.mean_reward - call_price * (per - 1):.3f}",
                      f"{s.pass_rate:.2f} [{lo:.2f}, {hi:.2f}]", f"{s.syntax_ok_rate:.2f}",
                      f"{s.truncated_rate:.2f}", f"{s.mean_tokens:.0f}")
    return table


def pass_at_k_table(rows: list[dict[str, Any]]) -> Table:
    """Unbiased pass@k per task over all its samples (k only where n >= k)."""
    table = Table(title="pass@k per task (all templates pooled)")
    table.add_column("task")
    table.add_column("n", justify="right")
    for k in KS:
        table.add_column(f"pass@{k}", justify="right")
    by_task: dict[str, list[bool]] = defaultdict(list)
    for r in rows:
        by_task[r["task"]].append(r["status"] == "passed")
    for task, outcomes in sorted(by_task.items()):
        n, c = len(outcomes), sum(outcomes)
        cells = [f"{pass_at_k(n, c, k):.3f}" if n >= k else "-" for k in KS]
        table.add_row(plain(task), str(n), *cells)
    return table


def best_templates(rows: list[dict[str, Any]]) -> dict[str, str]:
    """Per task, the template the samples favour (stats.best_template's rule)."""
    candidates: dict[str, list[tuple[str, float, int]]] = defaultdict(list)
    for s in group_stats(rows, ("task", "template")):
        candidates[s.key[0]].append((s.key[1], s.mean_reward, s.n))
    return {task: best_template(items) for task, items in candidates.items()}


def print_run_report(store: Store, run_id: str, out: Console, space: StrategySpace,
                     tasks: list[Task], agent: Any = None) -> None:  # noqa: ANN401
    run = store.get_run(run_id)
    if run is None:
        raise HarnessError(f"no run '{run_id}' in {store.path}")
    rows = store.samples(run_id)
    config, summary = run["config"], run["summary"] or {}
    out.print(Text.assemble(plain(run_id, "bold"), plain(
        f" {run['status']}: {config['agent']} agent, model {config['model']}, "
        f"reward {config['reward']}, {len(rows)} samples")))
    if not rows:
        return
    out.print(template_table(rows, "per strategy (learning answers)", float(config.get("call_price", 0.0))))
    out.print(pass_at_k_table(rows))
    if summary.get("llm_s") is not None:
        wall = summary.get("wall_s") or 0.0
        calls = summary.get("llm_calls", 0)
        rate = f", {60 * calls / wall:.1f} model calls per minute" if wall else ""
        out.print(f"wall time {wall:.1f} s{rate}; model calls {calls} (+{summary.get('llm_cache_hits', 0)} "
                  f"from the cache), {summary.get('strategy_calls', 0)} behind the learning samples; "
                  f"sandbox runs {summary.get('sandbox_runs', 0)} (+{summary.get('sandbox_cache_hits', 0)} "
                  f"cached); summed over threads: LLM {summary['llm_s']:.1f} s, sandbox "
                  f"{summary['sandbox_s']:.2f} s, agent {summary['agent_s']:.3f} s")
    if summary.get("infra_failures"):
        out.print(f"[yellow]sandbox failures: {summary['infra_failures']}[/] (retried on fresh "
                  "workers; never scored, never shown to the agent)")
    evaluation = evaluate(store.samples(run_id, phase=None), rows, seed=int(config.get("seed", 0)))
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
        out.print(Panel(plain(text), title=plain(f"learned strategy for {ev.task}: {ev.learned} ({how})"),
                        title_align="left", expand=False))


def learning_curve(rows: list[dict[str, Any]], path: Path, title: str,
                   default_level: float | None = None) -> Path:
    """Reward against model calls spent, one line per strategy (its running mean over its own
    samples), the whole run's running mean, and the default template's level on fresh
    answers as a reference: whether learning paid, and at what cost."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=110)
    ordered = sorted(rows, key=lambda r: r["created"])
    spent, xs, running, total = 0, [], [], 0.0
    per: dict[str, tuple[list[int], list[float]]] = defaultdict(lambda: ([], []))
    sums: dict[str, float] = defaultdict(float)
    for i, r in enumerate(ordered, 1):
        spent += int(r.get("calls", 1))
        total += float(r["reward"])
        xs.append(spent)
        running.append(total / i)
        line_x, line_y = per[r["template"]]
        sums[r["template"]] += float(r["reward"])
        line_x.append(spent)
        line_y.append(sums[r["template"]] / (len(line_y) + 1))
    for strategy, (line_x, line_y) in sorted(per.items()):
        ax.plot(line_x, line_y, ".-", alpha=0.6, lw=1,
                label=strategy if len(per) <= 12 else None)
    if xs:
        ax.plot(xs, running, "-", color="black", lw=2, label="running mean reward (all samples)")
    if default_level is not None:
        ax.axhline(default_level, color="grey", ls="--", lw=1.5,
                   label=f"default template, fresh answers ({default_level:.2f})")
    ax.set_xlabel("model calls spent")
    ax.set_ylabel("reward (running mean)")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path
