"""`harness tasks ...`: list, inspect, scaffold, check and import task folders.

The listing, the checks and the importer return data (harness.tasks.view,
harness.tasks.check, harness.tasks.importers); the tables, panels, progress bars and JSON
lines are drawn here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from harness.cli import HarnessGroup
from harness.cli.options import (
    home_option,
    new_tasks_dir_option,
    path_to_write,
    sandbox_options,
    tasks_dir_option,
)
from harness.tasks.suites import describe_suites

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from harness.tasks.check import TaskCheck
    from harness.tasks.importers.humaneval import ImportReport
    from harness.tasks.load import Task, TaskDirs
    from harness.tasks.sources import TaskSource

TASK_SOURCES = ("humaneval",)
"""Benchmarks `harness tasks import` can convert into task folders."""


@click.group(cls=HarnessGroup)
def tasks() -> None:
    """List, inspect, scaffold, check and import task folders."""


@tasks.command("list")
@click.option("--tag", "tags", multiple=True, help="Only tasks with this tag (repeatable).")
@click.option("--difficulty", type=click.Choice(["easy", "medium", "hard"]), default=None)
@click.option("--suite", default=None, metavar="NAME",
              help="Only the tasks `harness run --suite NAME` runs: "
                   + describe_suites() + ".")
@click.option("--json", "as_json", is_flag=True)
@tasks_dir_option
def tasks_list(tags: tuple[str, ...], difficulty: str | None, suite: str | None, as_json: bool,
               tasks_dir: Path) -> None:
    """Table of tasks: name, difficulty, tags, tests."""
    from harness.tasks.view import list_tasks

    print_task_list(list_tasks(tasks_dir, tags, difficulty, suite), tasks_dir, as_json)


def print_task_list(rows: list[tuple[Task, TaskSource]], tasks_dir: TaskDirs,
                    as_json: bool) -> None:
    """The tasks as JSON lines, or a table with the source each came from."""
    from rich.table import Table

    from harness.console import console, plain
    from harness.tasks.load import describe_dirs
    from harness.tasks.view import task_record

    if as_json:
        for t, source in rows:
            print(json.dumps(task_record(t, source)))
        return
    table = Table(title=plain(f"{len(rows)} tasks in {describe_dirs(tasks_dir)}"))
    for col in ("name", "difficulty", "tags", "tests", "source"):
        table.add_column(col, justify="right" if col == "tests" else "left")
    for t, source in rows:
        table.add_row(plain(t.name), plain(t.difficulty), plain(", ".join(t.tags)),
                      str(len(t.test_names)), plain(source.label))
    console().print(table)


@tasks.command("show")
@click.argument("name")
@tasks_dir_option
def tasks_show(name: str, tasks_dir: Path) -> None:
    """Spec, signature, examples, hints and tests of one task."""
    from harness.console import console
    from harness.tasks.view import show_task

    task, source = show_task(tasks_dir, name)
    print_task(task, source, console())


def print_task(task: Task, source: TaskSource, out: Console) -> None:
    """One task in full: its text shown literally, code highlighted."""
    from rich.panel import Panel
    from rich.syntax import Syntax

    from harness.console import plain

    meta = plain(f"{task.name}  {task.difficulty}  tags: {', '.join(task.tags) or '-'}  "
                 f"hash {task.short_hash}  from {source.label}")
    out.print(Panel(plain(task.description), title=meta, title_align="left"))
    if task.signature:
        out.print(Syntax(plain(task.signature).plain, "python", theme="ansi_dark"))
    for title, items in (("examples", task.examples), ("hints", task.hints)):
        if items:
            out.print(f"[bold]{title}[/]")
            for item in items:
                out.print(plain(f"  • {item}"))
    out.print(plain(f"tests ({len(task.test_names)}: {', '.join(task.test_names)})", "bold"))
    out.print(Syntax(plain(task.tests_source).plain, "python", theme="ansi_dark", line_numbers=True))


@tasks.command("new")
@click.argument("name")
@new_tasks_dir_option
def tasks_new(name: str, tasks_dir: Path | None) -> None:
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
def tasks_check(names: tuple[str, ...], tasks_dir: Path, home: Path, workers: int,
                as_json: bool) -> None:
    """Validate folders, run reference solutions in the sandbox, prove tests have teeth."""
    from rich.progress import Progress, TaskID

    from harness.console import console
    from harness.tasks.check import check_grader, check_tasks

    err = console(stderr=True)
    with check_grader(home, workers, log=err.print) as grader, \
            Progress(console=err, transient=True) as progress:
        bar: list[TaskID] = []
        checks = check_tasks(
            tasks_dir, names, grader,
            on_start=lambda total: bar.append(progress.add_task("grading", total=total)),
            on_graded=lambda: progress.advance(bar[0]))
    if as_json:
        for check in checks:
            print(json.dumps(check.to_dict()))
    else:
        console().print(check_table(checks))
    if not all(c.ok for c in checks):
        raise click.ClickException("some tasks failed the check (see the reason column)")


def check_table(checks: list[TaskCheck]) -> Table:
    """One row per task: ok or the reason it failed (task text shown literally)."""
    from rich.table import Table

    from harness.console import plain

    table = Table(title=f"tasks check: {sum(c.ok for c in checks)}/{len(checks)} ok")
    for col in ("task", "ok", "tests", "reason"):
        table.add_column(col)
    for c in checks:
        table.add_row(plain(c.name), "[green]yes[/]" if c.ok else "[red]no[/]", str(c.tests),
                      plain(c.reason))
    return table


@tasks.command("import")
@click.argument("source", type=click.Choice(TASK_SOURCES), metavar="SOURCE")
@click.option("--dest", type=click.Path(path_type=Path, file_okay=False), default=Path("tasks"),
              envvar="HARNESS_TASKS_DIR", show_default=True, callback=path_to_write,
              help="Folder to write the task folders into (the tasks dir by default).")
@click.option("--json", "as_json", is_flag=True, help="The summary as one JSON object.")
def tasks_import(source: str, dest: Path, as_json: bool) -> None:
    """Convert a public benchmark SOURCE (humaneval) into task folders; re-running is idempotent."""
    from harness.console import console

    if source == "humaneval":
        from harness.tasks.importers.humaneval import import_humaneval

        with console(stderr=True).status("importing HumanEval"):
            report = import_humaneval(dest)
        if as_json:
            print(json.dumps(report.to_dict(), sort_keys=True))
        else:
            print_import_summary(report, dest, console())


def print_import_summary(report: ImportReport, dest: Path, out: Console) -> None:
    """Counts per outcome, every skipped problem with its reason, and where the source is
    recorded."""
    from rich.table import Table

    from harness.console import plain
    from harness.tasks.importers.humaneval import PACKAGE, SOURCE_RECORD

    split = [o for o in report.outcomes if o.status != "skipped"]
    table = Table(title=f"HumanEval -> {dest}")
    table.add_column("result")
    table.add_column("tasks", justify="right")
    table.add_column("detail")
    for status in ("imported", "updated", "unchanged"):
        table.add_row(status, str(report.count(status)), "")
    for outcome in report.outcomes:
        if outcome.status == "skipped":
            table.add_row("[red]skipped[/]", plain(outcome.task_id), plain(outcome.reason))
    if not report.count("skipped"):
        table.add_row("skipped", "0", "")
    out.print(table)
    whole = [o.name for o in split if not o.split]
    out.print(f"{sum(o.split for o in split)} problems split into "
              f"{sum(o.tests for o in split if o.split)} tests"
              + (f"; {len(whole)} kept as one check(candidate) test: {', '.join(whole)}"
                 if whole else ""))
    out.print(f"source {report.source} (sha256 {report.sha256[:16]}..., {PACKAGE} "
              f"{report.version}) recorded in {dest / SOURCE_RECORD} ({report.record_status})")
