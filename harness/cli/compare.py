"""`harness compare RUN_A RUN_B`: two runs of one store side by side, for a terminal.

The figures come from harness.leaderboard.compare; this module only renders them. Task
names, run ids and model ids came from the store, so they go through `plain`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.text import Text

from harness.cli.options import home_option
from harness.console import plain

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from harness.leaderboard.compare import Comparison, Side

FLIP_TEXT = {"gained": ("B passes, A not", "green"), "lost": ("A passes, B not", "red"), "": ("", "")}
"""How the flipped column reads (pass rate crossed 0.5 between the runs)."""


@click.command("compare")
@click.argument("run_a", metavar="RUN_A")
@click.argument("run_b", metavar="RUN_B")
@click.option("--json", "as_json", is_flag=True, help="The comparison as one JSON object.")
@home_option
def compare_cmd(run_a: str, run_b: str, as_json: bool, home: Path) -> None:
    """Compare RUN_B with RUN_A task by task on fresh evaluation answers: pass@1, reward,
    calls per answer, flipped tasks, and B - A over shared tasks with a 95% interval."""
    from harness.console import console, json_line
    from harness.leaderboard.compare import compare_home

    comparison = compare_home(home, run_a, run_b)
    if as_json:
        print(json_line(comparison.to_dict()))
        return
    print_comparison(comparison, console())


def _figure(value: float, side: Side) -> str:
    """A run's figure, starred when it rests on learning answers (in-sample)."""
    return f"{value:.3f}{'*' if side.in_sample else ''}"


def _delta(value: float) -> Text:
    style = "green" if value > 0 else "red" if value < 0 else ""
    return Text(f"{value:+.3f}", style=style)


def comparison_table(c: Comparison) -> Table:
    """One row per shared task: both runs' pass@1 and reward, B - A, cost, and flips."""
    from rich.table import Table

    table = Table(title=Text.assemble("A = ", run_label(c.run_a, c.model_a), "   B = ",
                                      run_label(c.run_b, c.model_b)))
    for name, justify in (("task", "left"), ("A pass@1", "right"), ("B pass@1", "right"),
                          ("Δ", "right"), ("A reward", "right"), ("B reward", "right"),
                          ("Δ ", "right"), ("calls A/B", "right"), ("flipped", "left")):
        table.add_column(name, justify="left" if justify == "left" else "right")
    for t in c.tasks:
        flip, style = FLIP_TEXT[t.flipped]
        table.add_row(plain(t.task), _figure(t.a.pass_rate, t.a), _figure(t.b.pass_rate, t.b),
                      _delta(t.pass_diff), _figure(t.a.reward, t.a), _figure(t.b.reward, t.b),
                      _delta(t.reward_diff), f"{t.a.calls:.2f}/{t.b.calls:.2f}",
                      Text(flip, style=style))
    return table


def run_label(run_id: str, model: str) -> Text:
    return Text.assemble(plain(run_id, "bold"), " (", plain(model or "unknown model"), ")")


def print_comparison(c: Comparison, out: Console) -> None:
    out.print(comparison_table(c))
    if c.in_sample:
        out.print("[dim]* in-sample: learning answers, the run has no fresh evaluation answers[/]")
    p, r = c.pass_diff, c.reward_diff
    out.print(f"overall B - A over {len(c.tasks)} shared tasks: "
              f"pass@1 {p.diff:+.3f} [{p.low:+.3f}, {p.high:+.3f}], "
              f"reward {r.diff:+.3f} [{r.low:+.3f}, {r.high:+.3f}] (95% bootstrap), "
              f"calls per answer {c.calls_a:.2f} (A) / {c.calls_b:.2f} (B)")
    if c.gained or c.lost:
        out.print(Text.assemble(f"flipped: {len(c.gained)} gained by B (",
                                plain(", ".join(c.gained) or "none"), f"), {len(c.lost)} lost (",
                                plain(", ".join(c.lost) or "none"), ")"))
    if not c.same_model:
        out.print(Text.assemble("models differ: A ", plain(c.model_a), ", B ", plain(c.model_b)))
    out.print(Text.assemble(Text("verdict: ", style="bold"), plain(c.verdict)))
    for warning in c.warnings:
        out.print(Text.assemble(Text("warning: ", style="yellow"), plain(warning)))
