"""The comparison's picture: what each method believed while tuning, next to what it got on
fresh answers of the held-out tasks (the two can disagree, which is the point of showing both)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from harness.bench.render import pyplot, save
from harness.compare.report import curves, rows


def write_plot(data: Mapping[str, Any], path: Path) -> Path | None:
    """Left: each tuned run's best-so-far own score against task-model calls spent. Right: the
    held-out reward of every method on fresh answers, with its 95% interval against the default
    template, and the default's level. None when nothing is evaluated yet."""
    table = rows(data)
    if not table:
        return None
    plt = pyplot()
    fig, (tuning, heldout) = plt.subplots(1, 2, figsize=(12, 4.8))
    methods = sorted({run["method"] for run in data["runs"].values()} - {"default"})
    colour = {m: f"C{i}" for i, m in enumerate(methods)}
    labelled: set[str] = set()
    for key, curve in curves(data).items():
        if not curve:
            continue
        method = data["runs"][key]["method"]
        xs, ys = zip(*curve, strict=True)
        tuning.step(xs, ys, where="post", color=colour[method], alpha=0.8,
                    label=None if method in labelled else method)
        labelled.add(method)
    tuning.set_xlabel("task-model calls spent while tuning")
    tuning.set_ylabel("best own score so far (tuning tasks)")
    tuning.set_title("what each optimiser saw")
    if labelled:
        tuning.legend(fontsize=8)

    names = [f"{r.method}\n(b{r.budget}, {r.seeds} seed{'s' * (r.seeds != 1)})" for r in table]
    default = next((r.reward for r in table if r.method == "default"), None)
    for i, r in enumerate(table):
        low = high = 0.0
        if r.reward_vs_default is not None:  # the paired interval, placed around this method's mean
            low = max(0.0, r.reward_vs_default.diff - r.reward_vs_default.low)
            high = max(0.0, r.reward_vs_default.high - r.reward_vs_default.diff)
        heldout.errorbar(i, r.reward, yerr=[[low], [high]], fmt="o", capsize=4,
                         color="black" if r.method == "default" else colour.get(r.method, "grey"))
    if default is not None:
        heldout.axhline(default, color="black", linestyle="--", linewidth=1, label="default template")
        heldout.legend(fontsize=8)
    heldout.set_xticks(range(len(table)), names, fontsize=8)
    heldout.set_ylabel("partial reward, fresh answers (held-out tasks)")
    heldout.set_title("what it got on tasks it never saw")
    return save(fig, path)
