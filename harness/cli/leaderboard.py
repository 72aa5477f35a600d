"""`harness publish` and `harness leaderboard ...`: results out of the run store, onto the site."""

from __future__ import annotations

from pathlib import Path

import click

from harness.cli import HarnessGroup
from harness.cli.options import home_option, tasks_dir_option


@click.command("publish")
@click.argument("run_id", metavar="RUN")
@click.option("--name", default=None,
              help="Display name on the leaderboard (default: model / agent).")
@click.option("--results", type=click.Path(path_type=Path, file_okay=False),
              default=Path("leaderboard/results"), show_default=True,
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
              default=Path("leaderboard/site"), show_default=True, help="Where to write the site.")
@click.option("--check", "check_only", is_flag=True,
              help="Only recompute and verify every claimed score (for CI of a results repository).")
def leaderboard_build(results: Path, out: Path, check_only: bool) -> None:
    """Recompute every score from samples.jsonl, fail on any mismatch, then render the site."""
    from harness.leaderboard.build import build_site
    from harness.leaderboard.check import check_results

    if check_only:
        runs = check_results(results)
        click.echo(f"ok: {len(runs)} runs, {sum(len(r.samples) for r in runs)} samples verified "
                   f"in {results}")
        return
    built = build_site(results, out)
    click.echo(f"built {built.index} ({built.runs} runs, {built.samples} samples verified)")
