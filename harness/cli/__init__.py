"""The `harness` command line: parses flags and calls library functions, nothing more.

This module holds the root group and its error handling; each command group lives in its
own module (named for what the user types) and is registered on the root group below.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from harness.errors import HarnessError


class HarnessGroup(click.Group):
    """Turns user mistakes (HarnessError) into a one-line error and a non-zero exit."""

    def main(self, args: Any = None, **kwargs: Any) -> Any:  # type: ignore[override]  # noqa: ANN401 - click's overloads; we only record argv
        argv = list(args) if args is not None else sys.argv[1:]
        kwargs.setdefault("obj", {})["argv"] = argv  # the exact command, for provenance
        return super().main(args=argv, **kwargs)

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except click.BadParameter as exc:
            _name_the_variable(exc)
            raise
        except HarnessError as exc:
            from harness.console import plain

            click.echo(f"Error: {plain(str(exc)).plain}", err=True)  # as click shows its own
            ctx.exit(exc.exit_code)


def _name_the_variable(exc: click.BadParameter) -> None:
    """A bad value from a HARNESS_* variable: say which variable, since the user typed no flag."""
    param, ctx = exc.param, exc.ctx
    if not isinstance(param, click.Option) or ctx is None or param.name is None or exc.param_hint:
        return
    if ctx.get_parameter_source(param.name) is not click.core.ParameterSource.ENVIRONMENT:
        return
    names = [param.envvar] if isinstance(param.envvar, str) else list(param.envvar or ())
    name = next((n for n in names if os.environ.get(n)), None)
    if name is not None:
        exc.param_hint = f"{param.get_error_hint(ctx)} (from ${name})"


@click.group(cls=HarnessGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="harness")
def cli() -> None:
    """A code-generation benchmark harness that learns how to prompt."""


def main() -> None:
    """The console script: harness.toml supplies defaults before click parses the flags."""
    from harness.settings import CONFIG_FILE, default_map, load_config

    try:
        defaults = default_map(cli, load_config(Path(CONFIG_FILE)))
    except HarnessError as exc:
        from harness.console import plain

        click.echo(f"Error: {plain(str(exc)).plain}", err=True)
        sys.exit(2)
    cli.main(default_map=defaults, prog_name="harness")


def _add_commands(root: click.Group) -> None:
    """Register every command module's commands; the command modules import HarnessGroup from
    here, so they are imported only once it exists. `--help` lists commands sorted by name."""
    from harness.cli.bench import bench
    from harness.cli.compare import compare_cmd
    from harness.cli.eval import eval_cmd
    from harness.cli.leaderboard import leaderboard, publish_cmd
    from harness.cli.models import models
    from harness.cli.run import report_cmd, run_cmd
    from harness.cli.sandbox import sandbox
    from harness.cli.tasks import tasks
    from harness.cli.templates import templates

    for command in (eval_cmd, sandbox, tasks, run_cmd, report_cmd, templates, models,
                    publish_cmd, leaderboard, bench, compare_cmd):
        root.add_command(command)


_add_commands(cli)
