"""What a run found, as data: per-strategy figures, the learned strategy, the fresh-answer
proof, and a reward-against-calls PNG. The CLI renders these (harness/cli/run_view.py)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.loop.evaluation import Evaluation, evaluate
from harness.sample import Sample
from harness.stats import best_template, group_stats
from harness.store import Store


@dataclass(frozen=True)
class ArmResult:
    """One task's figures for one strategy, over the answers learning drew with it."""

    task: str
    strategy: str
    pulls: int
    mean_reward: float
    calls_per_answer: float
    net_reward: float
    """Mean reward minus the run's call price per call beyond the first."""
    pass_rate: float
    pass_interval: tuple[float, float]
    """95% Wilson interval of the pass rate."""
    syntax_ok_rate: float
    truncated_rate: float
    mean_tokens: float


@dataclass(frozen=True)
class RunResult:
    """A run as the Python API returns it: `harness.run(...)`."""

    run_id: str
    status: str
    """finished, or stopped (resume with the same call and `resume=run_id`)."""
    arms: tuple[ArmResult, ...]
    """Per task and strategy, best first within each task (in-sample: learning chose from these)."""
    learned: Mapping[str, str]
    """Per task, the strategy the run recommends: the one its fresh evaluation used, else the
    in-sample best."""
    evaluation: Evaluation | None
    """Learned strategy vs the default on fresh answers (None with eval_samples=0 or a stopped run)."""
    summary: Mapping[str, Any]
    """Headline numbers and costs as stored with the run (calls, wall time, tokens)."""


def arm_results(rows: Sequence[Sample], call_price: float = 0.0) -> list[ArmResult]:
    """Per task and strategy: reward and what it cost (calls), best first within a task."""
    calls: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for r in rows:
        calls[(r.task, r.template)].append(r.calls)
    out = []
    for s in sorted(group_stats(rows, ("task", "template")), key=lambda s: (s.key[0], -s.mean_reward)):
        per = sum(calls[s.key]) / len(calls[s.key])
        out.append(ArmResult(
            task=s.key[0], strategy=s.key[1], pulls=s.n, mean_reward=s.mean_reward,
            calls_per_answer=per, net_reward=s.mean_reward - call_price * (per - 1),
            pass_rate=s.pass_rate, pass_interval=s.interval, syntax_ok_rate=s.syntax_ok_rate,
            truncated_rate=s.truncated_rate, mean_tokens=s.mean_tokens))
    return out


def best_templates(rows: Sequence[Sample]) -> dict[str, str]:
    """Per task, the strategy the samples favour (stats.best_template's rule)."""
    candidates: dict[str, list[tuple[str, float, int]]] = defaultdict(list)
    for s in group_stats(rows, ("task", "template")):
        candidates[s.key[0]].append((s.key[1], s.mean_reward, s.n))
    return {task: best_template(items) for task, items in candidates.items()}


def run_result(store: Store, run_id: str) -> RunResult:
    """Everything a run found, read back from the store."""
    run = store.require_run(run_id)
    rows = store.samples(run_id)
    config = run["config"]
    evaluation = evaluate(store.samples(run_id, phase=None), rows, seed=int(config.get("seed", 0)))
    learned = best_templates(rows)
    if evaluation is not None:
        learned.update({t.task: t.learned for t in evaluation.tasks})
    return RunResult(run_id=run_id, status=run["status"],
                     arms=tuple(arm_results(rows, float(config.get("call_price", 0.0)))),
                     learned=learned, evaluation=evaluation, summary=run["summary"] or {})


def learning_curve(rows: Sequence[Sample], path: Path, title: str,
                   default_level: float | None = None) -> Path:
    """Reward against model calls spent, one line per strategy (its running mean over its own
    samples), the whole run's running mean, and the default template's level on fresh
    answers as a reference: whether learning paid, and at what cost."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=110)
    ordered = sorted(rows, key=lambda r: r.created)
    spent, xs, running, total = 0, [], [], 0.0
    per: dict[str, tuple[list[int], list[float]]] = defaultdict(lambda: ([], []))
    sums: dict[str, float] = defaultdict(float)
    for i, r in enumerate(ordered, 1):
        spent += r.calls
        total += r.reward or 0.0
        xs.append(spent)
        running.append(total / i)
        line_x, line_y = per[r.template]
        sums[r.template] += r.reward or 0.0
        line_x.append(spent)
        line_y.append(sums[r.template] / (len(line_y) + 1))
    for strategy, (line_x, line_y) in sorted(per.items()):
        ax.plot(line_x, line_y, ".-", alpha=0.6, lw=1,
                label=strategy if len(per) <= 12 else None)
    if xs:
        ax.plot(xs, running, "-", color="black", lw=2, label="running mean reward (all samples)")
    if default_level is not None:
        ax.axhline(default_level, color="grey", ls="--", lw=1.5,
                   label=f"default template, fresh answers ({default_level:.2f})")
    ax.set_xlabel("model calls spent")
    ax.set_ylabel("reward (running mean)")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path)
    except OSError as exc:  # a file where the folder should be, or no permission
        why = ("a file stands where a folder should be"
               if isinstance(exc, FileExistsError | NotADirectoryError) else exc.strerror or exc)
        raise HarnessError(f"{path}: cannot write the learning curve ({why}); pass --plot "
                           "FILE.png in a folder you can write") from None
    finally:
        plt.close(fig)
    return path
