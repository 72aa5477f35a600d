"""Rich tables, PNG plots and JSON of the strategy replay (harness/bench/honest.py)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from harness.bench.honest import TRANSFER_GOAL, StrategyResult, ValueRow
from harness.bench.split import held_count
from harness.bench.strategies import DEFAULT_STRATEGY
from harness.replay import _bracket, _half


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
        return ("In sample: agents are dealt and scored on the same answers (optimistic).  " + spread)
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
        f"{'' if result.find_target == cfg.target_rate else f' (uniform never finds {cfg.target_rate:.0%}: the target is its found-rate at B={top})'}"
        "; x uniform: its ratio to uniform's.  calls/pull: 1 = always single.  reused: answers dealt from a "
        "used-up deck.  " + honesty_note(result),
        show_lines=True,
    )
    table.add_column("agent")
    table.add_column(f"regret\n@B{top}", justify="right")
    for b in cfg.budgets:
        table.add_column(f"{_budget(result, b)}\nSR · found", justify="right")
    for col in (f"calls to\n{result.find_target:.0%}", "x\nuniform", "calls\n/pull", "steps/s", "reused"):
        table.add_column(col, justify="right")
    max_calls = top * result.cells
    for a in result.agents:
        fixed = a.kind == "baseline"
        exact = a.name == "oracle"
        cells = [
            f"{a.simple_regret[b].mean:.3f} · {a.found[b].mean:.0%}"
            + ("" if exact else f"\n±{_half(a.simple_regret[b]):.3f} · ±{_half(a.found[b]) * 100:.0f}")
            for b in cfg.budgets
        ]
        find = _bracket(a.calls_to_find, 0)
        if a.kind == "agent" and a.calls_to_find is None:
            find = f"> {max_calls}"
        speed = "-" if not math.isfinite(a.steps_per_s) else f"{a.steps_per_s:,.0f}"
        regret = f"{a.cum_regret.mean:.2f}" + ("" if exact else f"\n±{_half(a.cum_regret):.2f}")
        table.add_row(a.name, regret, *cells, find, _bracket(a.vs_uniform, 2), f"{a.calls_per_pull:.2f}",
                      speed, "-" if fixed else f"{a.reused:.0%}", style="dim" if fixed else None)
    return table


def _delta(row: ValueRow, other: str) -> str:
    figures = row.versus.get(other)
    if not figures:
        return "-"
    e = figures["value"]
    colour = "green" if e.lo > 0 else "red" if e.hi < 0 else "default"
    return f"[{colour}]{e.mean:+.3f}[/]\n±{_half(e):.3f}"


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
            smaller.append("-" if at is None else f"{at.value.mean:.3f}\n±{_half(at.value):.3f}")
        if row.kind == "baseline":
            smaller = ["" for _ in others]
        table.add_row(
            row.name, row.strategy.replace("@", "\n@"),
            f"{row.reward.mean:.3f}\n±{_half(row.reward):.3f}",
            f"{row.passed.mean:.0%}\n±{_half(row.passed) * 100:.0f}",
            f"{row.calls.mean:.2f}", _delta(row, "uniform") if row.name != "uniform" else "0",
            _delta(row, "best_single"), _delta(row, "default"), *smaller,
            style="dim" if row.kind == "baseline" else None,
        )
    return table


def transfer_table(result: StrategyResult) -> Any:
    """Held-out regret of trained contextual agents vs the best context-free agent from scratch."""
    from rich.table import Table

    cfg = result.config
    split = cfg.transfer_split
    held = f"{split:.0%} of tasks held out per seed" if isinstance(split, float) else (
        f"held out: {', '.join(split)}"
    )
    table = Table(
        title=f"Transfer: trained on the other tasks ({cfg.transfer_train_budget} calls/cell each), "
        f"then {cfg.transfer_budget} calls/cell on each held-out task; {held}",
        caption="cumulative held-out regret per held-out task after B calls/cell: trained agent / "
        f"best context-free agent from scratch; ratio (goal <= {TRANSFER_GOAL:.1f}, and never above "
        "1.0) with a bootstrap 95% CI; worst: the highest ratio along the curve (from half a call "
        "per cell on) and where.  " + honesty_note(result),
        show_lines=True,
    )
    table.add_column("agent")
    table.add_column("vs")
    budgets = result.transfer[0].budgets if result.transfer else ()
    for b in budgets:
        table.add_column(f"{_budget(result, b)}\nregret", justify="right")
        table.add_column(f"B={b}\nratio", justify="right")
    table.add_column("worst\nratio", justify="right")
    for t in result.transfer:
        cells = []
        for b in t.budgets:
            r = t.ratio[b]
            colour = "green" if r.mean <= TRANSFER_GOAL else "yellow" if r.mean <= 1 else "red"
            cells += [f"{t.trained[b].mean:.2f} / {t.scratch[b].mean:.2f}\n"
                      f"±{_half(t.trained[b]):.2f} / ±{_half(t.scratch[b]):.2f}",
                      f"[{colour}]{r.mean:.2f}[/]\n[{r.lo:.2f}, {r.hi:.2f}]"]
        worst, at = result.transfer_worst[t.agent]
        colour = "green" if worst.mean <= 1 else "red"
        cells.append(f"[{colour}]{worst.mean:.2f}[/] @{at}\n[{worst.lo:.2f}, {worst.hi:.2f}]")
        table.add_row(t.agent, t.baseline, *cells)
    return table


def plot(result: StrategyResult, out: Path) -> list[Path]:
    """Regret curves over calls, value of the recommendation vs budget, transfer curves."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    cfg = result.config
    paths = []
    shown = [a for a in result.agents if a.name != "oracle"]
    agents = [a.name for a in shown if a.kind == "agent"]
    colour = {name: f"C{i}" for i, name in enumerate(agents)}
    colour.update({"best_single": "grey", "default": "black", "oracle": "black"})

    fig, ax = plt.subplots(figsize=(8, 5))
    for a in shown:
        mean, lo, hi = a.curve
        x = np.arange(1, len(mean) + 1)
        ax.plot(x, mean, label=a.name, color=colour[a.name],
                linestyle="--" if a.kind == "baseline" else "-")
        if a.kind == "agent":
            ax.fill_between(x, lo, hi, alpha=0.2, color=colour[a.name])
    for b in cfg.budgets:
        ax.axvline(b * result.cells, color="lightgrey", linewidth=0.8, zorder=0)
    ax.set_xlabel("calls per task")
    ax.set_ylabel("cumulative held-out regret per task")
    ax.set_title(f"Cumulative regret vs the held-out oracle ({len(cfg.seeds)} seeds, 95% CI)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    paths.append(out / "regret_curves.png")
    fig.savefig(paths[-1], dpi=120)
    plt.close(fig)

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
    fig.tight_layout()
    paths.append(out / "value_of_learning.png")
    fig.savefig(paths[-1], dpi=120)
    plt.close(fig)

    if result.transfer:
        fig, ax = plt.subplots(figsize=(8, 5))
        for t in result.transfer:
            trained = t.curves[0]
            ax.plot(np.arange(1, len(trained) + 1), trained, color=colour[t.agent],
                    label=f"{t.agent} (trained on the other tasks)")
        scratch, baseline = result.transfer[0].curves[1], result.transfer[0].baseline
        ax.plot(np.arange(1, len(scratch) + 1), scratch, "--", color=colour[baseline],
                label=f"{baseline} (from scratch)")
        ax.set_xlabel("calls per held-out task")
        ax.set_ylabel("cumulative held-out regret per task")
        ax.set_title("Transfer to held-out tasks")
        ax.legend(fontsize=8)
        fig.tight_layout()
        paths.append(out / "transfer.png")
        fig.savefig(paths[-1], dpi=120)
        plt.close(fig)
    return paths


def write_outputs(result: StrategyResult, out: Path) -> list[Path]:
    """agents.json (every figure, "mode": "strategies") plus the PNG plots."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / "agents.json"
    path.write_text(json.dumps(result.to_dict(), indent=1))
    return [path, *plot(result, out)]
