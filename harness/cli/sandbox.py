"""`harness sandbox ...`: build, check and measure the Docker sandbox."""

from __future__ import annotations

from pathlib import Path

import click

from harness.cli import HarnessGroup
from harness.cli.options import path_to_write, sandbox_options, tasks_dir_option


@click.group(cls=HarnessGroup)
def sandbox() -> None:
    """Build, check and measure the Docker sandbox."""


@sandbox.command("build")
@click.option("--force", is_flag=True, help="Rebuild even if the image exists.")
def sandbox_build(force: bool) -> None:
    """Build the sandbox image (from Debian packages when no registry answers)."""
    from harness.console import console
    from harness.sandbox.image import docker_client, ensure_image

    out = console()
    with out.status("building sandbox image"):
        tag = ensure_image(docker_client(), log=lambda m: out.print(f"  {m}"), force=force)
    out.print(f"[green]ready[/] {tag}")


@sandbox.command("doctor")
def sandbox_doctor() -> None:
    """Check Docker, the image and that every limit really applies inside a container."""
    from rich.table import Table

    from harness.console import console
    from harness.sandbox.doctor import run_doctor
    from harness.sandbox.pool import SandboxConfig

    checks = run_doctor(SandboxConfig())
    table = Table(title="sandbox doctor")
    for col in ("check", "ok", "seen", "fix"):
        table.add_column(col)
    for check in checks:
        table.add_row(check.name, "[green]yes[/]" if check.ok else "[red]no[/]", check.detail,
                      "" if check.ok else check.fix)
    console().print(table)
    if not all(c.ok for c in checks):
        raise click.ClickException("sandbox doctor found problems (see the fix column)")


@sandbox.command("bench")
@click.option("--programs", type=click.IntRange(4, 5000), default=400, show_default=True,
              help="Programs graded by the warm pool and the host subprocess.")
@click.option("--docker-programs", type=click.IntRange(2, 500), default=24, show_default=True,
              help="Programs graded with one `docker run` each (slow).")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False),
              default=Path("bench/results/sandbox.json"), show_default=True, callback=path_to_write,
              help="Where the figures are written (with the commit and command that made them).")
@tasks_dir_option
@sandbox_options
def sandbox_bench(programs: int, docker_programs: int, out: Path, tasks_dir: Path,
                  workers: int) -> None:
    """Warm pool vs `docker run` per program vs bare host subprocess, in one run."""
    from rich.table import Table

    from harness.console import console
    from harness.sandbox.bench import run_bench, write_figures

    con = console()
    bench = run_bench(tasks_dir, programs, docker_programs, workers, log=con.print,
                      phase=con.status)
    table = Table(title=f"sandbox bench: sort_ints, {bench.tests} tests per program")
    for col in ("method", "programs", "programs/s", "median ms", "passed", "pool speed-up"):
        table.add_column(col, justify="left" if col == "method" else "right")
    for row in bench.rows:
        ratio = bench.speed_up(row) or 0.0
        table.add_row(row.method, str(row.programs), f"{row.per_second:.1f}", f"{row.median_ms:.1f}",
                      str(row.passed), f"{ratio:.1f}x")
    con.print(table)
    con.print(f"figures: {write_figures(bench, out)}")
