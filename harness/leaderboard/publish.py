"""`harness publish RUN`: a finished run from the store becomes results/<run-id>/{run.json,samples.jsonl}.

Publishing refuses what could not be trusted later: a run that is not finished,
a task that is not in the tasks directory, a task whose files changed since the
run (its hash no longer matches), prompts whose wording changed since the run.
The files are a pure function of the stored run, so publishing twice gives the
same bytes.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from harness.errors import HarnessError, TaskError
from harness.leaderboard import SCHEMA
from harness.leaderboard.records import RUN_FILE, SAMPLES_FILE, SampleRecord
from harness.leaderboard.scores import claims, rnd
from harness.store import Store
from harness.tasks.load import Task, find_task, locate_task

RUNNER_SUMMARY_KEYS = ("samples", "passed", "pass_rate", "mean_reward", "completion_tokens")
"""Keys of the runner's stored summary that the published summary must reproduce."""


@dataclass(frozen=True)
class Published:
    """What `publish_run` wrote."""

    run_id: str
    folder: Path
    samples: int
    changed: bool


def open_store(home: Path) -> Store:
    if not (Path(home) / "harness.sqlite").is_file():
        raise HarnessError(f"no run store at {Path(home) / 'harness.sqlite'} (pass --home or set HARNESS_HOME)")
    return Store(home)


def load_finished(store: Store, run_id: str) -> dict[str, Any]:
    run = store.require_run(run_id)
    if run["status"] != "finished":
        raise HarnessError(f"run {run_id} is {run['status']}, not finished: only finished runs are "
                           f"published (finish it with `harness run --resume {run_id}`)")
    return run


def verify_tasks(run_id: str, config: dict[str, Any], tasks_dir: Path) -> dict[str, Task]:
    """Each task of the run, loaded from `tasks_dir` and proven unchanged by its hash."""
    if len(config.get("task_hashes") or ()) != len(config["tasks"]):
        raise HarnessError(f"run {run_id}: its config records no hash for some tasks, so its results "
                           "cannot be tied to task versions")
    tasks: dict[str, Task] = {}
    for name, expected in zip(config["tasks"], config["task_hashes"], strict=True):
        if locate_task(tasks_dir, name) is None:
            raise HarnessError(f"run {run_id}: task '{name}' is not in {tasks_dir}; publishing needs the "
                               "run's task folders to check their hashes (pass --tasks-dir)")
        try:
            task = find_task(tasks_dir, name)
        except TaskError as exc:
            raise HarnessError(f"run {run_id}: task '{name}' cannot be loaded: {exc}") from None
        if task.hash != expected:
            raise HarnessError(f"run {run_id}: task '{name}' changed since the run (run used hash "
                               f"{expected[:12]}, {task.path} now hashes to {task.short_hash}); "
                               "its results would not describe this task")
        tasks[name] = task
    return tasks


def records_of(store: Store, run_id: str, config: dict[str, Any]) -> list[SampleRecord]:
    """The run's samples as published records, complete and with the run's task hashes."""
    hashes = dict(zip(config["tasks"], config["task_hashes"], strict=True))
    records = []
    for row in store.samples(run_id, phase=None):
        if hashes.get(row.task) != row.task_hash:
            raise HarnessError(f"run {run_id}: sample (episode {row.episode}, task '{row.task}') "
                               f"has task hash {row.task_hash[:12]} that the run's config does not list")
        cached = store.get_response(row.llm_key)
        records.append(SampleRecord.of(row, cached.prompt_tokens if cached else 0))
    records.sort(key=lambda r: r.key)
    expected = config["episodes"] * len(config["tasks"]) * config["samples"]
    learned = sum(r.phase == "learn" for r in records)
    if learned != expected:
        raise HarnessError(f"run {run_id}: finished with {learned} samples, but its config asks "
                           f"for {expected}; it cannot be scored fairly")
    return records


def check_runner_summary(run_id: str, stored: dict[str, Any], summary: dict[str, Any]) -> None:
    """The runner's own summary must agree with the samples we are about to publish."""
    for key in RUNNER_SUMMARY_KEYS:
        if key in stored and abs(float(stored[key]) - float(summary[key])) > 1e-6:
            raise HarnessError(f"run {run_id}: the store's summary.{key} is {stored[key]}, "
                               f"but its samples give {summary[key]}; the store is inconsistent")


def render_prompt(run_id: str, template_id: str, task: Task, fingerprint: str) -> list[dict[str, str]]:
    """The exact messages the model saw, which requires the prompt wording of the run."""
    from harness.prompts.space import default_space, render

    space = default_space()
    if fingerprint and space.fingerprint() != fingerprint:
        raise HarnessError(f"run {run_id}: prompt templates changed since the run (template space "
                           f"{fingerprint}, this harness has {space.fingerprint()}); publish with the "
                           "harness version that made the run")
    from harness.loop.strategies import parse_strategy

    return render(space.get(parse_strategy(template_id, 0.8, space).template), task, space.components)


def safe_url(url: str) -> str:
    """An endpoint URL without user info, query or fragment (never publish a credential)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    if not parts.scheme:
        return url
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def iso(timestamp: float | None) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(timestamp)) if timestamp else ""


def provenance_of(run: dict[str, Any]) -> dict[str, Any]:
    """Everything needed to trust and reproduce the run, in a stable order."""
    config, prov, summary = run["config"], run["provenance"], run["summary"] or {}
    return {
        "harness_version": prov.get("harness_version", ""),
        "git_commit": prov.get("git_commit", ""),
        "python": prov.get("python", ""),
        "command": prov.get("command", ""),
        "date": prov.get("date", ""),
        "finished": iso(run.get("finished")),
        "wall_s": rnd(run["finished"] - run["created"]) if run.get("finished") else None,
        "model": config["model"],
        "endpoint": safe_url(config.get("endpoint", "")),
        "params": config["params"],
        "agent": config["agent"],
        "reward": config["reward"],
        "seed": config["seed"],
        "episodes": config["episodes"],
        "samples_per_decision": config["samples"],
        "tasks": list(config["tasks"]),
        "task_hashes": dict(zip(config["tasks"], config["task_hashes"], strict=True)),
        "templates": list(config["templates"]),
        "template_space": prov.get("template_space", ""),
        "warm_start": prov.get("warm_start", False),
        "sandbox_image": prov.get("sandbox_image", ""),
        "timing_s": {k: rnd(summary[k]) for k in ("llm_s", "sandbox_s", "agent_s") if k in summary},
        "llm_calls": summary.get("llm_calls"),
        "llm_cache_hits": summary.get("llm_cache_hits"),
        "sandbox_runs": summary.get("sandbox_runs"),
        "sandbox_cache_hits": summary.get("sandbox_cache_hits"),
        "infra_failures": summary.get("infra_failures", 0),
        "evaluation": summary.get("evaluation"),
    }


def default_name(config: dict[str, Any]) -> str:
    name = f"{config['model']} / {config['agent']}"
    return f"{name} / {config['templates'][0]}" if len(config["templates"]) == 1 else name


def build_run_json(run: dict[str, Any], records: list[SampleRecord], tasks: dict[str, Task],
                   name: str | None) -> dict[str, Any]:
    run_id, config = run["id"], run["config"]
    scores = claims(records, seed=int(config["seed"]))
    check_runner_summary(run_id, run["summary"] or {}, scores["summary"])
    fingerprint = run["provenance"].get("template_space", "")
    for task_name, best in scores["best"].items():
        best["prompt"] = render_prompt(run_id, best["template"], tasks[task_name], fingerprint)
    return {"schema": SCHEMA, "run_id": run_id, "name": name or default_name(config),
            "provenance": provenance_of(run), **scores}


def write_if_changed(path: Path, text: str) -> bool:
    """Atomic write; False (and no write) when the file already holds exactly `text`.

    A web server, often running as another user, serves what is written here, so files are
    0o644 and the folders this makes 0o755 whatever the umask (mkstemp alone leaves 0600)."""
    file_mode, dir_mode = 0o644, 0o755
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        if path.stat().st_mode & 0o777 != file_mode:
            path.chmod(file_mode)  # written 0600 by an older harness
        return False
    missing = [p for p in (path.parent, *path.parent.parents) if not p.exists()]
    for folder in reversed(missing):
        folder.mkdir(exist_ok=True)
        folder.chmod(dir_mode)  # mkdir's own mode would be masked by the umask
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            os.fchmod(handle.fileno(), file_mode)
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return True


def published_name(folder: Path) -> str | None:
    """The name a run was published under before, so re-publishing without --name keeps it."""
    try:
        name = json.loads((folder / RUN_FILE).read_text(encoding="utf-8")).get("name")
    except (OSError, ValueError, AttributeError):
        return None
    return name if isinstance(name, str) and name else None


def publish_run(home: Path, run_id: str, tasks_dir: Path, results: Path,
                name: str | None = None) -> Published:
    """Write results/<run-id>/run.json and samples.jsonl for a finished run (idempotent)."""
    store = open_store(home)
    try:
        run = load_finished(store, run_id)
        tasks = verify_tasks(run_id, run["config"], tasks_dir)
        records = records_of(store, run_id, run["config"])
    finally:
        store.close()
    folder = results / run_id
    document = build_run_json(run, records, tasks, name or published_name(folder))
    folder.mkdir(parents=True, exist_ok=True)
    changed = write_if_changed(folder / SAMPLES_FILE, "".join(r.to_json() + "\n" for r in records))
    changed |= write_if_changed(folder / RUN_FILE,
                                json.dumps(document, indent=1, ensure_ascii=False) + "\n")
    return Published(run_id=run_id, folder=folder, samples=len(records), changed=changed)
