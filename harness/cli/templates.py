"""`harness templates ...`: the prompt template space the agents search, for a human to read."""

from __future__ import annotations

from pathlib import Path

import click

from harness.cli import HarnessGroup
from harness.cli.options import tasks_dir_option


@click.group(cls=HarnessGroup)
def templates() -> None:
    """The prompt template space the agents search."""


@templates.command("list")
@click.option("--preset", default=None, help="Only the arms of this preset.")
def templates_list(preset: str | None) -> None:
    """Components, presets and named templates."""
    from rich.table import Table

    from harness.console import console
    from harness.loop.options import DEFAULT_STRATEGY_PRESET
    from harness.loop.strategies import STRATEGY_PRESETS, strategy_name, strategy_space
    from harness.prompts.components import COMPONENTS, NAMED, PRESETS
    from harness.prompts.space import default_space

    arm_ids = strategy_space(preset, 0.8).ids if preset else ()  # an unknown preset: before any table
    out = console()
    comp = Table(title="components (a factored template picks one option of each)")
    for col in ("key", "component", "options"):
        comp.add_column(col)
    for c in COMPONENTS:
        comp.add_row(c.key, c.name, ", ".join(f"{i}={o.name}" for i, o in enumerate(c.options)))
    out.print(comp)
    pre = Table(title="presets (`harness run --preset NAME`; "
                      "strategies = template x temperature x selection)")
    for col in ("preset", "arms", "about"):
        pre.add_column(col)
    for name, (about, *_rest) in STRATEGY_PRESETS.items():
        default = " (the default)" if name == DEFAULT_STRATEGY_PRESET else ""
        pre.add_row(name, str(len(strategy_space(name, 0.8).ids)), about + default)
    for name, (about, _) in PRESETS.items():
        pre.add_row(name, str(len(default_space(name).templates)),
                    f"{about}; one call at the run's --temperature")
    out.print(pre)
    sel = Table(title="selections (how a strategy uses its template)")
    for col in ("selection", "calls", "rule"):
        sel.add_column(col)
    sel.add_row("single", "1", "one answer")
    sel.add_row("best_of_k", "1..k", "answers until one passes every visible example (else the one "
                "passing most; no examples: the first with valid syntax); k = 2, 3, 5")
    sel.add_row("repair", "1..2", "one answer; if it fails a visible example, that example and "
                "its error go back to the model once")
    out.print(sel)
    named = Table(title="named templates")
    for col in ("id", "about"):
        named.add_column(col)
    for t in NAMED:
        named.add_row(t.id, t.description)
    out.print(named)
    if preset:
        arms = Table(title=f"arms of preset {preset}")
        for col in ("arm", "name", "id"):
            arms.add_column(col, overflow="fold")
        for i, arm_id in enumerate(arm_ids):
            arms.add_row(str(i), strategy_name(arm_id), arm_id)
        out.print(arms)


@templates.command("show")
@click.argument("template_id", metavar="ID")
@click.option("--task", "task_name", default="sort_ints", show_default=True)
@tasks_dir_option
def templates_show(template_id: str, task_name: str, tasks_dir: Path) -> None:
    """Render template ID for a task, exactly as the model sees it."""
    from harness.console import console
    from harness.loop.strategies import parse_strategy
    from harness.prompts.space import default_space, template_text
    from harness.tasks.load import find_task

    strategy = parse_strategy(template_id, 0.8)
    template = default_space().get(strategy.template)
    if "@" in template_id or "/" in template_id:
        console().print(f"# temperature {strategy.temperature:g}, selection {strategy.selection}",
                        markup=False)
    console().print(template_text(template, find_task(tasks_dir, task_name)), markup=False)
