"""`harness bench ...`: offline agent benchmarks over a recorded response table, and the
recording of that table. The progress bars and tables are drawn here; harness.bench.agents
returns the replay and harness.bench.record the rows."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from harness.cli import HarnessGroup
from harness.cli.options import (
    endpoint_options,
    endpoint_request,
    executor_config,
    executor_options,
    home_option,
    path_to_write,
    sandbox_options,
    tasks_dir_option,
)
from harness.errors import HarnessError

if TYPE_CHECKING:
    from rich.console import Console

    from harness.bench.agents import AgentsReplay
    from harness.bench.record import Recording


@click.group(cls=HarnessGroup)
def bench() -> None:
    """Offline benchmarks over recorded model answers (no model, no sandbox)."""


@bench.command("agents")
@click.option("--table", "table_path", type=click.Path(path_type=Path, dir_okay=False),
              default=Path("bench/tables/responses.jsonl.gz"), show_default=True,
              help="Response table recorded by `harness bench record` (v1 or v2).")
@click.option("--seeds", type=click.IntRange(1, 100000), default=200, show_default=True,
              help="Independent runs per agent; intervals are over seeds.")
@click.option("--budget", type=click.IntRange(1, 1000), default=None,
              help="Largest budget per task (also scored: 1, 2, 5 below it): pulls per template "
              "(classic replay) or calls per template x temperature cell (strategy replay).  "
              "[default: 10 classic; 5 strategies, the answers a cell deals when 5 of 10 are held out]")
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), default=None,
              callback=path_to_write,
              help="Where agents.json and the PNG plots go.  [default: bench/results/agents "
              "(classic), bench/results/strategies (strategies)]")
@tasks_dir_option
@click.option("--agent", "agents", multiple=True,
              help="Agent to benchmark (repeatable; default: every agent but fixed).")
@click.option("--samples", type=click.IntRange(1, 100), default=1, show_default=True,
              help="Answers per decision (K), as `harness run --samples`.")
@click.option("--reward", default="partial", show_default=True, help="Reward scheme.")
@click.option("--holdout", type=click.FloatRange(0.05, 0.95), default=1 / 3, show_default="1/3",
              help="Share of tasks held out per seed for the transfer test.")
@click.option("--train-budget", type=click.IntRange(1, 1000), default=None,
              help="Budget per training task before transfer (units of --budget).  [default: 2]")
@click.option("--transfer-budget", type=click.IntRange(1, 1000), default=None,
              help="Budget per held-out task in the transfer test (units of --budget).  [default: 5]")
@click.option("--workers", type=click.IntRange(1, 64), default=2, show_default=True,
              help="Processes across seeds.")
@click.option("--selections", default=None, metavar="LIST",
              help="Selection rules crossed with every template x temperature, comma-separated: "
              "single, best_of_2, best_of_3, best_of_5.  [default: all on a v2 table, single on v1]")
@click.option("--temperatures", default=None, metavar="LIST",
              help="Only these recorded temperatures, comma-separated (e.g. 0.2,0.8).  "
              "[default: every temperature the table has complete]")
@click.option("--call-price", type=click.FloatRange(0, 1), default=0.02, show_default=True,
              help="Reward given up per call beyond the first: a strategy must gain 2 points of "
              "reward per extra call at 0.02; 0 ignores cost.")
@click.option("--honest-split", type=click.FloatRange(0, 0.9), default=None,
              help="Share of each cell's answers held out for scoring (agents are dealt the rest); "
              "0 scores in sample.  [default: 0.5 on a v2 table, 0 (the classic replay) on v1]")
def bench_agents_cmd(table_path: Path, seeds: int, budget: int | None, out: Path | None,
                     tasks_dir: Path, agents: tuple[str, ...], samples: int, reward: str,
                     holdout: float, train_budget: int | None, transfer_budget: int | None,
                     workers: int, selections: str | None, temperatures: str | None,
                     call_price: float, honest_split: float | None) -> None:
    """Replay a recorded response table to compare agents: regret, calls vs uniform, value of
    learning, transfer."""
    from rich.progress import Progress

    from harness.bench.agents import bench_agents
    from harness.console import console

    chosen = tuple(s.strip() for s in selections.split(",") if s.strip()) if selections else None
    try:
        temps = (tuple(float(t) for t in temperatures.split(",") if t.strip())
                 if temperatures else None)
    except ValueError:
        raise HarnessError(f"--temperatures takes numbers like 0.2,0.8, got {temperatures!r}") from None
    out_console, err_console = console(), console(stderr=True)
    if not out_console.is_terminal:  # a file or pipe: do not wrap the wide tables at 80 columns
        out_console.width = 180
    with Progress(console=err_console, transient=True) as progress:
        bar = progress.add_task("replaying", total=None)

        def on_progress(done: int, total: int) -> None:
            progress.update(bar, completed=done, total=total)

        replay = bench_agents(table_path, seeds, budget, out, tasks_dir, agents, samples, reward,
                              workers, holdout, train_budget, transfer_budget, selections=chosen,
                              temperatures=temps, call_price=call_price,
                              honest_split=honest_split, on_progress=on_progress)
    print_agents_replay(replay, tasks_dir, out_console)


def print_agents_replay(replay: AgentsReplay, tasks_dir: Path, out: Console) -> None:
    """The tables of a replay, its notes, then its outputs written and the time it took."""
    from harness.bench import classic_output, render, strategy_output
    from harness.bench.agents import write_agents_outputs

    result = replay.result
    if replay.classic:
        out.print(classic_output.agent_table(result))
        if result.transfer:
            out.print(classic_output.transfer_table(result))
    else:
        out.print(strategy_output.agent_table(result))
        out.print(strategy_output.value_table(result))
        if result.selections:
            out.print(strategy_output.selection_table(result))
        if result.transfer:
            out.print(strategy_output.transfer_table(result))
    out.print(render.sensitivity_table(result))
    missing = [n for n in result.notes if "no folder" in n]
    if missing:
        out.print(f"[yellow]{len(missing)} table task(s) have no folder in {tasks_dir}: "
                  "contextual agents saw placeholder features[/]")
    for note in result.notes:
        if "no folder" not in note:
            out.print(f"[yellow]note:[/] {note}")
    paths = write_agents_outputs(replay)
    costs = ", ".join(f"{a.name} {a.cpu_s:.0f}" for a in result.agents if a.kind == "agent")
    out.print(
        f"{result.wall_s:.1f} s wall with {result.config.workers} worker(s); agent runs took "
        f"{result.cpu_s:.0f} CPU-s ({costs})"
    )
    out.print(f"wrote {', '.join(str(p) for p in paths)}")


@bench.command("record")
@click.option("--table", "table_path", type=click.Path(path_type=Path, dir_okay=False),
              default=Path("bench/tables/responses_v2.jsonl.gz"), show_default=True,
              callback=path_to_write)
@click.option("--task", "tasks", multiple=True, help="Task (repeatable; default: a mid-band dozen).")
@click.option("--preset", default="content", show_default=True, help="Templates to record.")
@click.option("--template", "templates", multiple=True,
              help="Only these templates of the preset (repeatable; ids or aliases).")
@click.option("--samples", type=click.IntRange(1, 1000), default=10, show_default=True,
              help="Samples per task x template x temperature cell.")
@click.option("--temperature", "temperatures", type=click.FloatRange(0, 2), multiple=True,
              default=(0.2, 0.8), show_default=True, help="Sampling temperature (repeatable).")
@click.option("--max-tokens", type=click.IntRange(16, 32768), default=512, show_default=True)
@click.option("--repair", is_flag=True,
              help="Record the repair round of every answer in the table that fails a visible "
                   "example, into TABLE's .repair.jsonl.gz (same options as the table's command).")
@endpoint_options
@tasks_dir_option
@home_option
@sandbox_options
@executor_options
def bench_record_cmd(table_path: Path, tasks: tuple[str, ...], preset: str,
                     templates: tuple[str, ...], samples: int, temperatures: tuple[float, ...],
                     max_tokens: int, repair: bool, model: str | None, base_url: tuple[str, ...],
                     api_key: str | None, parallel: int, tasks_dir: Path, home: Path,
                     workers: int, executor: str, ray_address: str | None) -> None:
    """Generate and grade every task x template x sample once, into a response table; with
    --repair, the repair rounds of its answers (resumable)."""
    from harness.bench.record import open_recording, plan_recording
    from harness.console import console

    grading = executor_config(executor, ray_address)
    chosen, space, plan = plan_recording(tasks_dir, tasks, preset, templates, samples,
                                         temperatures, max_tokens)
    err = console(stderr=True)
    request = endpoint_request(model, base_url, api_key, parallel)
    if repair and not table_path.exists():
        raise click.BadParameter(f"{table_path}: no table to repair yet; record it first "
                                 "(the same command without --repair)", param_hint="'--table'")
    with open_recording(table_path, chosen, space, plan, request, home, workers,
                        log=err.print, executor=grading, repair=repair) as recording:
        try:
            rows = record_with_progress(recording, err)
        except KeyboardInterrupt:
            err.print(f"[yellow]stopped[/]; what was graded is in {recording.written} and the run "
                      "store; the same command resumes without repeating a model call")
            raise SystemExit(130) from None
    err.print(f"wrote {len(rows)} rows to {recording.written} ({recording.llm.calls} model calls, "
              f"{recording.llm.cache_hits} cached)")


def record_with_progress(recording: Recording, err: Console) -> list[dict[str, Any]]:
    """Run the recording under a progress bar that shows the pass rate so far."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    columns = (TextColumn("recording"), BarColumn(), MofNCompleteColumn(),
               TextColumn("{task.fields[rate]}"), TimeRemainingColumn())
    with Progress(*columns, console=err) as progress:
        bar = progress.add_task("record", total=recording.total, rate="")
        passed = [0]
        new = [0]

        def on_row(row: dict[str, Any]) -> None:
            passed[0] += row["status"] == "passed"
            new[0] += 1
            progress.update(bar, advance=1, rate=f"pass {passed[0] / new[0]:.2f}")

        return recording.run(on_row, on_start=lambda n: progress.update(bar, completed=n))
