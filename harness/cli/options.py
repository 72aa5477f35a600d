"""Options shared by several commands, declared once so their names, defaults and help agree."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from harness.executor import ExecutorConfig
    from harness.llm.endpoints import EndpointRequest
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


def path_to_write(ctx: click.Context, param: click.Parameter, value: Path | None) -> Path | None:
    """A file or folder the command writes (creating folders on the way): a file standing where
    one of those folders should be is a mistake to report now, not after the work is done."""
    if value is None:
        return None
    on_the_way = next((p for p in value.parents if p.exists()), None)
    if on_the_way is not None and not on_the_way.is_dir():
        raise click.BadParameter(f"'{value}': {on_the_way} is a file, not a folder", ctx, param)
    return value


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
        envvar="HARNESS_TASKS_DIR", callback=path_to_write,
        help="Folder to create the task in [default: $HARNESS_TASKS_DIR, else ./tasks].",
    )(func)


def home_option(func: F) -> F:
    """--home: the run store, shared by every command that caches or records."""
    return click.option(
        "--home", type=click.Path(path_type=Path, file_okay=False), default=Path(".harness"),
        envvar="HARNESS_HOME", show_default=True, callback=path_to_write,
        help="Run store folder (SQLite, caches, policies).",
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
                        envvar="HARNESS_PARALLEL", help="Concurrent LLM requests per server.")(func)
    func = click.option("--api-key", envvar="OPENAI_API_KEY", default=None,
                        help="Key for a remote endpoint (env OPENAI_API_KEY).")(func)
    func = click.option("--base-url", "base_url", envvar="OPENAI_BASE_URL", multiple=True,
                        help="OpenAI-compatible endpoint URL (env OPENAI_BASE_URL). Repeat it for "
                             "more servers of the same model: requests are spread over them; "
                             "the first names the endpoint in the caches.")(func)
    return click.option("--model", envvar="HARNESS_MODEL", default=None,
                        help="Model id: an embedded model, or the remote endpoint's model.")(func)


def endpoint_request(model: str | None, base_url: tuple[str, ...], api_key: str | None,
                     parallel: int) -> EndpointRequest:
    """What endpoint_options collected: the first --base-url is the endpoint, the rest replicas."""
    from harness.llm.endpoints import EndpointRequest

    urls = tuple(url for url in base_url if url.strip())
    return EndpointRequest(model=model, base_url=urls[0] if urls else None, api_key=api_key,
                           parallel=parallel, replicas=urls[1:])


def executor_options(func: F) -> F:
    """--executor, --ray-address: grade on this machine, or on every node of a Ray cluster."""
    from harness.executor import EXECUTORS, ExecutorConfig

    func = click.option("--ray-address", default=None, metavar="ADDRESS|auto",
                        envvar="HARNESS_RAY_ADDRESS",
                        help="Ray cluster to join with --executor ray (`auto`: the one `ray "
                             "start` made on this machine) [default: $RAY_ADDRESS, else start "
                             "Ray here].")(func)
    return click.option("--executor", type=click.Choice(EXECUTORS), default=ExecutorConfig.kind,
                        envvar="HARNESS_EXECUTOR", show_default=True,
                        help="Where programs are graded: this machine's warm pool, or a pool "
                             "on every node of a Ray cluster (pip install 'harness[ray]').")(func)


def executor_config(executor: str, ray_address: str | None) -> ExecutorConfig:
    """The executor the flags ask for; --ray-address typed with the local executor is a
    mistake (a variable or harness.toml key is only ignored)."""
    from click.core import ParameterSource

    from harness.executor import ExecutorConfig

    ctx = click.get_current_context(silent=True)
    if (executor == "local" and ray_address and ctx is not None
            and ctx.get_parameter_source("ray_address") is ParameterSource.COMMANDLINE):
        raise click.UsageError("--ray-address needs --executor ray")
    return ExecutorConfig(kind=executor, ray_address=ray_address or None)
