"""`harness publish` and `harness leaderboard ...`: results out of the run store, onto the site."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from harness.cli import HarnessGroup
from harness.cli.options import home_option, path_to_write, tasks_dir_option

if TYPE_CHECKING:
    from harness.leaderboard.check import VerifiedRun


@click.command("publish")
@click.argument("run_id", metavar="RUN")
@click.option("--name", default=None,
              help="Display name on the leaderboard (default: model / agent).")
@click.option("--results", type=click.Path(path_type=Path, file_okay=False),
              default=Path("leaderboard/results"), show_default=True, callback=path_to_write,
              help="Results directory to publish into.")
@tasks_dir_option
@home_option
def publish_cmd(run_id: str, name: str | None, results: Path, tasks_dir: Path, home: Path) -> None:
    """Write a finished RUN to RESULTS/<run-id>/ (run.json + samples.jsonl) for the leaderboard."""
    from harness.leaderboard.publish import publish_run

    done = publish_run(home, run_id, tasks_dir, results, name)
    state = "published" if done.changed else "already published, unchanged:"
    click.echo(f"{state} {done.run_id} ({done.samples} samples) in {done.folder}")


@click.group(cls=HarnessGroup)
def leaderboard() -> None:
    """Verify published results and build the static leaderboard site."""


@leaderboard.command("build")
@click.option("--results", type=click.Path(path_type=Path, file_okay=False),
              default=Path("leaderboard/results"), show_default=True, help="Published results.")
@click.option("--out", type=click.Path(path_type=Path, file_okay=False),
              default=Path("leaderboard/site"), show_default=True, callback=path_to_write,
              help="Where to write the site.")
@click.option("--check", "check_only", is_flag=True,
              help="Only recompute and verify every claimed score (for CI of a results repository).")
@click.option("--regrade", is_flag=True,
              help="Also run every published answer again in the sandbox and fail on any verdict "
                   "that does not reproduce (with --check: verify only, build nothing).")
@click.option("--tasks-dir", "tasks_dirs", multiple=True,
              type=click.Path(path_type=Path, file_okay=False),
              help="With --regrade: a folder of the runs' task folders (repeatable; default: the "
                   "usual lookup, ./tasks and the built-in tasks).")
@home_option
def leaderboard_build(results: Path, out: Path, check_only: bool, regrade: bool,
                      tasks_dirs: tuple[Path, ...], home: Path) -> None:
    """Recompute every score from samples.jsonl, fail on any mismatch, then render the site."""
    from harness.leaderboard.build import build_site
    from harness.leaderboard.check import check_results

    runs = check_results(results)
    if regrade:
        regrade_cli(runs, tasks_dirs, home)
    if check_only:
        click.echo(f"ok: {len(runs)} runs, {sum(len(r.samples) for r in runs)} samples verified "
                   f"in {results}")
        return
    built = build_site(results, out)
    click.echo(f"built {built.index} ({built.runs} runs, {built.samples} samples verified)")


def regrade_cli(runs: list[VerifiedRun], tasks_dirs: tuple[Path, ...], home: Path) -> None:
    """`--regrade` with a progress bar over every published answer."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from harness.console import console
    from harness.leaderboard.regrade import regrade_runs
    from harness.tasks.sources import given_sources, task_sources

    search = given_sources(tasks_dirs) if tasks_dirs else task_sources()
    err = console(stderr=True)
    total = sum(len(v.samples) for v in runs)
    with Progress(TextColumn("regrading"), BarColumn(), MofNCompleteColumn(), console=err,
                  transient=True) as progress:
        bar = progress.add_task("regrade", total=total)
        done = regrade_runs(runs, search, home, log=lambda m: err.print(m),
                            on_done=lambda n: progress.advance(bar, n))
    click.echo(f"regraded: {done.samples} samples of {done.runs} runs reproduce "
               f"({done.executed} run in the sandbox, the rest from the execution cache)")
