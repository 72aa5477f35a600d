"""The comparison's picture: what each method believed while tuning, next to what it got on
fresh answers of the held-out tasks (the two can disagree, which is the point of showing both)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from harness.bench.render import pyplot, save
from harness.compare.config import base_method
from harness.compare.report import curves, rows


def write_plot(data: Mapping[str, Any], path: Path) -> Path | None:
    """Left: each tuned run's best-so-far own score against task-model calls spent. Right: each
    method's held-out reward on fresh answers minus the default template's, paired per task and
    seed, with its 95% interval (the difference is what the interval is of), labelled with the
    reward itself and what an answer costs. None when nothing is evaluated yet."""
    table = rows(data)
    if not table:
        return None
    plt = pyplot()
    wide = max(6.0, 1.3 * sum(r.reward_vs_default is not None for r in table))  # room per arm
    fig, (tuning, heldout) = plt.subplots(1, 2, figsize=(6 + wide, 4.8),
                                          gridspec_kw={"width_ratios": [6, wide]})
    methods = sorted({base_method(run["method"]) for run in data["runs"].values()} - {"default"})
    colour = {m: f"C{i}" for i, m in enumerate(methods)}  # a selection arm takes its base's
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

    default = next((r.reward for r in table if r.method == "default"), None)
    paired = [r for r in table if r.reward_vs_default is not None]
    for i, r in enumerate(paired):
        u = r.reward_vs_default
        assert u is not None
        bars = [[max(0.0, u.diff - u.low)], [max(0.0, u.high - u.diff)]]  # a point interval: 0, not -1e-17
        arm = "+" in r.method  # drawn hollow: the base method's prompt, chosen by a rule
        heldout.errorbar(i, u.diff, yerr=bars, fmt="o", capsize=4, markerfacecolor="white" if arm else None,
                         color=colour.get(base_method(r.method), "grey"))
        heldout.annotate(f"{r.reward:.3f}\n{r.calls_per_answer:.2f} calls/answer", (i, u.high),
                         textcoords="offset points", xytext=(0, 6), ha="center", fontsize=8)
    heldout.axhline(0, color="black", linestyle="--", linewidth=1,
                    label="default template" + ("" if default is None else f" ({default:.3f})"))
    heldout.legend(fontsize=8, loc="best")
    heldout.margins(y=0.15)  # room for the labels above the bars
    names = [r.method.replace("+", "\n+ ") for r in paired]  # a selection arm on two lines
    heldout.set_xticks(range(len(paired)), [f"{name}\n(b{r.budget}, {r.seeds} seed{'s' * (r.seeds != 1)})"
                                            for name, r in zip(names, paired, strict=True)], fontsize=8)
    heldout.set_xlim(-0.6, max(0.6, len(paired) - 0.4))
    heldout.set_ylabel("partial reward - default's, paired (95% interval)")
    heldout.set_title("what it got on tasks it never saw (fresh answers)")
    return save(fig, path)
