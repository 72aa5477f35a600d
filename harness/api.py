"""The Python API: what `harness run` and `harness eval` do, as functions that return data.

Nothing here prints; every default is the one the CLI shows (they come from the same
dataclasses), so `harness.run(task="sort_ints")` and `harness run --task sort_ints` are the
same run and find each other's results in the store.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from harness.errors import HarnessError
from harness.executor import EXECUTORS, ExecutorConfig
from harness.grading.results import GradeResult
from harness.llm.client import GenerationParams
from harness.llm.endpoints import EndpointRequest
from harness.loop.options import RunOptions
from harness.loop.report import RunResult, run_result
from harness.loop.wiring import start
from harness.tasks.load import Task, find_task
from harness.tasks.sources import TaskSearch, task_sources

_RUN = RunOptions()
_PARAMS = GenerationParams()
_ENDPOINT = EndpointRequest()


def _search(tasks_dir: Path | str | None) -> TaskSearch:
    """The lookup order of harness.tasks.sources; an argument given names itself in errors."""
    return task_sources(None if tasks_dir is None else Path(tasks_dir), explicit_label="tasks_dir")


def _names(value: str | Sequence[str]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


def run(task: str | Sequence[str] = (), *, tags: str | Sequence[str] = (),
        suite: str | None = _RUN.suite,
        agent: str = _RUN.agent, episodes: int = _RUN.episodes, samples: int = _RUN.samples,
        reward: str = _RUN.reward, seed: int = _RUN.seed, preset: str = _RUN.preset,
        template: str | None = None, call_price: float = _RUN.call_price,
        eval_samples: int = _RUN.eval_samples, agent_options: Mapping[str, object] | None = None,
        temperature: float = _PARAMS.temperature, max_tokens: int = _PARAMS.max_tokens,
        model: str | None = None, base_url: str | Sequence[str] | None = None,
        api_key: str | None = None, parallel: int = _ENDPOINT.parallel,
        tasks_dir: Path | str | None = None, home: Path | str = _RUN.home,
        workers: int = _RUN.workers, executor: str = _RUN.executor.kind,
        ray_address: str | None = None, fresh: bool = False, resume: str | None = None,
        use_cache: bool = True, log: Callable[[str], None] | None = None) -> RunResult:
    """Learn which way of asking works for `task` (a name or several; `tags` and the named
    `suite`, harness.tasks.suites.SUITES, add tasks) and prove it on fresh answers; see
    `harness run --help` for what each argument means. Several `base_url`s are servers of one
    model (the first names the endpoint, as repeated `--base-url`); `executor="ray"` grades on
    every node of the Ray cluster at `ray_address`. `log` receives status lines (model
    start-up, resume notices)."""
    if executor not in EXECUTORS:
        raise HarnessError(f"executor must be one of {', '.join(EXECUTORS)}, got {executor!r}")
    urls = _names(base_url) if base_url else ()
    options = RunOptions(
        tasks=_names(task), tags=_names(tags), suite=suite, agent=agent, episodes=episodes,
        samples=samples, reward=reward, seed=seed, preset=preset, template=template,
        endpoint=EndpointRequest(model=model, base_url=urls[0] if urls else None, api_key=api_key,
                                 parallel=parallel, replicas=urls[1:]),
        params=GenerationParams(temperature=temperature, max_tokens=max_tokens, seed=seed),
        tasks_dir=_search(tasks_dir), home=Path(home), workers=workers, fresh=fresh, resume=resume,
        use_cache=use_cache, command="harness.run()", call_price=call_price,
        executor=ExecutorConfig(kind=executor, ray_address=ray_address),
        eval_samples=eval_samples,
        agent_options=tuple(sorted((k, str(v)) for k, v in (agent_options or {}).items())))
    outcome = start(options, log=log or (lambda _m: None))
    return run_result(outcome.store, outcome.run_id)


def load_task(name: str, tasks_dir: Path | str | None = None) -> Task:
    """A task folder by name, validated (HarnessError names the file and field at fault)."""
    return find_task(_search(tasks_dir), name)


def evaluate(task: str | Task, code: str, *, tasks_dir: Path | str | None = None,
             home: Path | str | None = _RUN.home, workers: int = 1) -> GradeResult:
    """Grade one program against a task's hidden tests in the Docker sandbox. `home=None`
    skips the store's grading cache."""
    from harness.grading.grader import Grader, open_sandbox
    from harness.sandbox.pool import SandboxConfig
    from harness.store import Store

    chosen = task if isinstance(task, Task) else load_task(task, tasks_dir)
    grader = Grader(open_sandbox(SandboxConfig(workers=workers), log=lambda _m: None),
                    Store(Path(home)) if home is not None else None)
    try:
        return grader.grade(chosen, code)
    finally:
        grader.close()
