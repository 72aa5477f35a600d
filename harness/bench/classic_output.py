"""Rich tables and PNG plots of the classic replay (harness/bench/classic_benchmark.py).

The strategy replay's are in harness/bench/strategy_output.py; what both show alike (cells,
regret and transfer plots, the sensitivity table, agents.json) is in harness/bench/render.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from harness.bench import render
from harness.bench.classic_benchmark import BenchmarkResult


def agent_table(result: BenchmarkResult) -> Any:
    """Agents as rows: regret, simple regret and found-rate per budget, calls vs uniform, speed.

    Each cell shows the estimate on its first line and its 95% interval on the second.
    """
    from rich.table import Table

    cfg = result.config
    top = max(cfg.budgets)
    max_pulls = top * int(result.table["templates"])
    table = Table(
        title=f"Agents on {result.table['tasks']} tasks x {result.table['templates']} templates, "
        f"{len(cfg.seeds)} seeds (reward {cfg.reward}, K={cfg.samples_per_decision})",
        caption=f"regret: cumulative expected regret per task after {top} pulls/template.  "
        f"B=b: simple regret of best() after b pulls/template · share of tasks within "
        f"{cfg.threshold:.2f} of the oracle.  to {cfg.target_rate:.0%}: pulls/task until "
        f"{cfg.target_rate:.0%} of (task, seed) pairs are within.  settle: mean pulls/task from "
        "which a task's recommendation stays within.  x uniform: ratio to uniform (< 1 = fewer "
        "calls).  reused: pulls of a cell whose answers were all dealt (drawn again).  Second "
        "lines: 95% CI over seeds (± 1.96 SE; bootstrap [ ] for ratios).",
        show_lines=True,
    )
    table.add_column("agent")
    table.add_column(f"regret\n@B{top}", justify="right")
    for b in cfg.budgets:
        table.add_column(f"B={b}\nSR · found", justify="right")
    for col in (f"to\n{cfg.target_rate:.0%}", "x\nuniform", "settle", "x\nuniform", "steps/s",
                "reused"):
        table.add_column(col, justify="right")
    for a in result.agents:
        exact = a.kind == "baseline"  # computed from the table: no interval
        settle = "-" if a.pulls_to_settle is None else (
            f"{a.pulls_to_settle.mean:.0f}\n±{render.half(a.pulls_to_settle):.0f}"
        )
        name = a.name if a.name != "best_single" else f"best_single\n{result.best_single}"
        table.add_row(name, render.regret_cell(a, exact),
                      *render.budget_cells(a, cfg.budgets, exact),
                      render.find_cell(a.kind, a.pulls_to_find, max_pulls),
                      render.bracket(a.vs_uniform, 2), settle,
                      render.bracket(a.settle_vs_uniform, 2),
                      render.speed_cell(a), "-" if exact else f"{a.reused:.0%}",
                      style="dim" if exact else None)
    return table


def transfer_table(result: BenchmarkResult) -> Any:
    """Held-out regret of trained contextual agents vs the best context-free agent from scratch."""
    from rich.table import Table

    cfg = result.config
    table = Table(
        title=f"Transfer: trained on the other tasks ({cfg.transfer_train_budget} pulls/template "
        f"each), then {cfg.transfer_budget} pulls/template on each held-out task; "
        f"{render.heldout_text(cfg.transfer_split)}",
        caption="cumulative regret per held-out task after b pulls/template: trained agent / best "
        "context-free agent from scratch; ratio (goal <= 0.70) with a bootstrap 95% CI",
        show_lines=True,
    )
    render.transfer_rows(table, result.transfer, lambda b: f"B={b}",
                         lambda ratio: "green" if ratio <= 0.7 else "yellow")
    return table


def plot(result: BenchmarkResult, out: Path) -> list[Path]:
    """Regret curves with 95% bands, simple regret / found-rate vs budget, transfer curves."""
    plt = render.pyplot()
    out.mkdir(parents=True, exist_ok=True)
    cfg = result.config
    n_arms = int(result.table["templates"])
    shown = [a for a in result.agents if a.name != "oracle"]  # the oracle is the zero line
    colour = render.colours(shown)
    paths = [render.regret_plot(
        shown, colour, [b * n_arms for b in cfg.budgets], out / "regret_curves.png",
        "pulls per task", "cumulative expected regret per task",
        f"Cumulative regret vs the per-task oracle ({len(cfg.seeds)} seeds, 95% CI)",
    )]

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.5))
    budgets = np.array(cfg.budgets)
    for a in shown:
        for ax, values in ((ax1, a.simple_regret), (ax2, a.found)):
            mean = np.array([values[b].mean for b in budgets])
            err = np.array([(values[b].hi - values[b].lo) / 2 for b in budgets])
            ax.errorbar(budgets, mean, yerr=err, marker="o", capsize=3, label=a.name,
                        color=colour[a.name], linestyle="--" if a.kind == "baseline" else "-")
    for ax in (ax1, ax2):
        ax.set_xscale("log")
        ax.set_xticks(budgets, [str(b) for b in budgets])
        ax.set_xlabel("budget (pulls per template per task)")
    ax1.set_ylabel("simple regret of best()")
    ax2.set_ylabel(f"share within {cfg.threshold:.2f} of the oracle")
    ax1.legend(fontsize=8)
    fig.suptitle("Recommendation quality vs budget (95% CI over seeds)")
    paths.append(render.save(fig, out / "simple_regret.png"))

    if result.transfer:
        paths.append(render.transfer_plot(result.transfer, colour, out / "transfer.png",
                                          "pulls per held-out task",
                                          "cumulative expected regret per task"))
    return paths


def write_outputs(result: BenchmarkResult, out: Path) -> list[Path]:
    """agents.json (every figure) plus the PNG plots; returns the paths written."""
    return render.write_figures(result, out, plot)
