"""What a run is asked to do, with every default in one place.

`harness run`'s flags, `harness.run()`'s keyword arguments and the benchmark scripts all
take their defaults from `RunOptions` (and from GenerationParams / EndpointRequest for
sampling and the endpoint), so the three can never disagree. Light to import: the CLI
reads it to build `--help`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from harness.executor import ExecutorConfig
from harness.llm.client import GenerationParams
from harness.llm.endpoints import EndpointRequest
from harness.sandbox.pool import SandboxConfig

if TYPE_CHECKING:
    from harness.tasks.load import TaskDirs

DEFAULT_STRATEGY_PRESET = "default"
"""The strategies a run searches unless told otherwise (`harness templates strategies`)."""


@dataclass(frozen=True)
class RunOptions:
    """What `harness run` (and `harness.run()`) was asked to do. Its defaults are the CLI's
    defaults: the flags read them from here."""

    tasks: tuple[str, ...] = ()
    """Task names to run on."""
    tags: tuple[str, ...] = ()
    """Add every task carrying one of these tags."""
    suite: str | None = None
    """A named suite of tasks (harness.tasks.suites.SUITES: builtin, humaneval, all);
    `tasks` and `tags` add to it. None: only `tasks` and `tags`."""
    agent: str = "thompson"
    """Agent that chooses strategies (`harness templates list` shows the arms)."""
    episodes: int = 8
    """Rounds over the tasks; each round makes one decision per task."""
    samples: int = 4
    """Answers generated per decision (same strategy)."""
    reward: str = "partial"
    """Reward scheme over the graded result (`partial`: share of tests passed)."""
    seed: int = 0
    """Seeds the agent and the endpoint's sampling."""
    preset: str = DEFAULT_STRATEGY_PRESET
    """Named set of strategies to search."""
    templates: tuple[str, ...] = ()
    """Exactly these template or strategy ids instead of a preset."""
    template: str | None = None
    """One template or strategy only (the agent becomes `fixed`)."""
    endpoint: EndpointRequest = EndpointRequest()
    """Which model answers, and how many requests at once."""
    params: GenerationParams = GenerationParams()
    """Sampling parameters (temperature, max tokens, seed)."""
    tasks_dir: TaskDirs | None = None
    """Folders of task folders; None: the lookup order of harness.tasks.sources
    (HARNESS_TASKS_DIR, else ./tasks and the built-in tasks)."""
    home: Path = Path(".harness")
    """Run store folder (SQLite: runs, samples, caches, policies)."""
    workers: int = SandboxConfig.workers
    """Warm sandbox containers grading in parallel (local executor; on Ray, each node's pool
    has as many as the node offers CPUs)."""
    executor: ExecutorConfig = ExecutorConfig()
    """Where programs are graded: this machine, or every node of a Ray cluster."""
    fresh: bool = False
    """Ignore saved policies and stored runs: start over."""
    resume: str | None = None
    """A stopped or killed run's id to continue."""
    use_cache: bool = True
    """Answer from the LLM response cache when the same call was made before."""
    command: str = ""
    """The command line as typed, for provenance."""
    call_price: float = 0.02
    """Reward the agent gives up per model call beyond the first (0 ignores cost)."""
    eval_samples: int = 4
    """Fresh answers per task of the learned strategy and of the default after
    learning (0 skips the out-of-sample check)."""
    agent_options: tuple[tuple[str, str], ...] = ()
    """`--agent-opt KEY=VALUE` overrides of the agent's Config fields."""
