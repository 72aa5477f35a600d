"""Reports on a run: per-template tables, pass@k, the learned best prompt, a learning-curve PNG."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from harness.errors import HarnessError
from harness.prompts import TemplateSpace, render
from harness.stats import best_template, group_stats, pass_at_k
from harness.store import Store
from harness.tasks import Task

KS = (1, 5, 10)


def template_table(rows: list[dict[str, Any]], title: str) -> Table:
    table = Table(title=title)
    for col in ("task", "template", "pulls", "mean reward", "pass@1 [95% CI]", "syntax ok",
                "truncated", "tokens"):
        table.add_column(col, justify="left" if col in ("task", "template") else "right")
    stats = sorted(group_stats(rows, ("task", "template")), key=lambda s: (s.key[0], -s.mean_reward))
    for s in stats:
        lo, hi = s.interval
        table.add_row(s.key[0], s.key[1], str(s.n), f"{s.mean_reward:.3f}",
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
        table.add_row(task, str(n), *cells)
    return table


def best_templates(rows: list[dict[str, Any]]) -> dict[str, str]:
    """Per task, the template the samples favour (stats.best_template's rule)."""
    candidates: dict[str, list[tuple[str, float, int]]] = defaultdict(list)
    for s in group_stats(rows, ("task", "template")):
        candidates[s.key[0]].append((s.key[1], s.mean_reward, s.n))
    return {task: best_template(items) for task, items in candidates.items()}


def print_run_report(store: Store, run_id: str, out: Console, space: TemplateSpace,
                     tasks: list[Task], agent: Any = None) -> None:  # noqa: ANN401
    run = store.get_run(run_id)
    if run is None:
        raise HarnessError(f"no run '{run_id}' in {store.path}")
    rows = store.samples(run_id)
    config, summary = run["config"], run["summary"] or {}
    out.print(f"[bold]{run_id}[/] {run['status']}: {config['agent']} agent, model {config['model']}, "
              f"reward {config['reward']}, {len(rows)} samples")
    if not rows:
        return
    out.print(template_table(rows, "per template"))
    out.print(pass_at_k_table(rows))
    if summary.get("llm_s") is not None:
        total = summary["llm_s"] + summary["sandbox_s"] + summary["agent_s"]
        out.print(f"time in LLM {summary['llm_s']:.1f} s, sandbox {summary['sandbox_s']:.2f} s, "
                  f"agent {summary['agent_s']:.3f} s (sandbox+agent {100 * (summary['sandbox_s'] + summary['agent_s']) / total if total else 0:.1f}%); "
                  f"LLM calls {summary.get('llm_calls', 0)}, cached {summary.get('llm_cache_hits', 0)}; "
                  f"sandbox runs {summary.get('sandbox_runs', 0)}, cached {summary.get('sandbox_cache_hits', 0)}")
    learned = best_templates(rows)
    if agent is not None:
        from harness.context import make_context

        learned = {t.name: space.ids[agent.best(make_context(t))] for t in tasks}
    by_name = {t.name: t for t in tasks}
    for task_name, template_id in learned.items():
        if task_name not in by_name:
            continue
        messages = render(space.get(template_id), by_name[task_name], space.components)
        text = "\n\n".join(f"[{m['role']}]\n{m['content']}" for m in messages)
        out.print(Panel(text, title=f"learned best prompt for {task_name}: {template_id}",
                        title_align="left", expand=False))


def learning_curve(rows: list[dict[str, Any]], path: Path, title: str) -> Path:
    """Reward per episode for each template (markers) and the running mean (line)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=110)
    by_template: dict[str, dict[int, list[float]]] = defaultdict(lambda: defaultdict(list))
    for r in rows:
        by_template[r["template"]][int(r["episode"])].append(float(r["reward"]))
    for template, episodes in sorted(by_template.items()):
        xs = sorted(episodes)
        ax.plot(xs, [sum(episodes[x]) / len(episodes[x]) for x in xs], "o", alpha=0.7,
                label=template if len(by_template) <= 12 else None)
    ordered = sorted(rows, key=lambda r: (int(r["episode"]), r["created"]))
    running, total = [], 0.0
    for i, r in enumerate(ordered, 1):
        total += float(r["reward"])
        running.append(total / i)
    if ordered:
        xs = [int(r["episode"]) for r in ordered]
        ax.plot(xs, running, "-", color="black", lw=2, label="running mean reward")
    ax.set_xlabel("episode")
    ax.set_ylabel("reward")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path
