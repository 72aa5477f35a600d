"""`harness run` and `harness report`: learn prompts for tasks, then show what a run found.

Both render through harness.cli.run_view; the loop itself (harness/loop/) prints nothing.
"""

from __future__ import annotations

from pathlib import Path

import click

from harness.cli.options import (
    endpoint_options,
    endpoint_request,
    executor_config,
    executor_options,
    home_option,
    invoked_command,
    path_to_write,
    sandbox_options,
    tasks_dir_option,
)
from harness.loop.options import RunOptions
from harness.tasks.suites import describe_suites

_RUN = RunOptions()
_PARAMS = _RUN.params
RECORDED = ("tasks", "tags", "suite", "agent", "agent_options", "episodes", "samples", "reward",
            "seed", "preset", "template_ids", "template", "call_price", "eval_samples",
            "temperature", "max_tokens", "fresh")
"""`run` options a run records when it starts: a resumed run keeps its own, so giving one with
--resume is a mistake (the endpoint, store, sandbox and executor options still apply)."""


def recorded_options_given(ctx: click.Context) -> list[str]:
    """The recorded options typed on this command line, as flags."""
    flags = {p.name: p.opts[0] for p in ctx.command.params if p.name}
    return [flags[name] for name in RECORDED
            if ctx.get_parameter_source(name) is click.core.ParameterSource.COMMANDLINE]


def agent_option_pairs(ctx: click.Context, param: click.Parameter,
                       values: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """KEY=VALUE pairs, sorted (the agent checks the keys and converts the values)."""
    pairs = []
    for value in values:
        key, sep, text = value.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"expected KEY=VALUE, got '{value}'", ctx, param)
        pairs.append((key.strip(), text.strip()))
    return tuple(sorted(pairs))


@click.command("run")
@click.option("--task", "tasks", multiple=True, help="Task name (repeatable).")
@click.option("--tag", "tags", multiple=True, help="Add every task with this tag (repeatable).")
@click.option("--suite", default=None, metavar="NAME",
              help="Run a named suite of tasks (--task/--tag add to it): "
                   + describe_suites() + ".")
@click.option("--agent", default=_RUN.agent, show_default=True, envvar="HARNESS_AGENT",
              help="Agent that picks templates (see `harness templates list` for arms).")
@click.option("--agent-opt", "agent_options", multiple=True, metavar="KEY=VALUE",
              callback=agent_option_pairs,
              help="Set a field of the agent's config, e.g. --agent-opt epsilon=0.2 (repeatable).")
@click.option("--episodes", type=click.IntRange(1, 100000), default=_RUN.episodes,
              show_default=True, help="Rounds over the tasks; one template decision per task per round.")
@click.option("--samples", type=click.IntRange(1, 1000), default=_RUN.samples, show_default=True,
              help="Answers per decision.")
@click.option("--reward", default=_RUN.reward, show_default=True, help="Reward scheme.")
@click.option("--seed", type=int, default=_RUN.seed, show_default=True)
@click.option("--preset", default=_RUN.preset, show_default=True,
              help="Named set of strategies to search (`harness templates strategies`).")
@click.option("--templates", "template_ids", default=None,
              help="Comma-separated template or strategy ids (TEMPLATE@t0.2/best_of_3) to search.")
@click.option("--template", default=None,
              help="Use one template or strategy only (implies --agent fixed).")
@click.option("--call-price", type=click.FloatRange(0, 1), default=_RUN.call_price,
              show_default=True,
              help="Reward the agent gives up per model call beyond the first (0: ignore cost).")
@click.option("--eval-samples", type=click.IntRange(0, 1000), default=_RUN.eval_samples,
              show_default=True,
              help="Fresh answers per task of the learned strategy and of the default after "
                   "learning (0 skips the out-of-sample check).")
@click.option("--temperature", type=click.FloatRange(0, 2), default=_PARAMS.temperature,
              show_default=True)
@click.option("--max-tokens", type=click.IntRange(16, 32768), default=_PARAMS.max_tokens,
              show_default=True)
@click.option("--fresh", is_flag=True, help="Ignore saved policies and stored runs: start over.")
@click.option("--resume", "resume", default=None, metavar="RUN",
              help="Continue a stopped or killed run.")
@click.option("--no-cache", is_flag=True, help="Do not answer from the LLM response cache.")
@endpoint_options
@tasks_dir_option
@home_option
@sandbox_options
@executor_options
def run_cmd(tasks: tuple[str, ...], tags: tuple[str, ...], suite: str | None, agent: str,
            agent_options: tuple[tuple[str, str], ...], episodes: int, samples: int, reward: str,
            seed: int, preset: str, template_ids: str | None, template: str | None,
            call_price: float, eval_samples: int, temperature: float, max_tokens: int,
            fresh: bool, resume: str | None, no_cache: bool, model: str | None,
            base_url: tuple[str, ...], api_key: str | None, parallel: int, tasks_dir: Path,
            home: Path, workers: int, executor: str, ray_address: str | None) -> None:
    """Learn which prompt template works for each task: generate, grade, learn, report."""
    from harness.cli.run_view import execute
    from harness.console import console
    from harness.llm.client import GenerationParams

    if template and agent not in ("thompson", "fixed"):
        raise click.UsageError("--template uses one template: it cannot be combined with --agent")
    if not tasks and not tags and not suite and not resume:
        raise click.UsageError("choose tasks with --task NAME, --tag TAG or --suite NAME "
                               "(or --resume RUN)")
    if resume and (given := recorded_options_given(click.get_current_context())):
        raise click.UsageError(f"--resume {resume} continues the run with the settings it recorded; "
                               f"drop {', '.join(given)} (or leave out --resume to start a new run)")
    chosen = tuple(t.strip() for t in template_ids.split(",") if t.strip()) if template_ids else ()
    if template_ids is not None and not chosen:
        raise click.BadParameter(f"'{template_ids}' names no template; expected comma-separated "
                                 "template or strategy ids", param_hint="--templates")
    options = RunOptions(
        tasks=tasks, tags=tags, suite=suite, agent="fixed" if template else agent,
        episodes=episodes, samples=samples, reward=reward, seed=seed, preset=preset,
        templates=chosen, template=template,
        endpoint=endpoint_request(model, base_url, api_key, parallel),
        params=GenerationParams(temperature=temperature, max_tokens=max_tokens, seed=seed),
        tasks_dir=tasks_dir, home=home, workers=workers, fresh=fresh, resume=resume,
        use_cache=not no_cache, command=invoked_command(), call_price=call_price,
        eval_samples=eval_samples, agent_options=agent_options,
        executor=executor_config(executor, ray_address),
    )
    _, status = execute(options, console(), console(stderr=True))
    if status == "stopped":  # interrupted (Ctrl-C): the conventional exit status of SIGINT
        raise SystemExit(130)


def plot_path(ctx: click.Context, param: click.Parameter, value: Path | None) -> Path | None:
    """--plot must end in an image format matplotlib writes (checked before the report prints)."""
    value = path_to_write(ctx, param, value)
    if value is None:
        return None
    from matplotlib.backend_bases import FigureCanvasBase

    kinds = FigureCanvasBase.get_supported_filetypes()
    if value.suffix.lower().lstrip(".") not in kinds:
        raise click.BadParameter(f"'{value}' must end in an image format such as .png, .svg or "
                                 f".pdf (one of: {', '.join(sorted(kinds))})", ctx, param)
    return value


@click.command("report")
@click.argument("run_id", metavar="RUN")
@click.option("--plot", type=click.Path(path_type=Path, dir_okay=False), default=None,
              callback=plot_path,
              help="Where to write the learning-curve PNG (default: HOME/reports/RUN.png).")
@tasks_dir_option
@home_option
def report_cmd(run_id: str, plot: Path | None, tasks_dir: Path, home: Path) -> None:
    """Tables, pass@k, the fresh-answer verdict and learned strategy, and a learning-curve PNG."""
    from harness.cli.run_view import print_run_report
    from harness.console import console
    from harness.errors import HarnessError
    from harness.loop.evaluation import evaluate
    from harness.loop.report import learning_curve
    from harness.loop.strategies import strategy_space
    from harness.store import Store
    from harness.tasks.load import find_task

    if not (home / "harness.sqlite").is_file():  # a mistyped --home: create no empty store
        raise HarnessError(f"no run store at {home / 'harness.sqlite'} (pass --home or set "
                           "HARNESS_HOME)")
    store = Store(home)
    run = store.get_run(run_id)
    if run is None:
        known = ", ".join(r["id"] for r in store.list_runs()[-10:]) or "none"
        raise HarnessError(f"no run '{run_id}' in {store.path}; recent runs: {known}")
    space = strategy_space("report", float(run["config"]["params"]["temperature"]),
                           run["config"]["templates"])
    tasks = []
    for name in run["config"]["tasks"]:
        try:
            tasks.append(find_task(tasks_dir, name))
        except HarnessError:
            pass
    out = console()
    print_run_report(store, run_id, out, space, tasks)
    rows = store.samples(run_id)
    if rows:
        evaluation = evaluate(store.samples(run_id, phase=None), rows)
        level = (sum(t.default_reward for t in evaluation.tasks) / len(evaluation.tasks)
                 if evaluation is not None else None)
        path = learning_curve(rows, plot or home / "reports" / f"{run_id}.png",
                              f"{run_id}: reward against calls spent", level)
        out.print(f"learning curve: {path}")
