"""Options shared by several commands, declared once so their names, defaults and help agree."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from harness.tasks.sources import TaskSearch

F = TypeVar("F", bound=Callable[..., Any])


def invoked_command() -> str:
    """The command line as typed, without local absolute paths (it is published)."""
    from harness.provenance import command_line

    return command_line()


def _task_search(ctx: click.Context, param: click.Parameter, value: Path | None) -> TaskSearch:
    """--tasks-dir resolved into the labelled folders to search (harness.tasks.sources); the
    label says how the folder was given, so errors and `tasks list` name the flag or variable."""
    from click.core import ParameterSource

    from harness.tasks.sources import ENV_VAR, FLAG, task_sources

    given = ctx.get_parameter_source(param.name or "tasks_dir")
    label = (ENV_VAR if given is ParameterSource.ENVIRONMENT
             else "harness.toml tasks_dir" if given is ParameterSource.DEFAULT_MAP else FLAG)
    return task_sources(value, explicit_label=label)


def tasks_dir_option(func: F) -> F:
    """--tasks-dir: where task folders are read from; the command gets a TaskSearch."""
    return click.option(
        "--tasks-dir", type=click.Path(path_type=Path, file_okay=False), default=None,
        envvar="HARNESS_TASKS_DIR", callback=_task_search,
        help="Folder of task folders [default: $HARNESS_TASKS_DIR, else ./tasks (when it exists) "
             "and the built-in tasks].",
    )(func)


def new_tasks_dir_option(func: F) -> F:
    """--tasks-dir as given (None when not): `tasks new` may create the folder."""
    return click.option(
        "--tasks-dir", type=click.Path(path_type=Path, file_okay=False), default=None,
        envvar="HARNESS_TASKS_DIR",
        help="Folder to create the task in [default: $HARNESS_TASKS_DIR, else ./tasks].",
    )(func)


def home_option(func: F) -> F:
    """--home: the run store, shared by every command that caches or records."""
    return click.option(
        "--home", type=click.Path(path_type=Path, file_okay=False), default=Path(".harness"),
        envvar="HARNESS_HOME", show_default=True, help="Run store folder (SQLite, caches, policies).",
    )(func)


def sandbox_options(func: F) -> F:
    """--workers: how many warm sandbox containers grade in parallel."""
    from harness.sandbox.pool import SandboxConfig

    func = click.option("--workers", type=click.IntRange(1, 16), default=SandboxConfig.workers,
                        envvar="HARNESS_WORKERS",
                        show_default=True, help="Warm sandbox containers.")(func)
    return func


def endpoint_options(func: F) -> F:
    """--model, --base-url, --api-key, --parallel: which model answers, and how many at once."""
    from harness.llm.endpoints import EndpointRequest

    func = click.option("--parallel", type=click.IntRange(1, 64), default=EndpointRequest.parallel,
                        show_default=True,
                        envvar="HARNESS_PARALLEL", help="Concurrent LLM requests.")(func)
    func = click.option("--api-key", envvar="OPENAI_API_KEY", default=None,
                        help="Key for a remote endpoint (env OPENAI_API_KEY).")(func)
    func = click.option("--base-url", envvar="OPENAI_BASE_URL", default=None,
                        help="OpenAI-compatible endpoint URL (env OPENAI_BASE_URL).")(func)
    return click.option("--model", envvar="HARNESS_MODEL", default=None,
                        help="Model id: an embedded model, or the remote endpoint's model.")(func)
