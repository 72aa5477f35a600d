"""Rich tables and PNG plots of the strategy replay (harness/bench/strategy_benchmark.py).

The classic replay's are in harness/bench/classic_output.py; what both show alike (cells,
regret and transfer plots, the sensitivity table, agents.json) is in harness/bench/render.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from harness.bench import render
from harness.bench.aggregate import TransferResult
from harness.bench.split import held_count
from harness.bench.strategies import DEFAULT_STRATEGY
from harness.bench.strategy_results import TRANSFER_GOAL, StrategyResult, ValueRow


def _budget(result: StrategyResult, b: int) -> str:
    return f"B={b}\n{b * result.cells} calls"


def honesty_note(result: StrategyResult) -> str:
    """What the intervals cover, for every caption."""
    cfg = result.config
    _, most = result.table["samples_min_max"]
    spread = ("± / [ ]: the central 95% of the per-seed figures (not the standard error of "
              "their mean: it does not shrink with more seeds); bootstrap [ ] over seeds for "
              "calls to find and ratios (Monte Carlo precision only).")
    if cfg.heldout <= 0:
        return "In sample: agents are dealt and scored on the same answers (optimistic).  " + spread
    held = held_count(int(most), cfg.heldout)
    return (f"Out of sample: per seed each cell's answers are split at random, {int(most) - held} "
            f"dealt + {held} held out (of {most}); agents see only the dealt ones, the oracle, "
            "regret, found and every value come only from the held-out ones.  The split is "
            "redrawn per seed, so the spread over seeds includes the table's own sampling noise "
            f"(a {held}-of-{most} held-out mean varies from split to split about as much as a "
            f"{most}-answer mean from table to table) besides the agents' randomness.  " + spread)


def agent_table(result: StrategyResult) -> Any:
    """Agents as rows: regret, simple regret and found-rate per budget, calls vs uniform."""
    from rich.table import Table

    cfg = result.config
    top = max(cfg.budgets)
    info = result.table
    target_note = "" if result.find_target == cfg.target_rate else (
        f" (uniform never finds {cfg.target_rate:.0%}: the target is its found-rate at B={top})"
    )
    table = Table(
        title=f"Agents over {len(result.arms)} strategies ({info['templates']} templates x "
        f"{len(info['temperatures'])} temperature(s) x {', '.join(cfg.selections)}) on "
        f"{info['tasks']} tasks, {len(cfg.seeds)} seeds (reward {cfg.reward}, call price "
        f"{cfg.call_price:g}, K={cfg.samples_per_decision})",
        caption=f"Counted in calls: B=b is b calls per cell (template x temperature) per task.  "
        f"regret: cumulative held-out regret per task (oracle value - value of each pull, value "
        f"= reward - {cfg.call_price:g} x (calls - 1)).  SR · found: simple regret of best() · "
        f"share of tasks within {cfg.threshold:.2f} of the oracle.  to {result.find_target:.0%}: "
        f"calls per task until {result.find_target:.0%} of (task, seed) pairs are found"
        f"{target_note}; x uniform: its ratio to uniform's.  calls/pull: 1 = always single.  "
        "reused: answers dealt from a used-up deck.  " + honesty_note(result),
        show_lines=True,
    )
    table.add_column("agent")
    table.add_column(f"regret\n@B{top}", justify="right")
    for b in cfg.budgets:
        table.add_column(f"{_budget(result, b)}\nSR · found", justify="right")
    for col in (f"calls to\n{result.find_target:.0%}", "x\nuniform", "calls\n/pull", "steps/s",
                "reused"):
        table.add_column(col, justify="right")
    max_calls = top * result.cells
    for a in result.agents:
        fixed = a.kind == "baseline"
        exact = a.name == "oracle"
        table.add_row(a.name, render.regret_cell(a, exact),
                      *render.budget_cells(a, cfg.budgets, exact),
                      render.find_cell(a.kind, a.calls_to_find, max_calls),
                      render.bracket(a.vs_uniform, 2), f"{a.calls_per_pull:.2f}",
                      render.speed_cell(a),
                      "-" if fixed else f"{a.reused:.0%}", style="dim" if fixed else None)
    return table


def _delta(row: ValueRow, other: str) -> str:
    figures = row.versus.get(other)
    if not figures:
        return "-"
    e = figures["value"]
    colour = "green" if e.lo > 0 else "red" if e.hi < 0 else "default"
    return f"[{colour}]{e.mean:+.3f}[/]\n±{render.half(e):.3f}"


def value_table(result: StrategyResult, budget: int | None = None) -> Any:
    """What learning buys: the held-out worth of each agent's recommendation after a budget."""
    from rich.table import Table

    cfg = result.config
    budget = budget or max(cfg.budgets)
    others = [b for b in cfg.budgets if b != budget]
    table = Table(
        title=f"Value of learning: the recommended strategy per task after {budget * result.cells} "
        f"calls per task (B={budget}), scored on held-out answers",
        caption="reward / pass@1 / calls: held-out expectation of one use of the recommended "
        "strategy, averaged over tasks.  Δ: paired difference in value (reward - "
        f"{cfg.call_price:g} x (calls - 1)) against uniform's recommendation at the same budget, "
        "the best single strategy (one for all tasks, chosen on the dealt answers) and the "
        f"default ({result.default or DEFAULT_STRATEGY + ': not in the table'}); green/red: the "
        "interval excludes 0.  "
        "oracle: the per-task best on the held-out answers (an optimistic ceiling).  "
        "strategy: the most common recommendation.  " + honesty_note(result),
        show_lines=True,
    )
    for col in ("agent", "strategy"):
        table.add_column(col)
    for col in ("reward", "pass@1", "calls", "Δ uniform", "Δ best\nsingle", "Δ default",
                *(f"value\n@B={b}" for b in others)):
        table.add_column(col, justify="right")
    for row in result.value:
        if row.kind == "agent" and row.budget != budget:
            continue
        smaller = []
        for b in others:
            at = next((v for v in result.value if v.name == row.name and v.budget == b), None)
            smaller.append("-" if at is None
                           else f"{at.value.mean:.3f}\n±{render.half(at.value):.3f}")
        if row.kind == "baseline":
            smaller = ["" for _ in others]
        table.add_row(
            row.name, row.strategy.replace("@", "\n@"),
            f"{row.reward.mean:.3f}\n±{render.half(row.reward):.3f}",
            f"{row.passed.mean:.0%}\n±{render.half(row.passed) * 100:.0f}",
            f"{row.calls.mean:.2f}", _delta(row, "uniform") if row.name != "uniform" else "0",
            _delta(row, "best_single"), _delta(row, "default"), *smaller,
            style="dim" if row.kind == "baseline" else None,
        )
    return table


def selection_table(result: StrategyResult) -> Any:
    """Is choosing among answers (or repairing one) worth its calls, whatever the template?"""
    from rich.table import Table

    table = Table(
        title="Ways of choosing answers, whatever the template: held-out outcome of one use, "
        "averaged over tasks and templates",
        caption="reward / pass@1 / calls: held-out expectation of one use; Δ: paired difference "
        "against one call (single) at the same temperature; green/red: the interval excludes 0.  "
        "No learner chooses here.  " + honesty_note(result),
        show_lines=True,
    )
    for col in ("T", "selection"):
        table.add_column(col)
    for col in ("reward", "pass@1", "calls", "Δ reward\nvs single", "Δ pass@1\nvs single"):
        table.add_column(col, justify="right")

    def delta(e: Any, percent: bool) -> str:  # noqa: ANN401
        if e is None:
            return "-"
        colour = "green" if e.lo > 0 else "red" if e.hi < 0 else "default"
        scale, unit = (100, " pp") if percent else (1, "")
        return f"[{colour}]{e.mean * scale:+.{0 if percent else 3}f}{unit}[/]\n" \
               f"±{render.half(e) * scale:.{0 if percent else 3}f}"

    for row in result.selections:
        table.add_row(
            f"{row.temperature:g}", row.selection,
            f"{row.reward.mean:.3f}\n±{render.half(row.reward):.3f}",
            f"{row.passed.mean:.0%}\n±{render.half(row.passed) * 100:.0f}",
            f"{row.calls.mean:.2f}",
            "0" if row.selection == "single" else delta(row.versus_single.get("reward"), False),
            "0" if row.selection == "single" else delta(row.versus_single.get("passed"), True),
        )
    return table


def transfer_table(result: StrategyResult) -> Any:
    """Held-out regret of trained contextual agents vs the best context-free agent from scratch."""
    from rich.table import Table

    cfg = result.config
    table = Table(
        title=f"Transfer: trained on the other tasks ({cfg.transfer_train_budget} calls/cell "
        f"each), then {cfg.transfer_budget} calls/cell on each held-out task; "
        f"{render.heldout_text(cfg.transfer_split)}",
        caption="cumulative held-out regret per held-out task after B calls/cell: trained agent / "
        f"best context-free agent from scratch; ratio (goal <= {TRANSFER_GOAL:.1f}, and never "
        "above 1.0) with a bootstrap 95% CI; worst: the highest ratio along the curve (from half "
        "a call per cell on) and where.  " + honesty_note(result),
        show_lines=True,
    )

    def worst(t: TransferResult) -> str:
        ratio, at = result.transfer_worst[t.agent]
        colour = "green" if ratio.mean <= 1 else "red"
        return f"[{colour}]{ratio.mean:.2f}[/] @{at}\n[{ratio.lo:.2f}, {ratio.hi:.2f}]"

    render.transfer_rows(
        table, result.transfer, lambda b: _budget(result, b),
        lambda ratio: "green" if ratio <= TRANSFER_GOAL else "yellow" if ratio <= 1 else "red",
        {"worst\nratio": worst},
    )
    return table


def plot(result: StrategyResult, out: Path) -> list[Path]:
    """Regret curves over calls, value of the recommendation vs budget, transfer curves."""
    plt = render.pyplot()
    out.mkdir(parents=True, exist_ok=True)
    cfg = result.config
    shown = [a for a in result.agents if a.name != "oracle"]
    agents = [a.name for a in shown if a.kind == "agent"]
    colour = render.colours(shown)
    paths = [render.regret_plot(
        shown, colour, [b * result.cells for b in cfg.budgets], out / "regret_curves.png",
        "calls per task", "cumulative held-out regret per task",
        f"Cumulative regret vs the held-out oracle ({len(cfg.seeds)} seeds, 95% CI)",
    )]

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.5))
    budgets = np.array(cfg.budgets)
    for i, name in enumerate(agents):
        rows = [next(v for v in result.value if v.name == name and v.budget == b) for b in budgets]
        dodge = 1 + 0.025 * (i - (len(agents) - 1) / 2)  # side by side, so the bars stay readable
        for ax, metric in ((ax1, "value"), (ax2, "passed")):
            est = [getattr(r, metric) for r in rows]
            ax.errorbar(budgets * result.cells * dodge, [e.mean for e in est],
                        yerr=[[e.mean - e.lo for e in est], [e.hi - e.mean for e in est]],
                        marker="o", capsize=3, label=name, color=colour[name])
    for row in result.value:
        if row.kind == "baseline":
            for ax, metric in ((ax1, "value"), (ax2, "passed")):
                ax.axhline(getattr(row, metric).mean, color=colour[row.name], linewidth=1,
                           linestyle=":" if row.name == "oracle" else "--", label=row.name)
    for ax in (ax1, ax2):
        ax.set_xscale("log")
        ax.minorticks_off()
        ax.set_xticks(budgets * result.cells, [str(b * result.cells) for b in budgets])
        ax.set_xlabel("budget (calls per task)")
    ax1.set_ylabel("held-out value of the recommendation")
    ax2.set_ylabel("held-out pass@1 of the recommendation")
    ax1.legend(fontsize=7)
    fig.suptitle("Value of learning: the recommendation on held-out answers (central 95% of seeds)")
    paths.append(render.save(fig, out / "value_of_learning.png"))

    if result.transfer:
        paths.append(render.transfer_plot(result.transfer, colour, out / "transfer.png",
                                          "calls per held-out task",
                                          "cumulative held-out regret per task"))
    if result.selections:
        paths.append(selection_plot(result, out / "selections.png"))
    return paths


def selection_plot(result: StrategyResult, path: Path) -> Path:
    """Held-out pass@1 against calls per answer for every way of choosing answers: what each
    extra call buys, one line per temperature."""
    plt = render.pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    for temperature in dict.fromkeys(r.temperature for r in result.selections):
        rows = [r for r in result.selections if r.temperature == temperature]
        colour = None
        # best of k joined from single up; repair a marker of its own (another way to spend a call)
        for group, style in (([r for r in rows if r.selection != "repair"], "-o"),
                             ([r for r in rows if r.selection == "repair"], "s")):
            if not group:
                continue
            drawn = ax.errorbar([r.calls.mean for r in group], [r.passed.mean for r in group],
                                yerr=[[r.passed.mean - r.passed.lo for r in group],
                                      [r.passed.hi - r.passed.mean for r in group]],
                                fmt=style, capsize=3, color=colour,
                                label=f"T={temperature:g}" if colour is None else None)
            colour = drawn[0].get_color()
            for r in group:
                ax.annotate(r.selection, (r.calls.mean, r.passed.mean), textcoords="offset points",
                            xytext=(4, -10), fontsize=7, color=colour)
    ax.set_xlabel("calls per answer (expected)")
    ax.set_ylabel("held-out pass@1")
    ax.legend(fontsize=8)
    ax.set_title("Ways of choosing answers, averaged over tasks and templates\n"
                 "(central 95% of seeds)", fontsize=10)
    return render.save(fig, path)


def write_outputs(result: StrategyResult, out: Path) -> list[Path]:
    """agents.json (every figure, "mode": "strategies") plus the PNG plots."""
    return render.write_figures(result, out, plot)
