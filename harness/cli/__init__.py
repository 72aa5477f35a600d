"""The `harness` command line: parses flags and calls library functions, nothing more."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from harness.errors import HarnessError

F = TypeVar("F", bound=Callable[..., Any])


class HarnessGroup(click.Group):
    """Turns user mistakes (HarnessError) into a one-line error and a non-zero exit."""

    def main(self, args: Any = None, **kwargs: Any) -> Any:  # noqa: ANN401
        argv = list(args) if args is not None else sys.argv[1:]
        kwargs.setdefault("obj", {})["argv"] = argv  # the exact command, for provenance
        return super().main(args=argv, **kwargs)

    def invoke(self, ctx: click.Context) -> Any:  # noqa: ANN401
        try:
            return super().invoke(ctx)
        except HarnessError as exc:
            from harness.console import plain

            raise click.ClickException(plain(str(exc)).plain) from None


def invoked_command() -> str:
    """The command line as typed, without local absolute paths (it is published)."""
    from harness.provenance import command_line

    return command_line()


def tasks_dir_option(func: F) -> F:
    return click.option(
        "--tasks-dir", type=click.Path(path_type=Path, file_okay=False), default=Path("tasks"),
        envvar="HARNESS_TASKS_DIR", show_default=True, help="Folder of task folders.",
    )(func)


def home_option(func: F) -> F:
    return click.option(
        "--home", type=click.Path(path_type=Path, file_okay=False), default=Path(".harness"),
        envvar="HARNESS_HOME", show_default=True, help="Run store folder (SQLite, caches, policies).",
    )(func)


def sandbox_options(func: F) -> F:
    func = click.option("--workers", type=click.IntRange(1, 16), default=2, envvar="HARNESS_WORKERS",
                        show_default=True, help="Warm sandbox containers.")(func)
    return func


@click.group(cls=HarnessGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="harness")
def cli() -> None:
    """A code-generation benchmark harness that learns how to prompt."""


def main() -> None:
    from harness.settings import CONFIG_FILE, default_map, load_config

    try:
        config = load_config(Path(CONFIG_FILE))
    except HarnessError as exc:
        from harness.console import plain

        click.echo(f"Error: {plain(str(exc)).plain}", err=True)
        sys.exit(2)
    cli.main(default_map=default_map(cli, config), prog_name="harness")


# ------------------------------------------------------------------- eval


@cli.command("eval")
@click.option("--task", "task_name", required=True, help="Task to grade against.")
@click.argument("files", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="One JSON record per file, per line.")
@tasks_dir_option
@home_option
@sandbox_options
@click.option("--no-cache", is_flag=True, help="Grade again even if this code was graded before.")
def eval_cmd(task_name: str, files: tuple[Path, ...], as_json: bool, tasks_dir: Path, home: Path,
             workers: int, no_cache: bool) -> None:
    """Grade code FILES against a task in the sandbox."""
    from harness.grading.evaluate import evaluate_files

    results = evaluate_files(task_name, files, tasks_dir, home, workers, as_json, use_cache=not no_cache)
    if any(result.infra for result in results):
        raise HarnessError("the sandbox failed on some files (status infra_error): their code was "
                           "not judged; check Docker with `harness sandbox doctor` and retry")


# ---------------------------------------------------------------- sandbox


@cli.group(cls=HarnessGroup)
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
              default=Path("bench/results/sandbox.json"), show_default=True,
              help="Where the figures are written (with the commit and command that made them).")
@tasks_dir_option
@sandbox_options
def sandbox_bench(programs: int, docker_programs: int, out: Path, tasks_dir: Path, workers: int) -> None:
    """Warm pool vs `docker run` per program vs bare host subprocess, in one run."""
    from harness.sandbox.bench import run_bench

    run_bench(tasks_dir, programs, docker_programs, workers, out)


# ------------------------------------------------------------------ tasks


@cli.group(cls=HarnessGroup)
def tasks() -> None:
    """List, inspect, scaffold, check and import task folders."""


@tasks.command("list")
@click.option("--tag", "tags", multiple=True, help="Only tasks with this tag (repeatable).")
@click.option("--difficulty", type=click.Choice(["easy", "medium", "hard"]), default=None)
@click.option("--json", "as_json", is_flag=True)
@tasks_dir_option
def tasks_list(tags: tuple[str, ...], difficulty: str | None, as_json: bool, tasks_dir: Path) -> None:
    """Table of tasks: name, difficulty, tags, tests."""
    from harness.tasks.view import list_tasks

    list_tasks(tasks_dir, tags, difficulty, as_json)


@tasks.command("show")
@click.argument("name")
@tasks_dir_option
def tasks_show(name: str, tasks_dir: Path) -> None:
    """Spec, signature, examples, hints and tests of one task."""
    from harness.tasks.view import show_task

    show_task(tasks_dir, name)


@tasks.command("new")
@click.argument("name")
@tasks_dir_option
def tasks_new(name: str, tasks_dir: Path) -> None:
    """Scaffold a valid task folder to edit (never overwrites)."""
    from harness.console import console
    from harness.tasks.view import new_task

    folder = new_task(tasks_dir, name)
    console().print(f"created {folder}: edit task.toml, tests.py and solution.py, "
                    f"then run `harness tasks check {name}`")


@tasks.command("check")
@click.argument("names", nargs=-1)
@tasks_dir_option
@home_option
@sandbox_options
@click.option("--json", "as_json", is_flag=True)
def tasks_check(names: tuple[str, ...], tasks_dir: Path, home: Path, workers: int, as_json: bool) -> None:
    """Validate folders, run reference solutions in the sandbox, prove tests have teeth."""
    from harness.tasks.check import check_tasks_cli

    if not check_tasks_cli(tasks_dir, names, home, workers, as_json):
        raise click.ClickException("some tasks failed the check (see the reason column)")


TASK_SOURCES = ("humaneval",)
"""Benchmarks `harness tasks import` can convert into task folders."""


@tasks.command("import")
@click.argument("source", type=click.Choice(TASK_SOURCES), metavar="SOURCE")
@click.option("--dest", type=click.Path(path_type=Path, file_okay=False), default=Path("tasks"),
              envvar="HARNESS_TASKS_DIR", show_default=True,
              help="Folder to write the task folders into (the tasks dir by default).")
@click.option("--json", "as_json", is_flag=True, help="The summary as one JSON object.")
def tasks_import(source: str, dest: Path, as_json: bool) -> None:
    """Convert a public benchmark SOURCE (humaneval) into task folders; re-running is idempotent."""
    if source == "humaneval":
        from harness.tasks.importers.humaneval import import_cli

        import_cli(dest, as_json)


# -------------------------------------------------------------------- run


def endpoint_options(func: F) -> F:
    func = click.option("--parallel", type=click.IntRange(1, 64), default=4, show_default=True,
                        envvar="HARNESS_PARALLEL", help="Concurrent LLM requests.")(func)
    func = click.option("--api-key", envvar="OPENAI_API_KEY", default=None,
                        help="Key for a remote endpoint (env OPENAI_API_KEY).")(func)
    func = click.option("--base-url", envvar="OPENAI_BASE_URL", default=None,
                        help="OpenAI-compatible endpoint URL (env OPENAI_BASE_URL).")(func)
    return click.option("--model", envvar="HARNESS_MODEL", default=None,
                        help="Model id: an embedded model, or the remote endpoint's model.")(func)


@cli.command("run")
@click.option("--task", "tasks", multiple=True, help="Task name (repeatable).")
@click.option("--tag", "tags", multiple=True, help="Add every task with this tag (repeatable).")
@click.option("--agent", default="thompson", show_default=True, envvar="HARNESS_AGENT",
              help="Agent that picks templates (see `harness templates list` for arms).")
@click.option("--episodes", type=click.IntRange(1, 100000), default=8, show_default=True,
              help="Rounds over the tasks; one template decision per task per round.")
@click.option("--samples", type=click.IntRange(1, 1000), default=4, show_default=True,
              help="Answers per decision.")
@click.option("--reward", default="partial", show_default=True, help="Reward scheme.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--preset", default=None,
              help="Named set of strategies to search (`harness templates strategies`).  [default: default]")
@click.option("--templates", "template_ids", default=None,
              help="Comma-separated template or strategy ids (TEMPLATE@t0.2/best_of_3) to search.")
@click.option("--template", default=None, help="Use one template or strategy only (implies --agent fixed).")
@click.option("--call-price", type=click.FloatRange(0, 1), default=0.02, show_default=True,
              help="Reward the agent gives up per model call beyond the first (0: ignore cost).")
@click.option("--eval-samples", type=click.IntRange(0, 1000), default=4, show_default=True,
              help="Fresh answers per task of the learned strategy and of the default after "
                   "learning (0 skips the out-of-sample check).")
@click.option("--temperature", type=click.FloatRange(0, 2), default=0.8, show_default=True)
@click.option("--max-tokens", type=click.IntRange(16, 32768), default=512, show_default=True)
@click.option("--fresh", is_flag=True, help="Ignore saved policies and stored runs: start over.")
@click.option("--resume", "resume", default=None, metavar="RUN", help="Continue a stopped or killed run.")
@click.option("--no-cache", is_flag=True, help="Do not answer from the LLM response cache.")
@endpoint_options
@tasks_dir_option
@home_option
@sandbox_options
def run_cmd(tasks: tuple[str, ...], tags: tuple[str, ...], agent: str, episodes: int, samples: int,
            reward: str, seed: int, preset: str | None, template_ids: str | None, template: str | None,
            call_price: float, eval_samples: int, temperature: float, max_tokens: int, fresh: bool, resume: str | None, no_cache: bool,
            model: str | None, base_url: str | None, api_key: str | None, parallel: int,
            tasks_dir: Path, home: Path, workers: int) -> None:
    """Learn which prompt template works for each task: generate, grade, learn, report."""
    from harness.console import console
    from harness.llm.client import GenerationParams
    from harness.llm.endpoints import EndpointRequest
    from harness.loop.strategies import DEFAULT_STRATEGY_PRESET
    from harness.loop.wiring import RunOptions, execute

    if template and agent not in ("thompson", "fixed"):
        raise click.UsageError("--template uses one template: it cannot be combined with --agent")
    if not tasks and not tags and not resume:
        raise click.UsageError("choose tasks with --task NAME or --tag TAG (or --resume RUN)")
    options = RunOptions(
        tasks=tasks, tags=tags, agent="fixed" if template else agent, episodes=episodes,
        samples=samples, reward=reward, seed=seed, preset=preset or DEFAULT_STRATEGY_PRESET,
        templates=tuple(t.strip() for t in template_ids.split(",") if t.strip()) if template_ids else (),
        template=template,
        endpoint=EndpointRequest(model=model, base_url=base_url, api_key=api_key, parallel=parallel),
        params=GenerationParams(temperature=temperature, max_tokens=max_tokens, seed=seed),
        tasks_dir=tasks_dir, home=home, workers=workers, fresh=fresh, resume=resume,
        use_cache=not no_cache, command=invoked_command(), call_price=call_price,
        eval_samples=eval_samples,
    )
    _, status = execute(options, console(), console(stderr=True))
    if status == "stopped":  # interrupted (Ctrl-C): the conventional exit status of SIGINT
        raise SystemExit(130)


@cli.command("report")
@click.argument("run_id", metavar="RUN")
@click.option("--plot", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Where to write the learning-curve PNG (default: HOME/reports/RUN.png).")
@tasks_dir_option
@home_option
def report_cmd(run_id: str, plot: Path | None, tasks_dir: Path, home: Path) -> None:
    """Tables, pass@k, the learned best prompt and a learning-curve PNG for a run."""
    from harness.console import console
    from harness.errors import HarnessError
    from harness.loop.evaluation import evaluate
    from harness.loop.report import learning_curve, print_run_report
    from harness.loop.strategies import strategy_space
    from harness.store import Store
    from harness.tasks.load import find_task

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


@cli.group(cls=HarnessGroup)
def templates() -> None:
    """The prompt template space the agents search."""


@templates.command("list")
@click.option("--preset", default=None, help="Only the arms of this preset.")
def templates_list(preset: str | None) -> None:
    """Components, presets and named templates."""
    from rich.table import Table

    from harness.console import console
    from harness.loop.strategies import DEFAULT_STRATEGY_PRESET, STRATEGY_PRESETS, strategy_space
    from harness.prompts.space import COMPONENTS, NAMED, PRESETS, default_space

    out = console()
    comp = Table(title="components (a factored template picks one option of each)")
    for col in ("key", "component", "options"):
        comp.add_column(col)
    for c in COMPONENTS:
        comp.add_row(c.key, c.name, ", ".join(f"{i}={o.name}" for i, o in enumerate(c.options)))
    out.print(comp)
    pre = Table(title="presets (`harness run --preset NAME`; strategies = template x temperature x selection)")
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
        out.print("\n".join(strategy_space(preset, 0.8).ids))


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


# ----------------------------------------------------------------- models


@cli.group(cls=HarnessGroup)
def models() -> None:
    """Embedded models and endpoint checks."""


@models.command("list")
def models_list() -> None:
    """Embedded models: size, whether installed, and how to install."""
    from rich.table import Table

    from harness.console import console
    from harness.llm.endpoints import model_cache_dir
    from harness.llm.models import DEFAULT_MODEL, MODELS, install_command, is_installed

    table = Table(title=f"embedded models (assembled under {model_cache_dir() / 'models'})")
    for col in ("id", "size", "installed", "assembled", "about"):
        table.add_column(col)
    for spec in MODELS.values():
        installed = is_installed(spec)
        assembled = (model_cache_dir() / "models" / f"{spec.id}.gguf").is_file()
        name = f"{spec.id} [dim](default)[/]" if spec.id == DEFAULT_MODEL else spec.id
        table.add_row(name, f"{spec.size_mb} MB", "[green]yes[/]" if installed else "[red]no[/]",
                      "yes" if assembled else "no",
                      spec.description if installed else f"{spec.description}\n[dim]{install_command(spec)}[/]")
    console().print(table)


@models.command("check")
@click.argument("model", required=False)
@click.option("--base-url", envvar="OPENAI_BASE_URL", default=None)
@click.option("--api-key", envvar="OPENAI_API_KEY", default=None)
@home_option
def models_check(model: str | None, base_url: str | None, api_key: str | None, home: Path) -> None:
    """One tiny uncached call: prints latency, tokens and tokens/s."""
    from harness.llm.check import check_model

    check_model(model, base_url, api_key, home)


# ------------------------------------------------------------- leaderboard


@cli.command("publish")
@click.argument("run_id", metavar="RUN")
@click.option("--name", default=None, help="Display name on the leaderboard (default: model / agent).")
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


@cli.group(cls=HarnessGroup)
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
        click.echo(f"ok: {len(runs)} runs, {sum(len(r.samples) for r in runs)} samples verified in {results}")
        return
    built = build_site(results, out)
    click.echo(f"built {built.index} ({built.runs} runs, {built.samples} samples verified)")


# ------------------------------------------------------------------- bench


@cli.group(cls=HarnessGroup)
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
def bench_agents_cmd(table_path: Path, seeds: int, budget: int | None, out: Path | None, tasks_dir: Path,
                     agents: tuple[str, ...], samples: int, reward: str, holdout: float,
                     train_budget: int | None, transfer_budget: int | None, workers: int,
                     selections: str | None, temperatures: str | None, call_price: float,
                     honest_split: float | None) -> None:
    """Replay a recorded response table to compare agents: regret, calls vs uniform, value of
    learning, transfer."""
    from harness.bench.replay import bench_agents

    chosen = tuple(s.strip() for s in selections.split(",") if s.strip()) if selections else None
    try:
        temps = tuple(float(t) for t in temperatures.split(",") if t.strip()) if temperatures else None
    except ValueError:
        raise HarnessError(f"--temperatures takes numbers like 0.2,0.8, got {temperatures!r}") from None
    bench_agents(table_path, seeds, budget, out, tasks_dir, agents, samples, reward, workers,
                 holdout, train_budget, transfer_budget, selections=chosen, temperatures=temps,
                 call_price=call_price, honest_split=honest_split)


@bench.command("record")
@click.option("--table", "table_path", type=click.Path(path_type=Path, dir_okay=False),
              default=Path("bench/tables/responses_v2.jsonl.gz"), show_default=True)
@click.option("--task", "tasks", multiple=True, help="Task (repeatable; default: a mid-band dozen).")
@click.option("--preset", default="content", show_default=True, help="Templates to record.")
@click.option("--template", "templates", multiple=True,
              help="Only these templates of the preset (repeatable; ids or aliases).")
@click.option("--samples", type=click.IntRange(1, 1000), default=10, show_default=True,
              help="Samples per task x template x temperature cell.")
@click.option("--temperature", "temperatures", type=click.FloatRange(0, 2), multiple=True,
              default=(0.2, 0.8), show_default=True, help="Sampling temperature (repeatable).")
@click.option("--max-tokens", type=click.IntRange(16, 32768), default=512, show_default=True)
@endpoint_options
@tasks_dir_option
@home_option
@sandbox_options
def bench_record_cmd(table_path: Path, tasks: tuple[str, ...], preset: str,
                     templates: tuple[str, ...], samples: int,
                     temperatures: tuple[float, ...], max_tokens: int, model: str | None, base_url: str | None,
                     api_key: str | None, parallel: int, tasks_dir: Path, home: Path,
                     workers: int) -> None:
    """Generate and grade every task x template x sample once, into a response table (resumable)."""
    from harness.bench.record import record_cli

    record_cli(table_path, tasks, preset, templates, samples, temperatures, max_tokens, model, base_url,
               api_key, parallel, tasks_dir, home, workers)


if __name__ == "__main__":
    main()
