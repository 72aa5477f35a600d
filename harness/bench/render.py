"""How both replays show their figures: rich table cells, the plots they share, agents.json.

The classic replay (harness/bench/classic_output.py) and the strategy replay
(harness/bench/strategy_output.py) print agent rows and transfer rows alike, print the same
sensitivity table and draw the same regret and transfer plots, in their own unit (pulls or
calls) and words; the cells, that table and the plots are made here once.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from harness.bench.aggregate import AgentFigures, Estimate, TransferResult

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# ------------------------------------------------------------------------- table cells


def half(e: Estimate) -> float:
    """Half the interval's width: the "±" of a cell."""
    return (e.hi - e.lo) / 2


def bracket(e: Estimate | None, digits: int) -> str:
    """"mean" over "[lo, hi]" for bootstrap intervals (they need not be symmetric)."""
    if e is None:
        return "-"
    return f"{e.mean:.{digits}f}\n[{num(e.lo, digits)}, {num(e.hi, digits)}]"


def num(value: float, digits: int = 0) -> str:
    return f"{value:.{digits}f}" if math.isfinite(value) else "never"


def regret_cell(agent: AgentFigures, exact: bool) -> str:
    """Cumulative regret, with its ± unless the figure is exact."""
    return f"{agent.cum_regret.mean:.2f}" + ("" if exact else f"\n±{half(agent.cum_regret):.2f}")


def budget_cells(agent: AgentFigures, budgets: Sequence[int], exact: bool) -> list[str]:
    """Per budget: "simple regret · found-rate", with their ± unless exact."""
    return [
        f"{agent.simple_regret[b].mean:.3f} · {agent.found[b].mean:.0%}"
        + ("" if exact else
           f"\n±{half(agent.simple_regret[b]):.3f} · ±{half(agent.found[b]) * 100:.0f}")
        for b in budgets
    ]


def find_cell(kind: str, to_find: Estimate | None, most: int) -> str:
    """Units to find with its bootstrap interval; an agent that never found: "> most"."""
    if kind == "agent" and to_find is None:
        return f"> {most}"
    return bracket(to_find, 0)


def speed_cell(agent: AgentFigures) -> str:
    return "-" if not math.isfinite(agent.steps_per_s) else f"{agent.steps_per_s:,.0f}"


def heldout_text(split: float | Sequence[str]) -> str:
    """The transfer split for a title: a share per seed, or the fixed held-out tasks."""
    if isinstance(split, float):
        return f"{split:.0%} of tasks held out per seed"
    return f"held out: {', '.join(split)}"


def transfer_rows(
    table: Any, transfer: Sequence[TransferResult], budget_label: Callable[[int], str],
    colour: Callable[[float], str],
    extra: Mapping[str, Callable[[TransferResult], str]] | None = None,
) -> None:
    """Columns and a row per agent of a transfer table: trained / scratch regret and their
    ratio per budget (coloured by `colour(ratio)`), then `extra` columns (header -> cell)."""
    extra = extra or {}
    table.add_column("agent")
    table.add_column("vs")
    budgets = transfer[0].budgets if transfer else ()
    for b in budgets:
        table.add_column(f"{budget_label(b)}\nregret", justify="right")
        table.add_column(f"B={b}\nratio", justify="right")
    for header in extra:
        table.add_column(header, justify="right")
    for t in transfer:
        cells = []
        for b in t.budgets:
            r = t.ratio[b]
            cells += [f"{t.trained[b].mean:.2f} / {t.scratch[b].mean:.2f}\n"
                      f"±{half(t.trained[b]):.2f} / ±{half(t.scratch[b]):.2f}",
                      f"[{colour(r.mean)}]{r.mean:.2f}[/]\n[{r.lo:.2f}, {r.hi:.2f}]"]
        table.add_row(t.agent, t.baseline, *cells, *(cell(t) for cell in extra.values()))


def sensitivity_table(result: Any) -> Any:
    """The permutation test per task of either replay's result: which tasks carry a signal."""
    from rich.table import Table

    sens = result.sensitivity
    differ = sum(s.p_value < 0.05 for s in sens)
    table = Table(
        title=f"Does the template matter? {differ} of {len(sens)} tasks at p < 0.05 "
        f"(permutation test, {result.config.permutations} permutations)",
        caption="headroom = oracle mean - mean over templates (uniform's regret per pull); "
        "where p is large no agent can beat uniform",
    )
    for col in ("task", "oracle template", "best", "worst", "headroom", "F", "eta²", "p"):
        table.add_column(col, justify="left" if col in ("task", "oracle template") else "right")
    for s in sens:
        style = None if s.p_value < 0.05 else "dim"
        table.add_row(s.task, s.best_template, f"{s.best_mean:.2f}", f"{s.worst_mean:.2f}",
                      f"{s.headroom:.3f}", f"{s.f_stat:.2f}", f"{s.eta2:.2f}", f"{s.p_value:.4f}",
                      style=style)
    return table


# ------------------------------------------------------------------------------ plots


def pyplot() -> Any:
    """matplotlib.pyplot on the Agg backend (files only, no display)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def colours(shown: Sequence[AgentFigures]) -> dict[str, str]:
    """A colour per agent, in row order; grey for the best single arm, black for the default
    strategy and the oracle."""
    colour = {name: f"C{i}" for i, name in enumerate(a.name for a in shown if a.kind == "agent")}
    colour.update({"best_single": "grey", "default": "black", "oracle": "black"})
    return colour


def save(fig: Figure, path: Path) -> Path:
    """Lay out, write at 120 dpi and close a figure."""
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    pyplot().close(fig)
    return path


def regret_plot(
    shown: Sequence[AgentFigures], colour: Mapping[str, str], budget_marks: Sequence[int],
    path: Path, xlabel: str, ylabel: str, title: str,
) -> Path:
    """Cumulative regret curves (agents with their bands, baselines dashed), budgets marked."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(8, 5))
    for a in shown:
        mean, lo, hi = a.curve
        x = np.arange(1, len(mean) + 1)
        ax.plot(x, mean, label=a.name, color=colour[a.name],
                linestyle="--" if a.kind == "baseline" else "-")
        if a.kind == "agent":
            ax.fill_between(x, lo, hi, alpha=0.2, color=colour[a.name])
    for mark in budget_marks:
        ax.axvline(mark, color="lightgrey", linewidth=0.8, zorder=0)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize=8)
    return save(fig, path)


def transfer_plot(
    transfer: Sequence[TransferResult], colour: Mapping[str, str], path: Path, xlabel: str,
    ylabel: str,
) -> Path:
    """Held-out regret of each trained agent, and of the baseline from scratch (dashed)."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(8, 5))
    for t in transfer:
        trained = t.curves[0]
        ax.plot(np.arange(1, len(trained) + 1), trained, color=colour[t.agent],
                label=f"{t.agent} (trained on the other tasks)")
    scratch, baseline = transfer[0].curves[1], transfer[0].baseline
    ax.plot(np.arange(1, len(scratch) + 1), scratch, "--", color=colour[baseline],
            label=f"{baseline} (from scratch)")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title("Transfer to held-out tasks")
    ax.legend(fontsize=8)
    return save(fig, path)


# ------------------------------------------------------------------------------ files


def write_figures(result: Any, out: Path, plot: Callable[[Any, Path], list[Path]]) -> list[Path]:
    """agents.json (every figure, `result.to_dict()`) plus `plot`'s PNGs; the paths written."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / "agents.json"
    path.write_text(json.dumps(result.to_dict(), indent=1))
    return [path, *plot(result, out)]
